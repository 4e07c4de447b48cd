"""Leaving a workshop from the room (issue 8): "Quitter l'atelier" asks first, in a real
dialog (focus goes in, Escape or "Rester" bring it back), then erases. The facilitator's
board and the projector lose the person's ideas at once, every tab of theirs stops and says
it is done, the browser forgets their drafts, and the old cookie only leads to the join form.
The tests run in file order and share the room.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.server import Server

from .conftest import PHONE, Session, join_workshop, open_workshop, screenshot
from .test_accessibility import AXE, axe_violations

pytestmark = pytest.mark.browser

HER_IDEA = "Un concours de soupes entre voisins"
HIS_IDEA = "Une bourse aux plantes"
DRAFT = "un brouillon pas encore envoyé"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("browser-leave") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def facilitator(server: Server, session: Session) -> Page:
    page = open_workshop(server, session, "Atelier du jeudi")
    page.locator("#phase-bar").get_by_role("button", name=re.compile("Écriture")).click()
    expect(page.locator("#phase-bar [aria-current=step]")).to_contain_text("Écriture")
    return page


@pytest.fixture(scope="module")
def projector(facilitator: Page, session: Session) -> Page:
    page = session.context(storage_state=facilitator.context.storage_state()).new_page()
    page.goto(facilitator.url + "/screen")
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page


@pytest.fixture(scope="module")
def lea(facilitator: Page, session: Session) -> Page:
    return join_workshop(facilitator, session, "Léa", **PHONE)


@pytest.fixture(scope="module")
def lea_again(lea: Page) -> Page:
    """A second tab of hers, same browser, same cookie."""
    page = lea.context.new_page()
    page.goto(lea.url)
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page


@pytest.fixture(scope="module")
def tom(facilitator: Page, session: Session) -> Page:
    return join_workshop(facilitator, session, "Tom")


def add_idea(page: Page, text: str) -> None:
    section = page.locator("#board section.prompt").first
    section.get_by_role("textbox", name=re.compile("^Nouvelle idée")).fill(text)
    section.get_by_role("button", name="Ajouter").click()


def cards(page: Page, text: str) -> int:
    return page.locator("#board li.idea").filter(has=page.get_by_text(text, exact=True)).count()


def test_they_write_and_everyone_sees_it(facilitator: Page, projector: Page, lea: Page, lea_again: Page,
                                         tom: Page) -> None:
    add_idea(lea, HER_IDEA)
    add_idea(tom, HIS_IDEA)
    for page in (facilitator, lea_again):
        expect(page.locator("#board li.idea").filter(has_text=HER_IDEA)).to_have_count(1)
    expect(projector.get_by_text(HER_IDEA)).to_have_count(1)
    expect(facilitator.locator("#presence-list")).to_contain_text("Léa")
    # The creator leads the workshop: their way to erase is deleting it, so no such button.
    expect(facilitator.get_by_role("button", name="Quitter l’atelier")).to_have_count(0)


def test_the_dialog_asks_first_and_gives_the_focus_back(lea: Page) -> None:
    opener = lea.get_by_role("button", name="Quitter l’atelier")
    opener.click()
    dialog = lea.get_by_role("dialog", name="Quitter l’atelier et effacer mes idées ?")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_description(re.compile("Vos idées, vos gommettes et votre pseudonyme"))
    stay = dialog.get_by_role("button", name="Rester dans l’atelier")
    expect(stay).to_be_focused()  # the safe choice has the focus
    if Path(AXE).exists():
        assert axe_violations(lea) == []
    screenshot(lea, "leave-dialog-phone", full_page=False)
    lea.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    opener.click()
    stay.click()
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    assert cards(lea, HER_IDEA) == 1  # nothing happened


def test_leaving_erases_her_ideas_everywhere_and_every_tab_stops(facilitator: Page, projector: Page, lea: Page,
                                                               lea_again: Page, tom: Page, session: Session) -> None:
    composer = lea.locator("#board section.prompt").first.get_by_role("textbox", name=re.compile("^Nouvelle idée"))
    composer.fill(DRAFT)  # kept by the browser as a draft
    room = lea.url.rsplit("/", 1)[1]
    assert lea.evaluate(f"() => Object.keys(localStorage).some(k => k.startsWith('essaim:draft:{room}:'))")
    lea.get_by_role("button", name="Quitter l’atelier").click()
    lea.get_by_role("dialog").get_by_role("button", name="Quitter et effacer mes idées").click()
    for page in (lea, lea_again):  # both tabs say it is done, in words, with the focus on it
        done = page.get_by_role("alert").filter(has_text="Vous avez quitté l’atelier")
        expect(done).to_be_visible()
        expect(done).to_contain_text("ont été effacés")
        expect(page.locator("#connection")).to_have_text("Atelier quitté")
        expect(page.locator("#board")).to_be_hidden()
        expect(page.get_by_role("button", name="Quitter l’atelier")).to_have_count(0)
    expect(lea.locator("#left")).to_be_focused()
    screenshot(lea, "leave-done-phone")
    kept = lea.evaluate(f"() => Object.keys(localStorage).filter(k => k.includes('{room}'))"
                        f".map(k => [k, localStorage.getItem(k)])")
    assert all(DRAFT not in (value or "") and HER_IDEA not in (value or "") for _key, value in kept), kept
    for page in (facilitator, tom):  # gone from the others' boards at once, without a reload
        expect(page.locator("#board li.idea").filter(has_text=HER_IDEA)).to_have_count(0)
        expect(page.locator("#board li.idea").filter(has_text=HIS_IDEA)).to_have_count(1)
        expect(page.locator("#presence-list")).not_to_contain_text("Léa")
    expect(projector.get_by_text(HER_IDEA)).to_have_count(0)
    expect(projector.get_by_text(HIS_IDEA)).to_have_count(1)
    assert not session.log.page_errors and not session.log.dialogs


def test_the_old_cookie_leads_back_to_the_join_form_only(lea: Page) -> None:
    lea.reload()
    expect(lea.get_by_label("Votre pseudonyme")).to_be_visible()  # a new person, if she wants
    expect(lea.get_by_text(HER_IDEA)).to_have_count(0)
