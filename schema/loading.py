"""Load and convert: a related row read through the request's batch loaders (so a list of 400
objects asks for their relatives in one statement), then made its GraphQL type."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from resolvers.loaders import BatchLoader

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


def required(loader: BatchLoader[K, V | None], key: K) -> V:
    """The row a foreign key guarantees (its absence is a broken database, not an answer)."""
    row = loader.load(key)
    assert row is not None, f"no row for the required key {key!r}"
    return row


def one(loader: BatchLoader[K, V | None], key: K, convert: Callable[[V], T]) -> T:
    """The row a foreign key guarantees, made its GraphQL type."""
    return convert(required(loader, key))


def maybe(loader: BatchLoader[K, V | None], key: K | None, convert: Callable[[V], T]) -> T | None:
    """The row of a nullable reference, or None (no key, or nothing there)."""
    if key is None:
        return None
    row = loader.load(key)
    return convert(row) if row is not None else None
