"""HTTP for the exports (`/rooms/{id}/export.*`, `/rooms/{id}/report`) and the import of a JSON export.

Thin, like `routes`: who may download, then `Service.document`, then a pure renderer of `export`.
Facilitators may always download; participants only when the room's `exports_for_everyone` is on.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from . import capitalise, export, export_odt, i18n, importer, mine, organisers
from .errors import Rejection
from .room_settings import RoomSettings
from .routes import (api_error, enter_new_room, essaim_of, identity_of, join_url, lang_of, render,
                     rejection_response)
from .service import NewRoom
from .visibility import private_now

CAPITALISE_MAX_BYTES = 2 * importer.FILE_MAX_BYTES  # the JSON API's body: its sources' documents together
Renderer = Callable[[dict[str, Any]], bytes]
FORMATS: dict[str, tuple[str, str, Renderer]] = {  # path suffix: file suffix, media type, renderer
    "md": (".md", "text/markdown; charset=utf-8", lambda d: export.markdown(d).encode("utf-8")),
    "csv": ("-idees.csv", "text/csv; charset=utf-8", export.csv_ideas),
    "roadmap.csv": ("-feuille-de-route.csv", "text/csv; charset=utf-8", export.csv_roadmap),
    "json": (".json", "application/json", lambda d: export.json_document(d).encode("utf-8")),
    "odt": (".odt", "application/vnd.oasis.opendocument.text", export_odt.odt),
}


def may_download(role: str, phase: str, settings: RoomSettings) -> bool:
    """Facilitators always; participants when the room allows, but never while writing is private
    (the document holds everyone's ideas, which a participant's page does not receive then)."""
    return role == "facilitator" or (settings.exports_for_everyone and not private_now(phase, settings))


async def _document(request: Request) -> dict[str, Any] | Response:
    essaim, room_id = essaim_of(request), request.path_params["room_id"]
    room = await essaim.service.room(room_id)
    if room is None:
        return render(request, "not_found.html", 404)
    who = await identity_of(request, room_id)
    if who is None or not may_download(who.role, room.phase, RoomSettings.load(room.settings)):
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
        body = await asyncio.to_thread(renderer, document)  # an ODT of a big room takes most of a second
        return Response(body, media_type=media_type, headers={
            "content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"})
    return handler


async def report_page(request: Request) -> Response:
    """The printable report, in the room's language, laid out for A4 (static/css/report.css)."""
    document = await _document(request)
    if isinstance(document, Response):
        return document
    templates: Jinja2Templates = request.app.state.jinja
    page = templates.get_template("report.html")
    html = await asyncio.to_thread(lambda: page.render(**export.html_context(document)))
    return Response(html, media_type="text/html; charset=utf-8", headers={"cache-control": "no-store"})


# -- import -----------------------------------------------------------------------------------------

_PLACE = re.compile(r"^(?:sources\[(\d+)\]\.)?(?:(ideas|clusters|actions|prompts|rooms|sources)\[(\d+)\])?")


def place(where: str, _: i18n.Translate) -> str:
    """Where a fault is, in words first: "sources[1].ideas[3].text" -> "Groupe n° 2 · Idée n° 4
    (sources[1].ideas[3].text)"; the path stays, for whoever opens the file to fix it."""
    match = _PLACE.match(where)
    group, kind, index = match.groups() if match else (None, None, None)
    words = ([_("import.where.sources", n=int(group) + 1)] if group is not None else []) + (
        [_(f"import.where.{kind}", n=int(index or 0) + 1)] if kind else [])
    return f"{' · '.join(words)} ({where})" if words else where


def problems_json(problems: list[importer.Problem], lang: str) -> list[dict[str, Any]]:
    _ = i18n.translator(lang)
    return [{**p.dump(), "message": _("import.problem", where=place(p.where, _),
                                      message=_(f"error.{p.code}", **p.params))} for p in problems]


