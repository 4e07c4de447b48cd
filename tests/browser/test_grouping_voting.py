"""From a wall of ideas to ranked clusters in real Chromium: a phone that only taps, a
laptop driven by the keyboard alone, a facilitator who drags with the mouse, the
projector. The tests run in file order and share the room, like a session.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.server import Server

from .conftest import PHONE, Session, join_workshop, open_workshop, screenshot
from .test_facilitation import AXE, axe_violations, card, go_to

pytestmark = pytest.mark.browser

IDEAS = ["Un pique-nique partagé", "Un bal sur la place", "Une fresque avec l’école", "Des jeux en bois",
         "Une chorale de quartier"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("browser-grouping") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def facilitator(server: Server, session: Session) -> Page:
    return open_workshop(server, session, "Notre journée citoyenne")


def join(facilitator: Page, session: Session, name: str, **options: object) -> Page:
    return join_workshop(facilitator, session, name, **options)


@pytest.fixture(scope="module")
def phone(facilitator: Page, session: Session) -> Page:
    return join(facilitator, session, "Lou", **PHONE)


@pytest.fixture(scope="module")
def laptop(facilitator: Page, session: Session) -> Page:
    return join(facilitator, session, "Karim")


def no_axe_violations(*pages: Page) -> None:
    if Path(AXE).exists():
        for page in pages:
            assert axe_violations(page) == [], page.url


def cluster(page: Page, title: str):
    return page.locator("#board section.cluster").filter(has=page.locator(".cluster-name", has_text=title))


def test_ideas_are_written_then_shared(facilitator: Page, phone: Page, laptop: Page) -> None:
    go_to(facilitator, "Écriture")
    for page, texts in ((phone, IDEAS[:3]), (laptop, IDEAS[3:])):
        for text in texts:
            page.get_by_role("textbox", name=re.compile("^Nouvelle idée")).fill(text)
            page.get_by_role("button", name="Ajouter", exact=True).click()
            expect(card(page, text)).not_to_have_class(re.compile("pending"))
    go_to(facilitator, "Partage et regroupement")
    for page in (facilitator, phone, laptop):
        expect(page.locator("#board li.idea")).to_have_count(len(IDEAS))
        expect(page.locator("#group-bar")).to_be_visible()


def test_a_phone_groups_with_taps_only(facilitator: Page, phone: Page, laptop: Page) -> None:
    for text in IDEAS[:2]:
        card(phone, text).get_by_text("Sélectionner").tap()
    expect(phone.locator("#group-status")).to_have_text("2 idées sélectionnées.")
    phone.get_by_role("button", name="Regrouper", exact=True).tap()
    for page in (facilitator, phone, laptop):
        box = cluster(page, IDEAS[0])
        expect(box.locator("li.idea")).to_have_count(2)
    # the live region says where the ideas went to the one who grouped, and that something changed to the others
    expect(phone.locator("#announcer")).to_contain_text(f"Enregistré : le regroupement « {IDEAS[0]} » a 2 idées.")
    expect(laptop.locator("#announcer")).to_contain_text("1 changement dans les regroupements.")
    expect(phone.locator("#group-status")).to_have_text("Sélectionnez des idées pour les regrouper.")
    box = cluster(phone, IDEAS[0])
    box.get_by_role("button", name="Renommer").tap()
    phone.get_by_label("Nouveau nom du regroupement").fill("Des fêtes")
    phone.get_by_role("button", name="Enregistrer").tap()
    for page in (facilitator, laptop):
        expect(cluster(page, "Des fêtes").locator("li.idea")).to_have_count(2)
    # undo the rename, then redo it: undo goes through the server, everyone sees it
    phone.get_by_role("button", name="Annuler ma dernière action").tap()
    expect(cluster(laptop, IDEAS[0])).to_have_count(1)
    cluster(phone, IDEAS[0]).get_by_role("button", name="Renommer").tap()
    phone.get_by_label("Nouveau nom du regroupement").fill("Des fêtes")
    phone.get_by_role("button", name="Enregistrer").tap()
    expect(cluster(laptop, "Des fêtes")).to_have_count(1)
    screenshot(phone, "phone-grouping")


def test_the_keyboard_alone_groups_ideas(facilitator: Page, laptop: Page) -> None:
    # each checkbox is named after its idea: a screen reader's list of fields tells them apart
    for text in IDEAS[2:]:
        expect(laptop.get_by_role("checkbox", name=f"Sélectionner {text}", exact=True)).to_have_count(1)
    box = card(laptop, IDEAS[2]).get_by_role("checkbox", name=re.compile("Sélectionner"))
    box.focus()
    laptop.keyboard.press("Space")
    expect(box).to_be_checked()
    target = laptop.get_by_label("Ajouter à")
    target.focus()
    laptop.keyboard.press("Tab")
    expect(laptop.get_by_role("button", name="Ajouter", exact=True)).to_be_focused()
    laptop.keyboard.press("Enter")
    expect(cluster(facilitator, "Des fêtes").locator("li.idea")).to_have_count(3)
    # a new cluster of two loose ideas, by keyboard
    for text in IDEAS[3:]:
        card(laptop, text).get_by_role("checkbox").focus()
        laptop.keyboard.press("Space")
    laptop.get_by_role("button", name="Regrouper", exact=True).focus()
    laptop.keyboard.press("Enter")
    expect(cluster(facilitator, IDEAS[3]).locator("li.idea")).to_have_count(2)


def test_a_mouse_drags_an_idea_into_a_cluster(facilitator: Page, phone: Page, laptop: Page) -> None:
    handle = card(facilitator, IDEAS[4]).locator(".drag-handle")
    target = cluster(facilitator, "Des fêtes").locator(".cluster-title")
    handle.hover()
    facilitator.mouse.down()
    box = handle.bounding_box()
    assert box
    facilitator.mouse.move(box["x"] + 30, box["y"] - 20, steps=4)  # past the threshold: a drag, not a tap
    target.hover(position={"x": 60, "y": 10})
    target.hover(position={"x": 70, "y": 12})
    expect(cluster(facilitator, "Des fêtes")).to_have_class(re.compile("drop-target"))
    facilitator.mouse.up()
    for page in (facilitator, phone, laptop):
        expect(cluster(page, "Des fêtes").locator("li.idea")).to_have_count(4)
        expect(cluster(page, IDEAS[3])).to_have_count(1)  # one idea left: still a cluster
    screenshot(facilitator, "facilitator-grouped")
    no_axe_violations(facilitator, phone, laptop)


def texts_in(box) -> list[str]:
    return [t.strip() for t in box.locator("li.idea .idea-text").all_inner_texts()]


def test_every_grouping_button_and_the_others_see_it(facilitator: Page, phone: Page, laptop: Page) -> None:
    """Move up and down, take out, move to another question, merge, dissolve and undo, with
    the bar's and the clusters' buttons; the board ends as it began (the vote below needs it)."""
    bar = laptop.locator("#group-bar")
    fetes = IDEAS[:3] + [IDEAS[4]]
    expect(cluster(phone, "Des fêtes").locator("li.idea")).to_have_count(4)
    assert texts_in(cluster(phone, "Des fêtes")) == fetes
    # an idea down, then up again, within its cluster
    card(laptop, IDEAS[0]).get_by_role("checkbox").check()
    bar.get_by_role("button", name="Descendre").click()
    expect(cluster(phone, "Des fêtes").locator("li.idea").nth(1)).to_contain_text(IDEAS[0])
    bar.get_by_role("button", name="Monter").click()
    expect(cluster(phone, "Des fêtes").locator("li.idea").nth(0)).to_contain_text(IDEAS[0])
    bar.get_by_role("button", name="Tout désélectionner").click()
    # a cluster down, then up again, among the clusters of its question
    cluster(laptop, "Des fêtes").get_by_role("button", name="Descendre").click()
    expect(phone.locator("#board section.cluster").nth(0)).to_contain_text(IDEAS[3])
    cluster(laptop, "Des fêtes").get_by_role("button", name="Monter").click()
    expect(phone.locator("#board section.cluster").nth(0)).to_contain_text("Des fêtes")
    # out of its cluster, to another question, and back into the cluster
    card(laptop, IDEAS[4]).get_by_role("checkbox").check()
    bar.get_by_role("button", name="Sortir du regroupement").click()
    expect(phone.locator("#board section.cluster li.idea").filter(has_text=IDEAS[4])).to_have_count(0)
    expect(cluster(phone, "Des fêtes").locator("li.idea")).to_have_count(3)
    facilitator.get_by_role("textbox", name="Ajouter une question").fill("Et ensuite ?")
    facilitator.get_by_role("button", name="Ajouter la question").click()
    expect(laptop.get_by_label("Déplacer vers la question")).to_be_visible()  # only with two questions
    card(laptop, IDEAS[4]).get_by_role("checkbox").check()
    laptop.get_by_label("Déplacer vers la question").select_option(label="Et ensuite ?")
    bar.get_by_role("button", name="Déplacer", exact=True).click()
    for page in (phone, facilitator):
        expect(page.locator("#board section.prompt").nth(1).locator("li.idea")).to_have_text(re.compile(IDEAS[4]))
    card(laptop, IDEAS[4]).get_by_role("checkbox").check()
    laptop.get_by_label("Ajouter à").select_option(label="Des fêtes")
    bar.get_by_role("button", name="Ajouter", exact=True).click()
    expect(cluster(phone, "Des fêtes").locator("li.idea")).to_have_count(4)
    expect(phone.locator("#board section.prompt").nth(1).locator("li.idea")).to_have_count(0)
    # merge one cluster into the other, then make it again
    cluster(laptop, IDEAS[3]).get_by_role("button", name="Fusionner avec…").click()
    laptop.get_by_label("Fusionner dans le regroupement").select_option(label="Des fêtes")
    laptop.get_by_role("button", name="Fusionner", exact=True).click()
    for page in (phone, facilitator):
        expect(cluster(page, "Des fêtes").locator("li.idea")).to_have_count(5)
        expect(page.locator("#board section.cluster")).to_have_count(1)
    card(laptop, IDEAS[3]).get_by_role("checkbox").check()
    bar.get_by_role("button", name="Regrouper", exact=True).click()
    expect(laptop.locator("#announcer")).to_contain_text(f"Enregistré : le regroupement « {IDEAS[3]} » a 1 idée.")
    expect(cluster(phone, IDEAS[3]).locator("li.idea")).to_have_count(1)
    # dissolve it, then undo: it comes back, where it was, for everyone
    cluster(laptop, IDEAS[3]).get_by_role("button", name="Défaire le regroupement").click()
    expect(phone.locator("#board section.cluster")).to_have_count(1)
    expect(card(phone, IDEAS[3])).to_be_visible()
    bar.get_by_role("button", name="Annuler ma dernière action").click()
    for page in (phone, facilitator):
        expect(page.locator("#board section.cluster")).to_have_count(2)
        expect(cluster(page, IDEAS[3]).locator("li.idea")).to_have_count(1)
        assert texts_in(cluster(page, "Des fêtes")) == fetes
    no_axe_violations(laptop)


def drag(page: Page, text: str, onto, node) -> None:
    """Drag the idea `text` by its handle with the mouse onto `onto`; `node` must be outlined."""
    handle = card(page, text).locator(".drag-handle")
    handle.hover()
    page.mouse.down()
    box = handle.bounding_box()
    assert box
    page.mouse.move(box["x"] + 30, box["y"] - 20, steps=4)  # past the threshold: a drag, not a tap
    onto.hover(position={"x": 20, "y": 8})
    onto.hover(position={"x": 26, "y": 10})
    expect(node).to_have_class(re.compile("drop-target"))
    page.mouse.up()


def test_dragging_onto_an_idea_and_out_of_a_cluster(facilitator: Page, phone: Page, laptop: Page) -> None:
    """The other drops of the issue: onto an idea in a cluster (it joins, before that idea), out of
    a cluster (onto its question), onto a loose idea (a new cluster of both); then undo, three times."""
    jeux = card(facilitator, IDEAS[3])
    drag(facilitator, IDEAS[4], jeux.locator(".idea-text"), jeux)
    expect(cluster(phone, IDEAS[3]).locator("li.idea")).to_have_count(2)
    assert texts_in(cluster(phone, IDEAS[3])) == [IDEAS[4], IDEAS[3]]
    first = facilitator.locator("#board section.prompt").nth(0)
    drag(facilitator, IDEAS[4], first.locator("h2.prompt-title"), first)
    expect(laptop.locator("#board section.cluster li.idea").filter(has_text=IDEAS[4])).to_have_count(0)
    expect(card(laptop, IDEAS[4])).to_be_visible()
    loose = card(facilitator, IDEAS[4])
    drag(facilitator, IDEAS[3], loose.locator(".idea-text"), loose)
    for page in (phone, laptop):
        expect(cluster(page, IDEAS[4]).locator("li.idea")).to_have_count(2)  # titled after its first idea
        expect(page.locator("#board section.cluster")).to_have_count(2)  # the emptied one is gone
    undo = facilitator.locator("#group-bar").get_by_role("button", name="Annuler ma dernière action")
    for jeux_count in (1, 2, 1):  # each undo takes back the latest drop not undone yet
        undo.click()
        expect(cluster(phone, IDEAS[3]).locator("li.idea")).to_have_count(jeux_count)
        expect(phone.locator("#board section.cluster")).to_have_count(2)
    for page in (phone, laptop, facilitator):
        expect(cluster(page, IDEAS[3]).locator("li.idea")).to_have_count(1)
        expect(cluster(page, "Des fêtes").locator("li.idea")).to_have_count(4)
        assert texts_in(cluster(page, "Des fêtes")) == IDEAS[:3] + [IDEAS[4]]



def test_a_drag_near_the_bottom_of_the_window_scrolls_the_page(facilitator: Page, laptop: Page) -> None:
    facilitator.evaluate("window.scrollTo(0, 0)")
    handle = card(facilitator, IDEAS[4]).locator(".drag-handle")
    handle.scroll_into_view_if_needed()
    top = facilitator.evaluate("window.scrollY")
    handle.hover()
    facilitator.mouse.down()
    box = handle.bounding_box()
    assert box
    height = facilitator.viewport_size["height"]
    facilitator.mouse.move(box["x"] + 10, height - 10, steps=5)
    facilitator.wait_for_function("(top) => window.scrollY > top + 100", arg=top)  # it keeps scrolling there
    facilitator.mouse.move(2, height / 2, steps=3)  # then off the board, where nothing takes a drop
    expect(facilitator.locator(".drop-target")).to_have_count(0)
    facilitator.mouse.up()
    expect(facilitator.locator(".drag-ghost")).to_have_count(0)
    laptop.wait_for_timeout(300)
    expect(cluster(laptop, "Des fêtes").locator("li.idea")).to_have_count(4)  # dropped nowhere: nothing sent

def touch_drag(page: Page, text: str, onto) -> None:
    """A finger on the handle, moved onto `onto`, lifted: touch events as a phone's screen sends them."""
    start, end = card(page, text).locator(".drag-handle").bounding_box(), onto.bounding_box()
    assert start and end
    cdp = page.context.new_cdp_session(page)
    points = [(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)]
    target = (end["x"] + 20, end["y"] + end["height"] / 2)
    points += [(points[0][0] + (target[0] - points[0][0]) * k / 8, points[0][1] + (target[1] - points[0][1]) * k / 8)
               for k in range(1, 9)]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_a_finger_drags_an_idea_into_another_cluster(facilitator: Page, phone: Page, laptop: Page) -> None:
    title = cluster(phone, IDEAS[3]).locator(".cluster-title")
    title.scroll_into_view_if_needed()
    touch_drag(phone, IDEAS[4], title)
    for page in (laptop, facilitator):
        expect(cluster(page, IDEAS[3]).locator("li.idea")).to_have_count(2)
        expect(cluster(page, "Des fêtes").locator("li.idea")).to_have_count(3)
    # A Playwright tap right after this CDP touch sequence did not click here (seen, not understood:
    # the test's synthetic touches, or Chromium's gesture state); the mouse undoes.
    phone.get_by_role("button", name="Annuler ma dernière action").click()
    for page in (phone, laptop):
        expect(cluster(page, "Des fêtes").locator("li.idea")).to_have_count(4)
        expect(cluster(page, IDEAS[3]).locator("li.idea")).to_have_count(1)


