"""Accuracy bars of the bundled rules, on the labelled development set (a copy of
shared/data/dev.jsonl), on extra messages of our own (tests/data/extra.jsonl, written from
the intent definitions), and on held-out sets nobody tuned on (tests/data/holdout_*.jsonl:
regression guards only; never turn their misses into rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import kfscript
from kfscript.evaluation import evaluate, read_examples

from .conftest import DEV_SET, HOLDOUT_SETS

EXTRA_SET = Path(__file__).parent / "data" / "extra.jsonl"


@pytest.fixture(scope="module")
def dev(engine: kfscript.Engine) -> dict[str, Any]:
    return evaluate(engine, read_examples(DEV_SET))


@pytest.fixture(scope="module")
def extra(engine: kfscript.Engine) -> dict[str, Any]:
    return evaluate(engine, read_examples(EXTRA_SET))


def test_dev_micro_and_macro_f1(dev: dict[str, Any]) -> None:
    assert dev["micro_f1"] >= 0.93
    assert dev["macro_f1"] >= 0.92


def test_dev_false_positives_on_messages_without_intent(dev: dict[str, Any]) -> None:
    assert dev["no_intent_false_positive_rate"] <= 0.05


def test_dev_negation_and_contrast(dev: dict[str, Any]) -> None:
    assert dev["negation_messages"] >= 50
    assert dev["negation_exact_accuracy"] >= 0.95


def test_dev_scripts_agree(dev: dict[str, Any]) -> None:
    scripts = dev["by_script"]
    assert abs(scripts["traditional"]["micro_f1"] - scripts["simplified"]["micro_f1"]) <= 0.03


def test_dev_anger(dev: dict[str, Any]) -> None:
    assert dev["anger_accuracy"] >= 0.85


def test_dev_suggestions_cover_the_intents(dev: dict[str, Any]) -> None:
    assert dev["suggestion_coverage"] >= 0.9


def test_extra_messages(extra: dict[str, Any]) -> None:
    assert extra["messages"] >= 28000
    assert extra["micro_f1"] >= 0.958
    assert extra["no_intent_false_positive_rate"] <= 0.08


@pytest.mark.parametrize("holdout", HOLDOUT_SETS)
def test_holdout_does_not_regress(engine: kfscript.Engine, holdout: str) -> None:
    size, bar = HOLDOUT_SETS[holdout]
    report = evaluate(engine, read_examples(Path(__file__).parent / "data" / holdout))
    assert report["messages"] == size
    assert report["micro_f1"] >= bar
    assert report["anger_accuracy"] >= 0.9
