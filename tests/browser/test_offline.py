"""A phone that loses its connection keeps what its owner types, shows it as not
sent, and sends it exactly once when the connection comes back, even across a
reload. The phone reaches the server through a proxy that can cut its websockets
(Playwright's offline mode leaves open websockets alone).

A second proxy, `lossy`, makes a network misbehave rather than vanish: latency, a
blackhole (nothing comes back, not even a FIN), a frame cut in the middle. Its tests
end with the page's board equal to the facilitator's and each idea stored once. The
blackhole test runs the page on Playwright's clock, so that connection.js's real
20 s ping and 10 s pong deadline pass in an instant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.proxy_for_browser import BrowserProxy
from tests.support.server import Server, free_port
from tests.test_server import read_stored

from .conftest import PHONE, Session, screenshot

pytestmark = pytest.mark.browser

NAME = "Sacha"
RECONNECT_TIMEOUT_MS = 15000  # a few backoff steps at most
PING_EVERY_MS = 20000  # static/js/connection.js
PONG_WITHIN_MS = 10000


@pytest.fixture(scope="module")
def proxies_and_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BrowserProxy, BrowserProxy, Server]]:
    port = free_port()
    proxy = BrowserProxy(target_port=port).start()
    lossy = BrowserProxy(target_port=port).start()
    # The address people are given is the proxy's: the join link leads the phone through it.
    server = Server(tmp_path_factory.mktemp("browser-offline") / "data", port=port, ESSAIM_PUBLIC_URL=proxy.url,
                    ESSAIM_ALLOWED_ORIGINS=lossy.url)
    server.start()
    yield proxy, lossy, server
    server.stop()
    proxy.stop()
    lossy.stop()


@pytest.fixture(scope="module")
def proxy_and_server(proxies_and_server: tuple[BrowserProxy, BrowserProxy, Server]) -> tuple[BrowserProxy, Server]:
    return proxies_and_server[0], proxies_and_server[2]


@pytest.fixture(scope="module")
def lossy(proxies_and_server: tuple[BrowserProxy, BrowserProxy, Server]) -> BrowserProxy:
    return proxies_and_server[1]


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



# -- a network that misbehaves: latency, blackhole, a frame cut mid-way --------------------------


@pytest.fixture(scope="module")
def open_room(server: Server) -> dict[str, str]:
    """A room where everyone sees every idea while writing, so that two boards can be compared."""
    return server.post("/api/rooms", {"title": "Atelier ouvert", "template": "remue-meninges", "phase": "write"})


@pytest.fixture(scope="module")
def host(session: Session, server: Server, proxy: BrowserProxy, open_room: dict[str, str]) -> Page:
    """The open room's facilitator, straight to the server."""
    page = session.page()
    page.goto(open_room["facilitator_url"].replace(proxy.url, server.url))
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page


def join_through(session: Session, lossy: BrowserProxy, proxy: BrowserProxy, room: dict[str, str], name: str,
                 fake_clock: bool = False) -> Page:
    context = session.context(**PHONE)
    if fake_clock:
        context.clock.install()  # time still flows; fast_forward jumps over the long waits
    page = context.new_page()
    page.goto(room["join_url"].replace(proxy.url, lossy.url))
    page.get_by_label("Votre pseudonyme").fill(name)
    page.get_by_role("button", name="Rejoindre l’atelier").click()
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page


def wait_until(page: Page, condition: Callable[[], bool], what: str, timeout_ms: int = 5000) -> None:
    """For what the proxy sees rather than the page shows."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"no {what} within {timeout_ms} ms")


def board_of(page: Page) -> list[list[str]]:
    """Each card of the board, in order: [prompt, idea id, text]."""
    cards: list[list[str]] = page.evaluate("""() => [...document.querySelectorAll("#board li.idea")].map(li => [
        li.dataset.prompt, li.dataset.id, document.getElementById(`idea-${li.dataset.id}-text`)?.textContent])""")
    return cards


def expect_same_boards(page: Page, host: Page, server: Server, room: dict[str, str], texts: list[str]) -> None:
    """Nothing pending on the page; its board is the host's, card for card; each text stored once."""
    expect(page.locator("#board li.idea", has_text="Pas encore envoyée")).to_have_count(0, timeout=RECONNECT_TIMEOUT_MS)
    for text in texts:
        expect(card(host, text)).to_have_count(1)
    expect(page.locator("#board li.idea")).to_have_count(host.locator("#board li.idea").count())
    assert board_of(page) == board_of(host)
    stored = read_stored(server.data_dir, room["id"])
    assert sorted(stored.ideas.values()) == sorted(text for _, _, text in board_of(host))
    assert [t for t in stored.ideas.values() if t in texts] and all(
        list(stored.ideas.values()).count(t) == 1 for t in texts)
    assert all(len(seqs) == 1 for seqs in stored.by_op().values())


def test_through_latency_the_page_ends_with_the_hosts_board(
        session: Session, lossy: BrowserProxy, proxy: BrowserProxy, server: Server, host: Page,
        open_room: dict[str, str]) -> None:
    page = join_through(session, lossy, proxy, open_room, "Lucie")
    lossy.set_mode("latency")  # 0.3 s each way, bytes in order
    mine = [f"Lucie, idée lente {k}" for k in range(4)]
    theirs = [f"Animation, idée directe {k}" for k in range(2)]
    for k, text in enumerate(mine):
        add_idea(page, 0, text)
        if k < len(theirs):
            add_idea(host, 0, theirs[k])
    expect(card(page, mine[-1])).to_contain_text("Pas encore envoyée")  # the answer is still on its way
    expect_same_boards(page, host, server, open_room, mine + theirs)
    assert lossy.open_websockets == 1 and lossy.websockets_opened == 1  # slow, never given up
    lossy.set_mode("pass")
    page.context.close()


