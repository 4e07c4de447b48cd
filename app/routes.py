"""HTTP pages and the JSON API. Thin: parse, ask the service, render."""

from __future__ import annotations

import io
import secrets
from typing import Any, Literal

import segno
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from . import i18n, limits, organisers, protocol, pseudonyms, purge
from .errors import Rejection
from .room_settings import RoomSettings
from .service import Identity, NewRoom
from .web import Essaim, bearer_or_cookie, forget_identity_cookie, set_identity_cookie

FORM_MAX_BYTES = 16 * 1024
JSON_MAX_BYTES = 16 * 1024
NAME_ANIMALS = ("Abeille", "Bourdon", "Colibri", "Hérisson", "Loutre", "Mésange", "Écureuil", "Renard",
                "Tortue", "Chouette", "Libellule", "Coccinelle")
NAME_COLOURS = ("bleue", "dorée", "verte", "rousse", "curieuse", "joyeuse", "tranquille", "rieuse")


def essaim_of(request: Request) -> Essaim:
    return request.app.state.essaim  # type: ignore[no-any-return]


def lang_of(request: Request) -> str:
    return i18n.negotiate(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE))


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    templates: Jinja2Templates = request.app.state.jinja
    lang = lang_of(request)
    context.update(lang=lang, _=i18n.translator(lang), settings=essaim_of(request).settings)
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["cache-control"] = "no-store"
    return response


def proposed_name() -> str:
    return f"{secrets.choice(NAME_ANIMALS)} {secrets.choice(NAME_COLOURS)}"


def join_url(essaim: Essaim, room_id: str) -> str:
    return f"{essaim.settings.public_url}/rooms/{room_id}"


async def identity_of(request: Request, room_id: str) -> Identity | None:
    essaim = essaim_of(request)
    token = bearer_or_cookie(request.headers, request.cookies, room_id)
    grant = essaim.tokens.read(token, room_id) if token else None
    return await essaim.service.identity(grant) if grant else None


async def read_form(request: Request) -> dict[str, str] | None:
    if int(request.headers.get("content-length") or 0) > FORM_MAX_BYTES:
        return None
    async with request.form(max_files=0, max_fields=10, max_part_size=FORM_MAX_BYTES) as form:
        return {k: v for k, v in form.items() if isinstance(v, str)}


# -- pages -------------------------------------------------------------------------------

LANG_COOKIE = "essaim_lang"  # read by lang_of
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def same_site_path(target: str | None) -> str:
    """Only a path of this site: a crafted `next` must not send people elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def choose_language(request: Request) -> Response:
    """The header's switch: remember the language (cookie, a year) and go back to the same page."""
    form = await read_form(request) or {}
    if form.get("lang") not in i18n.LANGS:
        return api_error(400, "protocol.invalid", field="lang")
    response = RedirectResponse(same_site_path(form.get("next")), status_code=303)
    response.set_cookie(LANG_COOKIE, form["lang"], max_age=LANG_COOKIE_MAX_AGE, path="/", httponly=True, samesite="lax",
                        secure=essaim_of(request).settings.secure_cookies)
    return response


async def home(request: Request) -> Response:
    essaim = essaim_of(request)  # `mine`: the workshops this browser facilitates, for capitalisation
    listed = await mine.facilitated(request, essaim, lang_of(request))
    return render(request, "home.html", templates=essaim.templates.values(), mine=listed)


async def create_room_form(request: Request) -> Response:
    essaim, form = essaim_of(request), await read_form(request)
    if form is None:
        return render(request, "home.html", 413, templates=essaim.templates.values())
    if (refused := await organisers.refusal(request, form.get(organisers.FORM_FIELD))) is not None:
        kept = {k: v for k, v in form.items() if k != organisers.FORM_FIELD}  # never echo the passphrase
        return render(request, "home.html", organisers.status(refused),
                      templates=essaim.templates.values(), error=refused, form=kept)
    created = await essaim.service.create_room(form.get("title", ""), form.get("template", ""),
                                               lang_of(request), form.get("name") or "Animation")
    if isinstance(created, Rejection):
        return render(request, "home.html", 400, templates=essaim.templates.values(), error=created,
                      form=form)
    return enter_new_room(essaim, created, "?bienvenue=1")


