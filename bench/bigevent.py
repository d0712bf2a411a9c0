"""The large event every benchmark workload reads: seeded once in PostgreSQL, reused after.

One salon: 20,000 members, 20 rooms, 400 sessions (one running now in each room), 300,000
door scans (15,000 per room), 50 exposants (one with 5,000 visits), questions on every session,
controllers holding their rooms now. Bulk-loaded with COPY into a database of its own; a
`bench_seed` table marks it as ours, so that an existing seed is reused and nothing else is
ever dropped.

The seed is laid out around an anchor moment (when it was made). Scans, sessions and staff slots
only mean "now" relative to it, so each run first moves every timestamp forward by the time
elapsed since the anchor and deletes the scans that earlier runs added: every run reads the same
event, as of now.
"""

from __future__ import annotations

import ipaddress
import random
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

from app.migrate import upgrade
from kernel.security import hash_password
from resolvers import tallies

# Bump when the seed's shape changes: an older seed is then dropped and made again.
SEED_VERSION = 1
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/agora_bench"
EVENT_NAME = "Bench salon"
PASSWORD = "agora-bench-password"
DOMAIN = "bench.test"

MEMBERS = 20_000
ROOMS = 20
SESSIONS_PER_ROOM = 20
# Session index (per room) running at the anchor; the ones before it are over, after it to come.
CURRENT = 15
SCANS_PER_ROOM = 15_000
EXPOSANTS = 50
CONTROLLERS = 40
GESTIONNAIRES = 10
BIG_EXPOSANT_VISITS = 5_000
OTHER_EXPOSANT_VISITS = 200
MAX_QUESTIONS_PER_SESSION = 10
MAX_UPVOTES_PER_QUESTION = 12
# An anchor older than this is moved to now before the run.
STALE_AFTER = timedelta(minutes=5)

# Every timestamp whose distance to "now" matters (sessions running, slots held, today's visits).
TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    "event": ("starts_at", "ends_at"),
    "session": ("starts_at", "ends_at"),
    "session_access": ("paid_at", "updated_at"),
    "room_assignment": ("starts_at", "ends_at", "assigned_at"),
    "room_access": ("scanned_at", "client_scanned_at"),
    "visit": ("scanned_at",),
    "question": ("asked_at", "answered_at"),
    "question_upvote": ("created_at",),
    "member": ("checked_in_at",),
}


@dataclass(frozen=True)
class Controller:
    email: str
    room_id: int


@dataclass(frozen=True)
class Seeded:
    """What the workloads need to know of the seed: ids and the personas' logins."""

    event_id: int
    president_email: str
    exposant_email: str
    exposant_member_id: int
    participant_email: str
    # One controller per room, assigned to it now; the first one holds `big_room_id`.
    controllers: tuple[Controller, ...]
    big_room_id: int
    participant_codes: tuple[str, ...]
    counts: dict[str, int]


def check_url(url: str) -> URL:
    """The bench database URL, refused unless it names a loopback host."""
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise SystemExit("bench: the benchmark runs on PostgreSQL (as in production)")
    host = parsed.host or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"bench: refusing the database host {host!r}: only 127.0.0.1 is used")
    if not parsed.database or parsed.database in ("postgres", "template0", "template1"):
        raise SystemExit("bench: name a database of its own, e.g. .../agora_bench")
    return parsed


def _conninfo(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _state(url: URL) -> str:
    """'missing', 'ours' (a complete seed of this version), 'stale-seed' or 'foreign'."""
    with psycopg.connect(_conninfo(url.set(database="postgres")), autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)
        ).fetchone()
    if exists is None:
        return "missing"
    with psycopg.connect(_conninfo(url)) as conn:
        marker = conn.execute("SELECT to_regclass('public.bench_seed')").fetchone()
        if marker is None or marker[0] is None:
            tables = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
            return "foreign" if tables and tables[0] else "stale-seed"
        row = conn.execute("SELECT version, complete FROM bench_seed").fetchone()
    if row is None or row[0] != SEED_VERSION or not row[1]:
        return "stale-seed"
    return "ours"


def _recreate(url: URL, exists: bool) -> None:
    with psycopg.connect(_conninfo(url.set(database="postgres")), autocommit=True) as admin:
        if exists:
            admin.execute(f'DROP DATABASE "{url.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{url.database}"')
    # Marked at once, so that a seed cut short is recognised as ours and made again.
    with psycopg.connect(_conninfo(url)) as conn:
        conn.execute(
            "CREATE TABLE bench_seed (version integer NOT NULL, complete boolean NOT NULL, "
            "anchor timestamptz NOT NULL, seconds double precision)"
        )
        conn.execute(
            "INSERT INTO bench_seed VALUES (%s, false, now(), NULL)",
            (SEED_VERSION,),
        )


