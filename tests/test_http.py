"""Pages, forms and the JSON API through Starlette's TestClient."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from app import limits
from tests.conftest import ORIGIN, Room

SAME_ORIGIN = {"origin": ORIGIN}


def create_from_home(client: TestClient, title: str = "Journée citoyenne 2027", template: str = "journee-citoyenne"):
    return client.post("/rooms", data={"title": title, "template": template, "name": "Sam"},
                       headers=SAME_ORIGIN, follow_redirects=False)


def test_home_page_is_french_and_offers_the_templates(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "Journée citoyenne" in page.text and "Remue-méninges libre" in page.text


def test_english_follows_the_browser(client: TestClient) -> None:
    page = client.get("/", headers={"accept-language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert '<html lang="en">' in page.text and "Create the workshop" in page.text


def test_creating_from_the_home_page_makes_you_facilitator_of_a_new_room(client: TestClient) -> None:
    response = create_from_home(client)
    assert response.status_code == 303
    location = response.headers["location"]
    room_id = re.fullmatch(r"/rooms/([A-Za-z0-9_-]{22})\?bienvenue=1", location).group(1)  # type: ignore[union-attr]
    cookie = response.headers["set-cookie"]
    assert f"essaim_{room_id}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    page = client.get(location)
    assert page.status_code == 200 and "Journée citoyenne 2027" in page.text
    assert "essaim-config" in page.text and '"role": "facilitator"' in page.text.replace('":"', '": "')


def test_an_invalid_form_says_why_and_creates_nothing(client: TestClient) -> None:
    response = create_from_home(client, title="   ")
    assert response.status_code == 400 and 'role="alert"' in response.text
    response = create_from_home(client, template="nope")
    assert response.status_code == 400


def test_joining_from_the_link_sets_a_lasting_identity(client: TestClient, room: Room) -> None:
    page = client.get(f"/rooms/{room.id}")
    assert page.status_code == 200 and 'name="name"' in page.text
    assert "Vos données" in page.text and "90 jours" in page.text  # the information notice
    proposed = re.search(r'id="name"[^>]*value="([^"]+)"', page.text, re.S)
    assert proposed and proposed.group(1).strip()
    joined = client.post(f"/rooms/{room.id}/join", data={"name": " Dominique\u202e "}, headers=SAME_ORIGIN,
                         follow_redirects=False)
    assert joined.status_code == 303
    again = client.get(f"/rooms/{room.id}")  # the cookie jar now holds the identity
    assert "Vous êtes Dominique" in again.text and 'name="name"' not in again.text


def test_pseudonyms_are_cleaned_and_limited(client: TestClient, room: Room) -> None:
    too_long = client.post(f"/api/rooms/{room.id}/participants", json={"name": "x" * (limits.PSEUDONYM_MAX + 1)})
    assert too_long.status_code == 422 and too_long.json()["error"] == "text.too_long"
    invisible = client.post(f"/api/rooms/{room.id}/participants", json={"name": "\u200b\u202e\u2066"})
    assert invisible.status_code == 422 and invisible.json()["error"] == "text.empty"
    ok = client.post(f"/api/rooms/{room.id}/participants", json={"name": "  Zoé \t la\u00a0 pie "})
    assert ok.status_code == 201 and ok.json()["name"] == "Zoé la pie"


def test_unknown_room_is_a_clear_not_found_and_never_a_new_room(client: TestClient) -> None:
    for path in ("/rooms/doesnotexist", "/rooms/doesnotexist/animer", "/nowhere"):
        page = client.get(path)
        assert page.status_code == 404 and "Atelier introuvable" in page.text or path == "/nowhere"
    joined = client.post("/api/rooms/doesnotexist/participants", json={"name": "A"})
    assert joined.status_code == 404 and joined.json()["error"] == "room.not_found"
    form = client.post("/rooms/doesnotexist/join", data={"name": "A"}, headers=SAME_ORIGIN)
    assert form.status_code == 404


def test_api_creates_and_joins_with_json_only(client: TestClient) -> None:
    created = client.post("/api/rooms", json={"title": "Bilan", "template": "bilan"})
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "join_url", "facilitator_url", "facilitator_token"}
    assert body["join_url"] == f"{ORIGIN}/rooms/{body['id']}"
    assert body["facilitator_url"].endswith(f"/animer#{body['facilitator_token']}")  # secret in the fragment
    as_form = client.post("/api/rooms", data={"title": "x"})
    assert as_form.status_code == 415
    extra = client.post("/api/rooms", json={"title": "x", "admin": True})
    assert extra.status_code == 422 and extra.json()["params"]["field"] == "admin"
    wrong_type = client.post("/api/rooms", json={"title": 12})
    assert wrong_type.status_code == 422
    huge = client.post("/api/rooms", content=b'{"title": "' + b"x" * 20000 + b'"}',
                       headers={"content-type": "application/json"})
    assert huge.status_code == 413


def test_facilitator_link_claims_facilitator_rights_in_another_browser(client: TestClient, room: Room) -> None:
    claim = client.post(f"/rooms/{room.id}/claim", json={"token": room.facilitator_token}, headers=SAME_ORIGIN)
    assert claim.status_code == 200 and "HttpOnly" in claim.headers["set-cookie"]
    page = client.get(f"/rooms/{room.id}")
    assert '"role": "facilitator"' in page.text.replace('":"', '": "')
    link = client.post(f"/rooms/{room.id}/facilitator-link", headers=SAME_ORIGIN)
    assert link.status_code == 200 and "/animer#" in link.json()["url"]


def test_a_participant_token_does_not_claim_facilitator_rights(client: TestClient, room: Room) -> None:
    token = room.join("Alice")
    assert client.post(f"/rooms/{room.id}/claim", json={"token": token}, headers=SAME_ORIGIN).status_code == 403
    assert client.post(f"/rooms/{room.id}/claim", json={"token": "forged"}, headers=SAME_ORIGIN).status_code == 403
    denied = client.post(f"/rooms/{room.id}/facilitator-link", headers={**SAME_ORIGIN, "authorization": f"Bearer {token}"})
    assert denied.status_code == 403


# Security headers on every answer and the refusal of every cross-site POST: tests/test_http_scan.py,
# over every route the app declares.


def test_pages_have_no_inline_script_and_no_third_party_address(client: TestClient, room: Room) -> None:
    client.post(f"/rooms/{room.id}/join", data={"name": "Alice"}, headers=SAME_ORIGIN)
    for path in ("/", f"/rooms/{room.id}", f"/rooms/{room.id}/animer"):
        html = client.get(path).text
        for script in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
            attributes, body = script
            assert "src=" in attributes or 'type="application/json"' in attributes, script
        assert not re.search(r"(src|href)=\"(https?:)?//", html), path


def test_qr_code_is_an_svg_of_the_join_link(client: TestClient, room: Room) -> None:
    response = client.get(f"/rooms/{room.id}/qr.svg")
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.lstrip().startswith("<svg") and "<script" not in response.text
    assert client.get("/rooms/nope/qr.svg").status_code == 404


def test_no_secret_key_leaks_and_it_persists(settings) -> None:
    key_file = settings.data_dir / "secret_key"
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600


def test_own_forms_under_no_referrer_policy_are_accepted(client: TestClient, room: Room) -> None:
    """Browsers send `Origin: null` for our forms because of `Referrer-Policy: no-referrer`."""
    ours = {"origin": "null", "sec-fetch-site": "same-origin"}
    assert client.post(f"/rooms/{room.id}/join", data={"name": "Léa"}, headers=ours,
                       follow_redirects=False).status_code == 303
    theirs = {"origin": "null", "sec-fetch-site": "cross-site"}
    assert client.post(f"/rooms/{room.id}/join", data={"name": "x"}, headers=theirs).status_code == 403
    assert client.post(f"/rooms/{room.id}/join", data={"name": "x"}, headers={"origin": "null"}).status_code == 403
