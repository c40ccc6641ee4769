"""Builds kfscript with its per-message modules compiled to C by mypyc, when it can.

The package and its metadata are declared in pyproject.toml; this file only adds the
compiled modules. mypyc compiles the same type-checked .py files the wheel ships, so there
is one source of truth and no second implementation: on a machine without a C compiler (or
where mypyc refuses the code, or any module fails to compile) the build warns and installs
the plain Python modules, which give the same answers, only slower. Editable installs stay
plain Python, so edits show.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

COMPILED = ("normalise", "segment", "scanner", "matcher", "ranking", "render", "results")
"""What every message runs through; the rest (loading, schemas, the CLI) stays Python."""


def compiled_modules() -> list[Extension]:
    building = {"bdist_wheel", "build_ext", "build"} & set(sys.argv)  # not for metadata
    if not building or os.environ.get("KFSCRIPT_PURE_PYTHON"):
        return []
    try:
        from mypyc.build import mypycify

        extensions: list[Extension] = mypycify(
            [f"src/kfscript/{name}.py" for name in COMPILED], opt_level="3",
            group_name="kfscript")
    except (Exception, SystemExit) as error:  # mypyc missing, or refusing the code
        warnings.warn(f"kfscript installs as plain Python: mypyc failed ({error})",
                      stacklevel=1)
        return []
    return extensions


class AllOrNone(build_ext):
    """Compile every module or none: they share one mypyc library (kfscript__mypyc), so a
    module compiled without it would not even import. Without a C compiler, nothing is
    compiled and the plain modules are used."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # any build failure means plain Python
            warnings.warn(f"kfscript installs as plain Python: compiling failed ({error})",
                          stacklevel=1)
            for extension in self.extensions:
                Path(self.get_ext_fullpath(extension.name)).unlink(missing_ok=True)


setup(ext_modules=compiled_modules(), cmdclass={"build_ext": AllOrNone})
