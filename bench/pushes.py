"""The live line of `./run bench`: W4's scans with open roomOccupancy subscriptions.

Door displays (graphql-transport-ws, one socket each, spread over the rooms, in a process of
their own: bench/displays.py) stay subscribed while wrk drives W4 at full speed. Beside wrk, a probe sends one scan of its own every
`PROBE_PAUSE_S` and notes when its HTTP answer ended; the push latency is the time from there
to the push naming that scan at each display of its room. The scan throughput is wrk's, to be
read beside the W4 row measured without subscriptions.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import wrk

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

    rooms = [room for room, _ in doors]
    displays = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("displays.py")),
            graphql.replace("http://", "ws://"),
            str(subscribers),
            *rooms,
        ],
        env={**os.environ, "AGORA_BENCH_TOKEN": viewer_token},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert displays.stdout is not None
        assert displays.stdin is not None
        if displays.stdout.readline().strip() != "ready":
            raise RuntimeError("the door displays did not open")
        time.sleep(1)
        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        result = wrk.run(wrk_bin, base, script, connections, seconds, 30)
        stop.set()
        prober.join(timeout=15)
        time.sleep(1)  # the last pushes on their way
        out, _ = displays.communicate(timeout=60)
        seen = json.loads(out)
        by_room: dict[str, list[dict[str, float]]] = {room: [] for room in rooms}
        for display in seen["displays"]:
            by_room[display["room"]].append(display["arrivals"])
        latencies: list[float] = []
        missing = 0
        for scan_id, done, room in sent:
            for arrivals in by_room[room]:
                at = arrivals.get(scan_id)
                if at is None:
                    missing += 1
                else:
                    latencies.append((at - done) * 1000)
        return LiveResult(
            subscribers=len(seen["displays"]),
            scans=result,
            pushes=len(latencies),
            missing=missing,
            push_p50_ms=statistics.median(latencies) if latencies else float("nan"),
            push_p99_ms=_percentile(latencies, 0.99) if latencies else float("nan"),
            display_errors=len(seen["errors"]),
        )
    finally:
        stop.set()
        if displays.poll() is None:
            displays.kill()
            displays.wait()
