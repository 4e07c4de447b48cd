"""What goes to a socket: room frames as the channel carries them, the batches a tick
sends, each socket's bounded outbox, and the member a socket is in a room.

Channel messages carry `seq`, audience and the split point between an event's two
forms in a small header (`"42|fac|117|{...}{...}"`), so that no socket has to parse
JSON to pick its form or to drop what it already has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from . import limits

FACILITATORS = "fac"
ONLY = "="  # "=<author tag>": that author alone, facilitators not included (a voter's own dots)


@dataclass(frozen=True)
class Frame:
    seq: int | None
    text: str
    redacted: str | None = None  # what members outside the audience get
    audience: str | None = None  # None: everyone; "fac"; an author tag; "!…" control

    def pack(self) -> str:
        split = -1 if self.redacted is None else len(self.text)
        seq = "-" if self.seq is None else self.seq
        return f"{seq}|{self.audience or ''}|{split}|{self.text}{self.redacted or ''}"

    @staticmethod
    def unpack(message: str) -> Frame:
        seq, audience, split, body = message.split("|", 3)
        cut = int(split)
        text, redacted = (body, None) if cut < 0 else (body[:cut], body[cut:])
        return Frame(None if seq == "-" else int(seq), text, redacted, audience or None)


@dataclass(frozen=True)
class Batch:
    """Frames as one view of a room gets them, encoded once for every socket of that view."""

    parts: tuple[tuple[int | None, str], ...]  # (seq or None, text), in order
    text: str  # what goes on the wire: the one frame, or a JSON array of them
    first_seq: int | None  # the lowest and highest seq among the parts, if any
    last_seq: int | None

    @staticmethod
    def of(parts: tuple[tuple[int | None, str], ...]) -> Batch:
        seqs = [seq for seq, _ in parts if seq is not None]
        text = parts[0][1] if len(parts) == 1 else f"[{','.join(text for _, text in parts)}]"
        return Batch(parts, text, seqs[0] if seqs else None, seqs[-1] if seqs else None)


class Outbox:
    """A socket's queue of frames to send. Bounded: a reader that stops reading is cut off.

    A list and one future while its sender waits, not a deque and an `asyncio.Event` (each of
    which holds a deque): a room keeps 1,000 of these, and that was ~1.2 KiB a socket.

    While its sender waits with nothing queued, a frame goes out at once through `write`
    (see `ws._write_now`) instead of waking the sender's task: nothing is in flight then,
    so the order holds, and a frame to 1,000 idle sockets no longer costs 1,000 task
    wake-ups and send timers. A frame `write` cannot send without waiting is queued.
    """

    __slots__ = ("_batches", "_frames", "_max", "_ready", "_waiter", "overflowed", "close_code", "stopped",
                 "before_push", "write", "sent_seq", "failure")

    def __init__(self, max_frames: int = limits.OUTBOX_MAX_FRAMES) -> None:
        self._batches: list[Batch] = []
        self._frames = 0
        self._max = max_frames
        self._ready = False  # something to take (frames, a close, a stop)
        self._waiter: asyncio.Future[None] | None = None  # the sender, waiting in `take`
        self.overflowed = False
        self.close_code: int | None = None
        self.stopped = False
        self.before_push: Callable[[], None] | None = None  # sends the room's pending tick first
        self.write: Callable[[str], bool] | None = None  # sends at once if it can (set by the sender)
        self.sent_seq = 0  # the last seq the socket holds (its snapshot's, then each batch's)
        self.failure: Exception | None = None  # what `write` raised: the sender ends with it

    def push(self, seq: int | None, text: str) -> None:
        """One frame for this socket alone (an answer, a snapshot): after what the room sent before it."""
        if self.before_push is not None:
            self.before_push()
        self.put(Batch(((seq, text),), text, seq, seq))

    def put(self, batch: Batch) -> None:
        if self._frames >= self._max:
            self.overflowed = True
        elif self._waiter is not None and not self._ready and self._written(batch):
            return  # on the wire already: the sender sleeps on
        else:
            self._batches.append(batch)
            self._frames += len(batch.parts)
        self._wake()

    def _written(self, batch: Batch) -> bool:
        """Send `batch` now, if the socket takes it without waiting; True once it is written."""
        if self.write is None:
            return False
        text, seq = unsent([batch], self.sent_seq)
        if text is None:
            return True  # all of it was in the snapshot
        try:
            if not self.write(text):
                return False
        except Exception as exc:  # the socket is gone (or a bug): the sender ends with it
            self.failure = exc
            return False
        self.sent_seq = seq
        return True

    def close(self, code: int) -> None:
        self.close_code = code
        self._wake()

    def stop(self) -> None:
        """Its socket stopped receiving (gone): the sender ends without sending more."""
        self.stopped = True
        self._wake()

    def _wake(self) -> None:
        self._ready = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def take(self) -> list[Batch]:
        """Everything queued since the last take, once there is something (one taker: the sender)."""
        if not self._ready:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        self._ready = False
        batches, self._batches = self._batches, []
        self._frames = 0
        return batches


def unsent(batches: list[Batch], last_seq: int) -> tuple[str | None, int]:
    """What a socket holding events up to `last_seq` lacks of `batches` as one frame, and the seq it then holds.

    Events already in its snapshot or catch-up (seq <= last_seq) are dropped. The usual
    case, one batch it lacks entirely, is sent as the room encoded it: no copy per socket.
    """
    if len(batches) == 1 and (batches[0].first_seq is None or batches[0].first_seq > last_seq):
        batch = batches[0]
        return batch.text, last_seq if batch.last_seq is None else batch.last_seq
    texts: list[str] = []
    for batch in batches:
        for seq, text in batch.parts:
            if seq is not None:
                if seq <= last_seq:
                    continue
                last_seq = seq
            texts.append(text)
    if not texts:
        return None, last_seq
    return (texts[0] if len(texts) == 1 else f"[{','.join(texts)}]"), last_seq


@dataclass(eq=False, slots=True)  # one per socket: no __dict__
class Member:
    public_id: str
    name: str
    author_tag: str = ""
    facilitator: bool = False
    outbox: Outbox = field(default_factory=Outbox)
    creator: bool = False  # the room's creator, shown as the lead facilitator
    facilitator_version: int | None = None  # the facilitator link version its token carried, if any
    hurried: int = 0  # how many of the room's pending frames it already got (see `RoomHub.hurry`)
    shown: str = ""  # its entry in the room's `present`, encoded once (see `RoomHub.present_json`)

    def text_for(self, frame: Frame) -> str:
        if frame.redacted is None or frame.audience is None:
            return frame.text
        if frame.audience.startswith(ONLY):
            return frame.text if frame.audience[1:] == self.author_tag else frame.redacted
        if self.facilitator or frame.audience == self.author_tag:
            return frame.text
        return frame.redacted
