"""The libraries' private attributes the request path leans on, pinned and held to their shape.

`app/operations.py` runs prepared documents on the schema Strawberry built (`Schema._schema`)
with graphql-core's executor, subclassed through Strawberry's execution context;
`resolvers/plain.py` reads SQLAlchemy's compiled statements and loads rows into the identity
map itself. None of these is a public API: pyproject.toml pins each library to the exact
version they were written against, and this test fails as soon as an upgrade moves one of them,
before a request does.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib import metadata
from pathlib import Path

import graphql
import strawberry
from graphql import GraphQLResolveInfoHelpers, GraphQLSchema
from sqlalchemy import Integer, bindparam, column, select, table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.identity import IdentityMap
from sqlalchemy.orm.state import InstanceState
from sqlalchemy.types import TypeEngine
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema import schema
from schema.events import Event
from schema.lazy import LazyClass

ROOT = Path(__file__).resolve().parent.parent
PINNED = ("strawberry-graphql", "graphql-core", "sqlalchemy")


def _pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in project["dependencies"]:
        found = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==([0-9][^,;\s]*)", requirement)
        if found:
            pins[found.group(1).lower()] = found.group(2)
    return pins


def test_the_libraries_whose_private_parts_we_use_are_pinned_to_the_installed_version():
    pins = _pins()
    for name in PINNED:
        assert name in pins, f"{name} must be pinned exactly (==) in pyproject.toml"
        assert metadata.version(name) == pins[name], name


def test_strawberry_hands_over_the_graphql_core_schema_and_executor():
    assert isinstance(schema._schema, GraphQLSchema)
    executor = StrawberryGraphQLCoreExecutionContext
    # LeafReadingExecutor overrides execute_fields and calls execute_field with these.
    fields = list(inspect.signature(executor.execute_fields).parameters)
    assert fields == [
        "self",
        "parent_type",
        "source_value",
        "path",
        "grouped_field_set",
        "position_context",
    ]
    field = list(inspect.signature(executor.execute_field).parameters)
    assert field == [
        "self",
        "parent_type",
        "source",
        "field_details_list",
        "path",
        "position_context",
    ]
    assert GraphQLResolveInfoHelpers._fields == ("gather", "track")
    assert "middleware_manager" in inspect.getsource(graphql.execution.executor)


def test_sqlalchemy_compiles_and_loads_as_plain_py_reads_it():
    statement = (
        select(column("a", Integer))
        .select_from(table("t"))
        .where(column("b", Integer) == bindparam("b"))
    )
    for dialect in (postgresql.dialect(), sqlite.dialect()):
        compiled = statement.compile(dialect=dialect)
        assert all(len(entry) == 4 for entry in compiled._result_columns)
        assert isinstance(compiled._bind_processors, dict)
    assert callable(TypeEngine._cached_result_processor)
    assert callable(IdentityMap._add_unpresent)
    assert callable(InstanceState._commit_all)


def test_a_lazy_reference_resolves_to_the_class_it_names():
    # schema/lazy.py builds objects of a domain above from its `strawberry.lazy(...)` reference.
    assert LazyClass("Event", strawberry.lazy("schema.events"))() is Event
