"""Read workloads on a large seeded event, against a real multi-worker server on PostgreSQL.

    .venv/bin/python bench/read_bench.py [--workers 4] [--seconds 15] [--reseed]

Seeds (once; --reseed starts over) a PostgreSQL database with one salon: 20,000 members,
20 rooms, 400 sessions, 300,000 door scans (15,000 per room), an exposant with 5,000 visits.
Starts `agora serve` in production mode with several workers on 127.0.0.1, then drives three
requests at concurrency 1 and 16 and prints requests/s, p50 and p99:

- exposant: the exposant's whole stats request (totals, today, unique, by hour, first 50
  visits with names and emails);
- room: a room's stats (15,000 scans) read by the controller assigned to it, with the first
  50 scans;
- programme: event -> rooms (occupancy, current and next session) -> sessions (attendance);
- overview: Event.stats over all 300,000 scans (totals, by hour, every session's attendance
  and paid no-shows).

Only 127.0.0.1 is contacted; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import security  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.settings import load_settings  # noqa: E402
from resolvers.ids import encode  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/agora_read_bench"
EVENT_NAME = "Read bench salon"
MEMBERS = 20_000
ROOMS = 20
SESSIONS_PER_ROOM = 20
SCANS_PER_ROOM = 15_000
EXPOSANTS = 50
CONTROLLERS = 40
GESTIONNAIRES = 10
BIG_EXPOSANT_VISITS = 5_000
OTHER_EXPOSANT_VISITS = 200
REASONS = ["UNKNOWN_BADGE", "REVOKED_BADGE", "NO_SESSION", "NOT_PAID", "ROOM_FULL"]

EXPOSANT_QUERY = """query($id: ID!) { node(id: $id) { ... on Member { exposantStats {
  totalVisits todayVisits uniqueVisitors byHour { hour count }
  visits(first: 50) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id scannedAt note participant { fullName company email } } } }
  csvUrl } } } }"""

ROOM_QUERY = """query($id: ID!) { room(id: $id) { name stats {
  totalScans granted denied uniqueMembers byReason { reason count } byHour { hour count }
  scans(first: 50) { totalCount edges { node { id status reason scannedAt member { fullName } } } }
} } }"""

PROGRAMME_QUERY = """query($id: ID!) { event(id: $id) { name rooms {
  name capacity occupancy currentSession { title } nextSession { title startsAt }
  sessions { title startsAt endsAt kind attendance } } } }"""


OVERVIEW_QUERY = """query($id: ID!) { event(id: $id) { stats {
  members checkedIn totalScans denied scansByHour { hour count }
  sessions { session { title } attendance capacity noShows } } } }"""


@dataclass(frozen=True)
class Seeded:
    event_id: int
    president_id: int
    exposant_member_id: int
    exposant_user_id: int
    controller_user_id: int
    room_id: int


# --- Seeding -----------------------------------------------------------------------------


def _ensure_database(url: str, reseed: bool) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        ).first()
        if exists and reseed:
            conn.execute(text(f'DROP DATABASE "{target.database}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _copy(engine: Engine, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
        n = 0
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        raw.commit()
        return n
    finally:
        raw.close()


def _find(engine: Engine) -> Seeded | None:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, president_id FROM event WHERE name = :n"), {"n": EVENT_NAME}
        ).first()
        if row is None:
            return None
        event_id, president_id = row
        exposant = conn.execute(
            text(
                "SELECT m.id, m.user_id FROM member m JOIN app_user u ON u.id = m.user_id "
                "WHERE m.event_id = :e AND u.email = 'exposant0@bench.test'"
            ),
            {"e": event_id},
        ).one()
        controller = conn.execute(
            text("SELECT id FROM app_user WHERE email = 'controller0@bench.test'")
        ).scalar_one()
        room = conn.execute(
            text("SELECT id FROM room WHERE event_id = :e AND name = 'Salle 00'"), {"e": event_id}
        ).scalar_one()
    return Seeded(event_id, president_id, exposant[0], exposant[1], controller, room)


def seed(engine: Engine) -> Seeded:
    """Bulk-insert the large event with COPY (fresh database: ids are assigned here)."""
    rng = random.Random(42)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=48)
    created = now - timedelta(days=7)

    # Users 1..MEMBERS are members; MEMBERS + 1 presides.
    roles = (
        ["EXPOSANT"] * EXPOSANTS
        + ["CONTROLLEUR_DES_BADGES"] * CONTROLLERS
        + ["GESTIONNAIRE_DES_SALLES"] * GESTIONNAIRES
        + ["PARTICIPANT"] * (MEMBERS - EXPOSANTS - CONTROLLERS - GESTIONNAIRES)
    )
    kind_index: dict[str, int] = {}
    emails = []
    for role in roles:
        i = kind_index.get(role, 0)
        kind_index[role] = i + 1
        prefix = {"EXPOSANT": "exposant", "CONTROLLEUR_DES_BADGES": "controller"}.get(
            role, "gestionnaire" if role == "GESTIONNAIRE_DES_SALLES" else "participant"
        )
        emails.append(f"{prefix}{i}@bench.test")
    president_id = MEMBERS + 1
    _copy(
        engine,
        "app_user",
        ["id", "email", "full_name", "is_admin", "created_at"],
        [
            *(
                (i + 1, email, f"Person {i + 1} Benchmark", False, created)
                for i, email in enumerate(emails)
            ),
            (president_id, "president@bench.test", "La Présidente", False, created),
        ],
    )
    event_id = 1
    _copy(
        engine,
        "event",
        [
            "id",
            "name",
            "description",
            "location",
            "starts_at",
            "ends_at",
            "timezone",
            "president_id",
            "created_at",
        ],
        [
            (
                event_id,
                EVENT_NAME,
                "",
                "Paris",
                start,
                now + timedelta(hours=24),
                "Europe/Paris",
                president_id,
                created,
            )
        ],
    )
    _copy(
        engine,
        "member",
        ["id", "event_id", "user_id", "role", "company", "created_at"],
        (
            (i + 1, event_id, i + 1, role, f"Company {i % 500}", created)
            for i, role in enumerate(roles)
        ),
    )
    _copy(
        engine,
        "badge",
        ["id", "member_id", "code", "issued_at"],
        (
            (i + 1, i + 1, f"AGB-bench-{i + 1}-{secrets.token_hex(4)}", created)
            for i in range(MEMBERS)
        ),
    )
    exposants = [i + 1 for i, r in enumerate(roles) if r == "EXPOSANT"]
    controllers = [i + 1 for i, r in enumerate(roles) if r == "CONTROLLEUR_DES_BADGES"]
    participants = [i + 1 for i, r in enumerate(roles) if r == "PARTICIPANT"]

    _copy(
        engine,
        "room",
        ["id", "event_id", "name", "description", "location", "capacity"],
        (
            (r + 1, event_id, f"Salle {r:02}", "", f"Niveau {r // 5}", 200 + 50 * (r % 4))
            for r in range(ROOMS)
        ),
    )
    sessions = []  # (id, room_id, starts_at, ends_at, paid)
    for r in range(ROOMS):
        for k in range(SESSIONS_PER_ROOM):
            sid = r * SESSIONS_PER_ROOM + k + 1
            begins = start + timedelta(hours=3 * k, minutes=5 * (r % 6))
            sessions.append(
                (sid, r + 1, begins, begins + timedelta(hours=2, minutes=30), k % 4 == 3)
            )
    _copy(
        engine,
        "session",
        [
            "id",
            "event_id",
            "room_id",
            "title",
            "description",
            "speaker_name",
            "kind",
            "is_paid",
            "price",
            "status",
            "starts_at",
            "ends_at",
        ],
        (
            (
                sid,
                event_id,
                room,
                f"Session {sid}",
                "",
                "Speaker",
                "ATELIER" if paid else "CONFERENCE",
                paid,
                20 if paid else 0,
                "TERMINE" if ends < now else "PAS_ENCORE",
                begins,
                ends,
            )
            for sid, room, begins, ends, paid in sessions
        ),
    )
    paid_sessions = [s for s in sessions if s[4]]
    access_rows = []
    n = 0
    for sid, *_ in paid_sessions:
        for member in rng.sample(participants, 60):
            n += 1
            access_rows.append((n, sid, member, "PAID", 20, now - timedelta(days=3), now))
    _copy(
        engine,
        "session_access",
        ["id", "session_id", "member_id", "payment_status", "amount_paid", "paid_at", "updated_at"],
        access_rows,
    )
    # Controller k is at room k % ROOMS for the whole bench; controller 0 holds Salle 00.
    _copy(
        engine,
        "room_assignment",
        ["id", "event_id", "member_id", "room_id", "role", "starts_at", "ends_at", "assigned_at"],
        (
            (
                k + 1,
                event_id,
                c,
                k % ROOMS + 1,
                "CONTROLLEUR_DES_BADGES",
                now - timedelta(hours=1),
                now + timedelta(hours=24),
                created,
            )
            for k, c in enumerate(controllers)
        ),
    )

    def scans() -> Iterable[tuple[Any, ...]]:
        n = 0
        for r in range(ROOMS):
            started = [s for s in sessions if s[1] == r + 1 and s[2] < now]
            controller = controllers[r]
            for i in range(SCANS_PER_ROOM):
                sid, room, begins, ends, _ = started[i % len(started)]
                latest = min(ends, now)
                at = begins + timedelta(
                    seconds=rng.uniform(-600, (latest - begins).total_seconds())
                )
                member = rng.choice(participants)
                denied = rng.random() < 0.15
                n += 1
                yield (
                    n,
                    event_id,
                    room,
                    sid,
                    member,
                    f"AGB-bench-{member}",
                    controller,
                    controller,
                    "DENIED" if denied else "GRANTED",
                    rng.choice(REASONS) if denied else None,
                    at,
                )

    _copy(
        engine,
        "room_access",
        [
            "id",
            "event_id",
            "room_id",
            "session_id",
            "member_id",
            "code",
            "controller_id",
            "scanned_by_id",
            "status",
            "reason",
            "scanned_at",
        ],
        scans(),
    )

    def visits() -> Iterable[tuple[Any, ...]]:
        n = 0
        for e, exposant in enumerate(exposants):
            for _ in range(BIG_EXPOSANT_VISITS if e == 0 else OTHER_EXPOSANT_VISITS):
                n += 1
                at = start + timedelta(seconds=rng.uniform(0, 48 * 3600))
                yield (
                    n,
                    event_id,
                    exposant,
                    rng.choice(participants),
                    at,
                    "=rappeler" if n % 7 == 0 else "",
                )

    _copy(
        engine,
        "visit",
        ["id", "event_id", "exposant_id", "participant_id", "scanned_at", "note"],
        visits(),
    )
    with engine.begin() as conn:
        for table in (
            "app_user",
            "event",
            "member",
            "badge",
            "room",
            "session",
            "session_access",
            "room_assignment",
            "room_access",
            "visit",
        ):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            )
    # As autovacuum would by then: statistics, and the visibility map for index-only scans.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    found = _find(engine)
    assert found is not None
    return found


# --- Server and client -------------------------------------------------------------------


def start_server(
    url: str, port: int, workers: int, secret: str, data_dir: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "AGORA_ENV": "production",
        "AGORA_SECRET_KEY": secret,
        "DATABASE_URL": url,
        "AGORA_DATA_DIR": data_dir,
        "AGORA_ACCESS_TOKEN_MINUTES": "60",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"the server exited with code {process.returncode}")
        time.sleep(0.3)
    stop_server(process)
    raise SystemExit("the server did not answer /healthz within 60 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass(frozen=True)
class Workload:
    name: str
    query: str
    variables: dict[str, Any]
    token: str


async def drive(
    base: str, work: Workload, concurrency: int, seconds: float, max_requests: int
) -> tuple[int, float, list[float]]:
    """Send the request from `concurrency` loops until `seconds` or `max_requests` is reached."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {work.token}"}
    body = {"query": work.query, "variables": work.variables}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:
        for _ in range(3):  # warm-up: connection pools, caches
            (await client.post("/graphql", json=body)).raise_for_status()
        started = time.perf_counter()
        stop_at = started + seconds

        async def loop() -> None:
            while time.perf_counter() < stop_at and len(latencies) < max_requests:
                t0 = time.perf_counter()
                response = await client.post("/graphql", json=body)
                elapsed = time.perf_counter() - t0
                payload = response.json()
                if response.status_code != 200 or payload.get("errors"):
                    raise SystemExit(f"{work.name}: {response.status_code} {payload.get('errors')}")
                latencies.append(elapsed)

        await asyncio.gather(*(loop() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return len(latencies), wall, latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("AGORA_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seconds", type=float, default=15.0, help="per workload and concurrency")
    parser.add_argument("--max-requests", type=int, default=2000)
    parser.add_argument(
        "--reseed", action="store_true", help="drop the bench database and seed again"
    )
    args = parser.parse_args()

    if not args.database_url.startswith("postgresql"):
        raise SystemExit("the read bench runs on PostgreSQL (production)")
    _ensure_database(args.database_url, args.reseed)
    engine = create_engine(args.database_url)
    upgrade(engine)
    seeded = _find(engine)
    if seeded is None:
        t0 = time.perf_counter()
        seeded = seed(engine)
        print(f"seeded in {time.perf_counter() - t0:.1f} s")
    with engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("member", "room", "session", "room_access", "visit")
        }
        room_scans = conn.execute(
            text("SELECT count(*) FROM room_access WHERE room_id = :r"), {"r": seeded.room_id}
        ).scalar_one()
        visits = conn.execute(
            text("SELECT count(*) FROM visit WHERE exposant_id = :m"),
            {"m": seeded.exposant_member_id},
        ).scalar_one()
    engine.dispose()
    print(
        f"data: {counts['member']} members, {counts['room']} rooms, {counts['session']} sessions, "
        f"{counts['room_access']} scans, {counts['visit']} visits; bench exposant {visits} visits, "
        f"bench room {room_scans} scans"
    )

    secret = secrets.token_urlsafe(48)
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(
            {
                "AGORA_ENV": "production",
                "AGORA_SECRET_KEY": secret,
                "DATABASE_URL": args.database_url,
                "AGORA_DATA_DIR": data_dir,
                "AGORA_ACCESS_TOKEN_MINUTES": "60",
            }
        )
        now = datetime.now(UTC)

        def token(user_id: int) -> str:
            return security.issue_access_token(settings, user_id, now).token

        workloads = [
            Workload(
                "exposant",
                EXPOSANT_QUERY,
                {"id": encode("Member", seeded.exposant_member_id)},
                token(seeded.exposant_user_id),
            ),
            Workload(
                "room",
                ROOM_QUERY,
                {"id": encode("Room", seeded.room_id)},
                token(seeded.controller_user_id),
            ),
            Workload(
                "overview",
                OVERVIEW_QUERY,
                {"id": encode("Event", seeded.event_id)},
                token(seeded.president_id),
            ),
            Workload(
                "programme",
                PROGRAMME_QUERY,
                {"id": encode("Event", seeded.event_id)},
                token(seeded.president_id),
            ),
        ]
        server = start_server(args.database_url, args.port, args.workers, secret, data_dir)
        try:
            base = f"http://127.0.0.1:{args.port}"
            print(f"server: {args.workers} workers on 127.0.0.1:{args.port}, {os.cpu_count()} CPUs")
            print(
                f"{'workload':<10} {'conc':>4} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
            )
            for work in workloads:
                for concurrency in (1, 16):
                    n, wall, latencies = asyncio.run(
                        drive(base, work, concurrency, args.seconds, args.max_requests)
                    )
                    print(
                        f"{work.name:<10} {concurrency:>4} {n:>8} {n / wall:>8.1f} "
                        f"{percentile(latencies, 50) * 1000:>8.1f} {percentile(latencies, 99) * 1000:>8.1f}",
                        flush=True,
                    )
                    assert statistics.mean(latencies) > 0
        finally:
            stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
