"""A websocket load generator: N clients, K `idea.add` each, at most W unacknowledged.

The same clients drive Essaim and the bare `websockets` baseline, so the two
runs differ only in the server. Every client reads and parses every frame, as a
browser tab does: a reader that falls behind slows the server down (backpressure),
and a benchmark that skipped reading would measure a server nobody runs.

An op is acknowledged when its author hears the event carrying its `op_id`; it
has fanned out when the last of the N clients has heard it.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

Frame = dict[str, Any]
CONNECT_TIMEOUT = 10.0
ERROR_SAMPLES = 5  # error frames kept verbatim for the report
FAIL_GRACE = 1.0  # seconds a failed burst goes on, to collect what else goes wrong


@dataclass(frozen=True)
class Target:
    """Where each client connects (one URL and token per client) and which process serves it."""

    urls: list[str]
    tokens: list[str | None]
    origin: str
    pid: int


@dataclass
class Burst:
    """What one burst measured. Times are seconds from the first send."""

    expected: int  # acks the run should get: N * K
    acks: int = 0
    wall: float = 0.0  # first send -> last ack
    ack_latencies: list[float] = field(default_factory=list)
    fanout_latencies: list[float] = field(default_factory=list)
    convergence: float | None = None  # every client heard all N * K events
    errors: int = 0
    closes: int = 0  # connections that ended before we closed them
    timed_out: bool = False
    deliveries: int = 0  # events heard, summed over clients
    server_cpu: float = 0.0  # seconds of user + system time of the server process
    client_cpu: float = 0.0  # seconds of this process (the load generator itself)
    rss_kib: int = 0
    samples: list[Frame] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (not self.errors and not self.closes and not self.timed_out
                and self.acks == self.expected and self.convergence is not None)

    @property
    def ideas_per_s(self) -> float:
        return self.acks / self.wall if self.wall else 0.0


class _Tally:
    """Shared by the clients of one burst: when each op left and who has heard it."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.sent_at: dict[str, float] = {}
        self.acked_at: dict[str, float] = {}
        self.heard: dict[str, int] = {}
        self.fanned_at: dict[str, float] = {}
        self.errors: list[Frame] = []
        self.closes = 0
        self.failed = asyncio.Event()  # an error frame or an unexpected close: the burst has failed

    def heard_by_one(self, op_id: str, now: float) -> None:
        count = self.heard[op_id] = self.heard.get(op_id, 0) + 1
        if count == self.clients:
            self.fanned_at[op_id] = now


class _Client:
    def __init__(self, index: int, ws: ClientConnection, tally: _Tally, total: int, window: int) -> None:
        self.prefix = f"bench{index:05d}k"  # op_ids must match [A-Za-z0-9_-]{8,64}
        self.ws = ws
        self.tally = tally
        self.total = total  # events this client must hear
        self.heard = 0
        self.done_at: float | None = None
        self.window = asyncio.Semaphore(window)
        self.closing = False
        self.finished = asyncio.Event()  # heard everything, or the connection ended
        self.reader: asyncio.Task[None] | None = None

    def start_reading(self) -> None:
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                now = time.perf_counter()  # one timestamp for a batched array: it arrived at once
                data = json.loads(message)
                for frame in data if isinstance(data, list) else [data]:
                    self._file(frame, now)
        except ConnectionClosed:
            pass
        finally:
            self.finished.set()
        if not self.closing:
            self.tally.closes += 1
            self.tally.failed.set()
            for _ in range(self.total):  # wake a sender blocked on the window so that it stops
                self.window.release()

    def _file(self, frame: Frame, now: float) -> None:
        op_id = frame.get("op_id")
        if frame.get("type") == "error":
            self.tally.errors.append(frame)
            self.tally.failed.set()
            if isinstance(op_id, str) and op_id.startswith(self.prefix):
                self.window.release()  # refused: no longer in flight
            return
        if frame.get("type") != "idea.added" or op_id not in self.tally.sent_at:
            return  # presence and the like
        self.tally.heard_by_one(op_id, now)
        if op_id.startswith(self.prefix):
            self.tally.acked_at[op_id] = now
            self.window.release()
        self.heard += 1
        if self.heard == self.total:
            self.done_at = now
            self.finished.set()

    async def send_all(self, ideas: int, prompt: str) -> None:
        try:
            for k in range(ideas):
                await self.window.acquire()
                if self.reader is not None and self.reader.done():
                    return
                op_id = f"{self.prefix}{k:05d}"
                self.tally.sent_at[op_id] = time.perf_counter()  # before send: the echo may beat us
                await self.ws.send(json.dumps({"type": "idea.add", "op_id": op_id, "prompt": prompt,
                                               "text": f"idée {k} de {self.prefix}", "colour": "yellow"}))
        except ConnectionClosed:
            return  # counted by the reader

    async def close(self) -> None:
        self.closing = True
        await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