def enter_new_room(essaim: Essaim, created: NewRoom, query: str = "") -> Response:
    """Its creator lands in the workshop just made, signed in by this browser's cookie."""
    response = RedirectResponse(f"/rooms/{created.room_id}{query}", status_code=303)
    set_identity_cookie(response, essaim.settings, created.room_id,
                        essaim.tokens.participant(created.room_id, created.facilitator_id))
    return response


async def room_page(request: Request) -> Response:
    essaim, room_id = essaim_of(request), request.path_params["room_id"]
    room = await essaim.service.room(room_id)
    if room is None:
        return render(request, "not_found.html", 404)
    who = await identity_of(request, room_id)
    if who is None:
        # A locked room says so before anyone types a pseudonym (its link and its code lead here).
        return render(request, "join.html", room=room, proposed=proposed_name(),
                      locked=RoomSettings.load(room.settings).locked)
    config = {**await room_config(request, room_id, who), "welcome": request.query_params.get("bienvenue") == "1"}
    page = render(request, "room.html", room=room, who=who, config=config, join_url=join_url(essaim, room_id),
                  sources=capitalise.legend(room.sources, lang_of(request)))  # a capitalisation's groups
    if who.role == "facilitator":  # the home page's capitalisation form offers this room (app/mine.py)
        mine.remember(page, request, essaim, room_id, who.participant_id)
    return page


async def delete_room(request: Request) -> Response:
    """Its creator erases the workshop for good (see `purge`): rows, log, sockets, cookie."""
    essaim, room_id = essaim_of(request), request.path_params["room_id"]
    who = await identity_of(request, room_id)
    if who is None or who.role != "facilitator" or not who.creator:  # the creator's alone, as the link is
        return api_error(403, "auth.forbidden")
    form = await read_form(request) if "form" in request.headers.get("content-type", "") else {}
    if (form or {}).get("confirm") != "yes":  # the page's box must be ticked; scripts send confirm=yes too
        return api_error(400, "protocol.invalid", field="confirm")
    await purge.delete_room(essaim.service, room_id)
    response = RedirectResponse("/", status_code=303)
    forget_identity_cookie(response, essaim.settings, room_id)
    return response


async def join_form(request: Request) -> Response:
    essaim, room_id = essaim_of(request), request.path_params["room_id"]
    form = await read_form(request)
    room = await essaim.service.room(room_id)
    if room is None:
        return render(request, "not_found.html", 404)
    joined = await join_as_participant(essaim, room_id, (form or {}).get("name", ""))
    if not isinstance(joined, Identity):
        return render(request, "join.html", 400, room=room, proposed=proposed_name(), error=joined,
                      form=form or {})
    response = RedirectResponse(f"/rooms/{room_id}", status_code=303)
    set_identity_cookie(response, essaim.settings, room_id, essaim.tokens.participant(room_id, joined.participant_id))
    return response


async def join_as_participant(essaim: Essaim, room_id: str, name: str) -> Identity | Rejection | None:
    """Every way in for a participant: a pseudonym that passes for the facilitators is refused."""
    if pseudonyms.reserved(name):
        return Rejection("name.reserved")
    return await essaim.service.join(room_id, name)


async def qr_code(request: Request) -> Response:
    essaim, room_id = essaim_of(request), request.path_params["room_id"]
    if await essaim.service.room(room_id) is None:
        return Response(status_code=404)
    buffer = io.BytesIO()
    segno.make(join_url(essaim, room_id), error="m").save(buffer, kind="svg", scale=8, border=2,
                                                         xmldecl=False, svgns=True, title=None)
    return Response(buffer.getvalue(), media_type="image/svg+xml",
                    headers={"cache-control": "private, max-age=3600"})


async def screen_page(request: Request) -> Response:
    """The projector view: facilitators only (it shows the short code and everything live)."""
    essaim, room_id = essaim_of(request), request.path_params["room_id"]
    room = await essaim.service.room(room_id)
    if room is None:
        return render(request, "not_found.html", 404)
    who = await identity_of(request, room_id)
    if who is None or who.role != "facilitator":
        return render(request, "forbidden.html", 403, room=room)
    return render(request, "screen.html", room=room, who=who, join_url=join_url(essaim, room_id),
                  sources=capitalise.legend(room.sources, lang_of(request)),
                  config={**await room_config(request, room_id, who, "screen"), "screen": True})


