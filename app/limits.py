"""Limits on what one GraphQL document may ask for, checked once per distinct document text.

Production refuses documents built to make the server work hard (hundreds of aliases,
stacked directives, lists nested in lists) before any other validation runs, with one error
naming the limit. Development keeps only the depth and token limits, so a person exploring in
GraphiQL is never surprised. Every transport (HTTP and the WebSocket) checks the same way
(`app.operations.Documents`).

The cost of a document is an upper bound on the values it may return: every field costs 1,
and what is selected under a list counts as many times as the list may hold:

- a connection's `edges` (under a field with a `first` argument): `first` when written in the
  document, the largest page when it comes from a variable, the default page when it is left
  out; the connection's own fields (`totalCount`, `pageInfo`) count once;
- a plain list: its size in `LIST_SIZES`, a bound the schema enforces (`Visit.tags`,
  `Event.badgeAnomalies`) or the size of a large event (`Event.rooms`, `Room.sessions`);
- any other list: `ASSUMED_LIST_SIZE`.

Introspection (`__schema`, `__type`) counts each field once: it is answered from the schema in
memory, and production answers it to admins only.

Whatever the cost said, an answer is also measured as it is built: one whose JSON grows past
`MAX_RESPONSE_BYTES` is not sent; a `RESPONSE_TOO_LARGE` error is (`app.operations`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from models import DenyReason
from resolvers.anomalies import MAX_ANOMALIES
from resolvers.pagination import DEFAULT_PAGE, MAX_PAGE
from resolvers.stats import MAX_TAG_COUNTS
from resolvers.visits import MAX_TAGS

MAX_ALIASES = 30
MAX_DIRECTIVES_PER_FIELD = 5
# The values one operation may return, counted as below. The programme of a large event costs
# 16,153, a participant's home page (their events, rooms and sessions: README.md) 82,121; an
# event's sessions with each one's event and its sessions again costs 5,020,021.
MAX_COST = 250_000
# The largest answer sent, as JSON: past it, the answer is replaced by RESPONSE_TOO_LARGE.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})

# What a plain list (not a page) may hold, for the cost: a bound the schema enforces where it
# has one, else the size of a large event (a congress of a week, 50 rooms, 500 sessions).
# docs/api.md lists the same numbers (tests/api/test_limits.py checks both against the schema).
WEEK_OF_HOURS = 7 * 24
LIST_SIZES: dict[str, int] = {
    "Query.events": 20,  # the events a viewer belongs to
    "User.memberships": 20,
    "Event.rooms": 50,
    "Event.sessions": 500,
    "Event.annonces": 200,
    "Event.exposants": 300,
    "Event.staffAssignments": 500,
    "Event.badgeAnomalies": MAX_ANOMALIES,
    "Room.sessions": 40,  # a busy room's week, more than its share of the event's 500
    "Room.staff": 20,
    "Session.accessList": 100,  # a paid atelier's seats
    "EventStats.sessions": 500,
    "EventStats.scansByHour": WEEK_OF_HOURS,
    "RoomStats.byHour": WEEK_OF_HOURS,
    "RoomStats.byReason": len(DenyReason),
    "ExposantStats.byHour": WEEK_OF_HOURS,
    "ExposantStats.byTag": MAX_TAG_COUNTS,
    "Visit.tags": MAX_TAGS,
    "SyncReport.results": 500,  # AGORA_MAX_SYNC_BATCH's default
    "SyncReport.rejected": 500,
    "ImportReport.errors": 500,
}
# Any other list (one added to the schema without a size above).
ASSUMED_LIST_SIZE = 100


@dataclass(frozen=True)
class Limits:
    """What the production rules allow; `None` switches them off (development)."""

    aliases: int = MAX_ALIASES
    directives_per_field: int = MAX_DIRECTIVES_PER_FIELD
    cost: int = MAX_COST


@dataclass
class _Tally:
    aliases: int = 0
    directives: int = 0  # the most on any one field, fragment or spread
    cost: int = 0


class _Walker:
    """Walks an operation with its fragments inlined; each fragment is tallied once per page
    size it is spread under."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments
        self.memo: dict[tuple[str, int | None], _Tally] = {}
        self.open: set[str] = set()

    def selections(
        self, node: SelectionSetNode | None, parent: GraphQLNamedType | None, page: int | None
    ) -> _Tally:
        """`page`: the page size, when these are the fields of a connection."""
        tally = _Tally()
        if node is None:
            return tally
        for selection in node.selections:
            directives = len(selection.directives or ())
            tally.directives = max(tally.directives, directives)
            if isinstance(selection, FieldNode):
                part = self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                part = self.selections(selection.selection_set, inner, page)
            elif isinstance(selection, FragmentSpreadNode):
                part = self.fragment(selection.name.value, page)
            else:  # pragma: no cover - graphql has no other selection
                continue
            tally.aliases += part.aliases
            tally.directives = max(tally.directives, part.directives)
            tally.cost += part.cost
        return tally

    def fragment(self, name: str, page: int | None) -> _Tally:
        key = (name, page)
        if key in self.memo:
            return self.memo[key]
        definition = self.fragments.get(name)
        if definition is None or name in self.open:
            # Unknown fragments and cycles are reported by the standard rules.
            return _Tally()
        self.open.add(name)
        tally = self.selections(
            definition.selection_set,
            self.schema.get_type(definition.type_condition.name.value),
            page,
        )
        self.open.discard(name)
        self.memo[key] = tally
        return tally

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, page: int | None) -> _Tally:
        # Object and interface types have fields; `__typename` and introspection have none here.
        fields = getattr(parent, "fields", None)
        definition = fields.get(node.name.value) if fields else None
        if definition is None or parent is None:
            inner = self.selections(node.selection_set, None, None)
            times = 1
        else:
            own_page = _page(node, definition)
            inner = self.selections(node.selection_set, get_named_type(definition.type), own_page)
            times = _times(parent.name, node.name.value, definition, page, own_page)
        # A leaf is one value, a list of leaves as many as it holds.
        cost = 1 + times * inner.cost if node.selection_set else times
        return _Tally(
            aliases=inner.aliases + (1 if node.alias else 0), directives=inner.directives, cost=cost
        )


