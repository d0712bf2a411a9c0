"""One place where failures become GraphQL errors: coded when the client can act, masked otherwise."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError, SubsequentIncrementalExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import StreamExecutionResult

from kernel.errors import AgoraError

log = logging.getLogger("agora")


def coded(error: GraphQLError) -> GraphQLError:
    """The error as clients see it: with its `extensions.code`, its text hidden if unexpected."""
    original = error.original_error
    if isinstance(original, AgoraError):
        # graphql-core already copied the exception's `extensions` (its code) onto the error.
        return error
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