async def join_by_code(request: Request) -> Response:
    """Short codes lead to an open room's join page. Only wrong codes count against an address
    (enumerating needs misses; a town hall on one wifi joins with right ones)."""
    essaim, form, limiter = essaim_of(request), await read_form(request), request.app.state.code_limiter
    key = f"code:{request.client.host if request.client else '?'}"
    if await limiter.over(key, limits.WRONG_CODES_PER_MINUTE):  # refused unread: the answer would tell
        return render(request, "home.html", 429, templates=essaim.templates.values(),
                      code_error=Rejection("code.rate_limited"))
    code = "".join(ch for ch in (form or {}).get("code", "").upper() if ch.isalnum())[:12]
    room = await essaim.service.room_by_code(code) if len(code) == 6 else None
    if room is None:
        await limiter.miss(key)
        return render(request, "home.html", 404, templates=essaim.templates.values(),
                      code_error=Rejection("code.not_found"), code=code)
    return RedirectResponse(f"/rooms/{room.id}", status_code=303)


async def regenerate_facilitator_link(request: Request) -> Response:
    """A new facilitator link; every older one stops working, and so do the browsers that used one.

    The creator's alone: a co-facilitator could otherwise lock the creator out. The
    browser asking keeps its rights: if it came in through a link, it gets a new cookie.
    """
    essaim, room_id = essaim_of(request), request.path_params["room_id"]
    who = await identity_of(request, room_id)
    if who is None or who.role != "facilitator" or not who.creator:
        return api_error(403, "auth.forbidden")
    version = await essaim.service.regenerate_facilitator_link(room_id)
    token = essaim.tokens.facilitator(room_id, who.participant_id, version)
    response = JSONResponse({"url": f"{join_url(essaim, room_id)}/animer#{token}"},
                            headers={"cache-control": "no-store"})
    if who.facilitator_version is not None:
        set_identity_cookie(response, essaim.settings, room_id, token)
    return response


async def room_config(request: Request, room_id: str, who: Identity,
                      page: Literal["room", "screen"] = "room") -> dict[str, Any]:
    """What the room's JavaScript needs to start: no secret, nothing it could not ask for."""
    essaim, lang = essaim_of(request), lang_of(request)
    return {"room": room_id, "lang": lang, "version": protocol.VERSION, "colours": protocol.COLOURS,
            "ideaMax": limits.IDEA_TEXT_MAX, "role": who.role, "joinUrl": join_url(essaim, room_id),
            "publicUrl": essaim.settings.public_url, "messages": i18n.js_catalogue(lang, page, who.role),
            "laterMessages": f"{request.url_for('later_messages').path}?lang={lang}",
            "creator": await essaim.service.creator(room_id)}


async def facilitator_page(request: Request) -> Response:
    """The facilitator link lands here; its secret stays in the URL fragment, never sent to us."""
    room = await essaim_of(request).service.room(request.path_params["room_id"])
    if room is None:
        return render(request, "not_found.html", 404)
    return render(request, "facilitate.html", room=room)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


# -- JSON: the scripting API and the page's own calls -------------------------------------

class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CreateRoom(_Body):
    title: str = Field(max_length=limits.ROOM_TITLE_MAX * 8)
    template: str = Field(default="remue-meninges", max_length=64)
    name: str = Field(default="Animation", max_length=limits.PSEUDONYM_MAX * 8)
    lang: str = Field(default="fr", pattern="^(fr|en)$")
    phase: Literal["lobby", "write"] = "lobby"  # scripts may open a room straight into writing


class JoinRoom(_Body):
    name: str = Field(max_length=limits.PSEUDONYM_MAX * 8)


class Claim(_Body):
    token: str = Field(max_length=512)


def api_error(status: int, code: str, **params: Any) -> JSONResponse:
    return JSONResponse({"error": code, "params": params,
                         "message": i18n.translator("en")(f"error.{code}", **params)}, status_code=status)


