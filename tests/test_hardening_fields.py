"""Hostile fields in every command and every form.

Each command type of `protocol.COMMAND_TYPES` needs a valid payload builder below: a new
command without one fails `test_every_command_has_a_valid_payload_builder`. Each field of
each command (its optional ones too, and `op_id`) then receives every hostile value.
What must hold: a clear error code (or, for a text, the text stored cleaned), nothing
stored when refused, the others unaffected, the socket open, no error in the logs.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from app import limits, protocol, pseudonyms
from app.errors import CODES
from tests.conftest import Room, Socket, op_id, table_counts

# name -> a JSON fragment, written by hand where Python's json would refuse or fix it.
HOSTILE: dict[str, str] = {
    "html": json.dumps("<script>alert(1)</script><img src=x onerror=alert(1)>"),
    "css": json.dumps("red;background:url(javascript:alert(1))"),
    "css-break-out": json.dumps('#fff"><style>*{display:none}</style>'),
    "nan": "NaN",
    "infinity": "Infinity",
    "minus-infinity": "-Infinity",
    "huge-int": "1" + "0" * 400,
    "huge-float": "1e400",
    "int-64": str(2**64),
    "negative": "-1",
    "deep-list": "[" * 3000 + "]" * 3000,
    "deep-object": '{"a":' * 3000 + "1" + "}" * 3000,
    "lone-surrogate": '"\\ud800"',
    "lone-low-surrogate": '"a\\udfffb"',
    "rtl-override": json.dumps("\u202eevil\u202c ok"),
    "zero-width": json.dumps("a\u200b\u200c\u200d\ufeff\u2060b"),
    "combining-10000": json.dumps("a" + "\u0301" * 10000),
    "combining-3000": json.dumps("a" + "\u0301" * 3000 + "b"),
    "log-forging": json.dumps("ok\n2025-01-01 12:00:00 ERROR essaim: forged line\r\nINFO again"),
    "nul": json.dumps("a\x00b"),
    "long": json.dumps("x" * 5000),
    "facilitator-label": json.dumps("Animateur·rice"),
    "true": "true",
    "null": "null",
    "list": "[]",
    "object": "{}",
}
INVISIBLE = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
             "\u200b", "\u200e", "\u200f", "\ufeff", "\u2060", "\x00"}


@dataclass
class Ctx:
    prompt: str
    idea: str
    cluster: str
    person: str  # a participant's public id
    action: str = ""  # a roadmap action (rooms set up in "roadmap")


Builder = Callable[[Ctx], dict[str, Any]]
# type -> (phase to run it in as a facilitator, the valid fields). Add one for every new command.
BUILDERS: dict[str, tuple[str, Builder]] = {
    "idea.add": ("group", lambda c: {"prompt": c.prompt, "text": "une idée", "colour": "blue"}),
    "idea.edit": ("group", lambda c: {"idea": c.idea, "text": "autre", "colour": "pink"}),
    "idea.delete": ("group", lambda c: {"idea": c.idea}),
    "idea.hide": ("group", lambda c: {"idea": c.idea, "hidden": True}),
    "room.phase": ("group", lambda c: {"phase": "vote"}),
    "room.configure": ("group", lambda c: {"locked": False}),
    "timer.start": ("group", lambda c: {"seconds": 60}),
    "timer.add": ("group", lambda c: {"seconds": 30}),
    "timer.pause": ("group", lambda c: {}),
    "timer.resume": ("group", lambda c: {}),
    "timer.stop": ("group", lambda c: {}),
    "prompt.add": ("group", lambda c: {"title": "Une question"}),
    "prompt.rename": ("group", lambda c: {"prompt": c.prompt, "title": "Renommée"}),
    "prompt.delete": ("group", lambda c: {"prompt": c.prompt}),
    "participant.remove": ("group", lambda c: {"participant": c.person}),
    "participant.leave": ("group", lambda c: {}),  # sent by the creator: refused, participant.creator_leaves
    "participant.role": ("group", lambda c: {"participant": c.person, "role": "participant"}),
    "cluster.create": ("group", lambda c: {"ideas": [c.idea], "title": "Groupe"}),
    "ideas.move": ("group", lambda c: {"ideas": [c.idea], "cluster": c.cluster}),
    "cluster.rename": ("group", lambda c: {"cluster": c.cluster, "title": "Nom"}),
    "cluster.merge": ("group", lambda c: {"cluster": c.cluster, "into": c.cluster}),
    "cluster.dissolve": ("group", lambda c: {"cluster": c.cluster}),
    "cluster.move": ("group", lambda c: {"cluster": c.cluster}),
    "group.undo": ("group", lambda c: {}),
    "vote.add": ("vote", lambda c: {"item": c.idea}),
    "vote.remove": ("vote", lambda c: {"item": c.idea}),
    "action.add": ("roadmap", lambda c: {"title": "Une action", "description": "Détails", "owners": ["Mairie"],
                                         "partners": ["Centre social"], "horizon": "3m", "due": "2027-03-01",
                                         "status": "todo", "source": {"kind": "cluster", "id": c.cluster}}),
    "action.edit": ("roadmap", lambda c: {"action": c.action, "title": "Autre", "owners": ["Association"]}),
    "action.delete": ("roadmap", lambda c: {"action": c.action}),
    "action.move": ("roadmap", lambda c: {"action": c.action}),
    "action.undo": ("roadmap", lambda c: {}),
}


def command_model(frame_type: str) -> type[Any]:
    for model in protocol.Command.__args__:  # type: ignore[attr-defined]
        if model.model_fields["type"].annotation.__args__[0] == frame_type:
            return model  # type: ignore[no-any-return]
    raise KeyError(frame_type)


def hostile_frames(frame_type: str, ctx: Ctx) -> list[tuple[str, str]]:
    """(label, raw JSON) for every field of the command, valid ones included, and `op_id`."""
    base = {"type": frame_type, "op_id": "", **BUILDERS[frame_type][1](ctx)}
    fields = [name for name in command_model(frame_type).model_fields if name != "type"]
    frames = []
    for field in fields:
        for label, fragment in HOSTILE.items():
            frame = {**base, field: "\x00HOSTILE"}
            if field != "op_id":
                frame["op_id"] = op_id()
            raw = json.dumps(frame).replace(json.dumps("\x00HOSTILE"), fragment)
            frames.append((f"{field}={label}", raw))
    frames.append(("extra-field", json.dumps({**base, "op_id": op_id(), "__proto__": {"admin": True}})))
    return frames


def assert_clean(value: Any, where: str) -> None:
    """Whatever the server accepted and sends on holds no disguise and no forged line."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert_clean(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            assert_clean(item, where)
    elif isinstance(value, str):
        assert not INVISIBLE & set(value), (where, value)
        assert "\r" not in value and not any(unicodedata.category(ch) in ("Cs", "Cc") and ch != "\n"
                                             for ch in value), (where, value)
        run = 0
        for ch in value:
            run = run + 1 if unicodedata.combining(ch) else 0
            assert run <= 3, (where, "combining run")


