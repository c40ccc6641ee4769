"""Every mistake in a rule or phrasebank file is a RuleFileError with its file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import kfscript
from kfscript import RuleFileError
from kfscript.engine import bundled

from .conftest import MINI_RULES

BUNDLED_PHRASES = bundled("phrasebank")

GOOD_RULE = """intent: damaged
rules:
  - id: broken
    any: [碎了]
"""

# (file name, content, line of the first problem, words the message must contain)
BROKEN_RULES = [
    ("damaged.yaml", "intent: smashed\nrules:\n  - id: a\n    any: [碎了]\n", 1, "unknown intent"),
    ("damaged.yaml", GOOD_RULE + "  - id: broken\n    any: [裂了]\n", 5, "duplicate rule id"),
    ("damaged.yaml", "intent: damaged\nrules:\n  - id: a\n    any: []\n", 4, "at least 1"),
    ("damaged.yaml", "intent: damaged\nrules:\n  - id: a\n    any: [碎了]\n    weight: heavy\n",
     5, "weight"),
    ("damaged.yaml", "intent: damaged\nrules:\n  - id: a\n    any: [碎了]\n    weight: 1.5\n",
     5, "less than or equal"),
    ("damaged.yaml", "intent: damaged\nrules:\n  - id: a\n    any: [碎了\n", 5, "YAML syntax"),
    ("damaged.yaml", "intent: damaged\nrules:\n  - id: a\n    any: [碎了]\n    anyy: [x]\n",
     5, "Extra inputs"),
    ("damaged.yaml", "intent: damaged\nrules:\n  - id: a\n    any: [碎了]\n    all: [[x]]\n",
     3, "exactly one"),
    ("damaged.yaml", "intent: damaged\nrules:\n  - id: a\n    all: [[箱子], [破]]\n"
     "    whole_message: true\n", 3, "whole_message needs 'any'"),
    ("damaged.yaml", "intent: damaged\nnone_anywhere: [\"@nothing\"]\nrules:\n  - id: a\n"
     "    any: [碎了]\n", 2, "none_anywhere: unknown group"),
    ("damaged.yaml", "intent: damaged\nrules:\n  - id: a\n    any: [碎了]\n"
     "    none_anywhere: [\"@nothing\"]\n", 5, "none_anywhere: unknown group"),
    ("damaged.yaml", "intent: damaged\nrules:\n  - id: a\n    any: [\"@nothing\"]\n", 4,
     "unknown group"),
    ("damaged.yaml", "intent: damaged\nintent: damaged\nrules:\n  - id: a\n    any: [碎]\n", 2,
     "duplicate key"),
    ("damaged.yaml", "intent: damaged\nrules:\n  - id: a\n    any: [碎了，裂了]\n", 4,
     "punctuation"),
    ("damaged.yaml", "", 1, "empty"),
    ("_negation.yaml", "cues: []\n", 1, "at least 1"),
    ("_anger.yaml", "cues:\n  气死: 2\n", 2, "less than or equal"),
]


@pytest.mark.parametrize(("name", "content", "line", "words"), BROKEN_RULES)
def test_broken_rule_file_names_file_and_line(tmp_path: Path, name: str, content: str,
                                              line: int, words: str) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(MINI_RULES, rules)
    (rules / name).write_text(content, encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        kfscript.Engine.from_paths(rules=rules)
    problem = caught.value
    assert problem.path.endswith(name)
    assert problem.line == line, str(problem)
    assert words in str(problem)
    assert f"{name}:{line}:" in str(problem)


def test_a_file_level_veto_is_checked_once_not_per_rule(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(MINI_RULES, rules)
    (rules / "damaged.yaml").write_text(
        "intent: damaged\nnone_anywhere: [东西，没事]\nrules:\n  - id: a\n    any: [碎了]\n"
        "  - id: b\n    any: [裂了]\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        kfscript.Engine.from_paths(rules=rules)
    assert [(Path(p.path).name, p.line) for p in caught.value.problems] == [("damaged.yaml", 2)]


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(MINI_RULES, rules)
    (rules / "damaged.yaml").write_text("intent: smashed\nrules:\n  - id: a\n    any: []\n",
                                        encoding="utf-8")
    (rules / "greeting.yaml").write_text("intent: greeting\nrules: 7\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        kfscript.Engine.from_paths(rules=rules)
    assert len(caught.value.problems) >= 2
    assert {Path(p.path).name for p in caught.value.problems} == {"damaged.yaml", "greeting.yaml"}


# (file name, content, line of the first problem, words the message must contain)
BROKEN_PHRASES = [
    ("damaged.yaml", "intent: damaged\nphrases:\n  - id: x\n    step: apologize\n"
     "    text: \"亲，{nobody}很抱歉\"\n", 5, "unknown placeholder"),
    ("damaged.yaml", "intent: damaged\nphrases:\n  - id: x\n    step: dance\n    text: 好\n",
     4, "unknown step"),
    ("damaged.yaml", "intent: damaged\nphrases:\n  - id: x\n    step: apologize\n"
     "    text: \"抱歉 {\"\n", 5, "lone"),
    ("zz_more.yaml", "intent: damaged\nphrases:\n  - id: greeting_greet_1\n    step: greet\n"
     "    text: 你好\n", 3, "duplicate phrase id"),
    ("damaged.yaml", "intent: broken\nphrases:\n  - id: x\n    step: greet\n    text: 你好\n",
     1, "unknown intent"),
    ("damaged.yaml", "intent: damaged\nphrases:\n  - id: x\n    step: greet\n    text: 你好\n"
     "    weight: 0\n", 6, "greater than 0"),
]


@pytest.mark.parametrize(("name", "content", "line", "words"), BROKEN_PHRASES)
def test_broken_phrase_file_names_file_and_line(tmp_path: Path, name: str, content: str,
                                                line: int, words: str) -> None:
    phrases = tmp_path / "phrasebank"
    shutil.copytree(BUNDLED_PHRASES, phrases)
    (phrases / name).write_text(content, encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        kfscript.Engine.from_paths(rules=MINI_RULES, phrasebank=phrases)
    assert Path(caught.value.path).name == name
    assert caught.value.line == line, str(caught.value)
    assert words in str(caught.value)


def test_missing_folder_is_a_rule_file_error(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="no such folder"):
        kfscript.Engine.from_paths(rules=tmp_path / "nowhere")


def test_numbers_in_term_lists_are_text(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(MINI_RULES, rules)
    (rules / "complaint.yaml").write_text(
        "intent: complaint\nrules:\n  - id: hotline\n    any: [12315]\n", encoding="utf-8")
    engine = kfscript.Engine.from_paths(rules=rules)
    assert [h.intent for h in engine.classify("我要打12315").intents] == ["complaint"]


def test_error_types_are_catchable_broadly() -> None:
    assert issubclass(RuleFileError, kfscript.KfscriptError)
    assert issubclass(RuleFileError, ValueError)
    error = RuleFileError("a.yaml", 3, "bad")
    assert (error.path, error.line, error.message) == ("a.yaml", 3, "bad")
    assert str(error) == "a.yaml:3: bad"
