"""An on-disk cache of compiled engines, keyed by the content of their files.

Building an engine reads YAML, validates it and builds the automaton and jieba vocabulary;
with 100,000 terms that takes seconds. The compiled form is pickled under a key that hashes
every rule and phrasebank file's name and bytes together with the versions of everything
that shapes the result, so a changed file or upgrade is simply a different key: a cache
entry is never stale. Each entry carries a SHA-256 of its payload, checked before unpickling,
so a truncated or corrupt file is rebuilt, never trusted. Writes are atomic (temp + rename).

The cache lives in $KFSCRIPT_CACHE_DIR, else $XDG_CACHE_HOME/kfscript, else ~/.cache/kfscript;
set KFSCRIPT_CACHE_DIR to an empty string to turn it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from dataclasses import fields
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .sources import Files

MAGIC = b"KFSCRIPT-CACHE-2\n"
KEEP = 32
"""Entries kept: every edit of a rule file makes a new one, so the oldest are removed."""
_DEPENDENCIES = ("kfscript", "jieba", "opencc-python-reimplemented")


def cache_dir() -> Path | None:
    configured = os.environ.get("KFSCRIPT_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kfscript"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


@cache
def _code_digest() -> bytes:
    """The Python, dependency and package-code part of every key: read once per process."""
    digest = hashlib.sha256(MAGIC)
    digest.update(sys.version.encode())
    for name in _DEPENDENCIES:
        digest.update(f"{name}={_version(name)};".encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):  # the code that compiles
        digest.update(source.read_bytes())
    return digest.digest()


def key(folders: list[Files]) -> str:
    """A digest of every file the engine is built from, and of the code that builds it."""
    digest = hashlib.sha256(_code_digest())
    for files in folders:
        digest.update(b"\0\0")
        for path, data in files.items():
            digest.update(f"\0{path.name}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


def named(name: str) -> str:
    """The key of something built by kfscript's code alone, such as its copy of jieba's
    dictionary: it changes with the code and the dependency versions."""
    return hashlib.sha256(_code_digest() + name.encode()).hexdigest()


def load(entry: str) -> object | None:
    """The cached object, or None when there is none or it does not check out."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        data = (folder / f"{entry}.pickle").read_bytes()
    except OSError:
        return None
    head = len(MAGIC)
    if data[:head] != MAGIC or hashlib.sha256(data[head + 32:]).digest() != data[head:head + 32]:
        return None
    try:
        value: object = pickle.loads(data[head + 32:])
    except Exception:  # a payload that passed its checksum but cannot be read: rebuild
        return None
    return value


def store(entry: str, value: object) -> None:
    """Save `value` under `entry`; a cache that cannot be written is silently skipped."""
    folder = cache_dir()
    if folder is None:
        return
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".tmp") as out:
            out.write(MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(out.name, folder / f"{entry}.pickle")
        _prune(folder)
    except OSError:
        return


def _prune(folder: Path) -> None:
    """Remove all but the KEEP most recently written entries."""
    entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)


def by_constructor(value: Any) -> tuple[type[Any], tuple[Any, ...]]:
    """How a frozen dataclass pickles (its `__reduce__`): its class and fields, so loading
    calls the constructor. Compiled by mypyc, a frozen dataclass refuses pickle's default
    way, which sets each field on a bare instance."""
    return type(value), tuple(getattr(value, field.name) for field in fields(value))
