"""Signed tokens and random identifiers.

One salt per purpose, `max_age` on every read. A participant token names a
participant of one room; a facilitator token also carries the room's
facilitator version, so regenerating the facilitator link revokes old ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from . import limits


def new_room_id() -> str:
    return secrets.token_urlsafe(16)  # 128 bits


def new_id() -> str:
    """Ids of prompts, ideas and participants' public ids: unguessable, not secret."""
    return secrets.token_urlsafe(9)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def author_tag(room_key: str, participant_id: str) -> str:
    """An opaque, stable per-room tag: says "same author" without saying who."""
    digest = hmac.new(room_key.encode(), participant_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()


@dataclass(frozen=True)
class Grant:
    room_id: str
    participant_id: str
    facilitator_version: int | None  # set when the token came from a facilitator link


class Tokens:
    def __init__(self, secret_key: str) -> None:
        self._participant = URLSafeTimedSerializer(secret_key, salt="essaim.participant.v1")
        self._facilitator = URLSafeTimedSerializer(secret_key, salt="essaim.facilitator.v1")

    def participant(self, room_id: str, participant_id: str) -> str:
        return self._participant.dumps([room_id, participant_id])

    def facilitator(self, room_id: str, participant_id: str, version: int) -> str:
        return self._facilitator.dumps([room_id, participant_id, version])

    def read(self, token: str, room_id: str) -> Grant | None:
        """The grant a token gives for `room_id`, or None (forged, expired, other room)."""
        if not token or len(token) > 512:
            return None
        return self._read_participant(token, room_id) or self._read_facilitator(token, room_id)

    def _read_participant(self, token: str, room_id: str) -> Grant | None:
        try:
            room, pid = self._participant.loads(token, max_age=limits.PARTICIPANT_TOKEN_MAX_AGE)
        except (BadSignature, ValueError, TypeError):
            return None
        return Grant(room, pid, None) if room == room_id and isinstance(pid, str) else None

    def _read_facilitator(self, token: str, room_id: str) -> Grant | None:
        try:
            room, pid, version = self._facilitator.loads(token, max_age=limits.FACILITATOR_TOKEN_MAX_AGE)
        except (BadSignature, ValueError, TypeError):
            return None
        ok = room == room_id and isinstance(pid, str) and isinstance(version, int)
        return Grant(room, pid, version) if ok else None
