"""Import of a JSON export: a bad file lists what is wrong and creates nothing; a good one round-trips."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import text as sql
from starlette.testclient import TestClient

from app import importer, limits
from app.text import clean
from tests.conftest import Room
from tests.test_export import fixture
from tests.test_facilitation import expect_ok

TEMPLATES = frozenset({"journee-citoyenne", "remue-meninges"})


def fresh_ids() -> Any:
    counter = itertools.count()
    return lambda: f"new{next(counter)}"


def plan(doc: dict[str, Any]) -> importer.Plan | list[importer.Problem]:
    return importer.plan(json.dumps(doc, ensure_ascii=False), fresh_ids(), templates=TEMPLATES)


def problems(doc: dict[str, Any]) -> set[tuple[str, str]]:
    made = plan(doc)
    assert isinstance(made, list), "the file should have been refused"
    return {(p.where, p.code) for p in made}


def test_a_good_file_gets_fresh_ids_and_clean_texts() -> None:
    made = plan(fixture())
    assert isinstance(made, importer.Plan)
    old_ids = {x["id"] for kind in ("prompts", "clusters", "ideas", "actions") for x in fixture()[kind]}
    new_ids = {x["id"] for x in [*made.prompts, *made.clusters, *made.ideas, *made.actions]}
    assert not old_ids & new_ids and len(new_ids) == len(old_ids)
    assert all("\u200f" not in i["text"] for i in made.ideas)
    grouped = {i["cluster_id"] for i in made.ideas if i["cluster_id"]}
    assert grouped <= {c["id"] for c in made.clusters}
    assert made.actions[0]["source_id"] in {c["id"] for c in made.clusters}
    # 7 + 4 + 4 dots on clusters, 2 + 4 + 1 on loose ideas, within a budget of 5 and a cap of 3
    assert len(made.dots) == 22 and made.voters <= 14
    per_voter: dict[int, int] = {}
    for voter, _kind, item in made.dots:
        per_voter[voter] = per_voter.get(voter, 0) + 1
        assert sum(1 for v, _k, i in made.dots if v == voter and i == item) <= 3
    assert max(per_voter.values()) <= 5


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["ideas"][0].update(text="   "), ("ideas[0].text", "text.empty")),
    (lambda d: d["ideas"][0].update(text="x" * 501), ("ideas[0].text", "text.too_long")),
    (lambda d: d["ideas"][1].update(prompt="ailleurs"), ("ideas[1].prompt", "prompt.not_found")),
    (lambda d: d["ideas"][1].update(cluster="c3"), ("ideas[1].cluster", "cluster.not_found")),  # another prompt's
    (lambda d: d["clusters"][1].update(id="c1"), ("clusters[1].id", "import.duplicate_id")),
    (lambda d: d["actions"][0].update(title=""), ("actions[0]", "text.empty")),
    (lambda d: d["room"].update(title="\u202e"), ("room.title", "text.empty")),
])
def test_each_fault_is_named(change: Any, expected: tuple[str, str]) -> None:
    doc = fixture()
    change(doc)
    assert expected in problems(doc)


@pytest.mark.parametrize("source", [{"kind": "cluster", "id": "i1"}, {"kind": "idea", "id": "gone"}])
def test_an_action_whose_source_is_gone_keeps_its_text_and_loses_its_link(source: dict[str, str]) -> None:
    doc = fixture()
    doc["actions"][0]["source"] = source
    made = plan(doc)
    assert isinstance(made, importer.Plan)
    assert made.actions[0]["title"] == clean(doc["actions"][0]["title"])
    assert made.actions[0]["source_kind"] is None and made.actions[0]["source_id"] is None


@pytest.mark.parametrize(("held", "kept"), [(1796000000.0, 1796000000.0), (0.0, 1800000000.0),
                                            (1900000000.0, 1800000000.0)])  # unknown or later than now: now
def test_an_import_keeps_the_day_the_workshop_was_held(held: float, kept: float) -> None:
    doc = fixture()
    doc["room"]["created_at"] = held
    made = plan(doc)
    assert isinstance(made, importer.Plan)
    new = importer.rows(made, room={"id": "r", "created_at": 1800000000.0}, creator={"id": "f"}, new_id=fresh_ids())
    assert new.room["created_at"] == kept


def test_several_faults_are_all_listed() -> None:
    doc = fixture()
    doc["ideas"][0]["text"] = ""
    doc["ideas"][2]["prompt"] = "nope"
    doc["clusters"][0]["prompt"] = "nope"
    assert {("ideas[0].text", "text.empty"), ("ideas[2].prompt", "prompt.not_found"),
            ("clusters[0].prompt", "prompt.not_found")} <= problems(doc)


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d.update(format="autre"), "format"),
    (lambda d: d["ideas"][0].update(colour="red"), "ideas[0].colour"),
    (lambda d: d["ideas"][0].update(secret="x"), "ideas[0].secret"),
    (lambda d: d["ideas"][0].update(votes=-1), "ideas[0].votes"),
    (lambda d: d["room"]["settings"].update(vote_budget=0), "room.settings.vote_budget"),
    (lambda d: d["actions"][0].update(status="fini"), "actions[0].status"),
    (lambda d: d["actions"][0].update(due="demain"), "actions[0].due"),
    (lambda d: d.update(prompts=[]), "prompts"),
    (lambda d: d.update(prompts=d["prompts"] * 11), "prompts"),
    (lambda d: d.update(ideas=d["ideas"][:1] * (limits.IDEAS_PER_ROOM + 1)), "ideas"),
])
def test_the_shape_is_checked_strictly(change: Any, where: str) -> None:
    doc = fixture()
    change(doc)
    assert where in {w for w, _code in problems(doc)}


def test_schema_version_and_broken_files() -> None:
    doc = fixture()
    doc["schema"] = 2
    assert problems(doc) == {("schema", "import.schema")}
    deep = b'{"format": "essaim.workshop", "schema": 1, "room": {"title": "x", "settings": {"a": ' + b"[" * 5000
    for raw in (b"", b"{", b"\xff\xfe", b"[]", b"null", b"[" * 200000, deep + b"]" * 5000 + b"}}}"):
        made = importer.plan(raw, fresh_ids(), templates=TEMPLATES)
        assert isinstance(made, list) and made, raw
    assert importer.plan(b" " * (importer.FILE_MAX_BYTES + 1), fresh_ids(), templates=TEMPLATES)[0].where == "file"


# -- through HTTP and the database ----------------------------------------------------------------

def test_a_deeply_nested_file_is_a_listed_problem_not_a_crash(client: TestClient) -> None:
    deep = b"[" * 200000
    api = import_api(client, deep)
    assert api.status_code == 422 and api.json()["problems"][0]["code"] == "protocol.invalid_json"
    form = client.post("/rooms/import", files={"file": ("a.json", deep, "application/json")}, data={"name": "N"})
    assert form.status_code == 422 and "import-error" in form.text
    both = client.post("/api/rooms/capitalise", content=b'{"sources": ' + deep,
                       headers={"content-type": "application/json"})
    assert both.status_code == 422
    files = [("files", (f"{n}.json", deep, "application/json")) for n in range(2)]
    assert client.post("/rooms/capitalise", files=files, data={"title": "X"}).status_code == 422


def test_a_body_without_content_length_is_capped_as_it_arrives(client: TestClient) -> None:
    def chunks(total: int) -> Any:
        for _ in range(total // 65536 + 1):
            yield b" " * 65536
    for url, cap in (("/api/rooms/import?name=N", importer.FILE_MAX_BYTES),
                     ("/api/rooms/capitalise?name=N", 2 * importer.FILE_MAX_BYTES)):
        before = count_rooms(client)
        response = client.post(url, content=chunks(cap), headers={"content-type": "application/json"})
        assert response.status_code == 413 and response.json()["error"] == "text.too_long", url
        assert count_rooms(client) == before


def count_rooms(client: TestClient) -> int:
    with client.app.state.essaim.service.reader.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(sql("SELECT count(*) FROM room")).scalar_one())


def import_api(client: TestClient, doc: dict[str, Any] | bytes) -> Any:
    body = doc if isinstance(doc, bytes) else json.dumps(doc, ensure_ascii=False).encode()
    return client.post("/api/rooms/import?name=Nadia", content=body, headers={"content-type": "application/json"})


def export_json(client: TestClient, room_id: str, token: str) -> dict[str, Any]:
    response = client.get(f"/rooms/{room_id}/export.json", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def content(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with its ids replaced by what they point at, and the moment of export left out."""
    prompts = {p["id"]: p["title"] for p in doc["prompts"]}
    clusters = {c["id"]: (prompts[c["prompt"]], c["title"], c["position"]) for c in doc["clusters"]}
    ideas = {i["id"]: (prompts[i["prompt"]], i["text"], i["position"]) for i in doc["ideas"]}

    def source(s: dict[str, str] | None) -> Any:
        """What the action's source is, or None when the document lacks it (the link is lost)."""
        found = None if s is None else (clusters if s["kind"] == "cluster" else ideas).get(s["id"])
        return None if found is None else (s["kind"], found)  # type: ignore[index]
    return {
        "room": doc["room"],  # its created_at too: an import keeps the day the workshop was held
        "prompts": [(p["title"], p["position"]) for p in doc["prompts"]],
        "clusters": sorted((clusters[c["id"]], c["named"], c["votes"]) for c in doc["clusters"]),
        "ideas": sorted(json.dumps({**{k: v for k, v in i.items() if k not in ("id", "prompt", "cluster")},
                                    "where": [prompts[i["prompt"]], i["cluster"] and clusters[i["cluster"]]]},
                                   sort_keys=True, ensure_ascii=False) for i in doc["ideas"]),
        "actions": [({k: v for k, v in a.items() if k not in ("id", "source")}, source(a["source"]))
                    for a in doc["actions"]],
        "voters": doc["voters"], "sources": doc["sources"], "format": doc["format"], "schema": doc["schema"],
        "provenance": sorted((x.get("source") or "", -1 if x.get("source_votes") is None else x["source_votes"])
                             for x in doc["ideas"] + doc["clusters"]),
    }


