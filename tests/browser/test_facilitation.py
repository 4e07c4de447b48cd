"""A workshop run from a projector: a facilitator on a laptop, two participants (one on
a phone), the projector view in a second tab of the facilitator's browser. They go
lobby → write (private) → reveal → back to write → closed, with the timer, "J'ai fini"
and moderation. The tests run in file order and share the room, like a session.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect
from websockets.sync.client import connect

from tests.support.proxy_for_browser import BrowserProxy
from tests.support.server import Server, free_port

from .conftest import PHONE, Session, open_workshop, screenshot

pytestmark = pytest.mark.browser

TITLE = "Journée citoyenne de la Croix-Rousse"
PROJECTOR = {"width": 1920, "height": 1080}
# axe-core (`npm install axe-core@4`): the accessibility checks run when it is there.
AXE = os.environ.get("ESSAIM_AXE", str(Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"))
CAMILLE_IDEA = "Un bal musette sur la place"
SAMI_IDEA = "Un atelier de réparation de vélos"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("browser-facilitation") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def facilitator(server: Server, session: Session) -> Page:
    return open_workshop(server, session, TITLE, "Journée citoyenne")


@pytest.fixture(scope="module")
def projector(facilitator: Page, session: Session) -> Page:
    """The facilitator's link opens it in a new tab; the tab is then moved to the projector.

    Here it gets a window of its own with the facilitator's cookie (a tab opened over
    the facilitator's window would hide it, and Chromium stops drawing hidden windows).
    """
    link = facilitator.get_by_role("link", name=re.compile("^Ouvrir la vue projetée"))
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile("noopener"))
    page = session.context(viewport=PROJECTOR, storage_state=facilitator.context.storage_state()).new_page()
    page.goto(urljoin(facilitator.url, link.get_attribute("href") or ""))
    expect(page).to_have_url(re.compile(r"/rooms/[^/]+/screen$"))
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page


@pytest.fixture(scope="module")
def camille(facilitator: Page, session: Session) -> Page:
    """On a laptop, from the link."""
    page = session.page()
    page.goto(facilitator.locator("#join-link").input_value())
    page.get_by_label("Votre pseudonyme").fill("Camille")
    page.get_by_role("button", name="Rejoindre l’atelier").click()
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page


@pytest.fixture(scope="module")
def sami(server: Server, projector: Page, session: Session) -> Page:
    """On a phone, typing the short code read on the projector (in lower case, as thumbs do)."""
    code = projector.locator("#screen-code").inner_text()
    page = session.page(**PHONE)
    page.goto(server.url + "/")
    field = page.get_by_label("Code de l’atelier")
    expect(field).to_have_attribute("autocapitalize", "characters")
    field.fill("ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY")  # a slip of the thumb first
    page.get_by_role("button", name="Rejoindre", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Aucun atelier ouvert avec ce code.")
    field = page.get_by_label("Code de l’atelier")
    expect(field).to_have_accessible_description(re.compile("Aucun atelier ouvert avec ce code"))
    field.fill(code.lower())
    page.get_by_role("button", name="Rejoindre", exact=True).click()
    page.get_by_label("Votre pseudonyme").fill("Sami")
    page.get_by_role("button", name="Rejoindre l’atelier").click()
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page


def room_id(page: Page) -> str:
    return urlsplit(page.url).path.split("/")[2]


def prompt(page: Page, index: int) -> Locator:
    return page.locator("#board section.prompt").nth(index)


def composers(page: Page) -> Locator:
    return page.locator("#board").get_by_role("textbox", name=re.compile("^Nouvelle idée"))


def add_idea(page: Page, index: int, text: str) -> None:
    section = prompt(page, index)
    section.get_by_role("textbox", name=re.compile("^Nouvelle idée")).fill(text)
    section.get_by_role("button", name="Ajouter").click()


def card(page: Page, text: str) -> Locator:
    return page.locator("#board li.idea").filter(has=page.get_by_text(text, exact=True))


def go_to(facilitator: Page, phase: str) -> None:
    facilitator.locator("#phase-bar").get_by_role("button", name=re.compile(phase)).click()
    if phase == "Clôturé":  # asked first: the room becomes read-only and its code stops
        expect(facilitator.get_by_role("button", name="Oui, clôturer")).to_be_focused()
        facilitator.get_by_role("button", name="Oui, clôturer").click()
    expect(facilitator.locator("#phase-bar [aria-current=step]")).to_contain_text(phase)


def seconds(page: Page, selector: str = "#timer-clock") -> int:
    minutes, secs = page.locator(selector).inner_text().split(":")
    return int(minutes) * 60 + int(secs)


def test_everyone_meets_in_the_lobby(server: Server, facilitator: Page, projector: Page, camille: Page,
                                     sami: Page) -> None:
    for page in (facilitator, camille, sami):
        expect(page.locator("#phase-label")).to_have_text("Accueil")
        expect(page.locator("#phase-instruction")).to_contain_text("Bienvenue")
        expect(page.locator("#board section.prompt")).to_have_count(5)  # the questions can be read ahead
    for page in (camille, sami):
        expect(composers(page)).to_have_count(0)  # nothing to write yet
        expect(page.get_by_role("button", name="J’ai fini")).to_have_count(0)
        expect(page.locator("#facilitation")).to_be_hidden()
    # The current stage is said in words, not only in colour.
    current = facilitator.locator("#phase-bar [aria-current=step]")
    expect(current).to_have_text(re.compile(r"Accueil\s*\(étape en cours\)"))
    expect(facilitator.locator("#phase-bar button")).to_have_count(7)

    expect(projector.locator("#phase-label")).to_have_text("Accueil")
    full = projector.get_by_role("button", name="Plein écran")
    full.click()
    expect(projector.get_by_role("button", name="Quitter le plein écran")).to_be_visible()
    assert projector.evaluate("() => document.fullscreenElement === document.documentElement")
    projector.get_by_role("button", name="Quitter le plein écran").click()
    expect(full).to_be_visible()
    expect(projector.locator("#screen-code")).to_have_text(re.compile(r"^[A-Z0-9]{6}$"))
    expect(projector.locator("#screen-host")).to_have_text(urlsplit(server.url).netloc)
    expect(projector.locator("#screen-present")).to_have_text("2 participant·es")
    qr = projector.get_by_role("img", name="QR code du lien pour rejoindre l’atelier")
    projector.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    for name in ("Camille", "Sami"):
        expect(facilitator.locator("#presence-list")).to_contain_text(name)
    screenshot(projector, "projector-lobby", full_page=False)
    screenshot(sami, "phone-lobby", full_page=False)


def test_private_writing_sends_counts_not_texts(facilitator: Page, projector: Page, camille: Page, sami: Page) -> None:
    go_to(facilitator, "Écriture")
    for page in (camille, sami):
        expect(page.locator("#phase-label")).to_have_text("Écriture")
        expect(page.get_by_text("Vos idées restent privées jusqu’au partage")).to_be_visible()
        expect(composers(page)).to_have_count(5)
        expect(page.get_by_role("button", name="J’ai fini")).to_have_attribute("aria-pressed", "false")

    add_idea(camille, 0, CAMILLE_IDEA)
    add_idea(sami, 0, SAMI_IDEA)
    expect(card(camille, CAMILLE_IDEA)).to_contain_text("Votre idée")
    expect(card(sami, SAMI_IDEA)).to_contain_text("Votre idée")
    for page in (camille, sami):
        expect(prompt(page, 0).get_by_role("heading")).to_contain_text("(2 idées en tout)")
        expect(page.locator("#board li.idea")).to_have_count(1)
    expect(card(facilitator, CAMILLE_IDEA)).to_be_visible()  # the facilitator sees everything
    expect(card(facilitator, SAMI_IDEA)).to_be_visible()
    # Hiding is for shared ideas (the server refuses it while writing is private): delete instead.
    expect(card(facilitator, SAMI_IDEA).get_by_role("button", name="Masquer")).to_have_count(0)
    expect(card(facilitator, SAMI_IDEA).get_by_role("button", name="Supprimer")).to_be_visible()
    # Not hidden by CSS: the other's text is nowhere in the page.
    assert CAMILLE_IDEA not in sami.content()
    assert SAMI_IDEA not in camille.content()
    sami.reload()
    expect(card(sami, SAMI_IDEA)).to_be_visible()
    expect(prompt(sami, 0).get_by_role("heading")).to_contain_text("(2 idées en tout)")
    assert CAMILLE_IDEA not in sami.content()

    # The projector shows counts per question, never texts.
    expect(projector.locator("#phase-label")).to_have_text("Écriture")
    tiles = projector.locator("#screen-flow .screen-prompt")
    expect(tiles).to_have_count(5)
    expect(tiles.first).to_contain_text("2 idées")
    expect(tiles.nth(1)).to_contain_text("0 idée")
    assert CAMILLE_IDEA not in projector.content() and SAMI_IDEA not in projector.content()
    screenshot(sami, "phone-private-writing", full_page=False)
    screenshot(projector, "projector-private", full_page=False)


def test_timer_shows_the_same_time_everywhere(facilitator: Page, projector: Page, camille: Page, sami: Page) -> None:
    facilitator.get_by_role("button", name="3 min", exact=True).click()
    for page in (facilitator, camille, sami, projector):
        expect(page.locator("#timer")).to_be_visible()
    left = {name: seconds(page) for name, page in (("camille", camille), ("sami", sami), ("projector", projector))}
    assert max(left.values()) - min(left.values()) <= 1, left
    assert 170 <= left["camille"] <= 180, left
    expect(facilitator.get_by_role("button", name="Reprendre")).to_be_hidden()

    facilitator.get_by_role("button", name="Pause", exact=True).click()
    for page in (camille, sami, projector):
        expect(page.locator("#timer-note")).to_have_text("en pause")
    paused = seconds(camille)
    assert abs(seconds(sami) - paused) <= 1
    camille.wait_for_timeout(1200)
    assert seconds(camille) == paused  # a paused timer does not move
    expect(facilitator.get_by_role("button", name="Reprendre")).to_be_focused()  # same place, other face

    facilitator.get_by_role("button", name="+1 min").click()
    expect(sami.locator("#timer-clock")).to_have_text(f"{(paused + 60) // 60:02d}:{(paused + 60) % 60:02d}")
    facilitator.get_by_role("button", name="Reprendre").click()
    expect(camille.locator("#timer-note")).to_have_text("")
    camille.wait_for_timeout(1500)
    assert seconds(camille) < paused + 60
    assert abs(seconds(camille) - seconds(sami)) <= 1
    # Screen readers hear that it started, not every second.
    expect(camille.locator("#announcer")).to_contain_text("Minuteur")
    assert camille.locator("#timer").get_attribute("role") == "timer"

    facilitator.get_by_label("Autre durée (en minutes)").fill("1.5")  # half minutes too
    facilitator.get_by_role("button", name="Lancer", exact=True).click()
    expect(sami.locator("#timer-clock")).to_have_text(re.compile(r"^01:(30|2\d)$"))
    facilitator.get_by_label("Autre durée (en minutes)").fill("4")
    facilitator.get_by_role("button", name="Lancer", exact=True).click()
    expect(sami.locator("#timer-clock")).to_have_text(re.compile(r"^0(4:00|3:5\d)$"))


def test_done_is_counted_for_the_facilitator_and_the_projector(facilitator: Page, projector: Page,
                                                              sami: Page) -> None:
    expect(facilitator.locator("#done-count")).to_have_text("0 / 2 ont fini")
    done = sami.get_by_role("button", name="J’ai fini")
    done.click()
    expect(done).to_have_attribute("aria-pressed", "true")
    expect(facilitator.locator("#done-count")).to_have_text("1 / 2 ont fini")
    expect(projector.locator("#screen-done")).to_have_text("1 / 2 ont fini")
    screenshot(sami, "phone-done", full_page=False)


def test_reveal_brings_every_idea_to_everyone(facilitator: Page, projector: Page, camille: Page,
                                              sami: Page) -> None:
    go_to(facilitator, "Partage")
    for page in (camille, sami):
        expect(page.locator("#phase-label")).to_have_text("Partage et regroupement")
        expect(card(page, CAMILLE_IDEA)).to_be_visible()
        expect(card(page, SAMI_IDEA)).to_be_visible()
        expect(composers(page)).to_have_count(0)
        expect(page.get_by_text("Vos idées restent privées")).to_be_hidden()
        expect(page.get_by_role("button", name="J’ai fini")).to_have_count(0)
    expect(card(camille, SAMI_IDEA).get_by_role("button")).to_have_count(0)  # read only now
    expect(facilitator.locator("#done-count")).to_have_text("0 / 2 ont fini")  # reset at each phase
    for page in (facilitator, camille, sami, projector):  # the writing timer went with the writing
        expect(page.locator("#timer")).to_be_hidden()
    expect(facilitator.locator("#timer-running")).to_be_hidden()

    for text in (CAMILLE_IDEA, SAMI_IDEA):
        expect(projector.locator("#screen-flow").get_by_text(text)).to_be_visible()

    # A setting applied at once: participants may go on adding ideas after writing.
    late = facilitator.get_by_role("checkbox", name="Permettre d’ajouter des idées après l’écriture")
    late.check()
    expect(composers(camille)).to_have_count(5)
    for page, text in ((camille, "Une fresque peinte avec les enfants de l’école"), (facilitator, "Un repas partagé"),
                       (camille, "Une chorale de quartier"), (facilitator, "Inviter les résidents de l’EHPAD")):
        add_idea(page, 1, text)
        expect(projector.locator("#screen-flow").get_by_text(text)).to_be_visible()
        expect(card(sami, text)).to_be_visible()
    late.uncheck()
    expect(composers(camille)).to_have_count(0)
    expect(composers(facilitator)).to_have_count(0)

    names = facilitator.get_by_role("checkbox", name="Afficher les pseudonymes sur les idées")
    names.check()
    expect(card(sami, CAMILLE_IDEA)).to_contain_text("— Camille")
    expect(projector.locator("#screen-flow")).to_contain_text("— Camille")
    names.uncheck()
    expect(card(sami, CAMILLE_IDEA)).not_to_contain_text("Camille")
    screenshot(camille, "participant-revealed")


def test_moderation_of_ideas_and_prompts(facilitator: Page, camille: Page, sami: Page, projector: Page) -> None:
    idea = card(facilitator, CAMILLE_IDEA)
    idea.get_by_role("button", name="Masquer").click()
    expect(idea).to_contain_text("masquée")
    expect(idea.get_by_role("button", name="Afficher")).to_be_visible()
    for page in (camille, sami):
        expect(card(page, CAMILLE_IDEA)).to_have_count(0)
    expect(projector.locator("#screen-flow").get_by_text(CAMILLE_IDEA)).to_have_count(0)
    idea.get_by_role("button", name="Afficher").click()
    expect(idea).not_to_contain_text("masquée")
    expect(card(sami, CAMILLE_IDEA)).to_be_visible()

    first = prompt(facilitator, 0)
    first.get_by_role("button", name="Renommer la question").click()
    field = facilitator.get_by_role("textbox", name="Nouveau titre de la question")
    expect(field).to_be_focused()
    field.fill("Quelles activités pour tout le quartier ?")
    field.press("Enter")
    for page in (facilitator, camille, sami):
        expect(prompt(page, 0).get_by_role("heading")).to_contain_text("Quelles activités pour tout le quartier ?")

    adder = facilitator.get_by_role("textbox", name="Ajouter une question")
    adder.fill("Quel nom pour cette journée ?")
    facilitator.get_by_role("button", name="Ajouter la question").click()
    for page in (facilitator, sami):
        expect(page.locator("#board section.prompt")).to_have_count(6)
        expect(prompt(page, 5).get_by_role("heading")).to_contain_text("6. Quel nom pour cette journée ?")
    last = prompt(facilitator, 5)
    last.get_by_role("button", name="Supprimer la question").click()
    expect(last).to_contain_text("Supprimer cette question ? Elle n’a pas encore d’idée.")
    last.get_by_role("button", name="Annuler").click()
    expect(facilitator.locator("#board section.prompt")).to_have_count(6)
    last.get_by_role("button", name="Supprimer la question").click()
    last.get_by_role("button", name="Oui, supprimer la question").click()
    for page in (facilitator, camille, sami):
        expect(page.locator("#board section.prompt")).to_have_count(5)
    screenshot(facilitator, "facilitator-moderation")
    screenshot(projector, "projector", full_page=False)


def axe_violations(page: Page) -> list[str]:
    if not page.evaluate("() => 'axe' in window"):
        page.evaluate(Path(AXE).read_text(encoding="utf-8"))  # not a <script>: the page's CSP forbids inline ones
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return {passes: r.passes.length,
                violations: r.violations.map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)};
    }""")
    assert result["passes"] > 10, "axe did not run"
    return list(result["violations"])


