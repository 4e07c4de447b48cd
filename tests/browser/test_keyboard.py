"""A whole workshop with the keyboard alone, in real Chromium.

The participant never touches a mouse: join, write, edit, group (tick + "Regrouper"),
vote ("+ Gommette") and read the results with Tab, Shift+Tab, Enter, Space and the
shortcuts of static/js/shortcuts.js. At every step the focused element must show a
focus ring and sit on the screen, and Tab must walk out of every part of the page
(no keyboard trap). The facilitator, who only moves the phases on, uses the mouse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.server import Server

from .conftest import Session, join_workshop, open_workshop
from .test_facilitation import card, go_to

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FIRST, SECOND = "Une grainothèque", "Des bancs à l’ombre"
EDITED = "Une grainothèque à la médiathèque"

# Describe the focused element, and whether its focus is visible: an outline or a
# shadow on it (or on the label that draws it for a hidden radio), inside the viewport.
FOCUS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return {key: -1, what: 'body', ring: false, onScreen: true, inDialog: false};
    const ringOf = (node) => { const s = getComputedStyle(node);
        return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'; };
    const holder = el.closest('label') ?? el;
    const box = el.getBoundingClientRect();
    const onScreen = box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth;
    const name = (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 40);
    const key = [...document.querySelectorAll('*')].indexOf(el);
    return {key, what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} ${name}`, ring: ringOf(el) || ringOf(holder), onScreen,
            inDialog: !!el.closest('dialog')};
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("browser-keyboard") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def facilitator(server: Server, session: Session) -> Page:
    return open_workshop(server, session, "Atelier au clavier")


@pytest.fixture(scope="module")
def keyboard(session: Session) -> Page:
    return session.page()


def focused(page: Page) -> dict[str, object]:
    return page.evaluate(FOCUS)


def press(page: Page, key: str) -> dict[str, object]:
    """Press a key; the focus it lands on must be visible."""
    page.keyboard.press(key)
    now = focused(page)
    if now["what"] != "body":
        assert now["ring"], f"no visible focus on {now['what']} after {key}"
        assert now["onScreen"], f"{now['what']} is focused off screen after {key}"
    return now


def tab_to(page: Page, pattern: str, back: bool = False, limit: int = 120) -> None:
    """Tab (or Shift+Tab) until the focused element's description matches `pattern`."""
    seen = []
    for _ in range(limit):
        now = press(page, "Shift+Tab" if back else "Tab")
        seen.append(now["what"])
        if re.search(pattern, str(now["what"])):
            return
    raise AssertionError(f"never reached {pattern!r} with the keyboard; went through {seen}")


def no_trap(page: Page) -> None:
    """Tab goes all around the page and comes back to where it started, both ways."""
    assert focused(page)["what"] != "body", "the focus was lost"
    for key in ("Tab", "Shift+Tab"):
        start = press(page, key)["key"]  # the first stop in the tab order (the focus may be on a tabindex=-1 node)
        stops = []
        for _ in range(400):
            now = press(page, key)
            stops.append(now["what"])
            if now["key"] == start:
                break
        else:
            raise AssertionError(f"{key} never came back to {start}: stuck in {stops[-5:]}")
        assert len(set(stops)) > 3, stops


def test_the_help_lists_the_keys_of_the_code(server: Server, facilitator: Page) -> None:
    code = (ROOT / "static" / "js" / "shortcuts.js").read_text(encoding="utf-8")
    table = re.search(r"export const KEYS = \{(.*?)\};", code)
    assert table
    keys = re.findall(r"""(?:"([^"]+)"|(\w+)):""", table.group(1))
    letters = {a or b for a, b in keys}
    listed = set(facilitator.locator("#shortcuts-dialog kbd").all_inner_texts())
    assert letters and letters <= listed, (letters, listed)


def test_join_and_write_with_the_keyboard(facilitator: Page, keyboard: Page) -> None:
    go_to(facilitator, "Écriture")
    keyboard.goto(facilitator.locator("#join-link").input_value())
    tab_to(keyboard, r"^input#name")
    keyboard.keyboard.type("Camille")
    with keyboard.expect_navigation():
        keyboard.keyboard.press("Enter")  # sends the form: a new page, no focus to check yet
    expect(keyboard.locator("#connection")).to_have_text("Connecté")
    # "n" reaches the composer; letters typed there are text, not shortcuts
    press(keyboard, "n")
    expect(keyboard.get_by_role("textbox", name=re.compile("^Nouvelle idée"))).to_be_focused()
    keyboard.keyboard.type(FIRST)
    press(keyboard, "Enter")
    expect(card(keyboard, FIRST)).not_to_have_class(re.compile("pending"))
    expect(keyboard.get_by_role("textbox", name=re.compile("^Nouvelle idée"))).to_be_focused()
    keyboard.keyboard.type(SECOND)
    press(keyboard, "Enter")
    expect(card(keyboard, SECOND)).not_to_have_class(re.compile("pending"))


