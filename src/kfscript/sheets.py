"""Phrase sheets: the phrasebank as one CSV that staff edit in a spreadsheet.

UTF-8 with a byte-order mark, because Excel reads a BOM-less CSV as the local code page and
garbles Chinese. Columns: intent, step, id, text, weight, tone. Export then import gives the
same phrasebank back. An import checks every row (reported by its row number in the sheet),
then loads the phrasebank it would produce exactly as an engine would, before any file is
touched: nothing is half-imported.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from .errors import FileProblem, RuleFileError
from .loading import PhraseSources, load_phrasebank, read_yaml
from .render import placeholders_of
from .schema import schema_for
from .taxonomy import FALLBACK_INTENT, INTENTS

COLUMNS = ("intent", "step", "id", "text", "weight", "tone")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_]+$")


def export_sheet(phrasebank: Path, out: Path) -> int:
    """Write every phrase of `phrasebank` to the CSV `out`; returns the number of rows."""
    sources = load_phrasebank(phrasebank)
    rows = [{"intent": located.model.intent, "step": phrase.step, "id": phrase.id,
             "text": phrase.text, "weight": repr(phrase.weight), "tone": phrase.tone or ""}
            for located in sources.files for phrase in located.model.phrases]
    with open(out, "w", encoding="utf-8-sig", newline="") as sheet:
        writer = csv.DictWriter(sheet, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def _check_row(row: dict[str, str], sources: PhraseSources, seen: set[str]) -> list[str]:
    """What is wrong with one sheet row (empty when nothing)."""
    wrong = [f"empty {column}" for column in COLUMNS if column != "tone" and not row[column]]
    if wrong:
        return wrong
    if row["intent"] not in (*INTENTS, FALLBACK_INTENT):
        wrong.append(f"unknown intent {row['intent']!r}")
    if row["step"] not in sources.steps.model.calm:
        wrong.append(f"unknown step {row['step']!r}")
    if not _IDENTIFIER.match(row["id"]):
        wrong.append(f"id {row['id']!r} may hold only letters, digits and _")
    elif row["id"] in seen:
        wrong.append(f"duplicate phrase id {row['id']!r}")
    if row["tone"] and not _IDENTIFIER.match(row["tone"]):
        wrong.append(f"tone {row['tone']!r} may hold only letters, digits and _")
    try:
        if not 0 < float(row["weight"]) <= 1:
            wrong.append(f"weight {row['weight']} must be in (0, 1]")
    except ValueError:
        wrong.append(f"weight {row['weight']!r} is not a number")
    names = sources.placeholders.model.placeholders
    for name in placeholders_of(row["text"]):
        if name is None:
            wrong.append("a lone '{' or '}' in text (write '{{' or '}}' for a brace)")
        elif name not in names:
            wrong.append(f"unknown placeholder {{{name}}}")
    return wrong


def import_sheet(sheet: Path, phrasebank: Path) -> int:
    """Replace the phrases of `phrasebank` by those of the CSV `sheet`.

    Intent files keep their other keys (such as `order`); an intent the sheet does not
    mention keeps its file as it is. Returns the number of phrases imported; raises
    RuleFileError naming the sheet's rows, and changes nothing, when anything is wrong.
    """
    sources = load_phrasebank(phrasebank)
    where = str(sheet)
    problems: list[FileProblem] = []
    by_intent: dict[str, list[dict[str, Any]]] = {}
    seen: set[str] = set()
    with open(sheet, encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        absent = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if absent:
            raise RuleFileError(where, 1, f"missing columns: {', '.join(absent)}")
        for number, raw in enumerate(reader, 2):  # row 1 is the header
            row = {column: (raw.get(column) or "").strip() for column in COLUMNS}
            row["text"] = raw.get("text") or ""
            wrong = _check_row(row, sources, seen)
            problems += [FileProblem(where, number, message) for message in wrong]
            seen.add(row["id"])
            if not wrong:
                phrase: dict[str, Any] = {"id": row["id"], "step": row["step"],
                                          "weight": float(row["weight"])}
                if row["tone"]:
                    phrase["tone"] = row["tone"]
                phrase["text"] = row["text"]
                by_intent.setdefault(row["intent"], []).append(phrase)
    if problems:
        raise RuleFileError.from_problems(problems)
    with tempfile.TemporaryDirectory() as scratch:
        staged = Path(scratch) / phrasebank.name
        shutil.copytree(phrasebank, staged)
        for intent, phrases in by_intent.items():
            _write_intent(staged / f"{intent}.yaml", intent, phrases)
        try:
            load_phrasebank(staged)  # the same checks an engine makes, on the result
        except RuleFileError as error:  # e.g. an id already used by an intent not in the sheet
            raise RuleFileError.from_problems([
                FileProblem(p.path.replace(str(staged), str(phrasebank)), p.line, p.message)
                for p in error.problems]) from None
        for intent in by_intent:
            target = phrasebank / f"{intent}.yaml"
            shutil.copyfile(staged / target.name, f"{target}.tmp")
            os.replace(f"{target}.tmp", target)
    return sum(len(phrases) for phrases in by_intent.values())


def _write_intent(path: Path, intent: str, phrases: list[dict[str, Any]]) -> None:
    document: dict[str, Any] = {"intent": intent}
    read = read_yaml(path, []) if path.exists() else None
    if read is not None and isinstance(read[0], dict):
        document = {key: value for key, value in read[0].items() if key != "phrases"}
    document["intent"] = intent
    document["phrases"] = phrases
    header = f"# yaml-language-server: $schema=../schemas/{schema_for(path)}.schema.json\n"
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(header + body, encoding="utf-8")
