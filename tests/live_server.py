"""The app served for real on local ports: in a thread of the test process, or as separate
worker processes (each with its own listener), for truly parallel requests and live pushes."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from app.main import create_app
from kernel.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(settings: Settings, engine: Engine) -> Iterator[str]:
    """The app served by uvicorn in a thread, on a free port; yields its /graphql URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(settings: Settings, engine: Engine) -> Iterator[str]:
    """The app served by uvicorn on a free local port, for truly parallel requests."""
    with serve(settings, engine) as url:
        yield url


def server_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of an `agora serve` process on the test database, with the test key."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AGORA_", "DATABASE_URL"))
    }
    env.update(
        {
            "AGORA_ENV": settings.env,
            "AGORA_DATA_DIR": str(settings.data_dir),
            "DATABASE_URL": settings.database_url,
            "AGORA_SECRET_KEY": settings.secret_key,
            # A push that arrives in a test came from the write's news, never from a poll.
            "AGORA_LIVE_POLL_SECONDS": str(settings.live_poll_seconds),
        }
    )
    env.update(extra)
    return env


@contextmanager
def agora_serve(env: dict[str, str], *, workers: int = 1) -> Iterator[str]:
    """`agora serve` as its own process (with `workers` uvicorn workers); yields its /graphql URL."""
    port = _free_port()
    log = Path(env["AGORA_DATA_DIR"]) / f"serve-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
        + ["--workers", str(workers), "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "agora serve did not start"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        # Every worker of the process must be listening: give the others a moment to start.
        if workers > 1:
            time.sleep(2)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def start_server(settings: Settings, engine: Engine, db: Any) -> Iterator[Callable[..., str]]:
    """`start_server(env="production", cors_origins=(...,))`: the app with those settings,
    served for real; returns its base address. Servers stop when the test ends."""
    with ExitStack() as stack:

        def start(**changes: Any) -> str:
            changed = dataclasses.replace(settings, **changes)
            return stack.enter_context(serve(changed, engine)).removesuffix("/graphql")

        yield start
