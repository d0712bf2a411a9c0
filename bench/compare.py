"""`./run compare REV`: this checkout against another revision, side by side, in one run.

    ./run compare b733a72 [--only W4,W2w] [--rounds 6] [--seconds 4] [--connections 16]

A change to the request path is worth a few per cent; this shared machine drifts by tens of per
cent from one minute to the next (the ceiling of two runs a minute apart: 8,700 and 14,700
req/s), so two `./run bench` runs cannot tell such a change from the drift. Here both revisions
are served at once (`agora serve --workers 2` each, production mode, one database, one signing
key), and wrk drives each workload at one, then the other, in alternating rounds (A B, B A, …)
of a few seconds: the drift falls on both alike. It prints each round and the ratio of the
totals (this checkout ÷ REV). Only one server is driven at a time; the other idles.

REV is checked out into a temporary git worktree (removed at the end) and served from there
with this checkout's virtualenv. Both must have the same migrations: they share the bench
database (`bench/bigevent.py`, seeded once as for `./run bench`).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import bigevent
import harness
import httpx
import wrk

ROOT = harness.ROOT
HOST = harness.HOST


@contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """`revision` checked out in a temporary directory, for as long as it is needed."""
    with tempfile.TemporaryDirectory(prefix="agora-compare-") as parent:
        path = Path(parent) / "tree"
        git = ["git", "-C", str(ROOT)]
        subprocess.run(
            [*git, "worktree", "add", "--detach", "--quiet", str(path), revision], check=True
        )
        try:
            yield path
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(path)], check=False)


def migrations(tree: Path) -> set[str]:
    return {p.name for p in (tree / "migrations" / "versions").glob("*.py")}


def serve(tree: Path, url: str, secret: str, tmp: Path, name: str, servers: list) -> str:
    """`agora serve --workers 2` of the code in `tree`, as `./run bench` serves it."""
    port = harness.free_port()
    data = tmp / name
    data.mkdir()
    env = {
        **os.environ,
        "AGORA_ENV": "production",
        "AGORA_SECRET_KEY": secret,
        "DATABASE_URL": url,
        "AGORA_DATA_DIR": str(data),
        "AGORA_ACCESS_TOKEN_MINUTES": "600",
        # The code of `tree`, not the checkout the virtualenv was installed from.
        "PYTHONPATH": str(tree),
    }
    log = tmp / f"{name}.log"
    cmd = [sys.executable, "-m", "app", "serve", "--host", HOST, "--port", str(port)]
    cmd += ["--workers", str(harness.AGORA_WORKERS), "--quiet"]
    process = subprocess.Popen(
        cmd,
        cwd=tree,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    servers.append(process)
    base = f"http://{HOST}:{port}"
    harness._wait_until(
        lambda: httpx.get(f"{base}/healthz", timeout=2).status_code == 200, process, name, log
    )
    return base


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="./run compare", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("revision", help="the revision to compare this checkout against")
    parser.add_argument("--only", default="W4", help="comma-separated workloads (default W4)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=4.0, help="per round and server")
    parser.add_argument("--connections", type=int, default=harness.GOAL_CONNECTIONS)
    parser.add_argument(
        "--url", default=os.environ.get("AGORA_BENCH_DATABASE_URL", bigevent.DEFAULT_URL)
    )
    args = parser.parse_args(argv)
    args.only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    if args.rounds < 2 or args.seconds < 1 or not 1 <= args.connections <= 1000:
        parser.error("--rounds at least 2, --seconds at least 1, --connections 1 to 1000")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk_bin = shutil.which("wrk")
    if wrk_bin is None:
        raise SystemExit("compare: wrk is not installed (./run compare installs it with apt-get)")
    url = bigevent.check_url(args.url)
    url_text = url.render_as_string(hide_password=False)
    with worktree(args.revision) as tree:
        if migrations(tree) != migrations(ROOT):
            raise SystemExit(
                f"compare: {args.revision} and this checkout have other migrations; they cannot "
                "share one database"
            )
        seeded = bigevent.prepare(url, reseed=False)
        secret = secrets.token_urlsafe(48)
        servers: list[subprocess.Popen[bytes]] = []
        with tempfile.TemporaryDirectory(prefix="agora-compare-run-") as tmp_name:
            tmp = Path(tmp_name)
            try:
                bases = {
                    "A": serve(tree, url_text, secret, tmp, "A", servers),
                    "B": serve(ROOT, url_text, secret, tmp, "B", servers),
                }
                print(f"A = {args.revision} at {bases['A']}; B = this checkout at {bases['B']}")
                codes = bigevent.write_codes(seeded, tmp / "codes.txt")
                with httpx.Client(base_url=bases["B"], timeout=60) as client:
                    tokens = harness.log_in_personas(client, seeded)
                run_tag = f"compare{int(time.time())}{secrets.token_hex(2)}"
                chosen = [
                    w
                    for w in harness.workloads(seeded, tokens, codes, run_tag)
                    if w.key.upper() in args.only
                ]
                if not chosen:
                    raise SystemExit(f"compare: no workload among {args.only}")
                pids = {
                    name: [p.pid, *harness._children(p.pid)]
                    for name, p in zip("AB", servers, strict=True)
                }
                for work in chosen:
                    compare(work, bases, pids, url_text, wrk_bin, tmp, args)
            finally:
                for process in servers:
                    harness.stop(process)
    return 0


def compare(
    work: harness.Workload,
    bases: dict[str, str],
    pids: dict[str, list[int]],
    url: str,
    wrk_bin: str,
    tmp: Path,
    args: argparse.Namespace,
) -> None:
    script = tmp / f"{work.key}.lua"
    script.write_text(work.script())
    for base in bases.values():
        wrk.run(wrk_bin, base, script, args.connections, harness.WARMUP_S, harness.WRK_TIMEOUT_S)
    totals: dict[str, list[float]] = {"A": [], "B": []}
    for n in range(args.rounds):
        for name in "AB" if n % 2 == 0 else "BA":
            harness.wait_idle(pids[name], url)
            result = wrk.run(
                wrk_bin, bases[name], script, args.connections, args.seconds, harness.WRK_TIMEOUT_S
            )
            totals[name].append(result.rps)
            print(
                f"  {work.key} round {n + 1} {name}: {result.rps:,.1f} req/s, "
                f"p99 {result.p99_ms:.1f} ms, errors {result.errors}",
                flush=True,
            )
    a, b = sum(totals["A"]), sum(totals["B"])
    print(
        f"{work.key} at {args.connections} connections: A {a / args.rounds:,.1f} req/s, "
        f"B {b / args.rounds:,.1f} req/s, B/A = {b / a:.3f}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