def test_dots_within_the_budget_and_hidden_totals(facilitator: Page, phone: Page, laptop: Page) -> None:
    go_to(facilitator, "Vote")
    expect(phone.locator("#vote-status")).to_contain_text("Il vous reste 5 gommettes sur 5.")
    fetes = cluster(phone, "Des fêtes")
    # the facilitator's vote settings reach every page at once (no dot placed yet: none goes back)
    settings = facilitator.locator("#vote-settings")
    settings.get_by_label("Gommettes par personne").fill("6")
    settings.get_by_label("Gommettes au plus sur un même élément").fill("2")
    settings.get_by_label("Gommettes au plus sur un même élément").press("Tab")
    expect(phone.locator("#vote-status")).to_contain_text("Il vous reste 6 gommettes sur 6.")
    expect(fetes.locator(".dot-count")).to_have_text("0 gommette sur 2")
    settings.get_by_label("Gommettes par personne").fill("5")
    settings.get_by_label("Gommettes au plus sur un même élément").fill("3")
    settings.get_by_label("Gommettes au plus sur un même élément").press("Tab")
    expect(laptop.locator("#vote-status")).to_contain_text("Il vous reste 5 gommettes sur 5.")
    expect(fetes.locator(".dot-count")).to_have_text("0 gommette sur 3")
    settings.get_by_role("radio", name="visibles en direct").check()
    expect(phone.locator("#vote-status")).not_to_contain_text("Les résultats seront montrés à la fin du vote.")
    settings.get_by_role("radio", name="cachés jusqu’à l’étape Résultats").check()
    expect(phone.locator("#vote-status")).to_contain_text("Les résultats seront montrés à la fin du vote.")
    for n in range(3):
        fetes.get_by_role("button", name=re.compile("^Ajouter une gommette")).tap()
        expect(fetes.locator(".dot-count")).to_have_text(f"{n + 1} gommette{'s' if n else ''} sur 3")
    # at the cap, "+" is off and says why, rather than being refused by the server
    expect(fetes.get_by_role("button", name=re.compile("^Ajouter une gommette"))).to_be_disabled()
    expect(fetes.locator(".dots")).to_contain_text("Maximum atteint sur cet élément")
    other = cluster(phone, IDEAS[3])
    add = other.get_by_role("button", name=re.compile("^Ajouter une gommette"))
    for _ in range(2):
        add.tap()
    expect(phone.locator("#announcer")).to_contain_text("Il vous reste 0 gommette sur 5.")
    expect(phone.locator("#vote-status")).to_contain_text("Il vous reste 0 gommette sur 5.")
    expect(add).to_be_disabled()
    expect(other.locator(".dots")).to_contain_text("Toutes vos gommettes sont placées")
    # "− Retirer" gives one back: "+" comes back on where the cap allows it, and only there
    other.get_by_role("button", name=re.compile("^Retirer une gommette")).tap()
    expect(other.locator(".dot-count")).to_have_text("1 gommette sur 3")
    expect(phone.locator("#vote-status")).to_contain_text("Il vous reste 1 gommette sur 5.")
    expect(add).to_be_enabled()
    expect(fetes.get_by_role("button", name=re.compile("^Ajouter une gommette"))).to_be_disabled()
    add.tap()
    expect(other.locator(".dot-count")).to_have_text("2 gommettes sur 3")
    expect(phone.get_by_role("alert")).to_have_count(0)  # nothing was ever refused
    # a budget lowered during the vote asks first, and the voter hears that a dot came back
    budget = settings.get_by_label("Gommettes par personne")
    budget.fill("4")
    budget.press("Tab")
    lowering = facilitator.locator("#vote-lower")
    expect(lowering).to_be_visible()
    expect(lowering).to_contain_text("le remonter ensuite ne les replacera pas")
    lowering.get_by_role("button", name="Garder le nombre actuel").click()
    expect(lowering).to_be_hidden()
    expect(budget).to_have_value("5")
    expect(budget).to_be_focused()
    expect(phone.locator("#vote-status")).to_contain_text("Il vous reste 0 gommette sur 5.")
    budget.fill("4")
    budget.press("Tab")
    lowering.get_by_role("button", name="Baisser quand même").click()
    expect(phone.locator("#vote-status")).to_contain_text("Il vous reste 0 gommette sur 4.")
    expect(phone.locator("#announcer")).to_contain_text("1 de vos gommettes vous a été rendue")
    expect(other.locator(".dot-count")).to_have_text("1 gommette sur 3")  # the newest dot went back
    budget.fill("5")  # raising asks nothing, and gives nothing back by itself
    budget.press("Tab")
    expect(lowering).to_be_hidden()
    expect(phone.locator("#vote-status")).to_contain_text("Il vous reste 1 gommette sur 5.")
    add.tap()
    expect(other.locator(".dot-count")).to_have_text("2 gommettes sur 3")
    # keyboard-only voter
    button = cluster(laptop, IDEAS[3]).get_by_role("button", name=re.compile("^Ajouter une gommette"))
    button.focus()
    laptop.keyboard.press("Enter")
    expect(laptop.locator("#vote-status")).to_contain_text("Il vous reste 4 gommettes sur 5.")
    expect(laptop.locator("#vote-status")).to_contain_text("2 personnes ont voté.")
    # nobody sees the totals yet, facilitators included
    expect(facilitator.locator("#board .dot-total")).to_have_count(0)
    expect(facilitator.locator("#vote-status")).to_contain_text("2 personnes ont voté.")
    screenshot(phone, "phone-voting")
    no_axe_violations(facilitator, phone, laptop)


