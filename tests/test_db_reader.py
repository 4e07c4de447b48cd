"""The reader: read transactions on threads of its own, each on a connection kept open."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from sqlalchemy import Connection, event

from app import db


async def test_reads_at_once_keep_one_connection_per_reader_thread(tmp_path: Path) -> None:
    reader = db.Reader(db.sqlite_url(tmp_path))
    opened: list[object] = []
    event.listen(reader.engine, "connect", lambda *_: opened.append(1))
    threads: set[str] = set()

    def slow(conn: Connection) -> int:
        threads.add(threading.current_thread().name)
        time.sleep(0.02)  # long enough that every thread is busy at once
        return int(conn.exec_driver_sql("SELECT 1").scalar_one())
    try:
        for _ in range(3):
            assert await asyncio.gather(*(reader.run(slow) for _ in range(3 * db.READERS))) == [1] * 3 * db.READERS
    finally:
        reader.close()
    # 36 reads, 12 at a time: each thread opened its connection once, none was opened per read.
    assert len(opened) == db.READERS
    assert len(threads) == db.READERS and all(name.startswith("essaim-reader") for name in threads)


async def test_a_read_runs_in_one_transaction_and_its_failure_reaches_the_caller(tmp_path: Path) -> None:
    reader = db.Reader(db.sqlite_url(tmp_path))

    def fails(conn: Connection) -> None:
        assert conn.in_transaction()
        raise LookupError("no such row")
    try:
        try:
            await reader.run(fails)
        except LookupError as exc:
            assert str(exc) == "no such row"
        else:
            raise AssertionError("the failure was swallowed")
    finally:
        reader.close()
