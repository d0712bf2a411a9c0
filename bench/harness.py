"""`./run bench`: the five speed workloads against a ceiling, in one run, on one seeded event.

    ./run bench [--seconds 10] [--only W0,W2] [--connections 1 16] [--reseed] [--url URL]

Seeds (once) a large event in PostgreSQL, starts a trivial Starlette endpoint (the ceiling) and
Agora as in production, logs the personas in, drives each workload with wrk from another
process at each connection count, and prints req/s, p50, p99, errors and the share of the
ceiling next to PostGraphile's share and the goal (see bench/README.md). The table is also
written as Markdown to bench/results/latest.md. Only 127.0.0.1 is contacted; every wait is
bounded.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bigevent
import httpx
import psycopg
import pushes
import scale
import wrk
from bigevent import Seeded
from door import Door, DoorResult

from kernel.ids import encode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
HOST = "127.0.0.1"
AGORA_WORKERS = 2
WRK_TIMEOUT_S = 30
WARMUP_S = 1.0
IDLE_TIMEOUT_S = 120.0
# Clock ticks (usually 1/100 s) of CPU per 0.25 s sample below which the server counts as idle.
IDLE_TICKS = 2
RESULTS = BENCH / "results" / "latest.md"

EXPOSANT_QUERY = """query($id: ID!) { node(id: $id) { ... on Member { exposantStats {
  totalVisits todayVisits uniqueVisitors
  visits(first: 50) { totalCount edges { node { id scannedAt note
    participant { fullName company email } } } } } } } }"""

PROGRAMME_QUERY = """query($id: ID!) { event(id: $id) { name rooms { name capacity
  sessions { id title startsAt endsAt kind status questions { totalCount } } } } }"""

ROOM_QUERY = """query($id: ID!) { room(id: $id) { name stats { totalScans denied
  scans(first: 100) { totalCount edges { node { id status reason scannedAt
    member { fullName } } } } } } }"""

SCAN_MUTATION = """mutation($input: ScanInput!) { scanBadge(input: $input) {
  status reason duplicate member { fullName } session { id title } room { name }
  access { id status reason scannedAt } } }"""

# Not one of the five: the organizer's overview of every scan (300,000), run with --only OV.
OVERVIEW_QUERY = """query($id: ID!) { event(id: $id) { stats {
  members checkedIn totalScans denied scansByHour { hour count }
  sessions { session { title } attendance capacity noShows } } } }"""

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken } }"""


@dataclass(frozen=True)
class Goal:
    """PostGraphile 5's share of the ceiling on the same data, and Agora's goal (16 connections)."""

    postgraphile: float
    share: float
    max_p99_ms: float | None = None


GOAL_CONNECTIONS = 16
GOALS: dict[str, Goal] = {
    "W0": Goal(1.02, 0.25),
    "W1": Goal(0.051, 0.061),
    "W2": Goal(0.0092, 0.018),
    "W3": Goal(0.027, 0.033),
    "W4": Goal(0.178, 0.053, max_p99_ms=50.0),
}

# Engine alone: the same server without its response cache, as users get it while the doors
# write (every commit empties the cache). The `e` rows run alone, the `d` rows while a door
# posts DOOR_RATE scans a second to the big room (bench/door.py); both at GOAL_CONNECTIONS.
ENGINE_ENV = {"AGORA_RESPONSE_CACHE_SIZE": "0"}
ENGINE_KEYS = ("W1", "W2", "W3", "W4")
DOOR_KEYS = ("W1", "W2", "W3")
DOOR_RATE = 30.0
ENGINE_GOALS: dict[str, Goal] = {
    "W1e": Goal(0.051, 0.061),
    "W2e": Goal(0.0092, 0.018),
    "W3e": Goal(0.027, 0.033),
    # Half a bare insert's share (PostGraphile's W4 is a bare insert).
    "W4e": Goal(0.178, 0.089, max_p99_ms=50.0),
    "W1d": Goal(0.051, 0.061),
    "W2d": Goal(0.0092, 0.018),
    "W3d": Goal(0.027, 0.033),
}
# The reads `--scale` times one at a time on today's data and on the grown copy.
SCALE_KEYS = ("W1", "W2", "W3", scale.DASHBOARD_KEY)

