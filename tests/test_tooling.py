"""Authoring safety: lint, schemas, phrase sheets."""

from __future__ import annotations

import csv
import json
import shutil
import textwrap
from pathlib import Path

import pytest

import kfscript
from kfscript._main import main
from kfscript.engine import bundled
from kfscript.lint import lint
from kfscript.loading import load_phrasebank
from kfscript.schema import SCHEMAS, schema_for, schema_text
from kfscript.sheets import export_sheet, import_sheet

from .conftest import MINI_RULES

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    rules, phrases = tmp_path / "rules", tmp_path / "phrasebank"
    shutil.copytree(bundled("rules"), rules)
    shutil.copytree(bundled("phrasebank"), phrases)
    return rules, phrases


def test_bundled_files_lint_clean() -> None:
    assert lint(bundled("rules"), bundled("phrasebank")) == []


def _messages(rules: Path, phrases: Path) -> list[str]:
    return [f"{Path(f.path).name}:{f.line}: {f.severity}: {f.message}"
            for f in lint(rules, phrases)]


def test_lint_finds_what_loading_cannot(folders: tuple[Path, Path]) -> None:
    rules, phrases = folders
    (rules / "zz_extra.yaml").write_text(
        "intent: damaged\n"
        "rules:\n"
        "  - id: everything\n"
        "    any: [碎了, 神秘词]\n"
        "  - id: part\n"
        "    any: [碎了]\n"
        "    none: [别家, 别處, 别处]\n"
        "examples: [完全没有问题]\n"
        "counterexamples: [杯子碎了]\n", encoding="utf-8")
    (rules / "zz_other.yaml").write_text(
        "intent: quality_issue\nrules:\n  - id: mystery\n    any: [神秘词]\n", encoding="utf-8")
    (phrases / "wrong_item.yaml").unlink()
    found = _messages(rules, phrases)
    assert any("zz_extra.yaml:8: error: example '完全没有问题' does not carry" in m for m in found)
    assert any("zz_extra.yaml:9: error: counterexample '杯子碎了' carries" in m for m in found)
    assert "zz_extra.yaml:7: warning: term '别处' is listed twice here" in found
    assert any("wrong_item.yaml" in m and "has no phrases" in m for m in found)
    assert any("term '神秘词' alone fires damaged and quality_issue" in m for m in found)
    assert any("zz_extra.yaml:5: warning: rule 'part' is shadowed by 'everything'" in m
               for m in found)


def test_a_rule_held_to_more_shadows_no_ordinary_rule(folders: tuple[Path, Path]) -> None:
    rules, phrases = folders
    (rules / "zz_extra.yaml").write_text(textwrap.dedent("""\
        intent: damaged
        rules:
          - {id: lone, any: [裂开, 碎开], whole_message: true}
          - {id: anywhere, any: [碎开]}
          - {id: lone_again, any: [碎开], whole_message: true}
          - {id: unless_fine, any: [裂开了, 碎开了], none_anywhere: [没事]}
          - {id: plain, any: [碎开了]}
        """), encoding="utf-8")
    shadowed = [m for m in _messages(rules, phrases) if "zz_extra" in m and "shadowed" in m]
    assert shadowed == [  # 'anywhere' and 'plain' fire where 'lone' and 'unless_fine' cannot
        "zz_extra.yaml:5: warning: rule 'lone_again' is shadowed by 'lone': every term of "
        "it is already there at full weight, so it never changes a score"]


def test_lint_reports_load_errors_with_lines(folders: tuple[Path, Path]) -> None:
    rules, phrases = folders
    (rules / "damaged.yaml").write_text("intent: damaged\nrules:\n  - id: a\n    any: []\n",
                                        encoding="utf-8")
    assert _messages(rules, phrases) == [
        "damaged.yaml:4: error: rules.0.any: List should have at least 1 item after "
        "validation, not 0"]


