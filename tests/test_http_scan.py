"""Every HTTP route of the app, found from the app itself (a new route is scanned without a
line here): security headers and cookie flags on every answer, errors that say nothing of the
server, allowed `Host` names, no state changed by a GET, no cross-site POST.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import TestClient, WebSocketDenialResponse

from app import db
from app import settings as settings_module
from app.main import create_app
from app.security import HEADERS
from app.service import Service
from tests.conftest import ORIGIN, Room, make_settings
from tests.support.server import Server
from tests.test_facilitation import expect_ok

SAME_ORIGIN = {"origin": ORIGIN}
LEAKS = re.compile(r"traceback|starlette|uvicorn|python|File \"/", re.I)  # no stack, no framework, no version


def http_routes(app: Any) -> list[tuple[str, frozenset[str]]]:
    """(path template, methods) of every HTTP route, a mounted static folder as one of its files."""
    found = []
    for route in app.routes:
        if isinstance(route, Route):
            found.append((route.path, frozenset(route.methods or ())))
        elif isinstance(route, Mount):
            folder = Path(route.app.directory)  # type: ignore[attr-defined]
            first = min(p for p in folder.rglob("*") if p.is_file())
            found.append((f"{route.path}/{first.relative_to(folder).as_posix()}", frozenset({"GET", "HEAD"})))
        else:
            assert isinstance(route, WebSocketRoute), f"unknown kind of route {route!r}: teach this scan about it"
    return found


def paths(app: Any, method: str, room_id: str) -> list[str]:
    """Every route taking `method`, its parameters filled with a real workshop's (a new parameter fails here)."""
    return [template.format(room_id=room_id) for template, methods in http_routes(app) if method in methods]