async def _open(target: Target, index: int, tally: _Tally, total: int, window: int) -> tuple[_Client, Frame]:
    token = target.tokens[index]
    ws = await connect(target.urls[index], origin=Origin(target.origin), compression=None, proxy=None,
                       open_timeout=CONNECT_TIMEOUT,
                       additional_headers={"Authorization": f"Bearer {token}"} if token else None)
    await ws.send(json.dumps({"type": "hello", "v": 1}))
    first = json.loads(await asyncio.wait_for(ws.recv(), CONNECT_TIMEOUT))
    return _Client(index, ws, tally, total, window), first


def proc_cpu(pid: int) -> float:
    """User + system seconds of a process, all its threads (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def nearest_rank(values: list[float], q: float) -> float:
    """The q-quantile by nearest rank: an observed value, no interpolation."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))]


async def burst(target: Target, ideas: int, window: int, timeout: float,
                prompt_of: Callable[[Frame], str]) -> Burst:
    """Connect every client, then let all of them send at once; measure until all have heard everything."""
    n = len(target.urls)
    tally = _Tally(n)
    result = Burst(expected=n * ideas)
    opened = await asyncio.gather(*(_open(target, i, tally, n * ideas, window) for i in range(n)))
    clients = [client for client, _ in opened]
    prompt = prompt_of(opened[0][1])
    for client in clients:
        client.start_reading()
    cpu0, self0, t0 = proc_cpu(target.pid), self_cpu(), time.perf_counter()
    work = asyncio.create_task(_send_and_hear(clients, ideas, prompt))
    failed = asyncio.create_task(tally.failed.wait())
    await asyncio.wait({work, failed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if failed.done() and not work.done():  # a failed burst ends soon, with what else went wrong
        await asyncio.wait({work}, timeout=FAIL_GRACE)
    result.timed_out = not work.done() and not failed.done()
    for task in (work, failed):
        task.cancel()
    await asyncio.gather(work, failed, return_exceptions=True)
    result.server_cpu, result.client_cpu = proc_cpu(target.pid) - cpu0, self_cpu() - self0
    result.rss_kib = proc_rss_kib(target.pid)
    await asyncio.gather(*(c.close() for c in clients))
    _summarise(result, tally, clients, t0)
    return result


async def _send_and_hear(clients: list[_Client], ideas: int, prompt: str) -> None:
    await asyncio.gather(*(c.send_all(ideas, prompt) for c in clients))
    await asyncio.gather(*(c.finished.wait() for c in clients))


def _summarise(result: Burst, tally: _Tally, clients: list[_Client], t0: float) -> None:
    sent = tally.sent_at
    result.acks = len(tally.acked_at)
    result.wall = max(tally.acked_at.values(), default=t0) - t0
    result.ack_latencies = [at - sent[op] for op, at in tally.acked_at.items()]
    result.fanout_latencies = [at - sent[op] for op, at in tally.fanned_at.items()]
    done = [c.done_at for c in clients]
    result.convergence = None if None in done else max(done) - t0  # type: ignore[type-var, operator]
    result.errors, result.closes = len(tally.errors), tally.closes
    result.samples = tally.errors[:ERROR_SAMPLES]
    result.deliveries = sum(c.heard for c in clients)