def test_a_dead_connection_is_found_by_the_ping_and_the_page_comes_back(
        session: Session, lossy: BrowserProxy, proxy: BrowserProxy, server: Server, host: Page,
        open_room: dict[str, str]) -> None:
    page = join_through(session, lossy, proxy, open_room, "Malo", fake_clock=True)
    opened = lossy.websockets_opened
    badge = page.locator("#connection")
    lossy.set_mode("blackhole")  # the Wi-Fi dies: no FIN, no RST, nothing comes back
    text = "Malo, une idée partie dans le vide"
    add_idea(page, 0, text)
    expect(card(page, text)).to_contain_text("Pas encore envoyée")
    expect(badge).to_have_text("Connecté")  # the browser has not noticed anything
    page.clock.fast_forward(PING_EVERY_MS)  # the ping goes out, into the hole
    expect(badge).to_have_text("Connecté")
    page.clock.fast_forward(PONG_WITHIN_MS)  # no pong in time: the socket is given up
    expect_cut(page)
    expect(card(host, text)).to_have_count(0)
    # Its next handshake hangs in the blackhole; the same deadline ends it.
    wait_until(page, lambda: lossy.websockets_opened > opened, "a new handshake")
    page.clock.fast_forward(PONG_WITHIN_MS)
    expect_cut(page)
    lossy.set_mode("pass")  # the network comes back: the next attempt (a backoff step away) gets through
    page.clock.fast_forward(2000)
    expect(badge).to_have_text("Connecté", timeout=RECONNECT_TIMEOUT_MS)
    expect_same_boards(page, host, server, open_room, [text])
    page.context.close()


def test_a_frame_cut_in_the_middle_is_sent_again_once(
        session: Session, lossy: BrowserProxy, proxy: BrowserProxy, server: Server, host: Page,
        open_room: dict[str, str]) -> None:
    page = join_through(session, lossy, proxy, open_room, "Inès")
    opened = lossy.websockets_opened
    lossy.set_mode("close_mid_frame")  # the next frame the page sends stops after a few bytes, then a FIN
    text = "Inès, une idée coupée en plein envoi"
    add_idea(page, 0, text)
    expect(card(host, text)).to_have_count(1, timeout=RECONNECT_TIMEOUT_MS)
    assert lossy.websockets_opened == opened + 1  # it came back once, by itself
    expect(page.locator("#connection")).to_have_text("Connecté")
    expect_same_boards(page, host, server, open_room, [text])
    page.context.close()


# -- a connection that must not come back ------------------------------------------------------


def test_a_browser_whose_facilitator_link_was_regenerated_stops_and_says_so(
        session: Session, lossy: BrowserProxy, proxy: BrowserProxy, server: Server, host: Page,
        open_room: dict[str, str]) -> None:
    leaked = session.page(**PHONE)  # someone the link leaked to
    leaked.goto(open_room["facilitator_url"].replace(proxy.url, lossy.url))
    expect(leaked.locator("#connection")).to_have_text("Connecté")
    expect(leaked.locator("#me .badge")).to_have_text("animation")
    opened = lossy.websockets_opened
    # The creator regenerates the link (as the invite dialog does): this browser gets a fresh cookie.
    regenerated = host.request.post(f"{server.url}/rooms/{open_room['id']}/facilitator-link/regenerate",
                                    headers={"origin": server.url})
    assert regenerated.ok, regenerated.text()

    notice = leaked.locator("#revoked")
    expect(notice).to_be_visible()
    expect(notice).to_be_focused()
    expect(notice).to_contain_text("Le lien d’animation a été renouvelé")
    expect(leaked.locator("#connection")).to_have_text("Plus connecté")
    # Two tries (its cookie might have been the fresh one, a refusal might have been a blip), no more:
    # the backoff would have knocked twice more by now.
    assert lossy.websockets_opened == opened + 2
    leaked.wait_for_timeout(1500)
    assert lossy.websockets_opened == opened + 2
    screenshot(leaked, "phone-facilitator-link-revoked", full_page=False)
    # The creator's page went through the same 4001 and came back with its fresh cookie.
    expect(host.locator("#connection")).to_have_text("Connecté")
    expect(host.locator("#me .badge")).to_have_text("animation")
    add_idea(host, 0, "Toujours aux commandes")
    expect(card(host, "Toujours aux commandes")).not_to_contain_text("Pas encore envoyée")

    leaked.get_by_role("link", name="Recharger la page").click()
    expect(leaked.get_by_role("button", name="Rejoindre l’atelier")).to_be_visible()
    leaked.context.close()


def test_only_our_server_was_contacted(session: Session, server: Server, proxy: BrowserProxy,
                                       lossy: BrowserProxy) -> None:
    assert session.log.foreign_requests({server.url, proxy.url, lossy.url}) == []
    assert session.log.page_errors == []
    assert session.log.dialogs == []
    # The pages' failed reconnection attempts are the only errors a console may show.
    noise = re.compile(r"^WebSocket connection to 'ws://127\.0\.0\.1:\d+/rooms/[^']+/ws' failed")
    assert [line for line in session.log.console_errors if not noise.match(line)] == []