def prepare(url: URL, *, reseed: bool, log: Any = print) -> Seeded:
    """Create, migrate and seed the bench database if needed, bring it to now, describe it."""
    state = _state(url)
    if state == "foreign":
        raise SystemExit(
            f"bench: database {url.database!r} exists and was not made by the benchmark; "
            "name another one with --url"
        )
    if state != "ours" or reseed:
        why = {"missing": "new", "stale-seed": "an older or unfinished seed"}.get(state, "--reseed")
        log(f"seeding {url.database} ({why}); this takes a minute or two")
        _recreate(url, exists=state != "missing")
    engine = create_engine(url)
    try:
        # Also on reuse: a seed made before a new migration is brought up to date.
        upgrade(engine)
    finally:
        engine.dispose()
    with psycopg.connect(_conninfo(url)) as conn:
        complete = conn.execute("SELECT complete FROM bench_seed").fetchone()
        if not (complete and complete[0]):
            t0 = time.perf_counter()
            seed(conn, datetime.now(UTC).replace(microsecond=0))
            seconds = time.perf_counter() - t0
            conn.execute("UPDATE bench_seed SET complete = true, seconds = %s", (seconds,))
            conn.commit()
            log(f"seeded in {seconds:.0f} s")
        else:
            log(f"reusing the seeded database {url.database} (--reseed to make it again)")
    refresh(url, log)
    with psycopg.connect(_conninfo(url)) as conn:
        return describe(conn)


def _anchor_of(conn: psycopg.Connection[Any]) -> datetime:
    row = conn.execute("SELECT anchor FROM bench_seed").fetchone()
    assert row is not None
    return row[0]


# The stats' counters (models/tally.py), which count by quarter-hour: recounted after the move.
COUNTERS = (
    "scan_count",
    "room_entrant",
    "event_entrant",
    "session_entrant",
    "visit_count",
    "exposant_visitor",
)


def _recount(url: URL) -> None:
    engine = create_engine(url)
    try:
        with Session(engine) as db:
            tallies.repair(db)
            db.commit()
    finally:
        engine.dispose()


def refresh(url: URL, log: Any = print) -> None:
    """Drop the scans earlier runs added; move the whole event to now if its anchor is old."""
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        # Seeded scans carry no clientScanId; every benchmark scan does.
        added = conn.execute("DELETE FROM room_access WHERE client_scan_id IS NOT NULL").rowcount
        anchor = _anchor_of(conn)
        now = datetime.now(UTC).replace(microsecond=0)
        shift = now - anchor
        touched: list[str] = ["room_access"] if added else []
        if shift > STALE_AFTER:
            t0 = time.perf_counter()
            with conn.transaction():
                for table, columns in TIME_COLUMNS.items():
                    sets = ", ".join(f"{c} = {c} + %(shift)s" for c in columns)
                    conn.execute(f"UPDATE {table} SET {sets}", {"shift": shift})
                conn.execute("UPDATE bench_seed SET anchor = %s", (now,))
            _recount(url)
            touched = [*TIME_COLUMNS, *COUNTERS]
            log(
                f"moved the event {_human(shift)} forward to now in {time.perf_counter() - t0:.0f} s"
            )
        if added:
            log(f"deleted {added} scans left by an earlier run")
        # An UPDATE of every row leaves each table twice its size and the planner half blind:
        # rewritten compactly (about a second), every run reads tables shaped like a fresh seed.
        # After a mere delete, as autovacuum would by then: statistics and the visibility map
        # that index-only scans rely on.
        vacuum = "VACUUM FULL ANALYZE" if shift > STALE_AFTER else "VACUUM ANALYZE"
        for table in touched:
            conn.execute(f"{vacuum} {table}")


