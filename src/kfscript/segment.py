"""Word boundaries from jieba, with the rule vocabulary added, in a private tokenizer.

A private `jieba.Tokenizer` keeps kfscript's vocabulary out of the process-wide default one.
HMM is off: new-word guessing would make boundaries depend on unrelated characters, and the
rule vocabulary already covers the words rules care about.

Most hits never need jieba at all. With HMM off, jieba picks a path through the words of
its dictionary found in the clause, so a position that no dictionary word *crosses* (starts
before it and ends after it) is a word boundary on every path, whatever jieba chooses. The
build step therefore lists the "crossing words": dictionary words that could straddle a
boundary of some rule term. The matcher finds them with the same automaton as the terms,
and runs jieba only on a clause where one of them straddles a hit's edge. The answer is
the same as always segmenting; `tests/reference.py` checks that.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jieba

ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
"""jieba glues runs of these single characters into one word, across any boundary."""


def _fresh_tokenizer() -> jieba.Tokenizer:
    import jieba  # deferred: importing and loading jieba is most of a cold start

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


class Segmenter:
    """Cuts folded clauses into words; safe to share between threads.

    `vocabulary` is the rule terms with the frequencies they were added with, in order, so
    a segmenter restored from the cache rebuilds exactly the tokenizer it was built with.
    The tokenizer itself is created on first use and never pickled.
    """

    def __init__(self, vocabulary: tuple[tuple[str, int], ...],
                 tokenizer: jieba.Tokenizer | None = None) -> None:
        self.vocabulary = vocabulary
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    @classmethod
    def build(cls, terms: Iterable[str]) -> tuple[Segmenter, list[str]]:
        """A segmenter knowing `terms`, and the crossing words of those terms."""
        tokenizer = _fresh_tokenizer()
        wanted = sorted({term for term in terms if len(term) > 1})
        # the smallest frequency that keeps each term whole on its own, so rule terms stay
        # whole without overriding jieba's judgement elsewhere
        vocabulary = tuple((word, int(tokenizer.suggest_freq(word, tune=True)))
                           for word in wanted)
        words = [word for word, freq in tokenizer.FREQ.items() if freq and len(word) > 1]
        return cls(vocabulary, tokenizer), crossing_words(words, terms)

    def __getstate__(self) -> dict[str, Any]:
        return {"vocabulary": self.vocabulary}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["vocabulary"])  # type: ignore[misc]

    def _ready(self) -> jieba.Tokenizer:
        tokenizer = self._tokenizer
        if tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    fresh = _fresh_tokenizer()
                    for word, freq in self.vocabulary:
                        fresh.add_word(word, freq)
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


def crossing_words(words: Iterable[str], terms: Iterable[str]) -> list[str]:
    """The words that can straddle the start or the end of some term's occurrence.

    A word straddles a term's start when, split somewhere inside it, its tail is a prefix of
    the term or begins with the whole term; it straddles a term's end when its head is a
    suffix of the term or ends with the whole term.
    """
    term_set = set(terms)
    prefixes = {term[:i] for term in term_set for i in range(1, len(term) + 1)}
    suffixes = {term[i:] for term in term_set for i in range(len(term))}
    longest = max((len(term) for term in term_set), default=0)
    found = []
    for word in words:
        for split in range(1, len(word)):
            head, tail = word[:split], word[split:]
            if (tail in prefixes or head in suffixes
                    or any(tail[:n] in term_set for n in range(1, min(len(tail), longest) + 1))
                    or any(head[-n:] in term_set for n in range(1, min(len(head), longest) + 1))):
                found.append(word)
                break
    return found