def test_an_export_of_a_real_room_round_trips(client: TestClient) -> None:
    room = Room(client, title="Bilan d'équipe 🐝", phase="write")
    fac = room.connect(room.facilitator_token)
    alice = room.connect(room.join("Alice"))
    prompt = alice.first["prompts"][0]["id"]
    ideas = [expect_ok(alice, "idea.add", prompt=prompt, text=t)["idea"] for t in ("Un goûter", "Une fête", "Seule")]
    expect_ok(fac, "room.configure", show_authors=True)
    expect_ok(fac, "room.phase", phase="group")
    cluster = expect_ok(fac, "cluster.create", ideas=ideas[:2], title="Fêtes")["clusters"][0]["cluster"]
    expect_ok(fac, "room.phase", phase="vote")
    for item in (cluster, cluster, ideas[2]):
        expect_ok(alice, "vote.add", item=item)
    expect_ok(fac, "room.phase", phase="roadmap")
    expect_ok(fac, "action.add", title="Fête de rentrée", source={"kind": "cluster", "id": cluster},
              owners=["Mairie"], partners=["MJC"], horizon="6m")
    first = export_json(client, room.id, room.facilitator_token)
    fac.close()
    alice.close()
    created = import_api(client, first)
    assert created.status_code == 201, created.text
    body = created.json()
    second = export_json(client, body["id"], body["facilitator_token"])
    assert content(second) == content(first)
    assert second["ideas"][0]["id"] not in {i["id"] for i in first["ideas"]}