def _times(
    parent: str, name: str, definition: GraphQLField, page: int | None, own_page: int | None
) -> int:
    """How many times a field's selection may be returned: once, or as many as its list holds."""
    if parent.startswith("__") or not is_list_type(get_nullable_type(definition.type)):
        return 1  # introspection's lists are the schema's own, answered from memory
    if own_page is not None:
        return own_page  # a list that is itself a page
    if page is not None:
        return page  # a connection's edges
    return LIST_SIZES.get(f"{parent}.{name}", ASSUMED_LIST_SIZE)


def _page(node: FieldNode, definition: GraphQLField) -> int | None:
    """The page size of a field with a `first` argument; None for any other field."""
    if "first" not in definition.args:
        return None
    for argument in node.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(0, min(int(argument.value.value), MAX_PAGE))
            return MAX_PAGE  # a variable: the largest page it may ask for
    return DEFAULT_PAGE


def _walker(schema: GraphQLSchema, document: Any) -> _Walker:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _Walker(schema, fragments)


def _root(schema: GraphQLSchema, node: OperationDefinitionNode) -> GraphQLNamedType | None:
    return {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[node.operation]


def limit_rule(limits: Limits) -> type[ValidationRule]:
    """A validation rule refusing operations beyond `limits`, one error per limit crossed."""

    class LimitsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.walker = _walker(context.schema, context.document)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
            root = _root(self.context.schema, node)
            tally = self.walker.selections(node.selection_set, root, None)
            tally.directives = max(tally.directives, len(node.directives or ()))
            name = f"The operation {node.name.value}" if node.name else "This operation"
            if tally.aliases > limits.aliases:
                self.refuse(
                    f"{name} uses {tally.aliases} aliases; at most {limits.aliases} are allowed.",
                    node,
                )
            if tally.directives > limits.directives_per_field:
                self.refuse(
                    f"{name} puts {tally.directives} directives on one field; at most "
                    f"{limits.directives_per_field} are allowed per field.",
                    node,
                )
            if tally.cost > limits.cost:
                self.refuse(
                    f"{name} costs {tally.cost}: it may return that many values, each list "
                    "counting as many times as it may hold (a page its `first`, other lists "
                    f"their size in the API guide); at most {limits.cost} are allowed. Ask "
                    "for smaller pages or fewer nested lists.",
                    node,
                )
            return self.SKIP

        def enter_fragment_definition(self, *_args: Any) -> Any:
            return self.SKIP  # walked where it is spread

        def refuse(self, message: str, node: OperationDefinitionNode) -> None:
            self.report_error(GraphQLError(message, node, extensions={"code": "BAD_USER_INPUT"}))

    return LimitsRule


def uses_introspection(document: Any) -> bool:
    """Whether a valid document reads `__schema` or `__type` anywhere (fragments included)."""
    seen: set[int] = set()

    def walk(node: SelectionSetNode | None) -> bool:
        if node is None or id(node) in seen:
            return False
        seen.add(id(node))
        for selection in node.selections:
            if isinstance(selection, FieldNode) and selection.name.value in INTROSPECTION_FIELDS:
                return True
            if isinstance(selection, FieldNode | InlineFragmentNode) and walk(
                selection.selection_set
            ):
                return True
        return False

    # Fragments are checked as definitions: a valid document uses every fragment it defines.
    return any(
        walk(d.selection_set)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    )
