"""The compiled rule set and the per-message matching: the hot path.

Built once by compile.py, then only read. The scanner (scanner.py) finds every term the
rules need: rule terms, vetoes, negation cues, scope breakers and anger cues, all folded to
one script. Per message the matcher scans once (twice for the message that first needs
jieba), keeps the hits that line up with word boundaries, lets negation cues cancel the
terms they govern, and evaluates only the rules whose terms were hit.

The hot path is written for CPython's costs: a hit stays the automaton's own (term, start,
end) tuple, per-term and per-rule facts are read from tuples indexed by number, clauses are
found only for the hits whose clause matters, and rich objects are made at the end.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from .cache import by_constructor
from .dictionary import Found
from .normalise import clauses, detect_script, fold
from .results import Classification, IntentHit, Span, Suppression
from .scanner import Scanner
from .segment import MEMO_LONGEST, Segmenter
from .taxonomy import FALLBACK_INTENT, INTENTS

# What a term is used as: bits of a mask, as one term can serve several purposes. Final, so
# compiled code reads them as constants, not from the module's globals.
RULE: Final = 1
VETO: Final = 2
CUE: Final = 4
NOT_CUE: Final = 8
BREAKER: Final = 16
ANGER: Final = 32

REPORTED: Final = 0.5
"""An intent is reported when the noisy-or of its fired rules' weights reaches this."""

_TAXONOMY_ORDER = {intent: rank for rank, intent in enumerate(INTENTS)}

_DIGIT_PAIR: Final = re.compile("[0-9][0-9]")
_WORDING: Final = re.compile(r"[^\W_]")
"""A character that says something: a letter, digit or CJK character, not a mark or emoji."""


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    intent: str
    groups: tuple[frozenset[int], ...]
    """Term indices per group: an `any` rule has one group, an `all` rule one per list."""
    within: int | None
    """Largest token distance between the groups' hits (None for an `any` rule)."""
    vetoes: frozenset[int]
    """Term indices that stop the rule in their own clause."""
    vetoes_anywhere: frozenset[int]
    """Term indices that stop the rule wherever they are in the message."""
    weight: float
    alone_only: bool
    """Counts only when the rules that are not alone_only report nothing (a bare 好的)."""
    whole_message: bool
    """Fires only on a hit that is all the message says, marks and emoji aside (在？)."""

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        return by_constructor(self)


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

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        return by_constructor(self)


@dataclass(frozen=True, slots=True)
class NegationSpec:
    max_gap: int

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        return by_constructor(self)


@dataclass(frozen=True, slots=True)
class Trace:
    """Everything one match saw, for `explain` and for the tests."""

    folded: str
    hits: tuple[Hit, ...]
    cancelled: dict[Hit, Hit]
    fired: dict[int, tuple[Span, ...]]
    classification: Classification

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        return by_constructor(self)


