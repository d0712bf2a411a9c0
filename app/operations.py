"""Running a GraphQL operation sent over HTTP: the hot path of every query and mutation.

Strawberry's own `execute_sync` runs its extension machinery on every request (the document is
walked again for the depth limit, the caches are consulted through extension hooks), which costs
about 1 ms before the first resolver runs. Clients send a small set of documents over and over,
so each distinct document text is parsed, validated and limit-checked once and kept; a request
then only coerces its variables and lets graphql-core execute the prepared document against the
schema that Strawberry built.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    specified_rules,
    validate,
)
from graphql import execute as graphql_execute
from strawberry.extensions.query_depth_limiter import create_validator
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.limits import Limits, limit_rule, uses_introspection
from schema.errors import coded

MAX_DEPTH = 12
MAX_TOKENS = 5000
CACHED_DOCUMENTS = 1024
# Root fields answered from the schema alone: an operation made only of these needs no database.
SCHEMA_ONLY_FIELDS = frozenset({"__typename", "__schema", "__type"})


@dataclass(frozen=True)
class Prepared:
    """A document as parsed and validated once; `errors` when it can never run."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]
    # Operation name (None for the only one) -> its type and whether it needs the database.
    operations: dict[str | None, tuple[OperationType, bool]]
    # Reads `__schema` or `__type`: production answers it only for an admin, a check that
    # depends on the viewer and so happens at execution, not in this per-text cache.
    introspection: bool = False

    def operation(self, name: str | None) -> tuple[OperationType, bool] | None:
        if name is None and len(self.operations) == 1:
            return next(iter(self.operations.values()))
        return self.operations.get(name)


def _needs_database(operation: OperationDefinitionNode) -> bool:
    selections = operation.selection_set.selections
    return not all(
        getattr(getattr(s, "name", None), "value", None) in SCHEMA_ONLY_FIELDS for s in selections
    )


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
    ) -> None:
        self.schema = schema
        self.rules = (*specified_rules, create_validator(MAX_DEPTH, None))
        self.limit_rules = (limit_rule(limits),) if limits is not None else ()
        self.hide_suggestions = limits is not None
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
            (d.name.value if d.name else None): (d.operation, _needs_database(d))
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        }
        return Prepared(document, (), operations, uses_introspection(document))


def _never_awaitable(_value: Any) -> bool:
    # Queries and mutations resolve synchronously (subscriptions take Strawberry's own path).
    return False


def execute(
    schema: GraphQLSchema,
    prepared: Prepared,
    context: Any,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    hide_suggestions: bool = False,
) -> dict[str, Any]:
    """The response body of one operation, errors coded as the API guide promises."""
    result = run(schema, prepared, context, variables, operation_name, hide_suggestions)
    if hide_suggestions and result.errors:
        return response_body(result.data, [without_suggestion(e) for e in result.errors])
    return response_body(result.data, result.errors)


def run(
    schema: GraphQLSchema,
    prepared: Prepared,
    context: Any,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    hide_suggestions: bool = False,
) -> ExecutionResult:
    """graphql-core's result of one prepared operation, errors as raised."""
    assert prepared.document is not None
    result = graphql_execute(
        schema,
        prepared.document,
        context_value=context,
        variable_values=variables,
        operation_name=operation_name,
        executor_class=StrawberryGraphQLCoreExecutionContext,
        is_awaitable=_never_awaitable,
        # Variable errors ("did you mean …?") would otherwise name enum values and fields.
        hide_suggestions=hide_suggestions,
    )
    assert isinstance(result, ExecutionResult)
    return result


SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestion(error: GraphQLError) -> GraphQLError:
    """The error without its "Did you mean …?": variable coercion suggests enum values and
    input fields even when told not to."""
    if "Did you mean" not in error.message:
        return error
    error.message = SUGGESTION.sub("", error.message)
    return error


def response_body(data: Any, errors: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"data": data}
    if errors:
        body["errors"] = [coded(e).formatted for e in errors]
    return body
