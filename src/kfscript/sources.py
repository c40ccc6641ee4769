"""Read a rule or phrasebank folder's YAML files once, as bytes.

The cache key is a hash of these bytes and the engine is compiled from these same bytes, so a
file being rewritten while an engine loads can never store one content under another's key.
"""

from __future__ import annotations

from pathlib import Path

from .errors import RuleFileError

Files = dict[Path, bytes]


def read_folder(folder: Path) -> Files:
    """The YAML files of `folder` (sorted by name) with their bytes."""
    if not folder.is_dir():
        raise RuleFileError(folder, 0, "no such folder")
    files: Files = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml"):
            try:
                files[path] = path.read_bytes()
            except OSError as error:
                raise RuleFileError(path, 0, f"cannot read the file: {error}") from error
    return files