class _Message:
    """The per-message state: folded text, clauses, crossings and cut stretches, each made
    on need."""

    __slots__ = ("_crossings", "_cuts", "_spans", "_starts", "folded", "loose_not_cues",
                 "scanner", "segmenter")

    def __init__(self, folded: str, scanner: Scanner) -> None:
        self.folded = folded
        self.scanner = scanner
        self.segmenter = scanner.segmenter
        self._spans: list[tuple[int, int]] = []
        self._starts: list[int] | None = None
        self._crossings: bytes | None = None
        self._cuts: dict[tuple[int, int], tuple[int, int]] = {}
        self.loose_not_cues: list[Found] = []
        """Not-cues found off jieba's word edges: no words, but they still shield a cue."""

    def clause_of(self, position: int) -> int:
        """The number of the clause holding `position` (clauses are found on first need)."""
        starts = self._starts
        if starts is None:
            self._spans = clauses(self.folded)
            starts = self._starts = [start for start, _ in self._spans]
        return bisect_right(starts, position) - 1

    def _clause_around(self, position: int) -> tuple[int, int]:
        """[start, end) of the clause holding `position`."""
        clause = self.clause_of(position)  # finds the clauses first
        return self._spans[clause]

    def crossings(self) -> bytes:
        crossings = self._crossings
        if crossings is None:
            crossings = self._crossings = self.scanner.scan(self.folded)[1]
        return crossings

    def _edges_from(self, left: int, right: int) -> tuple[int, int]:
        """Word edges around the stretch [left, right), as a bit mask and the position its
        bit 0 stands for. Each stretch is cut once per message (a long message can hold
        thousands of hits in one stretch); one that is a near-tie alone is decided by its
        whole clause, as jieba would cut it."""
        found = self._cuts.get((left, right))
        if found is None:
            edges = self.segmenter.edges(self.folded[left:right])
            if edges:
                found = (edges, left)
            else:
                first, last = self._clause_around(left)
                found = (self.segmenter.whole(self.folded[first:last]), first)
            self._cuts[(left, right)] = found
        return found

    def _settled_without_dictionary(self, found: list[Found],
                                    not_cues: bytes) -> list[Found] | None:
        """The word hits, if every match is its whole clause or lies in a clause that is
        itself a rule term (cut at build time), so jieba need not load; else None."""
        hits: list[Found] = []
        loose: list[Found] = []
        known = self.segmenter.known
        for match in found:
            term, start, end = match
            first, last = self._clause_around(start)
            if start != first or end != last:
                whole = known.get(self.folded[first:last])
                if whole is None:
                    return None
                if not (whole >> (start - first) & 1 and whole >> (end - first) & 1):
                    if not_cues[term]:
                        loose.append(match)
                    continue
            hits.append(match)
        self.loose_not_cues = loose
        return hits

    def word_hits(self, not_cues: bytes) -> list[Found]:
        """The terms found that jieba's segmentation of their clause keeps whole. The terms
        marked in `not_cues` that it does not keep whole go to `loose_not_cues`.

        One flat loop: a match no dictionary word crosses at either end is on word edges;
        for the rest, jieba cuts the stretch around it between the nearest uncrossed
        positions (which never reaches past the clause: the positions beside a clause mark
        are never crossed). Until the dictionary is loaded, messages that need no word
        edges skip it.
        """
        if not self.scanner.loaded:
            found = _outside_numbers(self.folded, self.scanner.terms_in(self.folded))
            settled = self._settled_without_dictionary(found, not_cues) if found else []
            if settled is not None:
                return settled
        found, crossings = self.scanner.scan(self.folded)
        found = _outside_numbers(self.folded, found)
        self._crossings = crossings
        hits: list[Found] = []
        append = hits.append
        folded, memo = self.folded, self.segmenter.memo
        for match in found:
            term, start, end = match
            if crossings[start] or crossings[end]:
                left = crossings.rfind(0, 0, start + 1)
                right = crossings.find(0, end)
                # the common case, a short stretch already cut, costs one dict lookup;
                # None (not yet cut, or long) and 0 (a near-tie) take the careful way
                edges = memo.get(folded[left:right]) if right - left <= MEMO_LONGEST else None
                if not edges:
                    edges, left = self._edges_from(left, right)
                if not (edges >> (start - left) & 1 and edges >> (end - left) & 1):
                    if not_cues[term]:
                        self.loose_not_cues.append(match)
                    continue
            append(match)
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
            edges, origin = self._edges_from(left, right)
            gap -= sum(1 for p in range(max(left, start) + 1, min(right, later))
                       if not edges >> (p - origin) & 1)
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
        # rules are visited in order, so each term's entries come out sorted; a term's
        # tuple grows by concatenation (most terms serve one or two rules), which spares
        # making a list for each of 100,000 terms
        any_rules: list[tuple[int, ...]] = [()] * len(self.terms)
        all_uses: list[tuple[tuple[int, int], ...]] = [()] * len(self.terms)
        group_bits = [0] * len(self.terms)
        lowest = guards = position = 0
        self._rule_at_guard: dict[int, int] = {}
        for number, rule in enumerate(self.rules):
            if rule.within is not None:  # a field of one bit per group, a guard bit above
                lowest |= 1 << position
                self._rule_at_guard[position + len(rule.groups)] = number
                guards |= 1 << (position + len(rule.groups))
            for group, terms in enumerate(rule.groups):
                for term in terms:
                    if rule.within is None:
                        any_rules[term] += (number,)
                    else:
                        all_uses[term] += ((number, group),)
                        group_bits[term] |= 1 << (position + group)
            if rule.within is not None:
                position += len(rule.groups) + 1
        self._any_rules = tuple(any_rules)
        """For each term: the `any` rules it fires."""
        self._all_uses = tuple(all_uses)
        """For each term: (rule, group) for the `all` rules it counts for."""
        self._group_bits = tuple(group_bits)
        """For each term: the bits of the `all` rules' groups it is in. ORed over a
        message's hits, a rule's field is all ones when every group was hit; adding the
        fields' lowest bits then carries into exactly those rules' guard bits."""
        self._lowest_bits, self._guard_bits = lowest, guards
        self._kept = tuple(1.0 - rule.weight for rule in self.rules)
        """What each rule leaves of the noisy-or's remainder."""
        self._own_score = tuple(round(1.0 - kept, 4) for kept in self._kept)
        self._ids = tuple((rule.id,) for rule in self.rules)
        self._intent_of = tuple(rule.intent for rule in self.rules)
        self._alone_only = tuple(rule.alone_only for rule in self.rules)
        self._whole_message = tuple(rule.whole_message for rule in self.rules)
        self._reports_none = FALLBACK_INTENT in self._intent_of
        """Whether some rule is of the `none` pseudo-intent, whose hits are never reported."""
        self._emoji = (re.compile("[" + "".join(map(re.escape, sorted(self.anger.emoji))) + "]")
                       if self.anger.emoji else None)
        """Any anger emoji: one C-level search instead of a set lookup per character."""
        self._not_cues = bytes(bool(kind & NOT_CUE) for kind in self.kinds)
        """For each term: 1 for a not-cue. A not-cue shields a cue wherever its characters
        are, whatever jieba's cut: 能不能包邮 cuts as 能/不/能包邮 (能包邮 being a term), and
        the 不 of 能不能 must still negate nothing."""
        self.longest_term = max((len(term) for term in self.terms), default=1)
        self.scanner = Scanner(self.segmenter)
        """Finds the terms (and, once the dictionary is loaded, the crossings) in a message."""

    def __reduce__(self) -> tuple[type[Matcher], tuple[Any, ...]]:
        """The fields only; the tables and the automaton (not picklable) are remade on load:
        milliseconds for the bundled rules, a third of a second at 100,000 terms; the automaton
        with jieba's dictionary words in it is made again when a message first needs it."""
        return Matcher, (self.terms, self.kinds, self.rules, self.negation, self.anger,
                         self.segmenter)

    def prepare(self) -> None:
        """Load the dictionary and jieba now, not on the first message that needs word
        edges."""
        self.segmenter.prepare()

    def rules_using(self, term: int) -> tuple[int, ...]:
        return tuple(sorted({*self._any_rules[term],
                             *(number for number, _ in self._all_uses[term])}))

    def classify(self, text: str) -> Classification:
        return self._match(text)[-1]

    def trace(self, text: str) -> Trace:
        message, hits, cancelled, fired, classification = self._match(text)

        def dressed(found: Found) -> Hit:
            term, start, end = found
            return Hit(start, end, term, message.clause_of(start))

        return Trace(message.folded, tuple(dressed(hit) for hit in hits),
                     {dressed(hit): dressed(cue) for hit, cue in cancelled.items()},
                     fired, classification)

    def _match(self, text: str) -> tuple[_Message, list[Found], dict[Found, Found],
                                          dict[int, tuple[Span, ...]], Classification]:
        folded = fold(text)
        message = _Message(folded, self.scanner)
        hits = message.word_hits(self._not_cues)
        if not hits:
            return message, [], {}, {}, Classification((), self._anger(folded, set()),
                                                        detect_script(text, folded), ())
        kinds = self.kinds
        live: list[Found] = []
        others: list[Found] = []
        found_kinds = 0
        for hit in hits:
            kind = kinds[hit[0]]
            if kind & RULE:
                live.append(hit)
            if kind != RULE:
                others.append(hit)
                found_kinds |= kind
        cancelled = self._cancellations(message, live, others) if found_kinds & CUE else {}
        fired = self._fire(message, live, others, cancelled, found_kinds) if live else {}
        angry_terms = ({hit[0] for hit in others if kinds[hit[0]] & ANGER}
                       if found_kinds & ANGER else set())
        classification = Classification(
            self._intents(fired) if fired else (), self._anger(folded, angry_terms),
            detect_script(text, folded), self._suppressed(text, cancelled) if cancelled else ())
        return message, hits, cancelled, fired, classification

    def _cancellations(self, message: _Message, live: list[Found],
                       others: list[Found]) -> dict[Found, Found]:
        """Each rule-term hit cancelled by a negation cue, with the nearest such cue.

        A cue inside (or overlapping) a rule term or a not-cue is no cue: 还没发货 keeps its
        没. A cue reaches forward `max_gap` characters in its own clause, up to a breaker.
        Lookups are by bisection, so a long message with many hits stays near-linear.
        """
        kinds = self.kinds
        cues = [hit for hit in others if kinds[hit[0]] & CUE]
        if not cues:
            return {}
        reach = self.longest_term
        shields = sorted(live + [hit for hit in others if kinds[hit[0]] & NOT_CUE]
                         + message.loose_not_cues, key=_start)
        shield_starts = [shield[1] for shield in shields]

        def shielded(cue: Found) -> bool:
            first = bisect_left(shield_starts, cue[1] - reach)
            last = bisect_left(shield_starts, cue[2])
            return any(shield[2] > cue[1] for shield in shields[first:last])

        cues = sorted((cue for cue in cues if not shielded(cue)), key=_end_then_start)
        if not cues:
            return {}
        cue_ends = [cue[2] for cue in cues]
        breakers = sorted((hit for hit in others if kinds[hit[0]] & BREAKER), key=_start)
        breaker_starts = [breaker[1] for breaker in breakers]
        max_gap = self.negation.max_gap
        cancelled: dict[Found, Found] = {}
        for hit in live:
            start = hit[1]
            first = bisect_left(cue_ends, start - max_gap)
            last = bisect_right(cue_ends, start)
            if first == last:
                continue
            for cue in reversed(cues[first:last]):
                if message.clause_of(cue[1]) != message.clause_of(start):
                    continue
                between = breakers[bisect_left(breaker_starts, cue[2]):
                                   bisect_left(breaker_starts, start)]
                if not any(breaker[2] <= start for breaker in between):
                    cancelled[hit] = cue
                    break
        return cancelled

    def _fire(self, message: _Message, live: list[Found], others: list[Found],
              cancelled: dict[Found, Found], found_kinds: int) -> dict[int, tuple[Span, ...]]:
        """The rules that fire, each with the spans of the hits that made it fire.

        An `all` rule first only collects which of its groups were hit, as bits (one OR a
        hit); only a rule with every group hit gathers its hits and looks for a close enough
        window. Vetoes are looked at only for a rule that would fire.
        """
        kinds, rules, any_rules, group_bits = self.kinds, self.rules, self._any_rules, \
            self._group_bits
        if cancelled:
            live = [hit for hit in live if hit not in cancelled]
        per_any: dict[int, list[Found]] = {}
        groups_hit = 0
        for hit in live:
            term = hit[0]
            groups_hit |= group_bits[term]
            for number in any_rules[term]:
                if number in per_any:
                    per_any[number].append(hit)
                else:
                    per_any[number] = [hit]
        veto_terms = ({hit[0] for hit in others if kinds[hit[0]] & VETO}
                      if found_kinds & VETO else set())
        fired: dict[int, tuple[Span, ...]] = {}
        whole_message = self._whole_message
        for number, used in per_any.items():
            if whole_message[number]:
                used = [hit for hit in used if _is_whole_message(message.folded, hit)]
                if not used:
                    continue
            if veto_terms:
                rule = rules[number]
                if not rule.vetoes_anywhere.isdisjoint(veto_terms):
                    continue
                if not rule.vetoes.isdisjoint(veto_terms):
                    used = _unvetoed(message, [used], rule.vetoes, others)[0]
                    if not used:
                        continue
            fired[number] = (((used[0][1], used[0][2]),) if len(used) == 1
                             else tuple(sorted({(hit[1], hit[2]) for hit in used})))
        complete = (groups_hit + self._lowest_bits) & self._guard_bits
        while complete:
            guard = complete & -complete
            complete ^= guard
            number = self._rule_at_guard[guard.bit_length() - 1]
            rule = rules[number]
            if veto_terms and not rule.vetoes_anywhere.isdisjoint(veto_terms):
                continue
            groups: list[list[Found]] = [[] for _ in rule.groups]
            for hit in live:
                for user, group in self._all_uses[hit[0]]:
                    if user == number:
                        groups[group].append(hit)
            if veto_terms and not rule.vetoes.isdisjoint(veto_terms):
                groups = _unvetoed(message, groups, rule.vetoes, others)
                if not all(groups):
                    continue
            window = _closest_window(message, groups, rule.within or 0)
            if window:
                fired[number] = tuple(sorted({(hit[1], hit[2]) for hit in window}))
        return fired

    def _intents(self, fired: dict[int, tuple[Span, ...]]) -> tuple[IntentHit, ...]:
        """The reported intents: from the ordinary rules, or when they report nothing,
        from all rules including the alone_only ones. Rules of the `none` pseudo-intent
        (a pre-sale question, say) count as something to report, so they silence alone_only
        rules (a greeting in front of the question), but are never reported themselves."""
        alone_only = self._alone_only
        numbers = sorted(fired)
        ordinary = [number for number in numbers if not alone_only[number]]
        found = self._scored(ordinary, fired) if ordinary else []
        if not found and len(ordinary) < len(numbers):
            found = self._scored(numbers, fired)
        if self._reports_none:
            return tuple([hit for hit in found if hit.intent != FALLBACK_INTENT])
        return tuple(found)

    def _scored(self, numbers: list[int],
                fired: dict[int, tuple[Span, ...]]) -> list[IntentHit]:
        intent_of, own_score = self._intent_of, self._own_score
        by_intent: dict[str, list[int]] = {}
        for number in numbers:
            intent = intent_of[number]
            if intent in by_intent:
                by_intent[intent].append(number)
            else:
                by_intent[intent] = [number]
        found: list[IntentHit] = []
        for intent, chosen in by_intent.items():
            if len(chosen) == 1:
                number = chosen[0]
                if own_score[number] >= REPORTED:
                    found.append(IntentHit(intent, own_score[number], self._ids[number],
                                           fired[number]))
                continue
            remaining = 1.0
            for number in chosen:
                remaining *= self._kept[number]
            score = round(1.0 - remaining, 4)
            if score >= REPORTED:
                found.append(IntentHit(
                    intent, score, tuple([self.rules[number].id for number in chosen]),
                    tuple(sorted({span for number in chosen for span in fired[number]}))))
        if len(found) > 1:
            found.sort(key=_reporting_order)
        return found

    def _suppressed(self, text: str,
                    cancelled: dict[Found, Found]) -> tuple[Suppression, ...]:
        found = {Suppression(self.rules[rule].id, text[cue[1]:cue[2]], (hit[1], hit[2]))
                 for hit, cue in cancelled.items() for rule in self.rules_using(hit[0])}
        return tuple(sorted(found, key=lambda s: (s.span, s.rule)))

    def _anger(self, folded: str, angry_terms: set[int]) -> float:
        spec = self.anger
        weights = [spec.cues[term] for term in angry_terms]
        if spec.marks is not None and spec.marks.search(folded):
            weights.append(spec.marks_weight)
        if self._emoji is not None and self._emoji.search(folded):
            weights.append(spec.emoji_weight)
        if not weights:
            return 0.0
        remaining = 1.0
        for weight in sorted(weights):
            remaining *= 1.0 - weight
        return round(1.0 - remaining, 4)


