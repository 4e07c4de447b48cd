"""The application factory: settings in, a Starlette app out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from . import db, i18n, limits, purge, routes, settings as settings_module, ws
from .ratelimit import Limiter
from .auth import Tokens
from .errors import StorageError
from .hub import RoomHub
from .pubsub import Broadcast
from .security import SecurityMiddleware
from .service import Service
from .web import Essaim
from .workshop_templates import load_all

if TYPE_CHECKING:
    from .ratelimit_redis import RedisLimiter

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("essaim")


def create_app(settings: settings_module.Settings | None = None) -> Starlette:
    settings = settings or settings_module.load()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    templates = load_all()
    writer = db.Writer(db.make_engine(settings.database_url, immediate=True, pool_size=1,
                                      synchronous=settings.sqlite_synchronous))
    reader = db.Reader(settings.database_url, synchronous=settings.sqlite_synchronous)
    broadcast = Broadcast(settings.broadcast_url)
    hub = RoomHub(broadcast, beat_seconds=settings.presence_seconds)
    essaim = Essaim(settings, Tokens(settings.secret_key), Service(writer, reader, hub, templates), hub, templates)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await writer.start()
        await broadcast.connect()
        purger = asyncio.create_task(purge.schedule(essaim.service, settings.retention_days), name="essaim-purge")
        log.info("Essaim ready on %s", settings.public_url)
        try:
            yield
        finally:
            purger.cancel()
            await asyncio.gather(purger, return_exceptions=True)
            await broadcast.disconnect()
            await writer.stop()
            reader.close()

    app = Starlette(
        routes=[*routes.ROUTES,
                WebSocketRoute("/rooms/{room_id}/ws", ws.room_socket),
                Mount("/static", StaticFiles(directory=ROOT / "static"), name="static")],
        middleware=[Middleware(SecurityMiddleware, allowed_origins=settings.allowed_origins,
                               allowed_hosts=settings.allowed_hosts)],
        exception_handlers={HTTPException: _http_error, StorageError: _storage_error},
        lifespan=lifespan,
    )
    app.state.essaim = essaim
    app.state.code_limiter = code_limiter(settings)
    app.state.jinja = page_templates()
    return app


def page_templates() -> Jinja2Templates:
    """The pages' Jinja environment. A phone pays for every byte of a page (bench/phone.py): the
    page's config is JSON in UTF-8 rather than \\u escapes (tojson still escapes <, >, & and '), and
    block tags leave no blank lines or indentation behind (trim_blocks, lstrip_blocks)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "templates"), autoescape=jinja2.select_autoescape(),
                             trim_blocks=True, lstrip_blocks=True)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return Jinja2Templates(env=env)


def code_limiter(settings: settings_module.Settings) -> Limiter | RedisLimiter:
    """Short-code lookups and organiser passphrase attempts per address: in Redis when
    several processes may serve one guesser (see `ratelimit_redis`), else in memory."""
    if settings.broadcast_url.startswith(("redis://", "rediss://")):
        from .ratelimit_redis import RedisLimiter, client_for  # redis-py is optional
        return RedisLimiter(client_for(settings.broadcast_url), "lookups", limits.ORGANISER_ATTEMPTS_PER_MINUTE)
    return Limiter(limits.ORGANISER_ATTEMPTS_PER_MINUTE)


async def _storage_error(request: Request, exc: Exception) -> Response:
    """The database refused (disk full, locked, read-only; logged by the writer): nothing was
    saved. 503 with the code, not a 500 and a traceback."""
    code = exc.code if isinstance(exc, StorageError) else "storage.unavailable"
    if request.url.path.startswith("/api/"):
        response: Response = routes.api_error(503, code)
    else:
        response = Response(i18n.translator(routes.lang_of(request))(f"error.{code}"), 503,
                            media_type="text/plain; charset=utf-8")
    response.headers["Retry-After"] = "5"
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    """Plain pages for 404/405: no stack trace, no version."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return routes.render(request, "not_found.html", 404)
    return Response(status_code=status)
