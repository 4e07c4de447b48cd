"""Who may open workshops: everyone, or only holders of the organiser passphrase.

Off by default (`ESSAIM_ORGANISER_PASSPHRASE` empty). When set, the home page form asks
for it (field `organiser`) and `POST /api/rooms` wants `Authorization: Organiser <passphrase>`.
Joining a workshop never needs it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from starlette.requests import Request

from .errors import Rejection
from .settings import Settings

FORM_FIELD = "organiser"
SCHEME = "organiser "


def required(settings: Settings) -> bool:
    return bool(settings.organiser_passphrase)


def may_create(settings: Settings, offered: str | None) -> bool:
    """True when creation is open, or `offered` is the passphrase (compared in constant time)."""
    if not required(settings):
        return True
    # Digests first: compare_digest on equal lengths leaks neither the length nor a prefix.
    expected = hashlib.sha256(settings.organiser_passphrase.encode()).digest()
    given = hashlib.sha256((offered or "").encode("utf-8", "surrogatepass")).digest()
    return hmac.compare_digest(expected, given) and offered is not None


def from_header(headers: Mapping[str, str]) -> str | None:
    """The passphrase of `Authorization: Organiser <passphrase>`, if sent."""
    authorization = headers.get("authorization", "")
    if not authorization.lower().startswith(SCHEME):
        return None
    value = authorization[len(SCHEME):].strip()
    try:  # HTTP headers arrive as latin-1; a passphrase with accents is sent as UTF-8 bytes
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def status(refused: Rejection) -> int:
    """The HTTP status of a refusal: too many attempts, or not the passphrase."""
    return 429 if refused.code == "room.create_rate_limited" else 403


async def refusal(request: Request, offered: str | None) -> Rejection | None:
    """None when this request may open a workshop; attempts are rate limited per address."""
    settings: Settings = request.app.state.essaim.settings
    if not required(settings):
        return None
    client = request.client.host if request.client else "?"
    if not await request.app.state.code_limiter.admit(f"organiser:{client}"):  # guessing it takes forever
        return Rejection("room.create_rate_limited")
    return None if may_create(settings, offered) else Rejection("room.create_forbidden")
