"""HTTP for the exports (`/rooms/{id}/export.*`, `/rooms/{id}/report`) and the import of a JSON export.

Thin, like `routes`: who may download, then `Service.document`, then a pure renderer of `export`.
Facilitators may always download; participants only when the room's `exports_for_everyone` is on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from . import export, export_odt
from .room_settings import RoomSettings
from .routes import api_error, essaim_of, identity_of, render

Renderer = Callable[[dict[str, Any]], bytes]
FORMATS: dict[str, tuple[str, str, Renderer]] = {  # path suffix: file suffix, media type, renderer
    "md": (".md", "text/markdown; charset=utf-8", lambda d: export.markdown(d).encode("utf-8")),
    "csv": ("-idees.csv", "text/csv; charset=utf-8", export.csv_ideas),
    "roadmap.csv": ("-feuille-de-route.csv", "text/csv; charset=utf-8", export.csv_roadmap),
    "json": (".json", "application/json", lambda d: export.json_document(d).encode("utf-8")),
    "odt": (".odt", "application/vnd.oasis.opendocument.text", export_odt.odt),
}


def may_download(role: str, settings: RoomSettings) -> bool:
    return role == "facilitator" or settings.exports_for_everyone


async def _document(request: Request) -> dict[str, Any] | Response:
    essaim, room_id = essaim_of(request), request.path_params["room_id"]
    room = await essaim.service.room(room_id)
    if room is None:
        return render(request, "not_found.html", 404)
    who = await identity_of(request, room_id)
    if who is None or not may_download(who.role, RoomSettings.load(room.settings)):
        return api_error(403, "auth.forbidden")
    document = await essaim.service.document(room_id, with_authors=True)
    return document if document is not None else render(request, "not_found.html", 404)


def _download(fmt: str) -> Callable[[Request], Any]:
    suffix, media_type, renderer = FORMATS[fmt]

    async def handler(request: Request) -> Response:
        document = await _document(request)
        if isinstance(document, Response):
            return document
        name = export.filename(document["room"]["title"], suffix)
        return Response(renderer(document), media_type=media_type, headers={
            "content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"})
    return handler


async def report_page(request: Request) -> Response:
    """The printable report, in the room's language, laid out for A4 (static/css/report.css)."""
    document = await _document(request)
    if isinstance(document, Response):
        return document
    templates: Jinja2Templates = request.app.state.jinja
    html = templates.get_template("report.html").render(**export.html_context(document))
    return Response(html, media_type="text/html; charset=utf-8", headers={"cache-control": "no-store"})


ROUTES = [
    *(Route(f"/rooms/{{room_id}}/export.{fmt}", _download(fmt), methods=["GET"]) for fmt in FORMATS),
    Route("/rooms/{room_id}/report", report_page, methods=["GET"]),
]
