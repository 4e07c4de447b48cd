"""The capacity benchmark stays runnable: a short run at N=50, failing on any error, close, lost answer or timeout;
and, where PostgreSQL and Redis are installed, a shorter one with two processes sharing the room."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.layouts import available

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.server
def test_quick_capacity_benchmark_runs_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "bench.capacity", "--quick"], cwd=ROOT, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for scenario in ("join", "ideas", "private", "vote"):
        assert f"## {scenario} " in result.stdout
    assert "ack p99, ms" in result.stdout and "server CPU, µs/delivered event" in result.stdout


@pytest.mark.server
@pytest.mark.skipif(available("redis2") is not None, reason=str(available("redis2")))
def test_two_processes_on_postgresql_and_redis_run_clean() -> None:
    """Participants on both processes hear every idea of the room, whichever process took it."""
    result = subprocess.run([sys.executable, "-m", "bench.capacity", "--quick", "--layout", "redis2",
                             "--scenarios", "ideas", "--sizes", "20"], cwd=ROOT, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "layout redis2: 2 Essaim processes on one PostgreSQL" in result.stdout
    assert "## ideas " in result.stdout and "PostgreSQL + Redis CPU, µs/delivered event" in result.stdout


def test_a_layout_that_cannot_start_says_so_and_fails(tmp_path: Path) -> None:
    # No redis-server on this PATH (the interpreter is named by its full path): refused before
    # PostgreSQL is even started.
    result = subprocess.run([sys.executable, "-m", "bench.capacity", "--quick", "--layout", "redis2"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, env={**os.environ, "PATH": str(tmp_path)})
    assert result.returncode == 1
    assert "layout redis2 cannot run here: redis-server is not installed" in result.stderr
    assert "## " not in result.stdout
