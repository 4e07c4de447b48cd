"""Engines, pragmas and the single writer: the only place that commits.

Every write goes through `Writer`: one thread, one connection, transactions
opened with `BEGIN IMMEDIATE`. Commands queued while a transaction runs are
committed together in the next one (group commit), each inside its own
savepoint so that one failing command never takes the others down. A command
is acknowledged (its `after` hook runs, then its caller resumes) only once the
transaction that holds it has committed.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError

from . import migrations
from .errors import StorageError, described

log = logging.getLogger("essaim.db")
T = TypeVar("T")
MAX_BATCH = 256
# Threads that run read transactions; the reader engine keeps one connection open for each.
READERS = 4


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'essaim.sqlite3'}"


def make_engine(url: str, *, immediate: bool, synchronous: str = "FULL", pool_size: int = 4) -> Engine:
    """An engine whose transactions begin with BEGIN IMMEDIATE (writer) or BEGIN (readers).

    On PostgreSQL (psycopg 3) transactions are READ COMMITTED; each command first locks its
    room's row (`store.lock_room`), so two processes serialise on one room, not on the server.
    """
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=pool_size, pool_pre_ping=True)
    engine = create_engine(url, pool_size=pool_size, connect_args={"check_same_thread": False, "timeout": 10})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi: sqlite3.Connection, _record: Any) -> None:
        dbapi.isolation_level = None  # we say BEGIN ourselves, so savepoints work
        # secure_delete: an erased idea or workshop leaves no bytes in free pages (RGPD erasure).
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=10000", "secure_delete=ON",
                       f"synchronous={synchronous}"):
            dbapi.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# SQLite's result codes (by name, extended names start with them) -> why, in a fixed phrase.
_REASONS = (("SQLITE_FULL", "disk full"), ("SQLITE_BUSY", "database locked"), ("SQLITE_LOCKED", "database locked"),
            ("SQLITE_READONLY", "read-only"), ("SQLITE_IOERR", "I/O error"), ("SQLITE_CANTOPEN", "cannot open"),
            ("SQLITE_CORRUPT", "damaged"), ("SQLITE_NOTADB", "not a database"))


def storage_reason(exc: BaseException) -> str:
    """Why the database refused, for the log and the operator: never the driver's message."""
    orig = getattr(exc, "orig", None) or exc
    name = getattr(orig, "sqlite_errorname", None) or ""
    for prefix, reason in _REASONS:
        if name.startswith(prefix):
            return reason
    if getattr(orig, "sqlstate", None) == "53100" or getattr(orig, "errno", None) == errno.ENOSPC:
        return "disk full"  # PostgreSQL's disk_full, or the file system itself
    message = str(orig).lower()
    return "disk full" if "disk is full" in message or "no space" in message else "unavailable"


def storage_error(exc: BaseException) -> StorageError:
    """`storage.full` when the disk is full; `storage.unavailable` for every other refusal
    (locked by another process past the busy timeout, read-only, I/O error): pages keep the
    command and send it again later either way (docs/securite.md)."""
    return StorageError("storage.full" if storage_reason(exc) == "disk full" else "storage.unavailable")


def unusable(url: str) -> str | None:
    """Why an existing SQLite file cannot serve (damaged, not a database, unreadable); None if
    it can, or if there is no file yet (it will be created). Reads every page once (quick_check)."""
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(path, timeout=10)) as conn:
            rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check(3)")]
    except sqlite3.Error as exc:
        return storage_reason(exc)
    return None if rows == ["ok"] else "damaged: " + "; ".join(rows)[:200]


@dataclass
class _Job(Generic[T]):
    run: Callable[[Connection], T]
    after: Callable[[T], Awaitable[None]] | None
    future: asyncio.Future[T]
    result: Any = None
    failed: BaseException | None = field(default=None)


