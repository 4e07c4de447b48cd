"""Exports over HTTP: who may download, what each file holds, and what it must never hold."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Room
from tests.test_facilitation import expect_ok

SUFFIXES = ("md", "csv", "roadmap.csv", "json", "odt")


def get(room: Room, path: str, token: str | None) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return room.client.get(f"/rooms/{room.id}/{path}", headers=headers)


@pytest.fixture
def workshop(client: TestClient) -> Iterator[tuple[Room, Any, Any, str, dict[str, str]]]:
    room = Room(client, title="Journée à Saint-Étienne", phase="write")
    fac = room.connect(room.facilitator_token)
    alice_token = room.join("Alice")
    alice = room.connect(alice_token)
    prompt = alice.first["prompts"][0]["id"]
    texts = ["Une fête 🎉", "=HYPERLINK(\"x\")", "Un goûter", "Idée cachée"]
    ideas = {t: expect_ok(alice, "idea.add", prompt=prompt, text=t)["idea"] for t in texts}
    expect_ok(fac, "idea.hide", idea=ideas["Idée cachée"], hidden=True)
    expect_ok(fac, "room.phase", phase="group")
    cluster = expect_ok(fac, "cluster.create", ideas=[ideas["Une fête 🎉"], ideas["Un goûter"]],
                        title="Fêtes")["clusters"][0]["cluster"]
    expect_ok(fac, "room.phase", phase="vote")
    for _ in range(2):
        expect_ok(alice, "vote.add", item=cluster)
    expect_ok(alice, "vote.add", item=ideas["=HYPERLINK(\"x\")"])
    yield room, fac, alice, alice_token, {**ideas, "cluster": cluster}
    fac.close()
    alice.close()


def test_facilitators_download_every_format(workshop: Any) -> None:
    room, fac, _alice, _token, ids = workshop
    expect_ok(fac, "room.phase", phase="roadmap")
    expect_ok(fac, "action.add", title="Préparer la fête", source={"kind": "cluster", "id": ids["cluster"]},
              owners=["Mairie"], horizon="3m")
    for suffix in SUFFIXES:
        response = get(room, f"export.{suffix}", room.facilitator_token)
        assert response.status_code == 200, (suffix, response.text)
        assert response.headers["cache-control"] == "no-store"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="journee-a-saint-etienne') and disposition.isascii()
    doc = get(room, "export.json", room.facilitator_token).json()
    assert (doc["format"], doc["schema"], doc["voters"]) == ("essaim.workshop", 1, 1)
    assert [c["votes"] for c in doc["clusters"]] == [2]
    assert {i["text"]: i["votes"] for i in doc["ideas"]} == {"Une fête 🎉": 0, "=HYPERLINK(\"x\")": 1, "Un goûter": 0}
    assert doc["actions"][0]["source"] == {"kind": "cluster", "id": ids["cluster"]}
    assert doc["actions"][0]["owners"] == ["Mairie"] and doc["actions"][0]["horizon"] == "3m"
    md = get(room, "export.md", room.facilitator_token).text
    assert "### Fêtes — 2 gommettes" in md and "Préparer la fête" in md and "1. Fêtes" in md
    rows = list(csv.reader(io.StringIO(get(room, "export.csv", room.facilitator_token).content.decode("utf-8-sig")),
                           delimiter=";"))
    assert ["Question", "Regroupement", "Idée", "Gommettes"] == rows[0]
    assert any(r[2] == "'=HYPERLINK(\"x\")" and r[3] == "1" for r in rows)
    report = get(room, "report", room.facilitator_token)
    assert report.status_code == 200 and "Préparer la fête" in report.text and "<script" not in report.text
    assert report.headers["cache-control"] == "no-store"
    assert get(room, "export.odt", room.facilitator_token).content.startswith(b"PK")


def test_hidden_ideas_secrets_and_authors_never_leave(workshop: Any) -> None:
    room, fac, _alice, _token, _ids = workshop
    expect_ok(fac, "room.phase", phase="results")
    for suffix in ("md", "csv", "json"):
        body = get(room, f"export.{suffix}", room.facilitator_token).content.decode("utf-8-sig")
        assert "Idée cachée" not in body and "Alice" not in body
        assert room.facilitator_token not in body and "author_key" not in body and "tag" not in body
    expect_ok(fac, "room.configure", show_authors=True)
    doc = get(room, "export.json", room.facilitator_token).json()
    assert {i["author"] for i in doc["ideas"]} == {"Alice"}
    assert "Alice" in get(room, "export.csv", room.facilitator_token).content.decode("utf-8-sig")


def test_hidden_tallies_are_not_in_a_download_during_the_vote(workshop: Any) -> None:
    room, fac, _alice, _token, _ids = workshop
    doc = get(room, "export.json", room.facilitator_token).json()
    assert doc["room"]["phase"] == "vote"
    assert all(x["votes"] is None for x in doc["clusters"] + doc["ideas"])
    assert "gommette" not in get(room, "export.md", room.facilitator_token).text.split("## Feuille")[0]
    expect_ok(fac, "room.configure", tallies="live")
    assert [c["votes"] for c in get(room, "export.json", room.facilitator_token).json()["clusters"]] == [2]


def test_participants_download_only_when_the_room_allows(workshop: Any) -> None:
    room, fac, _alice, token, _ids = workshop
    for suffix in SUFFIXES:
        assert get(room, f"export.{suffix}", token).status_code == 403
    assert get(room, "report", token).status_code == 403
    assert get(room, "export.json", None).status_code == 403
    expect_ok(fac, "room.configure", exports_for_everyone=True)
    for path in [*(f"export.{s}" for s in SUFFIXES), "report"]:
        assert get(room, path, token).status_code == 200, path
    assert get(room, "export.json", None).status_code == 403  # still not for strangers
    assert room.client.get("/rooms/nope/export.json").status_code == 404


def test_the_room_page_offers_the_downloads_to_whoever_may(workshop: Any) -> None:
    room, fac, _alice, token, _ids = workshop

    def section(who: str) -> str:
        page = room.client.get(f"/rooms/{room.id}", headers={"authorization": f"Bearer {who}"}).text
        return page[page.index('<section id="exports"'):].split(">", 1)[0]

    assert "hidden" not in section(room.facilitator_token) and "hidden" in section(token)
    page = room.client.get(f"/rooms/{room.id}", headers={"authorization": f"Bearer {room.facilitator_token}"}).text
    for suffix in SUFFIXES:
        assert f'href="/rooms/{room.id}/export.{suffix}" download' in page
    assert 'name="exports_for_everyone"' in page


def test_participants_never_download_during_private_writing(client: TestClient) -> None:
    room = Room(client, phase="write")
    fac = room.connect(room.facilitator_token)
    token = room.join("Bob")
    expect_ok(fac, "room.configure", exports_for_everyone=True, private_writing=True)
    assert get(room, "export.json", token).status_code == 403  # others' ideas are not theirs to see yet
    assert get(room, "export.json", room.facilitator_token).status_code == 200
    expect_ok(fac, "room.phase", phase="group")
    assert get(room, "export.json", token).status_code == 200
    fac.close()