@pytest.mark.skipif(not Path(AXE).exists(), reason="axe-core is not installed (npm install axe-core@4)")
def test_pages_pass_axe(server: Server, session: Session, facilitator: Page, camille: Page, sami: Page,
                        projector: Page) -> None:
    home = session.page()
    home.goto(server.url + "/")
    for page in (facilitator, camille, sami, projector, home):
        assert axe_violations(page) == [], page.url
    home.context.close()


def test_back_to_writing_is_private_again(facilitator: Page, camille: Page, sami: Page) -> None:
    go_to(facilitator, "Écriture")
    for page in (camille, sami):
        expect(page.locator("#phase-label")).to_have_text("Écriture")
        expect(composers(page)).to_have_count(5)
        expect(page.get_by_text("Vos idées restent privées jusqu’au partage")).to_be_visible()
    expect(card(sami, SAMI_IDEA)).to_be_visible()
    expect(card(sami, CAMILLE_IDEA)).to_have_count(0)
    assert CAMILLE_IDEA not in sami.content()
    expect(prompt(sami, 1).get_by_role("heading")).to_contain_text("(4 idées en tout)")


def test_closing_makes_everything_read_only(facilitator: Page, projector: Page, camille: Page, sami: Page) -> None:
    facilitator.get_by_role("button", name="3 min", exact=True).click()  # the reveal stopped the first one
    expect(sami.locator("#timer")).to_be_visible()
    facilitator.get_by_role("button", name="Arrêter").click()
    for page in (camille, sami, projector):
        expect(page.locator("#timer")).to_be_hidden()
    expect(sami.locator("#announcer")).to_contain_text("Minuteur arrêté")
    facilitator.locator("#phase-bar").get_by_role("button", name=re.compile("Clôturé")).click()
    facilitator.get_by_role("button", name="Annuler").click()  # changed one's mind: nothing happens
    expect(facilitator.locator("#phase-bar").get_by_role("button", name=re.compile("Clôturé"))).to_be_focused()
    expect(camille.locator("#phase-label")).to_have_text("Écriture")
    go_to(facilitator, "Clôturé")
    for page in (camille, sami):
        expect(page.locator("#phase-label")).to_have_text("Clôturé")
        expect(composers(page)).to_have_count(0)
        expect(card(page, SAMI_IDEA)).to_be_visible()
        expect(page.locator("#board li.idea button")).to_have_count(0)
    expect(projector.locator("#phase-label")).to_have_text("Clôturé")
    expect(composers(facilitator)).to_have_count(0)
    facilitator.locator("#phase-bar").get_by_role("button", name=re.compile("Partage")).click()  # and reopen
    expect(camille.locator("#phase-label")).to_have_text("Partage et regroupement")


