"""The `essaim` command: `essaim [serve] [--host H] [--port P] [--data-dir D]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys

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
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    overrides = {"ESSAIM_HOST": args.host, "ESSAIM_PORT": None if args.port is None else str(args.port),
                 "ESSAIM_DATA_DIR": args.data_dir}
    try:
        settings = settings_module.load(overrides)
    except ValueError as exc:
        print(f"essaim: {exc}", file=sys.stderr)
        return 2
    return serve(settings)


def serve(settings: settings_module.Settings) -> int:
    import uvicorn

    from .main import create_app

    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(f"Essaim : http://{settings.host}:{settings.port} (données : {settings.data_dir})", flush=True)
    options: dict[str, object] = {
        "host": settings.host, "port": settings.port, "log_level": settings.log_level, "ws": "websockets-sansio",
        "ws_max_size": limits.WS_MESSAGE_MAX_BYTES, "ws_per_message_deflate": False, "access_log": False,
        "proxy_headers": False, "server_header": False}
    if settings.workers > 1:  # each worker builds its app from the same environment (the flags are in it)
        os.environ.update({"ESSAIM_HOST": settings.host, "ESSAIM_PORT": str(settings.port),
                           "ESSAIM_DATA_DIR": str(settings.data_dir)})
        uvicorn.run("app.main:create_app", factory=True, workers=settings.workers, **options)  # type: ignore[arg-type]
    else:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
    return 0
