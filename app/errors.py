"""The one error vocabulary of Essaim.

Expected failures travel as data (`Rejection`), never as exceptions, so that
a refused command is just another answer (Parabol's rule)::

    Rejection(code, params)     -> error frame to the sender, socket stays open

Unexpected conditions that stop a request are exceptions::

    EssaimError
     ├── NotFound          -> 404 page / "workshop not found"
     ├── Forbidden         -> 403 / websocket handshake refused
     └── StorageError      -> "storage full" / "storage unavailable", nothing acknowledged

Every code is stable: clients, tests and `docs/protocol.md` rely on it, and
each has a human message in every catalogue (`error.<code>`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# code -> one-line meaning (the catalogue holds the human wording).
CODES: dict[str, str] = {
    "protocol.invalid_json": "the frame is not a JSON object",
    "protocol.unknown_type": "the `type` is not a known command",
    "protocol.invalid": "a field is missing, of the wrong type, out of range or unknown",
    "protocol.version": "the client speaks a protocol version the server does not",
    "protocol.not_ready": "a command arrived before `hello`",
    "text.empty": "a text is empty once cleaned",
    "text.too_long": "a text is longer than its documented limit",
    "prompt.not_found": "the prompt is not in this workshop",
    "idea.not_found": "the idea is not in this workshop (deleted?)",
    "idea.not_yours": "only the author or a facilitator may change this idea",
    "idea.too_many": "this participant reached the cap of ideas per workshop",
    "room.full_of_ideas": "the workshop reached its cap of ideas",
    "phase.forbidden": "the current phase does not allow this command",
    "room.not_found": "no such workshop",
    "room.locked": "the workshop is locked to new participants",
    "timer.expired": "the timer ran out and the room closes writing when it does",
    "timer.not_running": "there is no running or paused timer to change",
    "prompt.too_many": "the workshop reached its cap of prompts",
    "prompt.last": "a workshop keeps at least one prompt",
    "participant.not_found": "no such participant in this workshop",
    "participant.self": "facilitators cannot remove or demote themselves",
    "participant.creator": "the workshop's creator (its lead facilitator) cannot be removed or demoted",
    "participant.creator_leaves": "the workshop's creator cannot leave it; deleting the workshop erases everything",
    "code.not_found": "no open workshop has this short code",
    "code.rate_limited": "too many short-code attempts; wait a minute",
    "room.full": "the workshop reached its cap of participants",
    "grouping.facilitators_only": "the workshop keeps grouping to its facilitators",
    "grouping.invalid": "this grouping move makes no sense (into itself, or next to an idea elsewhere)",
    "cluster.not_found": "the cluster is not in this workshop (merged or dissolved?)",
    "undo.nothing": "there is no grouping action of yours left to undo",
    "undo.conflict": "someone changed these ideas since: undoing would overwrite their work",
    "vote.not_votable": "this item cannot take dots (not found, grouped, hidden, or not what the room votes on)",
    "vote.budget_exceeded": "all of this participant's dots are placed",
    "vote.cap_reached": "this participant put the most dots allowed on this item",
    "roadmap.facilitators_only": "the workshop keeps its roadmap to its facilitators",
    "action.not_found": "the action is not in this workshop (deleted?)",
    "action.invalid_move": "an action cannot be placed before itself",
    "action.too_many": "the workshop reached its cap of roadmap actions",
    "action.source_not_found": "the cluster or idea this action comes from is not in this workshop",
    "vote.none": "this participant has no dot on this item to take back",
    "auth.forbidden": "the token is missing, invalid, expired or for another workshop",
    "storage.full": "the server's disk is full; nothing was saved",
    "storage.unavailable": "the database could not be written (locked past the busy timeout, read-only, I/O error); nothing was saved",
    "server.full": "the server reached its ceiling of simultaneous connections; try again shortly",
    "connection.too_many_per_address": "too many simultaneous connections from this network address",
    "connection.too_many_per_participant": "this person has too many pages open in this workshop",
    "command.rate_limited": "too many commands in a short time; nothing was done, retry after `retry_after` s",
    "name.reserved": "this pseudonym imitates the facilitators' label and is kept for them",
    "server.error": "the server failed on this command (a bug, logged); nothing was saved, do not resend it",
    "room.create_forbidden": "this server lets only holders of the organiser passphrase open workshops",
    "room.create_rate_limited": "too many attempts to open a workshop from this address; wait a minute",
    "import.invalid": "the file is not a workshop export Essaim can read; `problems` lists each fault, nothing was created",
    "import.schema": "the export's schema version is not one this server reads",
    "import.duplicate_id": "the same id appears twice in the export",
    "capitalise.sources": "a capitalisation needs between {min} and {max} workshops",
    "import.source_not_found": "an idea or cluster names a source group the export does not list",
}


def described(exc: BaseException) -> str:
    """An exception for the logs: its type and where it was raised, never its message (which
    may quote an idea, a pseudonym or a token)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb else "?"
    return f"{type(exc).__name__} at {where}"


@dataclass(frozen=True)
class Rejection:
    """A refused command: a stable `code` plus values for the message."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        assert self.code in CODES, self.code


class EssaimError(Exception):
    """Base of every exception Essaim raises on purpose."""

    code = "essaim.error"


class NotFound(EssaimError):
    code = "room.not_found"


class Forbidden(EssaimError):
    code = "auth.forbidden"


class StorageError(EssaimError):
    """The database refused a write; nothing was committed or acknowledged."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
