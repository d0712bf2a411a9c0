"""The ASGI application."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from app.db import make_engine, make_session_factory
from app.exports import export_routes
from app.files import routes as file_routes
from app.graphql import AgoraGraphQL
from app.live import Hub
from app.settings import Settings, load_settings
from app.websocket import LiveSocket
from schema import schema


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Starlette:
    settings = settings or load_settings()
    engine = engine or make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    graphql = AgoraGraphQL(schema, settings, sessions)
    hub = Hub(engine)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # The schema, the ORM mappers and the modules are built and stay for the process's life:
        # out of the collector's sight, a request's garbage is collected without walking them
        # (a third of a large read's time went to the collector before).
        gc.freeze()
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()
            engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", LiveSocket(schema, settings, sessions, hub)),
            Route("/healthz", healthz),
            *export_routes(settings, sessions),
            *file_routes(settings, sessions),
        ],
        lifespan=lifespan,
        middleware=_cors(settings),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.hub = hub
    return app


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
            max_age=600,
        )
    ]
