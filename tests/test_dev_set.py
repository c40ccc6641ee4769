"""Accuracy on the labelled development set (a copy of shared/data/dev.jsonl)."""

from __future__ import annotations

from typing import Any

import pytest

import kfscript
from kfscript.evaluation import evaluate, read_examples

from .conftest import DEV_SET


@pytest.fixture(scope="module")
def report(engine: kfscript.Engine) -> dict[str, Any]:
    return evaluate(engine, read_examples(DEV_SET))


def test_micro_f1(report: dict[str, Any]) -> None:
    assert report["micro_f1"] >= 0.85
