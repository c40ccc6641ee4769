"""The README's examples are true: every `$ kfscript ...` block prints what it shows."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest

import kfscript
from kfscript._main import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```console\n(.*?)```", README, re.DOTALL)
COMMANDS = [(match.group(1), match.group(2))
            for block in BLOCKS
            for match in re.finditer(r"^\$ kfscript (.*)\n((?:(?!\$ ).*\n)*)", block,
                                     re.MULTILINE)]


def test_the_readme_has_examples() -> None:
    assert len(COMMANDS) >= 3


@pytest.mark.parametrize(("command", "expected"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_readme_command(command: str, expected: str,
                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(shlex.split(command)) == 0
    assert capsys.readouterr().out.strip() == expected.strip()


def test_package_docstring_example() -> None:
    failures, _ = doctest.testmod(kfscript, verbose=False)
    assert failures == 0