class Reader:
    """Read transactions, each on one of `READERS` threads of its own, on a connection kept open.

    Not `asyncio.to_thread`: the default executor had more threads than the engine's pool kept
    connections, so in a join storm every read beyond the pool opened a connection (the pragmas,
    the schema parsed anew) and closed it again; and an export or a merge, which takes a second
    on a thread, no longer makes a snapshot wait behind it.
    """

    def __init__(self, url: str, synchronous: str = "FULL") -> None:
        self.engine = make_engine(url, immediate=False, synchronous=synchronous, pool_size=READERS)
        self._executor = ThreadPoolExecutor(READERS, thread_name_prefix="essaim-reader")

    async def run(self, fn: Callable[[Connection], T]) -> T:
        """`fn` in one read transaction: a consistent view of the database."""
        def read() -> T:
            with self.engine.begin() as conn:
                return fn(conn)
        return await asyncio.get_running_loop().run_in_executor(self._executor, read)

    def close(self) -> None:
        self._executor.shutdown(wait=False)  # an idle thread ends at once, a running read after it
        self.engine.dispose()


class Writer:
    """Runs write jobs one transaction at a time on a dedicated thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: asyncio.Queue[_Job[Any]] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="essaim-writer")
        self._task: asyncio.Task[None] | None = None

    def migrate(self) -> int:
        with self.engine.begin() as conn:
            return migrations.migrate(conn)

    async def start(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self.migrate)
        self._task = asyncio.create_task(self._loop(), name="essaim-writer")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._executor.shutdown(wait=True)
        self.engine.dispose()

    async def submit(self, run: Callable[[Connection], T],
                     after: Callable[[T], Awaitable[None]] | None = None) -> T:
        """Run `run` in a write transaction; return once it is committed (and `after` ran)."""
        job: _Job[T] = _Job(run, after, asyncio.get_running_loop().create_future())
        await self._queue.put(job)
        return await asyncio.shield(job.future)

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            batch = [job for job in batch if not job.future.cancelled()]
            try:
                await loop.run_in_executor(self._executor, self._commit, batch)
            except Exception as exc:  # the disk, the lock, the file: or anything else, the writer goes on
                log.error("write transaction failed (%s): %d command(s) refused, nothing committed",
                          storage_reason(exc), len(batch))
                error = storage_error(exc)
                for job in batch:
                    job.failed = error
            for job in batch:
                await self._settle(job)

    def _commit(self, batch: list[_Job[Any]]) -> None:
        # Savepoints said to the driver: `begin_nested()` costs ~40 µs of bookkeeping per job,
        # several times the SQL itself (bench/store_micro.py). Same semantics: a job that fails
        # is rolled back to its savepoint, the others in the batch stay.
        try:
            self._transaction(batch)
        except BaseException:
            # The transaction is rolled back; its connection may have been opened when the
            # file could not be written (read-only) or be left in a failed state: the next
            # transaction opens a fresh one, so a fixed disk, lock or mount works again at once.
            self.engine.dispose()
            raise

    def _transaction(self, batch: list[_Job[Any]]) -> None:
        with self.engine.begin() as conn:
            for job in batch:
                conn.exec_driver_sql("SAVEPOINT job")
                try:
                    job.result = job.run(conn)
                    conn.exec_driver_sql("RELEASE job")
                except (OperationalError, sqlite3.OperationalError):
                    raise  # the disk or the lock: the whole transaction is gone
                except Exception as exc:  # a bug in one job must not sink the batch
                    conn.exec_driver_sql("ROLLBACK TO job")
                    conn.exec_driver_sql("RELEASE job")
                    log.error("write job failed: %s", described(exc))
                    job.failed = exc

    async def _settle(self, job: _Job[Any]) -> None:
        if job.future.done():
            return
        if job.failed is not None:
            job.future.set_exception(job.failed)
            return
        if job.after is not None:
            try:
                await job.after(job.result)
            except Exception:  # publishing is best effort; clients resync by seq
                log.exception("post-commit hook failed")
        job.future.set_result(job.result)
