"""Who may open workshops: off by default; with `ESSAIM_ORGANISER_PASSPHRASE`, only its holders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app import organisers, settings as settings_module
from app.main import create_app
from tests.conftest import ORIGIN, make_settings
from tests.test_hardening_fields import counts

PASSPHRASE = "ruche-du-departement-2026"
ACCENTED = "ruche-du-département-2026"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
FORM = {"title": "Atelier", "template": "remue-meninges", "name": "Sami"}
API = {"title": "Atelier", "template": "remue-meninges"}


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp_path / "data", ESSAIM_ORGANISER_PASSPHRASE=PASSPHRASE))
    with TestClient(app, base_url=ORIGIN) as test_client:
        yield test_client


def test_the_setting_is_off_by_default_and_documented(tmp_path: Path, client: TestClient) -> None:
    assert settings_module.load(environ={"ESSAIM_DATA_DIR": str(tmp_path)}, env_file=None).organiser_passphrase == ""
    assert "`ESSAIM_ORGANISER_PASSPHRASE`" in DOCS.read_text() and "Authorization: Organiser" in DOCS.read_text()
    assert client.post("/api/rooms", json=API).status_code == 201  # off: anyone opens a workshop
    assert client.post("/rooms", data=FORM, follow_redirects=False).status_code == 303
    assert 'name="organiser"' not in client.get("/").text


def test_a_short_passphrase_is_refused_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ESSAIM_ORGANISER_PASSPHRASE"):
        make_settings(tmp_path, ESSAIM_ORGANISER_PASSPHRASE="court")


@pytest.mark.parametrize("header", [None, "", "Organiser ", "Organiser ruche", f"Bearer {PASSPHRASE}",
                                    f"Organiser {PASSPHRASE}x", f"Organiser {PASSPHRASE[:-1]}"])
def test_the_api_wants_the_passphrase(guarded: TestClient, header: str | None) -> None:
    before = counts(guarded)
    headers = {} if header is None else {"authorization": header}
    refused = guarded.post("/api/rooms", json=API, headers=headers)
    assert refused.status_code == 403 and refused.json()["error"] == "room.create_forbidden"
    assert counts(guarded) == before
    ok = guarded.post("/api/rooms", json=API, headers={"authorization": f"organiser {PASSPHRASE}"})
    assert ok.status_code == 201 and counts(guarded)[0] == before[0] + 1


def test_the_home_page_asks_for_it_and_never_echoes_it(guarded: TestClient) -> None:
    page = guarded.get("/")
    assert 'name="organiser"' in page.text and 'type="password"' in page.text and PASSPHRASE not in page.text
    before = counts(guarded)
    wrong = guarded.post("/rooms", data={**FORM, "organiser": "pas-la-bonne-phrase"}, follow_redirects=False)
    assert wrong.status_code == 403 and "phrase secrète d’organisation" in wrong.text
    assert "pas-la-bonne-phrase" not in wrong.text and 'value="Atelier"' in wrong.text  # the rest is kept
    assert guarded.post("/rooms", data=FORM, follow_redirects=False).status_code == 403
    assert counts(guarded) == before
    right = guarded.post("/rooms", data={**FORM, "organiser": PASSPHRASE}, follow_redirects=False)
    assert right.status_code == 303 and counts(guarded)[0] == before[0] + 1


def test_a_passphrase_with_accents_works_from_the_form_and_the_api(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "data", ESSAIM_ORGANISER_PASSPHRASE=ACCENTED))
    with TestClient(app, base_url=ORIGIN) as accented:
        assert accented.post("/rooms", data={**FORM, "organiser": ACCENTED}, follow_redirects=False).status_code == 303
        header = b"Organiser " + ACCENTED.encode("utf-8")
        assert accented.post("/api/rooms", json=API, headers=[(b"authorization", header)]).status_code == 201
        assert accented.post("/api/rooms", json=API, headers={"authorization": f"Organiser {PASSPHRASE}"}).status_code == 403


def test_joining_never_needs_it(guarded: TestClient) -> None:
    room = guarded.post("/api/rooms", json=API, headers={"authorization": f"Organiser {PASSPHRASE}"}).json()
    assert guarded.post(f"/api/rooms/{room['id']}/participants", json={"name": "Camille"}).status_code == 201
    assert guarded.post(f"/rooms/{room['id']}/join", data={"name": "Léa"}, follow_redirects=False).status_code == 303


def test_guessing_is_rate_limited_per_address(guarded: TestClient) -> None:
    codes = [guarded.post("/api/rooms", json=API, headers={"authorization": f"Organiser essai-{i:08d}"}).status_code
             for i in range(12)]
    assert codes[:10] == [403] * 10 and codes[10:] == [429, 429]
    # Even the right one waits: otherwise the limit would not slow a guesser down.
    late = guarded.post("/api/rooms", json=API, headers={"authorization": f"Organiser {PASSPHRASE}"})
    assert late.status_code == 429 and late.json()["error"] == "room.create_rate_limited"


def test_the_comparison_is_exact() -> None:
    on = settings_module.Settings(**{**vars(make_settings(Path("/tmp/essaim-unused"))),
                                     "organiser_passphrase": PASSPHRASE})
    assert organisers.may_create(on, PASSPHRASE)
    for guess in (None, "", PASSPHRASE.upper(), PASSPHRASE + " ", " " + PASSPHRASE, PASSPHRASE[:-1], "\ud800"):
        assert not organisers.may_create(on, guess), guess
