"""app.domain: command + facts -> event or Rejection, as tables."""

from __future__ import annotations

from typing import Any

import pytest

from app import i18n, limits
from app.domain import Actor, IdeaFacts, RoomFacts, add_idea, delete_idea, edit_idea, idea_text
from app.errors import Rejection
from app.events import IdeaAdded, IdeaDeleted, IdeaEdited
from app.phases import PHASES
from app.protocol import IdeaAdd, IdeaDelete, IdeaEdit

ALICE = Actor("alice-id", "alice-tag", "participant")
BOB = Actor("bob-id", "bob-tag", "participant")
FACIL = Actor("facil-id", "facil-tag", "facilitator")
ACTORS = {"alice": ALICE, "bob": BOB, "facil": FACIL}
NOW = 1_700_000_000.5
OP = "op-0000001"
CAP = limits.IDEAS_PER_PARTICIPANT
ROOM_CAP = limits.IDEAS_PER_ROOM
MAX = limits.IDEA_TEXT_MAX
OTHER_PHASES = [p for p in PHASES if p != "write"]


def _code(result: object) -> str | None:
    return result.code if isinstance(result, Rejection) else None


def _add(text: str = "Un pique-nique", colour: str = "yellow") -> IdeaAdd:
    return IdeaAdd(type="idea.add", op_id=OP, prompt="prompt-1", text=text, colour=colour)  # type: ignore[arg-type]


def _alices_idea(text: str = "Texte d'origine", colour: str = "pink") -> IdeaFacts:
    return IdeaFacts(id="idea-1", author_id=ALICE.id, text=text, colour=colour)


def _assert_message_complete(rejection: Rejection) -> None:
    for lang in i18n.LANGS:
        message = i18n.translator(lang)(f"error.{rejection.code}", **rejection.params)
        assert message != f"error.{rejection.code}" and "{" not in message, (lang, message)


# --- add ----------------------------------------------------------------------------------------

