"""The workshops this browser facilitates, for the home page's capitalisation form.

A room's identity cookie is scoped to `/rooms/{id}`, so the home page never sees it. Each time a
facilitator opens their room page, this browser's `essaim_mine` cookie (path `/`, HttpOnly,
signed with its own salt) remembers (room id, participant id), the most recent first, at most
`REMEMBERED`. It grants nothing by itself: the home page lists, and the capitalisation form
accepts, only the rooms where that participant is a facilitator *now* (`Service.identity`), so a
revoked facilitator, a removed participant or an erased room drops out.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from . import auth, capitalise, limits
from .web import Essaim

COOKIE = "essaim_mine"
REMEMBERED = 12  # each entry is about 40 bytes; a browser keeps a 4 KiB cookie


@dataclass(frozen=True)
class Workshop:
    id: str
    title: str
    date: str  # localised (`capitalise.local_day`)


def _signer(essaim: Essaim) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(essaim.settings.secret_key, salt="essaim.mine.v1")


def _entries(request: Request, essaim: Essaim) -> list[tuple[str, str]]:
    raw = request.cookies.get(COOKIE, "")
    if not raw or len(raw) > 4096:
        return []
    try:
        data = _signer(essaim).loads(raw, max_age=limits.PARTICIPANT_TOKEN_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return []
    if not isinstance(data, list):
        return []
    return [(e[0], e[1]) for e in data[:REMEMBERED]
            if isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) and len(x) <= 64 for x in e)]


def remember(response: Response, request: Request, essaim: Essaim, room_id: str, participant_id: str) -> None:
    """Called when a facilitator's room page is served: this room goes first in the cookie."""
    entries = [(room_id, participant_id), *(e for e in _entries(request, essaim) if e[0] != room_id)]
    response.set_cookie(COOKIE, _signer(essaim).dumps([list(e) for e in entries[:REMEMBERED]]),
                        max_age=limits.PARTICIPANT_TOKEN_MAX_AGE, path="/", httponly=True, samesite="lax",
                        secure=essaim.settings.secure_cookies)


async def facilitated(request: Request, essaim: Essaim, lang: str) -> list[Workshop]:
    """The remembered rooms where this browser's person is still a facilitator, most recent first."""
    out: list[Workshop] = []
    for room_id, participant_id in _entries(request, essaim):
        who = await essaim.service.identity(auth.Grant(room_id, participant_id, None))
        room = await essaim.service.room(room_id) if who is not None and who.role == "facilitator" else None
        if room is not None:
            out.append(Workshop(room.id, room.title, capitalise.local_day(room.created_at, lang)))
    return out
