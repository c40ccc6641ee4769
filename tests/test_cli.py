"""The command line, called in-process through main() and once as `python -m kfscript`."""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kfscript._main import CHUNK_BYTES, _chunks, _in_workers, display_width, main
from kfscript.engine import Engine
from kfscript.errors import KfscriptError

from .conftest import DEV_SET, MINI_RULES

CLASSIFY = [sys.executable, "-m", "kfscript", "classify"]
"""The command line's batch job, run as a user runs it (a process of its own)."""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_suggest_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "suggest", "杯子碎了，气死了！！")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["#", "intent", "step", "score", "reply"]
    assert len(lines) == 4 and all("damaged" in line for line in lines[1:])
    code, out, _ = run(capsys, "suggest", "--json", "-k", "2", "--var", "agent=阿强", "在吗")
    suggestions = json.loads(out)
    assert code == 0 and len(suggestions) == 2
    assert {"text", "intent", "step", "phrase_id", "score"} <= set(suggestions[0])


def test_classify_json_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 7, "text": "杯子碎了"}\n\n"在吗"\nnot json\n{"text": 3}\n',
                      encoding="utf-8")
    code, out, err = run(capsys, "classify", str(source))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1  # bad lines are reported, the good ones still answered
    assert rows[0]["id"] == 7 and rows[0]["intents"][0]["intent"] == "damaged"
    assert rows[1]["intents"][0]["intent"] == "greeting"
    assert rows[2] == {"line": 4, "error": rows[2]["error"]} and "line 4" in err
    assert rows[3]["line"] == 5


def test_classify_survives_bad_bytes_and_reads_a_bom(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'\xef\xbb\xbf"\xe5\x9c\xa8\xe5\x90\x97"\r\n'  # BOM, "在吗", CRLF
                       b'{"text": "\xff\xfe"}\n'
                       + '"杯子碎了"'.encode())  # no newline at the end
    code, out, err = run(capsys, "classify", str(source))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert rows[0]["intents"][0]["intent"] == "greeting"
    assert rows[1] == {"line": 2, "error": "not UTF-8: byte 11 of the line"}
    assert "line 2: not UTF-8" in err
    assert rows[2]["intents"][0]["intent"] == "damaged"


