"""Headers on every HTTP response, the allowed `Host` names, and the same-origin rule for
state-changing requests.

A pure ASGI middleware: it sees every HTTP response, including errors (a 500 included: it
answers one itself when a handler raises before answering, since Starlette's own 500 comes
from the outermost middleware, outside this one). The `Host` check is Starlette's
TrustedHostMiddleware, run inside this one so that its 400 carries the headers too; it
guards websocket handshakes as well (the denial is an HTTP 400). Their origin is checked
in `ws.py`, since Origin rules are not the same for sockets.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import LOCAL_HOSTS

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
    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str],
                 allowed_hosts: Iterable[str] = LOCAL_HOSTS) -> None:
        # A host outside the list gets "Invalid host header" (400), never a redirect elsewhere.
        self.app = TrustedHostMiddleware(app, allowed_hosts=sorted(allowed_hosts), www_redirect=False)
        self.allowed_origins = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        if scope["method"] not in SAFE_METHODS and not self._same_origin(Headers(scope=scope)):
            response = PlainTextResponse("Cross-site request refused.", status_code=403)
            await response(scope, receive, send_with_headers)
            return
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:  # the same bare 500 Starlette would send, with our headers
                await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send_with_headers)
            raise  # Starlette's outer handler logs it and sends nothing more once we answered

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
