"""The @allow directive and the one extension that enforces it.

`allowed(Allow(...), ...)` makes a Strawberry field that both prints its @allow directives in
the SDL and checks them before resolving. The object checked is the parent (its `subject()`),
or, for operations, what `subject=` finds from the arguments.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

import anyio.to_thread
import strawberry
from strawberry.extensions import FieldExtension
from strawberry.schema_directive import Location

from permissions.policy import Allow, Subject, describe, permits
from permissions.roles import Condition, Role
from resolvers.errors import ForbiddenError, UnauthenticatedError


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    repeatable=True,
    name="allow",
    description=(
        "Who may read a field or run an operation. Repeatable: access is granted when ANY one "
        "@allow on the field matches the viewer. A field with no @allow is readable by anyone who "
        "may read its parent object. ADMIN is the platform administrator; every other role is held "
        "in the event that the object belongs to."
    ),
)
class AllowDirective:
    role: Role
    when: Condition = Condition.ALWAYS


class HasSubject(Protocol):
    def subject(self) -> Subject: ...


# (context, parent object, field arguments) -> the Subject to check.
SubjectFinder = Callable[[Any, Any, dict[str, Any]], Subject]


def _parent_subject(_ctx: Any, source: HasSubject, _kwargs: dict[str, Any]) -> Subject:
    return source.subject()


class AllowExtension(FieldExtension):
    def __init__(self, rules: tuple[Allow, ...], find_subject: SubjectFinder) -> None:
        self.rules = rules
        self.find_subject = find_subject
        self.message = f"Only {describe(rules)} may do this."

    def check(self, source: Any, info: strawberry.Info, kwargs: dict[str, Any]) -> None:
        ctx = info.context
        viewer = ctx.viewer
        if viewer is None:
            raise UnauthenticatedError("Log in first: this needs an access token.")
        subject = self.find_subject(ctx, source, kwargs)
        if not permits(viewer, self.rules, subject, ctx.now):
            raise ForbiddenError(f"{self.message[:-1]} ({info.path.typename}.{info.field_name}).")

    def _check_and_release(
        self, source: Any, info: strawberry.Info, kwargs: dict[str, Any]
    ) -> None:
        ctx = info.context
        with ctx.db_lock:
            try:
                self.check(source, info, kwargs)
            finally:
                ctx.db.commit()

    def resolve(
        self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        self.check(source, info, kwargs)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        # Subscriptions: the check reads the database through the synchronous session, in a
        # thread; its read transaction ends there, so a long-lived stream holds no lock.
        await anyio.to_thread.run_sync(partial(self._check_and_release, source, info, kwargs))
        result = next_(source, info, **kwargs)
        return result if inspect.isasyncgen(result) else await result


def allowed(
    *rules: Allow,
    subject: SubjectFinder | None = None,
    subscription: bool = False,
    **field_kwargs: Any,
) -> Any:
    """A strawberry.field (or subscription) guarded by these @allow rules (any one grants)."""
    directives = [AllowDirective(role=r.role, when=r.when) for r in rules]
    extension = AllowExtension(rules, subject or _parent_subject)
    make = strawberry.subscription if subscription else strawberry.field
    return make(directives=directives, extensions=[extension], **field_kwargs)


def rules_of(field: Any) -> tuple[Allow, ...]:
    """The @allow rules a Strawberry field carries (empty when it has none)."""
    return tuple(
        Allow(role=d.role, when=d.when)
        for d in getattr(field, "directives", ())
        if isinstance(d, AllowDirective)
    )
