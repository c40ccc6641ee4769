"""Every error kfscript raises, in one place.

    KfscriptError                  base: catch this to catch them all
    ├── RuleFileError(ValueError)  a rule or phrasebank file is wrong (file, line, what)
    └── VariableError(ValueError)  suggest(variables=...) names an unknown placeholder

Bad argument types raise the builtin TypeError.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class KfscriptError(Exception):
    """Base class of kfscript's own errors."""


@dataclass(frozen=True)
class FileProblem:
    """One thing wrong in one file, at one line (1-based; 0 when the line is unknown)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class RuleFileError(KfscriptError, ValueError):
    """A rule or phrasebank file cannot be used; nothing of it was loaded.

    `path`, `line` and `message` describe the first problem; `problems` lists all of them,
    so one run shows a staff member every mistake at once.
    """

    def __init__(self, path: str | Path, line: int, message: str,
                 problems: tuple[FileProblem, ...] = ()) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        self.problems = problems or (FileProblem(self.path, line, message),)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def from_problems(cls, problems: list[FileProblem]) -> RuleFileError:
        first = problems[0]
        return cls(first.path, first.line, first.message, tuple(problems))


class VariableError(KfscriptError, ValueError):
    """A value passed in `variables` names no placeholder of the phrasebank."""

