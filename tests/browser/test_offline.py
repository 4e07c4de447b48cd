"""A phone that loses its connection keeps what its owner types, shows it as not
sent, and sends it exactly once when the connection comes back, even across a
reload. The phone reaches the server through a proxy that can cut its websockets
(Playwright's offline mode leaves open websockets alone)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.proxy_for_browser import BrowserProxy
from tests.support.server import Server, free_port

from .conftest import PHONE, Session, screenshot

pytestmark = pytest.mark.browser

NAME = "Sacha"
RECONNECT_TIMEOUT_MS = 15000  # a few backoff steps at most


@pytest.fixture(scope="module")
def proxy_and_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BrowserProxy, Server]]:
    port = free_port()
    proxy = BrowserProxy(target_port=port).start()
    # The address people are given is the proxy's: the join link leads the phone through it.
    server = Server(tmp_path_factory.mktemp("browser-offline") / "data", port=port, ESSAIM_PUBLIC_URL=proxy.url)
    server.start()
    yield proxy, server
    server.stop()
    proxy.stop()


@pytest.fixture(scope="module")
def proxy(proxy_and_server: tuple[BrowserProxy, Server]) -> BrowserProxy:
    return proxy_and_server[0]


@pytest.fixture(scope="module")
def server(proxy_and_server: tuple[BrowserProxy, Server]) -> Server:
    return proxy_and_server[1]


@pytest.fixture(scope="module")
def room(server: Server) -> dict[str, str]:
    # Opened straight into writing (the API allows it), as a script preparing a workshop would.
    return server.post("/api/rooms", {"title": "Atelier du soir", "template": "journee-citoyenne", "phase": "write"})


@pytest.fixture(scope="module")
def facilitator(session: Session, server: Server, proxy: BrowserProxy, room: dict[str, str]) -> Page:
    """On the venue's wired network: straight to the server, never cut."""
    page = session.page()
    page.goto(room["facilitator_url"].replace(proxy.url, server.url))
    page.wait_for_url(f"{server.url}/rooms/{room['id']}")
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page


@pytest.fixture(scope="module")
def phone(session: Session, room: dict[str, str], facilitator: Page) -> Page:
    page = session.page(**PHONE)
    page.goto(room["join_url"])
    page.get_by_label("Votre pseudonyme").fill(NAME)
    page.get_by_role("button", name="Rejoindre l’atelier").click()
    expect(page.locator("#connection")).to_have_text("Connecté")
    expect(facilitator.locator("#presence-list")).to_contain_text(NAME)
    return page


def add_idea(page: Page, index: int, text: str) -> None:
    section = page.locator("#board section.prompt").nth(index)
    section.get_by_role("textbox", name=re.compile("^Nouvelle idée")).fill(text)
    section.get_by_role("button", name="Ajouter").click()


def card(page: Page, text: str) -> Locator:
    return page.locator("#board li.idea").filter(has=page.get_by_text(text, exact=True))


def queued(page: Page, room_id: str) -> list[dict[str, object]]:
    ops: list[dict[str, object]] = json.loads(
        page.evaluate("key => localStorage.getItem(key) ?? '[]'", f"essaim:pending:{room_id}"))
    return ops


def expect_cut(page: Page) -> None:
    badge = page.locator("#connection")
    expect(badge).to_have_attribute("data-state", "offline")
    expect(badge).to_contain_text("Connexion perdue")


def test_an_idea_typed_offline_is_sent_once_when_the_network_returns(
        proxy: BrowserProxy, facilitator: Page, phone: Page, room: dict[str, str]) -> None:
    text = "Une buvette tenue par les jeunes du club"
    proxy.cut()
    phone.context.set_offline(True)  # what the phone itself sees: navigator.onLine is false
    expect_cut(phone)

    add_idea(phone, 0, text)
    mine = card(phone, text)
    expect(mine).to_contain_text("Pas encore envoyée")
    banner = phone.locator("#pending-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("pas encore envoyée")
    expect(banner).to_contain_text("dès le retour de la connexion")
    assert [op["text"] for op in queued(phone, room["id"])] == [text]
    screenshot(phone, "phone-offline", full_page=False)
    phone.wait_for_timeout(300)
    expect(card(facilitator, text)).to_have_count(0)

    proxy.restore()
    phone.context.set_offline(False)  # the browser's `online` event: reconnect now, not at the next backoff step
    expect(card(facilitator, text)).to_have_count(1, timeout=RECONNECT_TIMEOUT_MS)
    expect(phone.locator("#connection")).to_have_text("Connecté")
    expect(mine).not_to_contain_text("Pas encore envoyée")
    expect(card(phone, text)).to_have_count(1)
    expect(banner).to_be_hidden()
    assert queued(phone, room["id"]) == []

    facilitator.reload()  # what the server holds, not what a page assembled
    expect(facilitator.locator("#board section.prompt")).to_have_count(5)
    expect(card(facilitator, text)).to_have_count(1)
    assert proxy.open_websockets == 1  # one live socket for the phone, no leftovers from the retries


def test_a_reload_while_offline_keeps_the_pending_idea(
        proxy: BrowserProxy, facilitator: Page, phone: Page, room: dict[str, str]) -> None:
    text = "Un concert sur le parvis de la mairie"
    proxy.cut()  # websockets only: the page itself still loads, as from the browser's cache
    expect_cut(phone)
    add_idea(phone, 4, text)
    expect(card(phone, text)).to_contain_text("Pas encore envoyée")

    phone.reload()
    expect_cut(phone)
    screenshot(phone, "phone-reloaded-offline", full_page=False)
    banner = phone.locator("#pending-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("1 modification pas encore envoyée")
    assert [op["text"] for op in queued(phone, room["id"])] == [text]
    expect(card(facilitator, text)).to_have_count(0)

    proxy.restore()  # no `online` event this time: the backoff brings it back
    expect(card(facilitator, text)).to_have_count(1, timeout=RECONNECT_TIMEOUT_MS)
    expect(card(phone, text)).to_have_count(1)
    expect(card(phone, text)).to_contain_text("Votre idée")
    expect(card(phone, text)).not_to_contain_text("Pas encore envoyée")
    expect(banner).to_be_hidden()
    assert queued(phone, room["id"]) == []
    facilitator.reload()
    expect(card(facilitator, text)).to_have_count(1)
    expect(facilitator.locator("#board li.idea")).to_have_count(2)


def test_only_our_server_was_contacted(session: Session, server: Server, proxy: BrowserProxy) -> None:
    assert session.log.foreign_requests({server.url, proxy.url}) == []
    assert session.log.page_errors == []
    assert session.log.dialogs == []
    # The phone's failed reconnection attempts are the only errors a console may show.
    noise = re.compile(r"^WebSocket connection to 'ws://127\.0\.0\.1:\d+/rooms/[^']+/ws' failed")
    assert [line for line in session.log.console_errors if not noise.match(line)] == []
