"""The @allow directive and the one extension that enforces it.

`allowed(Allow(...), ...)` makes a Strawberry field that both prints its @allow directives in
the SDL and checks them before resolving. The object checked is the parent (its `subject()`),
or, for operations, what `subject=` finds from the arguments. A subscription is checked when it
starts and again before each push, so rights lost meanwhile end it.

What some arguments ask for beyond the field's @allow (naming another president, moving a
session to another room) is a `Requirement`, declared on the field with `requires=` and checked
by the same extension, or by `Requirement.check` for an object found otherwise (`node(id)`);
`judge` decides for a batch that reports each refusal instead of failing (an offline sync).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ParamSpec, Protocol, TypeVar

import anyio.to_thread
import strawberry
from strawberry.extensions import FieldExtension
from strawberry.schema_directive import Location
from strawberry.utils.aio import aclosing

import models
from kernel.errors import ForbiddenError
from kernel.moments import Clock
from permissions.policy import Allow, Subject, describe, permits
from permissions.roles import Condition
from resolvers.context import Context

# Rights are checked again before a push at least this often (see AllowExtension._each_push),
# for a change that reached the database without news (news and time are followed exactly).
RECHECK_SECONDS = 30.0
# How soon a check whose answer read the clock without saying for how long runs again.
RECHECK_VOLATILE_SECONDS = 1.0

P = ParamSpec("P")
R = TypeVar("R")


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
    # The class that `permissions.roles.Role` made a GraphQL enum (the same object).
    role: models.Role
    when: Condition = Condition.ALWAYS


class HasSubject(Protocol):
    def subject(self) -> Subject: ...


# (context, parent object, field arguments) -> the Subject to check.
SubjectFinder = Callable[[Any, Any, dict[str, Any]], Subject]
# The same, for a Requirement: None when these arguments ask for nothing it guards.
RequirementFinder = Callable[[Any, Any, dict[str, Any]], Subject | None]

T = TypeVar("T")


@dataclass(frozen=True)
class Requirement:
    """A check beyond a field's @allow, for what some arguments ask (or for an object reached
    otherwise than through a field, `node(id)`). One of `rules` must grant the viewer the
    object `find` returns, or the operation is refused with `refusal`. docs/permissions.md lists
    every one under "Further checks"."""

    # What it guards, as docs/permissions.md names it.
    what: str
    rules: tuple[Allow, ...]
    refusal: str
    # Where the field's arguments name the object; None: the caller gives it (`check`).
    find: RequirementFinder | None = None

    def check(self, ctx: Context, subject: Subject, clock: Clock | None = None) -> None:
        """UNAUTHENTICATED without a viewer; FORBIDDEN (`refusal`) unless one of `rules` grants
        the viewer `subject`. (A field's @allow words its refusal with the field's name, a
        route's with what it serves; all three decide with the same `permits`.)"""
        if not permits(ctx.require_viewer(), self.rules, subject, clock or ctx.clock):
            raise ForbiddenError(self.refusal)


def judge(
    ctx: Context, rules: tuple[Allow, ...], to_subject: Callable[[T], Subject]
) -> Callable[[T, datetime], bool]:
    """Whether `rules` grant the viewer each object, as of each one's own moment: for a batch
    that reports each refusal and goes on (offline scans, judged as of when they were made)."""
    viewer = ctx.require_viewer()
    return lambda obj, at: permits(viewer, rules, to_subject(obj), at)


class _Recheck:
    """Yielded by a subscription's stream when it has nothing to push but the viewer's rights
    may have changed (its rights were touched, its token ran out, a long quiet spell): the rules
    are checked again and nothing is pushed."""

    def __repr__(self) -> str:
        return "RECHECK"


# Typed Any so that a stream declared to yield its GraphQL type may yield it too.
RECHECK: Any = _Recheck()
# Yielded when the subscription's subject may be gone (a deleted room): checked at once.
RECHECK_NOW: Any = _Recheck()


def _parent_subject(_ctx: Any, source: HasSubject, _kwargs: dict[str, Any]) -> Subject:
    return source.subject()


class AllowExtension(FieldExtension):
    def __init__(
        self,
        rules: tuple[Allow, ...],
        find_subject: SubjectFinder,
        requires: tuple[Requirement, ...] = (),
    ) -> None:
        self.rules = rules
        self.find_subject = find_subject
        self.requires = requires
        self.message = f"Only {describe(rules)} may do this."

    def check(
        self,
        source: Any,
        info: strawberry.Info,
        kwargs: dict[str, Any],
        *,
        again: bool = False,
        clock: Clock | None = None,
    ) -> None:
        ctx = info.context
        viewer = ctx.require_viewer()
        subject = self.find_subject(ctx, source, kwargs)
        if not permits(viewer, self.rules, subject, clock or ctx.clock):
            where = f"{self.message[:-1]} ({info.path.typename}.{info.field_name})."
            if again:
                where += " Your rights here changed: this subscription has ended."
            raise ForbiddenError(where)
        for requirement in self.requires:
            assert requirement.find is not None, "a field's Requirement finds its own object"
            found = requirement.find(ctx, source, kwargs)
            if found is not None:
                requirement.check(ctx, found, clock)

    def _check_and_release(
        self, source: Any, info: strawberry.Info, kwargs: dict[str, Any], again: bool = False
    ) -> datetime:
        """Check in a worker thread and end the read transaction there, so a long-lived stream
        holds no lock. Checking again reads the viewer afresh. Returns until when the answer
        holds as far as time goes (a staff assignment's start or end)."""
        ctx = info.context
        clock = Clock(models.utcnow())
        with ctx.db_lock:
            try:
                if again:
                    ctx.forget_viewer()
                self.check(source, info, kwargs, again=again, clock=clock)
            finally:
                ctx.db.commit()
        now = clock.peek()
        holds = clock.reusable_until() or now + timedelta(seconds=RECHECK_VOLATILE_SECONDS)
        return min(holds, now + timedelta(seconds=RECHECK_SECONDS))

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
        holds = await anyio.to_thread.run_sync(
            partial(self._check_and_release, source, info, kwargs),
            limiter=getattr(info.context, "thread_limiter", None),
        )
        result = next_(source, info, **kwargs)
        if inspect.isasyncgen(result):
            return self._each_push(result, source, info, kwargs, holds)
        return await result

    async def _each_push(
        self,
        stream: AsyncGenerator[Any, Any],
        source: Any,
        info: strawberry.Info,
        kwargs: dict[str, Any],
        holds: datetime,
    ) -> AsyncGenerator[Any, None]:
        """The subscription's items, each pushed only if the rules still hold.

        The answer can change through news on the viewer's user or membership (the feed says
        so, as the connection does when the token expires), as time passes (a staff assignment's
        start or end: the check says when), or when the subject goes (the stream yields
        RECHECK_NOW). The check runs again then, reading the viewer afresh, and at least every
        RECHECK_SECONDS; not once per item of a burst of scans. An expired token ends the
        subscription as UNAUTHENTICATED."""
        check = partial(self._check_and_release, source, info, kwargs, True)
        feed = getattr(info.context, "feed", None)
        limiter = getattr(info.context, "thread_limiter", None)
        due = holds  # as the check at subscribe time found
        async with aclosing(stream):
            async for item in stream:
                rights_news = feed is None or feed.take_rights_news()
                if rights_news or item is RECHECK_NOW or models.utcnow() >= due:
                    due = await anyio.to_thread.run_sync(check, limiter=limiter)
                if not isinstance(item, _Recheck):
                    yield item


def allowed(
    *rules: Allow,
    subject: SubjectFinder | None = None,
    requires: tuple[Requirement, ...] = (),
    subscription: bool = False,
    **field_kwargs: Any,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A strawberry.field (or subscription) guarded by these @allow rules (any one grants), and
    by each of `requires` where the arguments ask for what it guards.

    Used as a decorator: `strawberry.type` reads the field it makes and puts the method back on
    the class, so the decorated method keeps its own signature."""
    directives = [AllowDirective(role=r.role, when=r.when) for r in rules]
    extension = AllowExtension(rules, subject or _parent_subject, requires)
    make = strawberry.subscription if subscription else strawberry.field
    decorate: Callable[[Callable[P, R]], Callable[P, R]] = make(
        directives=directives, extensions=[extension], **field_kwargs
    )
    return decorate


def rules_of(field: Any) -> tuple[Allow, ...]:
    """The @allow rules a Strawberry field carries (empty when it has none)."""
    return tuple(
        Allow(role=d.role, when=d.when)
        for d in getattr(field, "directives", ())
        if isinstance(d, AllowDirective)
    )
