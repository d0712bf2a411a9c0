"""One place where failures become GraphQL errors: coded when the client can act, masked otherwise."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator

import psycopg
from graphql import GraphQLError, SubsequentIncrementalExecutionResult
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import StreamExecutionResult

from kernel.errors import AgoraError, ServiceUnavailableError

log = logging.getLogger("agora")
# An outage is logged once, and again each time it lasts this much longer: not per request.
OUTAGE_LOG_EVERY_S = 60.0


class Outages:
    """Tells a database out of reach from a bug, and logs it once per outage."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.logged_at: float | None = None

    @staticmethod
    def is_outage(exc: BaseException | None) -> bool:
        # A connection refused, dropped or timed out (OperationalError, or one SQLAlchemy saw
        # invalidated; the drivers' own from the statements run on them directly), or no
        # connection free in the pool in time.
        unreachable = (
            OperationalError,
            PoolTimeoutError,
            psycopg.OperationalError,
            sqlite3.OperationalError,
        )
        return isinstance(exc, unreachable) or (
            isinstance(exc, DBAPIError) and exc.connection_invalidated
        )

    def refusal(self, exc: BaseException) -> ServiceUnavailableError:
        now = time.monotonic()
        with self.lock:
            first = self.logged_at is None or now - self.logged_at > OUTAGE_LOG_EVERY_S
            if first:
                self.logged_at = now
        if first:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            log.error("the database cannot be reached: %s", reason[0] if reason else exc)
        return ServiceUnavailableError()


outages = Outages()


def coded(error: GraphQLError) -> GraphQLError:
    """The error as clients see it: with its `extensions.code`, its text hidden if unexpected."""
    original = error.original_error
    if isinstance(original, AgoraError):
        # graphql-core already copied the exception's `extensions` (its code) onto the error.
        return error
    if outages.is_outage(original):
        assert original is not None
        refusal = outages.refusal(original)
        return GraphQLError(
            refusal.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=refusal,
        )
    if (
        original is None
        or isinstance(original, InvalidOperationTypeError)
        or (error.path is None and error.nodes)
    ):
        # Parse, validation and variable errors, or an operation type the transport does not
        # run: the request itself is malformed. They carry no path (only a resolver's errors
        # do), even when a scalar's parser raised them, but point into the document. An
        # exception with neither (a subscription's stream failing between pushes) is ours.
        return bad_user_input(error)
    log.error("unexpected error at %s", error.path, exc_info=original)
    return GraphQLError(
        "Something went wrong on our side; nothing was changed. Try again, or tell the organizers.",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={"code": "INTERNAL_SERVER_ERROR"},
    )


def bad_user_input(error: GraphQLError) -> GraphQLError:
    """The error coded BAD_USER_INPUT (in place: transports may still look at its original)."""
    if error.original_error is None and (error.extensions or {}).get("code"):
        return error  # already coded where it was raised (the limits)
    error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
    return error


class ErrorCodes(SchemaExtension):
    """Adds `extensions.code` to known errors and hides the text of unexpected ones."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [coded(e) for e in result.errors]

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        # Subscriptions: each push (and a refusal before the first) is coded before it is sent.
        # (The later frames of incremental delivery, which this schema does not enable, carry
        # no errors of their own.)
        if not isinstance(result, SubsequentIncrementalExecutionResult) and result.errors:
            result.errors = [coded(e) for e in result.errors]
        yield
