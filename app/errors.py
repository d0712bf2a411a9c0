"""One mapping from error codes to HTTP statuses, and the one JSON shape of a refused request.

Every route answers a refusal the same way: a GraphQL-style body
`{"errors": [{"message": ..., "extensions": {"code": ...}}]}` with the status below, so a
client reads one shape whether /graphql, a download or an export refused it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from kernel.errors import AgoraError, RateLimitedError

HTTP_STATUS: dict[str, int] = {
    "BAD_USER_INPUT": 400,
    "GRAPHQL_VALIDATION_FAILED": 400,
    "GRAPHQL_PARSE_FAILED": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMITED": 429,
    "INTERNAL_SERVER_ERROR": 500,
    "SERVICE_UNAVAILABLE": 503,
}


def http_status(code: str) -> int:
    return HTTP_STATUS.get(code, 500)


# Status -> the first code above that answers with it (400 is BAD_USER_INPUT).
_CODE_OF_STATUS: dict[int, str] = {}
for _code, _status in HTTP_STATUS.items():
    _CODE_OF_STATUS.setdefault(_status, _code)


def code_for_status(status: int) -> str:
    """The code of a refusal known only by its HTTP status (a transport's own refusals)."""
    return _CODE_OF_STATUS.get(status, "BAD_USER_INPUT")


def error_body(code: str, message: str, **extensions: Any) -> dict[str, Any]:
    return {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": code, **extensions}}],
    }


def error_response(
    code: str,
    message: str,
    *,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    legacy: bool = False,
) -> Response:
    """A refusal as JSON. `legacy` keeps the `error` object the plain routes answered before."""
    body = error_body(code, message)
    if legacy:
        del body["data"]
        body["error"] = {"code": code, "message": message}
    headers = dict(headers or {})
    if code == "UNAUTHENTICATED":
        headers.setdefault("WWW-Authenticate", "Bearer")
    return Response(
        orjson.dumps(body),
        status_code=status or http_status(code),
        media_type="application/json",
        headers=headers,
    )


def agora_error_response(exc: AgoraError, *, legacy: bool = False) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimitedError) else None
    return error_response(exc.code, exc.message, headers=headers, legacy=legacy)
