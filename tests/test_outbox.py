"""A socket's outbox: frames written at once while its sender waits, queued otherwise, in order."""

from __future__ import annotations

import asyncio

import pytest

from app.outbox import Batch, Outbox, unsent


def batch(*seqs: int) -> Batch:
    return Batch.of(tuple((seq, f'{{"seq":{seq}}}') for seq in seqs))


async def parked(outbox: Outbox) -> asyncio.Task[list[Batch]]:
    """The sender, waiting in `take` with nothing queued."""
    taker = asyncio.create_task(outbox.take())
    await asyncio.sleep(0)
    assert not taker.done()
    return taker


async def test_while_the_sender_waits_a_frame_is_written_at_once_without_waking_it() -> None:
    outbox, wire = Outbox(), []
    outbox.write = lambda text: wire.append(text) or True
    outbox.sent_seq = 3  # its snapshot held events up to 3
    taker = await parked(outbox)
    outbox.put(batch(4, 5))
    outbox.put(batch(2, 3))  # already in its snapshot: nothing to send
    outbox.push(None, '{"type":"pong"}')
    assert wire == ['[{"seq":4},{"seq":5}]', '{"type":"pong"}']
    assert outbox.sent_seq == 5
    await asyncio.sleep(0)
    assert not taker.done(), "the sender was woken for frames already sent"
    taker.cancel()


async def test_a_frame_the_socket_cannot_take_now_is_queued_and_the_sender_woken_with_it() -> None:
    outbox, wire = Outbox(), []
    outbox.write = lambda text: False  # a paused transport: a reader that stopped reading
    taker = await parked(outbox)
    outbox.put(batch(1))
    outbox.write = lambda text: wire.append(text) or True
    outbox.put(batch(2))  # behind the queued one: not written ahead of it
    assert wire == []
    assert [b.parts for b in await asyncio.wait_for(taker, 1)] == [batch(1).parts, batch(2).parts]


async def test_nothing_is_written_before_the_sender_waits_nor_once_the_socket_is_closing() -> None:
    outbox, wire = Outbox(), []
    outbox.write = lambda text: wire.append(text) or True
    outbox.put(batch(1))  # the sender is still greeting: queued
    assert [b.parts for b in await outbox.take()] == [batch(1).parts]
    taker = await parked(outbox)
    outbox.close(4003)
    outbox.put(batch(2))
    assert wire == [] and outbox.close_code == 4003
    assert [b.parts for b in await asyncio.wait_for(taker, 1)] == [batch(2).parts]


@pytest.mark.parametrize("error", [RuntimeError("closed"), OSError("gone")])
async def test_a_write_that_fails_wakes_the_sender_with_its_error(error: Exception) -> None:
    outbox = Outbox()

    def fails(text: str) -> bool:
        raise error
    outbox.write = fails
    taker = await parked(outbox)
    outbox.put(batch(1))
    await asyncio.wait_for(taker, 1)
    assert outbox.failure is error


def test_unsent_drops_what_the_socket_holds_and_joins_the_rest_in_order() -> None:
    assert unsent([batch(4, 5)], 3) == ('[{"seq":4},{"seq":5}]', 5)
    assert unsent([batch(2, 3), batch(4)], 3) == ('{"seq":4}', 4)
    assert unsent([batch(1, 2)], 3) == (None, 3)
    pong = Batch.of(((None, '{"type":"pong"}'),))
    assert unsent([batch(3), pong, batch(5)], 3) == ('[{"type":"pong"},{"seq":5}]', 5)
