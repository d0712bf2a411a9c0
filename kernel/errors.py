"""The errors a client can be shown. Each maps to one `extensions.code`; all others are masked."""

from __future__ import annotations


class AgoraError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def extensions(self) -> dict[str, str | int]:
        # graphql-core copies an original error's `extensions` onto the GraphQL error, on every
        # transport (HTTP results and subscription streams alike).
        return {"code": self.code}


class UnauthenticatedError(AgoraError):
    code = "UNAUTHENTICATED"


class ForbiddenError(AgoraError):
    code = "FORBIDDEN"


class NotFoundError(AgoraError):
    code = "NOT_FOUND"


class BadUserInputError(AgoraError):
    code = "BAD_USER_INPUT"


class ConflictError(AgoraError):
    code = "CONFLICT"


class RateLimitedError(AgoraError):
    """Too many attempts: `retry_after` seconds until the next one is heard."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, str | int]:
        return {"code": self.code, "retryAfterSeconds": self.retry_after}


class ServiceUnavailableError(RateLimitedError):
    """The database cannot be reached just now: nothing was done; try again after a while."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(self, retry_after: int = 5) -> None:
        super().__init__(
            "The database cannot be reached just now, so nothing was read or changed. Try "
            f"again in {retry_after} seconds.",
            retry_after,
        )


class StaleViewer(Exception):  # noqa: N818  (not an error of the client's: a signal to retry)
    """A write found that the viewer it was judged with, reused from an earlier request
    (`resolvers.viewer.KeptViewers`), is no longer the viewer's standing: it wrote nothing,
    and the operation runs again with the viewer read afresh. Never shown to a client."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"the standing of user {user_id} changed")
        self.user_id = user_id
