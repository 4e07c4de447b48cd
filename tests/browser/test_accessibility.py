"""Accessibility on every page and in every phase, in real Chromium.

axe-core (WCAG 2.1 A and AA rules) runs on the home page, the join page, the error
pages, the room in each of its seven phases and the projector view, at a desktop size
(1280×860) and a phone size (360×640), for a participant and for a facilitator; any
violation fails. The same pages must reflow without horizontal scrolling at 320 px
wide and at 200 % zoom (WCAG 1.4.10 and 1.4.4). The tests run in file order and share
one room, like a session.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.server import Server

from .conftest import DESKTOP, PHONE, Session, join_workshop, open_workshop
from .test_facilitation import AXE, card, go_to

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(AXE).exists(), reason="axe-core is not installed (npm install axe-core@4)")]

PHASES = [("lobby", "Accueil"), ("write", "Écriture"), ("group", "Partage et regroupement"), ("vote", "Vote"),
          ("results", "Résultats"), ("roadmap", "Feuille de route"), ("closed", "Clôturé")]
# The last one is a long unbroken word: it must wrap, not push the page sideways.
IDEAS = ["Un jardin partagé", "Une boîte à livres", "Un repair café",
         "https://www.exemple-d-une-tres-longue-adresse-sans-aucun-espace.fr/chemin/vers/la/page"]
SIZES = {"desktop": DESKTOP["viewport"], "phone": PHONE["viewport"]}
# 320 CSS px wide (WCAG 1.4.10), and a 1280 px screen at 200 % zoom, i.e. 640 CSS px.
REFLOW = {"320px": {"width": 320, "height": 640}, "zoom200": {"width": 640, "height": 430}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("browser-accessibility") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def facilitator(server: Server, session: Session) -> Page:
    return open_workshop(server, session, "Atelier accessible")


@pytest.fixture(scope="module")
def participant(facilitator: Page, session: Session) -> Page:
    return join_workshop(facilitator, session, "Camille")


@pytest.fixture(scope="module")
def thumb(facilitator: Page, session: Session) -> Page:
    """A participant on a real phone context (touch, mobile viewport), checked at the phone size only."""
    page = session.page(**PHONE)
    page.goto(facilitator.locator("#join-link").input_value())
    page.get_by_label("Votre pseudonyme").fill("Lou")
    page.get_by_role("button", name="Rejoindre l’atelier").click()
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page


@pytest.fixture(scope="module")
def projector(server: Server, facilitator: Page, session: Session) -> Page:
    page = session.context(storage_state=facilitator.context.storage_state()).new_page()
    page.goto(facilitator.url + "/screen")
    expect(page.locator("#screen-code")).not_to_be_empty()
    return page


def axe_violations(page: Page) -> list[str]:
    """WCAG 2.1 A and AA violations on the page as it is now (rule: the nodes)."""
    if not page.evaluate("() => 'axe' in window"):
        page.evaluate(Path(AXE).read_text(encoding="utf-8"))  # not a <script>: the page's CSP forbids inline ones
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return {passes: r.passes.length,
                violations: r.violations.map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)};
    }""")
    assert result["passes"] > 5, "axe did not run"  # a small error page passes fewer rules than a room
    return list(result["violations"])


def at_every_size(page: Page, sizes: dict[str, dict[str, int]]) -> Iterator[str]:
    """Resize the page to each size in turn (and back), yielding the size's name."""
    before = page.viewport_size
    try:
        for name, size in sizes.items():
            page.set_viewport_size(size)
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            yield name
    finally:
        if before:
            page.set_viewport_size(before)


def axe_everywhere(pages: dict[str, Page]) -> list[str]:
    found = []
    for who, page in pages.items():
        sizes = SIZES if page.viewport_size != PHONE["viewport"] else {"phone": PHONE["viewport"]}
        for size in at_every_size(page, sizes):
            found += [f"{who} {size} {page.url}: {v}" for v in axe_violations(page)]
    return found


def overflow(page: Page) -> str | None:
    """What sticks out to the right, if the page scrolls horizontally."""
    return page.evaluate("""() => {
        const root = document.documentElement;
        if (root.scrollWidth <= root.clientWidth) return null;
        const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > root.clientWidth + 0.5)
            .filter(e => !e.closest('.visually-hidden'))
            .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.'));
        return `scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}: ${wide.join(', ')}`;
    }""")


def reflows(pages: dict[str, Page]) -> list[str]:
    found = []
    for who, page in pages.items():
        for size in at_every_size(page, REFLOW):
            problem = overflow(page)
            if problem:
                found.append(f"{who} {size} {page.url}: {problem}")
    return found


def check_all(pages: dict[str, Page]) -> None:
    problems = axe_everywhere(pages) + reflows(pages)
    assert problems == [], "\n".join(problems)


def test_the_checks_can_fail(server: Server, session: Session) -> None:
    """A picture without text and a box wider than the screen are caught."""
    page = session.page()
    page.goto(server.url + "/")
    page.evaluate("""() => {
        const img = document.createElement('img'); img.src = '/static/img/none.png'; document.querySelector('main').append(img);
        const wide = document.createElement('div'); wide.style.width = '400px'; wide.style.height = '1px';
        document.querySelector('main').append(wide);
    }""")
    assert any(v.startswith("image-alt") for v in axe_violations(page))
    page.set_viewport_size(REFLOW["320px"])
    assert overflow(page)
    page.context.close()


