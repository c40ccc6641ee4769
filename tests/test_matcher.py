"""The matcher on a small rule set (tests/fixtures/mini_rules) whose answers are known."""

from __future__ import annotations

import shutil
from pathlib import Path

import kfscript

from .conftest import MINI_RULES


def intents(engine: kfscript.Engine, text: str) -> list[str]:
    return [hit.intent for hit in engine.classify(text).intents]


def test_several_intents_in_one_message(mini: kfscript.Engine) -> None:
    assert intents(mini, "箱子破了，还少了一个螺丝") == ["damaged", "missing_parts"]


def test_terms_match_on_word_boundaries_only(mini: kfscript.Engine) -> None:
    assert intents(mini, "这个多少钱") == []          # 少 inside 多少
    assert intents(mini, "打破纪录了") == []          # 打破 inside 打破纪录
    assert intents(mini, "就少了一个") == ["missing_parts"]


def test_spans_point_into_the_original_text(mini: kfscript.Engine) -> None:
    text = "ＯＫ，東西碎了"
    (hit,) = mini.classify(text).intents
    assert [text[s:e] for s, e in hit.spans] == ["碎了"]
    assert hit.rules == ("damaged/broken",)


def test_negation_cancels_the_term_it_governs(mini: kfscript.Engine) -> None:
    result = mini.classify("没有碎了，就是少了螺丝")
    assert [h.intent for h in result.intents] == ["missing_parts"]
    assert result.suppressed == (kfscript.Suppression("damaged/broken", "没有", (2, 4)),)


def test_negation_stays_in_its_clause_and_before_breakers(mini: kfscript.Engine) -> None:
    assert intents(mini, "没有别的，杯子碎了") == ["damaged"]
    assert intents(mini, "不是别的就是碎了") == ["damaged"]  # the breaker 就是 ends its reach
    assert intents(mini, "不用退款，补发就行") == []


def test_a_not_cue_negates_nothing(mini: kfscript.Engine) -> None:
    assert intents(mini, "给我退款不然差评") == ["return_refund"]


def test_all_groups_must_be_within_the_window(mini: kfscript.Engine) -> None:
    assert intents(mini, "箱子被压扁了") == ["damaged"]
    assert intents(mini, "箱子我昨天晚上去门口拿回来的时候发现压扁了") == []


def test_a_veto_anywhere_stops_the_rule_in_every_clause(mini: kfscript.Engine) -> None:
    assert intents(mini, "箱子压扁了") == ["damaged"]
    assert intents(mini, "箱子压扁了，不过东西没事") == []  # another clause: `none` would miss it
    assert intents(mini, "里面没事。杯子碎了？？") == []
    assert intents(mini, "东西没事，就是少了一个") == ["missing_parts"]  # other intents stay


def test_a_whole_message_rule_needs_its_term_to_be_all_the_message(
        mini: kfscript.Engine) -> None:
    assert intents(mini, "退！！") == ["return_refund"]
    assert intents(mini, " 😡退～ ") == ["return_refund"]  # marks, spaces and emoji aside
    assert intents(mini, "退了吧") == []
    assert intents(mini, "退，退") == []  # two hits, neither all the message
    assert intents(mini, "在？") == ["greeting"]
    assert intents(mini, "我在外地") == []


def test_low_weight_rules_need_support(mini: kfscript.Engine) -> None:
    assert intents(mini, "不想要") == []                      # 0.3 < 0.5
    (hit,) = mini.classify("不想要了，退款").intents
    assert hit.score == 1.0 and set(hit.rules) == {"return_refund/refund", "return_refund/weak"}


def test_alone_only_intent_yields_to_any_other(mini: kfscript.Engine) -> None:
    assert intents(mini, "在吗") == ["greeting"]
    assert intents(mini, "在吗，杯子碎了") == ["damaged"]


def test_anger_from_words_marks_and_emoji(mini: kfscript.Engine) -> None:
    assert mini.classify("杯子碎了").anger == 0.0
    assert mini.classify("杯子碎了！！").anger == 0.6
    assert mini.classify("杯子碎了😡").anger == 0.6
    assert mini.classify("气死了，杯子碎了！！").anger == round(1 - 0.2 * 0.4, 4)
    assert mini.classify("气死了").angry


def _mini_with_anger(tmp_path: Path, written: str, instead: str) -> kfscript.Engine:
    """The mini rules with one piece of their anger file written differently."""
    rules = tmp_path / "rules"
    shutil.copytree(MINI_RULES, rules)
    anger = rules / "_anger.yaml"
    text = anger.read_text(encoding="utf-8")
    assert written in text
    anger.write_text(text.replace(written, instead), encoding="utf-8")
    return kfscript.Engine.from_paths(rules=rules)


def test_repeated_marks_need_a_run_of_min_run(tmp_path: Path) -> None:
    engine = _mini_with_anger(tmp_path, "min_run: 2", "min_run: 3")
    assert engine.classify("杯子碎了！！").anger == 0.0
    assert engine.classify("杯子碎了！?！").anger == 0.6  # any marks, either width, in a row
    assert engine.classify("杯子碎了！！，！").anger == 0.0


def test_repeated_marks_written_in_one_width_find_both(tmp_path: Path) -> None:
    engine = _mini_with_anger(tmp_path, '"!！?？"', '"!?"')
    assert engine.classify("杯子碎了！！").anger == 0.6
    assert engine.classify("杯子碎了？!").anger == 0.6


def test_scores_are_in_range_and_sorted(mini: kfscript.Engine) -> None:
    found = mini.classify("不想要了，退款，杯子碎了").intents
    assert all(0 < hit.score <= 1 for hit in found)
    assert [h.score for h in found] == sorted((h.score for h in found), reverse=True)


def test_alone_only_rule_counts_only_without_other_intents(mini: kfscript.Engine) -> None:
    assert intents(mini, "好的") == ["thanks_goodbye"]
    assert intents(mini, "好的，杯子碎了") == ["damaged"]
    assert intents(mini, "谢谢，杯子碎了") == ["damaged", "thanks_goodbye"]
    assert intents(mini, "好的，谢谢") == ["thanks_goodbye"]
    (hit,) = mini.classify("好的，谢谢").intents
    assert hit.rules == ("thanks_goodbye/thanks",)  # the alone_only rule adds nothing then


def test_none_rules_silence_alone_only_rules_and_are_never_reported(
        mini: kfscript.Engine) -> None:
    assert intents(mini, "在吗，有货吗") == []          # a pre-sale question, not a greeting
    assert intents(mini, "好的，有货吗") == []
    assert intents(mini, "有货吗") == []
    assert intents(mini, "在吗，尺码发的少了") == ["missing_parts"]  # other intents unchanged
