"""Word boundaries from jieba, with the rule vocabulary added, in a private tokenizer.

A private `jieba.Tokenizer` keeps kfscript's vocabulary out of the process-wide default one
(an application's own jieba use is not changed by us). It is loaded on first use, because
loading jieba's dictionary is most of a cold start and many messages never need it.
HMM is off: new-word guessing would make boundaries depend on unrelated characters, and the
rule vocabulary already covers the words rules care about.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import jieba

logging.getLogger("jieba").setLevel(logging.WARNING)


class Segmenter:
    """Cuts folded clauses into words; safe to share between threads once built."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._vocabulary = tuple(sorted({word for word in vocabulary if len(word) > 1}))
        self._tokenizer: jieba.Tokenizer | None = None
        self._lock = threading.Lock()

    def _ready(self) -> jieba.Tokenizer:
        tokenizer = self._tokenizer
        if tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    fresh = jieba.Tokenizer()
                    fresh.initialize()
                    for word in self._vocabulary:
                        # the smallest frequency that keeps the word whole on its own, so
                        # rule terms stay whole without overriding jieba elsewhere
                        fresh.suggest_freq(word, tune=True)
                    self._tokenizer = fresh
                tokenizer = self._tokenizer
        return tokenizer

    def words(self, clause: str) -> list[str]:
        """The words of one clause, in order; they concatenate back to the clause."""
        return list(self._ready().cut(clause, HMM=False))

    def boundaries(self, clause: str) -> frozenset[int]:
        """Offsets in the clause where a word starts or ends (0 and len(clause) included)."""
        offsets = {0}
        position = 0
        for word in self._ready().cut(clause, HMM=False):
            position += len(word)
            offsets.add(position)
        return frozenset(offsets)
