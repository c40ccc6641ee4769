"""The on-disk cache of compiled engines: used when valid, rebuilt when not."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import kfscript
from kfscript import cache, dictionary
from kfscript.dictionary import JiebaWords

from .conftest import MINI_RULES


@pytest.fixture
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KFSCRIPT_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "rules"
    shutil.copytree(MINI_RULES, copy)
    return copy


def _engine_entries() -> list[Path]:
    """The cached engines (the cache also keeps kfscript's copy of jieba's dictionary)."""
    return [path for path in Path(cache.cache_dir() or "").glob("*.pickle")
            if path.stem != JiebaWords.cache_entry()]


def _forbid_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("compiled although the cache should have served")
    monkeypatch.setattr(kfscript.Engine, "_compile", staticmethod(refuse))


def test_second_start_uses_the_cache(rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = kfscript.Engine.from_paths(rules=rules)
    assert len(_engine_entries()) == 1
    _forbid_compiling(monkeypatch)
    second = kfscript.Engine.from_paths(rules=rules)
    assert second.classify("箱子破了，还少了一个螺丝") == first.classify("箱子破了，还少了一个螺丝")
    assert second.suggest("在吗") == first.suggest("在吗")


def test_an_edited_file_is_a_new_entry(rules: Path) -> None:
    kfscript.Engine.from_paths(rules=rules)
    assert kfscript.Engine.from_paths(rules=rules).classify("缺了一个").intents == ()
    path = rules / "missing_parts.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("漏发]", "漏发, 缺了]"),
                    encoding="utf-8")
    engine = kfscript.Engine.from_paths(rules=rules)
    assert len(_engine_entries()) == 2
    assert [h.intent for h in engine.classify("缺了一个").intents] == ["missing_parts"]


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_a_corrupt_entry_is_rebuilt(rules: Path, damage: str) -> None:
    expected = kfscript.Engine.from_paths(rules=rules).classify("杯子碎了")
    (entry,) = _engine_entries()
    data = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        entry.write_bytes(data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:])
    else:
        entry.write_bytes(b"not a cache at all")
    assert kfscript.Engine.from_paths(rules=rules).classify("杯子碎了") == expected
    assert cache.load(entry.stem) is not None  # rewritten, and valid again


def test_cache_can_be_turned_off(rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KFSCRIPT_CACHE_DIR", "")
    assert cache.cache_dir() is None
    assert kfscript.Engine.from_paths(rules=rules).classify("杯子碎了").intents


def test_a_file_rewritten_during_loading_cannot_poison_the_cache(
        rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original_key = cache.key
    path = rules / "missing_parts.yaml"
    before = path.read_text(encoding="utf-8")

    def key_then_edit(folders: list[dict[Path, bytes]]) -> str:
        entry = original_key(folders)
        path.write_text(before.replace("漏发]", "漏发, 缺了]"), encoding="utf-8")
        return entry

    monkeypatch.setattr(cache, "key", key_then_edit)
    engine = kfscript.Engine.from_paths(rules=rules)  # compiled from what was hashed
    assert engine.classify("缺了一个").intents == ()
    monkeypatch.setattr(cache, "key", original_key)
    edited = kfscript.Engine.from_paths(rules=rules)
    assert [h.intent for h in edited.classify("缺了一个").intents] == ["missing_parts"]
    path.write_text(before, encoding="utf-8")
    assert kfscript.Engine.from_paths(rules=rules).classify("缺了一个").intents == ()


def test_old_entries_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KFSCRIPT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cache, "KEEP", 3)
    for number in range(5):
        cache.store(f"entry{number}", number)
    kept = sorted(p.stem for p in tmp_path.glob("*.pickle"))
    assert len(kept) == 3 and "entry4" in kept
    assert cache.load("entry4") == 4


def test_the_dictionary_copy_is_cached_and_a_corrupt_one_read_again(rules: Path) -> None:
    read = JiebaWords.read()
    assert JiebaWords.load() == read  # read from jieba's file, then stored
    entry = Path(cache.cache_dir() or "") / f"{JiebaWords.cache_entry()}.pickle"
    assert cache.load(entry.stem) == read
    entry.write_bytes(entry.read_bytes()[:-100])
    assert JiebaWords.load() == read
    assert cache.load(entry.stem) == read  # rewritten
    assert "打破纪录" in read.listed() and read.total > 60_000_000


def test_a_changed_dictionary_file_is_read_again(rules: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "dict.txt"
    file.write_text("发货 30 v\n发 5 v\n货 5 n\n好的! 7 x\nB超 1 n\nB超 3 n\n", encoding="utf-8")
    monkeypatch.setattr(dictionary, "_dictionary_file", lambda: file)
    first = JiebaWords.load()
    assert first.listed() == ["发货", "B超"] and first.total == 51
    assert first.marked == (("好的!", 7),)  # never inside a stretch, kept for rule terms
    assert {"发", "B"} <= set(first.zero.split("\n"))
    file.write_text("发货 30 v\n退款 9 v\n", encoding="utf-8")
    os.utime(file, ns=(file.stat().st_mtime_ns + 10**9,) * 2)
    assert JiebaWords.load().listed() == ["发货", "退款"]