def _outside_numbers(folded: str, found: list[Found]) -> list[Found]:
    """The matches that neither start nor end between two digits. jieba cuts a long number
    into dictionary words (订单号 2405128833 into 240512/88/33), and 88 there is no
    goodbye, nor 20 a discount or 12315 a hotline."""
    if _DIGIT_PAIR.search(folded) is None:
        return found
    return [match for match in found
            if not (_between_digits(folded, match[1]) or _between_digits(folded, match[2]))]


def _between_digits(folded: str, position: int) -> bool:
    return (0 < position < len(folded) and "0" <= folded[position - 1] <= "9"
            and "0" <= folded[position] <= "9")


def _is_whole_message(folded: str, hit: Found) -> bool:
    """Whether nothing but marks, spaces and emoji lie outside the hit."""
    return (_WORDING.search(folded, 0, hit[1]) is None
            and _WORDING.search(folded, hit[2]) is None)


def _start(hit: Found) -> int:
    return hit[1]


def _end_then_start(hit: Found) -> tuple[int, int]:
    return hit[2], hit[1]


def _reporting_order(hit: IntentHit) -> tuple[float, int]:
    """Best score first; ties in the taxonomy's order."""
    return -hit.score, _TAXONOMY_ORDER.get(hit.intent, 0)