def test_edit_with_the_keyboard(keyboard: Page) -> None:
    press(keyboard, "Shift+Tab")  # out of the field, into the last idea: the letters are shortcuts again
    press(keyboard, "k")
    first = card(keyboard, FIRST)
    expect(first).to_be_focused()
    press(keyboard, "Tab")
    expect(first.get_by_role("button", name="Modifier")).to_be_focused()
    press(keyboard, "Enter")
    field = keyboard.get_by_label("Texte de l’idée")
    expect(field).to_be_focused()
    keyboard.keyboard.press("Control+A")
    keyboard.keyboard.type(EDITED)
    press(keyboard, "Enter")
    expect(card(keyboard, EDITED)).to_be_visible()
    expect(card(keyboard, EDITED).get_by_role("button", name="Modifier")).to_be_focused()
    no_trap(keyboard)


def test_group_with_the_keyboard(facilitator: Page, keyboard: Page) -> None:
    go_to(facilitator, "Partage et regroupement")
    expect(keyboard.locator("#group-bar")).to_be_visible()
    for text in (EDITED, SECOND):
        if text == EDITED:
            press(keyboard, "j")
            press(keyboard, "k")  # back to the first, whatever had the focus
        else:
            press(keyboard, "j")
        expect(card(keyboard, text)).to_be_focused()
        tab_to(keyboard, r"^input .*", limit=3)
        press(keyboard, "Space")
        expect(card(keyboard, text).get_by_role("checkbox")).to_be_checked()
    expect(keyboard.locator("#group-status")).to_have_text("2 idées sélectionnées.")
    tab_to(keyboard, r"^button.* Regrouper$")
    press(keyboard, "Enter")
    expect(keyboard.locator("#board section.cluster li.idea")).to_have_count(2)
    no_trap(keyboard)


def test_vote_and_read_the_results_with_the_keyboard(facilitator: Page, keyboard: Page) -> None:
    go_to(facilitator, "Vote")
    expect(keyboard.locator("#vote-status")).to_contain_text("Il vous reste 5")
    tab_to(keyboard, r"^button.* Ajouter une gommette")
    press(keyboard, "Enter")
    expect(keyboard.locator("#vote-status")).to_contain_text("Il vous reste 4")
    press(keyboard, "Space")
    expect(keyboard.locator("#vote-status")).to_contain_text("Il vous reste 3")
    go_to(facilitator, "Résultats")
    results = keyboard.locator("#results")
    expect(results.locator("li.result")).to_have_count(1)
    expect(results).to_contain_text("2 gommettes")
    press(keyboard, "j")
    expect(card(keyboard, EDITED)).to_be_focused()
    no_trap(keyboard)


def test_the_help_dialog_takes_the_focus_and_gives_it_back(keyboard: Page) -> None:
    press(keyboard, "j")
    before = focused(keyboard)["key"]
    now = press(keyboard, "?")
    dialog = keyboard.get_by_role("dialog", name="Raccourcis clavier")
    expect(dialog).to_be_visible()
    assert now["inDialog"], now
    for _ in range(3):  # modal: Tab stays inside
        assert press(keyboard, "Tab")["inDialog"] or focused(keyboard)["what"] == "body"
    press(keyboard, "n")  # the shortcuts sleep while the dialog is open
    expect(dialog).to_be_visible()
    press(keyboard, "Escape")
    expect(dialog).to_be_hidden()
    assert focused(keyboard)["key"] == before
    # and from its button
    tab_to(keyboard, r"^button#shortcuts-open", back=True)
    press(keyboard, "Enter")
    expect(dialog).to_be_visible()
    press(keyboard, "Escape")
    expect(keyboard.locator("#shortcuts-open")).to_be_focused()


def test_g_takes_the_keyboard_from_a_big_board_to_the_grouping_bar(server: Server, session: Session) -> None:
    """The bar comes last in the page, after every card: on a wall of 30 ideas "Regrouper" is
    some 60 Tab stops from the last checkbox; "g", then Tab, reach it (audit of issue 4, gap 4)."""
    facilitator = open_workshop(server, session, "Un grand mur")
    go_to(facilitator, "Écriture")
    texts = [f"Idée numéro {n}" for n in range(1, 31)]
    for text in texts:
        facilitator.get_by_role("textbox", name=re.compile("^Nouvelle idée")).fill(text)
        facilitator.get_by_role("button", name="Ajouter", exact=True).click()
    expect(facilitator.locator("#board li.idea:not(.pending)")).to_have_count(30)
    page = join_workshop(facilitator, session, "Alex")
    go_to(facilitator, "Partage et regroupement")
    expect(page.locator("#board li.idea")).to_have_count(30)
    expect(page.locator("#group-status")).to_be_visible()  # the bar's module has come (views/grouping.js, lazy)
    press(page, "g")  # nothing ticked yet: the line that says what to do
    expect(page.locator("#group-status")).to_be_focused()
    expect(page.locator("#group-status")).to_have_text("Sélectionnez des idées pour les regrouper.")
    press(page, "k")  # back up to the last idea, and tick it
    last = card(page, texts[-1])
    expect(last).to_be_focused()
    tab_to(page, r"^input .*", limit=3)
    press(page, "Space")
    expect(last.get_by_role("checkbox")).to_be_checked()
    press(page, "g")
    expect(page.locator("#group-status")).to_be_focused()
    press(page, "Tab")
    expect(page.get_by_role("button", name="Regrouper", exact=True)).to_be_focused()
    press(page, "Enter")
    for who in (page, facilitator):
        expect(who.locator("#board section.cluster li.idea")).to_have_count(1)
        expect(who.locator("#board section.cluster")).to_contain_text(texts[-1])
