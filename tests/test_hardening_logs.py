"""The logs of a whole session against a real server at log level info hold no idea text,
no pseudonym and no token: a workshop created, joined, written, grouped, voted, exported,
shown on the projector, refused a few times, and finally deleted.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import Server
from tests.test_server import Peer, open_peer

pytestmark = pytest.mark.server


def http(server: Server, method: str, path: str, token: str | None = None, body: bytes | None = None,
         content_type: str = "application/json") -> tuple[int, str]:
    headers = {"origin": server.origin, "content-type": content_type}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{server.url}{path}", data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


async def run(peer: Peer, frame_type: str, **fields: Any) -> dict[str, Any]:
    op = f"op-{uuid.uuid4().hex[:12]}"
    await peer.send({"type": frame_type, "op_id": op, **fields})
    return await peer.reply(op)


async def test_a_full_session_leaves_no_idea_pseudonym_or_token_in_the_logs(tmp_path: Path) -> None:
    marker = uuid.uuid4().hex[:10]
    secrets_seen: set[str] = set()
    server = Server(tmp_path / "data", ESSAIM_LOG_LEVEL="info").start()
    try:
        status, body = http(server, "POST", "/api/rooms", body=json.dumps(
            {"title": f"Atelier {marker}", "template": "remue-meninges", "phase": "write",
             "name": f"Sami {marker}"}).encode())
        assert status == 201, body
        room = json.loads(body)
        room_id, facilitator_token = room["id"], room["facilitator_token"]
        secrets_seen |= {facilitator_token, room["facilitator_url"].split("#", 1)[1]}
        tokens = []
        for name in (f"Alice {marker}", f"Bob {marker}", f"Chloé\u202e{marker}"):
            status, body = http(server, "POST", f"/api/rooms/{room_id}/participants",
                                body=json.dumps({"name": name}).encode())
            assert status == 201, body
            tokens.append(json.loads(body)["token"])
        secrets_seen |= set(tokens)
        status, _ = http(server, "POST", f"/rooms/{room_id}/join", content_type="application/x-www-form-urlencoded",
                         body=urllib.parse.urlencode({"name": f"Dana {marker}"}).encode())
        assert status in (200, 303)

        facilitator = await open_peer(server, room_id, facilitator_token)
        alice, bob, chloe = [await open_peer(server, room_id, t) for t in tokens]
        prompt = alice.first["prompts"][0]["id"]
        ideas = []
        for peer, text in ((alice, f"idée {marker} une"), (bob, f"idée {marker} deux"),
                           (chloe, f"forgée {marker}\n2026-01-01 ERROR essaim: {marker}")):
            added = await run(peer, "idea.add", prompt=prompt, text=text)
            assert added["type"] == "idea.added", added
            ideas.append(added["idea"])
        assert (await run(alice, "idea.edit", idea=ideas[0], text=f"corrigée {marker}", colour="blue"))["type"] == "idea.edited"
        # Refusals: too long, not hers, invalid JSON, an unknown type; all quote the marker.
        await run(bob, "idea.add", prompt=prompt, text=f"{marker} " * 200)
        await run(bob, "idea.edit", idea=ideas[0], text=f"pas à moi {marker}")
        await bob.ws.send(f'{{"type": "idea.add", "text": "{marker}"')
        await bob.send({"type": f"x.{marker}", "op_id": marker})
        await bob.send({"type": "ping"})
        await bob.wait_for(lambda f: f["type"] == "pong")
        for phase in ("group", "vote"):
            if phase == "vote":
                await run(facilitator, "cluster.create", ideas=ideas[:2], title=f"Groupe {marker}")
            assert (await run(facilitator, "room.phase", phase=phase))["type"] == "phase.changed"
        grouped = await facilitator.wait_for(lambda f: f["type"] == "group.changed")
        cluster = grouped["clusters"][0]["cluster"]
        await run(alice, "vote.add", item=cluster)
        await run(facilitator, "room.phase", phase="results")

        # Pages and exports, with the right token and with forged or foreign ones.
        for path in (f"/rooms/{room_id}", f"/rooms/{room_id}/screen", f"/rooms/{room_id}/report",
                     f"/rooms/{room_id}/export.md", f"/rooms/{room_id}/export.json", f"/rooms/{room_id}/export.csv"):
            assert http(server, "GET", path, facilitator_token)[0] == 200, path
        forged = facilitator_token[:-6] + "AAAAAA"
        secrets_seen.add(forged)
        assert http(server, "POST", f"/rooms/{room_id}/claim", body=json.dumps({"token": forged}).encode())[0] == 403
        assert http(server, "POST", f"/rooms/{room_id}/claim",
                    body=json.dumps({"token": facilitator_token}).encode())[0] == 200
        assert http(server, "POST", f"/rooms/{room_id}/facilitator-link", facilitator_token)[0] == 200
        with pytest.raises(Exception):
            await open_peer(server, room_id, forged)
        for peer in (alice, bob, chloe):
            await peer.close()
        status, _ = http(server, "POST", f"/rooms/{room_id}/delete", facilitator_token,
                         body=b"confirm=yes", content_type="application/x-www-form-urlencoded")
        assert status in (200, 303)
        await facilitator.closed()
    finally:
        server.stop()
    log = server.log_path.read_text(errors="replace")
    assert "Essaim ready" in log or "Uvicorn running" in log or "Application startup" in log, log[-2000:]
    assert "erased" in log  # the deletion was logged, as counts
    assert marker not in log, [line for line in log.splitlines() if marker in line][:5]
    for secret in secrets_seen:
        assert secret not in log and secret[:24] not in log, "a token is in the logs"
    for name in ("Alice", "Bob", "Chloé", "Dana", "Sami"):
        assert name not in log, name
    # Nor the room's id (it is its join link), nor the clients' addresses.
    assert room_id not in log
    assert not re.search(r"127\.0\.0\.1:\d+ - ", log), [line for line in log.splitlines() if " - " in line][:3]
