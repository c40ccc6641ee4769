"""Find the rule terms in a folded message, and where jieba's dictionary words cross it.

Deciding whether a term's hit lies on word edges needs to know which positions some
dictionary word crosses (see segment.py). Finding those is an Aho-Corasick pass over the
message with jieba's 340,000 words; finding the terms is another. Once jieba's dictionary
is loaded, one automaton (ahocorasick_rs, in Rust) holds both the terms and the words, so
a single pass yields the hits and the crossings together. Before that, a small automaton
of the terms alone serves, so a message that needs no word boundaries ("在吗") loads no
jieba at all.
"""

from __future__ import annotations

import threading

import ahocorasick_rs

from .segment import Segmenter, mark_ascii_runs

Found = tuple[int, int, int]
"""A term found: (term number, start, end), as the automaton reports it."""


class Scanner:
    """Immutable once built, apart from loading the dictionary once; thread-safe."""

    def __init__(self, terms: tuple[str, ...], segmenter: Segmenter) -> None:
        self.terms = terms
        self.segmenter = segmenter
        self._terms_only = ahocorasick_rs.AhoCorasick(list(terms))
        self._full: tuple[ahocorasick_rs.AhoCorasick, bytes] | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether jieba's dictionary is in (a full scan costs microseconds, not a second)."""
        return self._full is not None

    def load(self) -> None:
        """Load jieba's dictionary and build the full automaton, if not done yet."""
        self._load()

    def entries(self) -> list[str]:
        """Everything the full automaton looks for, in its order: the terms, then the
        dictionary words that are not terms (loads jieba's dictionary)."""
        return self._entries(self.segmenter.dictionary_words())

    def _entries(self, words: dict[str, None]) -> list[str]:
        known = set(self.terms)
        return [*self.terms, *(word for word in words if word not in known)]

    def terms_in(self, folded: str) -> list[Found]:
        """Every occurrence of every term, overlapping ones included."""
        return self._terms_only.find_matches_as_indexes(folded, overlapping=True)

    def scan(self, folded: str) -> tuple[list[Found], bytearray]:
        """The terms found (as `terms_in`), and a byte per position of the text and its
        end: 1 where a dictionary word crosses it (or jieba glues ASCII), else 0."""
        automaton, crosses = self._full or self._load()
        count = len(self.terms)
        found: list[Found] = []
        crossings = bytearray(len(folded) + 1)
        for match in automaton.find_matches_as_indexes(folded, overlapping=True):
            pattern, start, end = match
            if pattern < count:
                found.append(match)
            if crosses[pattern]:  # a two-character word, the usual one, crosses one place
                crossings[start + 1] = 1
                if end - start > 2:
                    crossings[start + 2:end] = b"\x01" * (end - start - 2)
        mark_ascii_runs(folded, crossings)
        return found, crossings

    def _load(self) -> tuple[ahocorasick_rs.AhoCorasick, bytes]:
        with self._lock:
            if self._full is None:
                words = self.segmenter.dictionary_words()
                entries = self._entries(words)
                # the entries after the terms are dictionary words: all of them cross
                crosses = (bytes(len(term) > 1 and term in words for term in self.terms)
                           + b"\x01" * (len(entries) - len(self.terms)))
                self._full = (ahocorasick_rs.AhoCorasick(entries), crosses)
            return self._full
