"""Shared fixtures: engines are built once per session (they are immutable)."""

from __future__ import annotations

from pathlib import Path

import pytest

import kfscript

HERE = Path(__file__).resolve().parent
MINI_RULES = HERE / "fixtures" / "mini_rules"
DEV_SET = HERE / "data" / "dev.jsonl"
HOLDOUT_SETS = {"holdout_c.jsonl": (300, 0.94), "holdout_f.jsonl": (300, 0.945),
                "holdout_h.jsonl": (400, 0.905), "holdout_k.jsonl": (400, 0.935),
                "holdout_m.jsonl": (400, 0.935)}
"""The held-out sets in tests/data: each one's size and micro-F1 bar, a little under what it
scores (h is the hardest; k and m imitate the development set's style)."""


@pytest.fixture(scope="session")
def engine() -> kfscript.Engine:
    """The default engine over the bundled rules and phrasebank."""
    return kfscript.default_engine()


@pytest.fixture(scope="session")
def mini() -> kfscript.Engine:
    """A small hand-made rule set whose behaviour the tests can predict exactly."""
    return kfscript.Engine.from_paths(rules=MINI_RULES)
