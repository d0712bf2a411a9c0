"""Live push benchmark: N door displays subscribed to roomOccupancy on several workers, scans
sent over HTTP; prints the push latency (end of the scan's HTTP response to the push arriving at
each subscriber) and what the open subscriptions cost while nothing happens.

    .venv/bin/python bench/live_bench.py \
        --admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        [--workers 2] [--rooms 5] [--per-room 10] [--scans 200] [--idle 10] [--keep]

It creates (and afterwards drops) its own database on that server; the server it starts and
every request it sends stay on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import models  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from kernel import security  # noqa: E402
from kernel.settings import load_settings  # noqa: E402
from resolvers.badges import new_code  # noqa: E402

HOST = "127.0.0.1"  # the benchmark never talks to anything else
OCCUPANCY = "subscription($id: ID!) { roomOccupancy(roomId: $id) { occupancy lastScan { id } } }"
SCAN = "mutation($r: ID!, $c: String!) { scanBadge(input: {roomId: $r, code: $c}) { status access { id } } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _gid(type_name: str, pk: int | None) -> str:
    from kernel.ids import encode

    assert pk is not None
    return encode(type_name, pk)


def seed(url: str, rooms: int, per_room: int, guests: int) -> dict[str, Any]:
    """One event running now: rooms with a session each, a controller on duty at each door,
    `per_room` gestionnaires per room (one display each) and `guests` participants."""
    engine = make_engine(url)
    upgrade(engine)
    now = models.utcnow()
    with Session(engine) as db:
        event = models.Event(
            name="Live bench",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=1),
            timezone="UTC",
        )
        db.add(event)
        db.flush()

        def member(role: models.Role, n: str) -> models.Member:
            user = models.User(email=f"{n}@bench.example", full_name=n)
            db.add(user)
            db.flush()
            m = models.Member(event_id=event.id, user_id=user.id, role=role, display_name=n)
            db.add(m)
            db.flush()
            db.add(models.Badge(member_id=m.id, code=new_code()))
            return m

        doors = []
        for r in range(rooms):
            room = models.Room(event_id=event.id, name=f"Salle {r}", capacity=100_000)
            db.add(room)
            db.flush()
            db.add(
                models.EventSession(
                    event_id=event.id,
                    room_id=room.id,
                    title=f"Talk {r}",
                    kind=models.SessionKind.CONFERENCE,
                    starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(hours=3),
                )
            )
            controller = member(models.Role.CONTROLLEUR_DES_BADGES, f"controller{r}")
            db.add(
                models.RoomAssignment(
                    event_id=event.id,
                    member_id=controller.id,
                    room_id=room.id,
                    role=models.Role.CONTROLLEUR_DES_BADGES,
                    starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(hours=3),
                )
            )
            displays = [
                member(models.Role.GESTIONNAIRE_DES_SALLES, f"display{r}-{i}")
                for i in range(per_room)
            ]
            doors.append((room, controller, displays))
        people = [member(models.Role.PARTICIPANT, f"guest{i}") for i in range(guests)]
        db.commit()
        codes = []
        for p in people:
            db.refresh(p)
            badge = db.exec(select(models.Badge).where(models.Badge.member_id == p.id)).one()
            codes.append(badge.code)
        plan = {
            "codes": codes,
            "doors": [
                {
                    "room": _gid("Room", room.id),
                    "controller": controller.user_id,
                    "displays": [d.user_id for d in displays],
                }
                for room, controller, displays in doors
            ],
        }
    engine.dispose()
    return plan


class Display:
    """One subscriber: a WebSocket, a thread reading it, the arrival time of each pushed scan."""

    def __init__(self, url: str, token: str, room: str) -> None:
        self._socket = connect(
            url.replace("http://", "ws://"), subprotocols=["graphql-transport-ws"]
        )
        self.ws = self._socket.__enter__()
        self.ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(self.ws.recv(timeout=10))["type"] == "connection_ack"
        self.ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": OCCUPANCY, "variables": {"id": room}},
                }
            )
        )
        first = json.loads(self.ws.recv(timeout=10))
        assert first["type"] == "next", first
        self.arrivals: dict[str, float] = {}
        self.errors: list[Any] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                at = time.perf_counter()
                message = json.loads(raw)
                if message.get("type") == "ping":
                    self.ws.send(json.dumps({"type": "pong"}))
                    continue
                if message.get("type") != "next" or message["payload"].get("errors"):
                    self.errors.append(message)
                    continue
                scan = message["payload"]["data"]["roomOccupancy"]["lastScan"]
                if scan is not None:
                    self.arrivals[scan["id"]] = at
        except Exception:  # noqa: BLE001  (the socket closed at the end of the run)
            return

    def close(self) -> None:
        self._socket.__exit__(None, None, None)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(args: argparse.Namespace) -> None:
    admin = make_url(args.admin_url)
    if admin.host not in (HOST, "localhost"):
        raise SystemExit("live_bench talks to a local PostgreSQL only (127.0.0.1).")
    name = f"agora_bench_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.set(database=name).render_as_string(hide_password=False)
    server = None
    displays: list[Display] = []
    try:
        plan = seed(url, args.rooms, args.per_room, args.scans)
        data_dir = tempfile.mkdtemp(prefix="agora-live-bench-")
        secret = secrets.token_urlsafe(48)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AGORA_", "DATABASE_URL"))},
            "AGORA_ENV": "production",
            "AGORA_SECRET_KEY": secret,
            "AGORA_DATA_DIR": data_dir,
            "DATABASE_URL": url,
        }
        settings = load_settings(env)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", HOST, "--port", str(port)]
            + ["--workers", str(args.workers), "--quiet"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        graphql = f"http://{HOST}:{port}/graphql"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        time.sleep(2)  # every worker listening

        def token(user_id: int) -> str:
            return security.issue_access_token(settings, user_id, models.utcnow()).token

        rooms = plan["doors"]
        for door in rooms:
            door["token"] = token(door["controller"])
            door["displays_open"] = [
                Display(graphql, token(u), door["room"]) for u in door["displays"]
            ]
            displays.extend(door["displays_open"])
        print(
            f"{len(displays)} subscriptions on {args.workers} workers, {len(rooms)} rooms, "
            f"{args.scans} scans one after another"
        )

        # Idle: what open subscriptions cost when nothing happens.
        # pg_stat_activity is live: a connection that ran anything since `since` shows it. The
        # listeners' health check (SELECT 1 every 30 s) is not the subscriptions' doing.
        busy = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :n AND backend_type = 'client backend' "
            "AND state_change > :since AND query NOT IN ('SELECT 1', 'LISTEN agora_live')"
        )
        with admin_engine.connect() as conn:
            since = conn.execute(text("SELECT now()")).scalar_one()
            time.sleep(args.idle)
            ran = conn.execute(busy, {"n": name, "since": since}).scalar_one()
        print(f"idle {args.idle:.0f} s: {ran} server connections ran a statement")

        rng = random.Random(7)
        sent: list[tuple[str, float, dict[str, Any]]] = []
        scan_times = []
        with httpx.Client(timeout=10) as client:
            for code in plan["codes"]:
                door = rng.choice(rooms)
                started = time.perf_counter()
                response = client.post(
                    graphql,
                    json={"query": SCAN, "variables": {"r": door["room"], "c": code}},
                    headers={"Authorization": f"Bearer {door['token']}"},
                )
                done = time.perf_counter()
                scan_times.append(done - started)
                body = response.json()
                assert "errors" not in body, body
                sent.append((body["data"]["scanBadge"]["access"]["id"], done, door))
                time.sleep(args.pause)
        time.sleep(1)
        latencies, missing = [], 0
        for scan_id, done, door in sent:
            for display in door["displays_open"]:
                at = display.arrivals.get(scan_id)
                if at is None:
                    missing += 1
                else:
                    latencies.append((at - done) * 1000)
        errors = sum(len(d.errors) for d in displays)
        ms = [t * 1000 for t in scan_times]
        print(f"scanBadge: p50 {statistics.median(ms):.1f} ms, p99 {_percentile(ms, 0.99):.1f} ms")
        print(
            f"push latency over {len(latencies)} pushes: p50 {statistics.median(latencies):.1f} ms, "
            f"p90 {_percentile(latencies, 0.9):.1f} ms, p99 {_percentile(latencies, 0.99):.1f} ms, "
            f"max {max(latencies):.1f} ms; missing {missing}, errors {errors}"
        )
    finally:
        for display in displays:
            display.close()
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        if not args.keep:
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rooms", type=int, default=5)
    parser.add_argument("--per-room", type=int, default=10, help="subscribers per room")
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument("--pause", type=float, default=0.02, help="seconds between scans")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of quiet to measure")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
