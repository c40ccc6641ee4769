"""The compiled rule set and the per-message matching: the hot path.

Built once by compile.py, then only read. One Aho-Corasick automaton (ahocorasick_rs, in
Rust) holds every term the rules need: rule terms, vetoes, negation cues, scope breakers and
anger cues, all folded to one script. Per message the matcher scans once, keeps the hits that
line up with word boundaries, lets negation cues cancel the terms they govern, and evaluates
only the rules whose terms were hit. Hits are plain tuples; rich objects are made at the end.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import ahocorasick_rs

from .normalise import clauses, detect_script, fold
from .results import Classification, IntentHit, Span, Suppression
from .segment import Segmenter
from .taxonomy import FALLBACK_INTENT, INTENTS

RULE, VETO, CUE, NOT_CUE, BREAKER, ANGER = 1, 2, 4, 8, 16, 32
"""What a term is used as (a bit mask: one term can serve several purposes)."""

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
    alone_only: bool
    """Counts only when the rules that are not alone_only report nothing (a bare 好的)."""


class Hit(NamedTuple):
    """A term found in the folded text at [start, end), in clause number `clause`."""

    start: int
    end: int
    term: int
    clause: int


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
    """The per-message state: folded text, clauses and word boundaries, each made on need."""

    __slots__ = ("_clause_starts", "_clauses", "_crossed", "_global", "_stretches", "folded",
                 "segmenter")

    def __init__(self, folded: str, segmenter: Segmenter) -> None:
        self.folded = folded
        self.segmenter = segmenter
        self._clauses = clauses(folded)
        self._clause_starts = [start for start, _ in self._clauses]
        self._crossed: set[int] | None = None
        self._stretches: dict[tuple[int, int], frozenset[int]] = {}
        self._global: list[int] | None = None

    def clause_of(self, position: int) -> int:
        return bisect_right(self._clause_starts, position) - 1

    def _crossed_positions(self) -> set[int]:
        crossed = self._crossed
        if crossed is None:
            crossed = self._crossed = self.segmenter.crossed(self.folded)
        return crossed

    def _stretch(self, start: int, end: int, clause: tuple[int, int]) -> tuple[int, int]:
        """[start, end) widened to the nearest positions no dictionary word crosses."""
        crossed = self._crossed_positions()
        while start > clause[0] and start in crossed:
            start -= 1
        while end < clause[1] and end in crossed:
            end += 1
        return start, end

    def _stretch_boundaries(self, left: int, right: int) -> frozenset[int]:
        """Word boundaries of the stretch [left, right), relative to `left`; overlapping
        terms share a stretch, so each is asked of the segmenter once per message."""
        found = self._stretches.get((left, right))
        if found is None:
            found = self._stretches[(left, right)] = self.segmenter.boundaries(
                self.folded[left:right])
        return found

    def word_hits(self, found: list[tuple[int, int, int]]) -> list[Hit]:
        """The automaton's matches that jieba's segmentation of their clause keeps whole.

        One flat loop: most matches are settled by the clause edges or by no dictionary
        word crossing their ends; only the rest ask jieba about the stretch around them.
        """
        hits = []
        clause_starts, all_clauses = self._clause_starts, self._clauses
        known = self.segmenter.known
        crossed: set[int] | None = None
        wholes: dict[int, int | None] = {}
        for term, start, end in found:
            index = bisect_right(clause_starts, start) - 1
            clause = all_clauses[index]
            if start != clause[0] or end != clause[1]:
                if index in wholes:
                    whole = wholes[index]
                else:
                    whole = wholes[index] = known.get(self.folded[clause[0]:clause[1]])
                if whole is not None:  # the clause is one term, cut at build time
                    if not (whole >> (start - clause[0]) & 1 and whole >> (end - clause[0]) & 1):
                        continue
                    hits.append(Hit(start, end, term, index))
                    continue
                if crossed is None:
                    crossed = self._crossed_positions()
                if start in crossed or end in crossed:
                    left, right = self._stretch(start, end, clause)
                    bounds = self._stretch_boundaries(left, right)
                    if start - left not in bounds or end - left not in bounds:
                        continue
            hits.append(Hit(start, end, term, index))
        return hits

    def token_index(self, position: int) -> int:
        """The number of words (separators count as one each) before `position`.

        Every position is a word edge except the crossed ones that jieba, cutting the stretch
        around them, puts inside a word.
        """
        if self._global is None:
            inside: set[int] = set()
            for crossed in sorted(self._crossed_positions()):
                if crossed in inside:
                    continue
                clause = self._clauses[self.clause_of(crossed)]
                if not clause[0] < crossed < clause[1]:
                    continue
                left, right = self._stretch(crossed, crossed, clause)
                bounds = self._stretch_boundaries(left, right)
                inside.update(p for p in range(left + 1, right) if p - left not in bounds)
            self._global = [p for p in range(len(self.folded) + 1) if p not in inside]
        return bisect_left(self._global, position)


class Matcher:
    """An immutable compiled rule set (built by compile.py)."""

    def __init__(self, terms: tuple[str, ...], kinds: tuple[int, ...],
                 rules: tuple[CompiledRule, ...], negation: NegationSpec, anger: AngerSpec,
                 segmenter: Segmenter) -> None:
        self.terms = terms
        self.kinds = kinds
        self.rules = rules
        self.negation = negation
        self.anger = anger
        self.segmenter = segmenter
        uses: dict[int, list[tuple[int, int]]] = {}
        for rule_index, rule in enumerate(rules):
            for group_index, group in enumerate(rule.groups):
                for term in group:
                    uses.setdefault(term, []).append((rule_index, group_index))
        self.uses = {term: tuple(sorted(found)) for term, found in uses.items()}
        """For each rule term: the (rule, group) pairs it counts for."""
        self.longest_term = max((len(term) for term in terms), default=1)
        self._automaton = ahocorasick_rs.AhoCorasick(list(terms))

    def __getstate__(self) -> dict[str, Any]:
        """Everything but the automaton (not picklable), rebuilt from the terms on load:
        milliseconds for the bundled rules, a third of a second at 100,000 terms."""
        return {name: value for name, value in self.__dict__.items() if name != "_automaton"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._automaton = ahocorasick_rs.AhoCorasick(list(self.terms))

    def rules_using(self, term: int) -> tuple[int, ...]:
        return tuple(sorted({rule for rule, _ in self.uses.get(term, ())}))

    def classify(self, text: str) -> Classification:
        return self.trace(text).classification

    def trace(self, text: str) -> Trace:
        folded = fold(text)
        found = self._automaton.find_matches_as_indexes(folded, overlapping=True)
        hits: tuple[Hit, ...] = ()
        cancelled: dict[Hit, Hit] = {}
        fired: dict[int, tuple[Span, ...]] = {}
        if found:
            message = _Message(folded, self.segmenter)
            hits = tuple(message.word_hits(found))
            cancelled = self._cancellations(hits)
            fired = self._fire(message, hits, cancelled)
        classification = Classification(self._intents(fired), self._anger(folded, hits),
                                        detect_script(text), self._suppressed(text, cancelled))
        return Trace(folded, hits, cancelled, fired, classification)

    def _cancellations(self, hits: tuple[Hit, ...]) -> dict[Hit, Hit]:
        """Each rule-term hit cancelled by a negation cue, with the nearest such cue.

        A cue inside (or overlapping) a rule term or a not-cue is no cue: 还没发货 keeps its
        没. A cue reaches forward `max_gap` characters in its own clause, up to a breaker.
        Lookups are by bisection, so a long message with many hits stays near-linear.
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
        if not cues:
            return {}
        cue_ends = [c.end for c in cues]
        breakers = sorted(h for h in hits if kinds[h.term] & BREAKER)
        breaker_starts = [b.start for b in breakers]
        max_gap = self.negation.max_gap
        cancelled: dict[Hit, Hit] = {}
        for hit in hits:
            if not kinds[hit.term] & RULE:
                continue
            first = bisect_left(cue_ends, hit.start - max_gap)
            last = bisect_right(cue_ends, hit.start)
            if first == last:
                continue
            for cue in reversed(cues[first:last]):
                if cue.clause != hit.clause:
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
        kinds, rules, uses = self.kinds, self.rules, self.uses
        vetoed: dict[int, set[int]] = {}
        for hit in hits:
            if kinds[hit.term] & VETO:
                vetoed.setdefault(hit.term, set()).add(hit.clause)
        per_rule: dict[int, list[list[Hit]]] = {}
        for hit in hits:
            if not kinds[hit.term] & RULE or hit in cancelled:
                continue
            for rule_index, group_index in uses.get(hit.term, ()):
                groups = per_rule.get(rule_index)
                if groups is None:
                    groups = per_rule[rule_index] = [[] for _ in rules[rule_index].groups]
                groups[group_index].append(hit)
        fired: dict[int, tuple[Span, ...]] = {}
        for rule_index in sorted(per_rule):
            groups = per_rule[rule_index]
            if not all(groups):
                continue
            rule = rules[rule_index]
            if vetoed and not rule.vetoes.isdisjoint(vetoed):
                blocked = set().union(*(vetoed[veto] for veto in rule.vetoes.intersection(vetoed)))
                groups = [[h for h in group if h.clause not in blocked] for group in groups]
                if not all(groups):
                    continue
            used = groups[0] if rule.within is None else _closest_window(message, groups,
                                                                         rule.within)
            if used:
                fired[rule_index] = tuple(sorted({(h.start, h.end) for h in used}))
        return fired

    def _intents(self, fired: dict[int, tuple[Span, ...]]) -> tuple[IntentHit, ...]:
        """The reported intents: from the ordinary rules, or when they report nothing,
        from all rules including the alone_only ones. Rules of the `none` pseudo-intent
        (a pre-sale question, say) count as something to report, so they silence alone_only
        rules (a greeting in front of the question), but are never reported themselves."""
        ordinary = {index: spans for index, spans in fired.items()
                    if not self.rules[index].alone_only}
        found = self._scored(ordinary) or self._scored(fired)
        return tuple(hit for hit in found if hit.intent != FALLBACK_INTENT)

    def _scored(self, fired: dict[int, tuple[Span, ...]]) -> tuple[IntentHit, ...]:
        if not fired:
            return ()
        by_intent: dict[str, list[int]] = {}
        for index in fired:
            by_intent.setdefault(self.rules[index].intent, []).append(index)
        found: list[IntentHit] = []
        for intent, indices in by_intent.items():
            score = _noisy_or(self.rules[i].weight for i in indices)
            if score >= REPORTED:
                spans = tuple(sorted({span for i in indices for span in fired[i]}))
                found.append(IntentHit(intent, score, tuple(self.rules[i].id for i in indices),
                                       spans))
        found.sort(key=lambda hit: (-hit.score, _TAXONOMY_ORDER.get(hit.intent, 0)))
        return tuple(found)

    def _suppressed(self, text: str, cancelled: dict[Hit, Hit]) -> tuple[Suppression, ...]:
        if not cancelled:
            return ()
        found = {Suppression(self.rules[rule].id, text[cue.start:cue.end], (hit.start, hit.end))
                 for hit, cue in cancelled.items() for rule in self.rules_using(hit.term)}
        return tuple(sorted(found, key=lambda s: (s.span, s.rule)))

    def _anger(self, folded: str, hits: tuple[Hit, ...]) -> float:
        spec = self.anger
        weights = [spec.cues[term] for term in {h.term for h in hits} if term in spec.cues]
        if spec.marks is not None and spec.marks.search(folded):
            weights.append(spec.marks_weight)
        if spec.emoji and not spec.emoji.isdisjoint(folded):
            weights.append(spec.emoji_weight)
        return _noisy_or(sorted(weights)) if weights else 0.0


def _closest_window(message: _Message, group_hits: list[list[Hit]],
                    within: int) -> list[Hit] | None:
    """Hits, one per group, whose word positions lie within `within` of each other, if any.

    The classic smallest-window scan over all hits sorted by position: it takes the first
    window (by its right end) that holds every group, and in it the last hit of each group.
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