# Measured when asked for only; no goal.
EXTRA = {"OV"}
# The read workloads again with writes mixed in (W1w, W2w, W3w): one scan per this many
# requests. Every write changes the database, so no kept answer survives it (app.response_cache).
WRITE_EVERY = 50


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    # The wrk script's text.
    script: Callable[[], str]
    # One request as a client would send it, to check the answer's shape before timing it.
    sample: Callable[[httpx.Client], str]


@dataclass
class Row:
    key: str
    title: str
    connections: int
    result: wrk.Result
    share: float | None = None
    goal: Goal | None = None
    verdict: str = ""
    # The background door's own figures, on the live-door rows.
    door: DoorResult | None = None


@dataclass
class Servers:
    ceiling: subprocess.Popen[bytes] | None = None
    agora: subprocess.Popen[bytes] | None = None
    # Servers beside `agora` (the --scale copies), stopped with it.
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)


# --- Processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path
) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"bench: {what} exited with code {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"bench: {what} did not answer within 90 s:\n{log.read_text()[-3000:]}")


def _spawn(cmd: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        # A session of its own: stopping it stops the workers it forked, and nothing else.
        return subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def start_ceiling(tmp: Path, servers: Servers) -> str:
    port = free_port()
    log = tmp / "ceiling.log"
    servers.logs.append(log)
    cmd = [sys.executable, "-m", "uvicorn", "ceiling:app", "--app-dir", str(BENCH)]
    cmd += ["--host", HOST, "--port", str(port), "--loop", "uvloop", "--http", "httptools"]
    cmd += ["--workers", "1", "--log-level", "warning"]
    servers.ceiling = _spawn(cmd, dict(os.environ), log)
    base = f"http://{HOST}:{port}"

    def ready() -> bool:
        answer = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=2)
        return answer.status_code == 200

    _wait_until(ready, servers.ceiling, "the ceiling", log)
    return base


def start_agora(
    url: str,
    tmp: Path,
    servers: Servers,
    secret: str,
    *,
    name: str = "agora",
    extra_env: dict[str, str] | None = None,
    workers: int = AGORA_WORKERS,
) -> str:
    """`agora serve` as in production; every server of one run shares `secret`, so the
    personas' tokens open each of them."""
    port = free_port()
    log = tmp / f"{name}.log"
    servers.logs.append(log)
    data_dir = tmp / f"{name}-data"
    data_dir.mkdir()
    env = {
        **os.environ,
        "AGORA_ENV": "production",
        "AGORA_SECRET_KEY": secret,
        "DATABASE_URL": url,
        "AGORA_DATA_DIR": str(data_dir),
        # Longer than any run: a token expiring mid-run would turn into errors.
        "AGORA_ACCESS_TOKEN_MINUTES": "600",
        # The live line's door displays all subscribe as the president, one socket each.
        "AGORA_LIVE_MAX_CONNECTIONS": "1000",
        **(extra_env or {}),
    }
    agora = Path(sys.executable).with_name("agora")
    command = [str(agora)] if agora.exists() else [sys.executable, "-m", "app"]
    cmd = [*command, "serve", "--host", HOST, "--port", str(port)]
    cmd += ["--workers", str(workers), "--quiet"]
    servers.agora = _spawn(cmd, env, log)
    base = f"http://{HOST}:{port}"
    _wait_until(
        lambda: httpx.get(f"{base}/healthz", timeout=2).status_code == 200,
        servers.agora,
        name,
        log,
    )
    return base


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@contextmanager
def running() -> Iterator[Servers]:
    servers = Servers()
    try:
        yield servers
    finally:
        stop(servers.agora)
        for other in servers.others:
            stop(other)
        stop(servers.ceiling)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return sorted(found)


