"""Choose and order the phrases to suggest, and fill in their placeholders.

Everything that does not depend on the message is prepared at build time: phrases grouped
per (intent, step) and sorted, each intent's step order for calm and angry customers, and the
character pairs used to spot near-identical replies. The order follows good shop practice:
an angry customer is calmed (acknowledge, apologize) before any solution is offered.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from .cache import by_constructor
from .errors import VariableError
from .render import Template
from .results import Classification, Suggestion
from .taxonomy import FALLBACK_INTENT

STEP_DECAY: Final = 0.9
"""Each later step in the order counts this much less than the one before."""

REPEATED_STEP: Final = 0.5
"""A step already suggested for another intent counts this much less (one apology is enough)."""

SAME_INTENT: Final = 0.8
"""Each reply already chosen for an intent makes its next one count this much less, so a
message with several intents gets replies to each of them."""

NEAR_DUPLICATE: Final = 0.8
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

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        return by_constructor(self)


def pairs(text: str) -> frozenset[str]:
    """The overlapping character pairs of a text: what near-duplicate detection compares."""
    return frozenset(text[i:i + 2] for i in range(len(text) - 1)) or frozenset({text})


def near_duplicates(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) >= NEAR_DUPLICATE * len(a | b)


Steps = dict[tuple[str, bool], tuple[tuple[float, int, str, tuple[Phrase, ...]], ...]]
"""(intent, angry) -> (step decay, step rank, step, phrases best first) for the steps it
has."""


class Phrasebook:
    """The compiled phrasebank: phrases per (intent, step), best first; immutable.

    Whether two phrases are near-duplicates is a fact about the pair, not the message: it
    is worked out the first time a message brings the two together and remembered (one
    entry per ordered pair of phrases and script at most, however many messages come).
    """

    def __init__(self, phrases: tuple[Phrase, ...], defaults: dict[str, str],
                 defaults_traditional: dict[str, str], steps: Steps,
                 pairs: dict[tuple[str, bool], frozenset[str]]) -> None:
        self.phrases = phrases
        self.defaults = defaults
        self.defaults_traditional = defaults_traditional
        self.steps = steps
        self.pairs = pairs
        """Each phrase's character pairs, rendered with the defaults, per script."""
        self._near: dict[tuple[str, str, bool], bool] = {}

    @classmethod
    def build(cls, phrases: tuple[Phrase, ...], calm: tuple[str, ...],
              angry: tuple[str, ...], own_orders: Mapping[str, tuple[str, ...]],
              defaults: Mapping[str, str],
              defaults_traditional: Mapping[str, str]) -> Phrasebook:
        """Phrases ordered by the step orders (an intent's own, else the calm or angry
        one), each step's best first."""
        grouped: dict[str, dict[str, list[Phrase]]] = {}
        for phrase in phrases:
            grouped.setdefault(phrase.intent, {}).setdefault(phrase.step, []).append(phrase)
        steps: Steps = {}
        for intent, by_step in grouped.items():
            for is_angry, order in ((False, calm), (True, angry)):
                own = own_orders.get(intent, order)
                steps[(intent, is_angry)] = tuple(
                    (STEP_DECAY ** rank, rank, step,
                     tuple(sorted(by_step[step], key=lambda p: (-p.weight, p.id))))
                    for rank, step in enumerate(own) if step in by_step)
        simplified, traditional = dict(defaults), dict(defaults_traditional)
        return cls(phrases, simplified, traditional, steps, {
            (p.id, is_traditional): pairs(
                (p.traditional if is_traditional else p.simplified).render(
                    traditional if is_traditional else simplified))
            for p in phrases for is_traditional in (False, True)})

    def __reduce__(self) -> tuple[type[Phrasebook], tuple[Any, ...]]:
        """Everything but the near-duplicate memo, which starts empty again."""
        return Phrasebook, (self.phrases, self.defaults, self.defaults_traditional,
                            self.steps, self.pairs)

    def values(self, variables: Mapping[str, str] | None,
               traditional: bool) -> Mapping[str, str]:
        """Default placeholder values in the customer's script, overridden by `variables`
        (a read-only view of the defaults when there are none: nothing to copy)."""
        defaults = self.defaults_traditional if traditional else self.defaults
        if variables is None:
            return MappingProxyType(defaults)
        if not isinstance(variables, Mapping):
            raise TypeError(f"variables must be a mapping of str to str, "
                            f"got {type(variables).__name__}")
        values = dict(defaults)
        given: Iterable[tuple[object, object]] = variables.items()  # checked here, by us
        for name, value in given:
            if not isinstance(name, str) or name not in values:
                raise VariableError(f"unknown placeholder {name!r}; "
                                    f"known: {', '.join(sorted(values))}")
            if not isinstance(value, str):
                raise TypeError(f"variables[{name!r}] must be str, got {type(value).__name__}")
            values[name] = value
        return values

    def _near_duplicates(self, a: str, b: str, traditional: bool) -> bool:
        key = (a, b, traditional)
        found = self._near.get(key)
        if found is None:
            found = self._near[key] = near_duplicates(self.pairs[(a, traditional)],
                                                      self.pairs[(b, traditional)])
        return found

    def suggest(self, classification: Classification, k: int,
                variables: Mapping[str, str] | None = None) -> list[Suggestion]:
        """The k best replies: greedy, each pick discounting what it makes redundant."""
        traditional = classification.script == "traditional"
        values = self.values(variables, traditional)
        angry = classification.angry
        intents = [(hit.intent, hit.score) for hit in classification.intents
                   if (hit.intent, angry) in self.steps]
        if not intents:
            intents = [(FALLBACK_INTENT, 1.0)]
        # lazy greedy: a slot's worth only falls as picks are made, so a popped slot whose
        # recomputed worth still equals its key beats every other slot
        heap: list[tuple[float, int, int, float, str, tuple[Phrase, ...]]] = [
            (-score * decay, intent_rank, step_rank, decay, step, phrases)
            for intent_rank, (intent, score) in enumerate(intents)
            for decay, step_rank, step, phrases in self.steps.get((intent, angry), ())]
        heapq.heapify(heap)
        chosen: list[Suggestion] = []
        used_steps: set[str] = set()
        per_intent = [0] * len(intents)
        while heap and len(chosen) < k:
            key, intent_rank, step_rank, decay, step, phrases = heapq.heappop(heap)
            worth = (intents[intent_rank][1] * decay
                     * (REPEATED_STEP if step in used_steps else 1.0)
                     * SAME_INTENT ** per_intent[intent_rank])
            if worth < -key:  # discounted since it was queued: queue it again at its worth
                heapq.heappush(heap, (-worth, intent_rank, step_rank, decay, step, phrases))
                continue
            for phrase in phrases:
                if any(self._near_duplicates(phrase.id, other.phrase_id, traditional)
                       for other in chosen):
                    continue
                template = phrase.traditional if traditional else phrase.simplified
                chosen.append(Suggestion(template.render(values), phrase.intent, step,
                                         phrase.id, round(worth * phrase.weight, 4)))
                used_steps.add(step)
                per_intent[intent_rank] += 1
                break
        return chosen
