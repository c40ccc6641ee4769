"""Word boundaries as jieba cuts them, with the rule vocabulary added to its dictionary.

jieba's own code (get_DAG, calc, cut) decides every cut, but over a compact copy of its
dictionary (dictionary.py) rather than the 60 MB one jieba loads, and with kfscript's
vocabulary kept out of jieba's process-wide default tokenizer. HMM is off: new-word
guessing would make boundaries depend on unrelated characters, and the rule vocabulary
already covers the words rules care about.

Most hits never need jieba to run. With HMM off, jieba picks a path through the words of its
dictionary found in the clause, so a position that no dictionary word *crosses* (starts
before it and ends after it) is a word boundary on every path, whatever jieba chooses, and
the clause's words on either side of such a point are independent of each other. So:

- until the dictionary is loaded, a message whose hits are whole clauses, or lie in clauses
  that are themselves rule terms (cut at build time), needs nothing (the cold-start "在吗");
- otherwise one scan of the message with an automaton over jieba's whole dictionary (in
  Rust, built once, on first need, together with the rule terms: dictionary.py) finds the
  crossed positions; a hit whose edges are not crossed is on word boundaries;
- only a hit with a crossed edge is decided by jieba, which cuts just the stretch around
  it between the nearest uncrossed points: the words there are the words the whole clause
  would have there.

The answers are the same as segmenting every clause, with one caveat handled: when two ways
to cut a stretch score the same to within floating-point rounding ("发货未发货"), adding the
rest of the clause's score can tip jieba either way, so such a stretch is decided by cutting
its whole clause. `tests/reference.py` checks the answers against jieba's cut of every
whole clause.
"""

from __future__ import annotations

import importlib
import math
import os
import re
import threading
from typing import TYPE_CHECKING, Any, Final

from .dictionary import Dictionary, JiebaWords, WordCounts
from .memory import release_freed_memory

if TYPE_CHECKING:
    import jieba

HAN_ONLY = re.compile("[\u4E00-\u9FD5]+")
"""A stretch jieba treats as one block with no ASCII gluing: its words come straight from the
dictionary graph (jieba's own get_DAG and calc), without cut()'s per-call splitting."""

MEMO_LONGEST: Final = 8
MEMO_SIZE: Final = 50_000
"""Short stretches ("不是", "没发货") recur across messages; their word edges are remembered,
up to this many, so common ambiguities cost one dict lookup (a bound, not a message cache)."""


class Segmenter:
    """Decides word boundaries in folded clauses; safe to share between threads.

    `terms` are all the rule terms (the dictionary's first entries) and `vocabulary` the
    multi-character ones with the frequencies they were added to jieba's dictionary with,
    in order, so a segmenter restored from the cache rebuilds exactly the dictionary it was
    built with. The dictionary is made on first need and never pickled.
    """

    def __init__(self, terms: tuple[str, ...], vocabulary: tuple[tuple[str, int], ...],
                 known: dict[str, int] | None = None) -> None:
        self.terms = terms
        self.vocabulary = vocabulary
        self.known = known or {}
        """The word boundaries of each term that holds another term, cut at build time, as
        a bit mask (bit i: a word edge at offset i; small to store and quick to unpickle):
        a clause that is just a term ("在吗", "谢谢") is answered without loading the
        dictionary."""
        self._dictionary: Dictionary | None = None
        self.memo: dict[str, int] = {}
        """Edges already cut, by stretch: what `edges` answers without jieba."""

    @classmethod
    def build(cls, terms: tuple[str, ...]) -> Segmenter:
        """A segmenter whose dictionary knows every multi-character term as a word.

        Each term gets the smallest frequency that keeps it whole on its own (jieba's
        `suggest_freq(term, tune=True)`, term by term in sorted order), so rule terms stay
        whole without overriding jieba's judgement elsewhere. The dictionary itself is
        made when a message first needs it.
        """
        counts = WordCounts(JiebaWords.load())
        vocabulary: list[tuple[str, int]] = []
        for word in sorted(term for term in terms if len(term) > 1):
            table = counts.table(word)
            total = counts.total
            share = 1.0
            for piece in _tokenizer(table, total).cut(word, HMM=False):
                share *= counts.lookup(piece, table) / float(total)
            count = max(int(share * total) + 1, counts.lookup(word, table))
            counts.add_word(word, count)
            vocabulary.append((word, count))
        term_set = set(terms)
        return cls(terms, tuple(vocabulary), {
            term: _cut(_tokenizer(counts.table(term), counts.total), term, ties=False)
            for term in terms if len(term) <= MEMO_LONGEST and _holds_one_of(term_set, term)})

    def __reduce__(self) -> tuple[type[Segmenter], tuple[Any, ...]]:
        return Segmenter, (self.terms, self.vocabulary, self.known)

    @property
    def loaded(self) -> bool:
        """Whether the dictionary is in (a message needing it costs microseconds, not a
        second)."""
        return self._dictionary is not None

    def dictionary(self) -> Dictionary:
        """jieba's dictionary with the vocabulary added, made on first need."""
        dictionary = self._dictionary
        if dictionary is None:
            with loading():
                if self._dictionary is None:
                    self._dictionary = Dictionary(self.terms, self.vocabulary)
                    release_freed_memory()
                dictionary = self._dictionary
        return dictionary

    def prepare(self) -> None:
        """Load the dictionary and import jieba (tens of milliseconds) now, so that no
        message waits for either, and workers forked afterwards share both."""
        self.dictionary()
        importlib.import_module("jieba")

    def _tokenizer_for(self, text: str) -> jieba.Tokenizer:
        dictionary = self.dictionary()
        return _tokenizer(dictionary.table(text), dictionary.total)

    def words(self, clause: str) -> list[str]:
        """The words of one clause, in order; they concatenate back to the clause."""
        return list(self._tokenizer_for(clause).cut(clause, HMM=False))

    def edges(self, stretch: str) -> int:
        """Where jieba puts word edges in `stretch`, cut alone, as a bit mask: bit i is set
        when a word starts or ends at offset i (so bits 0 and len(stretch) always are).
        0 when two ways to cut it score the same to within rounding: then the clause around
        it can tip jieba either way, and only a cut of the whole clause (`whole`) decides."""
        if len(stretch) > MEMO_LONGEST:
            return self._cut(stretch, ties=True)
        found = self.memo.get(stretch)
        if found is None:
            found = self._cut(stretch, ties=True)
            if len(self.memo) >= MEMO_SIZE:
                self.memo.clear()
            self.memo[stretch] = found
        return found

    def whole(self, clause: str) -> int:
        """Word edges of a whole clause as jieba cuts it, as a bit mask (never 0)."""
        return self._cut(clause, ties=False)

    def _cut(self, text: str, ties: bool) -> int:
        return _cut(self._tokenizer_for(text), text, ties)


