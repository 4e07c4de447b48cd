"""What a participant's phone pays to join a room: bytes, and time on a slow 3G network.

    .venv/bin/python -m bench.phone            # prints the figures (about 30 s)
    .venv/bin/python -m bench.phone --runs 3   # the median of three throttled runs

A real server (tests/support/server.py) on 127.0.0.1 and Debian's Chromium through
Playwright, with a phone's viewport (360×640, touch). Figures:

* bytes: every HTML, CSS and JavaScript response body (uncompressed) from opening the
  join link to the room drawn, with the cache empty (a file asked for again, as the
  stylesheet on the second page, is counted once); images (logo, QR code) apart;
* time: with Chromium's network throttled through CDP `Network.emulateNetworkConditions`
  to DevTools' "Slow 3G" profile (2 s round trip, 50 000 bytes/s each way, cache off):
  from opening the join link to its name field, and from sending the name to the room's
  first usable screen (the composer shown and the socket connected).

The room is in its writing phase: what later phases, facilitators or the "leave" dialog
need comes when the room gets there (static/js/lazy.js) and is not counted here.

Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, Response, expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.support.server import Server

SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
COUNTED = {"document": "html", "stylesheet": "css", "script": "js"}
TARGET_BYTES = 150_000  # issue 6: "under 150 KB", in bytes; tests/test_templates_and_catalogues.py holds it too


def create_room(server: Server) -> str:
    body = json.dumps({"title": "Atelier du quartier", "template": "journee-citoyenne", "phase": "write"}).encode()
    request = urllib.request.Request(server.url + "/api/rooms", data=body, method="POST",
                                     headers={"content-type": "application/json", "origin": server.origin})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (our own server on 127.0.0.1)
        return str(json.loads(answer.read())["join_url"])


def join(page: Page, url: str) -> tuple[float, float]:
    """Open the join link, send a name, wait for the room: (seconds to the form, seconds to the room)."""
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    expect(page.get_by_label("Votre pseudonyme")).to_be_visible(timeout=120_000)
    form = time.perf_counter() - start
    page.get_by_label("Votre pseudonyme").fill("Lou")
    start = time.perf_counter()
    page.get_by_role("button", name="Rejoindre l’atelier").click()
    expect(page.get_by_role("textbox", name=__import__("re").compile("^Nouvelle idée")).first).to_be_visible(timeout=120_000)
    expect(page.locator("#connection")).to_have_text("Connecté", timeout=120_000)
    return form, time.perf_counter() - start


def measure(runs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        server = Server(Path(folder) / "data").start()
        try:
            url = create_room(server)
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # bytes, unthrottled
            context = browser.new_context(locale="fr-FR", **PHONE)
            page = context.new_page()
            sizes: dict[str, int] = {"html": 0, "css": 0, "js": 0, "images": 0}
            files: list[tuple[str, int]] = []
            seen: set[str] = set()  # a file the page asks for again comes from the phone's cache

            def count(response: Response) -> None:
                kind = COUNTED.get(response.request.resource_type)
                if kind is None and response.request.resource_type == "image":
                    kind = "images"
                if kind is None or response.status >= 300 or (kind != "html" and response.url in seen):
                    return
                seen.add(response.url)
                size = len(response.body())
                sizes[kind] += size
                files.append((response.url.removeprefix(server.url), size))

            page.on("response", count)
            join(page, url)
            page.wait_for_load_state("networkidle")
            context.close()
            # time, throttled, fresh contexts (no cache, no cookie)
            timings = []
            for _ in range(runs):
                context = browser.new_context(locale="fr-FR", **PHONE)
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                cdp.send("Network.emulateNetworkConditions", SLOW_3G)
                timings.append(join(page, url))
                context.close()
            browser.close()
        finally:
            server.stop()
    text = sizes["html"] + sizes["css"] + sizes["js"]
    return {"bytes": sizes, "html_css_js": text, "target": TARGET_BYTES, "files": sorted(files, key=lambda f: -f[1]),
            "form_seconds": statistics.median(t[0] for t in timings),
            "room_seconds": statistics.median(t[1] for t in timings), "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    result = measure(args.runs)
    sizes = result["bytes"]
    assert isinstance(sizes, dict)
    print(f"HTML {sizes['html']:,} B + CSS {sizes['css']:,} B + JS {sizes['js']:,} B = {result['html_css_js']:,} B "
          f"({int(result['html_css_js']) / 1024:.1f} KiB, target < {TARGET_BYTES:,} B); images {sizes['images']:,} B")
    for name, size in result["files"]:  # type: ignore[misc]
        print(f"  {size:>8,} B  {name}")
    print(f"slow 3G (2 s RTT, 50 kB/s), median of {result['runs']}: join form usable after "
          f"{result['form_seconds']:.1f} s, room usable {result['room_seconds']:.1f} s after sending the name")


if __name__ == "__main__":
    main()
