"""After the workshop, in real Chromium: a facilitator starts from an exported workshop on the
home page, finds the downloads in the room, and each file holds what the screen shows; a
participant sees the downloads only once the facilitator opens them. Runs in file order.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.server import Server

from .conftest import Session, screenshot

pytestmark = pytest.mark.browser
FIXTURE = Path(__file__).resolve().parents[1] / "golden" / "atelier.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("browser-exports") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def facilitator(server: Server, session: Session) -> Page:
    page = session.page(accept_downloads=True)
    page.goto(server.url + "/")
    form = page.locator("form[action='/rooms/import']")
    form.get_by_label("Fichier JSON").set_input_files(str(FIXTURE))
    form.get_by_label("Votre nom (vous animerez le nouvel atelier)").fill("Nadia")
    form.get_by_role("button", name="Créer l’atelier à partir du fichier").click()
    page.wait_for_url(re.compile(r"/rooms/[^/?#]+$"))
    expect(page.locator("#connection")).to_have_text("Connecté")
    return page


def download(page: Page, name: str) -> bytes:
    with page.expect_download() as info:
        page.locator("#exports").get_by_role("link", name=name).click()
    path = info.value.path()
    assert path is not None
    return Path(path).read_bytes()


def test_a_bad_file_lists_its_problems(server: Server, session: Session, tmp_path: Path) -> None:
    page = session.page()
    page.goto(server.url + "/")
    bad = json.loads(FIXTURE.read_text(encoding="utf-8"))
    bad["ideas"][0]["colour"] = "rouge"
    path = tmp_path / "abime.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    form = page.locator("form[action='/rooms/import']")
    form.get_by_label("Fichier JSON").set_input_files(str(path))
    form.get_by_role("button", name="Créer l’atelier à partir du fichier").click()
    expect(page.locator("#import-error")).to_contain_text("rien n’a été créé")
    expect(page.locator("#import-error li")).to_contain_text("Idée n° 1 (ideas[0].colour)")


def test_the_facilitator_downloads_what_the_screen_shows(facilitator: Page) -> None:
    section = facilitator.locator("#exports")
    expect(section).to_be_visible()
    expect(facilitator.locator("#roadmap")).to_contain_text("Préparer la fête de quartier")
    shown = facilitator.locator("#roadmap").inner_text()
    roadmap = download(facilitator, "Feuille de route (tableur, .csv)").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(roadmap), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["Préparer la fête de quartier", "'=HYPERLINK(\"http://example.invalid\")",
                                        "Toucher les familles"]
    assert "Préparer la fête de quartier" in shown and "Toucher les familles" in shown
    ideas = download(facilitator, "Idées et votes (tableur, .csv)").decode("utf-8-sig")
    assert "Un repas partagé sur la place du marché 🍲" in ideas
    assert facilitator.get_by_text("Un repas partagé sur la place du marché 🍲").count() >= 1
    md = download(facilitator, "Résumé (Markdown, .md)").decode("utf-8")
    assert md.startswith("# Journée citoyenne à Saint-Étienne 🐝") and "## Feuille de route" in md
    doc = json.loads(download(facilitator, "Sauvegarde complète (JSON, réimportable)"))
    assert doc["format"] == "essaim.workshop" and len(doc["ideas"]) == 8
    assert download(facilitator, "Compte rendu (OpenDocument, .odt)")[:2] == b"PK"


def test_the_printable_report_opens_without_errors(facilitator: Page, session: Session) -> None:
    report = facilitator.context.new_page()
    failed: list[str] = []
    report.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    report.on("console", lambda m: failed.append(m.text) if m.type == "error" else None)  # a CSP refusal, say
    report.goto(facilitator.url + "/report")
    expect(report.locator("h1")).to_have_text("Journée citoyenne à Saint-Étienne 🐝")
    expect(report.locator("#roadmap")).to_contain_text("Préparer la fête de quartier")
    assert report.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    report.emulate_media(media="print")
    assert report.evaluate("getComputedStyle(document.querySelector('#ranking')).breakBefore") == "page"
    screenshot(report, "export-report")
    assert not failed and not session.log.page_errors
    report.close()


def test_a_participant_sees_the_downloads_once_they_are_opened(facilitator: Page, session: Session) -> None:
    page = session.page(accept_downloads=True)
    page.goto(facilitator.locator("#join-link").input_value())
    page.get_by_label("Votre pseudonyme").fill("Lou")
    page.get_by_role("button", name="Rejoindre l’atelier").click()
    expect(page.locator("#connection")).to_have_text("Connecté")
    expect(page.locator("#exports")).to_be_hidden()
    facilitator.locator("#settings").get_by_label("Les participants peuvent aussi télécharger les résultats").check()
    expect(page.locator("#exports")).to_be_visible()
    assert "Journée citoyenne" in download(page, "Résumé (Markdown, .md)").decode("utf-8")
    assert not session.log.page_errors


# -- a short session in the browser, to the roadmap, then every file ----------------------------

SESSION_IDEAS = ["Un pique-nique partagé 🧺", "Un bal sur la place", "Des jeux en bois"]


def test_a_short_session_ends_in_files_that_say_what_the_screen_showed(server: Server, session: Session) -> None:
    from odfdo import Document

    from .conftest import open_workshop
    from .test_facilitation import card, go_to
    page = open_workshop(server, session, "Atelier du jeudi 🐝")
    go_to(page, "Écriture")
    for text in SESSION_IDEAS:
        page.get_by_role("textbox", name=re.compile("^Nouvelle idée")).fill(text)
        page.get_by_role("button", name="Ajouter", exact=True).click()
        expect(card(page, text)).not_to_have_class(re.compile("pending"))
    go_to(page, "Partage et regroupement")
    for text in SESSION_IDEAS[:2]:
        card(page, text).get_by_text("Sélectionner").click()
    page.get_by_role("button", name="Regrouper", exact=True).click()
    fetes = page.locator("#board section.cluster")
    expect(fetes.locator("li.idea")).to_have_count(2)
    fetes.get_by_role("button", name="Renommer").click()
    page.get_by_label("Nouveau nom du regroupement").fill("Des fêtes")
    page.get_by_role("button", name="Enregistrer").click()
    expect(fetes.locator(".cluster-name")).to_have_text("Des fêtes")
    go_to(page, "Vote")
    for _ in range(3):
        fetes.get_by_role("button", name=re.compile("^Ajouter une gommette")).click()
    card(page, SESSION_IDEAS[2]).get_by_role("button", name=re.compile("^Ajouter une gommette")).click()
    expect(page.locator("#vote-status")).to_contain_text("Il vous reste 1 gommette sur 5.")
    go_to(page, "Résultats")
    go_to(page, "Feuille de route")
    page.locator("#results li.result").nth(0).get_by_role("button", name=re.compile("^Créer une action")).click()
    page.get_by_label("Titre de l’action").fill("Une fête de quartier au printemps")
    page.get_by_label("Porté par").fill("Mairie, Comité des fêtes")
    page.get_by_label("Horizon").select_option("6m")
    page.get_by_role("button", name="Ajouter l’action").click()
    row = page.locator("#roadmap tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("3 gommettes en tout")
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    shown = {"action": cells[0].splitlines()[0], "owners": cells[1], "when": cells[3], "status": cells[4],
             "source": cells[5]}
    assert shown == {"action": "Une fête de quartier au printemps", "owners": "Mairie, Comité des fêtes",
                     "when": "D’ici 6 mois", "status": "À lancer", "source": "Des fêtes (3 gommettes en tout)"}
    ranked = [r.strip() for r in page.locator("#results li.result").all_inner_texts()]
    assert "Des fêtes" in ranked[0] and SESSION_IDEAS[2] in ranked[1]

    # the projector shows the same roadmap, as a table
    projector = session.context(storage_state=page.context.storage_state()).new_page()
    projector.goto(page.url.split("?")[0] + "/screen")
    table = projector.locator("table.screen-roadmap-table")
    expect(table.locator("thead th")).to_have_text(["Action", "Porté par", "Échéance", "État", "Vient de"])
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody td")).to_have_text([shown["action"], shown["owners"], shown["when"], shown["status"],
                                                    shown["source"]])
    screenshot(projector, "screen-roadmap")
    projector.close()

    # every file says what the screen showed
    roadmap = list(csv.reader(io.StringIO(download(page, "Feuille de route (tableur, .csv)").decode("utf-8-sig")),
                              delimiter=";"))
    head, action = roadmap[0], dict(zip(roadmap[0], roadmap[1], strict=True))
    assert len(roadmap) == 2 and head[0] == "Action"
    assert action["Action"] == shown["action"] and action["Porté par"] == shown["owners"]
    assert (action["Échéance"], action["État"]) == (shown["when"], shown["status"])  # the screen's very words
    assert action["Vient de"] == "Des fêtes (3 gommettes)"
    ideas = list(csv.reader(io.StringIO(download(page, "Idées et votes (tableur, .csv)").decode("utf-8-sig")),
                            delimiter=";"))
    assert sorted((r[1], r[2], r[3]) for r in ideas[1:]) == sorted(
        [("Des fêtes", SESSION_IDEAS[0], ""), ("Des fêtes", SESSION_IDEAS[1], ""), ("", SESSION_IDEAS[2], "1")])
    md = download(page, "Résumé (Markdown, .md)").decode("utf-8")
    assert md.startswith("# Atelier du jeudi 🐝") and "### Des fêtes — 3 gommettes" in md
    assert "| Une fête de quartier au printemps | Mairie, Comité des fêtes |" in md
    doc = json.loads(download(page, "Sauvegarde complète (JSON, réimportable)"))
    assert [(a["title"], a["owners"], a["horizon"], a["status"]) for a in doc["actions"]] == [
        (shown["action"], ["Mairie", "Comité des fêtes"], "6m", "todo")]
    cluster = doc["clusters"][0]
    assert (cluster["title"], cluster["votes"]) == ("Des fêtes", 3)
    assert doc["actions"][0]["source"] == {"kind": "cluster", "id": cluster["id"]}
    odt = Document(io.BytesIO(download(page, "Compte rendu (OpenDocument, .odt)")))
    text = odt.get_formatted_text()
    assert "Atelier du jeudi 🐝" in text and all(idea in text for idea in SESSION_IDEAS)
    assert [(int(h.level), h.text) for h in odt.body.headers][0] == (1, "Atelier du jeudi 🐝")
    roadmap_table = odt.body.tables[-1]
    row_texts = [roadmap_table.get_cell((x, 1)).text_content for x in range(roadmap_table.width)]
    assert row_texts[0].startswith(shown["action"]) and shown["owners"] in row_texts
    assert shown["when"] in row_texts and shown["status"] in row_texts and "Des fêtes (3 gommettes)" in row_texts
    assert not session.log.page_errors
