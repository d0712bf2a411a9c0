"""The ASGI application."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from app.context import TOKEN_IN_QUERY, access_token_in_query
from app.db import make_engine, make_session_factory
from app.errors import agora_error_response, error_response
from app.exports import export_routes
from app.files import routes as file_routes
from app.graphiql import routes as graphiql_routes
from app.graphql import AgoraGraphQL
from app.health import readiness
from app.live import Hub
from app.throttle import LoginThrottle
from app.websocket import LiveSocket
from kernel.settings import Settings, load_settings
from schema import schema
from schema.errors import outages

log = logging.getLogger("agora")

# Starlette's own refusals (no such route, a method a route does not take), as JSON.
ROUTE_ERRORS = {
    404: ("NOT_FOUND", "There is nothing at this address."),
    405: ("METHOD_NOT_ALLOWED", "This address does not take that HTTP method."),
}


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = ROUTE_ERRORS.get(exc.status_code, ("BAD_USER_INPUT", str(exc.detail)))
    return error_response(code, message, status=exc.status_code, headers=exc.headers)


async def _server_error(_request: Request, exc: Exception) -> Response:
    if outages.is_outage(exc):
        return agora_error_response(outages.refusal(exc))
    # The trace goes to the log; the client learns only that it was not its fault.
    log.error("unexpected error", exc_info=exc)
    return error_response(
        "INTERNAL_SERVER_ERROR",
        "Something went wrong on our side; nothing was changed. Try again, or tell the organizers.",
    )


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Starlette:
    settings = settings or load_settings()
    engine = engine or make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    graphql = AgoraGraphQL(schema, settings, sessions, LoginThrottle(settings, engine))
    hub = Hub(engine, settings.live_listen_idle_seconds)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # The schema, the ORM mappers and the modules are built and stay for the process's life:
        # out of the collector's sight, a request's garbage is collected without walking them
        # (a third of a large read's time went to the collector before).
        gc.freeze()
        # GraphQL operations run in AgoraGraphQL.threads; the file and export routes and the
        # WebSocket's checks take anyio's threads, as many.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()
            await graphql.close()
            engine.dispose()

    app = AgoraApp(
        graphql,
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", LiveSocket(schema, settings, sessions, hub)),
            Route("/healthz", healthz),
            Route("/readyz", readiness(engine)),
            *export_routes(settings, sessions),
            *file_routes(settings, sessions),
            *graphiql_routes(),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
        middleware=_cors(settings),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.hub = hub
    return app


class AgoraApp(Starlette):
    """Starlette, except that POST /graphql, nearly every request, goes straight to the GraphQL
    app behind the server-error handler: the router and the exception layer cost a scan 3%
    (bench/README.md). With middleware (CORS) configured, every request takes the whole stack."""

    def __init__(self, graphql: ASGIApp, **kwargs: Any) -> None:
        self.graphql = graphql
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return with_safe_headers(refusing_tokens_in_query(self._stack()))

    def _stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if self.user_middleware:
            return stack
        graphql = ServerErrorMiddleware(self.graphql, handler=_server_error)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if (
                scope["type"] == "http"
                and scope["method"] == "POST"
                and scope["path"] == "/graphql"
            ):
                await graphql(scope, receive, send)
            else:
                await stack(scope, receive, send)

        return app


NOSNIFF = (b"x-content-type-options", b"nosniff")
NO_STORE = (b"cache-control", b"no-store")


def with_safe_headers(app: ASGIApp) -> ASGIApp:
    """Every answer says its content type is to be believed (no sniffing a JSON answer or a
    calendar into a page); GraphQL answers, which carry tokens (login, refresh), are never
    stored by a browser or a proxy."""

    async def safe(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        graphql = scope["path"] == "/graphql"

        async def send_safely(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                if NOSNIFF[0] not in names:
                    headers.append(NOSNIFF)
                if graphql and b"cache-control" not in names:
                    headers.append(NO_STORE)
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_safely)

    return safe


def refusing_tokens_in_query(app: ASGIApp) -> ASGIApp:
    """An access token in the address is refused on every route, before any route sees it:
    UNAUTHENTICATED over HTTP, a closed WebSocket (4401). Once it is in an access log or a
    proxy's cache it can be read there, so it is never accepted, rather than silently
    ignored (which would teach nobody to stop)."""

    async def refusing(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and access_token_in_query(scope["query_string"]):
            graphql = scope["path"] == "/graphql"
            refusal = error_response("UNAUTHENTICATED", TOKEN_IN_QUERY, legacy=not graphql)
            await refusal(scope, receive, send)
        elif scope["type"] == "websocket" and access_token_in_query(scope["query_string"]):
            await WebSocketClose(code=4401, reason="Access token in the address")(
                scope, receive, send
            )
        else:
            await app(scope, receive, send)

    return refusing


def _cors(settings: Settings) -> list[Middleware]:
    """Browser pages of the listed origins may call the API (tokens travel in a header, never in
    cookies, so no credentials mode). WebSockets check the same list at the handshake."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            # A throttled login's wait and an export's file name, readable by the page.
            expose_headers=["Retry-After", "Content-Disposition"],
            max_age=600,
        )
    ]
