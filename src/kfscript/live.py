"""A hot-reloading engine: staff edit the files, new calls see the edit, nothing breaks.

`LiveEngine` holds one immutable `Engine` and swaps it for a new one when the files change.
The swap is a single reference assignment, so a call reads either the old engine or the
new one, never a mix, and a call already running keeps the engine it started with. An edit
that does not load keeps the last good engine serving and is reported (`last_error`, and
the `on_error` callback), so a typo in a file never takes the suggestions down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .engine import Engine, bundled
from .errors import RuleFileError
from .results import Classification, Suggestion

Snapshot = tuple[tuple[str, int, int], ...]


def snapshot(folders: list[Path]) -> Snapshot:
    """Name, size and modification time of every YAML file: what a reload watches."""
    found = []
    for folder in folders:
        try:
            paths = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
        except OSError:
            continue
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue
            found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


class LiveEngine:
    """An engine over folders that can be reloaded, by call or by a watching thread.

    Use as a context manager (or call `start()`/`stop()`) to watch the folders every
    `interval` seconds. The first build must succeed: it raises RuleFileError otherwise.
    """

    def __init__(self, rules: str | Path | None = None, phrasebank: str | Path | None = None,
                 *, interval: float = 1.0,
                 on_error: Callable[[RuleFileError], None] | None = None) -> None:
        self.folders = [Path(rules) if rules is not None else bundled("rules"),
                        Path(phrasebank) if phrasebank is not None else bundled("phrasebank")]
        self.interval = interval
        self.on_error = on_error
        self.last_error: RuleFileError | None = None
        self._seen = snapshot(self.folders)
        self.engine = Engine.from_paths(*self.folders)
        self._reloading = threading.Lock()
        self._stopped = threading.Event()
        self._watcher: threading.Thread | None = None

    def reload(self) -> bool:
        """Build a new engine from the files now; True when it replaced the old one."""
        with self._reloading:
            seen = snapshot(self.folders)
            try:
                fresh = Engine.from_paths(*self.folders)
            except RuleFileError as error:
                self._seen = seen  # report a broken edit once, not on every poll
                self.last_error = error
                if self.on_error is not None:
                    self.on_error(error)
                return False
            self._seen = seen
            self.last_error = None
            if self.engine.matcher.scanner.loaded:  # live traffic never waits for the load
                fresh.prepare()
            self.engine = fresh
            return True

    def reload_if_changed(self) -> bool:
        """Reload when any watched file was added, removed or changed since the last look."""
        if snapshot(self.folders) == self._seen:
            return False
        return self.reload()

    def _watch(self) -> None:
        while not self._stopped.wait(self.interval):
            self.reload_if_changed()

    def start(self) -> LiveEngine:
        if self._watcher is None:
            self._stopped.clear()
            self._watcher = threading.Thread(target=self._watch, name="kfscript-reload",
                                             daemon=True)
            self._watcher.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None

    def __enter__(self) -> LiveEngine:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def classify(self, text: str) -> Classification:
        return self.engine.classify(text)

    def suggest(self, text: str, k: int = 3, *,
                variables: Mapping[str, str] | None = None) -> list[Suggestion]:
        return self.engine.suggest(text, k, variables=variables)

    def explain(self, text: str) -> dict[str, Any]:
        return self.engine.explain(text)
