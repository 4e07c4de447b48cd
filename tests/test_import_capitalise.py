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
    assert "Source Groupe B : Atelier du groupe B (28/11/2026)" in md
    rows = export.csv_ideas(merged).decode("utf-8-sig").splitlines()
    assert rows[0].endswith(";Groupe d’origine") and any(r.endswith(";Groupe B (4 gommettes)") for r in rows)
    assert '<span class="origin" dir="auto">Groupe A (7 gommettes)</span>' in render_html(merged)
    assert b"PK" == export_odt.odt(merged)[:2]


# -- the facilitator's own workshops, ticked in the home form -------------------------------------

def imported_in_browser(client: TestClient, doc: dict[str, Any]) -> str:
    """The home form's import, as a browser does it: the new room's page opens, its facilitator signed in."""
    raw = json.dumps(doc, ensure_ascii=False).encode()
    page = client.post("/rooms/import", files={"file": ("x.json", raw, "application/json")}, data={"name": "Nadia"})
    assert page.status_code == 200 and '<section id="exports"' in page.text
    return str(page.url.path.rsplit("/", 1)[1])


def test_the_home_form_merges_workshops_this_browser_facilitates(client: TestClient) -> None:
    ours = [imported_in_browser(client, fixture()), imported_in_browser(client, fixture())]  # the same title twice
    home = client.get("/").text
    assert home.count('name="rooms"') == 2 and all(f'value="{r}"' in home for r in ours)
    assert "Journée citoyenne à Saint-Étienne 🐝" in home and "Atelier du 28/11/2026" in home
    upload = json.dumps(group_b(), ensure_ascii=False).encode()
    page = client.post("/rooms/capitalise", data={"rooms": ours, "title": "Bilan commun", "name": "Nadia"},
                       files={"files": ("n-importe-quoi.json", upload, "application/json")})
    assert page.status_code == 200, page.text
    new = page.url.path.rsplit("/", 1)[1]
    assert new not in ours
    doc = client.get(f"/rooms/{new}/export.json").json()  # its creator's cookie
    assert [s["label"] for s in doc["sources"]] == [  # titles, not file names; the same title told apart
        "Journée citoyenne à Saint-Étienne 🐝 (1)", "Journée citoyenne à Saint-Étienne 🐝 (2)", "Atelier du groupe B"]
    assert len(doc["ideas"]) == 3 * len(fixture()["ideas"])


def test_a_room_this_browser_does_not_facilitate_cannot_be_ticked(client: TestClient) -> None:
    theirs = imported_in_browser(client, fixture())
    ours = client.cookies
    client.cookies = type(ours)()  # another browser (a second TestClient would need its own app)
    other = client
    joined = other.post(f"/rooms/{theirs}/join", data={"name": "Camille"})
    assert joined.status_code == 200 and other.get("/").text.count('name="rooms"') == 0  # a participant's page
    mine_too = imported_in_browser(other, group_b())
    before = count_rooms(client)
    refused = other.post("/rooms/capitalise", data={"rooms": [theirs, mine_too], "title": "X", "name": "C"},
                         files={"files": ("", b"", "application/octet-stream")})
    assert refused.status_code == 403 and "Atelier coché n° 1 (rooms[0])" in refused.text
    assert count_rooms(client) == before
    client.cookies = ours
    too_few = client.post("/rooms/capitalise", data={"rooms": [theirs], "title": "X", "name": "N"},
                          files={"files": ("", b"", "application/octet-stream")})
    assert too_few.status_code == 422 and "entre 2 et 10" in too_few.text


