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
    expect(page.locator("#import-error li")).to_contain_text("ideas[0].colour")


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
