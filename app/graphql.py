"""The GraphQL endpoint: builds the request context, runs the operation off the event loop.

POSTed JSON operations (every query and mutation a client app sends) take the prepared-document
path of `app.operations`; GraphiQL, GET, multipart uploads, batches and WebSocket subscriptions
are left to Strawberry's view, which serves them as before.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio.to_thread
import orjson
from cross_web import HTTPException
from graphql import OperationType as CoreOperationType
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

import models
from app import operations
from app.context import Context
from app.settings import Settings


def bearer_token(headers: Any) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _is_json_post(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "POST":
        return False
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"application/json"
    return False


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


class AgoraGraphQL(GraphQL[Context, None]):
    """Resolvers and the database driver are synchronous; each operation runs in a worker
    thread with its own session, so the event loop keeps accepting requests meanwhile."""

    def __init__(
        self, schema: BaseSchema, settings: Settings, sessions: sessionmaker[Session]
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql", multipart_uploads_enabled=True)
        self.settings = settings
        self.sessions = sessions
        self.core_schema = schema._schema  # type: ignore[attr-defined]
        self.documents = operations.Documents(self.core_schema)
        operations.install_lean_resolvers(self.core_schema)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_json_post(scope):
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()
        response = await self._run_prepared(request, body)
        if response is None:
            # Not a single operation this path runs: Strawberry answers it as it always has.
            await super().__call__(scope, _replay(body), send)
            return
        await response(scope, receive, send)

    async def _run_prepared(self, request: Request, body: bytes) -> Response | None:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(data, dict):
            return None
        query, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
        if not isinstance(query, str) or not query:
            return None
        if variables is not None and not isinstance(variables, dict):
            return None
        if name is not None and not isinstance(name, str):
            return None
        prepared = self.documents.prepare(query)
        if prepared.errors:
            payload = operations.response_body(None, prepared.errors)
        else:
            operation = prepared.operation(name)
            if operation is not None and operation[0] == CoreOperationType.SUBSCRIPTION:
                return None
            context = self.context_for(request)
            run = partial(operations.execute, self.core_schema, prepared, context, variables, name)
            job = partial(_run_and_close, run, context)
            if operation is not None and not operation[1]:
                # Answered from the schema alone: a thread would cost more than the answer.
                payload = job()
            else:
                payload = await anyio.to_thread.run_sync(job)
        return Response(orjson.dumps(payload), media_type="application/json")

    def context_for(self, request: Request | WebSocket) -> Context:
        return Context(
            db=self.sessions(),
            settings=self.settings,
            now=models.utcnow(),
            token=bearer_token(request.headers),
            request=request,
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return self.context_for(request)

    async def execute_single(  # noqa: PLR0917
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        run = partial(
            self.schema.execute_sync,
            request_data.query,
            root_value=root_value,
            variable_values=request_data.variables,
            context_value=context,
            operation_name=request_data.operation_name,
            operation_extensions=request_data.extensions,
            allowed_operation_types=OperationType.from_http(request_adapter.method),
        )
        try:
            return await anyio.to_thread.run_sync(partial(_run_and_close, run, context))
        except InvalidOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason(request_adapter.method)) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc


def _run_and_close(run: Any, context: Context) -> Any:
    try:
        return run()
    finally:
        # Anything a failed use case left uncommitted is rolled back here.
        context.db.close()