def _human(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def describe(conn: psycopg.Connection[Any]) -> Seeded:
    def one(sql: str, *args: Any) -> Any:
        row = conn.execute(sql, args).fetchone()
        if row is None:
            raise SystemExit(f"bench: the seed lacks what this asks for: {sql}")
        return row[0]

    event_id = one("SELECT id FROM event WHERE name = %s", EVENT_NAME)
    exposant_email = f"exposant0@{DOMAIN}"
    exposant_member_id = one(
        "SELECT m.id FROM member m JOIN app_user u ON u.id = m.user_id "
        "WHERE m.event_id = %s AND u.email = %s",
        event_id,
        exposant_email,
    )
    controllers = tuple(
        Controller(email, room_id)
        for email, room_id in conn.execute(
            "SELECT DISTINCT ON (a.room_id) u.email, a.room_id FROM room_assignment a "
            "JOIN member m ON m.id = a.member_id JOIN app_user u ON u.id = m.user_id "
            "WHERE a.event_id = %s AND a.role = 'CONTROLLEUR_DES_BADGES' "
            "AND a.starts_at <= now() AND now() < a.ends_at AND NOT a.cancelled "
            "ORDER BY a.room_id, a.member_id",
            (event_id,),
        )
    )
    big_room_id = one(
        "SELECT room_id FROM room_access WHERE event_id = %s "
        "GROUP BY room_id ORDER BY count(*) DESC, room_id LIMIT 1",
        event_id,
    )
    # The controller of the busiest room first: W3 reads that room as that controller.
    controllers = tuple(sorted(controllers, key=lambda c: c.room_id != big_room_id))
    codes = tuple(
        code
        for (code,) in conn.execute(
            "SELECT b.code FROM badge b JOIN member m ON m.id = b.member_id "
            "WHERE m.event_id = %s AND m.role = 'PARTICIPANT' ORDER BY b.id",
            (event_id,),
        )
    )
    counts = {
        "members": one("SELECT count(*) FROM member WHERE event_id = %s", event_id),
        "rooms": one("SELECT count(*) FROM room WHERE event_id = %s", event_id),
        "sessions": one("SELECT count(*) FROM session WHERE event_id = %s", event_id),
        "running sessions": one(
            "SELECT count(*) FROM session WHERE event_id = %s "
            "AND starts_at <= now() AND now() < ends_at",
            event_id,
        ),
        "scans": one("SELECT count(*) FROM room_access WHERE event_id = %s", event_id),
        "scans in the busiest room": one(
            "SELECT count(*) FROM room_access WHERE room_id = %s", big_room_id
        ),
        "visits": one("SELECT count(*) FROM visit WHERE event_id = %s", event_id),
        "visits of the bench exposant": one(
            "SELECT count(*) FROM visit WHERE exposant_id = %s", exposant_member_id
        ),
        "questions": one("SELECT count(*) FROM question WHERE event_id = %s", event_id),
        "upvotes": one(
            "SELECT count(*) FROM question_upvote v JOIN question q ON q.id = v.question_id "
            "WHERE q.event_id = %s",
            event_id,
        ),
    }
    return Seeded(
        event_id=event_id,
        president_email=f"president@{DOMAIN}",
        exposant_email=exposant_email,
        exposant_member_id=exposant_member_id,
        participant_email=f"participant0@{DOMAIN}",
        controllers=controllers,
        big_room_id=big_room_id,
        participant_codes=codes,
        counts=counts,
    )


# --- Seeding -----------------------------------------------------------------------------


def _copy(
    conn: psycopg.Connection[Any],
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@dataclass(frozen=True)
class _Session:
    id: int
    room: int
    index: int
    starts_at: datetime
    ends_at: datetime
    paid: bool


def seed(conn: psycopg.Connection[Any], anchor: datetime) -> None:
    """Bulk-insert the event into a freshly migrated database (ids are assigned here)."""
    rng = random.Random(42)
    created = anchor - timedelta(days=7)
    password_hash = hash_password(PASSWORD)

    # Users 1..MEMBERS are members (user id = member id); MEMBERS + 1 presides.
    roles = (
        ["EXPOSANT"] * EXPOSANTS
        + ["CONTROLLEUR_DES_BADGES"] * CONTROLLERS
        + ["GESTIONNAIRE_DES_SALLES"] * GESTIONNAIRES
        + ["PARTICIPANT"] * (MEMBERS - EXPOSANTS - CONTROLLERS - GESTIONNAIRES)
    )
    prefixes = {
        "EXPOSANT": "exposant",
        "CONTROLLEUR_DES_BADGES": "controller",
        "GESTIONNAIRE_DES_SALLES": "gestionnaire",
        "PARTICIPANT": "participant",
    }
    seen: dict[str, int] = {}
    emails = []
    for role in roles:
        emails.append(f"{prefixes[role]}{seen.get(role, 0)}@{DOMAIN}")
        seen[role] = seen.get(role, 0) + 1
    # Only the personas log in: one password hash, not 20,000 slow ones.
    personas = {f"exposant0@{DOMAIN}", f"participant0@{DOMAIN}"} | {
        f"controller{k}@{DOMAIN}" for k in range(CONTROLLERS)
    }
    president_id = MEMBERS + 1
    _copy(
        conn,
        "app_user",
        ["id", "email", "full_name", "password_hash", "is_admin", "created_at"],
        [
            *(
                (
                    i + 1,
                    email,
                    f"Person {i + 1} Benchmark",
                    password_hash if email in personas else None,
                    False,
                    created,
                )
                for i, email in enumerate(emails)
            ),
            (president_id, f"president@{DOMAIN}", "La Présidente", password_hash, False, created),
        ],
    )
    event_id = 1
    _copy(
        conn,
        "event",
        ["id", "name", "description", "location", "starts_at", "ends_at", "timezone"]
        + ["president_id", "created_at"],
        [
            (
                event_id,
                EVENT_NAME,
                "A large salon for the benchmarks.",
                "Paris",
                anchor - timedelta(hours=48),
                anchor + timedelta(hours=16),
                "Europe/Paris",
                president_id,
                created,
            )
        ],
    )
    _copy(
        conn,
        "member",
        ["id", "event_id", "user_id", "role", "company", "display_name", "created_at"],
        (
            (
                i + 1,
                event_id,
                i + 1,
                role,
                f"Company {i % 500}",
                f"Person {i + 1} Benchmark",
                created,
            )
            for i, role in enumerate(roles)
        ),
    )
    codes = {i + 1: f"AGB-bench-{i + 1}-{secrets.token_hex(4)}" for i in range(MEMBERS)}
    _copy(
        conn,
        "badge",
        ["id", "member_id", "code", "issued_at"],
        ((member, member, code, created) for member, code in codes.items()),
    )
    exposants = [i + 1 for i, r in enumerate(roles) if r == "EXPOSANT"]
    controllers = [i + 1 for i, r in enumerate(roles) if r == "CONTROLLEUR_DES_BADGES"]
    participants = [i + 1 for i, r in enumerate(roles) if r == "PARTICIPANT"]
    persona_participant = participants[0]
    others = participants[1:]

    # Capacity well above the current session's seeded entrants plus a run's scans, so that the
    # scan workload measures verdicts, not a full room.
    _copy(
        conn,
        "room",
        ["id", "event_id", "name", "description", "location", "capacity"],
        (
            (r + 1, event_id, f"Salle {r:02}", "", f"Niveau {r // 5}", 2000 + 500 * (r % 4))
            for r in range(ROOMS)
        ),
    )
    sessions: list[_Session] = []
    for r in range(ROOMS):
        for k in range(SESSIONS_PER_ROOM):
            begins = anchor + timedelta(hours=3 * (k - CURRENT) - 1, minutes=5 * (r % 6))
            # Every fourth session is a paid atelier; the one running now is paid in 4 rooms.
            paid = (r % 5 == 4) if k == CURRENT else k % 4 == 3
            sessions.append(
                _Session(
                    r * SESSIONS_PER_ROOM + k + 1,
                    r + 1,
                    k,
                    begins,
                    begins + timedelta(hours=2, minutes=30),
                    paid,
                )
            )

    def status(s: _Session) -> str:
        if s.index < CURRENT:
            return "TERMINE"
        return "EN_COURS" if s.index == CURRENT else "PAS_ENCORE"

    _copy(
        conn,
        "session",
        ["id", "event_id", "room_id", "title", "description", "speaker_name", "kind", "is_paid"]
        + ["price", "status", "starts_at", "ends_at"],
        (
            (
                s.id,
                event_id,
                s.room,
                f"{'Atelier' if s.paid else 'Conférence'} {s.id}",
                "",
                f"Speaker {s.id % 97}",
                "ATELIER" if s.paid else "CONFERENCE",
                s.paid,
                20 if s.paid else 0,
                status(s),
                s.starts_at,
                s.ends_at,
            )
            for s in sessions
        ),
    )
    paid_sessions = [s for s in sessions if s.paid]
    access_rows = []
    for s in paid_sessions:
        # The participant persona may attend everything, so the programme shows every count.
        for member in [persona_participant, *rng.sample(others, 60)]:
            paid_at = anchor - timedelta(days=3)
            access_rows.append((len(access_rows) + 1, s.id, member, "PAID", 20, paid_at, paid_at))
    _copy(
        conn,
        "session_access",
        ["id", "session_id", "member_id", "payment_status", "amount_paid", "paid_at", "updated_at"],
        access_rows,
    )
    # Controller k holds room k % ROOMS from an hour before the current sessions to past the
    # last one; controllers 0..ROOMS-1 are the scanning personas, one per room.
    _copy(
        conn,
        "room_assignment",
        ["id", "event_id", "member_id", "room_id", "role", "starts_at", "ends_at", "assigned_at"],
        (
            (
                k + 1,
                event_id,
                c,
                k % ROOMS + 1,
                "CONTROLLEUR_DES_BADGES",
                anchor - timedelta(hours=2),
                anchor + timedelta(hours=16),
                created,
            )
            for k, c in enumerate(controllers)
        ),
    )

    def scans() -> Iterator[tuple[Any, ...]]:
        n = 0
        for r in range(ROOMS):
            started = [s for s in sessions if s.room == r + 1 and s.starts_at < anchor]
            controller = controllers[r]
            for i in range(SCANS_PER_ROOM):
                s = started[i % len(started)]
                latest = min(s.ends_at, anchor)
                at = s.starts_at + timedelta(
                    seconds=rng.uniform(-600, (latest - s.starts_at).total_seconds())
                )
                member: int | None = rng.choice(others)
                code = codes[member]
                session_id: int | None = s.id
                roll = rng.random()
                status, reason = "GRANTED", None
                if roll < 0.03:
                    member, code = None, f"AGB-unknown-{rng.getrandbits(32):08x}"
                    status, reason = "DENIED", "UNKNOWN_BADGE"
                elif roll < 0.05:
                    session_id, status, reason = None, "DENIED", "NO_SESSION"
                elif s.paid and roll < 0.20:
                    status, reason = "DENIED", "NOT_PAID"
                n += 1
                yield (
                    n,
                    event_id,
                    r + 1,
                    session_id,
                    member,
                    code,
                    controller,
                    controller,
                    status,
                    reason,
                    min(at, anchor),
                )

    _copy(
        conn,
        "room_access",
        ["id", "event_id", "room_id", "session_id", "member_id", "code", "controller_id"]
        + ["scanned_by_id", "status", "reason", "scanned_at"],
        scans(),
    )
    conn.execute(
        "UPDATE member SET checked_in_at = first.at FROM ("
        "  SELECT member_id, min(scanned_at) AS at FROM room_access"
        "  WHERE status = 'GRANTED' GROUP BY member_id"
        ") AS first WHERE member.id = first.member_id"
    )

    def visits() -> Iterator[tuple[Any, ...]]:
        n = 0
        for e, exposant in enumerate(exposants):
            for _ in range(BIG_EXPOSANT_VISITS if e == 0 else OTHER_EXPOSANT_VISITS):
                n += 1
                at = anchor - timedelta(seconds=rng.uniform(0, 47 * 3600))
                note = "rappeler la semaine prochaine" if n % 7 == 0 else ""
                yield (n, event_id, exposant, rng.choice(participants), at, note)

    _copy(
        conn,
        "visit",
        ["id", "event_id", "exposant_id", "participant_id", "scanned_at", "note"],
        visits(),
    )

    questions = []
    upvotes = []
    for s in sessions:
        for _ in range(rng.randint(0, MAX_QUESTIONS_PER_SESSION)):
            qid = len(questions) + 1
            asked = min(s.starts_at + timedelta(minutes=rng.uniform(0, 150)), anchor)
            answered = s.index < CURRENT and rng.random() < 0.4
            voters = rng.sample(others, rng.randint(0, MAX_UPVOTES_PER_QUESTION))
            upvotes.extend((qid, v, asked) for v in voters)
            questions.append(
                (
                    qid,
                    event_id,
                    s.id,
                    rng.choice(others),
                    f"Question {qid}: what about point {rng.randint(1, 9)}?",
                    asked,
                    "Yes, see the slides." if answered else None,
                    president_id if answered else None,
                    min(asked + timedelta(minutes=5), anchor) if answered else None,
                    len(voters),
                )
            )
    _copy(
        conn,
        "question",
        ["id", "event_id", "session_id", "author_id", "text", "asked_at", "answer"]
        + ["answered_by_id", "answered_at", "upvotes"],
        questions,
    )
    _copy(conn, "question_upvote", ["question_id", "member_id", "created_at"], upvotes)

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
        "question",
    ):
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    conn.execute("UPDATE bench_seed SET anchor = %s", (anchor,))
    conn.commit()
    # As autovacuum would by then: statistics, and the visibility map for index-only scans.
    conn.autocommit = True
    try:
        conn.execute("VACUUM ANALYZE")
    finally:
        conn.autocommit = False


def write_codes(seeded: Seeded, path: Path) -> Path:
    path.write_text("\n".join(seeded.participant_codes) + "\n")
    return path
