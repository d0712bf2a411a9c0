"""The `agora` command as an operator runs it: a real process, the same settings as the server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

import models
from app.settings import SettingsError, load_settings
from schema import schema

ROOT = Path(__file__).resolve().parent.parent


def _agora(
    settings, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "AGORA_DATA_DIR": str(settings.data_dir),
        "AGORA_SECRET_KEY": settings.secret_key,
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_create_user_then_log_in(settings, db, gql):
    result = _agora(
        settings,
        "create-user",
        "--email",
        "Ops@Example.org",
        "--password",
        "s3cret-pass",
        "--name",
        "Ops",
        "--admin",
    )
    assert result.returncode == 0, result.stderr
    user = db.exec(select(models.User).where(models.User.email == "ops@example.org")).one()
    assert user.is_admin
    login = gql.ok(
        'mutation { login(email: "ops@example.org", password: "s3cret-pass") { user { isAdmin } } }'
    )
    assert login["login"]["user"]["isAdmin"] is True


def test_create_user_twice_fails_with_exit_code_1(settings, db):
    assert (
        _agora(
            settings,
            "create-user",
            "--email",
            "a@example.org",
            "--password",
            "s3cret-pass",
            "--name",
            "A",
        ).returncode
        == 0
    )
    again = _agora(
        settings,
        "create-user",
        "--email",
        "a@example.org",
        "--password",
        "s3cret-pass",
        "--name",
        "A",
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_set_password(settings, factory, gql):
    factory.user(email="ada@example.org")
    result = _agora(
        settings, "set-password", "--email", "ada@example.org", "--password", "new-password-1"
    )
    assert result.returncode == 0, result.stderr
    assert gql.ok(
        'mutation { login(email: "ada@example.org", password: "new-password-1") { user { email } } }'
    )


def test_set_password_of_unknown_user_fails(settings, db):
    result = _agora(
        settings, "set-password", "--email", "ghost@example.org", "--password", "whatever-1"
    )
    assert result.returncode == 1
    assert "No user has the email ghost@example.org" in result.stderr
    assert "NOT_FOUND" in result.stderr


def test_export_schema(settings, tmp_path):
    target = tmp_path / "out.graphql"
    result = _agora(settings, "export-schema", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_text() == schema.as_str() + "\n"


def test_production_refuses_to_start_without_a_secret():
    with pytest.raises(SettingsError, match="AGORA_SECRET_KEY is required"):
        load_settings({"AGORA_ENV": "production"})
    with pytest.raises(SettingsError, match="at least 32"):
        load_settings({"AGORA_ENV": "production", "AGORA_SECRET_KEY": "short"})


def test_development_secret_is_generated_once_and_kept(tmp_path):
    first = load_settings({"AGORA_DATA_DIR": str(tmp_path)})
    second = load_settings({"AGORA_DATA_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key


def test_serve_refuses_to_start_in_production_without_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGORA_", "DATABASE_URL"))}
    env.update(AGORA_ENV="production", AGORA_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "app", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "AGORA_SECRET_KEY is required" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_demo_with_two_workers(tmp_path, settings, db):
    """The README's first command: migrate, seed, print the address and logins, serve; on the
    default SQLite file, or on PostgreSQL through DATABASE_URL when the suite runs there."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGORA_", "DATABASE_URL"))}
    env["AGORA_DATA_DIR"] = str(tmp_path / "data")
    if settings.database_url.startswith("postgresql"):
        env["DATABASE_URL"] = settings.database_url
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--workers",
            "2",
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("the demo server did not start")
        login = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={
                "query": 'mutation { login(email: "participant@agora.demo", password: "agora-demo") { accessToken } }'
            },
            timeout=10,
        ).json()
        token = login["data"]["login"]["accessToken"]
        events = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={
                "query": "{ events { name rooms { name } myMembership { role badge { code } } } }"
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()["data"]["events"]
        assert events[0]["myMembership"] == {
            "role": "PARTICIPANT",
            "badge": {"code": "AGB-DEMO-PARTICIPANT"},
        }
        assert len(events[0]["rooms"]) == 4
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert f"GraphiQL: http://localhost:{port}/graphiql" in output
    assert "participant@agora.demo" in output


def test_hostile_client_settings_read_from_the_environment(tmp_path):
    defaults = load_settings({"AGORA_DATA_DIR": str(tmp_path)})
    assert defaults.cors_origins == ()
    assert defaults.max_request_bytes == defaults.max_upload_bytes + 1024 * 1024
    given = load_settings(
        {
            "AGORA_DATA_DIR": str(tmp_path),
            "AGORA_CORS_ORIGINS": " https://app.example.org, https://staff.example.org ,",
            "AGORA_MAX_UPLOAD_BYTES": "1000",
            "AGORA_LOGIN_LIMIT_PER_ACCOUNT": "3 per minute",
        }
    )
    assert given.cors_origins == ("https://app.example.org", "https://staff.example.org")
    assert given.max_request_bytes == 1000 + 1024 * 1024
    assert given.login_limit_per_account == "3 per minute"
    with pytest.raises(SettingsError, match="AGORA_LOGIN_LIMIT_PER_ADDRESS must read like"):
        load_settings({"AGORA_DATA_DIR": str(tmp_path), "AGORA_LOGIN_LIMIT_PER_ADDRESS": "lots"})
