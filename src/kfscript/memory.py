"""Giving freed memory back to the system.

Building an engine or the dictionary's automaton frees tens of megabytes of scratch: lists,
dict tables and Rust buffers, all from the C library's heap, which glibc keeps for reuse
instead of returning it. A long-running process would carry that as resident memory.
"""

from __future__ import annotations

import contextlib
import ctypes


def release_freed_memory() -> None:
    """Ask glibc to return its free heap pages (`malloc_trim`); elsewhere, do nothing."""
    with contextlib.suppress(AttributeError, OSError, TypeError):
        ctypes.CDLL(None).malloc_trim(0)