def test_an_export_whose_actions_lost_their_sources_imports(client: TestClient) -> None:
    """Dissolving a cluster or hiding an idea that an action came from: the export drops the link
    (the action keeps its text), so it imports, capitalises and round-trips."""
    room = Room(client, title="Sources parties", phase="write")
    fac = room.connect(room.facilitator_token)
    prompt = fac.first["prompts"][0]["id"]
    ideas = [expect_ok(fac, "idea.add", prompt=prompt, text=t)["idea"] for t in ("Un goûter", "Une fête", "Seule")]
    expect_ok(fac, "room.phase", phase="group")
    cluster = expect_ok(fac, "cluster.create", ideas=ideas[:2], title="Fêtes")["clusters"][0]["cluster"]
    expect_ok(fac, "room.phase", phase="roadmap")
    expect_ok(fac, "action.add", title="Fête de rentrée", source={"kind": "cluster", "id": cluster})
    expect_ok(fac, "action.add", title="Goûter seul", source={"kind": "idea", "id": ideas[2]})
    expect_ok(fac, "action.add", title="Toujours là", source={"kind": "idea", "id": ideas[0]})
    expect_ok(fac, "cluster.dissolve", cluster=cluster)
    expect_ok(fac, "idea.hide", idea=ideas[2], hidden=True)
    first = export_json(client, room.id, room.facilitator_token)
    fac.close()
    sources = {a["title"]: a["source"] for a in first["actions"]}
    assert sources["Fête de rentrée"] is None and sources["Goûter seul"] is None
    assert sources["Toujours là"] == {"kind": "idea", "id": ideas[0]}
    created = import_api(client, first)
    assert created.status_code == 201, created.text
    second = export_json(client, created.json()["id"], created.json()["facilitator_token"])
    assert content(second) == content(first)
    both = client.post("/api/rooms/capitalise?name=Nadia", json={"title": "Ensemble", "sources": [
        {"label": "A", "document": first}, {"label": "B", "document": second}]})
    assert both.status_code == 201, both.text


