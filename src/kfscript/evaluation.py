"""Measure an engine against labelled messages (the JSON lines format of dev.jsonl).

One pass classifies every message and collects the figures staff need to judge an edit:
precision, recall and F1 per intent, micro and macro F1, exact-set accuracy, false positives
on messages with no intent, anger accuracy, the most frequent confusions, the same split by
script, and how often the suggestions cover every gold intent.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engine import Engine
from .errors import KfscriptError
from .matcher import BREAKER, CUE
from .taxonomy import INTENTS


@dataclass(frozen=True)
class Example:
    text: str
    intents: frozenset[str]
    angry: bool | None
    script: str | None
    id: str | None = None


def read_examples(path: str | Path) -> list[Example]:
    """Labelled messages from a JSON lines file; a bad line is a KfscriptError naming it."""
    examples = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text, intents = record["text"], record.get("intents", [])
                unknown = set(intents) - set(INTENTS)
                if not isinstance(text, str) or unknown:
                    raise ValueError(f"unknown intents {sorted(unknown)}" if unknown
                                     else '"text" must be a string')
                examples.append(Example(text, frozenset(intents), record.get("angry"),
                                        record.get("script"), record.get("id")))
            except (ValueError, KeyError, TypeError) as error:
                raise KfscriptError(f"{path}:{number}: {error}") from error
    return examples


@dataclass
class Tally:
    """Counts for one slice of the data (all messages, or one script)."""

    true_positive: Counter[str] = field(default_factory=Counter)
    false_positive: Counter[str] = field(default_factory=Counter)
    false_negative: Counter[str] = field(default_factory=Counter)
    messages: int = 0
    exact: int = 0
    no_intent: int = 0
    no_intent_false_positive: int = 0
    anger_labelled: int = 0
    anger_right: int = 0
    negated: int = 0
    negated_exact: int = 0
    covered: int = 0

    def add(self, gold: frozenset[str], found: frozenset[str]) -> None:
        self.messages += 1
        self.exact += gold == found
        for intent in found & gold:
            self.true_positive[intent] += 1
        for intent in found - gold:
            self.false_positive[intent] += 1
        for intent in gold - found:
            self.false_negative[intent] += 1
        if not gold:
            self.no_intent += 1
            self.no_intent_false_positive += bool(found)

    def report(self) -> dict[str, Any]:
        per_intent = {}
        for intent in INTENTS:
            tp, fp, fn = (self.true_positive[intent], self.false_positive[intent],
                          self.false_negative[intent])
            if tp + fp + fn == 0:
                continue
            per_intent[intent] = {"precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn),
                                  "f1": _ratio(2 * tp, 2 * tp + fp + fn), "support": tp + fn}
        tp = sum(self.true_positive.values())
        fp = sum(self.false_positive.values())
        fn = sum(self.false_negative.values())
        return {
            "messages": self.messages,
            "micro_f1": _ratio(2 * tp, 2 * tp + fp + fn),
            "macro_f1": round(sum(p["f1"] for p in per_intent.values()) / len(per_intent), 4)
            if per_intent else 1.0,
            "exact_set_accuracy": _ratio(self.exact, self.messages),
            "no_intent_false_positive_rate": _ratio(self.no_intent_false_positive,
                                                    self.no_intent),
            "anger_accuracy": _ratio(self.anger_right, self.anger_labelled),
            "negation_exact_accuracy": _ratio(self.negated_exact, self.negated),
            "negation_messages": self.negated,
            "suggestion_coverage": _ratio(self.covered, self.messages - self.no_intent),
            "per_intent": per_intent,
        }


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 1.0


def evaluate(engine: Engine, examples: Sequence[Example], k: int = 3,
             errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The evaluation report; misses are appended to `errors` (with an explanation) if given."""
    overall = Tally()
    by_script: dict[str, Tally] = {}
    confusions: Counter[tuple[str, str]] = Counter()
    for example in examples:
        trace = engine.matcher.trace(example.text)
        classification = trace.classification
        found = frozenset(hit.intent for hit in classification.intents)
        script = example.script or classification.script
        tallies = (overall, by_script.setdefault(script, Tally()))
        negated = any(engine.matcher.kinds[h.term] & (CUE | BREAKER) for h in trace.hits)
        suggested = {s.intent for s in engine.phrasebank.suggest(classification, k)}
        for tally in tallies:
            tally.add(example.intents, found)
            if example.angry is not None:
                tally.anger_labelled += 1
                tally.anger_right += classification.angry == example.angry
            if negated:
                tally.negated += 1
                tally.negated_exact += found == example.intents
            if example.intents:
                tally.covered += example.intents <= suggested
        for missed in example.intents - found:
            for extra in found - example.intents or {"none"}:
                confusions[(missed, extra)] += 1
        for extra in found - example.intents:
            if not example.intents - found:
                confusions[("none", extra)] += 1
        wrong_anger = example.angry is not None and classification.angry != example.angry
        if errors is not None and (found != example.intents or wrong_anger):
            errors.append({"id": example.id, "text": example.text,
                           "gold": sorted(example.intents), "found": sorted(found),
                           "angry": example.angry, "anger": classification.anger,
                           "explain": engine.explain(example.text)})
    report = overall.report()
    report["confusions"] = [{"gold": gold, "found": found, "count": count}
                            for (gold, found), count in confusions.most_common(10)]
    report["by_script"] = {script: tally.report() for script, tally in sorted(by_script.items())}
    for part in report["by_script"].values():
        del part["per_intent"]
    return report


def format_report(report: dict[str, Any]) -> Iterable[str]:
    """The report as readable lines."""
    yield (f"messages {report['messages']}  micro-F1 {report['micro_f1']:.3f}  "
           f"macro-F1 {report['macro_f1']:.3f}  exact {report['exact_set_accuracy']:.3f}")
    yield (f"false positives on no-intent messages {report['no_intent_false_positive_rate']:.3f}"
           f"  anger accuracy {report['anger_accuracy']:.3f}  negation/contrast exact "
           f"{report['negation_exact_accuracy']:.3f} ({report['negation_messages']} messages)"
           f"  suggestion coverage {report['suggestion_coverage']:.3f}")
    yield ""
    yield f"{'intent':18}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"
    for intent, row in report["per_intent"].items():
        yield (f"{intent:18}{row['precision']:10.3f}{row['recall']:10.3f}{row['f1']:10.3f}"
               f"{row['support']:9d}")
    yield ""
    for script, part in report["by_script"].items():
        yield (f"{script:12} messages {part['messages']:4d}  micro-F1 {part['micro_f1']:.3f}  "
               f"macro-F1 {part['macro_f1']:.3f}  exact {part['exact_set_accuracy']:.3f}  "
               f"anger {part['anger_accuracy']:.3f}")
    if report["confusions"]:
        yield ""
        yield "most frequent confusions (gold -> found):"
        for item in report["confusions"]:
            yield f"  {item['gold']} -> {item['found']}: {item['count']}"
