"""The tables. The schema itself is created by `migrations.py`; a test keeps both in step.

Table models do not validate on their own: everything stored here has already
been cleaned and checked by `protocol`, `text` and `domain`.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class Room(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    title: str
    template: str
    lang: str = "fr"
    phase: str
    seq: int = 0  # last sequence number given to an event of this room
    facilitator_version: int = 1  # bumped to revoke facilitator links
    author_key: str  # per-room secret behind the opaque author tags
    settings: str = "{}"  # JSON, see room_settings.RoomSettings
    timer: str = "{}"  # JSON, see timer.Timer
    code: Optional[str] = Field(default=None, unique=True)  # short code to type on the home page
    sources: str = "[]"  # capitalisation: JSON list of {id, label, title, date} of the merged groups
    created_at: float
    updated_at: float


class Prompt(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    room_id: str = Field(foreign_key="room.id", index=True, ondelete="CASCADE")
    position: int
    title: str


class Participant(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    room_id: str = Field(foreign_key="room.id", index=True, ondelete="CASCADE")
    public_id: str  # what other pages see (presence); never the id behind tokens
    name: str
    role: str
    removed: bool = False
    created_at: float
    creator: bool = False  # created with the room (the lead facilitator): never removed nor demoted


class Idea(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    room_id: str = Field(foreign_key="room.id", index=True, ondelete="CASCADE")
    prompt_id: str = Field(foreign_key="prompt.id", ondelete="CASCADE")
    author_id: str = Field(foreign_key="participant.id", ondelete="CASCADE")
    text: str
    colour: str
    hidden: bool = False  # moderated: facilitators only
    cluster_id: Optional[str] = Field(default=None, foreign_key="cluster.id", ondelete="SET NULL")
    position: float = 0.0  # order among the ideas of its cluster, or of its prompt's loose ideas
    source: Optional[str] = None  # capitalisation: the group (room.sources id) it came from
    source_votes: Optional[int] = None  # the dots it had there, as information
    created_at: float
    updated_at: float


class Cluster(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    room_id: str = Field(foreign_key="room.id", index=True, ondelete="CASCADE")
    prompt_id: str = Field(foreign_key="prompt.id", ondelete="CASCADE")
    title: str
    named: bool = False  # a person chose the title: it survives having no idea
    position: float
    source: Optional[str] = None  # capitalisation, as for ideas
    source_votes: Optional[int] = None


class Vote(SQLModel, table=True):
    """One dot. Deleting its idea or cluster returns it (cascade)."""

    room_id: str = Field(foreign_key="room.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(primary_key=True)  # the event that placed it: the newest go back first
    participant_id: str = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    idea_id: Optional[str] = Field(default=None, foreign_key="idea.id", ondelete="CASCADE")
    cluster_id: Optional[str] = Field(default=None, foreign_key="cluster.id", ondelete="CASCADE")


class Event(SQLModel, table=True):
    """The room's log: one row per committed command, doubling as its op record."""

    __table_args__ = (UniqueConstraint("room_id", "participant_id", "op_id"),)
    room_id: str = Field(foreign_key="room.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(primary_key=True)
    participant_id: Optional[str] = None
    op_id: Optional[str] = None
    subject: Optional[str] = Field(default=None, index=True)  # the idea it touches, for erasure
    payload: str  # the wire frame, JSON
    audience: Optional[str] = None  # None: everyone; "fac": facilitators; else the author's participant id
    redacted: Optional[str] = None  # what the rest of the room gets instead (same seq)
    at: float
    undo: Optional[str] = None  # a grouping or roadmap change: JSON of what it did and its inverse
    undone: bool = False
    undo_kind: Optional[str] = None  # "action" for the roadmap; None: grouping


class Action(SQLModel, table=True):
    """A roadmap action. Its source (cluster or idea) is kept by id, not by key: the
    action outlives a cluster merged away later."""

    id: str = Field(primary_key=True, max_length=32)
    room_id: str = Field(foreign_key="room.id", index=True, ondelete="CASCADE")
    title: str
    description: str = ""
    owners: str = "[]"  # JSON list of texts
    partners: str = "[]"
    horizon: str = ""
    due: Optional[str] = None  # YYYY-MM-DD
    status: str = "todo"
    source_kind: Optional[str] = None
    source_id: Optional[str] = None
    position: float
