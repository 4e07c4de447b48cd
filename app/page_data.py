"""The JSON a room page fetches beside its socket: near-duplicate hints, the people of the room
(facilitators), and the strings of the views that come later. Thin, like `routes`, whose helpers it uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import i18n
from .routes import essaim_of, identity_of, lang_of
from .service import Identity

T = TypeVar("T")


async def _for_reader(request: Request, read: Callable[[Identity], Awaitable[T | None]]) -> T | None:
    """What `read` gives the reader of this room (its token or cookie); None: no reader, or no right."""
    who = await identity_of(request, request.path_params["room_id"])
    return await read(who) if who else None


def _forbidden() -> Response:
    return JSONResponse({"error": "auth.forbidden"}, status_code=403)


async def similar_ideas(request: Request) -> Response:
    """Ideas and clusters that say nearly the same thing: hints a person confirms one by one."""
    pairs = await _for_reader(request, essaim_of(request).service.similar)
    if pairs is None:
        return _forbidden()
    item = (lambda i: {"id": i.id, "kind": i.kind, "text": i.text, "cluster": i.group})  # noqa: E731
    return JSONResponse({"pairs": [{"a": item(p.a), "b": item(p.b), "score": p.score} for p in pairs]},
                        headers={"cache-control": "no-store"})


async def people(request: Request) -> Response:
    """Everyone in the room, online or not, with the tag of their ideas: facilitators only."""
    listed = await _for_reader(request, essaim_of(request).service.people)
    if listed is None:
        return _forbidden()
    return JSONResponse({"people": listed}, headers={"cache-control": "no-store"})


async def later_messages(request: Request) -> Response:
    """The strings of a room's later views (i18n.LATER_VIEWS), which static/js/lazy.js fetches
    with the first of them instead of every room page carrying them: the same for everyone, in the
    page's language (`?lang=`, the room page's config says), else the request's."""
    lang = request.query_params.get("lang") or lang_of(request)
    if lang not in i18n.LANGS:
        return Response(status_code=404)
    return JSONResponse(i18n.js_catalogue(lang, "later"))


ROUTES = [
    Route("/rooms/{room_id}/similar.json", similar_ideas, methods=["GET"]),
    Route("/rooms/{room_id}/people.json", people, methods=["GET"]),
    Route("/messages/later.json", later_messages, methods=["GET"]),
]
