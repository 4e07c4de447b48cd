"""Capitalisation as a facilitator would do it: two groups' exports uploaded from the home page
make one workshop where every idea says which group it came from and the dots it had there."""

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
    north = exported_group(server, tmp_path, "Groupe Nord", ["Une fête de quartier", "Un repas partagé"])
    south = exported_group(server, tmp_path, "Groupe Sud", ["Des jeux en bois"])
    page = session.page()
    page.goto(server.url + "/")
    form = page.locator("#capitalise")
    form.get_by_label("Exports JSON des ateliers").set_input_files([str(north), str(south)])
    form.get_by_label("Titre du nouvel atelier").fill("Capitalisation du réseau")
    form.get_by_role("button", name="Créer l’atelier de capitalisation").click()
    page.wait_for_url(re.compile(r"/rooms/[^/?#]+$"))
    expect(page.locator("#room-title")).to_have_text("Capitalisation du réseau")
    board = page.locator("#board")
    expect(board.locator("li.idea")).to_have_count(3)
    fete = board.locator("li.idea").filter(has=page.get_by_text("Une fête de quartier", exact=True))
    expect(fete.locator(".source")).to_contain_text("Vient de : Groupe Nord")
    jeux = board.locator("li.idea").filter(has=page.get_by_text("Des jeux en bois", exact=True))
    expect(jeux.locator(".source")).to_contain_text("Vient de : Groupe Sud")
    screenshot(page, "capitalisation")
    if Path(AXE).exists():
        assert axe_violations(page) == []


def test_a_single_file_is_refused_with_a_clear_error(server: Server, session: Session, tmp_path: Path) -> None:
    only = exported_group(server, tmp_path, "Groupe Seul", ["Une idée"])
    page = session.page()
    page.goto(server.url + "/")
    form = page.locator("#capitalise")
    form.get_by_label("Exports JSON des ateliers").set_input_files([str(only)])
    form.get_by_role("button", name="Créer l’atelier de capitalisation").click()
    expect(page.locator("#capitalise-error")).to_be_visible()
