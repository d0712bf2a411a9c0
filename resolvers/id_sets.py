"""`among(column, ids)`: a column is one of many ids, sent as ONE bound value.

`column.in_(ids)` renders one placeholder per id: under a 400-session programme the statement
is rebuilt and re-parsed by the driver on every request (about 2 ms of Python per loader). Here
the ids travel as one array (PostgreSQL `= ANY(%s)`) or one JSON text (SQLite `json_each`), so
the statement's text is the same whatever the number of ids and stays in every cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Boolean, Integer, String, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine


class IdList(TypeDecorator[list[int]]):
    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Integer()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        ids = [int(i) for i in value]
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class among(FunctionElement[bool]):  # noqa: N801  (reads as SQL: where(among(col, ids)))
    inherit_cache = True
    type = Boolean()
    name = "among"

    def __init__(self, column: Any, ids: Iterable[int]) -> None:
        super().__init__(column, bindparam(None, list(ids), type_=IdList()))


def _parts(element: among, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    column, ids = list(element.clauses)
    return compiler.process(column, **kw), compiler.process(ids, **kw)


@compiles(among, "postgresql")
def _among_postgresql(element: among, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = _parts(element, compiler, **kw)
    return f"{column} = ANY({ids})"


@compiles(among)
def _among_default(element: among, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = _parts(element, compiler, **kw)
    return f"{column} IN (SELECT value FROM json_each({ids}))"
