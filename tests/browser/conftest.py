"""Real headless Chromium (Debian's, through Playwright's sync API) against a real server.

Every browser context is opened through `Session.context`, which records each
request the browser makes, console errors, uncaught page errors and dialogs, so
that tests can assert that nothing left for another origin, nothing threw and
no `alert()` ever fired.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page, Playwright, Request, expect, sync_playwright

from tests.support.server import Server

CHROMIUM = os.environ.get("ESSAIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 860}}

expect.set_options(timeout=6000)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Log:
    """What every context of a session did."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def foreign_requests(self, allowed: set[str]) -> list[str]:
        """Requests (websockets included) to anything but `allowed` origins, given as http(s)://host:port."""
        local = ("data:", "blob:", "about:")
        as_http = {"ws": "http", "wss": "https"}
        foreign = []
        for url in self.requests:
            scheme = url.split(":", 1)[0]
            origin = origin_of(as_http.get(scheme, scheme) + url[len(scheme):])
            if not url.startswith(local) and origin not in allowed:
                foreign.append(url)
        return foreign


class Session:
    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.log = Log()
        self.contexts: list[BrowserContext] = []

    def context(self, **options: Any) -> BrowserContext:
        context = self.browser.new_context(locale="fr-FR", **{**DESKTOP, **options})
        context.on("request", self._on_request)
        context.on("page", self._watch)
        self.contexts.append(context)
        return context

    def page(self, **options: Any) -> Page:
        return self.context(**options).new_page()

    def _on_request(self, request: Request) -> None:
        self.log.requests.append(request.url)

    def _watch(self, page: Page) -> None:
        page.on("websocket", lambda websocket: self.log.requests.append(websocket.url))
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.log.page_errors.append(f"{page.url}: {error}"))
        page.on("dialog", self._on_dialog)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.log.console_errors.append(message.text)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.log.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def session(browser: Browser) -> Iterator[Session]:
    session = Session(browser)
    yield session
    session.close()


def screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    """Keep a picture for humans (tests/artifacts/ is not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    viewport = page.viewport_size
    if not full_page or viewport is None:
        page.screenshot(path=str(path))
        return path
    # Not `full_page=True`: Chromium drops the touch emulation while it captures, so a phone
    # would be pictured with a mouse's media queries. A tall viewport keeps the phone a phone.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": height})
    try:
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(viewport)
    return path


def open_workshop(server: Server, session: Session, title: str, template: str = "Remue-méninges") -> Page:
    """A facilitator opens a workshop from the home page, as a new user would, and closes the invite dialog."""
    page = session.page()
    page.goto(server.url + "/")
    create = page.locator("form[action='/rooms']")  # the home page has other forms
    create.get_by_label("Titre de l’atelier").fill(title)
    create.get_by_label("Votre nom d’animateur·rice").fill("Nadia")
    create.get_by_role("radio", name=re.compile(f"^{re.escape(template)}")).check()
    create.get_by_role("button", name="Créer l’atelier", exact=True).click()
    page.wait_for_url(re.compile(r"/rooms/[^/?#]+$"))
    page.get_by_role("button", name="Fermer").click()
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page


def join_workshop(facilitator: Page, session: Session, name: str, **options: Any) -> Page:
    """Someone follows the facilitator's join link and picks a pseudonym."""
    page = session.page(**options)
    page.goto(facilitator.locator("#join-link").input_value())
    page.get_by_label("Votre pseudonyme").fill(name)
    page.get_by_role("button", name="Rejoindre l’atelier").click()
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page
