"""Door-scan benchmark: a large event on PostgreSQL, the server as in production, scanBadge driven
from another process at several concurrencies. Prints scans/s and p50/p99 latency.

    .venv/bin/python bench/scan_bench.py \
        --admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

It creates (and afterwards drops) its own database on that server; the server it starts and
every request it sends stay on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import multiprocessing
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
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import security  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.migrate import upgrade  # noqa: E402

HOST = "127.0.0.1"  # the benchmark never talks to anything else
PASSWORD = "bench password"
MEMBERS, ROOMS, SESSIONS_PER_ROOM, SCANS = 20_000, 20, 20, 300_000
SCAN = """mutation($input: ScanInput!) { scanBadge(input: $input) { status reason duplicate } }"""
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"""


def _code(i: int) -> str:
    return f"AGB-BENCH-{i:06d}"


def seed(url: str) -> None:
    """20,000 members, 20 rooms, 400 sessions (the 11th of each room runs now), 300,000 scans."""
    now = datetime.now(UTC)
    first_start = now - timedelta(hours=10, minutes=30)
    pw_hash = security.hash_password(PASSWORD)
    rng = random.Random(42)
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO event (id, name, description, location, starts_at, ends_at, timezone, created_at) "
            "VALUES (1, 'Bench', '', '', %s, %s, 'UTC', %s)",
            (now - timedelta(days=1), now + timedelta(days=2), now),
        )
        with cur.copy(
            "COPY room (id, event_id, name, description, location, capacity) FROM STDIN"
        ) as cp:
            for r in range(1, ROOMS + 1):
                cp.write_row((r, 1, f"Salle {r}", "", "", 5000))
        sessions: list[tuple[int, int, datetime, datetime]] = []
        cols = "id, event_id, room_id, title, description, speaker_name, kind, is_paid, price, status, starts_at, ends_at"
        with cur.copy(f"COPY session ({cols}) FROM STDIN") as cp:
            sid = 0
            for r in range(1, ROOMS + 1):
                for k in range(SESSIONS_PER_ROOM):
                    sid += 1
                    start = first_start + timedelta(hours=k)
                    end = start + timedelta(minutes=55)
                    sessions.append((sid, r, start, end))
                    cp.write_row(
                        (
                            sid,
                            1,
                            r,
                            f"Talk {sid}",
                            "",
                            "",
                            "CONFERENCE",
                            False,
                            0,
                            "PAS_ENCORE",
                            start,
                            end,
                        )
                    )
        with cur.copy(
            "COPY app_user (id, email, full_name, password_hash, is_admin, created_at) FROM STDIN"
        ) as cp:
            for i in range(1, MEMBERS + 1):
                cp.write_row((i, f"m{i}@bench.test", f"Member {i}", pw_hash, False, now))
        # Members 1..20 are the controllers, one per room; the others are participants.
        with cur.copy(
            "COPY member (id, event_id, user_id, role, company, created_at) FROM STDIN"
        ) as cp:
            for i in range(1, MEMBERS + 1):
                role = "CONTROLLEUR_DES_BADGES" if i <= ROOMS else "PARTICIPANT"
                cp.write_row((i, 1, i, role, "", now))
        with cur.copy("COPY badge (id, member_id, code, issued_at) FROM STDIN") as cp:
            for i in range(1, MEMBERS + 1):
                cp.write_row((i, i, _code(i), now - timedelta(days=1)))
        with cur.copy(
            "COPY room_assignment (id, event_id, member_id, room_id, role, starts_at, ends_at, assigned_at) FROM STDIN"
        ) as cp:
            for r in range(1, ROOMS + 1):
                cp.write_row(
                    (
                        r,
                        1,
                        r,
                        r,
                        "CONTROLLEUR_DES_BADGES",
                        now - timedelta(hours=12),
                        now + timedelta(hours=12),
                        now,
                    )
                )
        started = [s for s in sessions if s[2] <= now]
        cols = "event_id, room_id, session_id, member_id, code, controller_id, scanned_by_id, status, reason, scanned_at"
        with cur.copy(f"COPY room_access ({cols}) FROM STDIN") as cp:
            for _ in range(SCANS):
                sid, room, start, _end = rng.choice(started)
                member = rng.randint(ROOMS + 1, MEMBERS)
                denied = rng.random() < 0.05
                cp.write_row(
                    (
                        1,
                        room,
                        sid,
                        member,
                        _code(member),
                        room,
                        room,
                        "DENIED" if denied else "GRANTED",
                        "NOT_PAID" if denied else None,
                        start + timedelta(seconds=rng.randint(0, 3000)),
                    )
                )
        for table in ("event", "room", "session", "app_user", "member", "badge", "room_assignment"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        conn.commit()
        cur.execute("ANALYZE")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(url: str, workers: int, data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "AGORA_ENV": "production",
        "AGORA_SECRET_KEY": secrets.token_urlsafe(48),
        "AGORA_DATA_DIR": data_dir,
    }
    cmd = [sys.executable, "-m", "app", "serve", "--host", HOST, "--port", str(port)]
    cmd += ["--workers", str(workers), "--quiet"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env)
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start")


def drive(
    base: str, tokens: list[str], concurrency: int, requests: int, seconds: float, out: Any
) -> None:
    """Runs in its own process: `concurrency` threads scanning random participants at random doors."""
    latencies: list[float] = []
    verdicts: Counter[str] = Counter()
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    remaining = [requests]

    def worker(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        with httpx.Client(base_url=base, timeout=30) as client:
            while time.monotonic() < stop_at:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                room = rng.randint(1, ROOMS)
                member = rng.randint(ROOMS + 1, MEMBERS)
                code = _code(member) if rng.random() > 0.02 else "AGB-NOT-A-BADGE"
                variables = {
                    "input": {
                        "roomId": _room_gid(room),
                        "code": code,
                        "clientScanId": uuid.uuid4().hex,
                    }
                }
                t0 = time.perf_counter()
                response = client.post(
                    "/graphql",
                    json={"query": SCAN, "variables": variables},
                    headers={"Authorization": f"Bearer {tokens[room - 1]}"},
                )
                elapsed = time.perf_counter() - t0
                body = response.json()
                with lock:
                    latencies.append(elapsed)
                    if "errors" in body:
                        errors += 1
                    else:
                        r = body["data"]["scanBadge"]
                        verdicts[r["reason"] or r["status"]] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    out.put({"latencies": latencies, "verdicts": dict(verdicts), "errors": errors, "wall": wall})


def _room_gid(pk: int) -> str:
    from resolvers.ids import encode

    return encode("Room", pk)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--requests", type=int, default=3000, help="per concurrency level")
    parser.add_argument(
        "--seconds", type=float, default=30, help="time limit per concurrency level"
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    admin_url = make_url(args.admin_url)
    if admin_url.host not in (HOST, "localhost"):
        raise SystemExit("the benchmark runs against a local PostgreSQL only (127.0.0.1)")

    name = f"agora_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    server = None
    try:
        t0 = time.perf_counter()
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        seed(url)
        print(
            f"seeded {MEMBERS} members, {ROOMS} rooms, {ROOMS * SESSIONS_PER_ROOM} sessions, "
            f"{SCANS} scans in {time.perf_counter() - t0:.1f}s",
            flush=True,
        )
        with tempfile.TemporaryDirectory() as data_dir:
            server, base = start_server(url, args.workers, data_dir)
            with httpx.Client(base_url=base, timeout=30) as client:
                tokens = [
                    client.post(
                        "/graphql",
                        json={
                            "query": LOGIN,
                            "variables": {"e": f"m{r}@bench.test", "p": PASSWORD},
                        },
                    ).json()["data"]["login"]["accessToken"]
                    for r in range(1, ROOMS + 1)
                ]
            print(f"server: {base}, {args.workers} workers, AGORA_ENV=production", flush=True)
            ctx = multiprocessing.get_context("spawn")
            for concurrency in args.concurrency:
                out = ctx.Queue()
                proc = ctx.Process(
                    target=drive, args=(base, tokens, concurrency, args.requests, args.seconds, out)
                )
                proc.start()
                result = out.get()
                proc.join()
                lat = result["latencies"]
                print(
                    f"concurrency {concurrency:>2}: {len(lat)} scans in {result['wall']:.1f}s = "
                    f"{len(lat) / result['wall']:.0f} scans/s; latency p50 "
                    f"{_percentile(lat, 0.50) * 1000:.1f} ms, p99 {_percentile(lat, 0.99) * 1000:.1f} ms, "
                    f"mean {statistics.fmean(lat) * 1000:.1f} ms; errors {result['errors']}; "
                    f"verdicts {result['verdicts']}",
                    flush=True,
                )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
