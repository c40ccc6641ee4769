"""The plain, immutable values kfscript hands back to callers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

Span = tuple[int, int]
"""[start, end) offsets into the original text: `text[start:end]` is the matched words."""

ANGRY = 0.5
"""Anger at or above this is an angry customer (the replies lead with calming steps)."""


@dataclass(frozen=True, slots=True)
class IntentHit:
    intent: str
    score: float
    rules: tuple[str, ...]
    spans: tuple[Span, ...]


class Suppression(NamedTuple):
    """A term a rule would have used, cancelled by a negation cue ("没有破损")."""

    rule: str
    cue: str
    span: Span


@dataclass(frozen=True, slots=True)
class Classification:
    intents: tuple[IntentHit, ...]
    anger: float
    script: str
    suppressed: tuple[Suppression, ...]

    @property
    def angry(self) -> bool:
        return self.anger >= ANGRY

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, as `kfscript classify` prints it."""
        return {
            "intents": [asdict(hit) for hit in self.intents],
            "anger": self.anger,
            "angry": self.angry,
            "script": self.script,
            "suppressed": [s._asdict() for s in self.suppressed],
        }


@dataclass(frozen=True, slots=True)
class Suggestion:
    text: str
    intent: str
    step: str
    phrase_id: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