def _unvetoed(message: _Message, groups: list[list[Found]], vetoes: frozenset[int],
              others: list[Found]) -> list[list[Found]]:
    """The groups' hits outside the clauses where one of the rule's vetoes was found."""
    blocked = {message.clause_of(hit[1]) for hit in others if hit[0] in vetoes}
    return [[hit for hit in group if message.clause_of(hit[1]) not in blocked]
            for group in groups]


def _closest_window(message: _Message, group_hits: list[list[Found]],
                    within: int) -> list[Found] | None:
    """Hits, one per group, whose word positions lie within `within` of each other, if any.

    The classic smallest-window scan over all hits sorted by position (then end and term,
    as the reference does): it takes the first window (by its right end) that holds every
    group, and in it the last hit of each group. Every hit starts on a word edge, so
    character order is word order; and a word distance never exceeds the character
    distance, so words are counted only when characters are more than `within` apart.
    """
    tagged = sorted((hit[1], group, hit[2], hit[0])
                    for group, hits in enumerate(group_hits) for hit in hits)
    need = len(group_hits)
    counts = [0] * need
    covered = 0
    left = 0
    for right, (position, group, _, _) in enumerate(tagged):
        counts[group] += 1
        covered += counts[group] == 1
        while covered == need:
            first = tagged[left][0]
            if position - first <= within or message.token_gap(first, position) <= within:
                chosen: dict[int, Found] = {}
                for start, g, end, term in tagged[left:right + 1]:
                    chosen[g] = (term, start, end)
                return list(chosen.values())
            counts[tagged[left][1]] -= 1
            covered -= counts[tagged[left][1]] == 0
            left += 1
    return None
