"""The GraphQL endpoint: builds the request context, runs the operation off the event loop.

POSTed JSON operations (every query and mutation a client app sends) take the prepared-document
path of `app.operations`; GraphiQL, GET, multipart uploads and WebSocket subscriptions are left
to Strawberry's view, whose operations are run through the same prepared documents (one set of
validation rules and limits for every transport).

Whatever a client gets wrong in the request itself (a body too large or not JSON, a batch, a
method or content type we do not take) is answered as JSON with `extensions.code` and its
HTTP status (`app.errors`), never as Strawberry's plain text.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any, Literal, TypeVar

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, OperationDefinitionNode
from graphql import OperationType as CoreOperationType
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema import Schema
from strawberry.types import ExecutionResult

from app import operations
from app.context import AgoraContext, bearer_token
from app.errors import code_for_status, error_response
from app.graphiql import graphiql_page
from app.limits import Limits
from app.response_cache import CommitMarker, ResponseCache
from app.throttle import LoginThrottle
from kernel import security
from kernel.errors import AgoraError, StaleViewer
from kernel.settings import Settings
from resolvers.viewer import KeptViewers
from schema.errors import coded


class BodyTooLargeError(Exception):
    """The client sent more than the request limit (raised while the body is read)."""


def _content(scope: Scope) -> tuple[bytes, int | None]:
    """The media type (lowercase, no parameters) and the declared length: one header scan."""
    media, length = b"", None
    for name, value in scope["headers"]:
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
        elif name == b"content-length":
            length = int(value) if value.isdigit() else None
    return media, length


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The whole body, refused as soon as it grows past `limit` (chunked bodies included)."""
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise BodyTooLargeError
        return body  # the usual case: one message holds the whole operation
    chunks, size = [body], len(body)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


def _limited(receive: Receive, limit: int) -> Receive:
    """A `receive` that refuses a streamed body (a multipart upload) once it passes `limit`."""
    size = 0

    async def limited() -> Message:
        nonlocal size
        message = await receive()
        size += len(message.get("body", b""))
        if size > limit:
            raise BodyTooLargeError
        return message

    return limited


def _bad_request(message: str) -> Response:
    return error_response("BAD_USER_INPUT", message)


# Its messages, where ours say more about what to do.
_TRANSPORT_MESSAGES = {
    "File(s) missing in form data": (
        "A file named in the multipart `map` is missing from the request: send every file "
        "the map lists."
    ),
    "Unable to parse the multipart body": "The multipart body could not be read.",
}


BAD_MAP = (
    "The multipart `map` must be a JSON object from each file's form field to a list of "
    'paths into the variables, such as {"0": ["variables.file"]}; a path names a '
    "variable (or an index of a list variable) that holds null."
)
BAD_OPERATIONS = (
    'The multipart `operations` must be one JSON object, {"query": "…", "variables": {…}}: '
    "batches (a JSON array) are not accepted."
)
_PATH_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")


def _is_variables_map(files_map: Any) -> bool:
    """Each entry names places under `variables`, by GraphQL names and list indices only."""
    if not isinstance(files_map, dict):
        return False
    for paths in files_map.values():
        if not isinstance(paths, list) or not paths:
            return False
        for path in paths:
            if not isinstance(path, str):
                return False
            parts = path.split(".")
            if len(parts) < 2 or parts[0] != "variables":
                return False
            if not all(_PATH_PART.fullmatch(p) and not p.startswith("__") for p in parts[1:]):
                return False
    return True


# Refusals that ask the client to wait: their HTTP status (the answer carries Retry-After).
_WAIT_STATUS = {"RATE_LIMITED": 429, "SERVICE_UNAVAILABLE": 503}