def test_a_removed_participant_is_out_for_good(facilitator: Page, camille: Page, sami: Page) -> None:
    sockets: list[str] = []
    camille.on("websocket", lambda ws: sockets.append(ws.url))
    person = facilitator.locator("#presence-list li").filter(has_text="Camille")
    person.get_by_role("button", name="Retirer Camille").click()
    expect(person).to_contain_text("Retirer Camille de l’atelier ?")
    expect(person.get_by_role("button", name="Oui, retirer")).to_be_focused()
    person.get_by_role("button", name="Oui, retirer").click()

    message = camille.get_by_role("alert").filter(has_text="Vous avez été retiré·e de l’atelier")
    expect(message).to_be_visible()
    expect(message).to_be_focused()
    expect(camille.locator("#board")).to_be_hidden()
    expect(facilitator.locator("#presence-list")).not_to_contain_text("Camille")
    expect(card(sami, CAMILLE_IDEA)).to_be_visible()  # their ideas stay
    camille.wait_for_timeout(2500)  # longer than the first reconnection delays
    assert sockets == [], "a removed participant's page kept reconnecting"

    camille.reload()  # no way back with the same identity
    expect(camille.get_by_role("button", name="Rejoindre l’atelier")).to_be_visible()
    expect(camille.locator("#board")).to_have_count(0)


