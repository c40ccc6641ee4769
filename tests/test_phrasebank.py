"""The bundled phrasebank: enough phrases, over enough steps, for every intent."""

from __future__ import annotations

import kfscript
from kfscript.engine import bundled
from kfscript.loading import load_phrasebank
from kfscript.normalise import detect_script

SOURCES = load_phrasebank(bundled("phrasebank"))


def test_every_intent_and_the_fallback_have_six_phrases_over_three_steps() -> None:
    phrases: dict[str, list[str]] = {}
    for located in SOURCES.files:
        phrases.setdefault(located.model.intent, []).extend(
            p.step for p in located.model.phrases)
    assert set(phrases) == {*kfscript.INTENTS, "none"}
    for intent, steps in phrases.items():
        assert len(steps) >= 6 and len(set(steps)) >= 3, intent


def test_placeholders_have_documented_defaults() -> None:
    defaults = SOURCES.placeholders.model.placeholders
    assert {"shop", "agent", "customer"} <= set(defaults)
    assert all(value for value in defaults.values())


def test_phrases_are_simplified_and_ready_to_send() -> None:
    for located in SOURCES.files:
        for phrase in located.model.phrases:
            assert detect_script(phrase.text) == "simplified", phrase.id
            assert 4 <= len(phrase.text) <= 120, phrase.id


def test_every_intent_gets_three_different_replies() -> None:
    engine = kfscript.default_engine()
    samples = {"damaged": "杯子碎了", "missing_parts": "少了一个螺丝", "greeting": "在吗",
               "thanks_goodbye": "谢谢，拜拜", "bargaining": "能便宜点吗"}
    for intent, text in samples.items():
        found = engine.suggest(text, k=3)
        assert [s.intent for s in found] == [intent] * 3, text
        assert len({s.step for s in found}) == 3
