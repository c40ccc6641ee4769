from __future__ import annotations

import pytest

import kfscript


def test_one_reply_per_intent_and_step_and_no_near_duplicates(mini: kfscript.Engine) -> None:
    from kfscript.ranking import near_duplicates, pairs
    found = mini.suggest("箱子破了，还少了一个螺丝", k=10)
    keys = [(s.intent, s.step) for s in found]
    assert len(keys) == len(set(keys))
    assert {s.intent for s in found[:3]} == {"damaged", "missing_parts"}
    for i, a in enumerate(found):
        assert not any(near_duplicates(pairs(a.text), pairs(b.text)) for b in found[i + 1:])


def test_suggestions_are_deterministic(mini: kfscript.Engine) -> None:
    assert mini.suggest("杯子碎了", k=5) == mini.suggest("杯子碎了", k=5)
    assert [s.score for s in mini.suggest("杯子碎了", k=5)] == sorted(
        (s.score for s in mini.suggest("杯子碎了", k=5)), reverse=True)


def test_angry_customer_is_calmed_before_solutions(mini: kfscript.Engine) -> None:
    calm = [s.step for s in mini.suggest("杯子碎了", k=3)]
    angry = [s.step for s in mini.suggest("杯子碎了！！！气死了", k=3)]
    assert angry[:2] == ["acknowledge", "apologize"]
    assert calm != angry
    assert "solution" in angry


def test_traditional_customer_gets_traditional_replies(mini: kfscript.Engine) -> None:
    from kfscript.normalise import detect_script
    for suggestion in mini.suggest("東西碎了，請處理", k=3):
        assert detect_script(suggestion.text) == "traditional", suggestion.text


def test_no_intent_gets_the_fallback(mini: kfscript.Engine) -> None:
    found = mini.suggest("请问这个是纯棉的吗", k=2)
    assert len(found) == 2 and {s.intent for s in found} == {"none"}


def test_variables_are_plain_substitution(mini: kfscript.Engine) -> None:
    tricky = "{agent.__class__}{0}%s{{x}}"
    texts = [s.text for s in mini.suggest("在吗", k=5, variables={"agent": tricky,
                                                                 "shop": "小熊家居"})]
    joined = "".join(texts)
    assert tricky in joined and "小熊家居" in joined
    assert "{customer}" not in joined and "{agent}" not in joined


def test_traditional_replies_keep_variable_values_verbatim(mini: kfscript.Engine) -> None:
    texts = "".join(s.text for s in mini.suggest("東西碎了", k=9, variables={"agent": "小丽"}))
    assert "小丽" in texts


def test_bad_variables(mini: kfscript.Engine) -> None:
    with pytest.raises(kfscript.VariableError, match="unknown placeholder 'nope'"):
        mini.suggest("在吗", variables={"nope": "x"})
    with pytest.raises(TypeError, match="must be str"):
        mini.suggest("在吗", variables={"agent": 3})  # type: ignore[dict-item]


def test_k(mini: kfscript.Engine) -> None:
    assert mini.suggest("杯子碎了", k=0) == []
    assert len(mini.suggest("杯子碎了", k=1)) == 1
    with pytest.raises(ValueError):
        mini.suggest("杯子碎了", k=-1)
    with pytest.raises(TypeError):
        mini.suggest("杯子碎了", k="3")  # type: ignore[arg-type]
