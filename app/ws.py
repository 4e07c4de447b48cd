"""The websocket endpoint: check origin and token, subscribe, send the state, then
serve the socket with a receiver task and a sender task (encode/broadcaster's shape).

Handshake refusals happen before `accept`, which Starlette turns into HTTP 403.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from . import limits, protocol
from .errors import Rejection, StorageError, described
from .guards import Guards, Throttle, client_address, guards_of, refuse
from .hub import CLOSE_REMOVED, CLOSE_RESYNC, CLOSE_REVOKED, Member
from .outbox import unsent
from .protocol import Done, Hello, Ping, SnapshotRequest, Sync, encode, error_frame
from .service import Committed, Identity, Service
from .web import Essaim, bearer_or_cookie

log = logging.getLogger("essaim.ws")
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_TRY_AGAIN = 1013


async def room_socket(websocket: WebSocket) -> None:
    guards, address = guards_of(websocket), client_address(websocket)
    if (refused := guards.connect(address)) is not None:  # counted before any work is done
        await refuse(websocket, refused)
        return
    try:
        await _room_socket(websocket, guards)
    finally:
        guards.disconnect(address)


async def _room_socket(websocket: WebSocket, guards: Guards) -> None:
    essaim: Essaim = websocket.app.state.essaim
    room_id = websocket.path_params["room_id"]
    who = await _authenticate(websocket, essaim, room_id)
    if who is None:
        await websocket.close(code=CLOSE_POLICY)  # before accept: HTTP 403
        return
    if (refused := guards.join(room_id, who.participant_id)) is not None:
        await refuse(websocket, refused)
        return
    await websocket.accept()
    member = Member(who.public_id, who.name, who.author_tag, who.role == "facilitator", creator=who.creator,
                    facilitator_version=who.facilitator_version)
    await essaim.hub.enter(room_id, member)
    try:
        if (code := await _changed_meanwhile(websocket, essaim, room_id, who)) is not None:
            await _close(websocket, code, "changed")
            return
        await _serve(websocket, essaim.service, who, member)
    except WebSocketDisconnect:
        pass
    finally:
        guards.leave(room_id, who.participant_id)
        await essaim.hub.leave(room_id, member)


async def _changed_meanwhile(websocket: WebSocket, essaim: Essaim, room_id: str, who: Identity) -> int | None:
    """The close code, if this person was removed, their link revoked or their role changed after
    `_authenticate` read them and before `hub.enter`: the hub told the sockets it had then, not this
    one. Read again now that it hears everything: nothing can fall between."""
    again = await _authenticate(websocket, essaim, room_id)
    if again is None:
        return CLOSE_REVOKED if who.facilitator_version is not None else CLOSE_REMOVED
    return None if again.role == who.role else CLOSE_RESYNC  # its page comes back with the right view


async def _authenticate(websocket: WebSocket, essaim: Essaim, room_id: str) -> Identity | None:
    origin = websocket.headers.get("origin", "")
    if origin.rstrip("/") not in essaim.settings.allowed_origins:
        log.info("websocket refused: origin not allowed")
        return None
    token = bearer_or_cookie(websocket.headers, websocket.cookies, room_id)
    grant = essaim.tokens.read(token, room_id) if token else None
    return await essaim.service.identity(grant) if grant else None


async def _serve(websocket: WebSocket, service: Service, who: Identity, member: Member) -> None:
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), limits.HELLO_TIMEOUT_SECONDS)
    except asyncio.TimeoutError:
        await websocket.close(code=CLOSE_POLICY, reason="hello expected")
        return
    hello = protocol.parse(raw)
    if not isinstance(hello, Hello):
        await _send(websocket, error_frame(Rejection("protocol.not_ready")))
        await websocket.close(code=CLOSE_POLICY, reason="hello expected")
        return
    if hello.v != protocol.VERSION:
        await _send(websocket, error_frame(Rejection("protocol.version", {"server": protocol.VERSION})))
        await websocket.close(code=CLOSE_POLICY, reason="protocol version")
        return
    last_seq = await _greet(websocket, service, who, hello.since)
    # This task sends and one other receives: two tasks per socket, not three (a task and
    # its frames are about 2 KiB, and a room holds 1,000 sockets). When one side ends
    # (closed, too slow, gone), so does the other: the receiver's end stops the outbox.
    receiver = asyncio.create_task(_receiver(websocket, service, who, member))
    receiver.add_done_callback(lambda _: member.outbox.stop())
    failure: BaseException | None = None
    try:
        await _sender(websocket, member, last_seq)
    except Exception as exc:
        failure = exc
    finally:
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)
    if failure is None and not receiver.cancelled():
        failure = receiver.exception()
    if failure is not None and not isinstance(failure, (WebSocketDisconnect, OSError)):
        log.error("socket handler failed", exc_info=failure)
        await _close(websocket, CLOSE_INTERNAL)


async def _greet(websocket: WebSocket, service: Service, who: Identity, since: int | None) -> int:
    """Send what the client lacks: the events after `since`, or a snapshot. Return the seq sent up to."""
    if since is not None and (caught := await service.catch_up(who, since)) is not None:
        seq, payloads = caught
        present = service.hub.present_json(who.room_id)
        await websocket.send_text(
            f'{{"type":"catchup","seq":{seq},"now":{service.clock()},"present":{present},'
            f'"events":[{",".join(payloads)}]}}')  # `now`: the page's clock offset (see _resend)
        return seq
    seq, snapshot = await service.snapshot(who)
    await websocket.send_text(snapshot)
    return seq


async def _sender(websocket: WebSocket, member: Member, last_seq: int) -> None:
    outbox = member.outbox
    outbox.sent_seq = last_seq
    outbox.write = partial(_write_now, websocket)
    while True:
        batches = await outbox.take()
        if outbox.failure is not None:  # raised by a frame sent at once (`Outbox.write`)
            if isinstance(outbox.failure, RuntimeError):  # uvicorn closed it meanwhile: it is gone
                return
            raise outbox.failure
        if outbox.stopped:  # the receiving side ended: the socket is gone
            return
        if outbox.close_code is not None:  # removed from the room: what came before still goes (it says why)
            text, outbox.sent_seq = unsent(batches, outbox.sent_seq)
            if text is not None and not outbox.overflowed:
                try:
                    async with asyncio.timeout(limits.CLOSE_TIMEOUT_SECONDS):
                        await websocket.send_text(text)
                except (TimeoutError, OSError, RuntimeError):
                    pass
            await _close(websocket, outbox.close_code, "removed")
            return
        if outbox.overflowed:  # it stopped reading: cut it off, it will resync on reconnect
            await _close(websocket, CLOSE_TRY_AGAIN, "too slow")
            return
        text, outbox.sent_seq = unsent(batches, outbox.sent_seq)
        if text is None:
            continue
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for costs a task per frame and socket.
            async with asyncio.timeout(limits.SEND_TIMEOUT_SECONDS):
                await websocket.send_text(text)
        except TimeoutError:  # a reader that stopped reading: let it go, it resyncs later
            await _close(websocket, CLOSE_TRY_AGAIN, "too slow")
            return
        except RuntimeError:  # uvicorn closed it meanwhile (its ping went unanswered): it is gone
            return


def _write_now(websocket: WebSocket, text: str) -> bool:
    """Send `text` without waiting, if the socket takes it so: True once it is written.

    Called outside the socket's task (by the room's tick, or a reply), so it steps the send
    itself. uvicorn's websockets-sansio send (`cli.py` chooses it) waits for one thing only,
    a paused transport (a reader that stopped reading), and waits before it writes anything:
    a send that would wait is dropped unwritten and the frame queued for the sender, which
    sends it under a timeout.
    """
    step = websocket.send_text(text)
    try:
        step.send(None)
    except StopIteration:
        return True
    step.close()  # it waited before writing: nothing went out
    return False


async def _receiver(websocket: WebSocket, service: Service, who: Identity, member: Member) -> None:
    throttle = guards_of(websocket).throttle(who.room_id, who.participant_id)
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        raw = message.get("text") if message.get("text") is not None else message.get("bytes") or b""
        if _size(raw) > limits.WS_MESSAGE_MAX_BYTES:  # uvicorn enforces it too (--ws-max-size)
            await _close(websocket, CLOSE_TOO_BIG)
            return
        await _handle(raw, service, who, member, throttle)


def _size(raw: str | bytes) -> int:
    if isinstance(raw, bytes) or len(raw) * 4 <= limits.WS_MESSAGE_MAX_BYTES:
        return len(raw)
    return len(raw.encode("utf-8", "surrogatepass"))


async def _handle(raw: str | bytes, service: Service, who: Identity, member: Member,
                  throttle: Throttle) -> None:
    frame = protocol.parse(raw)

    def reply(text: str, seq: int | None = None) -> None:
        member.outbox.push(seq, text)
    if (limited := await throttle.check(frame)) is not None:  # nothing runs, nothing is stored
        reply(encode(error_frame(limited, getattr(frame, "op_id", None))))
    elif isinstance(frame, Rejection):
        reply(encode(error_frame(frame)))
    elif isinstance(frame, Ping):
        reply('{"type":"pong"}')
    elif isinstance(frame, Hello):
        reply(encode(error_frame(Rejection("protocol.invalid", {"field": "type"}))))
    elif isinstance(frame, Done):
        await service.hub.set_done(who.room_id, member, frame.done)
    elif isinstance(frame, (Sync, SnapshotRequest)):
        try:
            await _resend(frame, service, who, reply)
        except Exception as exc:  # a bug, or the workshop erased meanwhile: say so, stay open
            _log_failure(frame.type, exc)
            reply(encode(error_frame(Rejection("server.error"))))
    else:
        try:
            outcome: Committed | Rejection = await service.execute(who, frame)
        except StorageError as exc:  # nothing was committed, so nothing is acknowledged
            outcome = Rejection(exc.code)
        except Exception as exc:  # a bug in a rule: refuse this command, keep the socket open
            _log_failure(frame.type, exc)
            outcome = Rejection("server.error")
        if isinstance(outcome, Rejection):
            reply(encode(error_frame(outcome, frame.op_id)))
        elif isinstance(outcome, Committed) and outcome.duplicate:
            reply(encode({"type": "ack", "op_id": frame.op_id, "seq": outcome.seq}))
        elif isinstance(outcome, Committed):  # committed and published: its author hears it now
            service.hub.hurry(who.room_id, member, outcome.seq)


def _log_failure(frame_type: str, exc: Exception) -> None:
    """The type and where, never the message: it may quote an idea, a name or a token."""
    log.error("command %s failed: %s", frame_type, described(exc))


async def _resend(frame: Sync | SnapshotRequest, service: Service, who: Identity,
                  reply: Callable[..., None]) -> None:
    """What a page asks for again: the events of a gap, or a whole fresh snapshot."""
    try:
        if isinstance(frame, SnapshotRequest):
            # Sent through the outbox with no seq, so it cannot overtake events queued before it.
            reply((await service.snapshot(who))[1])
            return
        caught = await service.catch_up(who, frame.since)
    except StorageError as exc:
        reply(encode(error_frame(Rejection(exc.code))))
        return
    events = caught[1] if caught else []
    # `now`: the events' own `now` is when they happened; the page sets its clock from this one.
    reply(f'{{"type":"resync","since":{frame.since},"now":{service.clock()},"events":[{",".join(events)}],'
          f'"complete":{"true" if caught else "false"}}}')


async def _send(websocket: WebSocket, frame: dict[str, object]) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        await websocket.send_text(encode(frame))


async def _close(websocket: WebSocket, code: int, reason: str = "") -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        try:
            # A reader that stopped reading never lets the close frame out (the server waits
            # for its buffer to drain first): give up, so the handler ends and frees its place.
            async with asyncio.timeout(limits.CLOSE_TIMEOUT_SECONDS):
                await websocket.close(code=code, reason=reason)
        except (RuntimeError, OSError, TimeoutError):  # already gone, or never draining
            pass
