"""The compiled rule set and the per-message matching: the hot path.

Build once (`Matcher.build`), then only read. One Aho-Corasick automaton (pyahocorasick, in C)
holds every term the rules need: rule terms, vetoes, negation cues, scope breakers and anger
cues, all folded to one script. Per message the matcher scans once, keeps the hits that line
up with word boundaries, lets negation cues cancel the terms they govern, and evaluates only
the rules whose terms were hit.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from .normalise import clauses, detect_script, fold
from .results import Classification, IntentHit, Span, Suppression
from .segment import ASCII_WORD, Segmenter
from .taxonomy import INTENTS

RULE, VETO, CUE, NOT_CUE, BREAKER, ANGER, CROSSING = 1, 2, 4, 8, 16, 32, 64
"""What a term is used as (a bit mask: one term can serve several purposes). CROSSING marks
a dictionary word that may straddle a term's edge (see segment.py)."""

REPORTED = 0.5
"""An intent is reported when the noisy-or of its fired rules' weights reaches this."""

_TAXONOMY_ORDER = {intent: rank for rank, intent in enumerate(INTENTS)}


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    intent: str
    groups: tuple[frozenset[int], ...]
    """Term indices per group: an `any` rule has one group, an `all` rule one per list."""
    within: int | None
    """Largest token distance between the groups' hits (None for an `any` rule)."""
    vetoes: frozenset[int]
    weight: float


@dataclass(frozen=True, slots=True, order=True)
class Hit:
    """A term found in the folded text at [start, end)."""

    start: int
    end: int
    term: int


@dataclass(frozen=True, slots=True)
class AngerSpec:
    cues: dict[int, float]
    marks: re.Pattern[str] | None
    marks_weight: float
    emoji: frozenset[str]
    emoji_weight: float


@dataclass(frozen=True, slots=True)
class NegationSpec:
    max_gap: int


@dataclass(frozen=True, slots=True)
class Trace:
    """Everything one match saw, for `explain` and for the tests."""

    folded: str
    hits: tuple[Hit, ...]
    cancelled: dict[Hit, Hit]
    fired: dict[int, tuple[Span, ...]]
    classification: Classification