def dump(settings: settings_module.Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (SQLite, or the PostgreSQL of the second pass)."""
    engine = db.make_engine(settings.database_url, immediate=False)
    try:
        with engine.connect() as conn:
            return {t: sorted((tuple(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{t}"')), key=repr)
                    for t in inspect(conn).get_table_names()}
    finally:
        engine.dispose()


def full_room(client: TestClient) -> tuple[Room, str]:
    """A workshop with ideas, a cluster, dots and a roadmap action; and a participant's token."""
    room = Room(client, phase="write")
    fac, token = room.connect(room.facilitator_token), room.join("Alice")
    alice = room.connect(token)
    prompt = alice.first["prompts"][0]["id"]
    ideas = [expect_ok(alice, "idea.add", prompt=prompt, text=f"Idée {n}")["idea"] for n in range(3)]
    expect_ok(fac, "room.phase", phase="group")
    cluster = expect_ok(alice, "cluster.create", ideas=ideas[:2])["clusters"][0]["cluster"]
    expect_ok(fac, "room.phase", phase="vote")
    expect_ok(alice, "vote.add", item=cluster)
    expect_ok(alice, "vote.add", item=ideas[2])
    expect_ok(fac, "room.phase", phase="results")
    expect_ok(fac, "action.add", title="Fête de quartier", source={"kind": "cluster", "id": cluster})
    for s in (fac, alice):
        s.close()
    return room, token


def check_answer(response: Any, https: bool = False) -> list[str]:
    """What is wrong with this answer's headers and cookies (nothing, for a good one)."""
    where, problems = f"{response.request.method} {response.request.url.path} ({response.status_code})", []
    problems += [f"{where}: {name} is {response.headers.get(name)!r}" for name, value in HEADERS.items()
                 if response.headers.get(name) != value]
    if "server" in response.headers or "x-powered-by" in response.headers:
        problems.append(f"{where}: names its server")
    for cookie in response.headers.get_list("set-cookie"):
        flags = {f.strip().split("=")[0].lower() for f in cookie.split(";")[1:]}
        if "httponly" not in flags or not re.search(r"samesite=(lax|strict)", cookie, re.I) or (
                ("secure" in flags) != https):
            problems.append(f"{where}: cookie {cookie!r}")
    if response.status_code >= 400 and LEAKS.search(response.text):
        problems.append(f"{where}: the error page says {LEAKS.search(response.text).group(0)!r}")  # type: ignore[union-attr]
    return problems


def test_the_scan_finds_every_kind_of_route(client: TestClient) -> None:
    found = dict(http_routes(client.app))
    assert {"/", "/healthz", "/rooms/{room_id}", "/rooms/{room_id}/export.odt", "/api/rooms"} <= set(found)
    assert any(path.startswith("/static/") for path in found) and "POST" in found["/rooms/{room_id}/join"]


def test_every_get_answers_with_the_headers_and_changes_nothing(client: TestClient, settings: Any) -> None:
    room, token = full_room(client)
    before, problems = dump(settings), []
    for path in paths(client.app, "GET", room.id):
        for who in (None, token, room.facilitator_token):  # anonymous, participant, facilitator
            response = client.get(path, headers={"authorization": f"Bearer {who}"} if who else {})
            problems += check_answer(response)
            if who == room.facilitator_token and response.status_code != 200:
                problems.append(f"GET {path} answered {response.status_code} to a facilitator")
        problems += check_answer(client.head(path))
    assert not problems, "\n".join(problems)
    assert dump(settings) == before, "a GET changed the database"


def test_error_pages_have_the_headers_and_say_nothing_of_the_server(client: TestClient, room: Room) -> None:
    problems = check_answer(client.get("/nowhere")) + check_answer(client.get("/rooms/nope"))
    for path in paths(client.app, "GET", room.id):  # 405 on every page, and on every form (below)
        response = client.request("DELETE", path, headers=SAME_ORIGIN)
        problems += check_answer(response) if response.status_code == 405 else [f"DELETE {path}: {response.status_code}"]
    for path in set(paths(client.app, "POST", room.id)) - set(paths(client.app, "GET", room.id)):
        response = client.get(path)  # 405, or 404 where a page's path covers it (/rooms/import: no such room)
        problems += check_answer(response) if response.status_code in (404, 405) else [f"GET {path}: {response.status_code}"]
    assert not problems, "\n".join(problems)


def test_a_crash_is_a_bare_500_with_the_headers(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(self: Service, room_id: str) -> None:
        raise RuntimeError("texte secret de la salle")
    monkeypatch.setattr(Service, "room", broken)
    with TestClient(create_app(settings), base_url=ORIGIN, raise_server_exceptions=False) as client:
        response = client.get("/rooms/abc")
    assert response.status_code == 500 and response.text == "Internal Server Error"
    assert not check_answer(response) and "secret" not in response.text


def test_every_cross_site_post_is_refused_and_changes_nothing(client: TestClient, settings: Any) -> None:
    room, _token = full_room(client)
    before, posts = dump(settings), paths(client.app, "POST", room.id)
    assert len(posts) >= 10
    for path in posts:
        for foreign in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"},
                        {"origin": "null", "sec-fetch-site": "cross-site"}, {"origin": "http://testserver.evil.example"}):
            response = client.post(path, data={"title": "x", "name": "x", "confirm": "yes", "lang": "en"},
                                   headers={**foreign, "authorization": f"Bearer {room.facilitator_token}"})
            assert response.status_code == 403 and response.text == "Cross-site request refused.", (path, foreign)
            assert not check_answer(response)
    assert dump(settings) == before


@pytest.fixture
def https_client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path / "data", ESSAIM_PUBLIC_URL="https://testserver")),
                    base_url="https://testserver") as client:
        yield client


@pytest.mark.parametrize("https", [False, True])
def test_every_cookie_is_httponly_samesite_and_secure_behind_tls(client: TestClient, https_client: TestClient,
                                                                 https: bool) -> None:
    web, origin = (https_client, "https://testserver") if https else (client, ORIGIN)
    ours = {"origin": origin}
    made = web.post("/rooms", data={"title": "Atelier", "template": "bilan", "name": "Sam"}, headers=ours,
                    follow_redirects=False)
    room_id = made.headers["location"].split("/")[2].split("?")[0]
    answers = [made, web.post(f"/rooms/{room_id}/join", data={"name": "Léa"}, headers=ours, follow_redirects=False),
               web.post("/lang", data={"lang": "en", "next": "/"}, headers=ours, follow_redirects=False)]
    api = web.post("/api/rooms", json={"title": "Bilan", "template": "bilan"}).json()
    answers.append(web.post(f"/rooms/{api['id']}/claim", json={"token": api["facilitator_token"]}, headers=ours))
    answers.append(web.post(f"/rooms/{api['id']}/facilitator-link/regenerate", headers=ours))
    answers.append(web.post(f"/rooms/{api['id']}/delete", data={"confirm": "yes"}, headers=ours,
                            follow_redirects=False))
    assert all(a.status_code in (200, 303) for a in answers), [(a.request.url.path, a.status_code) for a in answers]
    assert all(a.headers.get_list("set-cookie") for a in answers)
    problems = [p for a in answers for p in check_answer(a, https=https)]
    assert not problems, "\n".join(problems)


