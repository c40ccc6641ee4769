"""Check rule and phrasebank folders for what makes suggestions wrong without an error.

Loading already rejects broken files (unknown intents or placeholders, duplicate ids, bad
types). Lint adds what a valid file can still get wrong: intents without phrases, steps the
ranking needs but cannot fill, a term that fires two intents alone, examples that do not
fire and counterexamples that do, rules that can never add anything, and terms listed
twice in one list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine import Engine
from .errors import RuleFileError
from .loading import Located, PhraseSources, RuleSources, load_phrasebank, load_rules
from .normalise import fold
from .taxonomy import FALLBACK_INTENT, members


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    severity: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


def lint(rules: Path, phrasebank: Path) -> list[Finding]:
    """Every finding for these folders, errors first, each with its file and line."""
    try:
        rule_sources = load_rules(rules)
        phrase_sources = load_phrasebank(phrasebank)
        engine = Engine.from_paths(rules, phrasebank)
    except RuleFileError as error:
        return [Finding(p.path, p.line, "error", p.message) for p in error.problems]
    findings = (_phrase_coverage(rule_sources, phrase_sources)
                + _examples(rule_sources, engine)
                + _shared_terms(rule_sources)
                + _shadowed(rule_sources)
                + _repeated_terms(rule_sources))
    return sorted(findings, key=lambda f: (f.severity != "error", f.path, f.line))


def _expanded(terms: list[str], groups: dict[str, list[str]]) -> set[str]:
    return {fold(member) for term in terms for member in members(term, groups)}


def _phrase_coverage(rules: RuleSources, phrases: PhraseSources) -> list[Finding]:
    findings = []
    steps_of: dict[str, set[str]] = {}
    orders: dict[str, list[str]] = {}
    for located in phrases.files:
        steps_of.setdefault(located.model.intent, set()).update(
            p.step for p in located.model.phrases)
        if located.model.order:
            orders[located.model.intent] = located.model.order
    for rule_file in rules.intents:
        if rule_file.model.intent not in steps_of:
            findings.append(Finding(rule_file.path, rule_file.line_of("intent"), "error",
                                    f"intent {rule_file.model.intent!r} has no phrases in "
                                    "the phrasebank"))
    if FALLBACK_INTENT not in steps_of:
        findings.append(Finding(phrases.steps.path, 0, "error",
                                "no fallback phrases (a phrase file with intent: none)"))
    calm, angry = phrases.steps.model.calm, phrases.steps.model.angry
    for located in phrases.files:
        intent = located.model.intent
        own = orders.get(intent)
        # the first replies an intent is asked for, calm and angry, unless it orders its own
        needed = set(own) if own else {calm[0], angry[0], angry[1]}
        for step in sorted(needed - steps_of[intent]):
            findings.append(Finding(located.path, located.line_of("intent"), "warning",
                                    f"intent {intent!r} has no phrase for step {step!r}, "
                                    "which its replies start with"))
    return findings


def _examples(rules: RuleSources, engine: Engine) -> list[Finding]:
    findings = []
    for located in rules.intents:
        intent = located.model.intent
        for key, must in (("examples", True), ("counterexamples", False)):
            for index, text in enumerate(getattr(located.model, key)):
                found = {hit.intent for hit in engine.classify(text).intents}
                # a `none` rule's example must come out with no intent at all
                carries = not found if intent == FALLBACK_INTENT else intent in found
                if carries != must:
                    verb = "does not carry" if must else "carries"
                    findings.append(Finding(located.path, located.line_of(key, index), "error",
                                            f"{key[:-1]} {text!r} {verb} {intent!r} "
                                            f"(found: {', '.join(sorted(found)) or 'none'})"))
    return findings


def _shared_terms(rules: RuleSources) -> list[Finding]:
    """Terms that alone fire rules of two intents, with no veto or second group to decide."""
    groups = rules.lexicon.model.groups if rules.lexicon else {}
    owners: dict[str, list[tuple[str, str, int]]] = {}
    for located in rules.intents:
        if located.model.intent == FALLBACK_INTENT:
            continue  # reports nothing, so it cannot compete with an intent
        for index, rule in enumerate(located.model.rules):
            if rule.any is None or rule.none or rule.none_anywhere or rule.weight < 0.5:
                continue
            for term in _expanded(rule.any, groups):
                owners.setdefault(term, []).append((located.model.intent, located.path, index))
    findings = []
    for term, found in sorted(owners.items()):
        intents = sorted({intent for intent, _, _ in found})
        if len(intents) > 1:
            path, index = found[-1][1], found[-1][2]
            located = next(f for f in rules.intents if f.path == path)
            findings.append(Finding(path, located.line_of("rules", index, "any"), "warning",
                                    f"term {term!r} alone fires {' and '.join(intents)}; "
                                    "add a veto (none:) or make one an all: rule"))
    return findings


def _shadowed(rules: RuleSources) -> list[Finding]:
    """`any` rules that can never change a score: a full-weight rule of the same intent
    already fires on every one of their terms, and is vetoed and held to the whole message
    no more often."""
    groups = rules.lexicon.model.groups if rules.lexicon else {}
    findings = []
    plain = [(located, index, rule, _expanded(rule.any, groups), _expanded(rule.none, groups),
              _expanded(rule.none_anywhere + located.model.none_anywhere, groups))
             for located in rules.intents for index, rule in enumerate(located.model.rules)
             if rule.any is not None]
    for located, index, rule, terms, vetoes, anywhere in plain:
        for other_located, other_index, other, other_terms, other_vetoes, other_anywhere in plain:
            if (not (other_located is located and other_index == index)
                    and other_located.model.intent == located.model.intent
                    and other.weight == 1.0 and terms <= other_terms
                    and other_vetoes <= vetoes | anywhere and other_anywhere <= anywhere
                    and (rule.whole_message or not other.whole_message)
                    and (terms != other_terms or (other_located.path, other_index)
                         < (located.path, index))):
                findings.append(Finding(
                    located.path, located.line_of("rules", index, "id"), "warning",
                    f"rule {rule.id!r} is shadowed by {other.id!r}: every term of it is "
                    "already there at full weight, so it never changes a score"))
                break
    return findings


def _repeated_terms(rules: RuleSources) -> list[Finding]:
    """A term listed twice in one list, or twice once folded (黑猫 and 黑貓). Harmless to
    matching, but a sign that the list was edited in two places and may drift apart."""
    lists: list[tuple[Located[Any], tuple[str | int, ...], list[str]]] = []
    for located in rules.intents:
        for index, rule in enumerate(located.model.rules):
            lists += [(located, ("rules", index, "any"), rule.any or []),
                      (located, ("rules", index, "none"), rule.none)]
            lists += [(located, ("rules", index, "all", number), group)
                      for number, group in enumerate(rule.all or [])]
    if rules.lexicon:
        lists += [(rules.lexicon, ("groups", name), terms)
                  for name, terms in rules.lexicon.model.groups.items()]
    findings = []
    for located, where, terms in lists:
        seen: set[str] = set()
        for position, term in enumerate(terms):
            folded = fold(term)
            if folded in seen:
                findings.append(Finding(located.path, located.line_of(*where, position),
                                        "warning", f"term {term!r} is listed twice here"))
            seen.add(folded)
    return findings
