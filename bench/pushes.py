"""The live line of `./run bench`: W4's scans with open roomOccupancy subscriptions.

Door displays (graphql-transport-ws, one socket each, spread over the rooms) stay subscribed
while wrk drives W4 at full speed. Beside wrk, a probe sends one scan of its own every
`PROBE_PAUSE_S` and notes when its HTTP answer ended; the push latency is the time from there
to the push naming that scan at each display of its room. The scan throughput is wrk's, to be
read beside the W4 row measured without subscriptions.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import wrk
from live_bench import Display

SCAN = "mutation($input: ScanInput!) { scanBadge(input: $input) { status access { id } } }"
PROBE_PAUSE_S = 0.1


@dataclass(frozen=True)
class LiveResult:
    subscribers: int
    scans: wrk.Result
    pushes: int
    missing: int
    push_p50_ms: float
    push_p99_ms: float
    display_errors: int


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    wrk_bin: str,
    base: str,
    script: Path,
    connections: int,
    seconds: float,
    subscribers: int,
    viewer_token: str,
    doors: Sequence[tuple[str, str]],
    codes: Sequence[str],
    run_tag: str,
) -> LiveResult:
    """`doors`: (room global id, its controller's token); the displays subscribe as
    `viewer_token` (the president: allowed at every door)."""
    graphql = f"{base}/graphql"
    displays: dict[str, list[Display]] = {room: [] for room, _ in doors}
    rooms = list(displays)
    opened: list[Display] = []
    sent: list[tuple[str, float, str]] = []
    stop = threading.Event()

    def probe() -> None:
        rng = random.Random(11)
        with httpx.Client(timeout=10) as client:
            n = 0
            while not stop.is_set():
                room, token = rng.choice(list(doors))
                n += 1
                scan = {
                    "roomId": room,
                    "code": rng.choice(codes),
                    "clientScanId": f"{run_tag}-p{n}",
                }
                response = client.post(
                    graphql,
                    json={"query": SCAN, "variables": {"input": scan}},
                    headers={"Authorization": f"Bearer {token}"},
                )
                done = time.perf_counter()
                body = response.json()
                if "errors" not in body:
                    sent.append((body["data"]["scanBadge"]["access"]["id"], done, room))
                stop.wait(PROBE_PAUSE_S)

    try:
        for i in range(subscribers):
            room = rooms[i % len(rooms)]
            display = Display(graphql, viewer_token, room)
            displays[room].append(display)
            opened.append(display)
        time.sleep(1)
        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        result = wrk.run(wrk_bin, base, script, connections, seconds, 30)
        stop.set()
        prober.join(timeout=15)
        time.sleep(1)  # the last pushes on their way
        latencies: list[float] = []
        missing = 0
        for scan_id, done, room in sent:
            for display in displays[room]:
                at = display.arrivals.get(scan_id)
                if at is None:
                    missing += 1
                else:
                    latencies.append((at - done) * 1000)
        return LiveResult(
            subscribers=len(opened),
            scans=result,
            pushes=len(latencies),
            missing=missing,
            push_p50_ms=statistics.median(latencies) if latencies else float("nan"),
            push_p99_ms=_percentile(latencies, 0.99) if latencies else float("nan"),
            display_errors=sum(len(d.errors) for d in opened),
        )
    finally:
        stop.set()
        for display in opened:
            display.close()
