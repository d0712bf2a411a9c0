"""`./run bench --scale N`: does a read's cost grow with the scan log?

A five-day salon has five times the scans and visits of the bench event. `make_scaled` copies
the bench database (`CREATE DATABASE … TEMPLATE`) and inserts its seeded scans and visits N-1
more times, each copy one second earlier, through the same triggers that keep the stats'
counters at the doors; the counters and indexes are then compacted and analysed, as a
database that had grown slowly would be after autovacuum. `latencies` times each read one
request at a time (the median of `REPEAT`, after `WARMUP`), so the ratios say what one user
waits, not what a crowd shares.

The copy is made afresh on every `--scale` run: the bench event moves to now before each run,
and a copy made earlier would be of another moment.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import URL

WARMUP = 5
REPEAT = 25
# The goals at 5×: each read within 1.3× of today's latency, the dashboard under 50 ms.
MAX_RATIO = 1.3
DASHBOARD_KEY = "OV"
MAX_DASHBOARD_MS = 50.0
# The rows the scaled copy multiplies (the seed's, not the scans earlier runs added).
GROWN = {"room_access": "client_scan_id IS NULL", "visit": "true"}
COMPACTED = ("room_access", "visit", "scan_count", "room_entrant", "event_entrant",
             "session_entrant", "visit_count", "exposant_visitor")  # fmt: skip


def _conninfo(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def scaled_url(url: URL, factor: int) -> URL:
    assert url.database
    return url.set(database=f"{url.database}_x{factor}")


def make_scaled(url: URL, factor: int, log: Any = print) -> URL:
    """A copy of the bench database at `url` with `factor` times its scans and visits."""
    target = scaled_url(url, factor)
    t0 = time.perf_counter()
    with psycopg.connect(_conninfo(url.set(database="postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        # A template must have no other session: the runs' servers are not started yet.
        admin.execute(f'CREATE DATABASE "{target.database}" TEMPLATE "{url.database}"')
    with psycopg.connect(_conninfo(target)) as conn:
        for table, seeded in GROWN.items():
            columns = [
                row[0]
                for row in conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = %s AND column_name <> 'id' "
                    "ORDER BY ordinal_position",
                    (table,),
                )
            ]
            moved = {"scanned_at", "client_scanned_at"}
            chosen = ", ".join(columns)
            picked = ", ".join(
                f"{c} - make_interval(secs => %(copy)s)" if c in moved else c for c in columns
            )
            # The seed's own rows only: a copy is never copied again.
            last = conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
            assert last is not None
            for copy in range(1, factor):
                conn.execute(
                    f"INSERT INTO {table} ({chosen}) SELECT {picked} FROM {table} "
                    f"WHERE {seeded} AND id <= %(last)s",
                    {"copy": copy, "last": last[0]},
                )
        conn.commit()
    with psycopg.connect(_conninfo(target), autocommit=True) as conn:
        for table in COMPACTED:
            conn.execute(f"VACUUM FULL ANALYZE {table}")
    log(
        f"made {target.database} ({factor}× the scans and visits) in {time.perf_counter() - t0:.0f} s"
    )
    return target


@dataclass(frozen=True)
class Read:
    key: str
    title: str
    # Sends the request once; raises when the answer is not the expected one.
    send: Callable[[httpx.Client], object]


def latencies(bases: dict[str, str], reads: Sequence[Read]) -> dict[str, dict[str, float]]:
    """Each server's median latency of each read in ms, one request at a time. The servers
    take turns request by request, so a busy moment of the machine falls on both alike."""
    times: dict[str, dict[str, list[float]]] = {name: {} for name in bases}
    clients = {name: httpx.Client(base_url=base, timeout=60) for name, base in bases.items()}
    try:
        for read in reads:
            for client in clients.values():
                for _ in range(WARMUP):
                    read.send(client)
            for _ in range(REPEAT):
                for name, client in clients.items():
                    t0 = time.perf_counter()
                    read.send(client)
                    elapsed = (time.perf_counter() - t0) * 1000
                    times[name].setdefault(read.key, []).append(elapsed)
    finally:
        for client in clients.values():
            client.close()
    return {
        name: {key: statistics.median(values) for key, values in measured.items()}
        for name, measured in times.items()
    }


def table(
    factor: int, reads: Sequence[Read], today: dict[str, float], grown: dict[str, float]
) -> list[str]:
    """The ratios as Markdown lines, each judged against the goals."""
    lines = [
        f"| read | today's data | {factor}× the scans and visits | ratio | goal |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for read in reads:
        ratio = grown[read.key] / today[read.key]
        goal = f"≤ {MAX_RATIO:g}×"
        met = ratio <= MAX_RATIO
        if read.key == DASHBOARD_KEY:
            goal += f", under {MAX_DASHBOARD_MS:g} ms"
            met = met and grown[read.key] < MAX_DASHBOARD_MS
        lines.append(
            f"| {read.key} {read.title} | {today[read.key]:.1f} ms | {grown[read.key]:.1f} ms | "
            f"{ratio:.2f}× | {goal}: {'met' if met else 'not met'} |"
        )
    return lines