def test_lint_command_exit_status(folders: tuple[Path, Path],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    rules, phrases = folders
    assert main(["lint", "--rules", str(rules), "--phrasebank", str(phrases)]) == 0
    (phrases / "bargaining.yaml").write_text(
        (phrases / "bargaining.yaml").read_text(encoding="utf-8").replace("order:", "#"),
        encoding="utf-8")
    assert main(["lint", "--rules", str(rules), "--phrasebank", str(phrases)]) == 0
    assert main(["lint", "--strict", "--rules", str(rules), "--phrasebank", str(phrases)]) == 1
    assert "warning" in capsys.readouterr().out


def test_committed_schemas_are_current() -> None:
    for name in SCHEMAS:
        committed = (REPO / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
        assert committed == schema_text(name), f"run: kfscript schema --out schemas ({name})"


def test_bundled_files_reference_their_schema() -> None:
    for folder in (bundled("rules"), bundled("phrasebank")):
        for path in folder.glob("*.yaml"):
            first = path.read_text(encoding="utf-8").splitlines()[0]
            expected = f"# yaml-language-server: $schema=../schemas/{schema_for(path)}.schema.json"
            assert first == expected, path


def test_schema_validates_like_the_models(tmp_path: Path) -> None:
    assert main(["schema", "--out", str(tmp_path)]) == 0
    rules = json.loads((tmp_path / "rules.schema.json").read_text(encoding="utf-8"))
    assert rules["additionalProperties"] is False and "rules" in rules["required"]


def _read_sheet(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as sheet:
        return list(csv.DictReader(sheet))


def _phrases(folder: Path) -> list[tuple[str, str, str, str, float, str | None]]:
    return sorted((f.model.intent, p.id, p.step, p.text, p.weight, p.tone)
                  for f in load_phrasebank(folder).files for p in f.model.phrases)


def test_sheet_round_trips_without_loss(folders: tuple[Path, Path], tmp_path: Path) -> None:
    _, phrases = folders
    before = _phrases(phrases)
    sheet = tmp_path / "phrases.csv"
    assert export_sheet(phrases, sheet) == len(before)
    assert sheet.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel needs the BOM
    assert list(_read_sheet(sheet)[0]) == ["intent", "step", "id", "text", "weight", "tone"]
    assert import_sheet(sheet, phrases) == len(before)
    assert _phrases(phrases) == before
    assert load_phrasebank(phrases).files  # still loads, `order` keys kept
    assert "order:" in (phrases / "greeting.yaml").read_text(encoding="utf-8")


def test_sheet_edit_takes_effect(folders: tuple[Path, Path], tmp_path: Path) -> None:
    rules, phrases = folders
    sheet = tmp_path / "phrases.csv"
    export_sheet(phrases, sheet)
    rows = _read_sheet(sheet)
    for row in rows:
        if row["intent"] == "greeting":
            row["text"] = row["text"].replace("欢迎", "热烈欢迎")
    rows.append({"intent": "greeting", "step": "greet", "id": "greeting_new", "tone": "warm",
                 "text": "哈喽～{agent}来啦，请讲", "weight": "0.5"})
    with open(sheet, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    import_sheet(sheet, phrases)
    engine = kfscript.Engine.from_paths(rules, phrases)
    assert "热烈欢迎" in engine.suggest("在吗", k=1)[0].text
    assert ("greeting", "greeting_new") in {(p[0], p[1]) for p in _phrases(phrases)}


def test_bad_rows_are_reported_by_row_and_nothing_changes(folders: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    _, phrases = folders
    before = {p.name: p.read_bytes() for p in phrases.iterdir()}
    sheet = tmp_path / "bad.csv"
    sheet.write_text(
        "intent,step,id,text,weight,tone\n"
        "greeting,greet,g_ok,你好,1.0,warm\n"
        "greeting,dance,g_bad_step,你好呀,1.0,\n"
        "nonsense,greet,g_bad_intent,你好,1.0,\n"
        "greeting,greet,g_ok,重复,0.5,\n"
        "greeting,greet,g_bad_weight,你好,heavy,\n"
        "greeting,greet,g_bad_placeholder,{boss}你好,1.0,\n",
        encoding="utf-8-sig")
    with pytest.raises(kfscript.RuleFileError) as caught:
        import_sheet(sheet, phrases)
    rows = {(p.line, p.message.split(" ")[0] + " " + p.message.split(" ")[1])
            for p in caught.value.problems}
    assert {line for line, _ in rows} == {3, 4, 5, 6, 7}
    assert all(p.path == str(sheet) for p in caught.value.problems)
    assert {p.name: p.read_bytes() for p in phrases.iterdir()} == before


def test_phrases_commands(folders: tuple[Path, Path], tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    _, phrases = folders
    sheet = tmp_path / "p.csv"
    assert main(["phrases", "export", str(sheet), "--phrasebank", str(phrases)]) == 0
    assert main(["phrases", "import", str(sheet), "--phrasebank", str(phrases)]) == 0
    sheet.write_text("intent,step\n", encoding="utf-8-sig")
    assert main(["phrases", "import", str(sheet), "--phrasebank", str(phrases)]) == 2
    assert "missing columns" in capsys.readouterr().err


def test_mini_rules_are_usable_by_lint() -> None:
    findings = lint(MINI_RULES, bundled("phrasebank"))
    assert all(f.severity == "warning" or "has no phrases" not in f.message for f in findings)
