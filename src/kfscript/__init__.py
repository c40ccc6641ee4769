"""kfscript (客服话术): understand what an online shop's customer needs, suggest replies.

    >>> import kfscript
    >>> [hit.intent for hit in kfscript.classify("箱子破了，还少了一个螺丝").intents]
    ['damaged', 'missing_parts']

The module-level functions use one default engine over the bundled rules and phrasebank,
built on first use; build your own with `Engine.from_paths(rules=..., phrasebank=...)`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from .engine import Engine
from .errors import KfscriptError, RuleFileError, VariableError
from .live import LiveEngine
from .results import Classification, IntentHit, Suggestion, Suppression
from .taxonomy import INTENTS

__all__ = [
    "INTENTS",
    "Classification",
    "Engine",
    "IntentHit",
    "KfscriptError",
    "LiveEngine",
    "RuleFileError",
    "Suggestion",
    "Suppression",
    "VariableError",
    "classify",
    "default_engine",
    "explain",
    "suggest",
]
__version__ = "0.1.0"

_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """The engine over the bundled files, built once on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Engine.from_paths()
    return _default


def classify(text: str) -> Classification:
    """`Engine.classify` on the default engine."""
    return default_engine().classify(text)


def suggest(text: str, k: int = 3, *,
            variables: Mapping[str, str] | None = None) -> list[Suggestion]:
    """`Engine.suggest` on the default engine."""
    return default_engine().suggest(text, k, variables=variables)


def explain(text: str) -> dict[str, Any]:
    """`Engine.explain` on the default engine."""
    return default_engine().explain(text)
