"""GraphiQL needs nothing from the internet: its page and assets come from Agora, and in a real
headless Chromium that can reach no other host the editor renders and a query runs.

The browser check needs Chromium (`apt-get install -y chromium`); without it, it is skipped
and the checks on what the server serves still run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# How long a click on the execute button is given to show an answer before it is made again.
CLICK_AGAIN_SECONDS = 5.0


@pytest.mark.parametrize("env", ["development", "production"])
def test_the_page_loads_only_what_agora_serves(start_server, env):
    base = start_server(env=env)
    page = httpx.get(f"{base}/graphiql")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(sources) == 5
    for source in sources:
        assert source.startswith("/graphiql/assets/"), source
        asset = httpx.get(base + source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 100
    assert "unpkg" not in page.text
    assert "jsdelivr" not in page.text
    assert httpx.get(f"{base}/graphiql/assets/..%2Fgraphiql.py").status_code == 404


def test_the_assets_hold_no_internet_address_to_load():
    assets = Path(__file__).parents[1] / "app" / "static" / "graphiql"
    for name in ("graphiql.min.css", "agora-graphiql.js"):
        text = (assets / name).read_text()
        assert "url(http" not in text
        assert "@import" not in text


class Browser:
    """Chromium driven over the DevTools protocol: one page, its requests recorded."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0
        self.requests: list[str] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])
            if message.get("id") == self.next_id:
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"never true in the page: {expression}")

    def click_until(self, selector: str, expression: str, timeout: float = 30) -> Any:
        """Click `selector` until `expression` holds: a click that lands while the page is
        still setting up (the editor not yet holding the query) does nothing, so it is given
        a few seconds and then made again."""
        deadline = time.monotonic() + timeout
        while True:
            self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
            left = deadline - time.monotonic()
            try:
                return self.wait_for(expression, timeout=min(CLICK_AGAIN_SECONDS, left))
            except AssertionError:
                if time.monotonic() >= deadline:
                    raise


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--remote-debugging-port=0",
            # The network is off: no host but this machine resolves.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "about:blank",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 30
        port = None
        while port is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            port = found.group(1) if found else None
        assert port, "Chromium did not start"
        pages = httpx.get(f"http://127.0.0.1:{port}/json/list").json()
        page = next(p for p in pages if p["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            browser = Browser(ws)
            browser.call("Network.enable")
            browser.call("Page.enable")
            yield browser
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.mark.parametrize("env", ["development", "production"])
def test_graphiql_renders_and_runs_a_query_offline(start_server, browser, env):
    base = start_server(env=env)
    query = urllib.parse.quote("{ __typename }")
    browser.call("Page.navigate", url=f"{base}/graphiql?query={query}")
    browser.wait_for("!!document.querySelector('.graphiql-container .graphiql-execute-button')")
    answer = browser.click_until(
        ".graphiql-execute-button",
        "(() => { const pane = document.querySelector('.graphiql-response');"
        " const text = pane ? pane.innerText : ''; return text.includes('Query') ? text : ''; })()",
    )
    assert '"__typename": "Query"' in answer
    assert browser.requests
    for url in browser.requests:
        assert url.startswith((base, "data:")), url
