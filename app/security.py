"""Headers on every HTTP response and the same-origin rule for state-changing requests.

A pure ASGI middleware: it sees every HTTP response, including errors. Websockets
are not handled here (middleware does not guard them); `ws.py` checks their origin.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "content-security-policy": CSP,
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str]) -> None:
        self.app = app
        self.allowed_origins = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        if scope["method"] not in SAFE_METHODS and not self._same_origin(Headers(scope=scope)):
            response = PlainTextResponse("Cross-site request refused.", status_code=403)
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _same_origin(self, headers: Headers) -> bool:
        """Is this state-changing request from our own pages (or from no browser at all)?

        Browsers send Origin on every cross-site POST. Under our `Referrer-Policy:
        no-referrer` they send `Origin: null` even for our own forms, so for a missing
        or null Origin the browser's `Sec-Fetch-Site` decides; a request with neither
        header is not a browser's, and cross-site request forgery needs a browser.
        """
        origin = headers.get("origin")
        if origin is None or origin == "null":
            return headers.get("sec-fetch-site", "same-origin" if origin is None else "") in ("same-origin", "none")
        return origin.rstrip("/") in self.allowed_origins
