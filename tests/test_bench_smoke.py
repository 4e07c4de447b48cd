"""The capacity benchmark stays runnable: a short run at N=50, failing on any error, close, lost answer or timeout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.server
def test_quick_capacity_benchmark_runs_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "bench.capacity", "--quick"], cwd=ROOT, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for scenario in ("join", "ideas", "private", "vote"):
        assert f"## {scenario} " in result.stdout
    assert "ack p99, ms" in result.stdout and "server CPU, µs/delivered event" in result.stdout
