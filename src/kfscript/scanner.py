"""Find the rule terms in a folded message, and where jieba's dictionary words cross it.

Deciding whether a term's hit lies on word edges needs to know which positions some
dictionary word crosses (see segment.py). Finding those is an Aho-Corasick pass over the
message with jieba's 340,000 words; finding the terms is another. Once the dictionary is
loaded, one automaton (dictionary.py) holds both the terms and the words, so a single pass
yields the hits and the crossings together. Before that, a small automaton of the terms
alone serves, so a message that needs no word boundaries ("在吗") loads no dictionary.
"""

from __future__ import annotations

from typing import cast

import ahocorasick_rs

from .dictionary import Found, JiebaWords, dictionary_entries
from .segment import Segmenter, loading


class Scanner:
    """Immutable once built, apart from loading the dictionary once; thread-safe."""

    def __init__(self, segmenter: Segmenter) -> None:
        self.segmenter = segmenter
        self._terms_only: ahocorasick_rs.AhoCorasick | None = None
        """Made on first need: a process whose dictionary is loaded first never needs it
        (a third of a second at 100,000 terms)."""

    @property
    def loaded(self) -> bool:
        """Whether the dictionary is in (a full scan costs microseconds, not a second)."""
        return self.segmenter.loaded

    def entries(self) -> list[str]:
        """Everything the full automaton looks for, in its order (reads jieba's dictionary
        again: for measuring, not for matching)."""
        return dictionary_entries(self.segmenter.terms, JiebaWords.load().listed())

    def terms_in(self, folded: str) -> list[Found]:
        """Every occurrence of every term, overlapping ones included."""
        automaton = self._terms_only
        if automaton is None:
            with loading():
                if self._terms_only is None:
                    self._terms_only = ahocorasick_rs.AhoCorasick(list(self.segmenter.terms))
                automaton = self._terms_only
        return cast("list[Found]", automaton.find_matches_as_indexes(folded, overlapping=True))

    def scan(self, folded: str) -> tuple[list[Found], bytes]:
        """The terms found (as `terms_in`), and a byte per position of the text and its
        end: 1 where a dictionary word crosses it (or jieba glues ASCII), else 0 (made as
        a bytearray, handed on as bytes, which compiled code indexes without boxing)."""
        dictionary = self.segmenter.dictionary()
        count, crosses = dictionary.term_count, dictionary.crosses
        found: list[Found] = []
        crossings = bytearray(len(folded) + 1)
        for match in dictionary.find(folded):
            pattern, start, end = match
            if pattern < count:
                found.append(match)
            if crosses[pattern]:  # a two-character word, the usual one, crosses one place
                crossings[start + 1] = 1
                if end - start > 2:
                    crossings[start + 2:end] = b"\x01" * (end - start - 2)
        return found, bytes(crossings)