def test_ideas_with_no_author_are_not_the_creator_s(client: TestClient) -> None:
    """120 unattributed ideas: the creator may still write (IDEAS_PER_PARTICIPANT is 100) and none
    of them reads "Votre idée" on the creator's board."""
    doc = fixture()
    doc["room"]["phase"] = "write"
    template = {k: v for k, v in doc["ideas"][0].items() if k != "author"}
    doc["ideas"] = [{**template, "id": f"n{n}", "cluster": None, "text": f"Idée {n}", "votes": 0}
                    for n in range(limits.IDEAS_PER_PARTICIPANT + 20)]
    doc["clusters"] = doc["actions"] = []
    created = import_api(client, doc).json()
    room = Room.__new__(Room)
    room.client, room.id = client, created["id"]
    fac = room.connect(created["facilitator_token"])
    me = fac.first["me"]["author"]
    assert len(fac.first["ideas"]) == 120 and all(i.get("author") != me for i in fac.first["ideas"])
    expect_ok(fac, "idea.add", prompt=fac.first["prompts"][0]["id"], text="La mienne")
    fac.close()


def test_the_fixture_round_trips_once_cleaned(client: TestClient) -> None:
    created = import_api(client, fixture()).json()
    once = export_json(client, created["id"], created["facilitator_token"])
    again = import_api(client, once).json()
    assert content(export_json(client, again["id"], again["facilitator_token"])) == content(once)
    assert sorted(c["votes"] for c in once["clusters"]) == [4, 4, 7]
    assert once["voters"] <= 14 and {i["author"] for i in once["ideas"]} >= {"Abeille dorée", "Mésange"}


def test_a_bad_file_creates_nothing_and_says_why(client: TestClient) -> None:
    doc = fixture()
    doc["ideas"][0]["text"] = ""
    doc["ideas"][3]["prompt"] = "nope"
    before = count_rooms(client)
    response = import_api(client, doc)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "import.invalid" and body["params"] == {"count": 2}
    assert {(p["where"], p["code"]) for p in body["problems"]} == {("ideas[0].text", "text.empty"),
                                                                  ("ideas[3].prompt", "prompt.not_found")}
    messages = sorted(p["message"] for p in body["problems"])  # in words first, then the path in the file
    assert messages[0].startswith("Idea 1 (ideas[0].text): ") and messages[1].startswith("Idea 4 (ideas[3].prompt): ")
    assert import_api(client, b"not json").status_code == 422
    assert count_rooms(client) == before


