"""A door scanning in the background while wrk drives a read: the live-door lines of the bench.

At a live event something is always written: a door posts its scans on its own schedule, not
when the server is ready. `Door` sends one `scanBadge` every 1/rate seconds, on schedule (a
scan due while others are still waiting for their answer goes out all the same, on another
connection), and times each from the moment it was due to its answer, so a server that makes
the door queue shows it in the door's own latency.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

SCAN = """mutation($input: ScanInput!) { scanBadge(input: $input) { status reason } }"""
# A scanner gives up on an answer after this long; the scan then counts as unanswered.
TIMEOUT_S = 10.0
# Scans in flight at once, at most: a door with this many people waiting is already a queue.
IN_FLIGHT = 16
# The door's own goals while the readers run (issue: every scan answered, p99 under 100 ms).
MAX_P99_MS = 100.0


@dataclass(frozen=True)
class DoorResult:
    rate: float
    # Scans that fell due while the read ran, and those answered 200 with a verdict in time.
    due: int
    answered: int
    p50_ms: float
    p99_ms: float
    first_error: str

    @property
    def met(self) -> bool:
        return self.due > 0 and self.answered == self.due and self.p99_ms < MAX_P99_MS

    def text(self) -> str:
        return (
            f"{self.answered}/{self.due} answered, p50 {self.p50_ms:.0f} ms, "
            f"p99 {self.p99_ms:.0f} ms"
        )


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


class Door:
    """`with Door(...) as door:` scans `room_gid` at `rate` per second until the block ends."""

    def __init__(
        self,
        base: str,
        room_gid: str,
        token: str,
        codes: Sequence[str],
        run_tag: str,
        rate: float = 30.0,
    ) -> None:
        self.base = base
        self.room_gid = room_gid
        self.token = token
        self.codes = codes
        self.run_tag = run_tag
        self.rate = rate
        self.latencies: list[float] = []
        self.due = 0
        self.first_error = ""
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.client = httpx.Client(
            base_url=base,
            timeout=TIMEOUT_S,
            limits=httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT),
            headers={"Authorization": f"Bearer {token}"},
        )
        self.pool = ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="door")
        self.scheduler = threading.Thread(target=self._schedule, name="door-schedule", daemon=True)

    def __enter__(self) -> Door:
        self.scheduler.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.stopping.set()
        self.scheduler.join(timeout=TIMEOUT_S)
        # The scans already sent are waited for: each is answered or times out.
        self.pool.shutdown(wait=True)
        self.client.close()

    def _schedule(self) -> None:
        start = time.perf_counter()
        number = 0
        while not self.stopping.is_set():
            due_at = start + number / self.rate
            wait = due_at - time.perf_counter()
            if wait > 0 and self.stopping.wait(wait):
                break
            self.due += 1
            self.pool.submit(self._scan, number, due_at)
            number += 1

    def _scan(self, number: int, due_at: float) -> None:
        scan = {
            "roomId": self.room_gid,
            "code": self.codes[number % len(self.codes)],
            "clientScanId": f"{self.run_tag}-door-{number}",
        }
        try:
            answer = self.client.post(
                "/graphql", json={"query": SCAN, "variables": {"input": scan}}
            )
            body = answer.json() if answer.status_code == 200 else None
            if body is None or body.get("errors") or not (body.get("data") or {}).get("scanBadge"):
                self._failed(f"HTTP {answer.status_code}: {answer.text[:200]}")
                return
        except (httpx.HTTPError, ValueError) as exc:
            self._failed(f"{type(exc).__name__}: {exc}")
            return
        with self.lock:
            self.latencies.append((time.perf_counter() - due_at) * 1000)

    def _failed(self, why: str) -> None:
        with self.lock:
            self.first_error = self.first_error or why

    def result(self) -> DoorResult:
        with self.lock:
            latencies = sorted(self.latencies)
            return DoorResult(
                rate=self.rate,
                due=self.due,
                answered=len(latencies),
                p50_ms=percentile(latencies, 50),
                p99_ms=percentile(latencies, 99),
                first_error=self.first_error,
            )