def test_appointing_a_co_facilitator(facilitator: Page, projector: Page, sami: Page) -> None:
    expect(projector.locator("#screen-present")).to_have_text("1 participant·e")  # Camille was removed
    person = facilitator.locator("#presence-list li").filter(has_text="Sami")
    person.get_by_role("button", name="Nommer co-animateur·rice : Sami").click()
    expect(sami.locator("#facilitation")).to_be_visible()
    expect(sami.locator("#me .badge")).to_have_text("animation")
    expect(sami.locator("#phase-bar button")).to_have_count(7)
    expect(person.get_by_role("button", name="Retirer le rôle d’animation : Sami")).to_be_visible()
    expect(person.get_by_role("button", name="Retirer Sami", exact=True)).to_have_count(0)  # demote first
    # The co-facilitator's page knows who else facilitates: nobody to remove, no one to appoint.
    creator = sami.locator("#presence-list li").filter(has_text="Nadia")
    expect(creator.locator(".badge")).to_have_text("animation principale")  # who created the room
    expect(creator.get_by_role("button", name="Retirer Nadia", exact=True)).to_have_count(0)
    expect(creator.get_by_role("button", name=re.compile("^Nommer"))).to_have_count(0)
    expect(creator.get_by_role("button")).to_have_count(0)  # nor take her role: the server refuses it
    expect(person.locator(".badge")).to_have_text("animation")
    expect(sami.locator("#presence-list li").filter(has_text="(vous)").get_by_role("button")).to_have_count(0)
    # Facilitators are not counted among the participants, on the projector either.
    expect(projector.locator("#screen-present")).to_have_text("0 participant·e")
    screenshot(sami, "phone-co-facilitator")

    person.get_by_role("button", name="Retirer le rôle d’animation : Sami").click()
    expect(sami.locator("#facilitation")).to_be_hidden()
    expect(sami.locator("#me .badge")).to_have_count(0)
    expect(person.get_by_role("button", name="Retirer Sami", exact=True)).to_be_visible()
    expect(projector.locator("#screen-present")).to_have_text("1 participant·e")


