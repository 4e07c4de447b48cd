"""What the HTTP and websocket handlers share: the app's parts and the cookie rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.responses import Response

from . import limits
from .auth import Tokens
from .hub import RoomHub
from .service import Service
from .settings import Settings
from .workshop_templates import Template


@dataclass
class Essaim:
    settings: Settings
    tokens: Tokens
    service: Service
    hub: RoomHub
    templates: dict[str, Template]


def cookie_name(room_id: str) -> str:
    return f"essaim_{room_id}"


def set_identity_cookie(response: Response, settings: Settings, room_id: str, token: str) -> None:
    response.set_cookie(cookie_name(room_id), token, max_age=limits.PARTICIPANT_TOKEN_MAX_AGE,
                        path=f"/rooms/{room_id}", httponly=True, samesite="lax",
                        secure=settings.secure_cookies)


def forget_identity_cookie(response: Response, settings: Settings, room_id: str) -> None:
    """The same cookie, expired now, with the same flags (Starlette's `delete_cookie` drops
    HttpOnly and Secure by default)."""
    response.delete_cookie(cookie_name(room_id), path=f"/rooms/{room_id}", httponly=True, samesite="lax",
                           secure=settings.secure_cookies)


def bearer_or_cookie(headers: Mapping[str, str], cookies: Mapping[str, str], room_id: str) -> str | None:
    """Scripts send `Authorization: Bearer <token>`; browsers send the room's cookie."""
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return cookies.get(cookie_name(room_id))
