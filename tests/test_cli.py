"""The `agora` command as an operator runs it: a real process, the same settings as the server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

import models
from app.migrate import head_revision
from kernel.settings import SettingsError, load_settings
from models import Role
from schema import schema
from tests.factories import PASSWORD, gid

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
        answer = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={
                "query": 'mutation { login(email: "participant@agora.demo", password: "agora-demo") { accessToken } }'
            },
            timeout=10,
        )
        # A token-bearing answer: never stored, and no banner naming the server.
        assert answer.headers["cache-control"] == "no-store"
        assert "server" not in answer.headers
        token = answer.json()["data"]["login"]["accessToken"]
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


LOGIN = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { refreshToken } }"


def _log_in(gql, user: models.User, times: int = 1) -> list[str]:
    return [
        gql.ok(LOGIN, {"email": user.email, "password": PASSWORD})["login"]["refreshToken"]
        for _ in range(times)
    ]


def _counts(db, *models_: type) -> list[int]:
    db.expire_all()
    return [len(db.exec(select(m)).all()) for m in models_]


def _retention_world(factory, gql):
    """An event that ended 40 days ago with data of every kind, one that ended 5 days ago, and
    one still running; users linked to the old event only, to it and a running one, an admin."""
    now = factory.now
    old = factory.event(
        starts_at=now - timedelta(days=42),
        ends_at=now - timedelta(days=40),
        president=factory.user(),
    )
    recent = factory.event(starts_at=now - timedelta(days=7), ends_at=now - timedelta(days=5))
    running = factory.event()
    room = factory.room(old)
    controller = factory.member(old, Role.CONTROLLEUR_DES_BADGES)
    gone = factory.member(old, Role.PARTICIPANT)
    exposant = factory.member(old, Role.EXPOSANT)
    for _ in range(3):
        factory.scan(room, gone, controller=controller, scanned_at=now - timedelta(days=41))
    factory.visit(exposant, gone)
    factory.visit(exposant, controller)
    for action in ("room.update", "badge.revoke"):
        factory.db.add(models.AuditEntry(event_id=old.id, action=action, subject_id="x"))
    # An earlier run's record stays: it says what was removed.
    factory.db.add(
        models.AuditEntry(event_id=old.id, action="retention.run", after={"scan_log": 9})
    )
    factory.db.commit()
    recent_room = factory.room(recent)
    recent_controller = factory.member(recent, Role.CONTROLLEUR_DES_BADGES)
    factory.scan(recent_room, None, controller=recent_controller)
    factory.visit(factory.member(recent, Role.EXPOSANT), recent_controller)
    staying = factory.member(running, Role.PARTICIPANT)
    factory.member(old, Role.PARTICIPANT, user=factory.db.get(models.User, staying.user_id))
    admin = factory.user(admin=True)
    factory.member(old, Role.EXPOSANT, user=admin)
    gone_user = factory.db.get(models.User, gone.user_id)
    tokens = {
        "gone": _log_in(gql, gone_user, times=2),
        "staying": _log_in(gql, factory.db.get(models.User, staying.user_id)),
        "admin": _log_in(gql, admin),
    }
    factory.db.commit()
    return old, recent, tokens


AUDIT_LOG = """query($id: ID!) { event(id: $id) {
  auditLog(action: "retention.run") { totalCount edges { node { action actor { id } subjectId after } } }
} }"""
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { refreshToken } }"


def test_retention_counts_what_it_would_delete_and_deletes_nothing(settings, factory, gql, db):
    # given
    old, _recent, _tokens = _retention_world(factory, gql)
    kinds = (models.RoomAccess, models.Visit, models.RefreshToken, models.AuditEntry)
    before = _counts(db, *kinds)
    db.commit()
    # when
    result = _agora(settings, "retention", "--older-than-days", "30")
    # then
    assert result.returncode == 0, result.stderr
    assert "of 1 event(s) that ended more than 30 day(s) ago" in result.stdout
    assert "Would delete" in result.stdout
    assert "  scan log: 3\n" in result.stdout
    assert "  stand visits: 2\n" in result.stdout
    assert "  refresh tokens: 2\n" in result.stdout
    assert "  audit entries: 2\n" in result.stdout
    assert "--execute" in result.stdout
    assert _counts(db, *kinds) == before


def test_retention_execute_deletes_only_old_events_rows_and_audits_it(settings, factory, gql, db):
    # given
    old, recent, tokens = _retention_world(factory, gql)
    db.commit()
    # when
    result = _agora(settings, "retention", "--older-than-days", "30", "--execute")
    # then
    assert result.returncode == 0, result.stderr
    assert "Deleted, of 1 event(s)" in result.stdout
    for line in ("scan log: 3", "stand visits: 2", "refresh tokens: 2", "audit entries: 2"):
        assert f"  {line}\n" in result.stdout
    assert "Deleting" in result.stderr  # the progress bar
    db.expire_all()
    assert (
        db.exec(select(models.RoomAccess).where(models.RoomAccess.event_id == old.id)).all() == []
    )
    assert db.exec(select(models.Visit).where(models.Visit.event_id == old.id)).all() == []
    assert (
        len(db.exec(select(models.RoomAccess).where(models.RoomAccess.event_id == recent.id)).all())
        == 1
    )
    assert len(db.exec(select(models.Visit).where(models.Visit.event_id == recent.id)).all()) == 1
    entries = db.exec(
        select(models.AuditEntry)
        .where(models.AuditEntry.event_id == old.id)
        .order_by(models.AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["retention.run", "retention.run"]
    assert entries[0].after == {"scan_log": 9}
    run = entries[1]
    assert run.actor_id is None
    assert run.after == {"scan_log": 3, "stand_visits": 2, "refresh_tokens": 2, "audit_entries": 2}
    assert (
        db.exec(select(models.AuditEntry).where(models.AuditEntry.event_id == recent.id)).all()
        == []
    )
    # Its president reads the run in the event's audit log.
    president = db.get(models.User, old.president_id)
    log = gql.ok(AUDIT_LOG, {"id": gid("Event", old)}, token=factory.token(president))["event"][
        "auditLog"
    ]
    assert log["totalCount"] == 2
    assert log["edges"][0]["node"] == {
        "action": "retention.run",
        "actor": None,
        "subjectId": gid("Event", old),
        "after": run.after,
    }
    # The old event's only member is logged out; people still taking part, and admins, are not.
    for token in tokens["gone"]:
        assert gql(REFRESH, {"t": token})["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for token in tokens["staying"] + tokens["admin"]:
        assert gql.ok(REFRESH, {"t": token})["refreshToken"]["refreshToken"]


def test_retention_run_again_finds_nothing_and_writes_no_entry(settings, factory, gql, db):
    # given
    old, _recent, _tokens = _retention_world(factory, gql)
    db.commit()
    assert _agora(settings, "retention", "--older-than-days", "30", "--execute").returncode == 0
    # when
    again = _agora(settings, "retention", "--older-than-days", "30", "--execute")
    # then
    assert again.returncode == 0, again.stderr
    for line in ("scan log: 0", "stand visits: 0", "refresh tokens: 0", "audit entries: 0"):
        assert f"  {line}\n" in again.stdout
    db.expire_all()
    runs = db.exec(
        select(models.AuditEntry).where(
            models.AuditEntry.event_id == old.id, models.AuditEntry.action == "retention.run"
        )
    ).all()
    assert len(runs) == 2  # the earlier record and the first run's, not a third


def test_retention_never_touches_running_or_recently_ended_events(settings, factory, gql, db):
    # given: with 0 days, the event that ended 5 days ago counts, the running one never does
    _retention_world(factory, gql)
    db.commit()
    # when
    result = _agora(settings, "retention", "--older-than-days", "0")
    # then
    assert result.returncode == 0, result.stderr
    assert "of 2 event(s) that ended more than 0 day(s) ago" in result.stdout
    assert "  scan log: 4\n" in result.stdout
    assert "  stand visits: 3\n" in result.stdout


@pytest.mark.parametrize(("days", "message"), [("-1", "0 or more"), ("soon", "whole number")])
def test_retention_refuses_a_bad_number_of_days(settings, db, days, message):
    result = _agora(settings, "retention", "--older-than-days", days)
    assert result.returncode == 2
    assert message in result.stderr


def test_retention_deletes_more_rows_than_one_batch(settings, factory, db):
    # given: 2,500 scans, more than two batches of 1,000
    now = factory.now
    old = factory.event(starts_at=now - timedelta(days=12), ends_at=now - timedelta(days=11))
    room = factory.room(old)
    controller = factory.member(old, Role.CONTROLLEUR_DES_BADGES)
    people = factory.people(old, Role.PARTICIPANT, 2500)
    factory.scans(room, people, controller=controller, start=now - timedelta(days=11, hours=20))
    db.commit()
    # when
    result = _agora(settings, "retention", "--older-than-days", "10", "--execute")
    # then
    assert result.returncode == 0, result.stderr
    assert "  scan log: 2500\n" in result.stdout
    assert _counts(db, models.RoomAccess) == [0]
    assert "2500/2500" in result.stderr  # the progress bar went all the way


def _fresh(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`agora` with nothing of the suite's settings: a data folder of its own, `env` added."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AGORA_", "DATABASE_URL"))}
    environ.update(AGORA_DATA_DIR=str(tmp_path), AGORA_SECRET_KEY="s" * 40, **env)
    args = environ.pop("ARGS").split()
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_says_which_revisions_it_moved_between(tmp_path):
    first = _fresh(tmp_path, ARGS="migrate")
    assert first.returncode == 0, first.stderr
    head = head_revision()
    assert first.stdout.startswith(f"Migrated the database from empty to {head} (")
    assert "revisions applied)." in first.stdout
    again = _fresh(tmp_path, ARGS="migrate")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == (
        f"The database is at {head}, the latest revision: nothing to apply."
    )


def test_serve_refuses_a_database_that_was_never_migrated(tmp_path):
    result = _fresh(tmp_path, ARGS="serve")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"agora: the database sqlite:///{tmp_path.resolve() / 'agora.db'} is empty (never "
        f"migrated), not at the latest revision {head_revision()}: run `agora migrate` first."
    ]


@pytest.mark.parametrize("command", ["seed", "serve --demo"])
def test_the_demo_event_is_refused_in_production(tmp_path, command):
    result = _fresh(tmp_path, ARGS=command, AGORA_ENV="production")
    assert result.returncode != 0
    assert "it does not run with AGORA_ENV=production" in result.stderr
    assert not (tmp_path / "agora.db").exists()  # nothing was migrated or seeded


@pytest.mark.parametrize("command", ["migrate", "serve", "seed"])
def test_a_database_out_of_reach_is_one_line_without_its_password(tmp_path, command):
    port = _free_port()  # nothing listens there
    url = f"postgresql+psycopg://agora:s3cret-pw@127.0.0.1:{port}/agora"
    result = _fresh(tmp_path, ARGS=command, DATABASE_URL=url)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        f"agora: cannot reach the database postgresql+psycopg://agora:***@127.0.0.1:{port}/agora:"
    )
    assert "s3cret-pw" not in result.stderr + result.stdout


def test_a_url_that_names_no_database_is_one_line(tmp_path):
    result = _fresh(tmp_path, ARGS="migrate", DATABASE_URL="not a url")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("agora: DATABASE_URL is not a database URL")


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("AGORA_MAX_UPLOAD_BYTES", "10MB", "a whole number above 0"),
        ("AGORA_ACCESS_TOKEN_MINUTES", "-5", "a whole number above 0"),
        ("AGORA_REFRESH_TOKEN_DAYS", "0", "a whole number above 0"),
        ("AGORA_MAX_SYNC_BATCH", "lots", "a whole number above 0"),
        ("AGORA_MAX_REQUEST_BYTES", "1.5", "a whole number above 0"),
        ("AGORA_ENTRY_WINDOW_MINUTES", "-1", "a whole number, 0 or more"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(tmp_path, name, value, said):
    result = _fresh(tmp_path, ARGS="migrate", **{name: value})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"agora: {name} must be {said}, not {value!r}."]
    assert not (tmp_path / "agora.db").exists()
