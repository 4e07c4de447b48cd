"""Capitalisation: one workshop from several, prompts with the same title merged, provenance kept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from app import capitalise, importer
from tests.test_export import fixture
from tests.test_import import content, count_rooms, export_json, fresh_ids, import_api


def group_b() -> dict[str, Any]:
    doc = fixture()
    doc["room"]["title"] = "Atelier du groupe B"
    doc["prompts"][0]["title"] = "quelles  ACTIVITES"  # the same question, typed otherwise
    doc["prompts"][1]["title"] = "Avec quels partenaires ?"  # another one
    return doc


def sources() -> list[tuple[str, str]]:
    return [("Groupe A", json.dumps(fixture())), ("Groupe B", json.dumps(group_b()))]


@pytest.mark.parametrize(("a", "b"), [("Quelles activités ?", "quelles activites"), ("Où et quand ?", "OÙ  ET QUAND…")])
def test_titles_that_say_the_same_are_one(a: str, b: str) -> None:
    assert capitalise.normalised(a) == capitalise.normalised(b)


def test_merge_keeps_provenance_and_merges_prompts() -> None:
    merged = capitalise.merge(sources(), title="Capitalisation 2026", now=1.0)
    assert isinstance(merged, dict)
    assert [p["title"] for p in merged["prompts"]] == ["Quelles activités ?", "Pour qui, quels publics éloignés ?",
                                                       "Avec quels partenaires ?"]
    assert [(s["id"], s["label"], s["title"]) for s in merged["sources"]] == [
        ("s1", "Groupe A", "Journée citoyenne à Saint-Étienne 🐝"), ("s2", "Groupe B", "Atelier du groupe B")]
    assert len(merged["ideas"]) == 2 * len(fixture()["ideas"])
    first_prompt = [i for i in merged["ideas"] if i["prompt"] == "p1"]
    assert {i["source"] for i in first_prompt} == {"s1", "s2"}  # both groups' ideas under the merged prompt
    fete = [c for c in merged["clusters"] if c["title"] == "Fêtes de quartier 🎉"]
    assert [(c["source"], c["source_votes"], c["votes"]) for c in fete] == [("s1", 7, 0), ("s2", 7, 0)]
    assert len({x["id"] for x in merged["ideas"] + merged["clusters"]}) == len(merged["ideas"] + merged["clusters"])
    assert isinstance(importer.plan(json.dumps(merged), fresh_ids(), templates=frozenset()), importer.Plan)


def test_a_bad_source_is_named_and_one_source_is_not_enough() -> None:
    bad = fixture()
    bad["ideas"][0]["colour"] = "rouge"
    made = capitalise.merge([("A", json.dumps(fixture())), ("B", json.dumps(bad))], title="X", now=0.0)
    assert isinstance(made, list) and made[0].where == "sources[1].ideas[0].colour"
    alone = capitalise.merge([("A", json.dumps(fixture()))], title="X", now=0.0)
    assert isinstance(alone, list) and alone[0].code == "capitalise.sources"


def test_the_api_builds_the_room_from_two_exports(client: TestClient) -> None:
    body = {"title": "Capitalisation 2026", "sources": [{"label": label, "document": json.loads(raw)}
                                                         for label, raw in sources()]}
    response = client.post("/api/rooms/capitalise?name=Nadia", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    doc = export_json(client, created["id"], created["facilitator_token"])
    assert doc["room"]["title"] == "Capitalisation 2026" and doc["room"]["phase"] == "group"
    assert len(doc["prompts"]) == 3 and len(doc["ideas"]) == 16
    # the room keeps where each item came from, and the dots it had there
    assert [(s["id"], s["label"], s["date"]) for s in doc["sources"]] == [("s1", "Groupe A", "2026-11-28"),
                                                                          ("s2", "Groupe B", "2026-11-28")]
    fete = sorted((c["source"], c["source_votes"]) for c in doc["clusters"] if c["title"] == "Fêtes de quartier 🎉")
    assert fete == [("s1", 7), ("s2", 7)] and all(c["votes"] is None for c in doc["clusters"])  # a new vote, not yet shown
    assert {i["source"] for i in doc["ideas"]} == {"s1", "s2"}
    again = import_api(client, doc).json()  # and an export of it imports with its provenance
    copy = export_json(client, again["id"], again["facilitator_token"])
    assert copy["sources"] == doc["sources"] and content(copy) == content(doc)
    plain = export_json(client, *(lambda r: (r["id"], r["facilitator_token"]))(import_api(client, fixture()).json()))
    assert plain["sources"] == [] and all("source" not in i for i in plain["ideas"])
    before = count_rooms(client)
    refused = client.post("/api/rooms/capitalise", json={**body, "sources": body["sources"][:1]})
    assert refused.status_code == 422 and refused.json()["problems"][0]["code"] == "capitalise.sources"
    assert client.post("/api/rooms/capitalise", json={"sources": 3}).status_code == 422
    assert count_rooms(client) == before


def test_exports_of_a_capitalised_room_show_each_item_s_group() -> None:
    from app import export, export_odt
    from tests.test_export import render_html
    merged = capitalise.merge(sources(), title="Capitalisation 2026", now=1.0)
    assert isinstance(merged, dict)
    md = export.markdown(merged)
    assert "### Fêtes de quartier 🎉 — 0 gommette · Groupe A (7 gommettes)" in md
    assert "Source Groupe B : Atelier du groupe B (2026-11-28)" in md
    rows = export.csv_ideas(merged).decode("utf-8-sig").splitlines()
    assert rows[0].endswith(";Groupe d’origine") and any(r.endswith(";Groupe B (4 gommettes)") for r in rows)
    assert '<span class="origin" dir="auto">Groupe A (7 gommettes)</span>' in render_html(merged)
    assert b"PK" == export_odt.odt(merged)[:2]
