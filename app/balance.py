"""Even out the connections the worker processes of one `agora serve --workers N` hold.

The workers share one listening socket, and whichever is first to accept takes the connection:
clients that open their connections together (door scanners at opening time, a load test)
often end up 13 on one worker and 3 on the other. Each worker runs Python on one core at a
time, so the crowded one answers every request late while the other idles: the scans' p99 at
16 connections went from 48 ms with a 9/7 split to 61 ms with 13/3, at the same throughput.

The workers keep, in a small shared file, how many requests each has in progress. A worker
with two more than its least busy sibling answers with `Connection: close`: the client opens
its next connection, and the sibling, waiting for work, is the likely one to accept it. Used
only under `agora serve` with several workers (AGORA_WORKER_GROUP, set by the command).
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import struct
import tempfile
import time
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

GROUP_ENV = "AGORA_WORKER_GROUP"
SLOTS = 256
# A slot: the worker's process id, its requests in progress.
SLOT = struct.Struct("qq")
# How often a worker looks which siblings are alive.
SIBLINGS_SECONDS = 1.0
# Requests in progress beyond the least busy sibling's from which a connection is let go.
CROWDED_BY = 2


def _alive(pid: int) -> bool:
    # Signal 0 only asks whether the process exists (PermissionError: it does, as another user).
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


class WorkerLoad:
    """This process's slot in the file its group shares."""

    def __init__(self, group: str) -> None:
        fd = os.open(group_file(group), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_size < SLOTS * SLOT.size:
                os.ftruncate(fd, SLOTS * SLOT.size)
            self.shared = mmap.mmap(fd, SLOTS * SLOT.size)
            self.slot = self._claim()
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        self.in_progress = 0
        self._siblings: list[int] = []
        self._looked = 0.0

    def _claim(self) -> int:
        for slot in range(SLOTS):
            pid, _ = SLOT.unpack_from(self.shared, slot * SLOT.size)
            if pid == 0 or not _alive(pid):
                SLOT.pack_into(self.shared, slot * SLOT.size, os.getpid(), 0)
                return slot
        raise RuntimeError("more than 256 workers in one group")

    def _write(self) -> None:
        SLOT.pack_into(self.shared, self.slot * SLOT.size, os.getpid(), self.in_progress)

    def started(self) -> None:
        self.in_progress += 1
        self._write()

    def ended(self) -> None:
        self.in_progress -= 1
        self._write()

    def crowded(self) -> bool:
        """Whether this worker has CROWDED_BY more requests in progress than a sibling."""
        now = time.monotonic()
        if now - self._looked >= SIBLINGS_SECONDS:
            self._looked = now
            me = os.getpid()
            self._siblings = [
                slot
                for slot in range(SLOTS)
                if slot != self.slot
                and (pid := SLOT.unpack_from(self.shared, slot * SLOT.size)[0])
                and pid != me
                and _alive(pid)
            ]
        if not self._siblings:
            return False
        least: int = min(SLOT.unpack_from(self.shared, s * SLOT.size)[1] for s in self._siblings)
        return self.in_progress >= least + CROWDED_BY


class Balanced:
    """HTTP requests counted in this worker's slot; a crowded worker lets the connection go."""

    def __init__(self, app: ASGIApp, load: WorkerLoad) -> None:
        self.app = app
        self.load = load

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        load = self.load

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and load.crowded():
                headers = [*message.get("headers", ()), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        load.started()
        try:
            await self.app(scope, receive, sending)
        finally:
            load.ended()


def group_file(group: str) -> Path:
    return Path(tempfile.gettempdir()) / f"agora-workers-{group}"


def forget_group() -> None:
    """Remove this server's shared file (when `agora serve` ends)."""
    group = os.environ.pop(GROUP_ENV, None)
    if group:
        group_file(group).unlink(missing_ok=True)


def balanced(app: ASGIApp) -> ASGIApp:
    """`app`, balanced across its group's workers when it has one (AGORA_WORKER_GROUP)."""
    group = os.environ.get(GROUP_ENV)
    if not group:
        return app
    with contextlib.suppress(OSError):
        return Balanced(app, WorkerLoad(group))
    return app
