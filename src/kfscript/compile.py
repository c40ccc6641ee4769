"""Turn validated rule and phrasebank files into the immutable compiled forms.

Everything that does not depend on a message is done here, once: terms folded to the one
script the matcher reads, @groups expanded, phrase templates parsed and converted to
traditional script.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import FileProblem, RuleFileError
from .loading import Located, PhraseSources, RuleSources
from .matcher import (
    ANGER,
    BREAKER,
    CUE,
    NOT_CUE,
    RULE,
    VETO,
    AngerSpec,
    CompiledRule,
    Matcher,
    NegationSpec,
)
from .models import RuleFile
from .normalise import CLAUSE_MARKS, fold, in_either_width, to_traditional
from .ranking import Phrase, Phrasebook
from .render import Template
from .segment import Segmenter
from .taxonomy import members


class _Terms:
    """Folded terms, each with the ways it is used (one automaton entry per term)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.kinds: list[int] = []
        self.problems: list[FileProblem] = []

    def add(self, term: str, kind: int, where: Located[Any], *loc: str | int) -> int:
        folded = fold(term)
        if CLAUSE_MARKS.intersection(folded):
            self.problems.append(where.problem(
                f"term {term!r} contains punctuation or a space, which end a clause, "
                "so it could never match", *loc))
        if folded not in self.index:
            self.index[folded] = len(self.kinds)
            self.kinds.append(0)
        found = self.index[folded]
        self.kinds[found] |= kind
        return found


def compile_rules(sources: RuleSources) -> Matcher:
    terms = _Terms()
    groups = sources.lexicon.model.groups if sources.lexicon else {}

    def expand(written: list[str], kind: int, located: Located[RuleFile],
               *loc: str | int) -> frozenset[int]:
        found: set[int] = set()
        for term in written:
            found.update(terms.add(member, kind, located, *loc)
                         for member in members(term, groups))
        return frozenset(found)

    rules: list[CompiledRule] = []
    for located in sources.intents:
        model = located.model
        file_anywhere = expand(model.none_anywhere, VETO, located, "none_anywhere")
        for index, spec in enumerate(model.rules):
            rule_groups: tuple[frozenset[int], ...]
            if spec.any is not None:
                rule_groups = (expand(spec.any, RULE, located, "rules", index, "any"),)
            else:
                rule_groups = tuple(expand(group, RULE, located, "rules", index, "all", g)
                                    for g, group in enumerate(spec.all or []))
            vetoes = expand(spec.none, VETO, located, "rules", index, "none")
            anywhere = file_anywhere | expand(spec.none_anywhere, VETO, located, "rules", index,
                                              "none_anywhere")
            rules.append(CompiledRule(f"{model.intent}/{spec.id}", model.intent, rule_groups,
                                      None if spec.any is not None else spec.within,
                                      vetoes, anywhere, spec.weight,
                                      spec.alone_only or model.alone_only, spec.whole_message))
    max_gap = 6
    if sources.negation:
        negation = sources.negation.model
        max_gap = negation.max_gap
        for kind, key, written in ((CUE, "cues", negation.cues),
                                   (NOT_CUE, "not_cues", negation.not_cues),
                                   (BREAKER, "breakers", negation.breakers)):
            for index, term in enumerate(written):
                terms.add(term, kind, sources.negation, key, index)
    anger = AngerSpec({}, None, 0.0, frozenset(), 0.0)
    if sources.anger:
        anger_file = sources.anger.model
        cues = {terms.add(term, ANGER, sources.anger, "cues", term): weight
                for term, weight in anger_file.cues.items()}
        marks = None
        if anger_file.repeated_marks:
            # full-width clause marks stay as typed, so "!" must also find "！"
            chars = re.escape("".join(sorted(in_either_width(anger_file.repeated_marks.marks))))
            marks = re.compile(f"[{chars}]{{{anger_file.repeated_marks.min_run},}}")
        anger = AngerSpec(
            cues, marks, anger_file.repeated_marks.weight if anger_file.repeated_marks else 0.0,
            frozenset(fold(anger_file.emoji.chars)) if anger_file.emoji else frozenset(),
            anger_file.emoji.weight if anger_file.emoji else 0.0)
    if terms.problems:
        raise RuleFileError.from_problems(terms.problems)
    all_terms = tuple(terms.index)
    segmenter = Segmenter.build(all_terms)
    return Matcher(all_terms, tuple(terms.kinds), tuple(rules),
                   NegationSpec(max_gap), anger, segmenter)


def compile_phrasebank(sources: PhraseSources) -> Phrasebook:
    phrases = tuple(
        Phrase(spec.id, located.model.intent, spec.step, spec.weight, spec.tone,
               Template.parse(spec.text), Template.parse(to_traditional(spec.text)))
        for located in sources.files for spec in located.model.phrases)
    defaults = sources.placeholders.model.placeholders
    steps = sources.steps.model
    own_orders = {located.model.intent: tuple(located.model.order)
                  for located in sources.files if located.model.order}
    return Phrasebook.build(phrases, tuple(steps.calm), tuple(steps.angry), own_orders,
                            defaults,
                            {name: to_traditional(value) for name, value in defaults.items()})
