"""Choose and order the phrases to suggest, and fill in their placeholders.

Phrases are grouped per (intent, step) and sorted once, at build time; ranking a message
walks at most intents x steps entries. The order follows good shop practice: an angry
customer is calmed (acknowledge, apologize) before any solution is offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import VariableError
from .render import Template
from .results import Classification, Suggestion
from .taxonomy import FALLBACK_INTENT

STEP_DECAY = 0.9
"""Each later step in the order counts this much less than the one before."""

REPEATED_STEP = 0.5
"""A step already suggested for another intent counts this much less (one apology is enough)."""

SAME_INTENT = 0.8
"""Each reply already chosen for an intent makes its next one count this much less, so a
message with several intents gets replies to each of them."""

NEAR_DUPLICATE = 0.8
"""Two texts whose character-pair overlap (Jaccard) reaches this are the same reply."""


@dataclass(frozen=True, slots=True)
class Phrase:
    id: str
    intent: str
    step: str
    weight: float
    tone: str | None
    simplified: Template
    traditional: Template


def _pairs(text: str) -> frozenset[str]:
    return frozenset(text[i:i + 2] for i in range(len(text) - 1)) or frozenset({text})


def near_duplicates(a: str, b: str) -> bool:
    pairs_a, pairs_b = _pairs(a), _pairs(b)
    return len(pairs_a & pairs_b) / len(pairs_a | pairs_b) >= NEAR_DUPLICATE


class Phrasebook:
    """The compiled phrasebank: phrases per (intent, step), best first; immutable."""

    def __init__(self, phrases: tuple[Phrase, ...], calm: tuple[str, ...],
                 angry: tuple[str, ...], own_orders: Mapping[str, tuple[str, ...]],
                 defaults: Mapping[str, str],
                 defaults_traditional: Mapping[str, str]) -> None:
        grouped: dict[str, dict[str, list[Phrase]]] = {}
        for phrase in phrases:
            grouped.setdefault(phrase.intent, {}).setdefault(phrase.step, []).append(phrase)
        self.by_intent: dict[str, dict[str, tuple[Phrase, ...]]] = {
            intent: {step: tuple(sorted(found, key=lambda p: (-p.weight, p.id)))
                     for step, found in steps.items()}
            for intent, steps in grouped.items()}
        self.phrases = phrases
        self.calm = calm
        self.angry = angry
        self.own_orders = dict(own_orders)
        self.defaults = dict(defaults)
        self.defaults_traditional = dict(defaults_traditional)

    def values(self, variables: Mapping[str, str] | None, traditional: bool) -> dict[str, str]:
        """Default placeholder values in the customer's script, overridden by `variables`."""
        values = dict(self.defaults_traditional if traditional else self.defaults)
        if variables is None:
            return values
        if not isinstance(variables, Mapping):
            raise TypeError(f"variables must be a mapping of str to str, "
                            f"got {type(variables).__name__}")
        for name, value in variables.items():
            if name not in values:
                raise VariableError(f"unknown placeholder {name!r}; "
                                    f"known: {', '.join(sorted(values))}")
            if not isinstance(value, str):
                raise TypeError(f"variables[{name!r}] must be str, got {type(value).__name__}")
            values[name] = value
        return values

    def suggest(self, classification: Classification, k: int,
                variables: Mapping[str, str] | None = None) -> list[Suggestion]:
        traditional = classification.script == "traditional"
        values = self.values(variables, traditional)
        order = self.angry if classification.angry else self.calm
        intents = [(hit.intent, hit.score) for hit in classification.intents]
        if not intents or not any(intent in self.by_intent for intent, _ in intents):
            intents = [(FALLBACK_INTENT, 1.0)]
        slots: list[tuple[float, int, int, str, tuple[Phrase, ...]]] = []
        for intent_rank, (intent, score) in enumerate(intents):
            steps = self.by_intent.get(intent, {})
            for step_rank, step in enumerate(self.own_orders.get(intent, order)):
                if step in steps:
                    slots.append((score * STEP_DECAY ** step_rank, intent_rank, step_rank,
                                  step, steps[step]))
        chosen: list[Suggestion] = []
        used_steps: set[str] = set()
        per_intent: dict[int, int] = {}
        while slots and len(chosen) < k:
            def worth(slot: tuple[float, int, int, str, tuple[Phrase, ...]]) -> float:
                return (slot[0] * (REPEATED_STEP if slot[3] in used_steps else 1.0)
                        * SAME_INTENT ** per_intent.get(slot[1], 0))
            best = min(range(len(slots)),
                       key=lambda i: (-worth(slots[i]), slots[i][1], slots[i][2]))
            slot = slots.pop(best)
            for phrase in slot[4]:
                template = phrase.traditional if traditional else phrase.simplified
                text = template.render(values)
                if not any(near_duplicates(text, s.text) for s in chosen):
                    chosen.append(Suggestion(text, phrase.intent, phrase.step, phrase.id,
                                             round(worth(slot) * phrase.weight, 4)))
                    used_steps.add(phrase.step)
                    per_intent[slot[1]] = per_intent.get(slot[1], 0) + 1
                    break
        return chosen
