"""The benchmark harness keeps working: its seconds-long smoke mode runs and reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def test_benchmark_smoke_mode(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    done = subprocess.run([sys.executable, str(RUN), "--smoke", "--out", str(out)],
                          capture_output=True, text=True, encoding="utf-8", timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    report = out.read_text(encoding="utf-8")
    for section in ("## Per-message latency", "jieba.lcut", "flashtext", "regex loop",
                    "## Cold start", "## Batch throughput", "## Targets"):
        assert section in report