def test_home_join_and_error_pages(server: Server, session: Session, facilitator: Page) -> None:
    home = session.page()
    home.goto(server.url + "/")
    join = session.page()
    join.goto(facilitator.locator("#join-link").input_value())
    expect(join.get_by_label("Votre pseudonyme")).to_be_visible()
    missing = session.page()
    missing.goto(server.url + "/rooms/nope-nope-nope")
    expect(missing.locator("h1")).to_be_visible()
    check_all({"home": home, "join": join, "not-found": missing})
    for page in (home, join, missing):
        page.context.close()


@pytest.mark.parametrize(("phase", "label"), PHASES, ids=[p for p, _ in PHASES])
def test_every_phase(phase: str, label: str, facilitator: Page, participant: Page, thumb: Page, projector: Page) -> None:
    if phase != "lobby":
        go_to(facilitator, label)
    for page in (participant, thumb, projector):
        expect(page.locator("#phase-label")).to_have_text(label)
    if phase == "write":
        for text in IDEAS:
            participant.get_by_role("textbox", name=re.compile("^Nouvelle idée")).first.fill(text)
            participant.get_by_role("button", name="Ajouter", exact=True).first.click()
            expect(card(participant, text)).not_to_have_class(re.compile("pending"))
    elif phase == "group":
        expect(participant.locator("#board li.idea")).to_have_count(len(IDEAS))
        for text in IDEAS[:2]:
            card(participant, text).get_by_role("checkbox").check()
        participant.get_by_role("button", name="Regrouper", exact=True).click()
        expect(participant.locator("#board section.cluster li.idea")).to_have_count(2)
    elif phase == "vote":
        participant.locator("#board").get_by_role("button", name=re.compile("^Ajouter une gommette")).first.click()
        expect(participant.locator("#vote-status")).to_contain_text("Il vous reste 4")
    if phase == "vote":
        thumb.locator("#board").get_by_role("button", name=re.compile("^Ajouter une gommette")).first.tap()
        expect(thumb.locator("#vote-status")).to_contain_text("Il vous reste 4")
    check_all({"participant": participant, "phone": thumb, "facilitator": facilitator, "projector": projector})
    if phase == "results":  # the printable report, once there is something to report
        report = facilitator.context.new_page()
        report.goto(facilitator.url + "/report")
        expect(report.locator("h1")).to_be_visible()
        try:
            check_all({"report": report})
        finally:
            report.close()


def test_high_contrast_theme_is_remembered_and_follows_the_system(server: Server, session: Session,
                                                                   participant: Page) -> None:
    page = session.page()
    page.goto(server.url + "/")
    toggle = page.get_by_role("button", name="Contraste renforcé")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    ink = "() => getComputedStyle(document.body).color"
    before = page.evaluate(ink)
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.documentElement.dataset.theme") == "contrast"
    assert page.evaluate(ink) == "rgb(0, 0, 0)" != before
    page.reload()
    expect(page.get_by_role("button", name="Contraste renforcé")).to_have_attribute("aria-pressed", "true")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Contraste renforcé").click()  # and off again, remembered too
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "default"
    page.context.close()
    # nobody chose: the system's preference decides
    system = session.page()
    system.emulate_media(contrast="more")
    system.goto(server.url + "/")
    assert system.evaluate("document.documentElement.dataset.theme") == "contrast"
    system.context.close()
    # the room in high contrast, every phase passed by now: still no violation
    participant.evaluate("localStorage.setItem('essaim:theme', 'contrast')")
    participant.reload()
    expect(participant.locator("#connection")).to_have_text("Connecté")
    try:
        check_all({"participant-contrast": participant})
    finally:
        participant.evaluate("localStorage.removeItem('essaim:theme')")


def test_reduced_motion_stops_the_animations(server: Server, session: Session, projector: Page) -> None:
    projector.emulate_media(reduced_motion="reduce")
    try:
        moving = projector.evaluate("""() => [...document.querySelectorAll('*')].filter(e => {
            const s = getComputedStyle(e);
            return (s.animationName !== 'none' && parseFloat(s.animationDuration) > 0.01)
                || parseFloat(s.transitionDuration) > 0.01;
        }).length""")
        assert moving == 0
    finally:
        projector.emulate_media(reduced_motion="no-preference")


def test_the_language_switch(server: Server, session: Session, facilitator: Page) -> None:
    page = session.page()
    page.goto(facilitator.locator("#join-link").input_value())
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Join the workshop")).to_be_visible()  # the same page, in English
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_label("Your pseudonym").fill("Sam")
    page.get_by_role("button", name="Join the workshop").click()
    expect(page.locator("#connection")).to_have_text("Connected")  # the JavaScript got the English catalogue
    expect(page.locator("#phase-label")).not_to_be_empty()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert axe_violations(page) == []
    page.goto(server.url + "/")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert axe_violations(page) == []
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("button", name="Créer l’atelier", exact=True)).to_be_visible()
    page.context.close()
