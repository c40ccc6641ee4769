"""jieba's dictionary with the rule terms added, held compactly.

jieba keeps its dictionary as a Python dict of every word and every prefix of one: 600,000
keys, about 60 MB, most of a second to load. kfscript needs the dictionary for two things:
the positions that words cross in a message (scanner.py) and jieba's cut of a short stretch
(segment.py). One Aho-Corasick automaton (ahocorasick_rs, in Rust) over the rule terms and
the words, with each entry's frequency in an array, serves both:

- one scan of a message finds the terms and every dictionary word in it, and every pair
  of adjacent ASCII letters or digits (jieba glues a run of them into one word);
- jieba cuts a stretch with a frequency table of just the words found in that stretch, and
  their prefixes (`table`). jieba only ever looks up pieces of the text it is cutting, so
  it cuts exactly as it would with its whole dictionary.

Building an engine works out the rule terms' frequencies and word edges with the same
tables, made from a plain dict of the words instead (`WordCounts`): no automaton is needed
for that. jieba's dictionary file is read once into a flat copy (`JiebaWords`) kept in
kfscript's cache.
"""

from __future__ import annotations

import importlib.util
import re
import string
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import ahocorasick_rs

from . import cache
from .normalise import CLAUSE_MARKS

Found = tuple[int, ...]
"""An entry found: (entry number, start, end), as the automaton reports it. Typed as a
tuple of any length because compiled code unpacks a fixed-size tuple type into C values and
would build a new tuple each time it stored one; this way the automaton's own is kept."""

_WORD = re.compile(r"^\S+(?= \d)", re.MULTILINE)
_COUNT = re.compile(r"^\S+ (\d+)", re.MULTILINE)
_ASCII_RUN = re.compile("[a-zA-Z0-9]+")
_ALNUM = string.ascii_letters + string.digits
ASCII_PAIRS = tuple(first + second for first in _ALNUM for second in _ALNUM)
"""Found by the automaton as entries of no frequency that cross the position between their
characters: the insides of an ASCII run, marked in the same pass as the words."""


@dataclass(frozen=True)
class JiebaWords:
    """jieba's main dictionary in a few flat pieces, read from its text file once and then
    kept in kfscript's cache, where loading it takes milliseconds instead of most of a
    second of parsing.

    Read as jieba reads the file (word, frequency, tag per line): a word listed twice keeps
    its last frequency, and every line counts towards the total.
    """

    words: str
    """Words of two characters or more with a frequency above 0 and no clause mark, one a
    line: the words that can lie inside a stretch."""
    counts: bytes
    """Their frequencies (a machine-order array of 64-bit integers)."""
    marked: tuple[tuple[str, int], ...]
    """Words holding a clause mark, with their frequencies (jieba's own dictionary has
    none): never inside a stretch, but a rule term spelled the same starts from them."""
    singles: str
    """Single-character words, one string."""
    single_counts: bytes
    zero: str
    """What the dictionary holds with frequency 0 besides words: the prefixes of words, of
    the kinds a cut can return as a piece (single characters and runs of ASCII letters and
    digits), one a line."""
    total: int

    @staticmethod
    def cache_entry() -> str:
        """The copy's cache key: the code and dependency versions, and the file's path, size
        and time of change, so an edited or replaced dict.txt is read again."""
        path = _dictionary_file()
        stat = path.stat()
        return cache.named(f"jieba dictionary {path} {stat.st_size} {stat.st_mtime_ns}")

    @classmethod
    def load(cls) -> JiebaWords:
        """From kfscript's cache, else from jieba's file (then cached)."""
        entry = cls.cache_entry()
        found = cache.load(entry)
        if isinstance(found, cls):
            return found
        words = cls.read()
        cache.store(entry, words)
        return words

    @classmethod
    def read(cls) -> JiebaWords:
        """From jieba's dictionary file."""
        text = _dictionary_file().read_text(encoding="utf-8")
        counts = array("q", map(int, _COUNT.findall(text)))
        latest = dict(zip(_WORD.findall(text), counts, strict=True))
        kept = [word for word, count in latest.items()
                if len(word) > 1 and count and CLAUSE_MARKS.isdisjoint(word)]
        marked = tuple((word, count) for word, count in latest.items()
                       if len(word) > 1 and count and not CLAUSE_MARKS.isdisjoint(word))
        singles = "".join(word for word in latest if len(word) == 1)
        zero = ({word[0] for word in latest}
                | {prefix for word in latest if word[0].isascii()
                   for prefix in _ascii_prefixes(word)})
        return cls("\n".join(kept), array("q", (latest[word] for word in kept)).tobytes(),
                   marked, singles, array("q", (latest[char] for char in singles)).tobytes(),
                   "\n".join(sorted(zero)), sum(counts))

    def listed(self) -> list[str]:
        """The words, in the dictionary's order."""
        return self.words.split("\n")

    def single(self) -> dict[str, int]:
        """Single-character words and their frequencies."""
        return dict(zip(self.singles, _integers(self.single_counts), strict=True))


