"""The workshop timer, as pure data: the server holds the end time, clients only display it.

Holding `ends_at` (not a countdown) means every client shows the same time whatever its
own clock says, and a reconnecting client needs nothing but the current state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

State = Literal["stopped", "running", "paused"]
MIN_SECONDS, MAX_SECONDS = 10, 7200


@dataclass(frozen=True)
class Timer:
    state: State = "stopped"
    ends_at: float | None = None  # while running
    remaining: float | None = None  # while paused
    duration: float | None = None  # as started, for display

    @staticmethod
    def load(data: dict[str, Any]) -> Timer:
        return Timer(**{k: data[k] for k in ("state", "ends_at", "remaining", "duration") if k in data})

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    def start(self, seconds: int, now: float) -> Timer:
        return Timer("running", now + seconds, None, float(seconds))

    def pause(self, now: float) -> Timer:
        return Timer("paused", None, self.left(now), self.duration)

    def resume(self, now: float) -> Timer:
        return Timer("running", now + (self.remaining or 0.0), None, self.duration)

    def add(self, seconds: int, now: float) -> Timer:
        if self.state == "running":
            return Timer("running", max(now, (self.ends_at or now) + seconds), None, self.duration)
        return Timer("paused", None, max(0.0, (self.remaining or 0.0) + seconds), self.duration)

    def stop(self) -> Timer:
        return Timer()

    def left(self, now: float) -> float:
        if self.state == "running":
            return max(0.0, (self.ends_at or now) - now)
        if self.state == "paused":
            return self.remaining or 0.0
        return 0.0

    def expired(self, now: float) -> bool:
        """Time is up: running past its end, or paused at zero. A stopped timer never expires."""
        return self.state != "stopped" and self.left(now) <= 0.0
