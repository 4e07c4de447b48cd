"""The disk's side of the baseline: plain `sqlite3`, one writer thread, single-row INSERTs.

It is fed like Essaim's writer is: N clients, each with at most W ops in
flight, queue ops for one writer thread. With `max_batch=1` every op is its own
transaction (one fsync each under synchronous=FULL); with a larger `max_batch`
the writer commits what is queued together, as `app.db.Writer` does.
What separates these figures from Essaim's is then SQLAlchemy, the rules, the
reads each command makes, and the network.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# About the size of an Essaim `idea.added` frame, which Essaim stores in its event log.
PAYLOAD = ('{"type":"idea.added","idea":"Xq3v9Rk2LmP0aZ7bYc1dWe","prompt":"Pr0mpt1dPr0mpt1dPr0mp",'
           '"author":"aUth0rT4g1234","text":"idée 12 de bench00042k","colour":"yellow",'
           '"at":1767225600.123456,"seq":1234,"op_id":"bench00042k00012"}')


@dataclass
class Commits:
    ops: int
    transactions: int
    wall: float

    @property
    def per_s(self) -> float:
        return self.ops / self.wall if self.wall else 0.0

    @property
    def mean_batch(self) -> float:
        return self.ops / self.transactions if self.transactions else 0.0


class _Writer:
    def __init__(self, path: Path, synchronous: str, max_batch: int) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", f"synchronous={synchronous}"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("CREATE TABLE event (room_id TEXT, seq INTEGER, op_id TEXT, payload TEXT,"
                          " at REAL, PRIMARY KEY (room_id, seq))")
        self.max_batch = max_batch
        self.queue: asyncio.Queue[tuple[str, asyncio.Future[None]]] = asyncio.Queue()
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="bench-writer")
        self.seq = 0
        self.transactions = 0

    async def submit(self, op_id: str) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self.queue.put((op_id, future))
        await future

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.max_batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            await loop.run_in_executor(self.executor, self._commit, [op for op, _ in batch])
            for _, future in batch:
                future.set_result(None)

    def _commit(self, op_ids: list[str]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        for op_id in op_ids:  # one single-row INSERT per op, as each command makes its own
            self.seq += 1
            self.conn.execute("INSERT INTO event VALUES (?, ?, ?, ?, ?)",
                              ("room", self.seq, op_id, PAYLOAD, time.time()))
        self.conn.execute("COMMIT")
        self.transactions += 1

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.conn.close()


async def commits(path: Path, synchronous: str, clients: int, ideas: int, window: int,
                  max_batch: int) -> Commits:
    """Commit clients * ideas rows through one writer; return the rate."""
    writer = _Writer(path, synchronous, max_batch)
    runner = asyncio.create_task(writer.run())

    async def lane(client: int, lane: int) -> None:  # W lanes per client: at most W ops in flight
        for k in range(lane, ideas, window):
            await writer.submit(f"bench{client:05d}k{k:05d}")

    start = time.perf_counter()
    try:
        await asyncio.gather(*(lane(c, j) for c in range(clients) for j in range(window)))
        wall = time.perf_counter() - start
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        writer.close()
    return Commits(clients * ideas, writer.transactions, wall)
