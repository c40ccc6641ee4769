"""Properties that hold for any input."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import kfscript
from kfscript.normalise import fold, to_traditional

from .conftest import DEV_SET

CHINESE = st.text(alphabet=st.sampled_from(
    list("我的东西碎了少发错退款货快递物流差评投诉在吗谢谢亲没有不是就是还没到多少钱！？，。 ")),
    max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), CHINESE))
def test_no_exception_for_any_text(text: str) -> None:
    result = kfscript.classify(text)
    assert 0 <= result.anger <= 1
    for hit in result.intents:
        assert 0 < hit.score <= 1
    kfscript.suggest(text, k=3)


@settings(max_examples=300, deadline=None)
@given(CHINESE)
def test_spans_lie_in_the_text_and_point_at_rule_words(text: str) -> None:
    engine = kfscript.default_engine()
    terms = set(engine.matcher.terms)
    for hit in engine.classify(text).intents:
        for start, end in hit.spans:
            assert 0 <= start < end <= len(text)
            assert fold(text[start:end]) in terms


def test_traditional_script_does_not_change_the_intents() -> None:
    engine = kfscript.default_engine()
    with open(DEV_SET, encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line in lines]
    changed = []
    for text in texts:
        simplified = {h.intent for h in engine.classify(text).intents}
        converted = to_traditional(text)
        if {h.intent for h in engine.classify(converted).intents} != simplified:
            changed.append(text)
    assert changed == []
