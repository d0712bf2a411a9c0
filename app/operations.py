"""Running a GraphQL operation sent over HTTP: the hot path of every query and mutation.

Strawberry's own `execute_sync` runs its extension machinery on every request (the document is
walked again for the depth limit, the caches are consulted through extension hooks), which costs
about 1 ms before the first resolver runs. Clients send a small set of documents over and over,
so each distinct document text is parsed, validated and limit-checked once and kept; a request
then only coerces its variables and lets graphql-core execute the prepared document against the
schema that Strawberry built.

Every transport prepares its documents here: HTTP (`app.graphql`) and subscriptions over the
WebSocket (`app.websocket`) get the same parse, validation, limits and hidden suggestions. The
answer is measured as it is built: past `max_response_bytes` the execution stops and the
answer is one RESPONSE_TOO_LARGE error.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeGuard, TypeVar, cast
from weakref import WeakMethod

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfoHelpers,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    get_named_type,
    is_leaf_type,
    parse,
    specified_rules,
    validate,
)
from graphql import execute as graphql_execute
from graphql.pyutils import Path
from strawberry.extensions.query_depth_limiter import create_validator
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField

from app.limits import MAX_RESPONSE_BYTES, Limits, limit_rule, uses_introspection
from kernel.errors import AgoraError, ForbiddenError
from permissions import Subject
from permissions.fields import AllowExtension
from permissions.requirements import SCHEMA_READING
from resolvers import transactions
from resolvers.context import Context

T = TypeVar("T")

MAX_DEPTH = 12
MAX_TOKENS = 5000
CACHED_DOCUMENTS = 1024
# Root fields answered from the schema alone: an operation made only of these needs no database.
SCHEMA_ONLY_FIELDS = frozenset({"__typename", "__schema", "__type"})


@dataclass(frozen=True)
class Operation:
    """What the request pipeline needs to know of one operation of a document."""

    type: OperationType
    # False when answered from the schema alone (`{ __typename }`).
    needs_database: bool
    # Needs no BEGIN … COMMIT on PostgreSQL: a query, or a mutation whose every root field
    # writes in one statement (`resolvers.transactions`).
    autocommit: bool


@dataclass(frozen=True)
class Prepared:
    """A document as parsed and validated once; `errors` when it can never run."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]
    # Operation name (None for the only one) -> what it is.
    operations: dict[str | None, Operation]
    # Reads `__schema` or `__type`: production answers it only for an admin, a check that
    # depends on the viewer and so happens at execution, not in this per-text cache.
    introspection: bool = False
    # The largest answer its execution builds, in bytes of JSON.
    max_response_bytes: int = MAX_RESPONSE_BYTES

    def operation(self, name: str | None) -> Operation | None:
        if name is None and len(self.operations) == 1:
            return next(iter(self.operations.values()))
        return self.operations.get(name)


def _root_names(operation: OperationDefinitionNode) -> list[str | None]:
    # A fragment spread or inline fragment at the root has no name: it is never exempted.
    return [
        getattr(getattr(s, "name", None), "value", None) for s in operation.selection_set.selections
    ]


def _needs_database(operation: OperationDefinitionNode) -> bool:
    return not all(name in SCHEMA_ONLY_FIELDS for name in _root_names(operation))


def _one_statement_mutations(schema: GraphQLSchema) -> frozenset[str]:
    """The mutation fields declared to write in one statement (`resolvers.transactions`)."""
    mutation = schema.mutation_type
    if mutation is None:
        return frozenset()
    found = set()
    for name, field_def in mutation.fields.items():
        definition = (field_def.extensions or {}).get("strawberry-definition")
        metadata = getattr(definition, "metadata", None) or {}
        if metadata.get(transactions.WRITES) == transactions.ONE_STATEMENT:
            found.add(name)
    return frozenset(found)