def _cpu_ticks(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime and stime: fields 14 and 15 of stat, 12 and 13 after the command name.
        total += int(fields[11]) + int(fields[12])
    return total


def _active_queries(url: str) -> int:
    conninfo = bigevent.check_url(url).set(drivername="postgresql")
    with psycopg.connect(conninfo.render_as_string(hide_password=False), autocommit=True) as c:
        row = c.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


def wait_idle(pids: Sequence[int], url: str | None) -> float:
    """Wait (at most IDLE_TIMEOUT_S) until the server has finished what wrk left in flight.

    wrk stops on time with requests still running; the server keeps working on them, and that
    backlog would otherwise be billed to the next measurement. Idle: two samples in a row with
    almost no CPU used by the server's processes and no query running in the bench database.
    """
    started = time.monotonic()
    quiet = 0
    before = _cpu_ticks(pids)
    while quiet < 2 and time.monotonic() - started < IDLE_TIMEOUT_S:
        time.sleep(0.25)
        after = _cpu_ticks(pids)
        busy = after - before > IDLE_TICKS or (url is not None and _active_queries(url) > 0)
        quiet = 0 if busy else quiet + 1
        before = after
    return time.monotonic() - started


def peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def agora_workers(serve_pid: int) -> list[int]:
    """uvicorn's worker processes: spawned children of `agora serve` (not its resource tracker)."""
    workers = []
    for pid in _children(serve_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"resource_tracker" not in cmdline:
            workers.append(pid)
    return workers


# --- Workloads ---------------------------------------------------------------------------


def graphql(
    client: httpx.Client, query: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    payload: dict[str, Any] = answer.json()
    if answer.status_code != 200 or payload.get("errors"):
        raise RuntimeError(f"HTTP {answer.status_code}: {str(payload.get('errors'))[:400]}")
    return payload["data"]


def login(client: httpx.Client, email: str) -> str:
    data = graphql(client, LOGIN, {"email": email, "password": bigevent.PASSWORD}, None)
    return str(data["login"]["accessToken"])


def log_in_personas(client: httpx.Client, seeded: Seeded) -> dict[str, str]:
    """Each persona's access token, by email: the exposant, the participant, the president and
    one controller per room."""
    emails = [seeded.exposant_email, seeded.participant_email, seeded.president_email]
    emails += [c.email for c in seeded.controllers]
    return {email: login(client, email) for email in emails}


def workloads(seeded: Seeded, tokens: dict[str, str], codes: Path, run_tag: str) -> list[Workload]:
    event_gid = encode("Event", seeded.event_id)
    exposant_gid = encode("Member", seeded.exposant_member_id)
    big_room_gid = encode("Room", seeded.big_room_id)
    exposant = tokens[seeded.exposant_email]
    participant = tokens[seeded.participant_email]
    president = tokens[seeded.president_email]
    room_controller = tokens[seeded.controllers[0].email]
    doors = [(encode("Room", c.room_id), tokens[c.email]) for c in seeded.controllers]

    def static(query: str, variables: dict[str, Any], token: str | None) -> Callable[[], str]:
        return lambda: wrk.static_script({"query": query, "variables": variables}, token)

    def mixed(query: str, variables: dict[str, Any], token: str | None) -> Callable[[], str]:
        def script() -> str:
            scan = (SCAN_MUTATION, doors, codes, run_tag, secrets.randbelow(1_000_000))
            body = {"query": query, "variables": variables}
            return wrk.mixed_script(body, token, scan, WRITE_EVERY)

        return script

    def w0(client: httpx.Client) -> str:
        return f"__typename={graphql(client, '{ __typename }', {}, None)['__typename']}"

    def w1(client: httpx.Client) -> str:
        stats = graphql(client, EXPOSANT_QUERY, {"id": exposant_gid}, exposant)["node"][
            "exposantStats"
        ]
        return (
            f"totalVisits={stats['totalVisits']} today={stats['todayVisits']} "
            f"unique={stats['uniqueVisitors']} visits on the page={len(stats['visits']['edges'])}"
        )

    def w2(client: httpx.Client) -> str:
        rooms = graphql(client, PROGRAMME_QUERY, {"id": event_gid}, participant)["event"]["rooms"]
        sessions = [s for r in rooms for s in r["sessions"]]
        hidden = sum(1 for s in sessions if s["questions"] is None)
        asked = sum(s["questions"]["totalCount"] for s in sessions if s["questions"])
        return f"rooms={len(rooms)} sessions={len(sessions)} questions={asked} hidden={hidden}"

    def w3(client: httpx.Client) -> str:
        stats = graphql(client, ROOM_QUERY, {"id": big_room_gid}, room_controller)["room"]["stats"]
        return (
            f"totalScans={stats['totalScans']} denied={stats['denied']} "
            f"scans on the page={len(stats['scans']['edges'])}"
        )

    def w4(client: httpx.Client) -> str:
        room_gid, token = doors[0]
        scan = {
            "roomId": room_gid,
            "code": seeded.participant_codes[0],
            "clientScanId": f"{run_tag}-sample",
        }
        verdict = graphql(client, SCAN_MUTATION, {"input": scan}, token)["scanBadge"]
        return f"status={verdict['status']} reason={verdict['reason']} session={verdict['session']}"

    def overview(client: httpx.Client) -> str:
        stats = graphql(client, OVERVIEW_QUERY, {"id": event_gid}, president)["event"]["stats"]
        return (
            f"members={stats['members']} checkedIn={stats['checkedIn']} "
            f"totalScans={stats['totalScans']} sessions={len(stats['sessions'])}"
        )

    return [
        Workload("W0", "{ __typename }", static("{ __typename }", {}, None), w0),
        Workload(
            "W1",
            "exposant stats (5,000 visits)",
            static(EXPOSANT_QUERY, {"id": exposant_gid}, exposant),
            w1,
        ),
        Workload(
            "W2",
            "programme (400 sessions, questions)",
            static(PROGRAMME_QUERY, {"id": event_gid}, participant),
            w2,
        ),
        Workload(
            "W3",
            "room stats (15,000 scans)",
            static(ROOM_QUERY, {"id": big_room_gid}, room_controller),
            w3,
        ),
        Workload(
            "W4",
            "scanBadge (verdict + log)",
            lambda: wrk.scan_script(
                SCAN_MUTATION, doors, codes, run_tag, secrets.randbelow(1_000_000)
            ),
            w4,
        ),
        Workload(
            "W1w",
            f"W1, a scan every {WRITE_EVERY}th request",
            mixed(EXPOSANT_QUERY, {"id": exposant_gid}, exposant),
            w1,
        ),
        Workload(
            "W2w",
            f"W2, a scan every {WRITE_EVERY}th request",
            mixed(PROGRAMME_QUERY, {"id": event_gid}, participant),
            w2,
        ),
        Workload(
            "W3w",
            f"W3, a scan every {WRITE_EVERY}th request",
            mixed(ROOM_QUERY, {"id": big_room_gid}, room_controller),
            w3,
        ),
        Workload(
            "OV",
            "event overview (300,000 scans)",
            static(OVERVIEW_QUERY, {"id": event_gid}, president),
            overview,
        ),
    ]


def ceiling_workload() -> Workload:
    def sample(client: httpx.Client) -> str:
        return str(client.post("/graphql", json={"query": "{ __typename }"}).json())

    return Workload(
        "C",
        "ceiling (Starlette JSON)",
        lambda: wrk.static_script({"query": "{ __typename }"}, None),
        sample,
    )


# --- The table ---------------------------------------------------------------------------


def judge(rows: list[Row]) -> None:
    ceiling = {r.connections: r.result.rps for r in rows if r.key == "C"}
    for row in rows:
        if row.key == "C":
            continue
        base = ceiling.get(row.connections)
        row.share = row.result.rps / base if base else None
        goals = {**GOALS, **ENGINE_GOALS}
        if row.connections != GOAL_CONNECTIONS or row.key not in goals:
            continue
        row.goal = goals[row.key]
        met = (
            row.result.errors == 0
            and row.share is not None
            and row.share >= row.goal.share
            and (row.goal.max_p99_ms is None or row.result.p99_ms < row.goal.max_p99_ms)
            and (row.door is None or row.door.met)
        )
        row.verdict = "met" if met else "not met"


HEADERS = ["workload", "conns", "requests", "req/s", "p50 ms", "p99 ms", "errors", "share"]
HEADERS += ["PostGraphile", "goal", "door (30 scans/s)", "verdict"]


def cells(row: Row) -> list[str]:
    r = row.result
    goal = "-"
    if row.goal is not None:
        goal = f"{row.goal.share:g}"
        if row.goal.max_p99_ms is not None:
            goal += f", p99 < {row.goal.max_p99_ms:g} ms"
        if row.door is not None:
            goal += ", every door scan answered, door p99 < 100 ms"
    return [
        f"{row.key} {row.title}",
        str(row.connections),
        f"{r.requests:,}",
        f"{r.rps:,.1f}",
        f"{r.p50_ms:,.1f}",
        f"{r.p99_ms:,.1f}",
        str(r.errors),
        "1" if row.key == "C" else (f"{row.share:.4f}" if row.share is not None else "-"),
        f"{row.goal.postgraphile:g}" if row.goal else "-",
        goal,
        row.door.text() if row.door is not None else "-",
        row.verdict or "-",
    ]


def text_table(rows: list[Row]) -> str:
    body = [HEADERS, *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in body) for i in range(len(HEADERS))]

    def fmt(line: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 or i == len(line) - 1 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )

    return "\n".join([fmt(body[0]), "  ".join("-" * w for w in widths), *map(fmt, body[1:])])


def markdown_table(rows: list[Row]) -> str:
    align = ["---", *["---:"] * (len(HEADERS) - 2), "---"]
    lines = ["| " + " | ".join(HEADERS) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def error_notes(rows: list[Row]) -> list[str]:
    notes = []
    for row in rows:
        r = row.result
        if r.errors:
            notes.append(
                f"{row.key} at {row.connections}: {r.non200} non-200, {r.graphql_errors} with "
                f'"errors", {r.unexpected} duplicates of fresh scan ids, {r.socket_errors} socket '
                f"errors or timeouts; first: {r.first_error[:300]}"
            )
        if row.door is not None and row.door.first_error:
            notes.append(f"{row.key}'s door: first: {row.door.first_error[:300]}")
    return notes


def live_line(live: pushes.LiveResult, rows: list[Row]) -> str:
    alone = next((r for r in rows if r.key == "W4" and r.connections == GOAL_CONNECTIONS), None)
    beside = f" (without them: {alone.result.rps:,.1f} scans/s)" if alone is not None else ""
    return (
        f"Live: {live.subscribers} roomOccupancy subscriptions open while W4 runs at "
        f"{GOAL_CONNECTIONS} connections: {live.scans.rps:,.1f} scans/s{beside}, scan p99 "
        f"{live.scans.p99_ms:.1f} ms; push latency (end of a probe scan's answer to each "
        f"display of its room) p50 {live.push_p50_ms:.1f} ms, p99 {live.push_p99_ms:.1f} ms over "
        f"{live.pushes:,} pushes, {live.missing} missing"
    )


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev + (" (with uncommitted changes)" if dirty else "")


# --- Engine alone, a door meanwhile, the scan log grown ---------------------------------


@dataclass
class Run:
    """What every part of one run shares."""

    wrk_bin: str
    seconds: float
    tmp: Path
    servers: Servers
    secret: str
    seeded: Seeded
    tokens: dict[str, str]
    codes: Path
    run_tag: str


def _restart(run: Run, url: str, name: str, workers: int = AGORA_WORKERS) -> str:
    stop(run.servers.agora)
    return start_agora(
        url, run.tmp, run.servers, run.secret, name=name, extra_env=ENGINE_ENV, workers=workers
    )


def _pids(servers: Servers) -> list[int]:
    assert servers.agora is not None
    return [servers.agora.pid, *_children(servers.agora.pid)]


def engine_rows(run: Run, url: str, chosen: list[Workload]) -> list[Row]:
    """The `e` and `d` rows: each read without the response cache, alone and with a door."""
    base = _restart(run, url, "agora-engine")
    print(f"engine alone: {base} (AGORA_RESPONSE_CACHE_SIZE=0)", flush=True)
    door = run.seeded.controllers[0]
    door_room = encode("Room", door.room_id)
    rows = []
    for work in (w for w in chosen if w.key in ENGINE_KEYS):
        script = run.tmp / f"{work.key}.lua"
        wrk.run(run.wrk_bin, base, script, GOAL_CONNECTIONS, WARMUP_S, WRK_TIMEOUT_S)
        wait_idle(_pids(run.servers), url)
        result = wrk.run(run.wrk_bin, base, script, GOAL_CONNECTIONS, run.seconds, WRK_TIMEOUT_S)
        rows.append(Row(f"{work.key}e", f"{work.title}, engine alone", GOAL_CONNECTIONS, result))
        print(f"  {work.key}e: {result.rps:,.1f} req/s, p99 {result.p99_ms:.1f} ms", flush=True)
    for work in (w for w in chosen if w.key in DOOR_KEYS):
        script = run.tmp / f"{work.key}.lua"
        wait_idle(_pids(run.servers), url)
        tag = f"{run.run_tag}-{work.key}"
        codes = run.seeded.participant_codes
        with Door(base, door_room, run.tokens[door.email], codes, tag, DOOR_RATE) as scanning:
            result = wrk.run(
                run.wrk_bin, base, script, GOAL_CONNECTIONS, run.seconds, WRK_TIMEOUT_S
            )
        figures = scanning.result()
        title = f"{work.title}, engine alone, a door scanning"
        rows.append(Row(f"{work.key}d", title, GOAL_CONNECTIONS, result, door=figures))
        print(
            f"  {work.key}d: {result.rps:,.1f} req/s, p99 {result.p99_ms:.1f} ms; door "
            f"{figures.text()}",
            flush=True,
        )
    return rows


def scale_lines(
    run: Run, url: str, grown_url: str, factor: int, every: list[Workload]
) -> list[str]:
    """Each read's latency, one request at a time, on today's data and on the grown copy."""
    reads = [
        scale.Read(w.key, w.title, w.sample) for key in SCALE_KEYS for w in every if w.key == key
    ]
    bases = {}
    for name, database in (("today", url), ("grown", grown_url)):
        bases[name] = _restart(run, database, f"agora-scale-{name}", workers=1)
        wait_idle(_pids(run.servers), database)
        # Kept running beside the next one: the two take turns request by request.
        assert run.servers.agora is not None
        run.servers.others.append(run.servers.agora)
        run.servers.agora = None
    measured = scale.latencies(bases, reads)
    for other in run.servers.others:
        stop(other)
    return [
        f"Scale: the median of {scale.REPEAT} requests one at a time, engine alone, 1 worker "
        f"each, on today's data and on a copy with {factor}× the scans and visits (the two "
        "servers taking turns):",
        "",
        *scale.table(factor, reads, measured["today"], measured["grown"]),
    ]


# --- Main --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="./run bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="per workload and connection count"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated workloads, e.g. W0,W2 (default W0-W4; OV, the organizer's "
        "overview, runs only when named)",
    )
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 16])
    parser.add_argument(
        "--subscribers",
        type=int,
        default=200,
        help="open roomOccupancy subscriptions for the live line (W4 with pushes); 0: none",
    )
    parser.add_argument(
        "--reseed", action="store_true", help="drop the bench database and seed it again"
    )
    parser.add_argument(
        "--no-engine",
        action="store_true",
        help="skip the engine-alone and live-door rows (W1e-W4e, W1d-W3d)",
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=0,
        metavar="N",
        help="also copy the bench event with N times its scans and visits and print each "
        "read's latency ratio (e.g. --scale 5)",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("AGORA_BENCH_DATABASE_URL", bigevent.DEFAULT_URL),
        help="the bench database on a loopback PostgreSQL (created if missing)",
    )
    args = parser.parse_args(argv)
    args.only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    unknown = set(args.only) - set(GOALS) - set(EXTRA)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; choose among {sorted(GOALS)}, OV")
    if args.seconds < 1 or any(c < 1 or c > 1000 for c in args.connections):
        parser.error("--seconds must be at least 1 and connection counts 1 to 1000")
    if args.scale and not 2 <= args.scale <= 20:
        parser.error("--scale must be 2 to 20")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk_bin = shutil.which("wrk")
    if wrk_bin is None:
        raise SystemExit("bench: wrk is not installed (./run bench installs it with apt-get)")
    url = bigevent.check_url(args.url)
    url_text = url.render_as_string(hide_password=False)
    started = datetime.now(UTC)

    seeded = bigevent.prepare(url, reseed=args.reseed)
    data = ", ".join(f"{v:,} {k}" for k, v in seeded.counts.items())
    print(f"data: {data}", flush=True)
    # Copied before any server connects: a template database must have no other session.
    grown = scale.make_scaled(url, args.scale) if args.scale else None
    secret = secrets.token_urlsafe(48)

    rows: list[Row] = []
    scale_text: list[str] = []
    with tempfile.TemporaryDirectory(prefix="agora-bench-") as tmp_name, running() as servers:
        tmp = Path(tmp_name)
        codes = bigevent.write_codes(seeded, tmp / "codes.txt")
        ceiling_base = start_ceiling(tmp, servers)
        agora_base = start_agora(url_text, tmp, servers, secret)
        print(
            f"ceiling: {ceiling_base} (uvicorn, 1 worker); agora: {agora_base} "
            f"({AGORA_WORKERS} workers, AGORA_ENV=production); {os.cpu_count()} CPUs",
            flush=True,
        )
        run_tag = f"bench{int(time.time())}{secrets.token_hex(2)}"
        with httpx.Client(base_url=agora_base, timeout=60) as client:
            tokens = log_in_personas(client, seeded)
            every = workloads(seeded, tokens, codes, run_tag)
            chosen = [
                w for w in every if w.key in args.only or (not args.only and w.key not in EXTRA)
            ]
            for work in chosen:
                try:
                    print(f"{work.key} answers: {work.sample(client)}", flush=True)
                except (RuntimeError, KeyError, TypeError) as exc:
                    # Timed all the same: the errors column then shows the failure.
                    print(f"{work.key} FAILS: {exc}", flush=True)

        targets = [(ceiling_workload(), ceiling_base), *((w, agora_base) for w in chosen)]
        for work, base in targets:
            script = tmp / f"{work.key}.lua"
            script.write_text(work.script())
            # Untimed: opens the database pools and fills the document caches of every worker.
            server = servers.ceiling if work.key == "C" else servers.agora
            assert server is not None
            pids = [server.pid, *_children(server.pid)]
            db = None if work.key == "C" else url_text
            wrk.run(wrk_bin, base, script, max(args.connections), WARMUP_S, WRK_TIMEOUT_S)
            for connections in args.connections:
                wait_idle(pids, db)
                result = wrk.run(wrk_bin, base, script, connections, args.seconds, WRK_TIMEOUT_S)
                rows.append(Row(work.key, work.title, connections, result))
                granted = (
                    f", {result.granted / result.requests:.0%} granted"
                    if work.key == "W4" and result.requests
                    else ""
                )
                print(
                    f"  {work.key} c={connections}: {result.rps:,.1f} req/s, p50 "
                    f"{result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
                    f"errors {result.errors}{granted}",
                    flush=True,
                )

        live = None
        w4 = next((w for w in chosen if w.key == "W4"), None)
        if w4 is not None and args.subscribers > 0:
            assert servers.agora is not None
            wait_idle([servers.agora.pid, *_children(servers.agora.pid)], url_text)
            doors = [(encode("Room", c.room_id), tokens[c.email]) for c in seeded.controllers]
            live = pushes.measure(
                wrk_bin,
                agora_base,
                tmp / "W4.lua",
                GOAL_CONNECTIONS,
                args.seconds,
                args.subscribers,
                tokens[seeded.president_email],
                doors,
                seeded.participant_codes,
                run_tag,
            )
            print(f"  {live_line(live, rows)}", flush=True)

        assert servers.agora is not None
        assert servers.ceiling is not None
        rss = [
            (f"agora worker {pid}", peak_rss_mib(pid)) for pid in agora_workers(servers.agora.pid)
        ]
        rss.append(("ceiling", peak_rss_mib(servers.ceiling.pid)))

        run = Run(wrk_bin, args.seconds, tmp, servers, secret, seeded, tokens, codes, run_tag)
        if not args.no_engine:
            rows += engine_rows(run, url_text, chosen)
        if grown is not None:
            grown_text = grown.render_as_string(hide_password=False)
            scale_text = scale_lines(run, url_text, grown_text, args.scale, every)
            for line in scale_text:
                print(line, flush=True)

    judge(rows)
    load = os.getloadavg()
    header = [
        f"Agora {git_revision()}, {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end; {args.seconds:g} s per row; "
        f"agora serve --workers {AGORA_WORKERS} (production) vs the ceiling (uvicorn, 1 worker)",
        f"Data: {data}.",
    ]
    rss_line = "Peak RSS (VmHWM): " + ", ".join(
        f"{name} {mib:.0f} MiB" if mib is not None else f"{name} unknown" for name, mib in rss
    )
    share_line = (
        "share = Agora req/s / ceiling req/s at the same connection count; PostGraphile and goal "
        f"shares are at {GOAL_CONNECTIONS} connections."
    )
    notes = error_notes(rows)
    live_text = [live_line(live, rows)] if live is not None else []
    if live is not None and (live.scans.errors or live.missing or live.display_errors):
        notes.append(
            f"live line: {live.scans.errors} scan errors, {live.missing} pushes missing, "
            f"{live.display_errors} subscription errors"
        )
    print()
    print("\n".join(header))
    print()
    print(text_table(rows))
    print()
    print(share_line)
    print(rss_line)
    for line in live_text:
        print(line)
    for line in scale_text:
        print(line)
    for note in notes:
        print(f"ERRORS {note}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        "\n\n".join(
            [
                "\n".join(header),
                markdown_table(rows),
                share_line + "\n" + rss_line,
                *live_text,
                *(["\n".join(scale_text)] if scale_text else []),
                *(f"Errors: {n}" for n in notes),
            ]
        )
        + "\n"
    )
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 1 if notes else 0


if __name__ == "__main__":
    sys.exit(main())
