"""Every `examples` entry of a bundled rule file carries its intent; no counterexample does."""

from __future__ import annotations

import pytest

import kfscript
from kfscript.engine import bundled
from kfscript.loading import load_rules

CASES = [(located.model.intent, text, True)
         for located in load_rules(bundled("rules")).intents for text in located.model.examples]
CASES += [(located.model.intent, text, False)
          for located in load_rules(bundled("rules")).intents
          for text in located.model.counterexamples]


def test_every_intent_has_examples_and_counterexamples() -> None:
    assert {intent for intent, _, must in CASES if must} >= set(kfscript.INTENTS)
    assert {intent for intent, _, must in CASES if not must} >= set(kfscript.INTENTS)


@pytest.mark.parametrize(("intent", "text", "must"), CASES,
                         ids=[f"{i}-{'ex' if m else 'counter'}-{n}"
                              for n, (i, _, m) in enumerate(CASES)])
def test_rule_file_example(engine: kfscript.Engine, intent: str, text: str, must: bool) -> None:
    found = {hit.intent for hit in engine.classify(text).intents}
    carries = not found if intent == "none" else intent in found  # none: no intent at all
    assert carries == must, engine.explain(text)