@pytest.fixture
def unlimited(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test sends a thousand frames on purpose: lift the rate limits (tested elsewhere)."""
    monkeypatch.setattr(limits, "COMMAND_BURST", 10**6)
    monkeypatch.setattr(limits, "FRAME_BURST", 10**6)


def setup_room(room: Room, phase: str) -> tuple[Socket, Socket, Ctx]:
    facilitator = room.connect(room.facilitator_token)
    prompt = facilitator.first["prompts"][0]["id"]
    facilitator.command("idea.add", prompt=prompt, text="graine")
    idea = facilitator.receive_until("idea.added")["idea"]
    response = room.client.post(f"/api/rooms/{room.id}/participants", json={"name": "Témoin"})
    witness_token, person = response.json()["token"], response.json()["id"]
    facilitator.command("room.phase", phase="group")
    facilitator.receive_until("phase.changed")
    facilitator.command("cluster.create", ideas=[], prompt=prompt, title="Un groupe")
    cluster = facilitator.receive_until("group.changed")["clusters"][0]["cluster"]
    if phase != "group":
        facilitator.command("room.phase", phase=phase)
        facilitator.receive_until("phase.changed")
    action = ""
    if phase == "roadmap":
        facilitator.command("action.add", title="Une action")
        action = facilitator.receive_until("action.changed")["action"]
    witness = room.connect(witness_token)
    return facilitator, witness, Ctx(prompt, idea, cluster, person, action)


def answers_until_pong(socket: Socket) -> list[dict[str, Any]]:
    socket.send({"type": "ping"})
    frames = []
    while (frame := socket.receive())["type"] != "pong":
        frames.append(frame)
    return frames


def test_every_command_has_a_valid_payload_builder() -> None:
    missing = sorted(protocol.COMMAND_TYPES - set(BUILDERS))
    assert not missing, f"add a valid payload builder to BUILDERS in {__file__} for: {missing}"


@pytest.mark.parametrize("frame_type", sorted(protocol.COMMAND_TYPES))
def test_hostile_values_in_every_field_of_every_command(
        frame_type: str, room: Room, unlimited: None, caplog: pytest.LogCaptureFixture) -> None:
    if frame_type not in BUILDERS:
        pytest.fail(f"no valid payload builder for {frame_type!r} in BUILDERS")
    caplog.set_level(logging.INFO)
    facilitator, witness, ctx = setup_room(room, BUILDERS[frame_type][0])
    start_seq = room.connect(room.facilitator_token).first["seq"]
    accepted: set[int] = set()
    for label, raw in hostile_frames(frame_type, ctx):
        expected = protocol.parse(raw)
        facilitator.session.send_text(raw)
        if isinstance(expected, protocol.Rejection):  # refused by the parser, answered at once
            frames = answers_until_pong(facilitator)
            errors = [f for f in frames if f["type"] == "error"]
            assert [e["code"] for e in errors] == [expected.code], (label, frames)
            assert not [f for f in frames if "seq" in f], (label, frames)
            continue
        # Valid to the parser (a hostile *text*): the domain answers, cleaned or refused.
        while (reply := facilitator.receive()).get("op_id") != expected.op_id:
            pass
        assert reply["type"] != "ack", label
        if reply["type"] == "error":
            assert reply["code"] in CODES, (label, reply)
        else:
            assert_clean(reply, label)
            accepted.add(reply["seq"])
    # The others are unaffected: they heard exactly what was stored, and they still talk.
    heard = {f["seq"] for f in answers_until_pong(witness) if "seq" in f}
    fresh = room.connect(room.facilitator_token)
    assert fresh.first["seq"] == start_seq + len(accepted)
    assert heard == accepted  # the witness heard every stored event, and nothing else
    assert_clean(fresh.first, "snapshot")
    assert answers_until_pong(facilitator) is not None
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]
    assert not any("forged" in r.getMessage() for r in caplog.records)
    for socket in (facilitator, witness, fresh):
        socket.close()


# -- forms and the JSON API ----------------------------------------------------------------------

def counts(room_or_client: Any) -> tuple[int, ...]:
    return table_counts(room_or_client.app, "room", "participant", "idea")


def hostile_strings() -> dict[str, str]:
    """The hostile values a form can carry (forms have only strings; no surrogate survives UTF-8)."""
    out = {}
    for label, fragment in HOSTILE.items():
        try:
            value = json.loads(fragment)
        except (ValueError, RecursionError):
            value = fragment  # NaN, deep JSON…: as the literal text a person could type
        if isinstance(value, str) and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            out[label] = value
        elif not isinstance(value, str):
            out[label] = fragment
    return out


@pytest.mark.parametrize("label,value", sorted(hostile_strings().items()))
def test_hostile_values_in_the_home_and_join_forms(client: TestClient, room: Room, label: str, value: str) -> None:
    before = counts(client)
    created = client.post("/rooms", data={"title": value, "template": "remue-meninges", "name": value},
                          follow_redirects=False)
    assert created.status_code in (303, 400, 413), label  # 413: a form over 16 KiB
    if created.status_code >= 400:
        assert counts(client) == before
        assert "<script>" not in created.text and "Traceback" not in created.text
    bad_template = client.post("/rooms", data={"title": "Atelier", "template": value}, follow_redirects=False)
    assert bad_template.status_code in (400, 413)
    before = counts(client)
    joined = client.post(f"/rooms/{room.id}/join", data={"name": value}, follow_redirects=False)
    if label == "facilitator-label":
        assert joined.status_code == 400 and "réservé à l’animation" in joined.text
    assert joined.status_code in (303, 400), label
    if joined.status_code == 400:
        assert counts(client) == before
    else:
        page = client.get(f"/rooms/{room.id}")
        assert "<script>alert" not in page.text  # autoescaped wherever the name shows
    looked_up = client.post("/join-code", data={"code": value}, follow_redirects=False)
    assert looked_up.status_code in (404, 429) and "Traceback" not in looked_up.text


@pytest.mark.parametrize("label,fragment", sorted(HOSTILE.items()))
def test_hostile_values_in_the_json_api(client: TestClient, room: Room, label: str, fragment: str) -> None:
    bodies = {
        "/api/rooms": ['{"title": %s}', '{"title": "Atelier", "name": %s}', '{"title": "Atelier", "template": %s}',
                       '{"title": "Atelier", "lang": %s}', '{"title": "Atelier", "phase": %s}', "%s"],
        f"/api/rooms/{room.id}/participants": ['{"name": %s}', "%s", '{"name": "Camille", "extra": %s}'],
        f"/rooms/{room.id}/claim": ['{"token": %s}', "%s"],
    }
    for path, templates in bodies.items():
        for template in templates:
            before = counts(client)
            response = client.post(path, content=template % fragment, headers={"content-type": "application/json"})
            if response.status_code < 300:  # a hostile text that is fine once cleaned
                assert path != f"/rooms/{room.id}/claim"
                assert_clean(response.json(), label)
                continue
            body = response.json()
            assert 400 <= response.status_code < 500 and body["error"] in CODES, (label, template, body)
            assert counts(client) == before, (label, template)
            assert "Traceback" not in response.text


@pytest.mark.parametrize("name", [
    "Animateur·rice", "animatrice", "ANIMATION", "Facilitator", "Аnimatrice", "Anim\u200bateur",
    "l'animation", "Camille (animatrice)", "Modérateur", "Faci-litatrice", "Organisatrice du jour",
    "4nimateur", "Animateurs", "ADMIN",
])
def test_a_pseudonym_that_passes_for_the_facilitators_is_refused(client: TestClient, room: Room, name: str) -> None:
    assert pseudonyms.reserved(name)
    before = counts(client)
    response = client.post(f"/api/rooms/{room.id}/participants", json={"name": name})
    assert response.status_code == 422 and response.json()["error"] == "name.reserved"
    assert counts(client) == before


@pytest.mark.parametrize("name", ["Camille", "Camille Animalière", "Anima", "Loutre rieuse", "Modeste",
                                  "Adminah", "Fa Ci", "Léa-Organza"])
def test_ordinary_pseudonyms_are_not_reserved(name: str) -> None:
    assert not pseudonyms.reserved(name)
