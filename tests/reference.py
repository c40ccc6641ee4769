"""A small, obviously-correct reference matcher: the documented semantics, done naively.

It finds terms with `str.find`, segments every clause with jieba, and tries every cue and
every window by brute force. It is slow on purpose: the fast matcher must give exactly the
same classification (intents, scores, spans, suppressions, anger) on every message.
"""

from __future__ import annotations

import logging
from functools import cache

import jieba

from kfscript import Classification, Engine, IntentHit, Suppression
from kfscript.matcher import ANGER, BREAKER, CUE, NOT_CUE, RULE, VETO
from kfscript.normalise import CLAUSE_MARKS, clauses, detect_script, fold
from kfscript.taxonomy import INTENTS

Found = tuple[int, int, int]  # start, end, term index


@cache
def jieba_with(vocabulary: tuple[tuple[str, int], ...]) -> jieba.Tokenizer:
    """jieba itself, its whole dictionary loaded, with the rule vocabulary added."""
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word, count in vocabulary:
        tokenizer.add_word(word, count)
    return tokenizer


def reference_classify(engine: Engine, text: str) -> Classification:
    m = engine.matcher
    tokenizer = jieba_with(m.segmenter.vocabulary)
    folded = fold(text)
    ranges = clauses(folded)

    def clause_of(position: int) -> int:
        return next(i for i, (s, e) in enumerate(ranges) if s <= position < e)

    boundaries: set[int] = set()
    for first, last in ranges:  # jieba's own cut of every clause, words end to end
        position = first
        boundaries.add(position)
        for word in tokenizer.cut(folded[first:last], HMM=False):
            position += len(word)
            boundaries.add(position)

    def inside_number(position: int) -> bool:  # between two ASCII digits
        pair = folded[max(position - 1, 0):position + 1]
        return len(pair) == 2 and pair.isascii() and pair.isdigit()

    hits: list[Found] = []
    loose_not_cues: list[Found] = []  # off word edges, a not-cue still shields a cue
    for index, term in enumerate(m.terms):
        at = folded.find(term)
        while at != -1:
            if inside_number(at) or inside_number(at + len(term)):
                pass  # 88 in 2405128833 is no word, whatever jieba's cut
            elif at in boundaries and at + len(term) in boundaries:
                hits.append((at, at + len(term), index))
            elif m.kinds[index] & NOT_CUE:
                loose_not_cues.append((at, at + len(term), index))
            at = folded.find(term, at + 1)

    def of_kind(kind: int) -> list[Found]:
        return [h for h in hits if m.kinds[h[2]] & kind]

    def overlap(a: Found, b: Found) -> bool:
        return a[0] < b[1] and b[0] < a[1]

    shields = of_kind(RULE | NOT_CUE) + loose_not_cues
    cues = [c for c in of_kind(CUE) if not any(overlap(c, s) for s in shields)]
    breakers = of_kind(BREAKER)
    cancelled: dict[Found, Found] = {}
    for hit in of_kind(RULE):
        reaching = [c for c in cues
                    if c[1] <= hit[0] and hit[0] - c[1] <= m.negation.max_gap
                    and clause_of(c[0]) == clause_of(hit[0])
                    and not any(c[1] <= b[0] and b[1] <= hit[0] for b in breakers)]
        if reaching:
            cancelled[hit] = max(reaching, key=lambda c: (c[1], c[0]))

    starts = sorted(boundaries | {p for p, ch in enumerate(folded) if ch in CLAUSE_MARKS}
                    | {p + 1 for p, ch in enumerate(folded) if ch in CLAUSE_MARKS})

    def token(position: int) -> int:
        return sum(1 for s in starts if s < position)

    live = [h for h in of_kind(RULE) if h not in cancelled]
    vetoes = of_kind(VETO)
    fired: dict[int, set[tuple[int, int]]] = {}
    for number, rule in enumerate(m.rules):
        if any(v[2] in rule.vetoes_anywhere for v in vetoes):
            continue
        blocked = {clause_of(v[0]) for v in vetoes if v[2] in rule.vetoes}
        groups = [[h for h in live if h[2] in group and clause_of(h[0]) not in blocked]
                  for group in rule.groups]
        if rule.within is None:
            used = [h for h in groups[0]
                    if not rule.whole_message  # else nothing said outside the hit
                    or not any(ch.isalnum() for ch in folded[:h[0]] + folded[h[1]:])]
            if used:
                fired[number] = {(h[0], h[1]) for h in used}
            continue
        if not all(groups):
            continue
        tagged = sorted((token(h[0]), g, h) for g, group in enumerate(groups) for h in group)
        window = None
        for right in range(len(tagged)):
            for left in range(right + 1):
                inside = tagged[left:right + 1]
                if ({g for _, g, _ in inside} == set(range(len(groups)))
                        and tagged[right][0] - tagged[left][0] <= rule.within):
                    window = {g: h for _, g, h in inside}
                    break
            if window:
                break
        if window:
            fired[number] = {(h[0], h[1]) for h in window.values()}

    def report(numbers_fired: list[int]) -> list[IntentHit]:
        found = []
        for intent in (*INTENTS, "none"):
            numbers = [n for n in numbers_fired if m.rules[n].intent == intent]
            remaining = 1.0
            for n in numbers:
                remaining *= 1.0 - m.rules[n].weight
            score = round(1.0 - remaining, 4)
            if numbers and score >= 0.5:
                found.append(IntentHit(intent, score, tuple(m.rules[n].id for n in numbers),
                                       tuple(sorted(set().union(*(fired[n] for n in numbers))))))
        found.sort(key=lambda h: -h.score)  # stable: ties keep the taxonomy order
        return found

    found = report([n for n in sorted(fired) if not m.rules[n].alone_only]) or report(
        sorted(fired))
    found = [h for h in found if h.intent != "none"]

    suppressed = sorted({Suppression(rule.id, text[cue[0]:cue[1]], (hit[0], hit[1]))
                         for hit, cue in cancelled.items()
                         for rule in m.rules if any(hit[2] in g for g in rule.groups)},
                        key=lambda s: (s.span, s.rule))

    weights = sorted([m.anger.cues[t] for t in {h[2] for h in of_kind(ANGER)}]
                     + ([m.anger.marks_weight] if m.anger.marks and m.anger.marks.search(folded)
                        else [])
                     + ([m.anger.emoji_weight] if set(folded) & m.anger.emoji else []))
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return Classification(tuple(found), round(1.0 - remaining, 4), detect_script(text),
                          tuple(suppressed))