def test_labels_are_titles_then_dates_then_numbers() -> None:
    def doc(title: str, day: float, lang: str = "fr") -> importer.Document:
        made = importer.parse(json.dumps({"format": "essaim.workshop", "schema": 1, "prompts": [
            {"id": "p", "title": "Q"}], "room": {"title": title, "created_at": day, "lang": lang}}))
        assert isinstance(made, importer.Document)
        return made
    docs = [doc("Atelier Lyon", 1796000000), doc("atelier  LYON", 1797000000), doc("Atelier Lyon", 1796000000),
            doc("x" * 70, 0, "en")]
    assert capitalise.labels(["", "", "", ""], docs) == [
        "Atelier Lyon (1)", "atelier LYON (11/12/2026)", "Atelier Lyon (2)", "x" * 59 + "…"]
    assert capitalise.labels(["Groupe A", "  groupe a "], docs[:2]) == ["Groupe A (30/11/2026)", "groupe a (11/12/2026)"]
    long = capitalise.labels(["", ""], [docs[3], doc("x" * 70, 86400, "en")])
    assert long == ["x" * 46 + "… (1970-01-01)", "x" * 46 + "… (1970-01-02)"]
    assert all(len(label) <= capitalise.LABEL_MAX for label in long)


def test_the_room_and_its_projector_list_the_groups_with_their_colour_and_day(client: TestClient) -> None:
    body = {"title": "Capitalisation 2026", "sources": [{"label": label, "document": json.loads(raw)}
                                                         for label, raw in sources()]}
    created = client.post("/api/rooms/capitalise?name=Nadia", json=body).json()
    auth = {"authorization": f"Bearer {created['facilitator_token']}"}
    for path in (f"/rooms/{created['id']}", f"/rooms/{created['id']}/screen"):
        page = client.get(path, headers=auth).text
        assert "Groupes rassemblés dans cet atelier" in page and "/css/sources.css" in page, path
        assert '<span class="tag source source-0" dir="auto">Groupe A</span>' in page
        assert '<span class="tag source source-1" dir="auto">Groupe B</span>' in page
        assert "Atelier du groupe B</span> · atelier du 28/11/2026" in page
    plain = client.post("/api/rooms", json={"title": "Simple"}).json()
    page = client.get(f"/rooms/{plain['id']}", headers={"authorization": f"Bearer {plain['facilitator_token']}"}).text
    assert "sources.css" not in page and "Groupes rassemblés" not in page


def test_every_group_colour_is_dark_ink_on_a_light_tag() -> None:
    """The colours are a second sign beside the label and the border; each keeps ink readable (≥ 4.5:1)."""
    import re
    from pathlib import Path

    def luminance(hex_colour: str) -> float:
        rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    css = (Path(__file__).parent.parent / "static" / "css" / "sources.css").read_text()
    rules = dict(re.findall(r"\.source-(\d) \{([^}]*)\}", css))
    assert sorted(rules) == [str(n) for n in range(6)]
    backgrounds = {re.search(r"background: #(\w{6})", r).group(1) for r in rules.values()}  # type: ignore[union-attr]
    borders = {re.search(r"(solid|dashed|dotted|double)", r).group(1) + ("2" in r and "radius" in r) * "r"  # type: ignore[union-attr]
               for r in rules.values()}
    assert len(backgrounds) == 6 and len(borders) == 6  # a colour and a border style of its own
    ink = luminance("1d1d1b")
    assert all((luminance(b) + 0.05) / (ink + 0.05) >= 4.5 for b in backgrounds)


def test_groups_too_big_together_are_told_so_with_the_limit(client: TestClient) -> None:
    from app import limits
    half = limits.IDEAS_PER_ROOM // 2 + 1

    def group(title: str) -> dict[str, Any]:
        doc = fixture()
        doc["room"]["title"] = title
        template = {k: v for k, v in doc["ideas"][0].items() if k != "author"}
        doc["ideas"] = [{**template, "id": f"n{n}", "cluster": None, "text": f"Idée {n}"} for n in range(half)]
        doc["clusters"] = doc["actions"] = []
        return doc
    body = {"title": "Trop", "sources": [{"label": "", "document": group(t)} for t in ("A", "B")]}
    before = count_rooms(client)
    response = client.post("/api/rooms/capitalise?name=Nadia", json=body)
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert (problem["where"], problem["code"], problem["params"]) == ("ideas", "room.full_of_ideas",
                                                                      {"max": limits.IDEAS_PER_ROOM})
    assert str(limits.IDEAS_PER_ROOM) in problem["message"] and count_rooms(client) == before