def test_the_home_form_imports_or_lists_the_problems(client: TestClient) -> None:
    raw = json.dumps(fixture(), ensure_ascii=False).encode()
    response = client.post("/rooms/import", files={"file": ("atelier.json", raw, "application/json")},
                           data={"name": "Nadia"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/rooms/")
    page = client.get(response.headers["location"]).text
    assert "Journée citoyenne à Saint-Étienne" in page and '<section id="exports"' in page
    bad = fixture()
    bad["ideas"][0]["colour"] = "rouge"
    before = count_rooms(client)
    response = client.post("/rooms/import", files={"file": ("a.json", json.dumps(bad).encode(), "application/json")},
                           data={"name": "Nadia"}, follow_redirects=False)
    assert response.status_code == 422 and "Idée n° 1 (ideas[0].colour)" in response.text
    assert "rien n’a été créé" in response.text
    assert count_rooms(client) == before


# -- property: generated rooms round-trip ---------------------------------------------------------

WORDS = st.text(alphabet="abcdeéèàçôûœ ÉÀZ🐝🎉-'", min_size=1, max_size=20).map(clean).filter(bool)


@st.composite
def documents(draw: Any) -> dict[str, Any]:
    prompts = [{"id": f"p{n}", "title": f"Question {n} {t}", "position": n}
               for n, t in enumerate(draw(st.lists(WORDS, min_size=1, max_size=3)))]
    clusters = [{"id": f"c{n}", "prompt": draw(st.sampled_from(prompts))["id"], "title": t, "named": True,
                 "position": float(n), "votes": draw(st.integers(0, 6))}
                for n, t in enumerate(draw(st.lists(WORDS, max_size=3)))]
    ideas = []
    for n, t in enumerate(draw(st.lists(WORDS, max_size=8))):
        prompt = draw(st.sampled_from(prompts))["id"]
        mine = [c["id"] for c in clusters if c["prompt"] == prompt]
        cluster = draw(st.sampled_from([None, *mine]))
        ideas.append({"id": f"i{n}", "prompt": prompt, "cluster": cluster, "text": t,
                      "colour": draw(st.sampled_from(["yellow", "pink", "blue"])), "position": float(n),
                      "created_at": 1796000000.0 + n, "votes": 0 if cluster else draw(st.integers(0, 4)),
                      "author": draw(st.sampled_from(["Alice", "Bob"]))})
    items = [("cluster", c["id"]) for c in clusters] + [("idea", i["id"]) for i in ideas if not i["cluster"]]
    actions = [{"id": f"a{n}", "title": t, "description": "", "owners": draw(st.lists(WORDS, max_size=2)),
                "partners": [], "horizon": draw(st.sampled_from(["", "3m", "1y"])), "due": None,
                "status": draw(st.sampled_from(["todo", "done"])),
                "source": draw(st.sampled_from([None, {"kind": "idea", "id": "parti"},  # gone: link lost
                                                *({"kind": k, "id": i} for k, i in items)])),
                "position": float(n)} for n, t in enumerate(draw(st.lists(WORDS, max_size=3)))]
    sources = [{"id": f"s{n + 1}", "label": f"Groupe {t}", "title": t, "date": "2026-11-28"}
               for n, t in enumerate(draw(st.lists(WORDS, max_size=2, unique_by=lambda w: w.casefold())))]
    for item in [*clusters, *ideas]:  # a capitalisation: each item's group and its dots there
        group = draw(st.sampled_from([None, *(g["id"] for g in sources)]))
        if group is not None:
            item.update(source=group, source_votes=draw(st.sampled_from([None, 0, 3])))
    dots = sum(c["votes"] for c in clusters) + sum(i["votes"] for i in ideas)
    settings = {"show_authors": True, "vote_budget": 5, "vote_cap": 3, "vote_on": "all", "tallies": "hidden"}
    return {"format": "essaim.workshop", "schema": 1, "exported_at": 0.0,
            "room": {"title": draw(WORDS), "template": "remue-meninges", "lang": draw(st.sampled_from(["fr", "en"])),
                     "phase": "results", "created_at": draw(st.floats(1e9, 1.79e9)), "settings": settings},
            "prompts": prompts, "clusters": clusters, "ideas": ideas, "actions": actions, "voters": dots,
            "sources": sources}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents())
def test_generated_rooms_round_trip(client: TestClient, doc: dict[str, Any]) -> None:
    created = import_api(client, doc)
    assert created.status_code == 201, created.text
    body = created.json()
    once = export_json(client, body["id"], body["facilitator_token"])
    expected = content({**doc, "room": {**doc["room"], "settings": once["room"]["settings"]}})
    assert content(once) == expected
    again = import_api(client, once).json()
    assert content(export_json(client, again["id"], again["facilitator_token"])) == content(once)
