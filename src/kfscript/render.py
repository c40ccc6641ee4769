"""Phrase templates: `{name}` placeholders, parsed once and filled by plain substitution.

No `str.format`: a value is inserted verbatim and a template can reach no attribute, index
or conversion, so neither a phrase file nor a variable value can run anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .cache import by_constructor

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
"""`{name}` is a placeholder, `{{`/`}}` are literal braces, a lone brace is a mistake."""


def placeholders_of(text: str) -> Iterator[str | None]:
    """The placeholder names in a phrase text; None marks a lone brace."""
    for match in PLACEHOLDER.finditer(text):
        if match.group(0) in ("{{", "}}"):
            continue
        yield match.group(1) if match.group(1) is not None else None


@dataclass(frozen=True, slots=True)
class Template:
    """A phrase text split into literal parts and placeholder names, parsed once."""

    parts: tuple[tuple[str, bool], ...]
    """(literal text, False) or (placeholder name, True)."""

    @classmethod
    def parse(cls, text: str) -> Template:
        parts: list[tuple[str, bool]] = []
        position = 0
        for match in PLACEHOLDER.finditer(text):
            if match.start() > position:
                parts.append((text[position:match.start()], False))
            token = match.group(0)
            if token in ("{{", "}}"):
                parts.append((token[0], False))
            else:
                parts.append((match.group(1), True))
            position = match.end()
        if position < len(text):
            parts.append((text[position:], False))
        return cls(tuple(parts))

    def render(self, values: Mapping[str, str]) -> str:
        """Plain substitution: a value is inserted verbatim and never interpreted."""
        return "".join([values[part] if is_name else part for part, is_name in self.parts])

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        return by_constructor(self)