async def capped_body(request: Request, maximum: int) -> bytes | None:
    """The body, or None once it passes `maximum`: counted as it arrives, since a chunked request
    has no Content-Length to check first."""
    if int(request.headers.get("content-length") or 0) > maximum:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > maximum:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _uploaded(request: Request) -> tuple[bytes, dict[str, str]] | None:
    """The form's JSON file and its other fields; None when it is too large to read."""
    if int(request.headers.get("content-length") or 0) > importer.FILE_MAX_BYTES + 64 * 1024:
        return None
    async with request.form(max_files=1, max_fields=5, max_part_size=importer.FILE_MAX_BYTES) as form:
        upload = form.get("file")
        raw = await upload.read(importer.FILE_MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
        return raw, {k: v for k, v in form.items() if isinstance(v, str)}


async def import_form(request: Request) -> Response:
    """The home page's upload: a new workshop from a JSON export, its creator signed in."""
    essaim = essaim_of(request)
    home = {"templates": essaim.templates.values(), "mine": await mine.facilitated(request, essaim, lang_of(request))}
    uploaded = await _uploaded(request)
    if uploaded is None:
        return render(request, "home.html", 413, **home, import_error=Rejection("text.too_long", {
            "field": "file", "max": importer.FILE_MAX_BYTES}))
    raw, fields = uploaded
    if (refused := await organisers.refusal(request, fields.get(organisers.FORM_FIELD))) is not None:
        return render(request, "home.html", organisers.status(refused), **home,
                      import_error=refused)
    created = await essaim.service.import_document(raw, fields.get("name") or "Animation")
    if not isinstance(created, NewRoom):
        problems = created if isinstance(created, list) else [importer.Problem("name", created.code, created.params)]
        return render(request, "home.html", 422, **home, import_error=Rejection("import.invalid", {
            "count": len(problems)}), import_problems=problems_json(problems, lang_of(request)))
    return enter_new_room(essaim, created)


async def api_import(request: Request) -> Response:
    """`POST /api/rooms/import?name=…` with the export as the JSON body: like `POST /api/rooms`."""
    essaim = essaim_of(request)
    if (refused := await organisers.refusal(request, organisers.from_header(request.headers))) is not None:
        return api_error(organisers.status(refused), refused.code)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return api_error(415, "protocol.invalid", field="content-type")
    if (raw := await capped_body(request, importer.FILE_MAX_BYTES)) is None:
        return api_error(413, "text.too_long", field="body", max=importer.FILE_MAX_BYTES)
    created = await essaim.service.import_document(raw, request.query_params.get("name") or "Animation")
    return _created(essaim, created)


async def api_capitalise(request: Request) -> Response:
    """`POST /api/rooms/capitalise?name=…` with `{"title": "…", "sources": [{"label": "Groupe A",
    "document": {…an export…}}, …]}`: one new workshop from several (see `capitalise`)."""
    essaim = essaim_of(request)
    if (refused := await organisers.refusal(request, organisers.from_header(request.headers))) is not None:
        return api_error(organisers.status(refused), refused.code)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return api_error(415, "protocol.invalid", field="content-type")
    if (raw := await capped_body(request, CAPITALISE_MAX_BYTES)) is None:
        return api_error(413, "text.too_long", field="body", max=CAPITALISE_MAX_BYTES)
    try:
        body = json.loads(raw)
        title = str(body["title"])
        sources = [(str(s.get("label", "")), json.dumps(s["document"])) for s in body["sources"]]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):  # RecursionError: nested too deep
        return api_error(422, "protocol.invalid", field="sources")
    merged = await asyncio.to_thread(capitalise.merge, sources, title=title, now=time.time())
    if isinstance(merged, dict):
        created = await essaim.service.import_document(json.dumps(merged).encode(), request.query_params.get("name")
                                                       or "Animation")
    else:
        created = merged
    return _created(essaim, created)