def _cut(tokenizer: jieba.Tokenizer, text: str, ties: bool) -> int:
    """Word edges of `text` as `tokenizer` cuts it, as a bit mask; 0 for a near-tie when
    `ties` (see `Segmenter.edges`)."""
    edges = 1  # bit 0: the start
    position = 0
    if HAN_ONLY.fullmatch(text):
        dag = tokenizer.get_DAG(text)
        route: dict[int, tuple[float, int]] = {}
        tokenizer.calc(text, dag, route)
        if ties and _near_tie(tokenizer, text, dag, route):
            return 0
        while position < len(text):
            position = route[position][1] + 1
            edges |= 1 << position
        return edges
    if ties:
        import jieba

        for block in jieba.re_han_default.findall(text):  # the pieces cut() routes alone
            dag = tokenizer.get_DAG(block)
            route = {}
            tokenizer.calc(block, dag, route)
            if _near_tie(tokenizer, block, dag, route):
                return 0
    for word in tokenizer.cut(text, HMM=False):
        position += len(word)
        edges |= 1 << position
    return edges


def _holds_one_of(terms: set[str], term: str) -> bool:
    """Whether another of `terms` lies inside `term` (only then can a hit fall inside a
    clause that is just this term)."""
    return any(term[start:end] in terms for start in range(len(term))
               for end in range(start + 1, len(term) + 1) if end - start < len(term))


_own = threading.local()
_loading = threading.Lock()


def loading() -> threading.Lock:
    """The lock held while a dictionary or automaton is made on first need (one for all:
    they are made once a process). A child forked while another thread held it gets a new
    one, or it would wait forever."""
    return _loading


def _new_lock_in_child() -> None:
    global _loading
    _loading = threading.Lock()


if hasattr(os, "register_at_fork"):  # where processes fork (not on Windows)
    os.register_at_fork(after_in_child=_new_lock_in_child)


def _tokenizer(table: dict[str, int], total: int) -> jieba.Tokenizer:
    """A jieba tokenizer that knows only `table` of its dictionary, enough to cut the text
    the table was made for exactly as the whole dictionary would. Each thread has its own,
    handed a fresh table for every cut."""
    tokenizer: jieba.Tokenizer | None = getattr(_own, "tokenizer", None)
    if tokenizer is None:
        import jieba  # deferred: a message that needs no word edges never imports it

        tokenizer = _own.tokenizer = jieba.Tokenizer()
        tokenizer.initialized = True
    tokenizer.FREQ = table
    tokenizer.total = total
    return tokenizer


NEAR_TIE: Final = 1e-9
"""Two routes whose log-probabilities differ by less than this may swap places once the
scores of the rest of the clause are added (floating-point sums round differently)."""


def _near_tie(tokenizer: jieba.Tokenizer, text: str, dag: dict[int, list[int]],
              route: dict[int, tuple[float, int]]) -> bool:
    """Whether some choice on jieba's best route through `text` was nearly a tie: the same
    scoring as jieba's `calc`, looking at the runner-up at every step of the route."""
    log_total = math.log(tokenizer.total)
    position = 0
    while position < len(text):
        scores = sorted(math.log(tokenizer.FREQ.get(text[position:end + 1]) or 1) - log_total
                        + route[end + 1][0] for end in dag[position])
        if len(scores) > 1 and scores[-1] - scores[-2] < NEAR_TIE:
            return True
        position = route[position][1] + 1
    return False
