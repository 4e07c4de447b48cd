"""Near-duplicate hints: French normalisation, pairs, and who may ask."""

from __future__ import annotations

from starlette.testclient import TestClient

from app import similar
from app.similar import Item
from tests.conftest import Room
from tests.test_facilitation import expect_ok


def test_normalising_ignores_case_accents_apostrophes_and_small_words() -> None:
    assert similar.normalise("L’Été de la Fête d'ŒUVRE !") == similar.normalise("ete fete oeuvre")


def test_pairs_are_closest_first_and_each_item_in_one_pair_at_most() -> None:
    items = [Item("1", "idea", "Une fête de quartier"), Item("2", "idea", "fête du quartier !"),
             Item("3", "idea", "Des jeux en bois"), Item("4", "idea", "Jeux en bois pour les petits"),
             Item("5", "idea", "La fête du quartier"), Item("6", "idea", "Un concert")]
    found = similar.pairs(items)
    assert [(p.a.id, p.b.id) for p in found] == [("1", "2")]  # "5" would repeat them; "4" is too different
    assert found[0].score == 100


def test_ideas_already_together_are_no_hint() -> None:
    items = [Item("c", "cluster", "Fête de quartier"), Item("1", "idea", "Une fête de quartier", group="c"),
             Item("2", "idea", "La fête de quartier", group="c")]
    assert similar.pairs(items) == []
    assert similar.pairs([Item("1", "idea", "..."), Item("2", "idea", "!!")]) == []  # nothing left once normalised


def test_the_hints_follow_what_the_reader_may_see(client: TestClient) -> None:
    room = Room(client, template="journee-citoyenne", phase="lobby")  # private writing
    fac = room.connect(room.facilitator_token)
    expect_ok(fac, "room.phase", phase="write")
    alice_token = room.join("Alice")
    alice = room.connect(alice_token)
    prompt = alice.first["prompts"][0]["id"]
    for text in ("Une fête de quartier", "La fête du quartier"):
        expect_ok(alice, "idea.add", prompt=prompt, text=text)
    bob_token = room.join("Bob")
    url = f"/rooms/{room.id}/similar.json"
    assert client.get(url, headers={"authorization": f"Bearer {bob_token}"}).status_code == 403  # private view
    assert client.get(url).status_code == 403  # nobody
    fac_view = client.get(url, headers={"authorization": f"Bearer {room.facilitator_token}"}).json()
    assert len(fac_view["pairs"]) == 1
    expect_ok(fac, "room.phase", phase="group")
    bob_view = client.get(url, headers={"authorization": f"Bearer {bob_token}"})
    assert bob_view.status_code == 200 and bob_view.headers["cache-control"] == "no-store"
    assert {bob_view.json()["pairs"][0]["a"]["text"], bob_view.json()["pairs"][0]["b"]["text"]} == {
        "Une fête de quartier", "La fête du quartier"}
    fac.close()
    alice.close()


def test_in_a_capitalisation_room_pairs_across_two_groups_come_first() -> None:
    """Same-group pairs, however close, must not take the places of those across groups."""
    within = [Item(f"a{i}", "idea", f"Atelier cuisine numéro {i}", source="A") for i in range(2 * similar.MAX_PAIRS)]
    within += [Item(f"b{i}", "idea", f"Atelier cuisine numéro {i}!", source="A") for i in range(2 * similar.MAX_PAIRS)]
    across = [Item("x", "idea", "Une fête de quartier", source="A"), Item("y", "idea", "La fête du quartier", source="B")]
    found = similar.pairs(within + across)
    assert len(found) == similar.MAX_PAIRS and (found[0].a.id, found[0].b.id) == ("x", "y")
    plain = [Item(i.id, i.kind, i.text) for i in within + across]  # no groups: by score, then order
    assert similar.pairs(plain)[0].a.id != "x"
