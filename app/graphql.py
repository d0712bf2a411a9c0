"""The GraphQL endpoint: builds the request context, runs the operation off the event loop."""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio.to_thread
from cross_web import HTTPException
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

import models
from app.context import Context
from app.settings import Settings
from resolvers.loaders import Loaders


def bearer_token(headers: Any) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class AgoraGraphQL(GraphQL[Context, None]):
    """Resolvers and the database driver are synchronous; each operation runs in a worker
    thread with its own session, so the event loop keeps accepting requests meanwhile."""

    def __init__(
        self, schema: BaseSchema, settings: Settings, sessions: sessionmaker[Session]
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql", multipart_uploads_enabled=True)
        self.settings = settings
        self.sessions = sessions

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        db = self.sessions()
        now = models.utcnow()
        return Context(
            db=db,
            settings=self.settings,
            now=now,
            loaders=Loaders(db, now),
            token=bearer_token(request.headers),
            request=request,
        )

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
            return await anyio.to_thread.run_sync(partial(_run_and_close, run, context.db))
        except InvalidOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason(request_adapter.method)) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc


def _run_and_close(run: Any, db: Session) -> ExecutionResult:
    try:
        return run()
    finally:
        # Anything a failed use case left uncommitted is rolled back here.
        db.close()