def test_results_are_ranked_with_ties_for_everyone(facilitator: Page, phone: Page, laptop: Page,
                                                   session: Session) -> None:
    projector = session.context(storage_state=facilitator.context.storage_state()).new_page()
    projector.goto(facilitator.url + "/screen")
    expect(projector.locator("#screen-code")).not_to_be_empty()
    go_to(facilitator, "Résultats")
    # the projected view ranks the same, ties as ties, each cluster with its ideas
    ranked = projector.locator(".screen-result")
    expect(ranked).to_have_count(2)
    for n in range(2):
        expect(ranked.nth(n).locator(".screen-result-rank")).to_have_text("Rang 1, ex æquo")
        expect(ranked.nth(n).locator(".screen-result-votes")).to_have_text("3 gommettes en tout")
    expect(ranked.filter(has_text="Des fêtes").locator(".screen-result-ideas")).to_contain_text(IDEAS[4])
    expect(projector.locator(".screen-results")).to_contain_text("2 personnes ont voté.")
    for page in (facilitator, phone, laptop):
        results = page.locator("#results")
        expect(results.locator("li.result")).to_have_count(2)
        expect(results.locator("li.result").nth(0)).to_contain_text("Rang 1, ex æquo")
        expect(results.locator("li.result").nth(1)).to_contain_text("Rang 1, ex æquo")
        expect(results).to_contain_text("3 gommettes en tout")
    expect(phone.locator("#results .result-ideas").first.locator("li")).to_have_count(4)
    screenshot(laptop, "results")
    no_axe_violations(facilitator, phone, laptop)