def test_a_foreign_host_is_refused_for_pages_and_sockets(client: TestClient, room: Room) -> None:
    for path in ("/", "/healthz", f"/rooms/{room.id}", "/static/css/app.css", "/nowhere"):
        for host in ("evil.example", "testserver.evil.example", "evil.example:80", "", "[::2]"):
            response = client.get(path, headers={"host": host})
            assert (response.status_code, response.text) == (400, "Invalid host header"), (path, host)
            assert not check_answer(response)
    assert client.get("/healthz", headers={"host": "testserver:8000"}).status_code == 200  # any port
    with pytest.raises(WebSocketDenialResponse) as refused:
        with client.websocket_connect(f"/rooms/{room.id}/ws", headers={
                "host": "evil.example", "origin": ORIGIN, "authorization": f"Bearer {room.facilitator_token}"}):
            pass
    assert refused.value.status_code == 400


def test_allowed_hosts_come_from_the_public_address_and_the_setting(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", ESSAIM_PUBLIC_URL="https://Essaim.Example.fr:8443",
                             ESSAIM_ALLOWED_HOSTS="atelier.example.org, *.example.net")
    assert settings.allowed_hosts == {"essaim.example.fr", "atelier.example.org", "*.example.net", "localhost",
                                      "127.0.0.1", "[::1]"}
    with TestClient(create_app(settings), base_url="https://essaim.example.fr") as web:
        for host, status in (("essaim.example.fr", 200), ("ESSAIM.example.fr:443", 200), ("atelier.example.org", 200),
                             ("a.example.net", 200), ("127.0.0.1:8000", 200), ("[::1]:8000", 200),
                             ("localhost", 200), ("example.net", 400), ("evil.example", 400)):
            assert web.get("/healthz", headers={"host": host}).status_code == status, host
    for wrong in ("a.*.example", "*example.org"):
        with pytest.raises(ValueError, match="ESSAIM_ALLOWED_HOSTS"):
            make_settings(tmp_path / "data", ESSAIM_ALLOWED_HOSTS=wrong)


def raw_request(port: int, head: str) -> str:
    """The status line and headers a real server answers to a hand-written request."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(head.encode())
        return conn.recv(4096).decode("latin-1").split("\r\n\r\n")[0]


@pytest.mark.server
def test_a_real_server_names_no_server_and_refuses_foreign_hosts(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:
        room = server.create_room()
        for path in ("/", "/healthz", f"/rooms/{room['id']}", "/static/css/app.css", "/nowhere"):
            answer = raw_request(server.port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                                              "Connection: close\r\n\r\n")
            assert "\r\nserver:" not in answer.lower() and "x-content-type-options: nosniff" in answer.lower(), path
        foreign = raw_request(server.port, "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        assert foreign.startswith("HTTP/1.1 400") and "\r\nserver:" not in foreign.lower()
        handshake = (f"GET /rooms/{room['id']}/ws HTTP/1.1\r\nHost: {{host}}\r\nUpgrade: websocket\r\n"
                     f"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     f"Sec-WebSocket-Version: 13\r\nOrigin: {server.origin}\r\n"
                     f"Authorization: Bearer {room['facilitator_token']}\r\n\r\n")
        assert raw_request(server.port, handshake.format(host="evil.example")).startswith("HTTP/1.1 400")
        assert raw_request(server.port, handshake.format(host=f"127.0.0.1:{server.port}")).startswith("HTTP/1.1 101")
    finally:
        server.stop()