class Documents:
    """Prepared documents by text, least recently used dropped first.

    With `limits` (production) a document is first checked against them alone, so a hostile
    one gets one clear refusal (not a hundred errors) and costs no further validation; and
    errors never suggest field or type names to someone mapping the schema.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        maxsize: int = CACHED_DOCUMENTS,
        *,
        limits: Limits | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.schema = schema
        self.max_response_bytes = max_response_bytes
        self.rules = (*specified_rules, create_validator(MAX_DEPTH, None))
        self.limit_rules = (limit_rule(limits),) if limits is not None else ()
        self.hide_suggestions = limits is not None
        self.one_statement = _one_statement_mutations(schema) | SCHEMA_ONLY_FIELDS
        self.prepare: Callable[[str], Prepared] = lru_cache(maxsize=maxsize)(self._prepare)

    def _prepare(self, text: str) -> Prepared:
        try:
            document = parse(text, max_tokens=MAX_TOKENS)
        except GraphQLError as error:
            return Prepared(None, (error,), {})
        hide = self.hide_suggestions
        errors: list[GraphQLError] = []
        if self.limit_rules:
            errors = validate(self.schema, document, self.limit_rules, hide_suggestions=hide)
        if not errors:
            errors = validate(self.schema, document, self.rules, hide_suggestions=hide)
        if errors:
            return Prepared(None, tuple(errors), {})
        operations = {
            (d.name.value if d.name else None): Operation(
                d.operation, _needs_database(d), self._autocommit(d)
            )
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        }
        return Prepared(
            document, (), operations, uses_introspection(document), self.max_response_bytes
        )

    def _autocommit(self, operation: OperationDefinitionNode) -> bool:
        if operation.operation == OperationType.QUERY:
            return True
        if operation.operation != OperationType.MUTATION:
            return False
        return all(name in self.one_statement for name in _root_names(operation))


# (attribute to read, output coercion) of a field that is a plain stored value.
LeafRead = tuple[str, Callable[[Any], Any]]


def _leaf_read(schema: GraphQLSchema, parent: GraphQLObjectType, details: Any) -> LeafRead | None:
    """How to read this field straight off its object, when it is a stored scalar or enum
    without arguments or resolver (Strawberry's own "basic" field); None otherwise."""
    node = details[0].node
    field_def = schema.get_field(parent, node.name.value)
    if field_def is None or field_def.args or node.arguments:
        return None
    if not getattr(field_def.resolve, "_is_default", False):
        return None
    named = get_named_type(field_def.type)
    definition = (field_def.extensions or {}).get("strawberry-definition")
    if not is_leaf_type(named) or definition is None or definition.base_resolver is not None:
        return None
    return definition.python_name, named.coerce_output_value


def _weakly(method: Callable[..., T]) -> Callable[..., T]:
    """`method`, without keeping its object alive."""
    ref = WeakMethod(method)

    def call(*args: Any, **kwargs: Any) -> T:
        bound = ref()
        assert bound is not None, "called after the execution ended"
        return bound(*args, **kwargs)

    return call


class ResponseTooLargeError(GraphQLError):
    """The answer grew past the most this server sends: it is not sent, this error is."""

    def __init__(self, limit: int, *, written: bool = False) -> None:
        # A mutation's writes are made before its answer is built: they stand.
        done = "The change was made, but its answer" if written else "The answer"
        super().__init__(
            f"{done} grew past {limit} bytes, the most this server sends, and none of it was "
            "sent. Ask for fewer fields, smaller pages or fewer nested lists.",
            extensions={"code": "RESPONSE_TOO_LARGE"},
        )
        self.limit = limit


def too_large(errors: Any) -> ResponseTooLargeError | None:
    """The size refusal among an execution's errors, if it was cut short."""
    for error in errors or ():
        if isinstance(error, ResponseTooLargeError):
            return error
        if isinstance(error.original_error, ResponseTooLargeError):
            return error.original_error
    return None


def _weight(value: Any) -> int:
    """The bytes a completed field's value adds to the JSON answer, at least (its name and an
    object's own fields are counted where they are executed; escapes are not counted)."""
    kind = type(value)
    if kind is str:
        return len(value) + 2
    if kind is dict:
        return 0  # counted as its fields were executed
    if kind is list:
        if not value or type(value[0]) is dict:
            return len(value) + 1
        return len(value) + 1 + sum(_weight(item) for item in value)
    return 4 if value is None else 1


# (response name, its field details, how to read it when it is a plain stored leaf)
PlanEntry = tuple[str, Any, LeafRead | None]


class LeafReadingExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, except that plain stored leaves are read without building a
    resolve info, an argument map and a path each: under a 400-session programme those are
    most of the fields. A leaf that is null or does not coerce takes the ordinary path, which
    reports it exactly as before.

    It also weighs the answer as it builds it (JSON bytes, at least): once past
    `max_response_bytes`, every object still to complete raises ResponseTooLargeError at once,
    so an answer too large to send stops costing work."""

    max_response_bytes = MAX_RESPONSE_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core's helpers hold the executor's own bound methods: a cycle that leaves the
        # whole request's state to the garbage collector, whose pauses stall every thread of
        # the worker (the tail of the scans' latency). These reach the executor weakly.
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=_weakly(self.gather_async_work), track=_weakly(self.track_async_work)
        )
        # id(grouped field set) -> (that set, kept alive so the id stays its own; its plan; the
        # bytes of its braces, names and separators).
        self._plans: dict[int, tuple[Any, list[PlanEntry], int]] = {}
        self.response_bytes = 0

    def _plan(self, parent: GraphQLObjectType, grouped: Any) -> tuple[list[PlanEntry], int]:
        entry = self._plans.get(id(grouped))
        if entry is None or entry[0] is not grouped:
            plan = [
                (
                    name,
                    details,
                    None if self.middleware_manager else _leaf_read(self.schema, parent, details),
                )
                for name, details in grouped.items()
            ]
            # {"a":…,"b":…}: the braces, each name quoted with its colon, the commas.
            frame = 1 + sum(len(name) + 4 for name in grouped)
            entry = (grouped, plan, frame)
            self._plans[id(grouped)] = entry
        return entry[1], entry[2]

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        limit = self.max_response_bytes
        if self.response_bytes > limit:
            raise ResponseTooLargeError(limit)
        plan, size = self._plan(parent_type, grouped_field_set)
        results: dict[str, Any] = {}
        for response_name, details, leaf in plan:
            if leaf is not None:
                value = getattr(source_value, leaf[0], None)
                if value is not None:
                    try:
                        coerced = leaf[1](value)
                    except Exception:  # noqa: BLE001  (the ordinary path reports it)
                        coerced = None
                    if coerced is not None and coerced is not Undefined:
                        results[response_name] = coerced
                        size += len(coerced) + 2 if type(coerced) is str else 1
                        continue
            result = self.execute_field(
                parent_type,
                source_value,
                details,
                Path(path, response_name, parent_type.name),
                position_context,
            )
            if result is not Undefined:
                results[response_name] = result
                size += _weight(result)
        self.response_bytes += size
        if self.response_bytes > limit:
            raise ResponseTooLargeError(limit)
        return results


@lru_cache(maxsize=8)
def _executor(max_response_bytes: int) -> type[LeafReadingExecutor]:
    """The executor that cuts answers at `max_response_bytes` (made once per size)."""
    if max_response_bytes == LeafReadingExecutor.max_response_bytes:
        return LeafReadingExecutor
    return type(
        "LeafReadingExecutor", (LeafReadingExecutor,), {"max_response_bytes": max_response_bytes}
    )


def _never_awaitable(_value: Any) -> TypeGuard[Awaitable[Any]]:
    # Queries and mutations resolve synchronously (subscriptions take Strawberry's own path).
    return False


def run(
    schema: GraphQLSchema,
    prepared: Prepared,
    context: Any,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    hide_suggestions: bool = False,
) -> ExecutionResult:
    """graphql-core's result of one prepared operation, errors as raised; an answer cut for
    its size is one RESPONSE_TOO_LARGE error, without data."""
    assert prepared.document is not None
    result = graphql_execute(
        schema,
        prepared.document,
        context_value=context,
        variable_values=variables,
        operation_name=operation_name,
        executor_class=_executor(prepared.max_response_bytes),
        is_awaitable=_never_awaitable,
        # Variable errors ("did you mean …?") would otherwise name enum values and fields.
        hide_suggestions=hide_suggestions,
    )
    assert isinstance(result, ExecutionResult)
    if result.errors:
        cut = too_large(result.errors)
        if cut is not None:
            operation = prepared.operation(operation_name)
            written = operation is not None and operation.type == OperationType.MUTATION
            refusal = ResponseTooLargeError(cut.limit, written=written)
            return ExecutionResult(data=None, errors=[refusal])
    return result


def introspection_refusal(context: Context) -> AgoraError | None:
    """Why this viewer may not read the schema where it is not open (production): admins
    only; None when they may."""
    try:
        if context.viewer is None:
            # Anonymous: refused like any non-admin, not asked to log in.
            return ForbiddenError(SCHEMA_READING.refusal)
        SCHEMA_READING.check(context, Subject(event_id=None))
    except AgoraError as exc:
        return exc
    return None


SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestion(error: GraphQLError) -> GraphQLError:
    """The error without its "Did you mean …?": variable coercion suggests enum values and
    input fields even when told not to."""
    if "Did you mean" not in error.message:
        return error
    error.message = SUGGESTION.sub("", error.message)
    return error


def response_body(data: Any, errors: Any) -> dict[str, Any]:
    """The JSON body of a result whose errors are coded already (`schema.errors.coded`)."""
    body: dict[str, Any] = {"data": data}
    if errors:
        body["errors"] = [e.formatted for e in errors]
    return body


_PLAIN_ARGUMENT_TYPES: tuple[Any, ...] = (int, str, bool, float, strawberry.ID, datetime)


def _plain(argument_type: Any) -> bool:
    """Arguments whose GraphQL value is already the Python value (no enum, input or list)."""
    if isinstance(argument_type, StrawberryOptional):
        argument_type = argument_type.of_type
    return argument_type in _PLAIN_ARGUMENT_TYPES


def _lean_resolver(
    definition: StrawberryField, graphql_args: dict[str, Any]
) -> Callable[..., Any] | None:
    """The field's resolver called directly, its @allow checked first: what Strawberry's
    wrapper does for these fields, without converting arguments through its type machinery
    and chaining extensions on every call. Fields with other extensions, enum, input or list
    arguments, or root/parent parameters keep Strawberry's own wrapper."""
    resolver = definition.base_resolver
    if (
        resolver is None
        or resolver.is_async
        or resolver.root_parameter
        or resolver.parent_parameter
    ):
        return None
    guards = [e for e in definition.extensions if isinstance(e, AllowExtension)]
    if len(guards) != len(definition.extensions):
        return None
    if not all(_plain(a.type) for a in definition.arguments):
        return None
    guard = guards[0] if guards else None
    # GraphQL argument name -> the resolver's parameter name.
    names = {
        name: argument.extensions["strawberry-definition"].python_name
        for name, argument in graphql_args.items()
    }
    # Typed as the classmethod or staticmethod it may have been defined with: Strawberry binds a
    # classmethod to its type when it makes the type, and a staticmethod is callable.
    call = cast(Callable[..., Any], resolver.wrapped_func)
    takes_self = resolver.self_parameter is not None
    info_name = resolver.info_parameter.name if resolver.info_parameter else None

    def resolve(source: Any, raw_info: Any, **arguments: Any) -> Any:
        info = Info(_raw_info=raw_info, _field=definition)
        kwargs = {names.get(k, k): v for k, v in arguments.items()} if arguments else {}
        if guard is not None:
            guard.check(source, info, kwargs)
        if info_name is not None:
            kwargs[info_name] = info
        return call(source, **kwargs) if takes_self else call(**kwargs)

    return resolve


def install_lean_resolvers(schema: GraphQLSchema) -> None:
    """Swap in `_lean_resolver` on every query and mutation field it can serve (once, at start)."""
    subscription = schema.subscription_type
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named is subscription:
            continue
        if named.name.startswith("__"):
            continue
        for field_def in named.fields.values():
            definition = (field_def.extensions or {}).get("strawberry-definition")
            if isinstance(definition, StrawberryField):
                lean = _lean_resolver(definition, field_def.args)
                if lean is not None:
                    field_def.resolve = lean
