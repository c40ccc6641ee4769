"""The intent ids (shared/INTENTS.md) and the names the files use for them."""

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
