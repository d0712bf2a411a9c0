"""The class a lazy reference names, for a resolver that builds an object of a domain above.

The schema's domains import one another one way, lowest first: users, members, sessions,
rooms, staff, questions, scans, stats, annonces, audit, events (README, "Layout"). A field whose
type is of a domain above names it `Annotated[Event, strawberry.lazy("schema.events")]`, with
the class imported under TYPE_CHECKING for mypy; its resolver builds the object with the same
reference's class, `LazyClass("Event", strawberry.lazy("schema.events"))()`.
"""

from __future__ import annotations

from typing import ForwardRef, Generic, TypeVar

from strawberry.types.lazy_type import StrawberryLazyReference

T = TypeVar("T")


class LazyClass(Generic[T]):
    """`name` of the module `reference` names: imported on first use, then kept (the module is
    loaded by then: the schema is built from every domain before any field resolves)."""

    __slots__ = ("_class", "_type")

    def __init__(self, name: str, reference: StrawberryLazyReference) -> None:
        self._type = reference.resolve_forward_ref(ForwardRef(name))
        self._class: type[T] | None = None

    def __call__(self) -> type[T]:
        found = self._class
        if found is None:
            found = self._class = self._type.resolve_type()
        return found
