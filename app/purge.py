"""Erasing workshops for good: one on its creator's request, or every one past retention.

A workshop's rows all go with it (every table references `room` ON DELETE CASCADE: prompts,
people, ideas, clusters, dots, actions and the event log, which is also the replay log).
`secure_delete` is on for that transaction so that SQLite overwrites the freed bytes
instead of leaving them in free pages, and the write-ahead log is then checkpointed and
truncated so that no copy of the old pages stays in `essaim.sqlite3-wal`. Logs say how
many, never what (no title, no name, no id).

Retention: a workshop is erased `ESSAIM_RETENTION_DAYS` after its last activity
(`room.updated_at`: its creation, then every stored event, closing included); 0 keeps
workshops forever. The server checks every `limits.PURGE_INTERVAL_SECONDS`, first at start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import limits, store
from .service import Service

log = logging.getLogger("essaim.purge")
DAY = 24 * 60 * 60
CHECKPOINT_ATTEMPTS = 20


@dataclass(frozen=True)
class Erased:
    """What went, in counts; `public_ids` (room id, person) only to close their sockets."""

    rooms: int = 0
    participants: int = 0
    ideas: int = 0
    events: int = 0
    public_ids: tuple[tuple[str, str], ...] = ()

    def summary(self) -> str:
        return (f"{self.rooms} workshop(s), {self.participants} participant(s), {self.ideas} idea(s), "
                f"{self.events} event(s)")


def checkpoint(engine: Any) -> bool:
    """Copy the WAL into the database and truncate it to zero bytes; False if readers kept it busy."""
    for _attempt in range(CHECKPOINT_ATTEMPTS):
        with engine.connect() as conn:
            if store.checkpoint(conn):
                return True
        time.sleep(0.05)
    log.warning("purge: the write-ahead log could not be truncated (readers busy); it will be at the next checkpoint")
    return False


def _erase(conn: Any, room_ids: list[str]) -> Erased:
    rooms, participants, ideas, events, people = store.erase_rooms(conn, room_ids)
    return Erased(rooms, participants, ideas, events, people)


async def _close_sockets(service: Service, erased: Erased) -> None:
    for room_id, public_id in erased.public_ids:  # 4003: this room is gone for them
        await service.hub.remove(room_id, public_id)


async def delete_room(service: Service, room_id: str) -> Erased:
    """Erase one workshop now (its creator asked) and close its sockets."""
    erased = await service.writer.submit(lambda conn: _erase(conn, [room_id]))
    await asyncio.to_thread(checkpoint, service.writer.engine)
    await _close_sockets(service, erased)
    log.info("workshop erased on request: %s", erased.summary())
    return erased


async def purge(service: Service, days: int) -> Erased:
    """Erase every workshop past retention (at `service.clock()`); none when days <= 0."""
    if days <= 0:
        return Erased()
    now = service.clock()
    erased = await service.writer.submit(lambda conn: _erase(conn, store.stale_room_ids(conn, now - days * DAY)))
    if erased.rooms:
        await asyncio.to_thread(checkpoint, service.writer.engine)
        await _close_sockets(service, erased)
        log.info("purge: erased %s past %d days of retention", erased.summary(), days)
    return erased


def purge_database(engine: Any, days: int, now: float) -> Erased:
    """`essaim purge`: the same erasure, from outside the server (its own BEGIN IMMEDIATE)."""
    if days <= 0:
        return Erased()
    with engine.begin() as conn:
        erased = _erase(conn, store.stale_room_ids(conn, now - days * DAY))
    if erased.rooms:
        checkpoint(engine)
    log.info("purge: erased %s past %d days of retention", erased.summary(), days)
    return erased


async def schedule(service: Service, days: int, interval: Callable[[], float] = lambda: limits.PURGE_INTERVAL_SECONDS) -> None:
    """The server's purge loop: at start, then every `interval()` seconds; a failure waits for the next."""
    if days <= 0:
        log.info("purge: off (ESSAIM_RETENTION_DAYS=0)")
        return
    while True:
        try:
            await purge(service, days)
        except Exception as exc:  # the disk, a lock: try again next time, never stop serving
            log.error("purge failed: %s", type(exc).__name__)
        await asyncio.sleep(interval())
