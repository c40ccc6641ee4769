"""jieba's dictionary with the rule terms added, held compactly.

jieba keeps its dictionary as a Python dict of every word and every prefix of one: 600,000
keys, about 60 MB, most of a second to load. kfscript needs the dictionary for two things:
the positions that words cross in a message (scanner.py) and jieba's cut of a short stretch
(segment.py). One Aho-Corasick automaton (ahocorasick_rs, in Rust) over the rule terms and
the words, with each entry's frequency in an array, serves both:

- one scan of a message finds the terms and every dictionary word in it;
- jieba cuts a stretch with a frequency table of just the words found in that stretch, and
  their prefixes (`table`). jieba only ever looks up pieces of the text it is cutting, so
  it cuts exactly as it would with its whole dictionary.
"""

from __future__ import annotations

import importlib.util
import re
from array import array
from collections.abc import Sequence
from pathlib import Path

import ahocorasick_rs

from .memory import release_freed_memory
from .normalise import CLAUSE_MARKS

Found = tuple[int, int, int]
"""An entry found: (entry number, start, end), as the automaton reports it."""

_WORD = re.compile(r"^\S+(?= \d)", re.MULTILINE)
_COUNT = re.compile(r"^\S+ (\d+)", re.MULTILINE)
_ASCII_RUN = re.compile("[a-zA-Z0-9]+")


def jieba_dictionary() -> tuple[dict[str, int], int]:
    """jieba's main dictionary read as jieba reads it (word, frequency, tag per line): a
    word listed twice keeps its last frequency, and every line counts towards the total.
    The file is found without importing jieba, whose import alone costs 10 MB."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("kfscript needs jieba's dictionary: pip install jieba")
    text = (Path(spec.origin).parent / "dict.txt").read_text(encoding="utf-8")
    counts = array("q", map(int, _COUNT.findall(text)))
    return dict(zip(_WORD.findall(text), counts, strict=True)), sum(counts)


class Dictionary:
    """The terms first (entry i is term i), then jieba's words of two characters or more
    that hold no clause mark; a frequency per entry (0: the entry is no word) and the
    dictionary's total, with the rule vocabulary added as jieba's `add_word` would.

    Immutable once built, apart from `add_word`, which only Segmenter.build calls, before
    anyone else sees the dictionary; safe to share between threads after that.
    """

    def __init__(self, terms: Sequence[str], vocabulary: Sequence[tuple[str, int]]) -> None:
        words, total = jieba_dictionary()
        entries = dictionary_entries(terms, words)
        self.term_count = len(terms)
        self.frequency = array("q", (words.get(term, 0) if len(term) > 1 else 0
                                     for term in terms))
        self.frequency.extend(words[word] for word in entries[len(terms):])
        """Each entry's frequency as a word of two characters or more."""
        self.crosses = bytearray(bool(count) and CLAUSE_MARKS.isdisjoint(term)
                                 for term, count in zip(terms, self.frequency, strict=False))
        self.crosses.extend(b"\x01" * (len(entries) - len(terms)))
        """1 for an entry whose hits cross the positions inside them: a word."""
        self.total = total
        self.automaton = ahocorasick_rs.AhoCorasick(entries)
        # What stays is made afresh once the 350,000 words are gone: one of them kept alive
        # would keep the whole block of memory it sits in.
        singles = "".join(word for word in words if len(word) == 1)
        counts = array("q", (words[char] for char in singles))
        zero = "\n".join({word[0] for word in words}
                         | {prefix for word in words if word[0].isascii()
                            for prefix in _ascii_prefixes(word)})
        del words, entries
        release_freed_memory()
        self.single = dict(zip(singles, counts, strict=True))
        """jieba's single-character words and their frequencies."""
        self.zero = set(zero.split("\n"))
        """What jieba's dictionary holds with frequency 0 besides words: the prefixes of
        words. Only those a cut can return as a piece matter: single characters and runs
        of ASCII letters and digits. (A word kept here too is found in `table` first.)"""
        numbers = {term: number for number, term in enumerate(terms)}
        for word, count in vocabulary:
            self.add_word(numbers[word], word, count)

    def add_word(self, number: int, word: str, count: int) -> None:
        """jieba's `add_word` for rule term `number`, `word`: its frequency, the total and
        its prefixes."""
        self.frequency[number] = count
        self.crosses[number] = CLAUSE_MARKS.isdisjoint(word)
        self.total += count
        self.zero.add(word[0])
        if word[0].isascii():
            self.zero.update(_ascii_prefixes(word))

    def find(self, text: str) -> list[Found]:
        """Every entry in `text`, overlapping ones included."""
        return self.automaton.find_matches_as_indexes(text, overlapping=True)

    def table(self, text: str) -> dict[str, int]:
        """The part of jieba's frequency table that cutting `text` can look at: the words
        in it, with their frequencies, and the prefixes of those words (0 if no word)."""
        single = self.single
        found = {char: count for char in text if (count := single.get(char))}
        frequency = self.frequency
        for number, start, end in self.find(text):
            count = frequency[number]
            if count and end - start > 1:
                found[text[start:end]] = count
                for cut in range(start + 1, end):
                    found.setdefault(text[start:cut], 0)
        return found

    def lookup(self, piece: str, table: dict[str, int]) -> int:
        """jieba's `FREQ.get(piece, 1)` over its whole dictionary, for a piece of a cut of
        the text `table` was made for: a word, a single character or an ASCII run."""
        found = table.get(piece)
        if found is not None:
            return found
        return 0 if piece in self.zero else 1


def dictionary_entries(terms: Sequence[str], words: dict[str, int]) -> list[str]:
    """What the automaton looks for, in its order: the terms, then the dictionary's words
    (frequency above 0) of two characters or more that are not terms and hold no clause
    mark (a stretch never holds one, so the positions beside a clause mark are never
    crossed)."""
    known = set(terms)
    return [*terms, *(word for word, count in words.items() if len(word) > 1 and count
                      and word not in known and CLAUSE_MARKS.isdisjoint(word))]


def _ascii_prefixes(word: str) -> list[str]:
    """The prefixes of `word` made of ASCII letters and digits only, the word included."""
    run = _ASCII_RUN.match(word)
    return [word[:end] for end in range(1, run.end() + 1)] if run else []
