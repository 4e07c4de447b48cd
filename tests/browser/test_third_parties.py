"""Zero third parties (issue 8): a whole session, as people run it (a facilitator on a laptop,
a participant on a phone, the projector view; join, write, group, vote, results, every export
clicked for real, the printable report), and not one request leaves for another origin.

Every context of the session is watched from its first request: each request the browser
makes goes through `context.route("**/*")`, which lets our server's through and aborts and
records anything else (so nothing ever reaches the network); websockets go through
`context.route_web_socket` the same way; downloads (which Chromium fetches outside the
page, unseen by routes) and service workers are recorded as they start; and conftest's
`Session` logs every request and websocket besides. The tests run in file order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, WebSocketRoute, expect

from tests.support.server import Server

from .conftest import PHONE, Session, join_workshop, open_workshop, origin_of
from .test_facilitation import card, go_to

pytestmark = pytest.mark.browser

IDEAS = ["Un troc de livres", "Une boîte à dons", "Un café réparation"]
LOCAL = ("data:", "blob:", "about:")


class Watched(Session):
    """A session whose contexts let only `allowed` (an origin, http://host:port) through."""

    def __init__(self, browser: Browser, allowed: str) -> None:
        super().__init__(browser)
        self.allowed = allowed
        self.routed: list[str] = []  # every request the routes saw, ours included
        self.blocked: list[str] = []  # what was aborted: anything not ours
        self.workers: list[str] = []
        self.downloads: list[str] = []  # Chromium fetches a download outside the page: no request event, no route

    def context(self, **options: object) -> BrowserContext:
        context = super().context(**options)
        context.route("**/*", self._route)
        context.route_web_socket(re.compile(".*"), self._route_websocket)
        context.on("serviceworker", lambda worker: self.workers.append(worker.url))
        return context

    def _watch(self, page: Page) -> None:
        super()._watch(page)
        page.on("download", lambda download: self.downloads.append(download.url))

    def ours(self, url: str) -> bool:
        if url.startswith(LOCAL):
            return True
        scheme = {"ws": "http", "wss": "https"}.get(url.split(":", 1)[0])
        return origin_of(scheme + url[url.index(":"):] if scheme else url) == self.allowed

    def _route(self, route: Route) -> None:
        url = route.request.url
        self.routed.append(url)
        if self.ours(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def _route_websocket(self, websocket: WebSocketRoute) -> None:
        self.routed.append(websocket.url)
        if self.ours(websocket.url):
            websocket.connect_to_server()  # messages then flow both ways untouched
        else:
            self.blocked.append(websocket.url)
            websocket.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("browser-third-parties") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def session(browser: Browser, server: Server) -> Iterator[Watched]:  # this module's own, watched from the start
    session = Watched(browser, server.url)
    yield session
    session.close()


@pytest.fixture(scope="module")
def facilitator(server: Server, session: Watched) -> Page:
    return open_workshop(server, session, "Un quartier sans gaspillage")


@pytest.fixture(scope="module")
def phone(facilitator: Page, session: Watched) -> Page:
    return join_workshop(facilitator, session, "Inès", **PHONE)


@pytest.fixture(scope="module")
def projector(facilitator: Page, session: Watched) -> Page:
    page = session.context(viewport={"width": 1920, "height": 1080},
                           storage_state=facilitator.context.storage_state()).new_page()
    page.goto(facilitator.url + "/screen")
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_join_and_write(facilitator: Page, phone: Page, projector: Page) -> None:
    facilitator.get_by_role("button", name="Inviter").click()  # the invitation's QR code comes from our server
    expect(facilitator.get_by_role("img", name=re.compile("QR"))).to_be_visible()
    facilitator.get_by_role("button", name="Fermer").click()
    go_to(facilitator, "Écriture")
    for text in IDEAS:
        phone.get_by_role("textbox", name=re.compile("^Nouvelle idée")).fill(text)
        phone.get_by_role("button", name="Ajouter", exact=True).tap()
        expect(card(phone, text)).not_to_have_class(re.compile("pending"))
    expect(projector.get_by_text(IDEAS[0])).to_have_count(1)


def test_group_and_vote(facilitator: Page, phone: Page, projector: Page) -> None:
    go_to(facilitator, "Partage et regroupement")
    for text in IDEAS[:2]:
        card(phone, text).get_by_text("Sélectionner").tap()
    phone.get_by_role("button", name="Regrouper", exact=True).tap()
    expect(facilitator.locator("#board section.cluster li.idea")).to_have_count(2)
    go_to(facilitator, "Vote")
    phone.locator("#board section.cluster").first.get_by_role("button", name=re.compile("^Ajouter une gommette")).tap()
    expect(phone.locator("#vote-status")).to_contain_text("Il vous reste 4 gommettes sur 5.")
    go_to(facilitator, "Résultats")
    expect(projector.locator("#screen")).to_have_attribute("data-phase", "results")


def test_every_export_is_clicked_for_real(facilitator: Page) -> None:
    links = facilitator.locator("#exports a[download]")
    expect(links).to_have_count(5)
    for index in range(links.count()):
        with facilitator.expect_download() as download:
            links.nth(index).click()
        saved = download.value.path()
        assert saved is not None and Path(saved).stat().st_size > 0
    facilitator.locator("#exports").get_by_role("link", name=re.compile("^Compte rendu imprimable")).click()
    facilitator.wait_for_url(re.compile(r"/report$"))
    expect(facilitator.locator("h1")).to_have_text("Un quartier sans gaspillage")
    facilitator.go_back()
    expect(facilitator.locator("#connection")).to_have_text("Connecté")


def test_not_one_request_left_for_another_origin(server: Server, session: Watched, facilitator: Page,
                                                 phone: Page, projector: Page) -> None:
    assert session.blocked == [], session.blocked
    assert [url for url in session.downloads if not session.ours(url)] == [], session.downloads
    assert session.log.foreign_requests({server.url}) == [], session.log.foreign_requests({server.url})
    assert all(session.ours(url) for url in session.workers), session.workers
    assert not session.log.page_errors and not session.log.console_errors, session.log
    # What the session did went through the watch: its absence of anything else means something.
    seen = {path_of(url) for url in session.routed + session.downloads}
    room = path_of(facilitator.url)
    expected = {"/", room, f"{room}/ws", f"{room}/screen", f"{room}/qr.svg", f"{room}/report",
                *(f"{room}/export.{suffix}" for suffix in ("md", "csv", "roadmap.csv", "json", "odt"))}
    assert expected <= seen, expected - seen
    assert any(path.startswith("/static/") and path.endswith(".css") for path in seen)
    assert any(url.startswith("ws://") for url in session.log.requests)


def test_the_watch_would_have_caught_one(session: Watched) -> None:
    """A page outside the app asks for an image elsewhere: the watch records it and nothing leaves."""
    page = session.page()
    before = len(session.blocked)
    page.set_content('<img alt="" src="http://tiers.invalid/pixel.png">')
    page.wait_for_function("() => document.images[0].complete")
    assert session.blocked[before:] == ["http://tiers.invalid/pixel.png"]
    page.close()
