"""Read the rule and phrasebank folders into validated models, with file:line for every error.

YAML is read with PyYAML's safe loader, node by node, so that each value keeps the line it
was written on; pydantic's error locations are then mapped back to those lines. Every problem
of every file is collected before anything is raised, and nothing is returned unless all of
it is valid: there is no half-loaded state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import FileProblem, RuleFileError
from .models import (
    AngerFile,
    LexiconFile,
    NegationFile,
    PhraseFile,
    PlaceholderFile,
    RuleFile,
    StepsFile,
)
from .render import placeholders_of
from .sources import Files, read_folder
from .taxonomy import FALLBACK_INTENT, GROUP_PREFIX, INTENTS

M = TypeVar("M", bound=BaseModel)

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's C parser when PyYAML has it (10x faster on 100,000-term files), else Python's;
both are safe loaders and both keep each node's line."""
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Located(Generic[M]):
    """A validated file with the line of each of its values, for later cross-file checks."""

    model: M
    path: str
    lines: Mapping[Loc, int]

    def line_of(self, *loc: str | int) -> int:
        """The line of the value at `loc`, or of its nearest enclosing value."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1

    def problem(self, message: str, *loc: str | int) -> FileProblem:
        return FileProblem(self.path, self.line_of(*loc), message)


@dataclass(frozen=True)
class RuleSources:
    intents: tuple[Located[RuleFile], ...]
    lexicon: Located[LexiconFile] | None
    negation: Located[NegationFile] | None
    anger: Located[AngerFile] | None


@dataclass(frozen=True)
class PhraseSources:
    files: tuple[Located[PhraseFile], ...]
    placeholders: Located[PlaceholderFile]
    steps: Located[StepsFile]


def _plain(node: yaml.Node, loader: Any, loc: Loc,
           lines: dict[Loc, int], path: str, problems: list[FileProblem]) -> Any:
    """Turn a YAML node into plain data, noting each value's line and refusing duplicate keys."""
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int) or isinstance(key, bool):
                key = str(key)
            if key in result:
                problems.append(FileProblem(path, key_node.start_mark.line + 1,
                                            f"duplicate key {key!r}"))
                continue
            result[key] = _plain(value_node, loader, (*loc, key), lines, path, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, loader, (*loc, index), lines, path, problems)
                for index, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def read_yaml(path: Path, problems: list[FileProblem],
              data: bytes | None = None) -> tuple[Any, dict[Loc, int]] | None:
    """Safe-load one YAML file (from `data` when given); on failure note the problem."""
    shown = str(path)
    try:
        text = (path.read_bytes() if data is None else data).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(FileProblem(shown, 0, f"cannot read the file: {error}"))
        return None
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.append(FileProblem(shown, 1, "the file is empty"))
            return None
        lines: dict[Loc, int] = {}
        data = _plain(node, loader, (), lines, shown, problems)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        problems.append(FileProblem(shown, line, f"YAML syntax: {error.problem or error}"))
        return None
    except yaml.YAMLError as error:
        problems.append(FileProblem(shown, 0, f"YAML syntax: {error}"))
        return None
    finally:
        loader.dispose()
    return data, lines


def load_model(path: Path, model: type[M], problems: list[FileProblem],
               data: bytes | None = None) -> Located[M] | None:
    """Read and validate one file against `model`; every validation error becomes a problem."""
    read = read_yaml(path, problems, data)
    if read is None:
        return None
    data, lines = read
    try:
        validated = model.model_validate(data)
    except ValidationError as error:
        located = Located(model.model_construct(), str(path), lines)
        for item in error.errors(include_url=False):
            where = ".".join(str(part) for part in item["loc"]) or "the file"
            problems.append(located.problem(f"{where}: {item['msg']}", *item["loc"]))
        return None
    return Located(validated, str(path), lines)


def _load_files(files: Files, shared: dict[str, type[BaseModel]], main: type[M],
                problems: list[FileProblem]) -> tuple[dict[str, Any], list[Located[M]]]:
    """Validate every file: `_name.yaml` with the model `shared[name]`, the rest with `main`.

    Returns the shared files by name (None where invalid) and the valid main files.
    """
    found_shared: dict[str, Any] = {}
    found: list[Located[M]] = []
    for path, data in files.items():
        if path.stem.startswith("_"):
            model = shared.get(path.stem[1:])
            if model is None:
                expected = ", ".join(f"_{name}" for name in shared)
                problems.append(FileProblem(str(path), 0,
                                            f"unknown shared file (expected {expected})"))
            else:
                found_shared[path.stem[1:]] = load_model(path, model, problems, data)
        else:
            located = load_model(path, main, problems, data)
            if located is not None:
                found.append(located)
    return found_shared, found


def load_rules(folder: Path, files: Files | None = None) -> RuleSources:
    """Every rule file of `folder` (as read into `files`), validated and cross-checked, or
    RuleFileError."""
    files = read_folder(folder) if files is None else files
    problems: list[FileProblem] = []
    shared, intents = _load_files(
        files, {"lexicon": LexiconFile, "negation": NegationFile, "anger": AngerFile},
        RuleFile, problems)
    if not intents and not problems:
        problems.append(FileProblem(str(folder), 0, "no rule files (<intent>.yaml) here"))
    lexicon: Located[LexiconFile] | None = shared.get("lexicon")
    problems += _rule_cross_checks(intents, lexicon)
    if problems:
        raise RuleFileError.from_problems(problems)
    return RuleSources(tuple(intents), lexicon, shared.get("negation"), shared.get("anger"))


