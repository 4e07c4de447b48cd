"""The benchmark stays runnable: a few seconds at small N, failing on any error or lost ack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.server
def test_quick_benchmark_runs_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "bench.ideas", "--quick"], cwd=ROOT, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "ideas committed/s" in result.stdout
