"""Readiness: whether this process can serve requests now, for load balancers and deployers.

`/healthz` says the process is alive (it answers without the database: restarting a process
because its database is down helps nobody). `/readyz` says whether requests can succeed: the
database answers and its schema is at the revision this code was written for; otherwise 503
with the reason, so a deployer holds traffic back until `agora migrate` has run or the
database is back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import JSONResponse

from app.migrate import current_revision, head_revision

# A database that does not answer within this long is not ready, whatever it does later.
READY_TIMEOUT_S = 5.0


def _state(engine: Engine, head: str) -> tuple[bool, str]:
    try:
        current = current_revision(engine)
    except DBAPIError:
        return False, "The database cannot be reached."
    if current != head:
        at = f"at revision {current}" if current else "empty (never migrated)"
        return False, f"The database is {at}, not at {head}: run `agora migrate`."
    return True, head


def readiness(engine: Engine) -> Callable[[Request], Awaitable[JSONResponse]]:
    """The `/readyz` endpoint of a server on `engine`."""
    head = head_revision()

    async def readyz(_request: Request) -> JSONResponse:
        ready, said = False, "The database did not answer within 5 seconds."
        with anyio.move_on_after(READY_TIMEOUT_S):
            ready, said = await anyio.to_thread.run_sync(
                _state, engine, head, abandon_on_cancel=True
            )
        if ready:
            return JSONResponse({"status": "ready", "revision": said})
        return JSONResponse(
            {"status": "unavailable", "reason": said}, status_code=503, headers={"Retry-After": "5"}
        )

    return readyz
