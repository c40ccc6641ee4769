"""The command line: a thin layer over the Engine (see `kfscript --help`)."""

from __future__ import annotations

import argparse
import codecs
import io
import json
import multiprocessing
import signal
import sys
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from .engine import Engine
from .errors import KfscriptError
from .evaluation import evaluate, format_report, read_examples

if TYPE_CHECKING:
    from concurrent.futures import Future


def display_width(text: str) -> int:
    """Terminal columns of `text`: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned table; the last column is left unpadded so long texts wrap cleanly."""
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _at_least(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number, `least` or more."""
    def whole_number(text: str) -> int:
        value = int(text)
        if value < least:
            raise argparse.ArgumentTypeError(f"must be {least} or more, got {value}")
        return value

    return whole_number


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _engine(args: argparse.Namespace) -> Engine:
    return Engine.from_paths(rules=args.rules, phrasebank=args.phrasebank)


def _variables(pairs: Iterable[str]) -> dict[str, str]:
    variables = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise KfscriptError(f"--var takes NAME=VALUE, got {pair!r}")
        variables[name] = value
    return variables


def cmd_suggest(args: argparse.Namespace, out: TextIO) -> int:
    engine = _engine(args)
    suggestions = engine.suggest(args.text, args.k, variables=_variables(args.var))
    if args.json:
        print(_dump([s.to_dict() for s in suggestions]), file=out)
        return 0
    rows = [["#", "intent", "step", "score", "reply"]]
    rows += [[str(n), s.intent, s.step, f"{s.score:.2f}", s.text]
             for n, s in enumerate(suggestions, 1)]
    print(table(rows), file=out)
    return 0


def read_messages(numbered: Iterable[tuple[int, bytes]],
                  ) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line number, the record or None, error or text) for each non-blank JSON line.

    A line is UTF-8: a JSON object with a "text" field (other fields are passed through)
    or a bare JSON string.
    """
    for number, raw in numbered:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            yield number, None, f"not UTF-8: byte {error.start + 1} of the line"
            continue
        except json.JSONDecodeError as error:
            yield number, None, f"not JSON: {error.msg}"
            continue
        if isinstance(record, str):
            record = {"text": record}
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield number, None, 'expected a JSON object with a string "text" field'
            continue
        yield number, record, record["text"]


_worker_engine: Engine | None = None


def _start_worker(engine: Engine) -> None:
    """Ctrl-C reaches every process in the terminal's group. Workers ignore it: the main
    process stops them, and a worker waiting for work would otherwise die printing a
    traceback."""
    global _worker_engine
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_engine = engine


Chunk = tuple[int, bytes]
"""A batch's unit of work: the number of its first line, and its lines as read."""
Answered = tuple[bytes, list[str], int]
"""A chunk's output: its JSON lines, UTF-8, its errors, how many lines."""


def classify_lines(engine: Engine, chunk: Chunk) -> Answered:
    """Bytes in and bytes out, so that with workers the main process only passes them on."""
    first, data = chunk
    lines, errors = [], []
    for number, record, text in read_messages(enumerate(data.split(b"\n"), first)):
        if record is None:
            lines.append(_dump({"line": number, "error": text}))
            errors.append(f"line {number}: {text}")
        else:
            lines.append(_dump({**record, **engine.classify(text).to_dict()}))
    output = "".join(line + "\n" for line in lines)
    return output.encode("utf-8", "backslashreplace"), errors, len(lines)


def _classify_chunk(chunk: Chunk) -> Answered:
    assert _worker_engine is not None
    return classify_lines(_worker_engine, chunk)


CHUNK_BYTES = 1 << 16
"""About 650 lines of chat: few enough hand-offs between processes to cost little."""


def _chunks(stream: io.BufferedIOBase) -> Iterator[Chunk]:
    """The lines of `stream` in chunks (see `_whole_lines`), numbered. A UTF-8 byte-order
    mark at the start, as Windows editors write, is dropped."""
    number = 1
    for lines in _whole_lines(stream):
        if number == 1:
            lines = lines.removeprefix(codecs.BOM_UTF8)
        if lines:
            yield number, lines
            number += lines.count(b"\n")


def _whole_lines(stream: io.BufferedIOBase) -> Iterator[bytes]:
    """Whole lines, about CHUNK_BYTES at a time, or fewer if that is all a pipe has ready
    (so `tail -f log | kfscript classify` answers as lines come)."""
    rest = b""
    while data := stream.read1(CHUNK_BYTES):  # one read: all of it from a file, or what a pipe has
        data = rest + data
        end = data.rfind(b"\n") + 1
        rest = data[end:]
        if end:
            yield data[:end]
    yield rest


class Progress:
    """A one-line progress report on stderr, shown only when stderr is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = stream.isatty()
        self.count = 0
        self.started = self.last = time.monotonic()

    def add(self, count: int) -> None:
        self.count += count
        now = time.monotonic()
        if self.shown and now - self.last >= 0.2:
            self.last = now
            rate = self.count / max(now - self.started, 1e-9)
            print(f"\rclassified {self.count:,} lines ({rate:,.0f}/s)", end="",
                  file=self.stream, flush=True)

    def close(self) -> None:
        if self.shown:
            self.last = 0.0
            self.add(0)
            print(file=self.stream)


def _byte_writer(out: TextIO) -> Callable[[bytes], None]:
    """Writes UTF-8 output as it comes (a reader at the other end of a pipe sees each chunk
    at once): under `out` when it is a text layer over bytes, as sys.stdout is, so the
    bytes are not decoded only to be encoded again; else decoded into it."""
    buffer: BinaryIO | None = getattr(out, "buffer", None)
    if buffer is None:
        return lambda data: print(data.decode("utf-8"), end="", file=out, flush=True)
    out.flush()

    def write(data: bytes) -> None:
        buffer.write(data)
        buffer.flush()

    return write


def cmd_classify(args: argparse.Namespace, out: TextIO) -> int:
    engine = _engine(args)
    chunks = _chunks(args.file)
    write = _byte_writer(out)
    progress = Progress(sys.stderr)
    failures = 0

    def emit(answered: Answered) -> None:
        nonlocal failures
        data, errors, count = answered
        for error in errors:
            print(error, file=sys.stderr)
        failures += len(errors)
        write(data)
        progress.add(count)

    if args.workers <= 1:
        for chunk in chunks:
            emit(classify_lines(engine, chunk))
    else:
        for answered in _in_workers(engine, chunks, args.workers):
            emit(answered)
    progress.close()
    return 1 if failures else 0


def _in_workers(engine: Engine, chunks: Iterator[Chunk], workers: int) -> Iterator[Answered]:
    """The chunks' answers in input order, classified in `workers` processes.

    A few chunks per worker are under way at a time, so a big file is never all in memory;
    answers come out in order as soon as they and those before them are done, checked
    whenever a chunk has been read. (concurrent.futures, not multiprocessing.Pool: Pool's
    worker-watching thread wakes whenever a result is waiting to be read, and with answers
    of 100 kB spins through thousands of wake-ups, a third of a second of the CPU the
    workers need.)
    """
    from concurrent.futures import ProcessPoolExecutor  # 20 ms to import, needed only here
    from concurrent.futures.process import BrokenProcessPool

    engine.prepare()  # load the dictionary and jieba before forking: shared, not redone
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(workers, context, _start_worker, (engine,)) as pool:
        under_way: deque[Future[Answered]] = deque()
        try:
            for chunk in chunks:
                under_way.append(pool.submit(_classify_chunk, chunk))
                while under_way and (under_way[0].done() or len(under_way) > 3 * workers):
                    yield under_way.popleft().result()
            while under_way:
                yield under_way.popleft().result()
        except BrokenProcessPool as error:
            raise KfscriptError("a worker process was killed (out of memory?); the lines "
                                "before the first unanswered one were written") from error
        except BaseException:  # Ctrl-C, a closed output: drop the chunks not yet started
            # and wait for the few under way: a pool still closing its pipes when the
            # interpreter exits races Python 3.11's exit hook, which then prints
            # "OSError: Bad file descriptor" after "kfscript: interrupted"
            pool.shutdown(cancel_futures=True)
            raise


def cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    report = _engine(args).explain(args.text)
    if args.json:
        print(_dump(report), file=out)
        return 0
    print(f"text:    {report['text']}", file=out)
    print(f"folded:  {report['folded']}   ({report['script']})", file=out)
    print(f"words:   {' / '.join(report['words'])}", file=out)
    print("terms found:", file=out)
    for hit in report["hits"]:
        cancelled = f"   cancelled by {hit['cancelled_by']}" if hit["cancelled_by"] else ""
        print(f"  {hit['span']}  {hit['text']}  ({', '.join(hit['as'])}){cancelled}", file=out)
    print("rules fired:", file=out)
    for fired in report["fired"]:
        print(f"  {fired['rule']}  weight {fired['weight']}  spans {fired['spans']}", file=out)
    for item in report["suppressed"]:
        print(f"  cancelled: {item['rule']} at {list(item['span'])} by {item['cue']}", file=out)
    print("intents:", file=out)
    for hit in report["intents"]:
        print(f"  {hit['intent']}  {hit['score']:.2f}  {', '.join(hit['rules'])}", file=out)
    print(f"anger:   {report['anger']:.2f}{'  (angry)' if report['angry'] else ''}", file=out)
    return 0


def cmd_eval(args: argparse.Namespace, out: TextIO) -> int:
    engine = _engine(args)
    errors: list[dict[str, Any]] | None = [] if args.errors else None
    report = evaluate(engine, read_examples(args.file), args.k, errors)
    if args.json:
        print(_dump(report), file=out)
    else:
        for line in format_report(report):
            print(line, file=out)
    if args.errors and errors is not None:
        with open(args.errors, "w", encoding="utf-8") as dump:
            for item in errors:
                print(_dump(item), file=dump)
    if args.min_micro_f1 is not None and report["micro_f1"] < args.min_micro_f1:
        print(f"kfscript: micro-F1 {report['micro_f1']:.4f} is below {args.min_micro_f1}",
              file=sys.stderr)
        return 1
    return 0


def cmd_lint(args: argparse.Namespace, out: TextIO) -> int:
    from .engine import bundled
    from .lint import lint

    findings = lint(Path(args.rules) if args.rules else bundled("rules"),
                    Path(args.phrasebank) if args.phrasebank else bundled("phrasebank"))
    for finding in findings:
        print(finding, file=out)
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    print(f"{errors} errors, {warnings} warnings", file=out)
    return 1 if errors or (args.strict and warnings) else 0


def cmd_schema(args: argparse.Namespace, out: TextIO) -> int:
    from .schema import write_schemas

    for path in write_schemas(Path(args.out)):
        print(path, file=out)
    return 0


def cmd_phrases(args: argparse.Namespace, out: TextIO) -> int:
    from .engine import bundled
    from .sheets import export_sheet, import_sheet

    phrasebank = Path(args.phrasebank) if args.phrasebank else bundled("phrasebank")
    if args.action == "export":
        count = export_sheet(phrasebank, Path(args.csv))
        print(f"exported {count} phrases to {args.csv}", file=out)
    else:
        count = import_sheet(Path(args.csv), phrasebank)
        print(f"imported {count} phrases into {phrasebank}", file=out)
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="kfscript", description="Suggest customer-service replies for Chinese shop chats.")
    commands = main.add_subparsers(dest="command", required=True)
    folders = argparse.ArgumentParser(add_help=False)
    folders.add_argument("--rules", help="rule folder (default: the bundled rules)")
    folders.add_argument("--phrasebank", help="phrasebank folder (default: the bundled one)")

    suggest = commands.add_parser("suggest", parents=[folders], help="suggest replies")
    suggest.add_argument("text")
    suggest.add_argument("-k", type=_at_least(0), default=3, help="how many replies (default 3)")
    suggest.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                         help="fill a placeholder, e.g. --var shop=小熊家居 (repeatable)")
    suggest.add_argument("--json", action="store_true", help="print JSON")
    suggest.set_defaults(run=cmd_suggest)

    classify = commands.add_parser(
        "classify", parents=[folders], help="classify JSON lines (from a file or stdin)")
    classify.add_argument("file", nargs="?", type=argparse.FileType("rb"),
                          default="-", help="JSON lines file, UTF-8 (default: stdin)")
    classify.add_argument("--workers", type=_at_least(1), default=1, metavar="N",
                          help="processes to classify with (default 1); output keeps the "
                          "input order")
    classify.set_defaults(run=cmd_classify)

    explain = commands.add_parser("explain", parents=[folders],
                                  help="show why a message gets its intents")
    explain.add_argument("text")
    explain.add_argument("--json", action="store_true", help="print JSON")
    explain.set_defaults(run=cmd_explain)

    evaluation = commands.add_parser("eval", parents=[folders],
                                     help="measure the rules on labelled JSON lines")
    evaluation.add_argument("file", help="labelled messages, one JSON object a line")
    evaluation.add_argument("--errors", metavar="OUT.jsonl",
                            help="write every miss, with its explanation, here")
    evaluation.add_argument("--json", action="store_true", help="print JSON")
    evaluation.add_argument("-k", type=_at_least(0), default=3,
                            help="suggestions counted for coverage (default 3)")
    evaluation.add_argument("--min-micro-f1", type=float, metavar="X",
                            help="exit with status 1 when micro-F1 is below X")
    evaluation.set_defaults(run=cmd_eval)

    linting = commands.add_parser("lint", parents=[folders],
                                  help="check rule and phrasebank files for mistakes")
    linting.add_argument("--strict", action="store_true", help="fail on warnings too")
    linting.set_defaults(run=cmd_lint)

    schema = commands.add_parser("schema", help="write JSON Schemas of the file formats")
    schema.add_argument("--out", default="schemas", help="folder to write (default schemas/)")
    schema.set_defaults(run=cmd_schema)

    phrases = commands.add_parser("phrases", help="phrasebank <-> spreadsheet CSV")
    phrases.add_argument("action", choices=["export", "import"])
    phrases.add_argument("csv", help="the CSV file (UTF-8 with BOM, for Excel)")
    phrases.add_argument("--phrasebank", help="phrasebank folder (default: the bundled one)")
    phrases.set_defaults(run=cmd_phrases)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        code: int = args.run(args, sys.stdout)
    except BrokenPipeError:  # `kfscript ... | head`: the reader has all it wanted
        sys.stdout = None  # nothing left to flush at exit
        return 0
    except KeyboardInterrupt:
        print("kfscript: interrupted", file=sys.stderr)
        return 130  # the shell's code for a command stopped by Ctrl-C
    except (KfscriptError, OSError) as error:
        print(f"kfscript: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
