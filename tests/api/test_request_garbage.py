"""A request's state is freed when the request ends, by reference counting alone. Whatever is
caught in a reference cycle waits for Python's cycle collector instead, and its pauses stop
every thread of the worker: with the executor and the loaders in cycles, they were the tail of
the door's latency (gen-1 collections of 4 to 24 ms, several a second under load)."""

from __future__ import annotations

import gc
from collections.abc import Callable

from sqlalchemy.orm import Session

from app.context import AgoraContext
from app.operations import LeafReadingExecutor
from resolvers.loaders import BatchLoader, Loaders
from resolvers.viewer import Viewer
from tests.factories import gid
from tests.live_data import SCAN, Door

# The objects one request makes and holds everything else of it through.
REQUEST_STATE = (AgoraContext, Loaders, BatchLoader, Viewer, LeafReadingExecutor, Session)

ROOM_SCANS = """query($id: ID!) { room(id: $id) { name stats { totalScans denied
  scans(first: 10) { totalCount edges { node { status scannedAt member { fullName } } } } } } }"""


def _left_to_the_collector(run: Callable[[], None]) -> list[str]:
    """The request-state objects that `run` leaves in unreachable cycles."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        run()
        gc.collect()
        return sorted({type(o).__name__ for o in gc.garbage if isinstance(o, REQUEST_STATE)})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_a_scan_and_a_read_leave_nothing_to_the_cycle_collector(gql, factory, door: Door):
    code = factory.badge(door.guest).code
    room = gid("Room", door.room)
    # warm: the schema's and the statements' caches are made once, not per request
    gql.ok(SCAN, {"r": room, "c": code}, door.controller_token)
    gql.ok(ROOM_SCANS, {"id": room}, door.controller_token)

    def requests() -> None:
        for _ in range(3):
            scanned = gql.ok(SCAN, {"r": room, "c": code}, door.controller_token)
            assert scanned["scanBadge"]["status"] == "GRANTED"
            read = gql.ok(ROOM_SCANS, {"id": room}, door.controller_token)
            assert read["room"]["stats"]["scans"]["edges"][0]["node"]["member"]["fullName"]

    assert _left_to_the_collector(requests) == []
