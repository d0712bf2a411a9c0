"""`strawberry.field` and `strawberry.mutation` as decorators that keep the resolver's type.

Strawberry types its decorators' keyword form (`@strawberry.field(description=...)`) as
returning Any, so a method decorated that way would lose its signature. `field(description=...)`
and `mutation(description=...)` make the very same Strawberry field, typed as a decorator that
gives the method back unchanged: `strawberry.type` reads the field it makes and puts the method
back on the class (as `permissions.fields.allowed` does for guarded fields).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

import strawberry

P = ParamSpec("P")
R = TypeVar("R")


def field(*, description: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """`@strawberry.field(description=...)`, typed as a decorator that keeps the method's type."""
    decorate: Callable[[Callable[P, R]], Callable[P, R]] = strawberry.field(description=description)
    return decorate


def mutation(*, description: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """`@strawberry.mutation(description=...)`, typed as a decorator that keeps the method's
    type."""
    decorate: Callable[[Callable[P, R]], Callable[P, R]] = strawberry.mutation(
        description=description
    )
    return decorate
