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


RawHit = tuple[int, int, int, int]
"""A hit as the hot path makes it: a plain (start, end, term, clause) tuple, equal to its Hit."""


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


class _Message:
    """The per-message state: folded text, clauses and word boundaries, each made on need."""

    __slots__ = ("_crossings", "_stretches", "folded", "segmenter", "spans", "starts")

    def __init__(self, folded: str, segmenter: Segmenter) -> None:
        self.folded = folded
        self.segmenter = segmenter
        self.spans = clauses(folded)
        self.starts = [start for start, _ in self.spans]
        self._crossings: bytearray | None = None
        self._stretches: dict[tuple[int, int], frozenset[int]] = {}

    def crossings(self) -> bytearray:
        crossings = self._crossings
        if crossings is None:
            crossings = self._crossings = self.segmenter.crossings(self.folded)
        return crossings

    def _stretch_boundaries(self, left: int, right: int) -> frozenset[int]:
        """Word boundaries of the stretch [left, right), relative to `left`; overlapping
        terms share a stretch, so each is asked of the segmenter once per message."""
        found = self._stretches.get((left, right))
        if found is None:
            found = self._stretches[(left, right)] = self.segmenter.boundaries(
                self.folded[left:right])
        return found

    def _on_word_edges(self, start: int, end: int) -> bool:
        """Whether jieba cuts at both `start` and `end`: it need only cut the stretch around
        them between the nearest uncrossed positions, which never reaches past the clause
        (the positions beside a clause mark are never crossed)."""
        crossings = self.crossings()
        left = crossings.rfind(0, 0, start + 1)
        bounds = self._stretch_boundaries(left, crossings.find(0, end))
        return start - left in bounds and end - left in bounds

    def _whole_clause(self, start: int, end: int, clause: int) -> bool | None:
        """Whether [start, end) is on word edges, when its clause is a rule term whose own
        boundaries were cut at build time (or it is the whole clause); else None."""
        first, last = self.spans[clause]
        if start == first and end == last:
            return True
        whole = self.segmenter.known.get(self.folded[first:last])
        if whole is None:
            return None
        return bool(whole >> (start - first) & 1 and whole >> (end - first) & 1)

    def word_hits(self, found: list[tuple[int, int, int]]) -> list[RawHit]:
        """The automaton's matches that jieba's segmentation of their clause keeps whole.

        One flat loop: most matches are settled by no dictionary word crossing their ends;
        only the rest ask jieba about the stretch around them. Until jieba is loaded, a
        match that is its whole clause, or lies in a clause that is itself a rule term, is
        settled without it (so "在吗" loads no jieba).
        """
        hits: list[RawHit] = []
        append = hits.append
        starts = self.starts
        crossings = self.crossings() if self.segmenter.loaded else None
        for term, start, end in found:
            clause = bisect_right(starts, start) - 1
            if crossings is None:
                settled = self._whole_clause(start, end, clause)
                if settled is None:
                    crossings = self.crossings()
                elif settled:
                    append((start, end, term, clause))
                    continue
                else:
                    continue
            if (crossings[start] or crossings[end]) and not self._on_word_edges(start, end):
                continue
            append((start, end, term, clause))
        return hits

    def token_gap(self, start: int, later: int) -> int:
        """The number of words (a separator counts as one) from `start`, a word edge, up to
        `later`: the characters between, less the positions jieba puts inside a word. Only
        crossed positions can be inside one, so only their stretches are cut."""
        crossings = self.crossings()
        gap = later - start
        crossed = crossings.find(1, start + 1, later)
        while crossed != -1:
            left = crossings.rfind(0, 0, crossed)
            right = crossings.find(0, crossed)
            bounds = self._stretch_boundaries(left, right)
            gap -= sum(1 for p in range(max(left, start) + 1, min(right, later))
                       if p - left not in bounds)
            crossed = crossings.find(1, right, later)
        return gap


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
        self._derive()

    def _derive(self) -> None:
        """The lookup tables the hot path reads, made from the fields above: indexed by term
        or rule number, so a hit costs list lookups, not attribute and dict lookups."""
        any_rules: list[list[int]] = [[] for _ in self.terms]
        all_uses: list[list[tuple[int, int]]] = [[] for _ in self.terms]
        for rule_index, rule in enumerate(self.rules):
            for group_index, group in enumerate(rule.groups):
                for term in group:
                    if rule.within is None:
                        any_rules[term].append(rule_index)
                    else:
                        all_uses[term].append((rule_index, group_index))
        self._any_rules = tuple(tuple(sorted(found)) for found in any_rules)
        """For each term: the `any` rules it fires."""
        self._all_uses = tuple(tuple(sorted(found)) for found in all_uses)
        """For each term: the (rule, group) pairs of the `all` rules it counts for."""
        self._rules_using = tuple(
            tuple(sorted({*any_found, *(rule for rule, _ in all_found)}))
            for any_found, all_found in zip(self._any_rules, self._all_uses, strict=True))
        self._kept = tuple(1.0 - rule.weight for rule in self.rules)
        """What each rule leaves of the noisy-or's remainder."""
        self.longest_term = max((len(term) for term in self.terms), default=1)
        self._automaton = ahocorasick_rs.AhoCorasick(list(self.terms))

    def __getstate__(self) -> dict[str, Any]:
        """The fields only; the tables and the automaton (not picklable) are remade on load:
        milliseconds for the bundled rules, a third of a second at 100,000 terms."""
        return {name: value for name, value in self.__dict__.items()
                if not name.startswith("_") and name != "longest_term"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._derive()

    def rules_using(self, term: int) -> tuple[int, ...]:
        return self._rules_using[term]

    def classify(self, text: str) -> Classification:
        return self._match(text)[-1]

    def trace(self, text: str) -> Trace:
        folded, hits, cancelled, fired, classification = self._match(text)
        return Trace(folded, tuple(Hit._make(hit) for hit in hits),
                     {Hit._make(hit): Hit._make(cue) for hit, cue in cancelled.items()},
                     fired, classification)

    def _match(self, text: str) -> tuple[str, list[RawHit], dict[RawHit, RawHit],
                                          dict[int, tuple[Span, ...]], Classification]:
        folded = fold(text)
        found = self._automaton.find_matches_as_indexes(folded, overlapping=True)
        if not found:
            return folded, [], {}, {}, Classification((), self._anger(folded, set()),
                                                      detect_script(text), ())
        message = _Message(folded, self.segmenter)
        hits = message.word_hits(found)
        kinds = self.kinds
        live: list[RawHit] = []
        others: list[RawHit] = []
        for hit in hits:
            kind = kinds[hit[2]]
            if kind & RULE:
                live.append(hit)
            if kind != RULE:
                others.append(hit)
        cancelled = self._cancellations(hits, others) if others else {}
        fired = self._fire(message, live, others, cancelled) if live else {}
        angry_terms = {hit[2] for hit in others if kinds[hit[2]] & ANGER}
        classification = Classification(
            self._intents(fired) if fired else (), self._anger(folded, angry_terms),
            detect_script(text), self._suppressed(text, cancelled) if cancelled else ())
        return folded, hits, cancelled, fired, classification

    def _cancellations(self, hits: list[RawHit], others: list[RawHit]) -> dict[RawHit, RawHit]:
        """Each rule-term hit cancelled by a negation cue, with the nearest such cue.

        A cue inside (or overlapping) a rule term or a not-cue is no cue: 还没发货 keeps its
        没. A cue reaches forward `max_gap` characters in its own clause, up to a breaker.
        Lookups are by bisection, so a long message with many hits stays near-linear.
        """
        kinds = self.kinds
        cues = [hit for hit in others if kinds[hit[2]] & CUE]
        if not cues:
            return {}
        reach = self.longest_term
        shields = sorted(hit for hit in hits if kinds[hit[2]] & (RULE | NOT_CUE))
        shield_starts = [shield[0] for shield in shields]

        def shielded(cue: RawHit) -> bool:
            first = bisect_left(shield_starts, cue[0] - reach)
            last = bisect_left(shield_starts, cue[1])
            return any(shield[1] > cue[0] for shield in shields[first:last])

        cues = sorted((cue for cue in cues if not shielded(cue)), key=lambda c: (c[1], c[0]))
        if not cues:
            return {}
        cue_ends = [cue[1] for cue in cues]
        breakers = sorted(hit for hit in others if kinds[hit[2]] & BREAKER)
        breaker_starts = [breaker[0] for breaker in breakers]
        max_gap = self.negation.max_gap
        cancelled: dict[RawHit, RawHit] = {}
        for hit in hits:
            if not kinds[hit[2]] & RULE:
                continue
            start = hit[0]
            first = bisect_left(cue_ends, start - max_gap)
            last = bisect_right(cue_ends, start)
            if first == last:
                continue
            for cue in reversed(cues[first:last]):
                if cue[3] != hit[3]:
                    continue
                between = breakers[bisect_left(breaker_starts, cue[1]):
                                   bisect_left(breaker_starts, start)]
                if not any(breaker[1] <= start for breaker in between):
                    cancelled[hit] = cue
                    break
        return cancelled

    def _fire(self, message: _Message, live: list[RawHit], others: list[RawHit],
              cancelled: dict[RawHit, RawHit]) -> dict[int, tuple[Span, ...]]:
        """The rules that fire, each with the spans of the hits that made it fire."""
        kinds, rules, any_rules, all_uses = self.kinds, self.rules, self._any_rules, \
            self._all_uses
        per_any: dict[int, list[RawHit]] = {}
        per_all: dict[int, list[list[RawHit]]] = {}
        for hit in live:
            if cancelled and hit in cancelled:
                continue
            term = hit[2]
            for rule_index in any_rules[term]:
                if rule_index in per_any:
                    per_any[rule_index].append(hit)
                else:
                    per_any[rule_index] = [hit]
            for rule_index, group_index in all_uses[term]:
                groups = per_all.get(rule_index)
                if groups is None:
                    groups = per_all[rule_index] = [[] for _ in rules[rule_index].groups]
                groups[group_index].append(hit)
        vetoed: dict[int, set[int]] = {}
        for hit in others:
            if kinds[hit[2]] & VETO:
                vetoed.setdefault(hit[2], set()).add(hit[3])
        fired: dict[int, tuple[Span, ...]] = {}
        for rule_index, used in per_any.items():
            if vetoed and not rules[rule_index].vetoes.isdisjoint(vetoed):
                used = _unvetoed([used], rules[rule_index].vetoes, vetoed)[0]
            if used:
                fired[rule_index] = tuple(sorted({(hit[0], hit[1]) for hit in used}))
        for rule_index, groups in per_all.items():
            if not all(groups):
                continue
            rule = rules[rule_index]
            if vetoed and not rule.vetoes.isdisjoint(vetoed):
                groups = _unvetoed(groups, rule.vetoes, vetoed)
                if not all(groups):
                    continue
            window = _closest_window(message, groups, rule.within or 0)
            if window:
                fired[rule_index] = tuple(sorted({(hit[0], hit[1]) for hit in window}))
        return fired

    def _intents(self, fired: dict[int, tuple[Span, ...]]) -> tuple[IntentHit, ...]:
        """The reported intents: from the ordinary rules, or when they report nothing,
        from all rules including the alone_only ones. Rules of the `none` pseudo-intent
        (a pre-sale question, say) count as something to report, so they silence alone_only
        rules (a greeting in front of the question), but are never reported themselves."""
        rules = self.rules
        numbers = sorted(fired)
        ordinary = [number for number in numbers if not rules[number].alone_only]
        found = self._scored(ordinary, fired) or self._scored(numbers, fired)
        return tuple(hit for hit in found if hit.intent != FALLBACK_INTENT)

    def _scored(self, numbers: list[int],
                fired: dict[int, tuple[Span, ...]]) -> list[IntentHit]:
        if not numbers:
            return []
        rules, kept = self.rules, self._kept
        by_intent: dict[str, list[int]] = {}
        for number in numbers:
            intent = rules[number].intent
            if intent in by_intent:
                by_intent[intent].append(number)
            else:
                by_intent[intent] = [number]
        found: list[IntentHit] = []
        for intent, chosen in by_intent.items():
            remaining = 1.0
            for number in chosen:
                remaining *= kept[number]
            score = round(1.0 - remaining, 4)
            if score >= REPORTED:
                spans = fired[chosen[0]] if len(chosen) == 1 else tuple(
                    sorted({span for number in chosen for span in fired[number]}))
                found.append(IntentHit(intent, score,
                                       tuple(rules[number].id for number in chosen), spans))
        if len(found) > 1:
            found.sort(key=lambda hit: (-hit.score, _TAXONOMY_ORDER.get(hit.intent, 0)))
        return found

    def _suppressed(self, text: str,
                    cancelled: dict[RawHit, RawHit]) -> tuple[Suppression, ...]:
        found = {Suppression(self.rules[rule].id, text[cue[0]:cue[1]], (hit[0], hit[1]))
                 for hit, cue in cancelled.items() for rule in self._rules_using[hit[2]]}
        return tuple(sorted(found, key=lambda s: (s.span, s.rule)))

    def _anger(self, folded: str, angry_terms: set[int]) -> float:
        spec = self.anger
        weights = [spec.cues[term] for term in angry_terms]
        if spec.marks is not None and spec.marks.search(folded):
            weights.append(spec.marks_weight)
        if spec.emoji and not spec.emoji.isdisjoint(folded):
            weights.append(spec.emoji_weight)
        if not weights:
            return 0.0
        remaining = 1.0
        for weight in sorted(weights):
            remaining *= 1.0 - weight
        return round(1.0 - remaining, 4)


def _unvetoed(groups: list[list[RawHit]], vetoes: frozenset[int],
              vetoed: dict[int, set[int]]) -> list[list[RawHit]]:
    """The groups' hits outside the clauses where one of the rule's vetoes was found."""
    blocked = set().union(*(vetoed[veto] for veto in vetoes.intersection(vetoed)))
    return [[hit for hit in group if hit[3] not in blocked] for group in groups]


def _closest_window(message: _Message, group_hits: list[list[RawHit]],
                    within: int) -> list[RawHit] | None:
    """Hits, one per group, whose word positions lie within `within` of each other, if any.

    The classic smallest-window scan over all hits sorted by position: it takes the first
    window (by its right end) that holds every group, and in it the last hit of each group.
    Every hit starts on a word edge, so character order is word order; and a word distance
    never exceeds the character distance, so words are counted only when characters are
    more than `within` apart.
    """
    tagged = sorted((h[0], group, h) for group, hits in enumerate(group_hits) for h in hits)
    need = len(group_hits)
    counts = [0] * need
    covered = 0
    left = 0
    for right, (position, group, _) in enumerate(tagged):
        counts[group] += 1
        covered += counts[group] == 1
        while covered == need:
            first = tagged[left][0]
            if position - first <= within or message.token_gap(first, position) <= within:
                chosen: dict[int, RawHit] = {}
                for _, g, h in tagged[left:right + 1]:
                    chosen[g] = h
                return list(chosen.values())
            counts[tagged[left][1]] -= 1
            covered -= counts[tagged[left][1]] == 0
            left += 1
    return None