def _rule_cross_checks(files: list[Located[RuleFile]],
                       lexicon: Located[LexiconFile] | None) -> list[FileProblem]:
    groups = lexicon.model.groups if lexicon else {}
    problems: list[FileProblem] = []
    seen_ids: dict[str, str] = {}
    for located in files:
        intent = located.model.intent
        if intent not in INTENTS and intent != FALLBACK_INTENT:
            problems.append(located.problem(
                f"unknown intent {intent!r}; known: {', '.join(INTENTS)}, or "
                f"{FALLBACK_INTENT} (rules that silence alone_only rules)", "intent"))
        for index, rule in enumerate(located.model.rules):
            full_id = f"{intent}/{rule.id}"
            if full_id in seen_ids:
                problems.append(located.problem(
                    f"duplicate rule id {full_id!r} (also in {seen_ids[full_id]})",
                    "rules", index, "id"))
            seen_ids.setdefault(full_id, located.path)
            term_lists = [("any", rule.any or [])] + [
                (f"all.{g}", group) for g, group in enumerate(rule.all or [])]
            term_lists += [("none", rule.none), ("none_anywhere", rule.none_anywhere)]
            problems += [located.problem(_UNKNOWN_GROUP.format(where=where, term=term),
                                         "rules", index, *where.split(".")[:1])
                         for where, terms in term_lists
                         for term in _unknown_groups(terms, groups)]
        problems += [located.problem(_UNKNOWN_GROUP.format(where="none_anywhere", term=term),
                                     "none_anywhere")
                     for term in _unknown_groups(located.model.none_anywhere, groups)]
    return problems


_UNKNOWN_GROUP = "{where}: unknown group {term!r} (not in _lexicon.yaml)"


def _unknown_groups(terms: list[str], groups: dict[str, list[str]]) -> list[str]:
    """The @group references among `terms` that _lexicon.yaml does not define."""
    return [term for term in terms
            if term.startswith(GROUP_PREFIX) and term[len(GROUP_PREFIX):] not in groups]


def load_phrasebank(folder: Path, files: Files | None = None) -> PhraseSources:
    """Every phrasebank file of `folder` (as read into `files`), validated and cross-checked,
    or RuleFileError."""
    files = read_folder(folder) if files is None else files
    problems: list[FileProblem] = []
    shared, phrase_files = _load_files(
        files, {"placeholders": PlaceholderFile, "steps": StepsFile}, PhraseFile, problems)
    placeholders: Located[PlaceholderFile] | None = shared.get("placeholders")
    steps: Located[StepsFile] | None = shared.get("steps")
    for name, found in (("_placeholders.yaml", placeholders), ("_steps.yaml", steps)):
        if found is None and not any(p.path.endswith(name) for p in problems):
            problems.append(FileProblem(str(folder / name), 0, "missing file"))
    if placeholders is not None and steps is not None:
        problems += _phrase_cross_checks(phrase_files, placeholders, steps)
    if problems:
        raise RuleFileError.from_problems(problems)
    assert placeholders is not None and steps is not None
    return PhraseSources(tuple(phrase_files), placeholders, steps)


def _phrase_cross_checks(files: list[Located[PhraseFile]],
                         placeholders: Located[PlaceholderFile],
                         steps: Located[StepsFile]) -> list[FileProblem]:
    known_intents = (*INTENTS, FALLBACK_INTENT)
    names = placeholders.model.placeholders
    problems: list[FileProblem] = []
    seen_ids: dict[str, str] = {}
    for located in files:
        if located.model.intent not in known_intents:
            problems.append(located.problem(
                f"unknown intent {located.model.intent!r}; known: {', '.join(known_intents)}",
                "intent"))
        for index, step in enumerate(located.model.order or []):
            if step not in steps.model.calm:
                problems.append(located.problem(
                    f"unknown step {step!r} in order; known: {', '.join(steps.model.calm)}",
                    "order", index))
        for index, phrase in enumerate(located.model.phrases):
            if phrase.id in seen_ids:
                problems.append(located.problem(
                    f"duplicate phrase id {phrase.id!r} (also in {seen_ids[phrase.id]})",
                    "phrases", index, "id"))
            seen_ids.setdefault(phrase.id, located.path)
            if phrase.step not in steps.model.calm:
                problems.append(located.problem(
                    f"unknown step {phrase.step!r}; known: {', '.join(steps.model.calm)}",
                    "phrases", index, "step"))
            for name in placeholders_of(phrase.text):
                if name is None:
                    problems.append(located.problem(
                        "a lone '{' or '}' (write '{{' or '}}' for a literal brace)",
                        "phrases", index, "text"))
                elif name not in names:
                    problems.append(located.problem(
                        f"unknown placeholder {{{name}}}; known: {', '.join(names)}",
                        "phrases", index, "text"))
    return problems
