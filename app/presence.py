"""Who is in a room, across every process that serves it, and who said they are done.

A process knows its own sockets. Of the other processes' it knows what they said on
the room's channel: "in" when a person's first socket arrives there, "out" when their
last one goes, and, every few seconds, "here" with their whole list (it also answers a
newcomer's "hello"), so that a process killed without a word is forgotten once it has
been silent for `SILENT_BEATS` of them. Every process hears the same messages in the
same order, so they agree on who is present and on the "done" set, which is kept
whole in every process. Pages are told "joined" when a person arrives in the room
(on any process) and "left" when they are gone from all of them.

With one process nothing remote ever arrives and the counts are those of its sockets.
Pure: no I/O, no clock of its own; the hub passes the time in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Person = dict[str, Any]  # {id, name, role} and `creator: true`, as presence frames carry it
SILENT_BEATS = 3  # a process silent for this many of its restatements is gone (killed, cut off)


@dataclass
class Remote:
    """What another process said of its sockets in this room."""

    people: dict[str, Person] = field(default_factory=dict)
    participants: set[str] = field(default_factory=set)  # those with a socket that is not a facilitator's
    heard_at: float = 0.0


@dataclass
class Roster:
    # This process's sockets, kept as they come and go so an arrival costs the same in any room:
    sockets: dict[str, int] = field(default_factory=dict)  # public id -> its sockets here
    participants: dict[str, int] = field(default_factory=dict)  # the same, not counting facilitators
    remote: dict[str, Remote] = field(default_factory=dict)  # process id -> what it said
    done: set[str] = field(default_factory=set)

    # -- this process's sockets ------------------------------------------------------------

    def count(self, public_id: str, facilitator: bool, step: int) -> None:
        """Count a socket in (`step` 1) or out (-1)."""
        for tally in (self.sockets,) if facilitator else (self.sockets, self.participants):
            left = tally.get(public_id, 0) + step
            if left > 0:
                tally[public_id] = left
            else:
                tally.pop(public_id, None)

    def here_locally(self, public_id: str) -> bool:
        return public_id in self.sockets

    # -- the room as a whole ---------------------------------------------------------------

    def elsewhere(self, public_id: str, besides: str | None = None) -> bool:
        """Whether another process (other than `besides`) has a socket of this person."""
        return any(public_id in r.people for proc, r in self.remote.items() if proc != besides)

    def present(self, public_id: str) -> bool:
        return public_id in self.sockets or self.elsewhere(public_id)

    def counts(self) -> dict[str, int]:
        """`{done, present}` over every process: participants only, facilitators are not "done"."""
        if self.remote:
            everyone: set[str] | Any = set(self.participants).union(*(r.participants for r in self.remote.values()))
        else:
            everyone = self.participants
        return {"done": sum(1 for public_id in self.done if public_id in everyone), "present": len(everyone)}

    def remote_people(self) -> dict[str, Person]:
        """The people of other processes, facilitator winning when two processes disagree on a role."""
        people: dict[str, Person] = {}
        for r in self.remote.values():
            for public_id, person in r.people.items():
                if public_id not in people or person.get("role") == "facilitator":
                    people[public_id] = person
        return people

    # -- what other processes said: each returns what pages must be told -------------------

    def heard_in(self, proc: str, person: Person, participant: bool, now: float) -> bool:
        """Another process has this person now. True: pages learn that they joined."""
        remote = self._heard(proc, now)
        public_id = person["id"]
        new = not (self.here_locally(public_id) or self.elsewhere(public_id))
        remote.people[public_id] = person
        (remote.participants.add if participant else remote.participants.discard)(public_id)
        return new

    def heard_out(self, proc: str, public_id: str, now: float) -> bool:
        """Another process lost this person's last socket. True: pages learn that they left."""
        remote = self._heard(proc, now)
        remote.people.pop(public_id, None)
        remote.participants.discard(public_id)
        return self._gone(public_id)

    def heard_here(self, proc: str, people: list[tuple[Person, bool]], done: list[str],
                   now: float) -> tuple[list[Person], list[Person]]:
        """Another process's whole list: (people who joined, people who left) for pages."""
        remote = self._heard(proc, now)
        before = remote.people
        remote.people = {person["id"]: person for person, _ in people}
        remote.participants = {person["id"] for person, participant in people if participant}
        self.done.update(done)  # a newcomer learns the "done" set from those already here
        joined = [p for i, p in remote.people.items()
                  if i not in before and not self.here_locally(i) and not self.elsewhere(i, besides=proc)]
        left = [p for i, p in before.items() if i not in remote.people and self._gone(i)]
        return joined, left

    def own_out(self, public_id: str) -> bool:
        """This process's "out" came back: pages learn that they left unless they are still here somewhere."""
        return self._gone(public_id)

    def forget_silent(self, now: float, beat: float) -> list[Person]:
        """Drop the processes silent for `SILENT_BEATS` restatements; the people only they had have left."""
        silent = [proc for proc, r in self.remote.items() if now - r.heard_at > SILENT_BEATS * beat]
        left: list[Person] = []
        for proc in silent:
            for public_id, person in self.remote.pop(proc).people.items():
                if self._gone(public_id):
                    left.append(person)
        return left

    def set_role(self, public_id: str, role: str) -> None:
        """A role changed: every process's sockets of that person now have it."""
        for r in self.remote.values():
            if public_id in r.people:
                r.people[public_id] = {**r.people[public_id], "role": role}
                (r.participants.discard if role == "facilitator" else r.participants.add)(public_id)
        if role == "facilitator":  # facilitators are not among those who say they are done
            self.done.discard(public_id)

    def _heard(self, proc: str, now: float) -> Remote:
        remote = self.remote.setdefault(proc, Remote())
        remote.heard_at = now
        return remote

    def _gone(self, public_id: str) -> bool:
        """Whether the person is in no process now; then they are no longer "done" either."""
        if self.present(public_id):
            return False
        self.done.discard(public_id)
        return True
