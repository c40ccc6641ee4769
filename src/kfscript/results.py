"""The plain, immutable values kfscript hands back to callers."""

from __future__ import annotations

from typing import Any, Final, NamedTuple

Span = tuple[int, int]
"""[start, end) offsets into the original text: `text[start:end]` is the matched words."""

ANGRY: Final = 0.5
"""Anger at or above this is an angry customer (the replies lead with calming steps)."""


class IntentHit(NamedTuple):
    """An intent found, with its score, the rules that fired and the spans they matched."""

    intent: str
    score: float
    rules: tuple[str, ...]
    spans: tuple[Span, ...]


class Suppression(NamedTuple):
    """A term a rule would have used, cancelled by a negation cue ("没有破损")."""

    rule: str
    cue: str
    span: Span


class Classification(NamedTuple):
    """What a message needs (`intents`, best first), how angry its writer is, its script,
    and the terms a negation cancelled."""

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
            "intents": [hit._asdict() for hit in self.intents],
            "anger": self.anger,
            "angry": self.angry,
            "script": self.script,
            "suppressed": [s._asdict() for s in self.suppressed],
        }


class Suggestion(NamedTuple):
    """A reply to send, for which intent and step, from which phrase, how well it fits."""

    text: str
    intent: str
    step: str
    phrase_id: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()