def test_the_roadmap_grows_from_the_results(facilitator: Page, phone: Page, laptop: Page) -> None:
    go_to(facilitator, "Feuille de route")
    first = facilitator.locator("#results li.result").nth(0)
    first.get_by_role("button", name=re.compile("^Créer une action")).click()
    title = facilitator.get_by_label("Titre de l’action")
    expect(title).to_be_focused()
    title.fill("Une fête de quartier au printemps")
    facilitator.get_by_label("Porté par").fill("Mairie, Comité des fêtes")
    facilitator.get_by_label("Horizon").select_option("6m")
    facilitator.get_by_role("button", name="Ajouter l’action").click()
    for page in (facilitator, phone, laptop):
        row = page.locator("#roadmap tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Une fête de quartier au printemps")
        expect(row).to_contain_text("Mairie, Comité des fêtes")
        expect(row).to_contain_text("D’ici 6 mois")
        expect(row).to_contain_text("3 gommettes en tout")  # its source's dots
    expect(phone.locator("#roadmap-form")).to_be_hidden()  # the roadmap is the facilitators' by default
    facilitator.locator("#roadmap tbody tr").get_by_role("button", name="Modifier").click()
    facilitator.get_by_label("État").select_option("doing")
    facilitator.get_by_role("button", name="Enregistrer").click()
    expect(phone.locator("#roadmap tbody tr")).to_contain_text("En cours")
    facilitator.get_by_role("button", name="Annuler ma dernière modification").click()
    expect(laptop.locator("#roadmap tbody tr")).to_contain_text("À lancer")
    screenshot(phone, "phone-roadmap")
    no_axe_violations(facilitator, phone, laptop)
