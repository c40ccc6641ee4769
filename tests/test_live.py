"""Hot reload: a valid edit takes effect for new calls; a broken one keeps the old engine."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

import kfscript
from kfscript.engine import bundled

from .conftest import MINI_RULES


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(MINI_RULES, copy)
    return copy


def _add_term(rules: Path, term: str) -> None:
    path = rules / "missing_parts.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("漏发]", f"漏发, {term}]"),
                    encoding="utf-8")


def test_reload_applies_a_valid_edit(rules: Path) -> None:
    live = kfscript.LiveEngine(rules, bundled("phrasebank"))
    assert live.classify("缺了一个").intents == ()
    _add_term(rules, "缺了")
    assert live.reload() is True
    assert [h.intent for h in live.classify("缺了一个").intents] == ["missing_parts"]
    assert live.last_error is None


def test_broken_edit_keeps_the_last_good_engine(rules: Path) -> None:
    reported: list[kfscript.RuleFileError] = []
    live = kfscript.LiveEngine(rules, bundled("phrasebank"), on_error=reported.append)
    good = live.engine
    (rules / "damaged.yaml").write_text("intent: damaged\nrules: [\n", encoding="utf-8")
    assert live.reload() is False
    assert live.engine is good
    assert live.last_error is not None and "damaged.yaml:" in str(live.last_error)
    assert reported == [live.last_error]
    assert [h.intent for h in live.classify("杯子碎了").intents] == ["damaged"]


def test_watcher_swaps_atomically_under_load(rules: Path) -> None:
    texts = ["杯子碎了", "缺了一个", "在吗", "还少了一个螺丝"]
    seen: list[tuple[kfscript.Classification, ...]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    with kfscript.LiveEngine(rules, bundled("phrasebank"), interval=0.05) as live:
        old = {t: live.classify(t) for t in texts}

        def caller() -> None:
            try:
                while not stop.is_set():
                    seen.append(tuple(live.classify(t) for t in texts))
                    assert len(live.suggest("杯子碎了")) == 3
            except BaseException as error:  # reported to the main thread below
                errors.append(error)

        threads = [threading.Thread(target=caller) for _ in range(3)]
        for thread in threads:
            thread.start()
        (rules / "damaged.yaml").write_text("intent: damaged\nrules: [\n", encoding="utf-8")
        deadline = time.monotonic() + 20
        while live.last_error is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert live.last_error is not None
        shutil.copy(MINI_RULES / "damaged.yaml", rules / "damaged.yaml")
        _add_term(rules, "缺了")
        while live.last_error is not None or not live.classify("缺了一个").intents:
            assert time.monotonic() < deadline, "the watcher never applied the edit"
            time.sleep(0.02)
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == [] and seen
    new = live.classify("缺了一个")
    assert new.intents and new != old["缺了一个"]
    for results in seen:  # every call answered by the old engine or the new, never broken
        assert results[0] == old["杯子碎了"] and results[2] == old["在吗"]
        assert results[1] in (old["缺了一个"], new)


def test_a_reload_of_a_warm_engine_is_warm(rules: Path) -> None:
    live = kfscript.LiveEngine(rules, bundled("phrasebank"))
    assert live.reload() is True
    assert not live.engine.matcher.scanner.loaded  # nothing needed the dictionary yet
    live.classify("杯子碎了")  # needs word edges: loads it
    _add_term(rules, "缺了")
    assert live.reload() is True
    assert live.engine.matcher.scanner.loaded  # loaded before it went live
    assert [h.intent for h in live.classify("缺了一个").intents] == ["missing_parts"]