def test_regenerating_the_facilitator_link(facilitator: Page, session: Session, server: Server) -> None:
    facilitator.get_by_role("button", name="Inviter").click()
    dialog = facilitator.get_by_role("dialog", name="Inviter à l’atelier")
    dialog.get_by_role("button", name="Afficher mon lien d’animation").click()
    expect(dialog.locator("#facilitator-link")).to_have_value(re.compile(r"/animer#"))
    old = dialog.locator("#facilitator-link").input_value()
    leaked = session.page()  # someone the link leaked to: a facilitator, until the regeneration
    leaked.goto(old)
    leaked.wait_for_url(f"{server.url}/rooms/{room_id(facilitator)}")
    expect(leaked.locator("#me .badge")).to_have_text("animation")
    expect(leaked.locator("#connection")).to_have_text("Connecté")
    dialog.get_by_role("button", name="Régénérer le lien d’animation").click()
    expect(dialog).to_contain_text("cesseront de fonctionner")
    dialog.get_by_role("button", name="Oui, régénérer").click()
    expect(dialog.locator("#facilitator-link")).not_to_have_value(old)
    expect(dialog.locator("#facilitator-link")).to_have_value(re.compile(r"/animer#"))
    new = dialog.locator("#facilitator-link").input_value()
    dialog.get_by_role("button", name="Fermer").click()
    # The leaked browser is cut off at once and cannot come back; the creator's is not.
    expect(leaked.locator("#connection")).not_to_have_text("Connecté")
    leaked.reload()
    expect(leaked.get_by_role("button", name="Rejoindre l’atelier")).to_be_visible()
    leaked.context.close()
    expect(facilitator.locator("#connection")).to_have_text("Connecté")

    laptop = session.page()
    laptop.goto(old)
    expect(laptop.locator("#claim-status")).to_contain_text("n’est plus valable")
    laptop = laptop.context.new_page()  # the same address with another fragment would not load again
    laptop.goto(new)
    laptop.wait_for_url(f"{server.url}/rooms/{room_id(facilitator)}")
    expect(laptop.locator("#me .badge")).to_have_text("animation")
    laptop.context.close()


