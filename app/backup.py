"""`essaim backup DEST`: a consistent copy of the database, made while the server runs.

SQLite's online backup API copies the database as it is at one instant (see
`store.backup_to`): every operation acknowledged before the backup starts is in the copy.
The copy is written beside DEST first and renamed into place only once its integrity check
passed, so that DEST is never a half-written file. Restoring is documented in
docs/configuration.md.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from . import store

log = logging.getLogger("essaim.backup")


def backup(engine: Any, dest: str | Path) -> int:
    """Write the copy to `dest` (replacing it); return its size in pages. ValueError if it is bad."""
    if engine.dialect.name != "sqlite":  # PostgreSQL has its own tools for this
        raise ValueError("essaim backup copies SQLite databases; for PostgreSQL use pg_dump")
    target = Path(dest).expanduser().resolve()
    if target == Path(engine.url.database or "").resolve():
        raise ValueError("the backup cannot replace the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with engine.connect() as conn:
        pages, check = store.backup_to(conn, str(partial))
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise ValueError(f"the copy failed its integrity check ({check[:80]})")
    os.chmod(partial, 0o600)  # it holds what the database holds
    os.replace(partial, target)
    log.info("backup written: %d pages", pages)
    return pages
