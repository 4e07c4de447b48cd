"""The `essaim` command.

    essaim [serve] [--host H] [--port P] [--data-dir D]   start the web server (default)
    essaim purge [--data-dir D]                           erase workshops past retention now
    essaim backup DEST [--data-dir D]                     copy the database, consistently, while it runs

`serve` and `purge` first read the SQLite file through (quick_check): a damaged or unreadable
one stops them with one line that names it and says to restore a backup, and exit code 1.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from . import limits
from . import settings as settings_module


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="essaim", description="Essaim: ateliers participatifs en temps réel.")
    commands = top.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="start the web server (default)")
    for p in (top, serve):
        p.add_argument("--host", help="address to listen on (ESSAIM_HOST, default 127.0.0.1)")
        p.add_argument("--port", type=int, help="port (ESSAIM_PORT, default 8000)")
        p.add_argument("--data-dir", help="data folder (ESSAIM_DATA_DIR, default ./data)")
    purge = commands.add_parser("purge", help="erase now the workshops past ESSAIM_RETENTION_DAYS")
    backup = commands.add_parser("backup", help="copy the database to DEST (safe while the server runs)")
    backup.add_argument("dest", help="file to write; an existing file is replaced")
    for p in (purge, backup):
        p.add_argument("--data-dir", help="data folder (ESSAIM_DATA_DIR, default ./data)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    overrides = {"ESSAIM_HOST": getattr(args, "host", None),
                 "ESSAIM_PORT": None if getattr(args, "port", None) is None else str(args.port),
                 "ESSAIM_DATA_DIR": args.data_dir}
    try:
        settings = settings_module.load(overrides)
    except ValueError as exc:
        print(f"essaim: {exc}", file=sys.stderr)
        return 2
    if args.command == "purge":
        return purge(settings)
    if args.command == "backup":
        return backup(settings, args.dest)
    return serve(settings)


def _logging(settings: settings_module.Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _engine(settings: settings_module.Settings, *, migrate: bool):  # type: ignore[no-untyped-def]
    from . import db

    engine = db.make_engine(settings.database_url, immediate=True, pool_size=1, synchronous=settings.sqlite_synchronous)
    if migrate:  # an older database is brought up to date, as the server would
        db.Writer(engine).migrate()
    return engine


def _usable(settings: settings_module.Settings) -> bool:
    """False, having said so in one line, when the SQLite file is damaged or cannot be opened:
    a server started on it would fail on the first page it reads (or at once, with a traceback)."""
    from . import db

    reason = db.unusable(settings.database_url)
    if reason is None:
        return True
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    print(f"essaim : la base de données {path} est inutilisable ({reason}). Arrêtez Essaim, mettez ce fichier "
          f"de côté (avec {path.name}-wal et {path.name}-shm s’ils existent), remettez à sa place votre "
          "dernière copie faite par « essaim backup », puis relancez.", file=sys.stderr, flush=True)
    return False


def purge(settings: settings_module.Settings) -> int:
    from . import purge as purge_module

    _logging(settings)
    if not _usable(settings):
        return 1
    engine = _engine(settings, migrate=True)
    try:
        erased = purge_module.purge_database(engine, settings.retention_days, time.time())
    finally:
        engine.dispose()
    print(f"essaim purge : {erased.rooms} atelier(s) effacé(s) ({erased.participants} participant·es, "
          f"{erased.ideas} idées, {erased.events} événements)", flush=True)
    return 0


def backup(settings: settings_module.Settings, dest: str) -> int:
    from . import backup as backup_module

    _logging(settings)
    source = settings.database_url.removeprefix("sqlite:///")
    if settings.database_url.startswith("sqlite:///") and not Path(source).is_file():
        print(f"essaim backup : pas de base de données à copier ({source})", file=sys.stderr)
        return 1
    engine = _engine(settings, migrate=False)
    try:
        pages = backup_module.backup(engine, dest)
    except (OSError, ValueError) as exc:
        print(f"essaim backup : {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"essaim backup : {dest} ({pages} pages)", flush=True)
    return 0


class _NoConnectionLines(logging.Filter):
    """Drop uvicorn's line per websocket handshake: it names the client's address and the
    room's id, which is its join link. Essaim logs neither (docs/donnees-personnelles.md)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith('%s - "WebSocket %s"')


def proxy_options(settings: settings_module.Settings) -> dict[str, object]:
    """uvicorn reads X-Forwarded-For and -Proto only from the proxies named in
    ESSAIM_FORWARDED_ALLOW_IPS: then per-address limits count each person's address, not the proxy's."""
    if not settings.forwarded_allow_ips:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips}


def serve(settings: settings_module.Settings) -> int:
    import uvicorn

    from .main import create_app

    _logging(settings)
    if not _usable(settings):
        return 1
    logging.getLogger("uvicorn.error").addFilter(_NoConnectionLines())
    print(f"Essaim : http://{settings.host}:{settings.port} (données : {settings.data_dir})", flush=True)
    options: dict[str, object] = {
        "host": settings.host, "port": settings.port, "log_level": settings.log_level, "ws": "websockets-sansio",
        "ws_max_size": limits.WS_MESSAGE_MAX_BYTES, "ws_per_message_deflate": False, "access_log": False,
        "ws_ping_interval": limits.WS_PING_INTERVAL_SECONDS, "ws_ping_timeout": limits.WS_PING_TIMEOUT_SECONDS,
        "server_header": False, **proxy_options(settings)}
    if settings.workers > 1:  # each worker builds its app from the same environment (the flags are in it)
        os.environ.update({"ESSAIM_HOST": settings.host, "ESSAIM_PORT": str(settings.port),
                           "ESSAIM_DATA_DIR": str(settings.data_dir)})
        uvicorn.run("app.main:create_app", factory=True, workers=settings.workers, **options)  # type: ignore[arg-type]
    else:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
    return 0