SEED_PER_PERSON = 30  # below the command burst a person may send at once (limits.COMMAND_BURST)


def run_commands(server: Server, room_id: str, token: str, commands: list[dict[str, object]]) -> None:
    """Send commands through the websocket as a script would, and wait until each one is committed."""
    headers = {"Authorization": f"Bearer {token}"}
    with connect(f"{server.ws_url}/rooms/{room_id}/ws", origin=server.origin, additional_headers=headers,
                 compression=None, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "hello", "v": 1, "since": None}))
        socket.recv(timeout=10)
        waiting = set()
        for command in commands:
            socket.send(json.dumps(command))
            waiting.add(command["op_id"])
        while waiting:
            raw = socket.recv(timeout=10)
            frames = json.loads(raw)
            for frame in frames if isinstance(frames, list) else [frames]:
                assert frame.get("type") != "error", frame
                waiting.discard(frame.get("op_id"))


def seed_ideas(server: Server, room: dict[str, str], texts: list[str]) -> None:
    """Many ideas, written by several people (one person's burst is limited), then the reveal."""
    prompts = prompt_ids(server, room)
    colours = ["yellow", "pink", "blue", "green", "orange", "purple"]
    chunks = [texts[i:i + SEED_PER_PERSON] for i in range(0, len(texts), SEED_PER_PERSON)]
    for n, chunk in enumerate(chunks):
        token = room["facilitator_token"] if n == 0 else server.post(
            f"/api/rooms/{room['id']}/participants", {"name": f"Graine {n}"})["token"]
        start = n * SEED_PER_PERSON
        run_commands(server, room["id"], token, [
            {"type": "idea.add", "op_id": f"seed-idea-{start + i:04d}", "prompt": prompts[(start + i) % len(prompts)],
             "text": text, "colour": colours[(start + i) % len(colours)]} for i, text in enumerate(chunk)])
    run_commands(server, room["id"], room["facilitator_token"],
                 [{"type": "room.phase", "op_id": "seed-phase-group", "phase": "group"}])


def prompt_ids(server: Server, room: dict[str, str]) -> list[str]:
    headers = {"Authorization": f"Bearer {room['facilitator_token']}"}
    with connect(f"{server.ws_url}/rooms/{room['id']}/ws", origin=server.origin, additional_headers=headers,
                 compression=None, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "hello", "v": 1, "since": None}))
        return [p["id"] for p in json.loads(socket.recv(timeout=10))["prompts"]]


IDEAS = ["Un pique-nique partagé", "Un bal musette sur la place avec l’harmonie municipale",
         "Inviter les résidents de l’EHPAD", "Un atelier de réparation de vélos et de trottinettes",
         "Une fresque peinte avec les enfants de l’école", "Des jeux en bois pour les petits",
         "Un repas où chacun apporte un plat de son pays", "Une chorale de quartier",
         "Porte-à-porte avec les voisins relais", "Des affiches chez les commerçants", "Le centre social",
         "Tôt le samedi, avant le marché, pour croiser les familles"]