def _noisy_or(weights: Iterable[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return round(1.0 - remaining, 4)


class _Message:
    """The per-message state: folded text, clauses and their word boundaries, built lazily."""

    __slots__ = ("_boundaries", "_clause_starts", "_clauses", "_global", "crossed", "folded",
                 "segmenter")

    def __init__(self, folded: str, segmenter: Segmenter, crossed: set[int]) -> None:
        self.folded = folded
        self.segmenter = segmenter
        self.crossed = crossed
        """Positions some dictionary word straddles: only there can jieba's choice matter."""
        self._clauses = clauses(folded)
        self._clause_starts = [start for start, _ in self._clauses]
        self._boundaries: dict[int, frozenset[int]] = {}
        self._global: list[int] | None = None

    def clause_of(self, position: int) -> int:
        return bisect_right(self._clause_starts, position) - 1

    def _clause_boundaries(self, index: int) -> frozenset[int]:
        found = self._boundaries.get(index)
        if found is None:
            start, end = self._clauses[index]
            found = self.segmenter.boundaries(self.folded[start:end])
            self._boundaries[index] = found
        return found

    def certain_boundary(self, position: int) -> bool:
        """True when `position` is a word boundary whatever jieba would choose."""
        folded = self.folded
        return position not in self.crossed and not (
            0 < position < len(folded)
            and folded[position - 1] in ASCII_WORD and folded[position] in ASCII_WORD)

    def on_word_boundaries(self, hit: Hit) -> bool:
        if self.certain_boundary(hit.start) and self.certain_boundary(hit.end):
            return True
        index = self.clause_of(hit.start)
        if index < 0:
            return False
        start, end = self._clauses[index]
        if hit.end > end:
            return False
        bounds = self._clause_boundaries(index)
        return hit.start - start in bounds and hit.end - start in bounds

    def token_index(self, position: int) -> int:
        """The number of words (separators count as one each) before `position`."""
        if self._global is None:
            offsets = set(range(len(self.folded) + 1))
            for index, (start, end) in enumerate(self._clauses):
                inner = self._clause_boundaries(index)
                offsets -= {p for p in range(start + 1, end) if p - start not in inner}
            self._global = sorted(offsets)
        return bisect_left(self._global, position)


class Matcher:
    """An immutable compiled rule set. Build it with `Matcher.build`."""

    def __init__(self, terms: tuple[str, ...], kinds: tuple[int, ...],
                 rules: tuple[CompiledRule, ...], alone_only: frozenset[str],
                 negation: NegationSpec, anger: AngerSpec, segmenter: Segmenter) -> None:
        self.terms = terms
        self.kinds = kinds
        self.rules = rules
        self.alone_only = alone_only
        self.negation = negation
        self.anger = anger
        rules_of_term: dict[int, list[int]] = defaultdict(list)
        for index, rule in enumerate(rules):
            for term_index in sorted(set().union(*rule.groups)):
                rules_of_term[term_index].append(index)
        self.rules_of_term = {term: tuple(found) for term, found in rules_of_term.items()}
        self.longest_term = max((len(term) for term, kind in zip(terms, kinds, strict=True)
                                 if kind & ~CROSSING), default=1)
        self.lengths = tuple(len(term) for term in terms)
        automaton = ahocorasick.Automaton()
        for index, word in enumerate(terms):
            automaton.add_word(word, index)
        automaton.make_automaton()
        self._automaton = automaton
        self.segmenter = segmenter

    def _scan(self, folded: str) -> tuple[list[Hit], set[int]]:
        """The term hits, and the positions that crossing words straddle."""
        kinds, lengths = self.kinds, self.lengths
        hits: list[Hit] = []
        crossed: set[int] = set()
        for end, term in self._automaton.iter(folded):
            start = end + 1 - lengths[term]
            kind = kinds[term]
            if kind & CROSSING:
                crossed.update(range(start + 1, end + 1))
            if kind & ~CROSSING:
                hits.append(Hit(start, end + 1, term))
        return hits, crossed

    def classify(self, text: str) -> Classification:
        return self.trace(text).classification

    def trace(self, text: str) -> Trace:
        folded = fold(text)
        script = detect_script(text)
        found, crossed = self._scan(folded)
        message = _Message(folded, self.segmenter, crossed)
        hits = tuple(hit for hit in found if message.on_word_boundaries(hit))
        cancelled = self._cancellations(message, hits)
        fired = self._fire(message, hits, cancelled)
        intents = self._intents(fired)
        suppressed = self._suppressed(text, cancelled)
        anger = self._anger(folded, hits)
        classification = Classification(intents, anger, script, suppressed)
        return Trace(folded, hits, cancelled, fired, classification)

    def _cancellations(self, message: _Message, hits: tuple[Hit, ...]) -> dict[Hit, Hit]:
        """Each rule-term hit cancelled by a negation cue, with the nearest such cue.

        A cue inside (or overlapping) a rule term or a not-cue is no cue: 还没发货 keeps its
        没. A cue reaches forward `max_gap` characters in its own clause, up to a breaker.
        Lookups are by bisection, so a long message with many hits stays linear-ish.
        """
        kinds = self.kinds
        if not any(kinds[h.term] & CUE for h in hits):
            return {}
        reach = self.longest_term
        shields = sorted(h for h in hits if kinds[h.term] & (RULE | NOT_CUE))
        shield_starts = [s.start for s in shields]

        def shielded(cue: Hit) -> bool:
            first = bisect_left(shield_starts, cue.start - reach)
            last = bisect_left(shield_starts, cue.end)
            return any(s.end > cue.start for s in shields[first:last])

        cues = sorted((h for h in hits if kinds[h.term] & CUE and not shielded(h)),
                      key=lambda h: (h.end, h.start))
        cue_ends = [c.end for c in cues]
        breakers = sorted(h for h in hits if kinds[h.term] & BREAKER)
        breaker_starts = [b.start for b in breakers]
        max_gap = self.negation.max_gap
        cancelled: dict[Hit, Hit] = {}
        for hit in hits:
            if not kinds[hit.term] & RULE:
                continue
            clause = message.clause_of(hit.start)
            first = bisect_left(cue_ends, hit.start - max_gap)
            last = bisect_right(cue_ends, hit.start)
            for cue in reversed(cues[first:last]):
                if message.clause_of(cue.start) != clause:
                    continue
                between = breakers[bisect_left(breaker_starts, cue.end):
                                   bisect_left(breaker_starts, hit.start)]
                if not any(b.end <= hit.start for b in between):
                    cancelled[hit] = cue
                    break
        return cancelled

    def _fire(self, message: _Message, hits: tuple[Hit, ...],
              cancelled: dict[Hit, Hit]) -> dict[int, tuple[Span, ...]]:
        """The rules that fire, each with the spans of the hits that made it fire."""
        kinds = self.kinds
        live_by_term: dict[int, list[Hit]] = defaultdict(list)
        vetoed_clauses: dict[int, set[int]] = defaultdict(set)
        for hit in hits:
            if kinds[hit.term] & VETO:
                vetoed_clauses[hit.term].add(message.clause_of(hit.start))
            if kinds[hit.term] & RULE and hit not in cancelled:
                live_by_term[hit.term].append(hit)
        candidates = sorted({rule for term in live_by_term
                             for rule in self.rules_of_term.get(term, ())})
        fired: dict[int, tuple[Span, ...]] = {}
        for index in candidates:
            rule = self.rules[index]
            blocked: set[int] = set()
            for veto in rule.vetoes:
                blocked |= vetoed_clauses.get(veto, set())
            group_hits = [[h for term in group for h in live_by_term.get(term, ())
                           if message.clause_of(h.start) not in blocked]
                          for group in rule.groups]
            if not all(group_hits):
                continue
            if rule.within is None:
                used = group_hits[0]
            else:
                window = _closest_window(message, group_hits, rule.within)
                if window is None:
                    continue
                used = window
            fired[index] = tuple(sorted({(h.start, h.end) for h in used}))
        return fired

    def _intents(self, fired: dict[int, tuple[Span, ...]]) -> tuple[IntentHit, ...]:
        by_intent: dict[str, list[int]] = defaultdict(list)
        for index in fired:
            by_intent[self.rules[index].intent].append(index)
        found: list[IntentHit] = []
        for intent, indices in by_intent.items():
            score = _noisy_or(self.rules[i].weight for i in indices)
            if score >= REPORTED:
                spans = tuple(sorted({span for i in indices for span in fired[i]}))
                found.append(IntentHit(intent, score, tuple(self.rules[i].id for i in indices),
                                       spans))
        if any(hit.intent not in self.alone_only for hit in found):
            found = [hit for hit in found if hit.intent not in self.alone_only]
        found.sort(key=lambda hit: (-hit.score, _TAXONOMY_ORDER[hit.intent]))
        return tuple(found)

    def _suppressed(self, text: str, cancelled: dict[Hit, Hit]) -> tuple[Suppression, ...]:
        found = {Suppression(self.rules[rule].id, text[cue.start:cue.end], (hit.start, hit.end))
                 for hit, cue in cancelled.items()
                 for rule in self.rules_of_term.get(hit.term, ())}
        return tuple(sorted(found, key=lambda s: (s.span, s.rule)))

    def _anger(self, folded: str, hits: tuple[Hit, ...]) -> float:
        spec = self.anger
        weights = [spec.cues[term] for term in {h.term for h in hits if h.term in spec.cues}]
        if spec.marks is not None and spec.marks.search(folded):
            weights.append(spec.marks_weight)
        if spec.emoji and not spec.emoji.isdisjoint(folded):
            weights.append(spec.emoji_weight)
        return _noisy_or(sorted(weights))


def _closest_window(message: _Message, group_hits: list[list[Hit]],
                    within: int) -> list[Hit] | None:
    """Hits, one per group, whose word positions lie within `within` of each other, if any.

    The classic smallest-window scan over all hits sorted by position: exact, and
    linear in the number of hits after sorting.
    """
    tagged = sorted((message.token_index(h.start), group, h)
                    for group, hits in enumerate(group_hits) for h in hits)
    need = len(group_hits)
    counts = [0] * need
    covered = 0
    left = 0
    for right, (position, group, _) in enumerate(tagged):
        counts[group] += 1
        covered += counts[group] == 1
        while covered == need:
            if position - tagged[left][0] <= within:
                chosen: dict[int, Hit] = {}
                for _, g, h in tagged[left:right + 1]:
                    chosen[g] = h
                return list(chosen.values())
            counts[tagged[left][1]] -= 1
            covered -= counts[tagged[left][1]] == 0
            left += 1
    return None
