"""The Engine: a compiled rule set and phrasebank, and the calls that serve messages."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import cache
from .matcher import ANGER, BREAKER, CUE, NOT_CUE, RULE, VETO, Matcher
from .memory import release_freed_memory
from .normalise import clauses
from .ranking import Phrasebook
from .results import Classification, Suggestion
from .sources import Files, read_folder

_PACKAGE = Path(__file__).resolve().parent
_KIND_NAMES = ((RULE, "rule"), (VETO, "veto"), (CUE, "negation"), (NOT_CUE, "not_negation"),
               (BREAKER, "breaker"), (ANGER, "anger"))


def bundled(name: str) -> Path:
    """The bundled `rules` or `phrasebank` folder: in the installed package, or the source tree."""
    installed = _PACKAGE / name
    return installed if installed.is_dir() else _PACKAGE.parents[1] / name


def check_text(text: object) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    return text


class Engine:
    """Classifies messages and suggests replies; immutable, so share it between threads.

    Build one with `Engine.from_paths()`; it raises `RuleFileError` (with file and line) for
    any mistake in the files, and never exists half-built.
    """

    __slots__ = ("matcher", "phrasebank", "phrasebank_path", "rules_path")

    def __init__(self, matcher: Matcher, phrasebank: Phrasebook, rules_path: Path,
                 phrasebank_path: Path) -> None:
        self.matcher = matcher
        self.phrasebank = phrasebank
        self.rules_path = rules_path
        self.phrasebank_path = phrasebank_path

    @classmethod
    def from_paths(cls, rules: str | Path | None = None, phrasebank: str | Path | None = None,
                   *, use_cache: bool = True) -> Engine:
        """An engine over these folders; a folder left out is the bundled one.

        The compiled engine is cached on disk by the content of the files (see cache.py), so
        a second start with unchanged files skips reading, validating and compiling them.
        """
        rules_path = Path(rules) if rules is not None else bundled("rules")
        phrasebank_path = Path(phrasebank) if phrasebank is not None else bundled("phrasebank")
        rule_files, phrase_files = read_folder(rules_path), read_folder(phrasebank_path)
        entry = cache.key([rule_files, phrase_files]) if use_cache else None
        compiled = cache.load(entry) if entry else None
        if not (isinstance(compiled, tuple) and len(compiled) == 2
                and isinstance(compiled[0], Matcher) and isinstance(compiled[1], Phrasebook)):
            compiled = cls._compile(rules_path, rule_files, phrasebank_path, phrase_files)
            if entry:
                cache.store(entry, compiled)
        return cls(compiled[0], compiled[1], rules_path, phrasebank_path)

    @staticmethod
    def _compile(rules_path: Path, rule_files: Files, phrasebank_path: Path,
                 phrase_files: Files) -> tuple[Matcher, Phrasebook]:
        """Compile from the very bytes the cache key was made of."""
        from .compile import compile_phrasebank, compile_rules
        from .loading import load_phrasebank, load_rules
        compiled = (compile_rules(load_rules(rules_path, rule_files)),
                    compile_phrasebank(load_phrasebank(phrasebank_path, phrase_files)))
        release_freed_memory()  # the files' parsed and validated forms: 30 MB at 100,000 terms
        return compiled

    def prepare(self) -> None:
        """Load jieba's dictionary and import jieba now (most of a second), not on the first
        message that needs a word-boundary decision: for servers that want every reply
        equally fast, and before forking workers, which then share them."""
        self.matcher.prepare()

    def classify(self, text: str) -> Classification:
        """What the customer needs (intents, best first), how angry they are, which script."""
        return self.matcher.classify(check_text(text))

    def suggest(self, text: str, k: int = 3, *,
                variables: Mapping[str, str] | None = None) -> list[Suggestion]:
        """The k best replies, in the customer's script, placeholders filled."""
        check_text(text)
        if not isinstance(k, int) or isinstance(k, bool):
            raise TypeError(f"k must be int, got {type(k).__name__}")
        if k < 0:
            raise ValueError(f"k must be at least 0, got {k}")
        return self.phrasebank.suggest(self.matcher.classify(text), k, variables)

    def explain(self, text: str) -> dict[str, Any]:
        """Why a message got its intents: words, terms found, rules fired, negations."""
        trace = self.matcher.trace(check_text(text))
        matcher = self.matcher
        words = [word for start, end in clauses(trace.folded)
                 for word in matcher.segmenter.words(trace.folded[start:end])]
        return {
            "text": text,
            "folded": trace.folded,
            "words": words,
            "hits": [{"term": matcher.terms[h.term], "span": [h.start, h.end],
                      "text": text[h.start:h.end],
                      "as": [name for bit, name in _KIND_NAMES if matcher.kinds[h.term] & bit],
                      "cancelled_by": (text[trace.cancelled[h].start:trace.cancelled[h].end]
                                       if h in trace.cancelled else None)}
                     for h in trace.hits],
            "fired": [{"rule": matcher.rules[i].id, "weight": matcher.rules[i].weight,
                       "spans": [list(span) for span in spans]}
                      for i, spans in sorted(trace.fired.items())],
            **trace.classification.to_dict(),
        }
