"""Shared fixtures: engines are built once per session (they are immutable)."""

from __future__ import annotations

from pathlib import Path

import pytest

import kfscript

HERE = Path(__file__).resolve().parent
MINI_RULES = HERE / "fixtures" / "mini_rules"
DEV_SET = HERE / "data" / "dev.jsonl"


@pytest.fixture(scope="session")
def engine() -> kfscript.Engine:
    """The default engine over the bundled rules and phrasebank."""
    return kfscript.default_engine()


@pytest.fixture(scope="session")
def mini() -> kfscript.Engine:
    """A small hand-made rule set whose behaviour the tests can predict exactly."""
    return kfscript.Engine.from_paths(rules=MINI_RULES)
