"""The GraphQL schema: root types assembled from per-domain pieces."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.annonces import AnnonceMutation
from schema.auth import AuthMutation
from schema.errors import ErrorCodes
from schema.events import EventMutation
from schema.files import FileMutation
from schema.members import MemberMutation
from schema.queries import CoreQuery
from schema.questions import QuestionMutation
from schema.rooms import RoomMutation
from schema.scans import ScanningMutation
from schema.sessions import SessionMutation
from schema.shared_pushes import SharedPushExecutor
from schema.staff import StaffMutation
from schema.subscriptions import Subscription
from schema.uploads import UPLOAD_SCALAR


@strawberry.type(description="What can be read.")
class Query(CoreQuery):
    pass


@strawberry.type(description="What can be changed.")
class Mutation(
    AuthMutation,
    EventMutation,
    FileMutation,
    RoomMutation,
    SessionMutation,
    MemberMutation,
    AnnonceMutation,
    StaffMutation,
    QuestionMutation,
    ScanningMutation,
):
    pass


class AgoraSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Refusals and bad input are answers, not incidents: log only what ErrorCodes masked.
        unexpected = [
            e
            for e in errors
            if e.extensions and e.extensions.get("code") == "INTERNAL_SERVER_ERROR"
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


schema = AgoraSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    # Subscriptions only: queries and mutations run through app/operations.py.
    execution_context_class=SharedPushExecutor,
    # Only files where the schema says Upload (strawberry's own takes any value).
    config=StrawberryConfig(scalar_map=UPLOAD_SCALAR),
    extensions=[
        ErrorCodes,
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxTokensLimiter(max_token_count=5000),
        # Scanner apps send the same few documents over and over: parse and validate each once.
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ],
)
