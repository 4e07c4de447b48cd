"""How fast ideas go from N writers to N readers, against baselines measured in the same run.

    python -m bench.ideas [--clients N] [--ideas-per-client K] [--window W] [--repeat R] [--quick]

Runs, interleaved repeat by repeat so that a noisy neighbour hits every configuration alike:
  * Essaim (`python -m app serve`) with SQLite synchronous=FULL (production) and NORMAL;
  * a bare `websockets` broadcast server (bench/baseline_server.py), same clients, same traffic;
  * plain sqlite3 commits through one writer, one transaction per op and group commit.
Prints medians over the repeats and each Essaim figure divided by its baseline.
Exits 1 if any error frame, unexpected close, lost ack or timeout happened.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Origin

from app import limits
from app.db import MAX_BATCH  # the group commit under test batches this much at most; so does the baseline
from tests.support.server import ROOT, Server, free_port

from .load import Burst, Frame, Target, burst, nearest_rank
from .rawsqlite import Commits, commits

SYNC_MODES = ("FULL", "NORMAL")
WS = "ws baseline"


@dataclass(frozen=True)
class Params:
    clients: int
    ideas: int
    window: int
    repeat: int
    timeout: float


class SetupFailed(RuntimeError):
    """The run could not even start measuring (a server, a room, a facilitator step)."""


# -- servers -------------------------------------------------------------------------------


class Baseline:
    """bench/baseline_server.py in a subprocess, started and stopped like `Server`."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/"
        self.log_path = log_dir / f"baseline-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> Baseline:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "bench.baseline_server", "--port",
                                             str(self.port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SetupFailed(f"baseline server exited: {self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise SetupFailed(f"baseline server did not start: {self.log()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


@dataclass
class Fleet:
    baseline: Baseline
    essaim: dict[str, Server]  # by synchronous mode

    def stop(self) -> None:
        servers: list[Server | Baseline] = [*self.essaim.values(), self.baseline]
        for server in servers:
            server.stop()


def start_fleet(tmp: Path) -> Fleet:
    """All servers at once: each takes about a second to import and migrate."""
    baseline = Baseline(tmp)
    essaim = {mode: Server(tmp / mode.lower() / "data", ESSAIM_SQLITE_SYNCHRONOUS=mode) for mode in SYNC_MODES}
    servers: list[Server | Baseline] = [baseline, *essaim.values()]
    with ThreadPoolExecutor(len(servers)) as pool:
        started = [pool.submit(s.start) for s in servers]
    fleet = Fleet(baseline, essaim)
    try:
        for future in started:
            future.result()
    except BaseException:
        fleet.stop()
        raise
    return fleet


async def essaim_target(server: Server, clients: int, timeout: float) -> Target:
    """A fresh room (so per-room caps never bite across repeats), open for writing,
    and N participants joined over HTTP."""
    created = await asyncio.to_thread(server.create_room, "remue-meninges", "Banc d'essai")
    room_id = str(created["id"])
    url = f"{server.ws_url}/rooms/{room_id}/ws"
    try:
        await open_writing(url, server.origin, str(created["facilitator_token"]), timeout)
    except (ConnectionClosed, TimeoutError) as exc:
        raise SetupFailed(f"could not open the room for writing: {exc!r}\n{server.log()}") from exc

    def join_all() -> list[str]:
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda i: server.join(room_id, f"Bench {i}"), range(clients)))

    tokens: list[str | None] = list(await asyncio.to_thread(join_all))
    assert server.process is not None
    return Target([url] * clients, tokens, server.origin, server.process.pid)


async def open_writing(url: str, origin: str, facilitator_token: str, timeout: float) -> None:
    """What the facilitator does first: move the room to "write" if it starts elsewhere (e.g. the lobby)."""
    async with connect(url, origin=Origin(origin), compression=None, proxy=None, open_timeout=timeout,
                       additional_headers={"Authorization": f"Bearer {facilitator_token}"}) as ws:
        await ws.send(json.dumps({"type": "hello", "v": 1}))
        snapshot = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if snapshot.get("room", {}).get("phase", "write") == "write":
            return
        op_id = "bench-open-writing"
        await ws.send(json.dumps({"type": "room.phase", "op_id": op_id, "phase": "write"}))
        async with asyncio.timeout(timeout):
            while True:
                data = json.loads(await ws.recv())
                for frame in data if isinstance(data, list) else [data]:
                    if frame.get("op_id") == op_id:
                        if frame.get("type") == "error":
                            raise SetupFailed(f"could not open the room for writing: {frame}")
                        return


def baseline_target(baseline: Baseline, clients: int) -> Target:
    assert baseline.process is not None
    return Target([baseline.url] * clients, [None] * clients, f"http://127.0.0.1:{baseline.port}",
                  baseline.process.pid)


def first_prompt(first: Frame) -> str:
    return str(first["prompts"][0]["id"])


# -- the runs -------------------------------------------------------------------------------


@dataclass
class Results:
    bursts: dict[str, list[Burst]] = field(default_factory=dict)
    commits: dict[str, list[Commits]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add_burst(self, name: str, result: Burst, log: Callable[[], str]) -> None:
        self.bursts.setdefault(name, []).append(result)
        if not result.ok:
            self.failures.append(describe_failure(name, result, log()))


def describe_failure(name: str, b: Burst, log: str) -> str:
    lines = [f"{name}: {b.acks}/{b.expected} acks, {b.errors} error frames, {b.closes} unexpected closes,"
             f" {'timed out' if b.timed_out else 'no timeout'},"
             f" converged: {'no' if b.convergence is None else 'yes'}"]
    lines += [f"  error frame: {sample}" for sample in b.samples]
    if log.strip():
        lines.append("  server log (tail):\n    " + "\n    ".join(log.strip().splitlines()[-15:]))
    return "\n".join(lines)


async def run_all(fleet: Fleet, p: Params, tmp: Path) -> Results:
    results = Results()
    await warm_up(fleet, p, results)
    for r in range(p.repeat):
        b = await burst(baseline_target(fleet.baseline, p.clients), p.ideas, p.window, p.timeout, first_prompt)
        results.add_burst(WS, b, fleet.baseline.log)
        for mode, server in fleet.essaim.items():
            target = await essaim_target(server, p.clients, p.timeout)
            results.add_burst(f"essaim {mode}", await burst(target, p.ideas, p.window, p.timeout, first_prompt),
                              server.log)
        for mode in SYNC_MODES:
            for label, max_batch in (("1/txn", 1), ("group", MAX_BATCH)):
                path = tmp / f"raw-{mode}-{label.replace('/', '')}-{r}.sqlite3"
                done = await commits(path, mode, p.clients, p.ideas, p.window, max_batch)
                results.commits.setdefault(f"sqlite {mode} {label}", []).append(done)
    return results


async def warm_up(fleet: Fleet, p: Params, results: Results) -> None:
    """A few ideas through each server first: imports, caches and the first room are not what we measure."""
    n = min(p.clients, 5)
    checks = [(WS, baseline_target(fleet.baseline, n), fleet.baseline.log)]
    for mode, server in fleet.essaim.items():
        checks.append((f"essaim {mode}", await essaim_target(server, n, p.timeout), server.log))
    for name, target, log in checks:
        b = await burst(target, 2, p.window, p.timeout, first_prompt)
        if not b.ok:
            results.failures.append(describe_failure(f"{name} (warm-up)", b, log()))


# -- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str
    value: Callable[[Burst], float | None]
    fmt: str


def ms(x: float | None) -> float | None:
    return None if x is None else x * 1000


FIGURES = (
    Figure("ideas committed/s          (higher better)", lambda b: b.ideas_per_s, "{:,.0f}"),
    Figure("ack latency p50, ms        (lower better)", lambda b: ms(nearest_rank(b.ack_latencies, .5)), "{:.1f}"),
    Figure("ack latency p99, ms", lambda b: ms(nearest_rank(b.ack_latencies, .99)), "{:.1f}"),
    Figure("fan-out latency p50, ms", lambda b: ms(nearest_rank(b.fanout_latencies, .5)), "{:.1f}"),
    Figure("fan-out latency p99, ms", lambda b: ms(nearest_rank(b.fanout_latencies, .99)), "{:.1f}"),
    Figure("convergence, ms", lambda b: ms(b.convergence), "{:,.0f}"),
    Figure("server CPU, µs/delivered event", lambda b: b.server_cpu / b.deliveries * 1e6 if b.deliveries else None,
           "{:.1f}"),
    Figure("server CPU busy, % of one core", lambda b: 100 * b.server_cpu / b.convergence if b.convergence else None,
           "{:.0f}"),
    Figure("server RSS after burst, MiB", lambda b: b.rss_kib / 1024, "{:.1f}"),
    Figure("load generator CPU, s", lambda b: b.client_cpu, "{:.2f}"),
)


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None and v == v]  # drop None and NaN
    return statistics.median(present) if present else None


def cell(value: float | None, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def ratio(a: float | None, b: float | None) -> str:
    if a is None or not b:
        return "-"
    return f"{a / b:.2f}×" if a / b >= 0.095 else f"{a / b:.2g}×"  # small ratios keep two digits


def burst_table(results: Results) -> list[str]:
    names = [WS, *(f"essaim {m}" for m in SYNC_MODES)]
    head = ["figure (median of repeats)", *names, *(f"{m} ÷ ws" for m in SYNC_MODES)]
    rows = [head]
    for fig in FIGURES:
        medians = [median([fig.value(b) for b in results.bursts.get(n, [])]) for n in names]
        rows.append([fig.label, *(cell(m, fig.fmt) for m in medians), *(ratio(m, medians[0]) for m in medians[1:])])
    rows.append(["errors / unexpected closes / lost acks (sum)",
                 *(problems(results.bursts.get(n, [])) for n in names), "", ""])
    return render(rows)


def problems(bursts: list[Burst]) -> str:
    return " / ".join(str(sum(x)) for x in zip(*((b.errors, b.closes, b.expected - b.acks) for b in bursts))) or "-"


def sqlite_table(results: Results) -> list[str]:
    def med(name: str, fn: Callable[[Commits], float]) -> float | None:
        return median([fn(c) for c in results.commits.get(name, [])])

    def essaim(mode: str) -> float | None:
        return median([b.ideas_per_s for b in results.bursts.get(f"essaim {mode}", [])])

    rows = [["raw sqlite3, one writer, single-row INSERTs", *SYNC_MODES]]
    rows.append(["one transaction per op, commits/s",
                 *(cell(med(f"sqlite {m} 1/txn", lambda c: c.per_s), "{:,.0f}") for m in SYNC_MODES)])
    rows.append(["group commit (what is queued), commits/s",
                 *(cell(med(f"sqlite {m} group", lambda c: c.per_s), "{:,.0f}") for m in SYNC_MODES)])
    rows.append(["group commit, mean ops per transaction",
                 *(cell(med(f"sqlite {m} group", lambda c: c.mean_batch), "{:.1f}") for m in SYNC_MODES)])
    rows.append(["Essaim ideas/s ÷ one transaction per op",
                 *(ratio(essaim(m), med(f"sqlite {m} 1/txn", lambda c: c.per_s)) for m in SYNC_MODES)])
    rows.append(["Essaim ideas/s ÷ group commit",
                 *(ratio(essaim(m), med(f"sqlite {m} group", lambda c: c.per_s)) for m in SYNC_MODES)])
    return render(rows)


def render(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return lines


# -- command line -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Params:
    parser = argparse.ArgumentParser(prog="python -m bench.ideas", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="websocket clients, N (default 50)")
    parser.add_argument("--ideas-per-client", type=int, default=20, help="ideas each client adds, K (default 20)")
    parser.add_argument("--window", type=int, default=4, help="unacknowledged ops per client, W (default 4)")
    parser.add_argument("--repeat", type=int, default=3, help="repeats per configuration, R (default 3)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds one burst may take (default 30)")
    parser.add_argument("--quick", action="store_true", help="smoke test: N=20, K=5, R=1")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.ideas_per_client, args.repeat, args.timeout = 20, 5, 1, 15.0
    p = Params(args.clients, args.ideas_per_client, args.window, args.repeat, args.timeout)
    # Beyond Essaim's caps the server refuses ideas by design: that would measure refusals.
    if not (1 <= p.clients <= limits.PARTICIPANTS_PER_ROOM and 1 <= p.ideas <= limits.IDEAS_PER_PARTICIPANT
            and p.clients * p.ideas <= limits.IDEAS_PER_ROOM and p.window >= 1 and p.repeat >= 1):
        parser.error(f"need 1 <= N <= {limits.PARTICIPANTS_PER_ROOM}, 1 <= K <= {limits.IDEAS_PER_PARTICIPANT},"
                     f" N*K <= {limits.IDEAS_PER_ROOM}, W >= 1, R >= 1")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parse_args(argv)
    started, load_before = time.monotonic(), os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix="essaim-bench-") as tmp:
            fleet = start_fleet(Path(tmp))
            try:
                results = asyncio.run(run_all(fleet, p, Path(tmp)))
            finally:
                fleet.stop()
    except (SetupFailed, OSError, TimeoutError, RuntimeError, WebSocketException) as exc:
        # Servers refusing to start or to set up a room: no figure means anything, say why and fail.
        print(f"FAILED before measuring: {exc}", file=sys.stderr)
        return 1
    print(f"Essaim ideas bench: N={p.clients} clients x K={p.ideas} ideas, window W={p.window}, R={p.repeat}"
          f" repeat(s); ratios are Essaim ÷ baseline, same run")
    print(f"python {platform.python_version()}, websockets {version('websockets')}, {os.cpu_count()} CPUs,"
          f" load average {load_before:.2f} -> {os.getloadavg()[0]:.2f}\n")
    print("\n".join(burst_table(results)) + "\n")
    print("\n".join(sqlite_table(results)) + "\n")
    print(f"run took {time.monotonic() - started:.1f} s")
    if results.failures:
        print("\nFAILED:\n" + "\n".join(results.failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
