"""Capitalisation as a facilitator would do it: a workshop they facilitate and another group's
export, picked on the home page, make one workshop where every idea says which group it came
from and the dots it had there."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.server import Server

from .conftest import Session, screenshot
from .test_facilitation import AXE, axe_violations, prompt_ids, run_commands

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("browser-capitalise") / "data").start()
    yield server
    server.stop()


def exported_group(server: Server, folder: Path, name: str, ideas: list[str]) -> Path:
    room = server.create_room(title=f"Atelier {name}")
    prompt = prompt_ids(server, room)[0]
    run_commands(server, room["id"], room["facilitator_token"], [
        *({"type": "idea.add", "op_id": f"{name[:4]}-idea-{n:04d}", "prompt": prompt, "text": text}
          for n, text in enumerate(ideas)),
        {"type": "room.phase", "op_id": f"{name[:4]}-phase-vote", "phase": "vote"}])
    request = urllib.request.Request(f"{server.url}/rooms/{room['id']}/export.json",
                                     headers={"Authorization": f"Bearer {room['facilitator_token']}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        document = json.loads(response.read())
    path = folder / f"{name}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_two_groups_become_one_workshop_with_their_provenance(server: Server, session: Session,
                                                               tmp_path: Path) -> None:
    """One group is a workshop this browser facilitates (ticked in the form), the other an uploaded
    export; the new room lists both groups with their colour and day, every idea and cluster says
    where it came from, and a near-duplicate across the groups merges with one press."""
    north = exported_group(server, tmp_path, "Groupe Nord", ["Une fête de quartier", "Un repas partagé"])
    south = exported_group(server, tmp_path, "Groupe Sud", ["Une fete de quartier !", "Des jeux en bois"])
    page = session.page()
    page.goto(server.url + "/")
    page.locator("#import").get_by_label("Fichier JSON").set_input_files(str(north))  # North becomes this browser's
    page.locator("#import").get_by_role("button", name="Créer l’atelier à partir du fichier").click()
    page.wait_for_url(re.compile(r"/rooms/[^/?#]+$"))
    page.goto(server.url + "/")
    form = page.locator("#capitalise")
    form.get_by_role("checkbox", name=re.compile("Atelier Groupe Nord")).check()
    form.get_by_label("Exports JSON d’autres ateliers").set_input_files([str(south)])
    form.get_by_label("Titre du nouvel atelier").fill("Capitalisation du réseau")
    form.get_by_role("button", name="Créer l’atelier de capitalisation").click()
    page.wait_for_url(re.compile(r"/rooms/[^/?#]+$"))
    expect(page.locator("#room-title")).to_have_text("Capitalisation du réseau")
    legend = page.locator("section.sources")
    expect(legend.get_by_role("heading", name="Groupes rassemblés dans cet atelier")).to_be_visible()
    expect(legend.locator("li")).to_have_count(2)
    expect(legend.locator("li").nth(0)).to_contain_text("Atelier Groupe Nord")
    expect(legend.locator("li").nth(1)).to_contain_text("Atelier Groupe Sud")
    expect(legend.locator("li").nth(0)).to_contain_text(re.compile(r"atelier du \d\d/\d\d/\d{4}"))
    colours = [legend.locator(".source").nth(n).evaluate("e => getComputedStyle(e).backgroundColor") for n in (0, 1)]
    borders = [legend.locator(".source").nth(n).evaluate("e => getComputedStyle(e).borderTopStyle") for n in (0, 1)]
    assert colours[0] != colours[1] and borders == ["solid", "dashed"]  # a colour, and a border besides it
    board = page.locator("#board")
    expect(board.locator("li.idea")).to_have_count(4)
    fete = board.locator("li.idea").filter(has=page.get_by_text("Une fête de quartier", exact=True))
    expect(fete.locator(".source")).to_contain_text("Vient de : Atelier Groupe Nord")
    jeux = board.locator("li.idea").filter(has=page.get_by_text("Des jeux en bois", exact=True))
    expect(jeux.locator(".source")).to_contain_text("Vient de : Atelier Groupe Sud")
    expect(board.get_by_text("Votre idée")).to_have_count(0)  # the groups' ideas are not the creator's
    similar = page.locator("#similar")
    similar.get_by_role("button", name="Chercher les idées qui se ressemblent").click()
    pair = similar.locator("li.similar-pair").filter(has_text="Une fete de quartier !")
    expect(pair).to_have_count(1)
    expect(similar.locator("li.similar-pair").first).to_have_text(re.compile(  # across two groups: first, with both
        r"« Une fête de quartier » \(Atelier Groupe Nord\) et « Une fete de quartier ! » \(Atelier Groupe Sud\)"))
    pair.get_by_role("button", name="Les regrouper").click()
    cluster = board.locator("section.cluster")
    expect(cluster).to_have_count(1)
    expect(cluster.locator("li.idea")).to_have_count(2)
    expect(cluster.locator("li.idea .source")).to_have_text([re.compile("Atelier Groupe (Nord|Sud)")] * 2)
    groups = {re.search(r"Groupe (Nord|Sud)", t).group(0)  # type: ignore[union-attr]
              for t in cluster.locator("li.idea .source").all_inner_texts()}
    assert groups == {"Groupe Nord", "Groupe Sud"}  # one cluster, each idea keeping its group
    screenshot(page, "capitalisation")
    if Path(AXE).exists():
        assert axe_violations(page) == []


def test_a_single_file_is_refused_with_a_clear_error(server: Server, session: Session, tmp_path: Path) -> None:
    only = exported_group(server, tmp_path, "Groupe Seul", ["Une idée"])
    page = session.page()
    page.goto(server.url + "/")
    form = page.locator("#capitalise")
    form.get_by_label("Exports JSON d’autres ateliers").set_input_files([str(only)])
    form.get_by_role("button", name="Créer l’atelier de capitalisation").click()
    expect(page.locator("#capitalise-error")).to_be_visible()
