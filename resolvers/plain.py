"""Statements on the hot paths, run straight on the session's driver connection.

A statement through the ORM session costs about three times what the driver alone costs: the
ORM's per-execution bookkeeping, a result object whose column description psycopg builds anew
on every statement (a Python object per column), and per-row entity processing. The few
statements every request or every door scan runs (the viewer, the room, the scan itself) are
built once with SQLAlchemy, compiled once per dialect, and run here on the same connection and
in the same transaction as the rest of the request. Values come back converted exactly as the
ORM converts them (the columns' own result processors), and `attach` makes ORM instances of
them in the session, as the ORM's loading does: the identity map holds them, so later reads
by primary key, the batch loaders and the unit of work see them as if the ORM had read them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Column, Dialect, Engine, Select
from sqlalchemy.orm.base import instance_state, manager_of_class
from sqlmodel import Session

T = TypeVar("T")
Processor = Callable[[Any], Any] | None


@dataclass
class _Compiled:
    sql: str
    # Parameter names in order, for drivers that take them by position (SQLite).
    positions: tuple[str, ...] | None
    binds: dict[str, Callable[[Any], Any]]
    # The result columns' types; their processors, once the driver has named its column types.
    types: tuple[Any, ...]
    results: tuple[Processor, ...] | None = None


class PlainSelect:
    """A statement built once, its rows read as plain tuples (values converted as the ORM
    converts them). Parameters are `bindparam`s named in the statement."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            done = self.statement.compile(dialect=dialect)
            types = tuple(type_ for _key, _name, _objects, type_ in done._result_columns)
            binds = {
                name: processor
                for name, processor in done._bind_processors.items()
                if processor is not None
            }
            positions = tuple(done.positiontup or ()) if dialect.positional else None
            # SQLAlchemy types a bind processor as a sequence too, for tuple-typed parameters,
            # which these statements never have.
            compiled = _Compiled(done.string, positions, binds, types)  # type: ignore[arg-type]  # processors are callables here
            self._compiled[dialect.name] = compiled
        return compiled

    def rows(self, db: Session, **params: Any) -> list[tuple[Any, ...]]:
        connection = db.connection()
        compiled = self._for(connection.dialect)
        arguments = _arguments(compiled, params)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]  # a checked-out connection has its driver connection
        try:
            # Whatever watches the engine's statements (the suite's statement counts) sees
            # these too.
            for listener in connection.dispatch.before_cursor_execute:
                listener(connection, cursor, compiled.sql, arguments, None, False)
            cursor.execute(compiled.sql, arguments)
            found = cursor.fetchall()
            _results(compiled, connection.dialect, cursor)
        except psycopg.OperationalError:
            # The database went away under the driver, where SQLAlchemy's own statements would
            # have noticed: this connection is dropped, and the pool's others, of the same
            # era, are replaced (as SQLAlchemy does on a disconnect it sees).
            connection.invalidate()
            connection.engine.dispose(close=False)
            raise
        finally:
            cursor.close()
        return _converted(compiled, found)

    async def rows_async(
        self, connection: psycopg.AsyncConnection[Any], engine: Engine, **params: Any
    ) -> list[tuple[Any, ...]]:
        """As `rows`, on an asynchronous psycopg connection to the engine's database (the
        live news reader's, on the event loop)."""
        compiled = self._for(engine.dialect)
        arguments = _arguments(compiled, params)
        async with connection.cursor() as cursor:
            for listener in engine.dispatch.before_cursor_execute:
                listener(None, cursor, compiled.sql, arguments, None, False)
            await cursor.execute(compiled.sql, arguments)
            found = await cursor.fetchall()
            _results(compiled, engine.dialect, cursor)
        return _converted(compiled, found)


def _arguments(compiled: _Compiled, params: dict[str, Any]) -> Any:
    for name, bind in compiled.binds.items():
        if name in params:
            params[name] = bind(params[name])
    if compiled.positions is None:
        return params
    return tuple(params[name] for name in compiled.positions)


def _results(compiled: _Compiled, dialect: Dialect, cursor: Any) -> None:
    if compiled.results is None:
        # As the ORM does, by the driver's type code of each column (a numeric's processor
        # depends on it): read once, the description costs per column.
        compiled.results = tuple(
            type_._cached_result_processor(dialect, column[1])
            for type_, column in zip(compiled.types, cursor.description, strict=True)
        )


def _converted(compiled: _Compiled, found: list[Any]) -> list[tuple[Any, ...]]:
    processors = compiled.results
    assert processors is not None
    if not any(processors):
        return found
    return [
        tuple(value if p is None else p(value) for p, value in zip(processors, row, strict=True))
        for row in found
    ]


def columns(model: type[Any]) -> list[Column[Any]]:
    """Every column of a table model, in the order `attach` takes their values."""
    return list(model.__table__.columns)


def width(model: type[Any]) -> int:
    return len(model.__table__.columns)


def attach(db: Session, model: type[T], values: Sequence[Any]) -> T | None:
    """The instance of `model` whose columns hold `values` (in `columns(model)` order), as a
    row the session has loaded; the one it holds already, if any; None for an outer join's
    missing row (no primary key)."""
    keys, pk_at = _layout(model)
    pk = values[pk_at]
    if pk is None:
        return None
    key = (model, (pk,), None)
    identity_map = db.identity_map
    held = identity_map.get(key)
    if held is not None:
        return held
    instance = manager_of_class(model).new_instance()
    state = instance_state(instance)
    state.dict.update(zip(keys, values, strict=True))
    # What the ORM's loading does for a row it has not seen (sqlalchemy.orm.loading): the
    # public way (make_transient_to_detached, then Session.add) costs three times as much.
    state.key = key
    state.session_id = db.hash_key
    identity_map._add_unpresent(state, key)
    state._commit_all(state.dict, identity_map)
    return instance


_LAYOUTS: dict[type[Any], tuple[tuple[str, ...], int]] = {}


def _layout(model: type[Any]) -> tuple[tuple[str, ...], int]:
    """The attribute name of each column, and the position of the primary key."""
    layout = _LAYOUTS.get(model)
    if layout is None:
        mapper = model.__mapper__
        table_columns = list(model.__table__.columns)
        keys = tuple(mapper.get_property_by_column(c).key for c in table_columns)
        (pk,) = mapper.primary_key
        layout = _LAYOUTS[model] = (keys, table_columns.index(pk))
    return layout
