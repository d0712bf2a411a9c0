"""The plain HTTP routes' one way in: the request's context opened, the use case run, a refusal
answered with its status (`app/errors.py`, the one mapping), the session closed when the
response is done (after its last chunk, for a streamed export).

A route's use case authorizes with its `permissions.routes` rules; an access token is needed
as `Authorization: Bearer <token>`, never in the address (`app.context.access_token_in_query`).
A calendar feed, which calendar apps read without headers, takes instead the feed token of
its address (`?token=`, from `Event.icalUrl`): it opens that one event's feed, as its user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import anyio
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import AsyncContentStream, Content, Response, StreamingResponse
from starlette.routing import Route

from app.context import AgoraContext, bearer_token
from app.errors import agora_error_response
from kernel.errors import AgoraError
from kernel.ids import decode
from kernel.settings import Settings
from permissions.routes import RouteRules
from resolvers import calendar

UseCase = Callable[[AgoraContext, Request], Response]


def route(
    rules: RouteRules,
    settings: Settings,
    sessions: sessionmaker[Session],
    use_case: UseCase,
    *,
    token_in_query: bool = False,
) -> Route:
    """The route `rules` names (its method and path), served by `use_case`, which authorizes
    with those rules. With `token_in_query`, the route is the calendar feed of the event of
    its `{event_id}`, and a request without an `Authorization` header is read as the user
    whose feed token is its `?token=`. A sync endpoint: Starlette runs it in a worker thread,
    like the GraphQL operations."""

    def endpoint(request: Request) -> Response:
        token = bearer_token(request.headers)
        feed_token = request.query_params.get("token") if token_in_query and not token else None
        ctx = AgoraContext.open(sessions, settings, token=token, request=request)
        try:
            if feed_token:
                event_id = decode("Event", request.path_params["event_id"])
                ctx.act_as(calendar.feed_reader(ctx, token=feed_token, event_id=event_id))
            ctx.require_viewer()
            response = use_case(ctx, request)
        except AgoraError as exc:
            ctx.close()
            return agora_error_response(exc, legacy=True)
        except BaseException:
            ctx.close()
            raise
        if isinstance(response, StreamingResponse):
            response.body_iterator = _closing(response.body_iterator, ctx)
        else:
            ctx.close()
        return response

    return Route(rules.path, endpoint, methods=[rules.method])


async def _closing(body: AsyncContentStream, ctx: AgoraContext) -> AsyncIterator[Content]:
    # A streamed body reads the database batch by batch: its session ends with the last one,
    # or when the client goes away.
    try:
        async for chunk in body:
            yield chunk
    finally:
        # Closing may roll back over the network: in a thread, as the batches were read, and
        # shielded, so a client gone away still returns the connection to the pool.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(ctx.close)