class Dictionary:
    """The terms first (entry i is term i), then jieba's words that are not terms (see
    `JiebaWords.words`), then the ASCII pairs (`dictionary_entries`); a frequency per entry
    (0: the entry is no word) and the dictionary's total, with the rule vocabulary added as
    jieba's `add_word` would.

    Immutable, so safe to share between threads. Whoever makes one should call
    `release_freed_memory()` afterwards: making it frees tens of megabytes of scratch.
    """

    def __init__(self, terms: Sequence[str], vocabulary: Sequence[tuple[str, int]]) -> None:
        jieba_words = JiebaWords.load()
        self.term_count = len(terms)
        self.automaton, self.frequency = _automaton(terms, jieba_words)
        """The frequency of each entry as a word of two characters or more."""
        numbers = {term: number for number, term in enumerate(terms)}
        for word, count in vocabulary:
            self.frequency[numbers[word]] = count
        self.crosses = bytes(bytearray(
            bool(count) and CLAUSE_MARKS.isdisjoint(term)
            for term, count in zip(terms, self.frequency, strict=False))) + b"\x01" * (
                len(self.frequency) - len(terms))
        """1 for an entry whose hits cross the positions inside them: a word, or an ASCII
        pair. (bytes, not bytearray: compiled, indexing bytes is a C array read)"""
        self.total = jieba_words.total + sum(count for _, count in vocabulary)
        self.single = jieba_words.single()
        """jieba's single-character words and their frequencies."""

    def find(self, text: str) -> list[Found]:
        """Every entry in `text`, overlapping ones included."""
        return cast("list[Found]", self.automaton.find_matches_as_indexes(text, overlapping=True))

    def table(self, text: str) -> dict[str, int]:
        """The part of jieba's frequency table that cutting `text` can look at: the words
        in it, with their frequencies, and the prefixes of those words (0 if no word)."""
        frequency = self.frequency
        return _table(text, ((start, end, count) for number, start, end in self.find(text)
                             if end - start > 1 and (count := frequency[number])),
                      self.single)


class WordCounts:
    """jieba's dictionary as a plain dict, for building: finding the words in each of
    100,000 short terms needs no automaton, so a process that only builds never makes one.
    Words are added as the build suggests them, as jieba's `add_word` would."""

    def __init__(self, jieba_words: JiebaWords) -> None:
        self.counts = dict(zip(jieba_words.listed(), _integers(jieba_words.counts),
                               strict=True))
        self.counts.update(jieba_words.marked)
        self.single = jieba_words.single()
        self.zero = set(jieba_words.zero.split("\n"))
        """See `JiebaWords.zero`. (A word kept here too is found in `table` first.)"""
        self.total = jieba_words.total

    def add_word(self, word: str, count: int) -> None:
        """jieba's `add_word`: the word's frequency, the total, the word's prefixes."""
        self.counts[word] = count
        self.total += count
        self.zero.add(word[0])
        if word[0].isascii():
            self.zero.update(_ascii_prefixes(word))

    def table(self, text: str) -> dict[str, int]:
        """As `Dictionary.table`, looking up every piece of `text` (texts here are short)."""
        counts = self.counts
        return _table(text, ((start, end, count) for start in range(len(text))
                             for end in range(start + 2, len(text) + 1)
                             if (count := counts.get(text[start:end], 0))),
                      self.single)

    def lookup(self, piece: str, table: dict[str, int]) -> int:
        """jieba's `FREQ.get(piece, 1)` over its whole dictionary, for a piece of a cut of
        the text `table` was made for: a word, a single character or an ASCII run."""
        found = table.get(piece)
        if found is not None:
            return found
        return 0 if piece in self.zero else 1


def _table(text: str, words: Iterable[tuple[int, int, int]],
           single: dict[str, int]) -> dict[str, int]:
    """The single characters of `text` that are words, and the `words` found in it
    (start, end, frequency) with their prefixes, which jieba's get_DAG needs to walk to
    them (0 where no word)."""
    found = {char: count for char in text if (count := single.get(char))}
    for start, end, count in words:
        found[text[start:end]] = count
        for cut in range(start + 1, end):
            found.setdefault(text[start:cut], 0)
    return found


def _dictionary_file() -> Path:
    """jieba's dictionary file, found without importing jieba (its import alone costs
    10 MB)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("kfscript needs jieba's dictionary: pip install jieba")
    return Path(spec.origin).parent / "dict.txt"


def _automaton(terms: Sequence[str], jieba_words: JiebaWords
               ) -> tuple[ahocorasick_rs.AhoCorasick, array[int]]:
    """The automaton over the terms and then the words that are not terms, and each entry's
    frequency. The 340,000 word strings live only in here: what the dictionary keeps is
    made after they are gone, since one object kept alive among them would keep the whole
    block of memory it sits in."""
    listed = jieba_words.listed()
    counts = _integers(jieba_words.counts)
    known = set(terms)
    of_terms = dict(jieba_words.marked)
    of_terms.update((word, count) for word, count in zip(listed, counts, strict=True)
                    if word in known)
    frequency = array("q", (of_terms.get(term, 0) if len(term) > 1 else 0 for term in terms))
    frequency.extend(count for word, count in zip(listed, counts, strict=True)
                     if word not in known)
    entries = dictionary_entries(terms, listed)
    frequency.extend([0] * (len(entries) - len(frequency)))  # the ASCII pairs: no words
    return ahocorasick_rs.AhoCorasick(entries), frequency


def dictionary_entries(terms: Sequence[str], listed: list[str]) -> list[str]:
    """What the automaton looks for, in its order: the terms, then the `listed` words
    (`JiebaWords.listed()`) that are not terms, then the ASCII pairs that are neither (one
    that is already an entry crosses its middle as that entry)."""
    known = set(terms)
    ascii_words = {word for word in listed if len(word) == 2 and word.isascii()}
    return [*terms, *(word for word in listed if word not in known),
            *(pair for pair in ASCII_PAIRS if pair not in known and pair not in ascii_words)]


def _integers(packed: bytes) -> array[int]:
    found = array("q")
    found.frombytes(packed)
    return found


def _ascii_prefixes(word: str) -> list[str]:
    """The prefixes of `word` made of ASCII letters and digits only, the word included."""
    run = _ASCII_RUN.match(word)
    return [word[:end] for end in range(1, run.end() + 1)] if run else []