async def read_json(request: Request, model: type[BaseModel]) -> Any:
    """The body as `model`, or the error response to send instead."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return api_error(415, "protocol.invalid", field="content-type")
    body = await request.body()
    if len(body) > JSON_MAX_BYTES:
        return api_error(413, "text.too_long", field="body", max=JSON_MAX_BYTES)
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        return api_error(422, "protocol.invalid", field=field)


def rejection_response(rejection: Rejection) -> JSONResponse:
    status = 409 if rejection.code == "room.full" else 422
    return api_error(status, rejection.code, **rejection.params)


async def api_create_room(request: Request) -> Response:
    essaim = essaim_of(request)
    if (refused := await organisers.refusal(request, organisers.from_header(request.headers))) is not None:
        return api_error(organisers.status(refused), refused.code)
    body = await read_json(request, CreateRoom)
    if isinstance(body, Response):
        return body
    created = await essaim.service.create_room(body.title, body.template, body.lang, body.name, body.phase)
    if isinstance(created, Rejection):
        return rejection_response(created)
    room_id = created.room_id
    token = essaim.tokens.facilitator(room_id, created.facilitator_id, 1)
    return JSONResponse({"id": room_id, "join_url": join_url(essaim, room_id),
                         "facilitator_url": f"{join_url(essaim, room_id)}/animer#{token}",
                         "facilitator_token": token}, status_code=201)


async def api_join(request: Request) -> Response:
    essaim, room_id = essaim_of(request), request.path_params["room_id"]
    body = await read_json(request, JoinRoom)
    if isinstance(body, Response):
        return body
    joined = await join_as_participant(essaim, room_id, body.name)
    if joined is None:
        return api_error(404, "room.not_found")
    if isinstance(joined, Rejection):
        return rejection_response(joined)
    return JSONResponse({"id": joined.public_id, "name": joined.name,
                         "token": essaim.tokens.participant(room_id, joined.participant_id)}, status_code=201)


async def claim(request: Request) -> Response:
    """Trade a facilitator token (from the link's fragment) for this browser's cookie.

    The cookie is a facilitator token too, so that regenerating the link revokes it.
    """
    essaim, room_id = essaim_of(request), request.path_params["room_id"]
    body = await read_json(request, Claim)
    if isinstance(body, Response):
        return body
    grant = essaim.tokens.read(body.token, room_id)
    who = await essaim.service.identity(grant) if grant and grant.facilitator_version else None
    if who is None or who.facilitator_version is None:
        return api_error(403, "auth.forbidden")
    response = JSONResponse({"room": room_id, "url": f"/rooms/{room_id}"})
    set_identity_cookie(response, essaim.settings, room_id,
                        essaim.tokens.facilitator(room_id, who.participant_id, who.facilitator_version))
    return response


async def facilitator_link(request: Request) -> Response:
    essaim, room_id = essaim_of(request), request.path_params["room_id"]
    who = await identity_of(request, room_id)
    room = await essaim.service.room(room_id)
    if who is None or who.role != "facilitator" or room is None:
        return api_error(403, "auth.forbidden")
    token = essaim.tokens.facilitator(room_id, who.participant_id, room.facilitator_version)
    return JSONResponse({"url": f"{join_url(essaim, room_id)}/animer#{token}"},
                        headers={"cache-control": "no-store"})


# Imported here, after the helpers they use from this module: exports and import (export_routes.py),
# the JSON a room page fetches beside its socket (page_data.py).
from . import capitalise, export_routes, mine, page_data  # noqa: E402

ROUTES = [
    Route("/", home, methods=["GET"]),
    Route("/lang", choose_language, methods=["POST"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/rooms", create_room_form, methods=["POST"]),
    Route("/rooms/{room_id}", room_page, methods=["GET"]),
    Route("/rooms/{room_id}/join", join_form, methods=["POST"]),
    Route("/rooms/{room_id}/qr.svg", qr_code, methods=["GET"]),
    Route("/rooms/{room_id}/animer", facilitator_page, methods=["GET"]),
    Route("/rooms/{room_id}/claim", claim, methods=["POST"]),
    Route("/rooms/{room_id}/facilitator-link", facilitator_link, methods=["POST"]),
    Route("/rooms/{room_id}/facilitator-link/regenerate", regenerate_facilitator_link, methods=["POST"]),
    Route("/rooms/{room_id}/screen", screen_page, methods=["GET"]),
    Route("/rooms/{room_id}/delete", delete_room, methods=["POST"]),
    Route("/join-code", join_by_code, methods=["POST"]),
    Route("/api/rooms", api_create_room, methods=["POST"]),
    Route("/api/rooms/{room_id}/participants", api_join, methods=["POST"]),
    *page_data.ROUTES,
    *export_routes.ROUTES,
]