# (id, actor, phase, prompt_exists, own_ideas, room_ideas, text, expected code or None)
ADD_TABLE: list[tuple[str, str, str, bool, int, int, str, str | None]] = [
    ("participant writes", "alice", "write", True, 0, 0, "Un pique-nique", None),
    *[(f"participant in {p}", "alice", p, True, 0, 0, "Un pique-nique", "phase.forbidden") for p in OTHER_PHASES],
    *[(f"facilitator in {p}", "facil", p, True, 0, 0, "Un pique-nique", None) for p in PHASES if p != "closed"],
    ("facilitator in closed", "facil", "closed", True, 0, 0, "Un pique-nique", "phase.forbidden"),
    ("prompt not found", "alice", "write", False, 0, 0, "Un pique-nique", "prompt.not_found"),
    ("facilitator, prompt not found", "facil", "write", False, 0, 0, "Un pique-nique", "prompt.not_found"),
    ("one below own cap", "alice", "write", True, CAP - 1, 0, "x", None),
    ("own cap reached", "alice", "write", True, CAP, 0, "x", "idea.too_many"),
    ("own cap exceeded", "alice", "write", True, CAP + 7, 0, "x", "idea.too_many"),
    ("facilitator own cap", "facil", "write", True, CAP, 0, "x", "idea.too_many"),
    ("one below room cap", "alice", "write", True, 0, ROOM_CAP - 1, "x", None),
    ("room cap reached", "alice", "write", True, 0, ROOM_CAP, "x", "room.full_of_ideas"),
    ("empty text", "alice", "write", True, 0, 0, "", "text.empty"),
    ("blank text", "alice", "write", True, 0, 0, " \n\t \n ", "text.empty"),
    ("invisible-only text", "alice", "write", True, 0, 0, "\u200b\u202e\u2066\ufeff\x00\x07", "text.empty"),
    ("text at the limit", "alice", "write", True, 0, 0, "x" * MAX, None),
    ("text one over the limit", "alice", "write", True, 0, 0, "x" * (MAX + 1), "text.too_long"),
    ("text over the limit raw, at it cleaned", "alice", "write", True, 0, 0, "  " + "x" * MAX + " \n\n ", None),
    ("decomposed accents count once", "alice", "write", True, 0, 0, "e\u0301" * MAX, None),
    ("multiline at the limit", "alice", "write", True, 0, 0, ("ab\n" * (MAX // 3)) + "ab", None),
    # order: authority first (phase), then the facts (prompt, caps), then the text
    ("phase before prompt", "alice", "vote", False, CAP, ROOM_CAP, "", "phase.forbidden"),
    ("prompt before caps", "alice", "write", False, CAP, ROOM_CAP, "", "prompt.not_found"),
    ("own cap before room cap", "alice", "write", True, CAP, ROOM_CAP, "", "idea.too_many"),
    ("caps before text", "alice", "write", True, 0, ROOM_CAP, "", "room.full_of_ideas"),
]


@pytest.mark.parametrize(("actor", "phase", "prompt_exists", "own", "room_ideas", "text", "expected"),
                         [pytest.param(*row[1:], id=row[0]) for row in ADD_TABLE])
def test_add_idea_table(actor: str, phase: str, prompt_exists: bool, own: int, room_ideas: int,
                        text: str, expected: str | None) -> None:
    result = add_idea(_add(text), ACTORS[actor], RoomFacts(phase, room_ideas), prompt_exists, own, "idea-9", NOW)
    assert _code(result) == expected, result
    if isinstance(result, Rejection):
        _assert_message_complete(result)
    else:
        assert isinstance(result, IdeaAdded)
        assert len(result.text) <= MAX


def test_add_idea_rejection_params() -> None:
    room = RoomFacts("write", 0)
    assert add_idea(_add(), ALICE, room, True, CAP, "i", NOW) == Rejection("idea.too_many", {"max": CAP})
    assert add_idea(_add(), ALICE, RoomFacts("write", ROOM_CAP), True, 0, "i", NOW) == \
        Rejection("room.full_of_ideas", {"max": ROOM_CAP})
    assert add_idea(_add("x" * (MAX + 1)), ALICE, room, True, 0, "i", NOW) == \
        Rejection("text.too_long", {"field": "text", "max": MAX})
    assert add_idea(_add(" "), ALICE, room, True, 0, "i", NOW) == Rejection("text.empty", {"field": "text"})
    assert add_idea(_add(), ALICE, RoomFacts("vote", 0), True, 0, "i", NOW) == \
        Rejection("phase.forbidden", {"phase": "vote", "command": "idea.add"})


def test_added_event_carries_the_facts_and_the_cleaned_text() -> None:
    event = add_idea(_add("  Un  pique-nique\r\n\r\n\r\ngéant \u202e ", "green"), ALICE, RoomFacts("write", 3),
                     True, 2, "idea-9", NOW)
    assert event == IdeaAdded(idea="idea-9", prompt="prompt-1", author_id=ALICE.id, author=ALICE.tag,
                              text="Un pique-nique\n\ngéant", colour="green", at=NOW)


def test_added_event_wire_form_hides_the_private_author_id() -> None:
    event = add_idea(_add(), ALICE, RoomFacts("write", 0), True, 0, "idea-9", NOW)
    assert isinstance(event, IdeaAdded)
    wire = event.wire()
    assert wire == {"type": "idea.added", "idea": "idea-9", "prompt": "prompt-1", "author": ALICE.tag,
                    "text": "Un pique-nique", "colour": "yellow", "at": NOW}
    assert ALICE.id not in repr(wire)


@pytest.mark.parametrize("html", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "Tom & Jerry &amp; \"co\" 'x' </textarea>",
    "{{ 7*7 }} ${7*7} {0.__class__}",
])
def test_html_is_kept_as_text(html: str) -> None:
    # No escaping in the domain: escaping belongs to whoever renders (textContent, Jinja2).
    added = add_idea(_add(html), ALICE, RoomFacts("write", 0), True, 0, "idea-9", NOW)
    assert isinstance(added, IdeaAdded) and added.text == html
    edited = edit_idea(IdeaEdit(type="idea.edit", op_id=OP, idea="idea-1", text=html), ALICE,
                       RoomFacts("write", 1), _alices_idea(), NOW)
    assert isinstance(edited, IdeaEdited) and edited.text == html


# --- edit ---------------------------------------------------------------------------------------

# (id, actor, phase, idea exists, text, colour, expected code or None)
EDIT_TABLE: list[tuple[str, str, str, bool, str | None, str | None, str | None]] = [
    ("owner in write", "alice", "write", True, "Nouveau", "blue", None),
    *[(f"owner in {p}", "alice", p, True, "Nouveau", None, "phase.forbidden") for p in OTHER_PHASES],
    ("other participant", "bob", "write", True, "Nouveau", None, "idea.not_yours"),
    ("other participant, colour only", "bob", "write", True, None, "green", "idea.not_yours"),
    ("other participant, phase first", "bob", "vote", True, "Nouveau", None, "phase.forbidden"),
    *[(f"facilitator in {p}", "facil", p, True, "Corrigé", None, None) for p in PHASES if p != "closed"],
    ("facilitator in closed", "facil", "closed", True, "Corrigé", None, "phase.forbidden"),
    ("idea not found", "alice", "write", False, "Nouveau", None, "idea.not_found"),
    ("idea not found, facilitator", "facil", "group", False, "Nouveau", None, "idea.not_found"),
    ("idea not found, phase first", "alice", "closed", False, "Nouveau", None, "phase.forbidden"),
    ("empty text", "alice", "write", True, "", None, "text.empty"),
    ("blank text", "alice", "write", True, "  \n ", "blue", "text.empty"),
    ("text at the limit", "alice", "write", True, "y" * MAX, None, None),
    ("text over the limit", "alice", "write", True, "y" * (MAX + 1), None, "text.too_long"),
    ("ownership before text", "bob", "write", True, "", None, "idea.not_yours"),
    ("nothing changed", "alice", "write", True, None, None, None),
]


@pytest.mark.parametrize(("actor", "phase", "exists", "text", "colour", "expected"),
                         [pytest.param(*row[1:], id=row[0]) for row in EDIT_TABLE])
def test_edit_idea_table(actor: str, phase: str, exists: bool, text: str | None, colour: str | None,
                         expected: str | None) -> None:
    cmd = IdeaEdit(type="idea.edit", op_id=OP, idea="idea-1", text=text, colour=colour)  # type: ignore[arg-type]
    result = edit_idea(cmd, ACTORS[actor], RoomFacts(phase, 1), _alices_idea() if exists else None, NOW)
    assert _code(result) == expected, result
    if isinstance(result, Rejection):
        _assert_message_complete(result)
    else:
        assert isinstance(result, IdeaEdited) and result.idea == "idea-1" and result.at == NOW


# (text sent, colour sent) -> (text stored, colour stored); the idea was "Texte d'origine", pink
@pytest.mark.parametrize(("text", "colour", "expected"), [
    ("Nouveau", "blue", ("Nouveau", "blue")),
    ("Nouveau", None, ("Nouveau", "pink")),
    (None, "blue", ("Texte d'origine", "blue")),
    (None, None, ("Texte d'origine", "pink")),
    ("  Nou\u200bveau \u202e", None, ("Nouveau", "pink")),
    ("ligne 1\r\nligne 2", None, ("ligne 1\nligne 2", "pink")),
])
def test_edit_keeps_what_is_omitted(text: str | None, colour: str | None, expected: tuple[str, str]) -> None:
    cmd = IdeaEdit(type="idea.edit", op_id=OP, idea="idea-1", text=text, colour=colour)  # type: ignore[arg-type]
    result = edit_idea(cmd, ALICE, RoomFacts("write", 1), _alices_idea(), NOW)
    assert isinstance(result, IdeaEdited)
    assert (result.text, result.colour) == expected
    assert result.wire() == {"type": "idea.edited", "idea": "idea-1", "text": expected[0], "colour": expected[1],
                             "at": NOW}


# --- delete -------------------------------------------------------------------------------------

# (id, actor, phase, idea exists, expected code or None)
DELETE_TABLE: list[tuple[str, str, str, bool, str | None]] = [
    ("owner in write", "alice", "write", True, None),
    *[(f"owner in {p}", "alice", p, True, "phase.forbidden") for p in OTHER_PHASES],
    ("other participant", "bob", "write", True, "idea.not_yours"),
    ("other participant in group", "bob", "group", True, "phase.forbidden"),
    *[(f"facilitator in {p}", "facil", p, True, None) for p in PHASES if p != "closed"],
    ("facilitator in closed", "facil", "closed", True, "phase.forbidden"),
    ("idea not found", "alice", "write", False, "idea.not_found"),
    ("idea not found, facilitator", "facil", "results", False, "idea.not_found"),
    ("idea not found, phase first", "bob", "lobby", False, "phase.forbidden"),
]


@pytest.mark.parametrize(("actor", "phase", "exists", "expected"),
                         [pytest.param(*row[1:], id=row[0]) for row in DELETE_TABLE])
def test_delete_idea_table(actor: str, phase: str, exists: bool, expected: str | None) -> None:
    cmd = IdeaDelete(type="idea.delete", op_id=OP, idea="idea-1")
    result = delete_idea(cmd, ACTORS[actor], RoomFacts(phase, 1), _alices_idea() if exists else None)
    assert _code(result) == expected, result
    if isinstance(result, Rejection):
        _assert_message_complete(result)
    else:
        assert result == IdeaDeleted(idea="idea-1")
        assert result.wire() == {"type": "idea.deleted", "idea": "idea-1"}


def test_delete_names_the_idea_from_the_facts_not_the_message() -> None:
    # The service looks the idea up in the connection's room; the event names that idea.
    cmd = IdeaDelete(type="idea.delete", op_id=OP, idea="idea-1")
    result = delete_idea(cmd, ALICE, RoomFacts("write", 1), IdeaFacts("idea-1", ALICE.id, "t", "yellow"))
    assert isinstance(result, IdeaDeleted) and result.idea == "idea-1"


# --- idea_text ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("x" * MAX, "x" * MAX),
    ("x" * (MAX + 1), Rejection("text.too_long", {"field": "text", "max": MAX})),
    ("", Rejection("text.empty", {"field": "text"})),
    ("\u00ad\u200b", Rejection("text.empty", {"field": "text"})),
    ("a\n\n\n\nb", "a\n\nb"),
    ("\u00e9" * MAX, "\u00e9" * MAX),
])
def test_idea_text(raw: str, expected: Any) -> None:
    assert idea_text(raw) == expected
