"""Subscriptions over WebSocket (graphql-transport-ws): who may connect, how much, for how long.

- `connection_init` must carry a valid access token (or the handshake an Authorization
  header): otherwise the socket closes with 4401 there, before any subscription. A user past the
  per-process connection limit is closed with 4403.
- Browser pages of other origins than the API's own are refused at the handshake unless listed
  in AGORA_CORS_ORIGINS (strawberry's check); clients without an Origin header are not browsers.
- Each subscription gets its own context, session and feed; at most AGORA_LIVE_MAX_SUBSCRIPTIONS
  run on one socket. Queries and mutations go over HTTP.
- A subscription's document is checked as HTTP checks a query, by the same prepared documents
  (`app.operations.Documents`): parse, validation, depth and token limits, and in production the
  aliases, directives and cost limits, no "Did you mean …?", and `__schema`/`__type` for admins
  only. A refusal is an `error` message for that subscription, with the codes HTTP would give.
- A push whose JSON passes `app.limits.MAX_RESPONSE_BYTES` is not sent: the subscription ends
  with a RESPONSE_TOO_LARGE `error` instead.
- When the token expires, every subscription on the socket ends with UNAUTHENTICATED (the
  check before each push reads the token again) and the socket closes with 4401.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
from graphql import GraphQLError
from graphql import OperationType as CoreOperationType
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema import Schema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.aio import aclosing

import models
from app import operations
from app.context import AgoraContext, bearer_token
from app.limits import MAX_RESPONSE_BYTES, Limits
from app.live import Hub
from kernel import security
from kernel.settings import Settings
from schema.errors import coded
from schema.shared_pushes import SharedData

log = logging.getLogger("agora.live")

UNAUTHORIZED = 4401
FORBIDDEN = 4403
# A WebSocket close reason is at most 123 bytes.
MAX_REASON = 123
# After the token expires, how long subscriptions have to send their UNAUTHENTICATED error.
EXPIRY_GRACE_SECONDS = 5.0


def _compact(value: object) -> str:
    # As strawberry encodes every other message.
    return json.dumps(value, separators=(",", ":"))


def _reason(text: str) -> str:
    return text.encode()[:MAX_REASON].decode(errors="ignore")


class LiveConnection(BaseGraphQLTransportWSHandler[AgoraContext, None]):
    """One WebSocket: its user, its subscriptions and the moment its token expires."""

    view: LiveSocket

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_id: int | None = None
        self.contexts: dict[Operation[AgoraContext, None], AgoraContext] = {}
        self.expiry: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        # As strawberry's, with the token checked here rather than at each subscribe.
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        payload = message.get("payload", {})
        if not isinstance(payload, dict):
            await self.websocket.close(code=4400, reason="Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.websocket.close(code=4429, reason="Too many initialisation requests")
            return
        self.connection_init_received = True
        self.context.connection_params = payload
        refusal, access = await self._admit()
        if refusal is not None:
            await self.websocket.close(code=refusal[0], reason=_reason(refusal[1]))
            return
        assert access is not None
        self.user_id = access.user_id
        self.view.hub.connections[access.user_id] += 1
        # The acknowledgement tells the client until when its token holds: renew before then.
        await self.send_message(
            {"type": "connection_ack", "payload": {"expiresAt": access.expires_at.isoformat()}}
        )
        self.connection_acknowledged = True
        self.expiry = asyncio.create_task(self._expire(access.expires_at))

    async def _admit(self) -> tuple[tuple[int, str] | None, security.AccessToken | None]:
        settings = self.view.settings
        token = self.context.access_token()
        if token is None:
            return (
                UNAUTHORIZED,
                'Unauthorized: send {"Authorization": "Bearer <accessToken>"} in connection_init.',
            ), None
        try:
            access = security.decode_access_token(settings, token)
        except security.InvalidToken as exc:
            return (UNAUTHORIZED, f"Unauthorized: {exc}"), None
        if not await anyio.to_thread.run_sync(self.view.user_exists, access.user_id):
            return (UNAUTHORIZED, "Unauthorized: the access token's user no longer exists."), None
        limit = settings.live_max_connections
        if self.view.hub.connections[access.user_id] >= limit:
            return (
                FORBIDDEN,
                f"Forbidden: this user already holds {limit} live connections to this server "
                "process; close one first.",
            ), None
        return None, access

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        limit = self.view.settings.live_max_subscriptions
        if (
            self.connection_acknowledged
            and message["id"] not in self.operations
            and len(self.operations) >= limit
        ):
            await self.send_message(
                {
                    "id": message["id"],
                    "type": "error",
                    "payload": [
                        {
                            "message": f"This connection already carries {limit} subscriptions, "
                            "the most one may: complete one first, or open another connection.",
                            "extensions": {"code": "CONFLICT"},
                        }
                    ],
                }
            )
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[AgoraContext, None]) -> None:
        # As strawberry's, but each operation gets its own context (session, viewer, feed), and
        # only subscriptions run here: a query on the event loop would stall every socket.
        context = self.view.operation_context(self.context)
        self.contexts[operation] = context
        try:
            refusal = await self._refusal(operation, context)
            if refusal:
                await operation.send_initial_errors(refusal)
                return
            # The worker listens before the subscription's first read: no news falls between.
            if context.feed is not None:
                await context.feed.ready()
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
                allowed_operation_types=(OperationType.SUBSCRIPTION,),
            )
            try:
                async with aclosing(result_source):
                    await self._send_result_stream(operation, result_source)
            except operations.ResponseTooLargeError as error:
                # Raised while the push was encoded, before any of it was sent.
                await operation.send_initial_errors([error])
                return
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
        finally:
            self.contexts.pop(operation, None)
            if context.feed is not None:
                context.feed.close()
            # The stream's reads committed: the session holds no connection by now.
            context.close()

    async def _refusal(
        self, operation: Operation[AgoraContext, None], context: AgoraContext
    ) -> list[GraphQLError] | None:
        """Why the document may not run, as HTTP would answer it (coded errors); None if it may.
        A document that is not text is left to Strawberry, which says so."""
        if not isinstance(operation.query, str):
            return None
        view = self.view
        prepared = view.documents.prepare(operation.query)
        if prepared.errors:
            return [coded(e) for e in prepared.errors]
        kind = prepared.operation(operation.operation_name)
        if kind is None or kind.type != CoreOperationType.SUBSCRIPTION:
            return None  # Strawberry refuses it in its own words (a query goes over HTTP)
        if prepared.introspection and view.production:
            refusal = await anyio.to_thread.run_sync(operations.introspection_refusal, context)
            if refusal is not None:
                return [coded(GraphQLError(refusal.message, original_error=refusal))]
        return None

    async def _handle_pre_execution_error(
        self, operation: Operation[AgoraContext, None], result: PreExecutionError
    ) -> None:
        for error in result.errors or ():
            if isinstance(error.original_error, InvalidOperationTypeError):
                error.message = (
                    "Only subscriptions run over the WebSocket: send queries and mutations "
                    "over HTTP (POST /graphql)."
                )
            elif self.view.production:
                # Variable coercion suggests enum values and input fields even when told not to.
                operations.without_suggestion(error)
        await super()._handle_pre_execution_error(operation, result)

    async def _expire(self, expires_at: datetime) -> None:
        await asyncio.sleep(max(0.0, (expires_at - models.utcnow()).total_seconds()) + 0.05)
        for context in list(self.contexts.values()):
            if context.feed is not None:
                context.feed.ring(rights=True)
        tasks = [op.task for op in self.operations.values() if op.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=EXPIRY_GRACE_SECONDS)
        await self.websocket.close(
            code=UNAUTHORIZED,
            reason=_reason(
                "Unauthorized: the access token has expired; reconnect with a fresh one."
            ),
        )

    async def shutdown(self) -> None:
        if self.expiry is not None and self.expiry is not asyncio.current_task():
            self.expiry.cancel()
        if self.user_id is not None:
            connections = self.view.hub.connections
            connections[self.user_id] -= 1
            if connections[self.user_id] <= 0:
                del connections[self.user_id]
            self.user_id = None
        await super().shutdown()
        self.context.close()


class LiveSocket(GraphQL[AgoraContext, None]):
    """The WebSocket side of /graphql (HTTP stays with app/graphql.py)."""

    graphql_transport_ws_handler_class = LiveConnection

    def __init__(
        self, schema: Schema, settings: Settings, sessions: sessionmaker[Session], hub: Hub
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=settings.live_init_timeout_seconds),
            # LiveConnection counts them itself, to answer with a code.
            max_subscriptions_per_connection=None,
            allowed_origins=settings.cors_origins,
        )
        self.settings = settings
        self.sessions = sessions
        self.hub = hub
        self.production = settings.is_production
        # The same checks as HTTP's (app/graphql.py), on documents prepared once per text.
        self.documents = operations.Documents(
            schema._schema, limits=Limits() if self.production else None
        )
        self.max_response_bytes = MAX_RESPONSE_BYTES

    async def get_context(self, request: Any, response: Any) -> AgoraContext:
        """The connection's context: its token, from the handshake or from `connection_init`."""
        assert isinstance(request, WebSocket)
        return AgoraContext.open(
            self.sessions, self.settings, token=bearer_token(request.headers), request=request
        )

    def operation_context(self, connection: AgoraContext) -> AgoraContext:
        return AgoraContext.open(
            self.sessions,
            self.settings,
            token=connection.token,
            request=connection.request,
            connection_params=connection.connection_params,
            feed=self.hub.feed(),
            open_session=self.sessions,
            thread_limiter=self.hub.limiter,
        )

    def encode_json(self, data: object) -> str | bytes:
        """A message as sent; ResponseTooLargeError for a push past the answer size limit."""
        if not (isinstance(data, dict) and data.get("type") == "next"):
            return super().encode_json(data)
        encoded = self._encoded_push(data)
        if len(encoded) > self.max_response_bytes:
            raise operations.ResponseTooLargeError(self.max_response_bytes)
        return encoded

    def _encoded_push(self, data: dict[str, Any]) -> str | bytes:
        # A push shared by several displays is encoded once (schema/shared_pushes.py).
        payload = data.get("payload")
        if isinstance(payload, dict) and payload.keys() == {"data"}:
            shared = payload["data"]
            if isinstance(shared, SharedData):
                encoded = shared.encoded(_compact)
                return (
                    f'{{"id":{_compact(data["id"])},"type":"next","payload":{{"data":{encoded}}}}}'
                )
        return super().encode_json(data)

    def user_exists(self, user_id: int) -> bool:
        with self.sessions() as db:
            return db.get(models.User, user_id) is not None
