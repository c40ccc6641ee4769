"""JSON Schemas of the rule and phrasebank files, generated from the pydantic models.

The bundled files name their schema in a first-line comment
(`# yaml-language-server: $schema=../schemas/rules.schema.json`), so editors with the YAML
language server (VS Code's YAML extension) check a file while staff type.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from .models import (
    AngerFile,
    LexiconFile,
    NegationFile,
    PhraseFile,
    PlaceholderFile,
    RuleFile,
    StepsFile,
)

SCHEMAS: dict[str, type[BaseModel]] = {
    "rules": RuleFile,
    "lexicon": LexiconFile,
    "negation": NegationFile,
    "anger": AngerFile,
    "phrasebank": PhraseFile,
    "placeholders": PlaceholderFile,
    "steps": StepsFile,
}
"""Schema name -> model; the file is `<name>.schema.json`."""

FILE_SCHEMA = {"_lexicon": "lexicon", "_negation": "negation", "_anger": "anger",
               "_placeholders": "placeholders", "_steps": "steps"}
"""Which schema a shared file uses; every other file uses rules or phrasebank."""


def schema_text(name: str) -> str:
    schema = SCHEMAS[name].model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    """Write every schema into `folder`; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SCHEMAS:
        path = folder / f"{name}.schema.json"
        path.write_text(schema_text(name), encoding="utf-8")
        written.append(path)
    return written


def schema_for(path: Path) -> str:
    """The schema name a rule or phrasebank file should reference."""
    if path.stem in FILE_SCHEMA:
        return FILE_SCHEMA[path.stem]
    return "phrasebank" if path.parent.name == "phrasebank" else "rules"
