"""The intent ids (shared/INTENTS.md) and the names the files use for them."""

from collections.abc import Mapping

INTENTS: tuple[str, ...] = (
    "damaged", "missing_parts", "late_shipment", "delivery_delay", "wrong_item",
    "quality_issue", "return_refund", "bargaining", "bad_review", "complaint",
    "shipping_fee", "service_attitude", "greeting", "thanks_goodbye",
)
"""The intent taxonomy, in its documented order (ties in score are broken by it)."""

FALLBACK_INTENT = "none"
"""The phrasebank's pseudo-intent for messages in which no intent was found."""

GROUP_PREFIX = "@"
"""A rule term written `@name` stands for the synonym group `name` of _lexicon.yaml."""


def members(term: str, groups: Mapping[str, list[str]]) -> list[str]:
    """The terms a written term stands for: a group's members, or the term itself."""
    if term.startswith(GROUP_PREFIX):
        return groups[term[len(GROUP_PREFIX):]]
    return [term]
