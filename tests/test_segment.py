"""The compact dictionary gives jieba's own answers: the same vocabulary frequencies as
jieba's `suggest_freq`, and the same cuts as jieba with its whole dictionary loaded."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kfscript
from kfscript.normalise import clauses, fold
from kfscript.segment import Segmenter

from .conftest import DEV_SET
from .reference import jieba_with

AWKWARD_TERMS = (
    "ok", "OK啦", "3q", "ab好", "c+", "AT", "A股", "T恤", "B超", "BB机", "qq群", "12315",
    "在吗?", "好的!", "发货未", "未发货", "打破纪录", "打破", "一", "的", "了吧", "中华人民",
    "華為", "😡", "~~", "不是", "不", "没发货", "还没发", "货", "x", "xyz", "abc123", "5g",
)
"""Terms that probe the corners: ASCII runs jieba glues, prefixes of longer words, words
also in jieba's dictionary, single characters, clause marks, non-Han characters."""


def _jieba_vocabulary(terms: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """What jieba itself suggests, term by term in sorted order, each added as it goes."""
    tokenizer = jieba_with(())
    added: list[tuple[str, int]] = []
    try:
        for word in sorted(term for term in terms if len(term) > 1):
            added.append((word, int(tokenizer.suggest_freq(word, tune=True))))
    finally:
        jieba_with.cache_clear()  # the shared plain tokenizer now holds the terms
    return tuple(added)


@pytest.mark.parametrize("which", ["awkward", "engine"])
def test_vocabulary_is_what_jieba_suggests(which: str, engine: kfscript.Engine) -> None:
    terms = AWKWARD_TERMS if which == "awkward" else engine.matcher.terms
    assert Segmenter.build(terms).vocabulary == _jieba_vocabulary(terms)


def _clauses(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        folded = fold(text)
        found += [folded[start:end] for start, end in clauses(folded)]
    return found


def _edges(words: list[str]) -> int:
    edges, position = 1, 0
    for word in words:
        position += len(word)
        edges |= 1 << position
    return edges


def test_cuts_are_jiebas_on_the_dev_set(engine: kfscript.Engine) -> None:
    segmenter = engine.matcher.segmenter
    jieba_itself = jieba_with(segmenter.vocabulary)
    with open(DEV_SET, encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line in lines]
    pieces = _clauses(texts) + list(AWKWARD_TERMS) + ["发货未发货打破纪录", "买了ab好c+吗"]
    for clause in pieces:
        words = list(jieba_itself.cut(clause, HMM=False))
        assert segmenter.words(clause) == words, clause
        assert segmenter.whole(clause) == _edges(words), clause


def test_cuts_are_jiebas_on_generated_text() -> None:
    segmenter = Segmenter.build(AWKWARD_TERMS)
    jieba_itself = jieba_with(segmenter.vocabulary)
    alphabet = st.sampled_from([*AWKWARD_TERMS, "东西", "破损", "a", "1", "#", "-", "·",
                                "能", "不能", "退", "款", "退款", "中华", "人民"])

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(alphabet, min_size=1, max_size=10))
    def check(parts: list[str]) -> None:
        text = "".join(parts)
        words = list(jieba_itself.cut(text, HMM=False))
        assert segmenter.words(text) == words
        assert segmenter.whole(text) == _edges(words)

    check()
