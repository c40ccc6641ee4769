"""The fast matcher gives exactly what the naive reference gives."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kfscript
from kfscript.matcher import CUE, RULE, VETO

from .conftest import DEV_SET, HOLDOUT_SETS
from .reference import reference_classify

NOISE = ["，", "！！", "？？？", " ", "的", "了", "我", "你们", "东西", "一个", "多少",
         "打破纪录", "😡", "ok", "3q", "a", "7", "xl", "東西", "還", "～", "。", "吧", "就是",
         "但是", "88", "2405", "12315"]  # digits run together: no term inside a number


REFERENCE_SAMPLE = 6000
"""Messages compared per labelled set at most, spread evenly over it: the reference scans
every term of every message, and the suite must stay fast as extra.jsonl grows."""


@pytest.mark.parametrize("data", [DEV_SET.name, "extra.jsonl", *HOLDOUT_SETS])
def test_same_as_reference_on_the_labelled_sets(data: str, engine: kfscript.Engine) -> None:
    with open(DEV_SET.parent / data, encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line in lines]
    for text in texts[::-(-len(texts) // REFERENCE_SAMPLE)]:
        assert engine.classify(text) == reference_classify(engine, text), text


@pytest.mark.parametrize("text", ["发货未发货打破纪录", "快点回复快点12315举报哈哈哈但是东西"])
def test_same_as_reference_where_a_stretch_alone_is_a_near_tie(engine: kfscript.Engine,
                                                               text: str) -> None:
    # "发货|未发货" and "发货未|发货" score the same to within rounding: the rest of the
    # clause tips jieba, so the stretch must be decided by cutting the whole clause
    assert engine.classify(text) == reference_classify(engine, text)


def _pieces(engine: kfscript.Engine) -> list[str]:
    m = engine.matcher
    terms = [t for t, k in zip(m.terms, m.kinds, strict=True) if k & (RULE | CUE | VETO)]
    return sorted(terms)[::max(1, len(terms) // 500)] + NOISE  # spread over all the rules


@pytest.mark.parametrize("which", ["mini", "engine"])
def test_same_as_reference_on_generated_messages(which: str,
                                                 request: pytest.FixtureRequest) -> None:
    chosen: kfscript.Engine = request.getfixturevalue(which)
    pieces = _pieces(chosen)

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.sampled_from(pieces), max_size=12))
    def check(parts: list[str]) -> None:
        text = "".join(parts)
        assert chosen.classify(text) == reference_classify(chosen, text)

    check()