@pytest.mark.parametrize(("ideas", "scrolls"), [(60, False), (100, True)])
def test_the_projector_fits_sixty_ideas_and_scrolls_beyond(server: Server, session: Session, ideas: int,
                                                           scrolls: bool) -> None:
    room = server.post("/api/rooms", {"title": "Grand atelier", "template": "journee-citoyenne", "phase": "write"})
    texts = [f"{IDEAS[i % len(IDEAS)]} ({i + 1})" if scrolls is False else
             f"{IDEAS[i % len(IDEAS)]}, et aussi {IDEAS[(i * 5 + 3) % len(IDEAS)].lower()} ({i + 1})" for i in range(ideas)]
    seed_ideas(server, room, texts)
    page = session.page(viewport=PROJECTOR)
    page.goto(room["facilitator_url"])
    page.wait_for_url(f"{server.url}/rooms/{room['id']}")
    page.goto(f"{server.url}/rooms/{room['id']}/screen")
    expect(page.locator("#screen-flow .screen-idea")).to_have_count(ideas)
    board = page.locator("#screen-board")
    assert page.evaluate("document.documentElement.scrollHeight") <= PROJECTOR["height"]
    pause = page.get_by_role("button", name="Mettre le défilement en pause")
    if not scrolls:
        expect(board).not_to_have_class(re.compile("scrolling"))
        expect(pause).to_be_hidden()
        last = page.locator("#screen-flow .screen-idea").last
        box = last.bounding_box()
        assert box and box["y"] + box["height"] <= PROJECTOR["height"] and box["x"] + box["width"] <= PROJECTOR["width"]
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.screen-idea')).fontSize)")
        assert size >= 16, f"ideas at {size}px cannot be read from the back of a room"
        screenshot(page, "projector-60-ideas", full_page=False)
    else:
        expect(board).to_have_class(re.compile("scrolling"))
        page.wait_for_function("() => document.querySelector('#screen-board').scrollTop > 20", timeout=15000)
        pause.click()
        resume = page.get_by_role("button", name="Reprendre le défilement")
        expect(resume).to_have_attribute("aria-pressed", "true")
        stopped = page.evaluate("document.querySelector('#screen-board').scrollTop")
        page.wait_for_timeout(700)
        assert page.evaluate("document.querySelector('#screen-board').scrollTop") == stopped
        resume.click()
        page.wait_for_function("top => document.querySelector('#screen-board').scrollTop > top", arg=stopped)
    page.context.close()


def test_writing_closes_when_the_timer_runs_out(server: Server, session: Session) -> None:
    room = server.post("/api/rooms", {"title": "Atelier éclair", "template": "remue-meninges", "phase": "write"})
    page = session.page(**PHONE)
    page.goto(room["join_url"])
    page.get_by_role("button", name="Rejoindre l’atelier").click()
    expect(composers(page)).to_have_count(1)
    headers = {"Authorization": f"Bearer {room['facilitator_token']}"}
    with connect(f"{server.ws_url}/rooms/{room['id']}/ws", origin=server.origin, additional_headers=headers,
                 compression=None, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "hello", "v": 1, "since": None}))
        socket.recv(timeout=10)
        for n, command in enumerate(({"type": "room.configure", "timer_closes_writing": True},
                                     {"type": "timer.start", "seconds": 600})):
            socket.send(json.dumps({**command, "op_id": f"close-op-{n:04d}"}))
        expect(page.locator("#timer")).to_be_visible()
        expect(composers(page)).to_have_count(1)
        socket.send(json.dumps({"type": "timer.add", "seconds": -3600, "op_id": "close-op-end"}))  # time is up now
        expect(page.locator("#timer-note")).to_have_text("Temps écoulé")
        expect(page.locator("#timer-clock")).to_have_text("00:00")
        expect(composers(page)).to_have_count(0)
        expect(page.locator("#announcer")).to_contain_text("Temps écoulé", timeout=4000)
        socket.send(json.dumps({"type": "timer.stop", "op_id": "close-op-stop"}))  # stopped: writing opens again
        expect(composers(page)).to_have_count(1)
        expect(page.locator("#timer")).to_be_hidden()
    page.context.close()