async def capitalise_form(request: Request) -> Response:
    """The home page's capitalisation: one new workshop from 2–10 groups, each either a workshop
    this browser facilitates (`rooms`, ticked in the form: see `mine`) or an uploaded export
    (`files`); labels come from the workshops' titles (`capitalise.labels`). Its creator signs in."""
    essaim = essaim_of(request)
    listed = await mine.facilitated(request, essaim, lang_of(request))
    home = {"templates": essaim.templates.values(), "mine": listed}

    def refused(status: int, rejection: Rejection, problems: list[Any] | None = None) -> Response:
        return render(request, "home.html", status, **home, capitalise_error=rejection, capitalise_problems=problems)
    if int(request.headers.get("content-length") or 0) > capitalise.SOURCES_MAX * importer.FILE_MAX_BYTES:
        return refused(413, Rejection("text.too_long", {"field": "files", "max": importer.FILE_MAX_BYTES}))
    async with request.form(max_files=capitalise.SOURCES_MAX, max_fields=5 + capitalise.SOURCES_MAX,
                            max_part_size=importer.FILE_MAX_BYTES) as form:
        uploads = [u for u in form.getlist("files") if isinstance(u, UploadFile) and u.filename]
        files = [await u.read(importer.FILE_MAX_BYTES + 1) for u in uploads]
        picked = list(dict.fromkeys(r for r in form.getlist("rooms") if isinstance(r, str)))
        fields = {k: v for k, v in form.items() if isinstance(v, str) and k != "rooms"}
    if (refusal := await organisers.refusal(request, fields.get(organisers.FORM_FIELD))) is not None:
        return refused(organisers.status(refusal), refusal)
    mine_ids = {w.id for w in listed}
    forbidden = [importer.Problem(f"rooms[{n}]", "auth.forbidden") for n, r in enumerate(picked) if r not in mine_ids]
    if forbidden:  # a room this browser does not facilitate (any more): nothing is read from it
        return refused(403, Rejection("import.invalid", {"count": len(forbidden)}),
                       problems_json(forbidden, lang_of(request)))
    documents = [await essaim.service.document(r, with_authors=True) for r in picked]
    sources = [("", json.dumps(d, ensure_ascii=False)) for d in documents if d is not None]
    sources += [("", raw) for raw in files]
    merged = await asyncio.to_thread(capitalise.merge, sources, title=fields.get("title") or "Capitalisation",
                                     now=time.time())
    created = (await essaim.service.import_document(json.dumps(merged).encode(), fields.get("name") or "Animation")
               if isinstance(merged, dict) else merged)
    if not isinstance(created, NewRoom):
        problems = created if isinstance(created, list) else [importer.Problem("name", created.code, created.params)]
        return refused(422, Rejection("import.invalid", {"count": len(problems)}), problems_json(problems, lang_of(request)))
    return enter_new_room(essaim, created)


def _created(essaim: Any, created: NewRoom | Rejection | list[importer.Problem]) -> Response:
    if isinstance(created, Rejection):
        return rejection_response(created)
    if isinstance(created, list):
        return JSONResponse({"error": "import.invalid", "params": {"count": len(created)},
                             "message": i18n.translator("en")("error.import.invalid", count=len(created)),
                             "problems": problems_json(created, "en")}, status_code=422)
    token = essaim.tokens.facilitator(created.room_id, created.facilitator_id, 1)
    return JSONResponse({"id": created.room_id, "join_url": join_url(essaim, created.room_id),
                         "facilitator_url": f"{join_url(essaim, created.room_id)}/animer#{token}",
                         "facilitator_token": token}, status_code=201)


ROUTES = [
    *(Route(f"/rooms/{{room_id}}/export.{fmt}", _download(fmt), methods=["GET"]) for fmt in FORMATS),
    Route("/rooms/{room_id}/report", report_page, methods=["GET"]),
    Route("/rooms/import", import_form, methods=["POST"]),
    Route("/api/rooms/import", api_import, methods=["POST"]),
    Route("/api/rooms/capitalise", api_capitalise, methods=["POST"]),
    Route("/rooms/capitalise", capitalise_form, methods=["POST"]),
]
