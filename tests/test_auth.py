"""app.auth: signed tokens (one salt per purpose, max_age always) and random identifiers."""

from __future__ import annotations

import base64
import re
import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from app import limits
from app.auth import Grant, Tokens, author_tag, new_id, new_room_id, new_secret

SECRET = "test-secret-key-" + "k" * 32
ROOM = "room-AAAAAAAAAAAAAAAAAAAA"
OTHER_ROOM = "room-BBBBBBBBBBBBBBBBBBBB"
T0 = 1_750_000_000.0
URLSAFE = re.compile(r"^[A-Za-z0-9_-]+$")


@pytest.fixture
def tokens() -> Tokens:
    return Tokens(SECRET)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A settable clock for itsdangerous (it reads `time.time()` when signing and reading)."""
    now = [T0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


# --- round trips --------------------------------------------------------------------------------

def test_participant_token_round_trip(tokens: Tokens) -> None:
    assert tokens.read(tokens.participant(ROOM, "person-1"), ROOM) == Grant(ROOM, "person-1", None)


@pytest.mark.parametrize("version", [1, 2, 57])
def test_facilitator_token_round_trip(tokens: Tokens, version: int) -> None:
    assert tokens.read(tokens.facilitator(ROOM, "facil-1", version), ROOM) == Grant(ROOM, "facil-1", version)


def test_tokens_survive_a_restart_with_the_same_key() -> None:
    token = Tokens(SECRET).facilitator(ROOM, "facil-1", 3)
    assert Tokens(SECRET).read(token, ROOM) == Grant(ROOM, "facil-1", 3)


def test_tokens_are_url_safe_and_short(tokens: Tokens) -> None:
    for token in (tokens.participant(ROOM, "person-1"), tokens.facilitator(ROOM, "facil-1", 1)):
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+", token) and len(token) <= 512


# --- refusals -----------------------------------------------------------------------------------

def _flip(token: str, index: int) -> str:
    ch = token[index]
    return token[:index] + ("A" if ch != "A" else "B") + token[index + 1:]


def test_other_room_is_refused(tokens: Tokens) -> None:
    assert tokens.read(tokens.participant(ROOM, "person-1"), OTHER_ROOM) is None
    assert tokens.read(tokens.facilitator(ROOM, "facil-1", 1), OTHER_ROOM) is None


@pytest.mark.parametrize("forge", [
    pytest.param(lambda t: _flip(t, -1), id="signature changed"),
    pytest.param(lambda t: _flip(t, 3), id="payload changed"),
    pytest.param(lambda t: t.rsplit(".", 1)[0], id="signature removed"),
    pytest.param(lambda t: t + "x", id="signature extended"),
    pytest.param(lambda t: "", id="empty"),
    pytest.param(lambda t: "not-a-token", id="garbage"),
    pytest.param(lambda t: "." * 3, id="only dots"),
    pytest.param(lambda t: t + "A" * 600, id="too long"),
    pytest.param(lambda t: URLSafeTimedSerializer("another key", salt="essaim.participant.v1")
                 .dumps([ROOM, "person-1"]), id="other key"),
    pytest.param(lambda t: URLSafeTimedSerializer(SECRET, salt="some.other.purpose")
                 .dumps([ROOM, "person-1"]), id="other salt"),
    pytest.param(lambda t: URLSafeTimedSerializer(SECRET).dumps([ROOM, "person-1"]), id="no salt"),
])
def test_forged_tokens_are_refused(tokens: Tokens, forge) -> None:  # type: ignore[no-untyped-def]
    assert tokens.read(forge(tokens.participant(ROOM, "person-1")), ROOM) is None


@pytest.mark.parametrize(("salt", "payload"), [
    ("essaim.participant.v1", [ROOM]),
    ("essaim.participant.v1", [ROOM, 42]),
    ("essaim.participant.v1", [ROOM, None]),
    ("essaim.participant.v1", {"room": ROOM, "id": "p"}),
    ("essaim.participant.v1", ROOM),
    ("essaim.facilitator.v1", [ROOM, "facil-1"]),
    ("essaim.facilitator.v1", [ROOM, "facil-1", "1"]),
    ("essaim.facilitator.v1", [ROOM, "facil-1", 1.5]),
    ("essaim.facilitator.v1", [ROOM, 7, 1]),
    ("essaim.facilitator.v1", [ROOM, "facil-1", 1, "extra"]),
])
def test_validly_signed_but_malformed_payloads_are_refused(tokens: Tokens, salt: str, payload: object) -> None:
    token = URLSafeTimedSerializer(SECRET, salt=salt).dumps(payload)
    assert tokens.read(token, ROOM) is None


def test_participant_token_never_grants_facilitator_rights(tokens: Tokens) -> None:
    # Even a participant token whose payload looks like a facilitator's stays a participant grant.
    looks_like_facilitator = URLSafeTimedSerializer(SECRET, salt="essaim.participant.v1").dumps([ROOM, "p", 1])
    assert tokens.read(looks_like_facilitator, ROOM) is None
    grant = tokens.read(tokens.participant(ROOM, "p"), ROOM)
    assert grant is not None and grant.facilitator_version is None


def test_one_salt_per_purpose(tokens: Tokens) -> None:
    participant = tokens.participant(ROOM, "p")
    facilitator = tokens.facilitator(ROOM, "p", 1)
    # the same payload signed for one purpose does not verify for the other
    as_facilitator_payload = URLSafeTimedSerializer(SECRET, salt="essaim.participant.v1").dumps([ROOM, "p", 1])
    assert tokens.read(as_facilitator_payload, ROOM) is None
    as_participant_payload = URLSafeTimedSerializer(SECRET, salt="essaim.facilitator.v1").dumps([ROOM, "p"])
    assert tokens.read(as_participant_payload, ROOM) is None
    assert tokens.read(participant, ROOM) == Grant(ROOM, "p", None)
    assert tokens.read(facilitator, ROOM) == Grant(ROOM, "p", 1)


# --- expiry -------------------------------------------------------------------------------------

P_AGE = limits.PARTICIPANT_TOKEN_MAX_AGE
F_AGE = limits.FACILITATOR_TOKEN_MAX_AGE


@pytest.mark.parametrize(("kind", "age", "valid"), [
    ("participant", 0, True),
    ("participant", P_AGE - 1, True),
    ("participant", P_AGE + 1, False),
    ("participant", F_AGE + 1, False),
    ("facilitator", 0, True),
    ("facilitator", P_AGE + 1, True),  # lives longer than a participant token
    ("facilitator", F_AGE - 1, True),
    ("facilitator", F_AGE + 1, False),
])
def test_expiry(tokens: Tokens, clock: list[float], kind: str, age: int, valid: bool) -> None:
    token = tokens.participant(ROOM, "p") if kind == "participant" else tokens.facilitator(ROOM, "p", 1)
    clock[0] = T0 + age
    grant = tokens.read(token, ROOM)
    assert (grant is not None) is valid


def test_token_from_the_future_is_refused(tokens: Tokens, clock: list[float]) -> None:
    clock[0] = T0 + 3600
    token = tokens.participant(ROOM, "p")
    clock[0] = T0
    assert tokens.read(token, ROOM) is None


def test_lifetimes_are_bounded() -> None:
    assert 0 < P_AGE <= F_AGE <= 400 * 24 * 3600


# --- identifiers --------------------------------------------------------------------------------

def _bits(token: str) -> int:
    return len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8


@pytest.mark.parametrize(("make", "length", "min_bits"), [
    (new_room_id, 22, 128),
    (new_secret, 43, 256),
    (new_id, 12, 72),
])
def test_identifiers_are_random_url_safe_and_long_enough(make, length: int, min_bits: int) -> None:  # type: ignore[no-untyped-def]
    values = {make() for _ in range(500)}
    assert len(values) == 500
    for value in values:
        assert len(value) == length and URLSAFE.match(value)
        assert _bits(value) >= min_bits


def test_room_ids_carry_at_least_128_bits() -> None:
    assert _bits(new_room_id()) >= 128


# --- author tags --------------------------------------------------------------------------------

def test_author_tag_is_stable_per_room_and_participant() -> None:
    assert author_tag("room-key-1", "person-1") == author_tag("room-key-1", "person-1")


@pytest.mark.parametrize(("a", "b"), [
    (("room-key-1", "person-1"), ("room-key-2", "person-1")),  # same person, other room
    (("room-key-1", "person-1"), ("room-key-1", "person-2")),  # same room, other person
])
def test_author_tag_differs(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert author_tag(*a) != author_tag(*b)


def test_author_tag_does_not_reveal_the_participant() -> None:
    tag = author_tag("a-long-random-room-key", "person-1")
    assert "person-1" not in tag and "person" not in tag
    assert URLSAFE.match(tag) and len(tag) == 12
    assert len({author_tag("a-long-random-room-key", f"person-{i}") for i in range(2000)}) == 2000
