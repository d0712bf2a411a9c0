"""The Node interface and the Relay page types shared by every connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from resolvers.pagination import Page

EdgeT = TypeVar("EdgeT")
RowT = TypeVar("RowT")


@strawberry.interface(description="An object with a global id, fetchable with `node(id)`.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(cls, page: Page[Any]) -> PageInfo:
        return cls(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        )


def page_edges(
    page: Page[RowT], edge: Callable[..., EdgeT], node: Callable[[RowT], Any]
) -> list[EdgeT]:
    """A page's rows as Relay edges, each under its cursor."""
    return [edge(cursor=c, node=node(row)) for c, row in zip(page.cursors, page.items, strict=True)]
