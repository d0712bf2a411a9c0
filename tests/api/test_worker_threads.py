"""AGORA_WORKER_THREADS: how many operations a server process runs at once."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from anyio.to_thread import current_default_thread_limiter
from starlette.testclient import TestClient

from app.main import create_app
from kernel.settings import SettingsError, load_settings


def _operation_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("agora-operation")}


def test_the_server_runs_operations_in_the_threads_it_is_given(settings, engine):
    # given
    before = _operation_threads()
    app = create_app(dataclasses.replace(settings, worker_threads=3), engine)
    with TestClient(app) as client:
        # then: anyio's pool (files, exports) is the setting, not anyio's default of 40
        assert client.portal.call(lambda: current_default_thread_limiter().total_tokens) == 3
        # and six operations at once run in at most three threads of the server's own
        seen: list[str] = []

        def ask() -> None:
            answer = client.post("/graphql", json={"query": "{ events { id } }"})
            seen.append(answer.json().get("errors", [{}])[0].get("extensions", {}).get("code"))

        askers = [threading.Thread(target=ask) for _ in range(6)]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join(timeout=30)
        assert seen == ["UNAUTHENTICATED"] * 6
        assert 1 <= len(_operation_threads() - before) <= 3


def test_the_worker_threads_setting_is_checked():
    env = {"AGORA_SECRET_KEY": "x" * 40, "AGORA_DATA_DIR": "/tmp/agora-settings-test"}
    assert load_settings(env).worker_threads == 4
    assert load_settings({**env, "AGORA_WORKER_THREADS": "2"}).worker_threads == 2
    with pytest.raises(SettingsError, match="AGORA_WORKER_THREADS"):
        load_settings({**env, "AGORA_WORKER_THREADS": "0"})
