"""The public API: names, types, bad input, thread safety."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

import pytest

import kfscript
from kfscript import segment
from kfscript.dictionary import Dictionary

from .conftest import MINI_RULES


def test_public_names() -> None:
    for name in ("classify", "suggest", "Engine", "Classification", "IntentHit", "Suggestion",
                 "KfscriptError", "RuleFileError", "INTENTS"):
        assert name in kfscript.__all__ and hasattr(kfscript, name)
    assert len(kfscript.INTENTS) == 14


def test_classification_shape(engine: kfscript.Engine) -> None:
    result = kfscript.classify("亲，收到的台灯灯罩碎了！！")
    assert isinstance(result, kfscript.Classification)
    assert result.intents and result.intents[0].intent == "damaged"
    hit = result.intents[0]
    assert 0 < hit.score <= 1 and hit.rules and all(isinstance(r, str) for r in hit.rules)
    assert all(0 <= s < e <= len("亲，收到的台灯灯罩碎了！！") for s, e in hit.spans)
    assert 0 <= result.anger <= 1 and result.script == "simplified"


def test_suggest_shape() -> None:
    found = kfscript.suggest("亲，收到的台灯灯罩碎了！！", k=3)
    assert 1 <= len(found) <= 3
    for suggestion in found:
        assert isinstance(suggestion, kfscript.Suggestion)
        assert suggestion.text and suggestion.intent == "damaged"
        assert suggestion.step and suggestion.phrase_id and 0 < suggestion.score <= 1
        assert "{" not in suggestion.text


@pytest.mark.parametrize("bad", [None, 42, b"\xe5\x9c\xa8", ["在吗"]])
def test_non_str_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="text must be str"):
        kfscript.classify(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text must be str"):
        kfscript.suggest(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("empty", ["", "   ", "\n\t", "\u3000"])
def test_empty_text_has_no_intents(empty: str) -> None:
    assert kfscript.classify(empty).intents == ()
    assert all(s.intent == "none" for s in kfscript.suggest(empty))


@pytest.mark.parametrize("junk", ["\x00\x01\x02", "\ud800\udfff\ud800", "😀" * 50, "!!!???",
                                  "\u200b\u200d", "a" * 500, "{shop}{0}%s"])
def test_junk_is_answered(junk: str) -> None:
    result = kfscript.classify(junk)
    assert isinstance(result, kfscript.Classification)
    kfscript.suggest(junk)
    kfscript.explain(junk)


def test_large_message_in_linear_time(engine: kfscript.Engine) -> None:
    unit = "你好，我买的杯子碎了，还少了一个盖子，物流也太慢了吧！！气死了。"
    small = unit * (100_000 // len(unit))
    large = unit * (1_000_000 // len(unit))
    start = time.perf_counter()
    engine.classify(small)
    small_time = time.perf_counter() - start
    start = time.perf_counter()
    result = engine.classify(large)
    large_time = time.perf_counter() - start
    assert {"damaged", "missing_parts"} <= {h.intent for h in result.intents}
    assert large_time < 60
    assert large_time < 10 * small_time * 3  # ten times the text, well under 30x the time


@pytest.mark.parametrize("text", ["呵呵" * 4000, "ok" * 8000,
                                  "快递" * 300 + "哈哈" * 1000 + "破损" * 300])
def test_a_long_repetitive_message_cuts_each_stretch_once(engine: kfscript.Engine,
                                                         text: str) -> None:
    # thousands of hits share one stretch; cutting it again for each hit took minutes
    started = time.perf_counter()
    engine.classify(text)
    assert time.perf_counter() - started < 10


def test_one_engine_serves_many_threads(engine: kfscript.Engine) -> None:
    texts = ["杯子碎了", "还少了一个螺丝", "在吗", "東西壞了！！", "没有破损，就是颜色发错了"]
    expected = {t: engine.classify(t) for t in texts}
    failures: list[str] = []

    def work() -> None:
        for _ in range(50):
            for text in texts:
                if engine.classify(text) != expected[text]:
                    failures.append(text)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def _restored(built: kfscript.Engine) -> kfscript.Engine:
    """The engine as a second start restores it from the cache: dictionary not loaded."""
    return kfscript.Engine(pickle.loads(pickle.dumps(built.matcher)), built.phrasebank,
                           built.rules_path, built.phrasebank_path)


def test_threads_racing_the_first_dictionary_load_build_it_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["杯子碎了", "打破纪录了", "这个多少钱", "東西壞了！！", "没有破损，就是颜色发错了"]
    built = kfscript.Engine.from_paths(rules=MINI_RULES, use_cache=False)
    expected = [built.classify(t) for t in texts]
    engine = _restored(built)
    loads: list[int] = []

    class Counted(Dictionary):
        def __init__(self, terms: Sequence[str], vocabulary: Sequence[tuple[str, int]]) -> None:
            loads.append(1)
            super().__init__(terms, vocabulary)

    monkeypatch.setattr(segment, "Dictionary", Counted)
    start = threading.Barrier(4)
    results: list[list[kfscript.Classification]] = []

    def work() -> None:
        start.wait()
        results.append([engine.classify(text) for text in texts])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4
    assert loads == [1]


def test_engine_is_frozen(engine: kfscript.Engine) -> None:
    with pytest.raises(AttributeError):
        engine.extra = 1  # type: ignore[attr-defined]


def test_results_are_immutable_values(engine: kfscript.Engine) -> None:
    result = engine.classify("杯子碎了，我要退款！！")
    suggestion = engine.suggest("杯子碎了")[0]
    for value, field in ((result, "anger"), (result.intents[0], "score"),
                         (suggestion, "text")):
        with pytest.raises(AttributeError):
            setattr(value, field, 0)
    assert result == engine.classify("杯子碎了，我要退款！！")
    assert hash(result) == hash(engine.classify("杯子碎了，我要退款！！"))


@pytest.mark.parametrize(("text", "expected"), [
    ("箱子破了，还少了一个螺丝", ["damaged", "missing_parts"]),
    ("这个多少钱", []),                      # 少 inside 多少 is no missing part
    ("打破纪录了", []),                      # 打破 inside 打破纪录 is nothing broken
    ("好评返现有吗", ["bargaining"]),         # 好评返现 is no bad review
    ("没有破损，就是颜色发错了", ["wrong_item"]),
    ("不用退款，补发就行", []),
    ("在吗？我的货啥时候发", ["late_shipment"]),
    ("不处理就差评", ["bad_review"]),
    ("再不发我就投诉", ["complaint", "late_shipment"]),
])
def test_the_briefs_examples(engine: kfscript.Engine, text: str, expected: list[str]) -> None:
    assert sorted(h.intent for h in engine.classify(text).intents) == expected


def test_a_negated_term_is_reported_as_suppressed(engine: kfscript.Engine) -> None:
    text = "没有破损，就是颜色发错了"
    suppressed = engine.classify(text).suppressed
    assert suppressed and all(s.rule.startswith("damaged/") for s in suppressed)
    assert {(s.cue, text[s.span[0]:s.span[1]]) for s in suppressed} == {("没有", "破损")}


@pytest.mark.parametrize("text", ["能不能包邮", "偏远地区能不能包邮呀", "能不能少点"])
def test_a_question_form_shields_its_negation_cue_however_jieba_cuts_it(
        engine: kfscript.Engine, text: str) -> None:
    # jieba cuts 能不能包邮 as 能/不/能包邮 (能包邮 is a rule term), so the not-cue 能不能
    # is not a word there; its 不 must still negate nothing
    result = engine.classify(text)
    assert [hit.intent for hit in result.intents] == ["bargaining"]
    assert result.suppressed == ()
    assert engine.classify("不包邮").intents == ()


def test_prepare_loads_the_dictionary_up_front() -> None:
    engine = _restored(kfscript.Engine.from_paths(rules=MINI_RULES))
    scanner = engine.matcher.scanner
    assert not scanner.loaded
    engine.prepare()
    assert scanner.loaded
    found, crossings = scanner.scan("打破纪录")
    assert crossings == bytearray([0, 1, 1, 1, 0])  # 打破纪录 itself crosses all three
    assert [engine.matcher.terms[term] for term, _, _ in found] == ["打破"]
    assert engine.classify("打破纪录了").intents == ()


def test_prepare_imports_jieba_so_no_message_waits_for_it() -> None:
    script = ("import sys, kfscript\n"
              f"engine = kfscript.Engine.from_paths(rules={str(MINI_RULES)!r})\n"
              "before = 'jieba' in sys.modules\n"
              "engine.prepare()\n"
              "print(before, 'jieba' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("text", ["订单编号是 2405128833", "单号 7736188520 帮我看下",
                                  "电话 13912315678"])
def test_no_term_starts_or_ends_inside_a_number(engine: kfscript.Engine, text: str) -> None:
    # jieba cuts 2405128833 as 240512/88/33: a word 88 (bye-bye) that is no goodbye
    assert engine.classify(text).intents == ()
    assert [hit.intent for hit in engine.classify("好的 88").intents] == ["thanks_goodbye"]
    assert [hit.intent for hit in engine.classify("打12315").intents] == ["complaint"]


def test_a_message_needing_no_word_edges_loads_no_dictionary(engine: kfscript.Engine) -> None:
    restored = _restored(engine)
    for text in ("在吗", "在吗？", "谢谢！！", "你好"):
        assert restored.classify(text) == engine.classify(text), text
    assert not restored.matcher.scanner.loaded
    assert restored.classify("杯子碎了").intents[0].intent == "damaged"
    assert restored.matcher.scanner.loaded


@pytest.mark.skipif(not hasattr(os, "fork"), reason="processes cannot fork here")
def test_a_child_forked_during_the_dictionary_load_loads_its_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _restored(kfscript.Engine.from_paths(rules=MINI_RULES))
    expected = kfscript.Engine.from_paths(rules=MINI_RULES).classify("杯子碎了")

    class Slow(Dictionary):
        def __init__(self, terms: Sequence[str], vocabulary: Sequence[tuple[str, int]]) -> None:
            time.sleep(1.0)  # the parent's loading thread is in here when the process forks
            super().__init__(terms, vocabulary)

    monkeypatch.setattr(segment, "Dictionary", Slow)
    loader = threading.Thread(target=engine.prepare)
    loader.start()
    time.sleep(0.2)
    child = os.fork()
    if child == 0:  # the child: a lock held by the parent's thread must not stop it
        signal.alarm(30)
        os._exit(0 if engine.classify("杯子碎了") == expected else 1)
    loader.join()
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