def test_someone_offline_can_be_found_by_their_idea_and_removed(server: Server, session: Session) -> None:
    """The list of everyone, for facilitators: who wrote an idea, and the tools on people who closed their page."""
    room = server.post("/api/rooms", {"title": "Atelier modéré", "template": "remue-meninges", "phase": "write"})
    prompt = prompt_ids(server, room)[0]
    token = server.post(f"/api/rooms/{room['id']}/participants", {"name": "Troll"})["token"]
    run_commands(server, room["id"], token, [
        {"type": "idea.add", "op_id": "troll-idea-1", "prompt": prompt, "text": "Propos injurieux", "colour": "yellow"}])
    page = session.page()
    page.goto(room["facilitator_url"])
    page.wait_for_url(f"{server.url}/rooms/{room['id']}")
    expect(card(page, "Propos injurieux")).to_be_visible()
    expect(card(page, "Propos injurieux")).not_to_contain_text("Troll")  # no pseudonyms on ideas
    expect(page.locator("#presence-list")).not_to_contain_text("Troll")  # not online
    page.get_by_text("Toutes les personnes de l’atelier").click()
    page.get_by_label("Chercher un pseudonyme ou les mots d’une idée").fill("injurieux")
    person = page.locator("#people-list > li")
    expect(person).to_have_count(1)
    expect(person).to_contain_text("Troll · hors ligne")
    expect(person.locator("details")).to_have_attribute("open", "")  # the idea found, under its author
    expect(person).to_contain_text("Propos injurieux")
    person.get_by_role("button", name="Retirer Troll").click()
    person.get_by_role("button", name="Oui, retirer").click()
    expect(page.locator("#people-status")).to_have_text("Personne ne correspond à cette recherche.")
    for _ in range(50):  # the page drops them at once; the server's answer comes just after
        people = page.request.get(f"{server.url}/rooms/{room['id']}/people.json").json()["people"]
        if "Troll" not in {p["name"] for p in people}:
            break
        page.wait_for_timeout(100)
    assert "Troll" not in {p["name"] for p in people}
    with pytest.raises(Exception):  # their token is refused from now on
        with connect(f"{server.ws_url}/rooms/{room['id']}/ws", origin=server.origin,
                     additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10) as socket:
            socket.send(json.dumps({"type": "hello", "v": 1, "since": None}))
            socket.recv(timeout=10)
    expect(card(page, "Propos injurieux")).to_be_visible()  # their idea stays unless deleted
    page.context.close()


def test_nothing_left_for_another_origin(session: Session, server: Server) -> None:
    assert session.log.foreign_requests({server.url}) == []
    assert session.log.page_errors == []
    assert session.log.dialogs == []
    # Refused on purpose: the wrong short code (404) and the old facilitator link (403). Nothing else.
    expected = re.compile(r"^Failed to load resource: the server responded with a status of (403|404) ")
    assert [line for line in session.log.console_errors if not expected.match(line)] == []
    assert len(session.log.console_errors) <= 2


def test_a_phone_that_lost_its_socket_shows_the_time_left_when_it_is_back(session: Session, tmp_path: Path) -> None:
    """The timer started while the phone was cut off: its catch-up replays timer.changed with the
    `now` of its start, and the page takes its clock from the catch-up frame instead (issue 3 audit,
    gap 2), so it shows what every other screen shows. After test_nothing_left_for_another_origin:
    this one's pages go through a proxy, another origin, and its cut sockets log errors."""
    port = free_port()
    proxy = BrowserProxy(target_port=port).start()
    server = Server(tmp_path / "data", port=port, ESSAIM_ALLOWED_ORIGINS=proxy.url).start()
    try:
        room = server.post("/api/rooms", {"title": "Atelier en sous-sol", "template": "remue-meninges", "phase": "write"})
        laptop = session.page()
        laptop.goto(room["facilitator_url"])
        laptop.wait_for_url(f"{server.url}/rooms/{room['id']}")
        phone = session.page(**PHONE)
        phone.goto(room["join_url"].replace(server.url, proxy.url))
        phone.get_by_role("button", name="Rejoindre l’atelier").click()
        expect(phone.locator("#connection")).to_have_text("Connecté")
        proxy.cut()
        expect(phone.locator("#connection")).not_to_have_text("Connecté")
        laptop.get_by_role("button", name="3 min", exact=True).click()
        expect(laptop.locator("#timer")).to_be_visible()
        phone.wait_for_timeout(5000)  # the timer runs on while the phone is away
        proxy.restore()
        phone.context.set_offline(True)
        phone.context.set_offline(False)  # the browser's `online` event: reconnect now
        expect(phone.locator("#connection")).to_have_text("Connecté", timeout=20000)
        expect(phone.locator("#timer")).to_be_visible()
        assert abs(seconds(phone) - seconds(laptop)) <= 1, (seconds(phone), seconds(laptop))
        assert seconds(phone) <= 176  # not the three minutes the logged event would say
        phone.context.close()
        laptop.context.close()
    finally:
        server.stop()
        proxy.stop()