def _replay(body: bytes) -> Receive:
    """A `receive` that hands the already-read body to another ASGI app."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


T = TypeVar("T")

# Threads of the write lane: enough for a door's scans to overlap their database round trips;
# more would only contend with the readers for Python's interpreter lock.
WRITE_THREADS = 2


class AgoraGraphQL(GraphQL[AgoraContext, None]):
    """Resolvers and the database driver are synchronous; each operation runs in a worker
    thread with its own session, so the event loop keeps accepting requests meanwhile."""

    def __init__(
        self,
        schema: Schema,
        settings: Settings,
        sessions: sessionmaker[Session],
        login_throttle: LoginThrottle | None = None,
    ) -> None:
        # Production serves no IDE on the API endpoint (GraphiQL has its own page, /graphiql).
        ide: Literal["graphiql"] | None = None if settings.is_production else "graphiql"
        super().__init__(schema, graphql_ide=ide, multipart_uploads_enabled=True)
        self.settings = settings
        self.sessions = sessions
        self.login_throttle = login_throttle
        # The threads operations run in (AGORA_WORKER_THREADS), made on first use. Handing an
        # operation over through anyio's to_thread cost a tenth of a scan's processor time
        # (its limiter, cancel scope and task lookups); an executor's queue costs a fraction.
        self.threads = ThreadPoolExecutor(
            max_workers=settings.worker_threads, thread_name_prefix="agora-operation"
        )
        # Mutations (the door's scans above all) have threads of their own: a scan never
        # queues behind dashboard reads that hold every thread of the worker.
        self.write_threads = ThreadPoolExecutor(
            max_workers=WRITE_THREADS, thread_name_prefix="agora-write"
        )
        self.core_schema = schema._schema
        self.production = settings.is_production
        self.max_body = settings.max_request_bytes
        self.documents = operations.Documents(
            self.core_schema, limits=Limits() if self.production else None
        )
        operations.install_lean_resolvers(self.core_schema)
        engine = sessions.kw["bind"]
        on_postgres = engine.dialect.name == "postgresql"
        # PostgreSQL only: on SQLite a request's transaction is what keeps its reads consistent.
        self.autocommit_sessions = (
            sessionmaker(
                class_=sessions.class_,
                **{**sessions.kw, "bind": engine.execution_options(isolation_level="AUTOCOMMIT")},
            )
            if on_postgres
            else sessions
        )
        # PostgreSQL only: there the door's statement checks that a reused viewer still holds.
        self.kept_viewers = KeptViewers() if on_postgres else None
        self.cache = (
            ResponseCache(CommitMarker(engine), settings.response_cache_size)
            if settings.response_cache_size
            else None
        )

    async def close(self) -> None:
        """Let go of the cache's own database connection and of the threads (at shutdown)."""
        if self.cache is not None:
            await self.cache.marker.close()
        self.threads.shutdown(wait=False)
        self.write_threads.shutdown(wait=False)

    async def in_thread(self, job: Callable[[], T], *, writes: bool = False) -> T:
        """`job()` in one of the operation threads (the write lane's for a mutation), with
        this task's context variables."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(
            self.write_threads if writes else self.threads, partial(context.run, job)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        media, length = _content(scope)
        if length is not None and length > self.max_body:
            await self._too_large()(scope, receive, send)
            return
        if scope["method"] != "POST" or media != b"application/json":
            await self._other(scope, receive, send, media)
            return
        request = Request(scope, receive)
        try:
            body = await _read_body(receive, self.max_body)
        except BodyTooLargeError:
            await self._too_large()(scope, receive, send)
            return
        response = await self._run_prepared(request, body)
        if response is None:
            # A subscription over HTTP: Strawberry's view answers it as it always has.
            await self._strawberry(scope, _replay(body), send)
            return
        await response(scope, receive, send)

    def _too_large(self) -> Response:
        return error_response(
            "PAYLOAD_TOO_LARGE",
            f"The request is larger than {self.max_body} bytes, the most this server reads.",
        )

    async def _other(self, scope: Scope, receive: Receive, send: Send, media: bytes) -> None:
        """Everything but a JSON POST: GET, GraphiQL, multipart uploads; refusals as JSON."""
        method = scope["method"]
        response: Response | None = None
        if method == "GET" and self.production:
            # Queries over GET are cacheable and linkable, so forgeable from another site.
            response = error_response(
                "METHOD_NOT_ALLOWED",
                "Send GraphQL operations with POST (application/json).",
                headers={"Allow": "POST"},
            )
        elif method == "POST" and media != b"multipart/form-data":
            response = error_response(
                "UNSUPPORTED_MEDIA_TYPE",
                "Send operations as application/json (or multipart/form-data with files).",
            )
        elif method not in ("GET", "POST"):
            response = error_response(
                "METHOD_NOT_ALLOWED",
                "GraphQL takes POST (and GET for queries in development).",
                headers={"Allow": "GET, POST"},
            )
        if response is None:
            await self._strawberry(scope, _limited(receive, self.max_body), send)
            return
        await response(scope, receive, send)

    async def _strawberry(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry's view for one HTTP request, its refusals answered as JSON."""
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as exc:
            code = code_for_status(exc.status_code)
            message = _TRANSPORT_MESSAGES.get(exc.reason, exc.reason)
            response = error_response(code, message, status=exc.status_code)
        except BodyTooLargeError:
            response = self._too_large()
        await response(scope, receive, send)

    async def parse_multipart(self, request: Any) -> dict[str, str]:
        """Strawberry's reading of the multipart form, with the body, its `map` and its
        `operations` checked first: a body Starlette cannot read, a path that is not a
        variable's place, operations that are not one JSON object are the client's mistakes,
        not server errors."""
        try:
            form = await request.get_form_data()
        except StarletteHTTPException as exc:
            # Starlette's refusal of the body itself (no boundary, malformed parts, too many).
            raise HTTPException(400, f"The multipart body could not be read: {exc.detail}") from exc
        files_map = form.form.get("map", "{}")
        if isinstance(files_map, (bytes, str)):
            files_map = self.parse_json(files_map)
        if not _is_variables_map(files_map):
            raise HTTPException(400, BAD_MAP)
        operations = form.form.get("operations", "{}")
        if isinstance(operations, (bytes, str)):
            operations = self.parse_json(operations)
        if not isinstance(operations, dict):
            raise HTTPException(400, BAD_OPERATIONS)
        try:
            return await super().parse_multipart(request)
        except (TypeError, ValueError, IndexError, AttributeError) as exc:
            raise HTTPException(400, BAD_MAP) from exc

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_page()

    async def _run_prepared(self, request: Request, body: bytes) -> Response | None:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            return _bad_request(f"The request body is not valid JSON ({exc}).")
        if isinstance(data, list):
            return _bad_request(
                "Send one operation per request: batches (a JSON array) are not accepted."
            )
        if not isinstance(data, dict):
            return _bad_request('The request body must be a JSON object: {"query": "…"}.')
        query, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
        if not isinstance(query, str) or not query:
            return _bad_request("The request has no `query`: send the operation's text in it.")
        if variables is not None and not isinstance(variables, dict):
            return _bad_request("`variables` must be a JSON object (or null).")
        if name is not None and not isinstance(name, str):
            return _bad_request("`operationName` must be a string (or null).")
        prepared = self.documents.prepare(query)
        if prepared.errors:
            payload = operations.response_body(None, [coded(e) for e in prepared.errors])
        else:
            operation = prepared.operation(name)
            if operation is not None and operation.type == CoreOperationType.SUBSCRIPTION:
                return None
            autocommit = operation is not None and operation.autocommit
            if (
                self.cache is not None
                and operation is not None
                and operation.type == CoreOperationType.QUERY
                and operation.needs_database
                and not prepared.introspection
            ):
                token = bearer_token(request.headers)
                key = self.cache.key(token, query, variables, name)
                run = partial(self._run_in_thread, request, prepared, variables, name, token)
                return await self.cache.serve(key, run)
            # A mutation that writes in one statement checks its viewer's standing there: it may
            # reuse the viewer an earlier request read (`KeptViewers`).
            # Only an operation of one field: one whose first field committed could not run
            # again when a later field found the viewer stale.
            reuse = (
                autocommit
                and operation is not None
                and operation.type == CoreOperationType.MUTATION
                and _root_fields(prepared, name) == 1
            )
            context = self.context_for(request, autocommit=autocommit, reuse_viewer=reuse)
            job = partial(self._execute_and_close, prepared, context, variables, name)
            gated = prepared.introspection and self.production
            writes = operation is not None and operation.type == CoreOperationType.MUTATION
            if operation is not None and not operation.needs_database and not gated:
                # Answered from the schema alone: a thread would cost more than the answer.
                result = job()
            else:
                try:
                    result = await self.in_thread(job, writes=writes)
                except StaleViewer:
                    # It wrote nothing: again, with the viewer as it is now.
                    context = self.context_for(request, autocommit=autocommit)
                    job = partial(self._execute_and_close, prepared, context, variables, name)
                    result = await self.in_thread(job, writes=writes)
            payload = operations.response_body(result.data, result.errors)
            if payload["data"] is None and "errors" in payload:
                return self._refused(payload)
        return Response(orjson.dumps(payload), media_type="application/json")

    async def _run_in_thread(
        self,
        request: Request,
        prepared: operations.Prepared,
        variables: dict[str, Any] | None,
        name: str | None,
        token: str | None,
    ) -> tuple[Response, datetime | None]:
        """A query's answer, and until when it may be served again (None: not at all)."""
        context = self.context_for(request, autocommit=True)
        job = partial(self._execute_and_close, prepared, context, variables, name)
        result = await self.in_thread(job)
        payload = operations.response_body(result.data, result.errors)
        if "errors" in payload:
            return self._refused(payload), None
        until = context.clock.reusable_until()
        if until is not None and token is not None:
            try:
                expires = security.decode_access_token(self.settings, token).expires_at
            except security.InvalidToken:
                # Garbage, or it expired meanwhile: the answer stands, but is not kept.
                return Response(orjson.dumps(payload), media_type="application/json"), None
            until = min(until, expires)
        return Response(orjson.dumps(payload), media_type="application/json"), until

    def _refused(self, payload: dict[str, Any]) -> Response:
        # A login refused for too many attempts is an HTTP 429, a database out of reach a 503,
        # each with the wait to honour.
        for error in payload["errors"]:
            extensions = error.get("extensions") or {}
            status = _WAIT_STATUS.get(str(extensions.get("code")))
            if status is not None:
                wait = str(extensions.get("retryAfterSeconds", 60))
                return Response(
                    orjson.dumps(payload),
                    status_code=status,
                    media_type="application/json",
                    headers={"Retry-After": wait},
                )
        return Response(orjson.dumps(payload), media_type="application/json")

    def _execute_and_close(
        self,
        prepared: operations.Prepared,
        context: AgoraContext,
        variables: dict[str, Any] | None,
        name: str | None,
    ) -> ExecutionResult:
        """One prepared operation, for every HTTP transport: introspection gated in production,
        errors coded and (in production) without suggestions; the session closed after."""
        try:
            if prepared.introspection and self.production:
                refusal = operations.introspection_refusal(context)
                if refusal is not None:
                    return ExecutionResult(data=None, errors=[coded(_error(refusal))])
            hide = self.production
            result = operations.run(self.core_schema, prepared, context, variables, name, hide)
            self._judged_afresh_if_stale(context, result)
            errors = [
                coded(operations.without_suggestion(e) if hide else e) for e in result.errors or ()
            ]
            return ExecutionResult(data=result.data, errors=errors or None)
        finally:
            # Anything a failed use case left uncommitted is rolled back here.
            context.close()

    def _judged_afresh_if_stale(self, context: AgoraContext, result: Any) -> None:
        """Raise StaleViewer when the operation must run again with its viewer read afresh:
        its write found the reused viewer stale, or it was refused (or failed) before any write
        checked the viewer, since a stale viewer may be what refused it (a controller moved to
        this room since). Nothing was written in either case."""
        viewer = context.viewer_if_loaded()
        if viewer is None or not viewer.reused or not result.errors:
            return
        stale = any(isinstance(e.original_error, StaleViewer) for e in result.errors)
        if stale or not context.standing_checked:
            if self.kept_viewers is not None:
                self.kept_viewers.drop(viewer.user_id)
            raise StaleViewer(viewer.user_id)

    def context_for(
        self, request: Request | WebSocket, *, autocommit: bool = False, reuse_viewer: bool = False
    ) -> AgoraContext:
        """A request's context; with `autocommit`, on PostgreSQL its statements run without
        BEGIN and COMMIT (see `resolvers.transactions`); with `reuse_viewer`, its viewer may be
        one an earlier request read (`KeptViewers`)."""
        return AgoraContext.open(
            self.autocommit_sessions if autocommit else self.sessions,
            self.settings,
            kept_viewers=self.kept_viewers if reuse_viewer else None,
            token=bearer_token(request.headers),
            request=request,
            login_throttle=self.login_throttle,
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> AgoraContext:
        return self.context_for(request)

    async def execute_single(  # noqa: PLR0917
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: AgoraContext,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        """GET queries and multipart uploads, through the same prepared documents and limits."""
        query = request_data.query
        if not isinstance(query, str) or not query:
            raise HTTPException(400, "The request has no `query`: send the operation's text in it.")
        prepared = self.documents.prepare(query)
        if prepared.errors:
            return ExecutionResult(data=None, errors=[coded(e) for e in prepared.errors])
        operation = prepared.operation(request_data.operation_name)
        if (
            request_adapter.method == "GET"
            and operation
            and operation.type != CoreOperationType.QUERY
        ):
            raise HTTPException(405, "Only queries may be sent with GET; send mutations with POST.")
        if operation and operation.type == CoreOperationType.SUBSCRIPTION:
            raise HTTPException(
                400, "Subscriptions run over a WebSocket (graphql-transport-ws) on /graphql."
            )
        variables = request_data.variables
        if variables is not None and not isinstance(variables, dict):
            raise HTTPException(400, "`variables` must be a JSON object (or null).")
        return await self.in_thread(
            partial(
                self._execute_and_close,
                prepared,
                context,
                variables,
                request_data.operation_name,
            ),
            writes=operation is not None and operation.type == CoreOperationType.MUTATION,
        )


def _root_fields(prepared: operations.Prepared, name: str | None) -> int:
    """How many selections the named (or only) operation of a prepared document makes at its
    root."""
    assert prepared.document is not None
    chosen = [
        d
        for d in prepared.document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (name is None or d.name and d.name.value == name)
    ]
    return len(chosen[0].selection_set.selections) if len(chosen) == 1 else 0


def _error(exc: AgoraError) -> GraphQLError:
    return GraphQLError(exc.message, original_error=exc)
