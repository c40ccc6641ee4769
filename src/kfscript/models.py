"""Pydantic models of the rule and phrasebank files: the one source of their schema.

The models are strict (unknown keys and wrong types are errors) so that a typo in a file
shows up at load time with its line, instead of silently changing what matches.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)


def _number_as_text(value: Any) -> Any:
    """YAML reads 12315 as a number; in a term list it can only mean the text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or blank")
    return value.strip()


Term = Annotated[str, BeforeValidator(_number_as_text), AfterValidator(_not_blank),
                 WithJsonSchema({"type": ["string", "integer"], "minLength": 1})]
Weight = Annotated[float, Field(gt=0.0, le=1.0)]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9_]+$", max_length=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RuleSpec(_Strict):
    """One rule: which terms must be found for it to fire, and how much that counts."""

    id: Identifier
    any: list[Term] | None = Field(default=None, min_length=1)
    all: list[Annotated[list[Term], Field(min_length=1)]] | None = Field(
        default=None, min_length=1)
    within: int = Field(default=8, ge=1, le=200)
    none: list[Term] = Field(default_factory=list)
    none_anywhere: list[Term] = Field(default_factory=list)
    """Vetoes that stop the rule wherever they are in the message, not only in its clause:
    盒子压扁了，不过东西没事."""
    weight: Weight = 1.0
    alone_only: bool = False
    """Count only when the rules that are not alone_only report nothing."""
    whole_message: bool = False
    """Fire only when one of the terms is all the message says, spaces, punctuation and
    emoji aside: a bare 在？ is a greeting, 在外地出差 is not."""

    @model_validator(mode="after")
    def _one_kind(self) -> RuleSpec:
        if (self.any is None) == (self.all is None):
            raise ValueError("a rule needs exactly one of 'any' (a list of terms) or "
                             "'all' (a list of term lists)")
        if self.whole_message and self.all is not None:
            raise ValueError("whole_message needs 'any': the terms of an 'all' rule are "
                             "never all the message at once")
        return self


class RuleFile(_Strict):
    """rules/<intent>.yaml"""

    intent: str
    alone_only: bool = False
    """Every rule of the file is alone_only (greeting: only a bare greeting is one)."""
    none_anywhere: list[Term] = Field(default_factory=list)
    """Vetoes anywhere in the message for every rule of the file (damaged: 东西没事)."""
    rules: list[RuleSpec] = Field(min_length=1)
    examples: list[str] = Field(default_factory=list)
    counterexamples: list[str] = Field(default_factory=list)


class LexiconFile(_Strict):
    """rules/_lexicon.yaml: synonym groups, referenced from rules as @name."""

    groups: dict[Identifier, Annotated[list[Term], Field(min_length=1)]]


class NegationFile(_Strict):
    """rules/_negation.yaml: what cancels a term, and how far it reaches."""

    cues: list[Term] = Field(min_length=1)
    not_cues: list[Term] = Field(default_factory=list)
    breakers: list[Term] = Field(default_factory=list)
    max_gap: int = Field(default=6, ge=0, le=50)


class RepeatedMarks(_Strict):
    marks: str = Field(min_length=1)
    min_run: int = Field(default=2, ge=1)
    weight: Weight


class EmojiCue(_Strict):
    chars: str = Field(min_length=1)
    weight: Weight


class AngerFile(_Strict):
    """rules/_anger.yaml: words and marks that show a customer is angry."""

    cues: dict[Term, Weight] = Field(min_length=1)
    repeated_marks: RepeatedMarks | None = None
    emoji: EmojiCue | None = None


class PhraseSpec(_Strict):
    """One ready-to-send phrase."""

    id: Identifier
    step: Identifier
    weight: Weight = 1.0
    tone: Identifier | None = None
    text: Annotated[str, AfterValidator(_not_blank)]


class PhraseFile(_Strict):
    """phrasebank/<intent>.yaml"""

    intent: str
    order: list[Identifier] | None = Field(default=None, min_length=1)
    """This intent's own step order (greeting starts with greet), instead of _steps.yaml's."""
    phrases: list[PhraseSpec] = Field(min_length=1)


class PlaceholderFile(_Strict):
    """phrasebank/_placeholders.yaml: the names phrases may use, with default values."""

    placeholders: dict[Identifier, str] = Field(min_length=1)


class StepsFile(_Strict):
    """phrasebank/_steps.yaml: the steps, in the order they are suggested."""

    calm: list[Identifier] = Field(min_length=1)
    angry: list[Identifier] = Field(min_length=1)

    @model_validator(mode="after")
    def _same_steps(self) -> StepsFile:
        if len(set(self.calm)) != len(self.calm) or len(set(self.angry)) != len(self.angry):
            raise ValueError("a step is listed twice")
        if set(self.calm) != set(self.angry):
            raise ValueError("'calm' and 'angry' must list the same steps")
        return self