class _Pipe(io.RawIOBase):
    """A pipe that hands over at most a few bytes per read, as a slow writer's would."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes = data, sizes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self.sizes.pop(0) if self.sizes else len(buffer), len(self.data))
        buffer[:size], self.data = self.data[:size], self.data[size:]
        return size


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.sampled_from("a碎\r\\\"{} "), max_size=6), max_size=12),
       st.booleans(), st.lists(st.integers(1, 9), max_size=40))
def test_chunks_are_whole_lines_numbered_as_read(lines: list[str], last_newline: bool,
                                                  sizes: list[int]) -> None:
    data = "\n".join(lines).encode() + (b"\n" if last_newline and lines else b"")
    chunks = list(_chunks(io.BufferedReader(_Pipe(codecs.BOM_UTF8 + data, sizes))))
    assert b"".join(piece for _, piece in chunks) == data
    assert all(piece.endswith(b"\n") for _, piece in chunks[:-1])
    offset = 0
    for number, piece in chunks:
        assert piece and number == data[:offset].count(b"\n") + 1
        offset += len(piece)


def test_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "--rules", str(MINI_RULES), "没有碎了，少了螺丝")
    assert code == 0
    assert "damaged/broken" in out and "cancelled" in out and "missing_parts" in out
    code, out, _ = run(capsys, "explain", "--json", "--rules", str(MINI_RULES), "少了螺丝")
    report = json.loads(out)
    assert report["intents"][0]["intent"] == "missing_parts" and report["words"]


def test_bad_rule_folder_is_a_clear_error(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    (tmp_path / "damaged.yaml").write_text("intent: damaged\nrules: [\n", encoding="utf-8")
    code, _, err = run(capsys, "suggest", "--rules", str(tmp_path), "在吗")
    assert code == 2 and "damaged.yaml:" in err and "YAML syntax" in err


def test_eval_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    errors = tmp_path / "errors.jsonl"
    code, out, _ = run(capsys, "eval", str(DEV_SET), "--json", "--errors", str(errors))
    report = json.loads(out)
    assert code == 0 and report["messages"] == 360
    assert set(report["by_script"]) == {"simplified", "traditional"}
    for line in errors.read_text(encoding="utf-8").splitlines():
        miss = json.loads(line)
        assert miss["gold"] != miss["found"] or miss["angry"] != (miss["anger"] >= 0.5)
        assert "explain" in miss
    code, _, _ = run(capsys, "eval", str(DEV_SET), "--min-micro-f1", "1.01")
    assert code == 1


def test_python_dash_m() -> None:
    done = subprocess.run([sys.executable, "-m", "kfscript", "suggest", "--json", "在吗"],
                          capture_output=True, text=True, encoding="utf-8", check=True)
    assert json.loads(done.stdout)[0]["intent"] == "greeting"


def test_display_width_counts_cjk_double() -> None:
    assert display_width("ab") == 2 and display_width("退款") == 4


def test_classify_workers_keep_order_and_results(tmp_path: Path) -> None:
    texts = ["杯子碎了", "在吗", "还少了一个螺丝", "東西壞了！！", "谢谢亲"] * 2000
    source = tmp_path / "many.jsonl"
    source.write_text("".join(json.dumps({"n": n, "text": t}, ensure_ascii=False) + "\n"
                              for n, t in enumerate(texts)), encoding="utf-8")
    assert source.stat().st_size > 4 * CHUNK_BYTES  # so the workers share it out
    outputs = []
    for workers in ("1", "2"):
        done = subprocess.run([*CLASSIFY, "--workers", workers, str(source)],
                              capture_output=True, text=True, encoding="utf-8", check=True)
        assert done.stderr == ""  # no progress bar when stderr is not a terminal
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    rows = [json.loads(line) for line in outputs[1].splitlines()]
    assert [row["n"] for row in rows] == list(range(len(texts)))


@pytest.mark.skipif(sys.platform == "win32", reason="select() on pipes is POSIX")
def test_classify_answers_a_pipe_line_by_line() -> None:
    running = subprocess.Popen(CLASSIFY, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert running.stdin is not None and running.stdout is not None
    try:
        for text in ("在吗", "杯子碎了"):
            running.stdin.write(json.dumps(text).encode() + b"\n")
            running.stdin.flush()  # and the pipe stays open, as a live chat log's would
            ready, _, _ = select.select([running.stdout], [], [], 30)
            assert ready, f"no answer to {text!r} while the input was still open"
            assert json.loads(running.stdout.readline())["text"] == text
    finally:
        running.kill()
        running.communicate()


class _DiesInWorkers:
    """An engine whose worker process dies on its first message, as one killed would."""

    def prepare(self) -> None:
        pass

    def classify(self, text: str) -> Any:
        os._exit(3)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="processes cannot fork here")
def test_a_killed_worker_is_a_clear_error_not_a_hang() -> None:
    chunks = iter([(1, b'"\xe5\x9c\xa8\xe5\x90\x97"\n')])
    with pytest.raises(KfscriptError, match="worker process was killed"):
        list(_in_workers(cast(Engine, _DiesInWorkers()), chunks, 2))


def _interrupted(running: subprocess.Popen[bytes]) -> str:
    """Sends Ctrl-C to the run and every worker; what the run then printed to stderr."""
    try:
        os.killpg(running.pid, signal.SIGINT)  # what Ctrl-C sends: every process in the group
        _, err = running.communicate(timeout=30)
    finally:  # a hung run must fail the test, not hang the suite
        with contextlib.suppress(ProcessLookupError):  # gone, as it should be
            os.killpg(running.pid, signal.SIGKILL)
        running.communicate()
    assert running.returncode == 130
    return err.decode()


WORKERS = [*CLASSIFY, "--workers", "2"]


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="no process groups here")
def test_ctrl_c_stops_busy_workers_quietly(tmp_path: Path) -> None:
    source = tmp_path / "long.jsonl"
    source.write_text('"杯子碎了，快递也太慢了"\n' * 100_000, encoding="utf-8")
    running = subprocess.Popen([*WORKERS, str(source)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    assert running.stdout is not None and running.stdout.readline()  # under way
    assert _interrupted(running) == "kfscript: interrupted\n"  # no traceback from any process


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="no process groups here")
def test_ctrl_c_stops_idle_workers_quietly() -> None:
    running = subprocess.Popen(WORKERS, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    assert running.stdin is not None and running.stdout is not None
    for _ in range(150):  # a live log: a line now and then, until the first answer is out
        running.stdin.write('"杯子碎了"\n'.encode())
        running.stdin.flush()
        if select.select([running.stdout], [], [], 0.2)[0]:
            break
    assert running.stdout.readline()
    time.sleep(0.5)  # every line is answered: the workers wait for more
    assert _interrupted(running) == "kfscript: interrupted\n"  # no traceback from any process


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_only() -> None:
    from kfscript._main import Progress
    shown, hidden = _Terminal(), io.StringIO()
    for stream in (shown, hidden):
        progress = Progress(stream)
        progress.add(1500)
        progress.close()
    assert "classified 1,500 lines" in shown.getvalue()
    assert hidden.getvalue() == ""


def test_bad_arguments_are_clear_errors(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["suggest", "-k", "-1", "在吗"])
    assert caught.value.code == 2 and "must be 0 or more" in capsys.readouterr().err
    for workers in ("0", "two"):
        with pytest.raises(SystemExit) as caught:
            main(["classify", "--workers", workers])
        assert caught.value.code == 2 and "--workers" in capsys.readouterr().err
    code, _, err = run(capsys, "phrases", "import", str(tmp_path / "missing.csv"))
    assert code == 2 and "missing.csv" in err
    code, _, err = run(capsys, "suggest", "--var", "nobody=x", "在吗")
    assert code == 2 and "unknown placeholder 'nobody'" in err
