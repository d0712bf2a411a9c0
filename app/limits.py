"""Limits on what one GraphQL document may ask for, checked once per distinct document text.

Production refuses documents built to make the server work hard (hundreds of aliases,
stacked directives, nested pages of a hundred items each) before any other validation runs,
with one error naming the limit. Development keeps only the depth and token limits, so a
person exploring in GraphiQL is never surprised.

The cost of a document is an upper bound on the objects it may return: every field costs 1,
and what is selected under a field with a `first` argument counts as many times as the page
may hold (`first` when written in the document, the largest page when it comes from a
variable, the default page when it is left out). Other lists count once: they are bounded
by the event (its rooms, its sessions), not by what the client asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
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
)

from resolvers.pagination import DEFAULT_PAGE, MAX_PAGE

MAX_ALIASES = 30
MAX_DIRECTIVES_PER_FIELD = 5
MAX_COST = 5000
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


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
    """Walks an operation with its fragments inlined; each fragment is tallied once."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments
        self.memo: dict[str, _Tally] = {}
        self.open: set[str] = set()

    def selections(self, node: SelectionSetNode | None, parent: GraphQLNamedType | None) -> _Tally:
        tally = _Tally()
        if node is None:
            return tally
        for selection in node.selections:
            directives = len(selection.directives or ())
            tally.directives = max(tally.directives, directives)
            if isinstance(selection, FieldNode):
                part = self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                part = self.selections(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                part = self.fragment(selection.name.value)
            else:  # pragma: no cover - graphql has no other selection
                continue
            tally.aliases += part.aliases
            tally.directives = max(tally.directives, part.directives)
            tally.cost += part.cost
        return tally

    def fragment(self, name: str) -> _Tally:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.open:
            # Unknown fragments and cycles are reported by the standard rules.
            return _Tally()
        self.open.add(name)
        tally = self.selections(
            definition.selection_set, self.schema.get_type(definition.type_condition.name.value)
        )
        self.open.discard(name)
        self.memo[name] = tally
        return tally

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> _Tally:
        # Object and interface types have fields; `__typename` and introspection have none here.
        fields = getattr(parent, "fields", None)
        definition = fields.get(node.name.value) if fields else None
        child_type = get_named_type(definition.type) if definition is not None else None
        inner = self.selections(node.selection_set, child_type)
        times = _page(node, definition)
        return _Tally(
            aliases=inner.aliases + (1 if node.alias else 0),
            directives=inner.directives,
            cost=1 + times * inner.cost,
        )


def _page(node: FieldNode, definition: Any) -> int:
    """How many times a field's selection may be returned: its page size, or once."""
    if definition is None or "first" not in definition.args:
        return 1
    for argument in node.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(0, min(int(argument.value.value), MAX_PAGE))
            return MAX_PAGE  # a variable: the largest page it may ask for
    return DEFAULT_PAGE


def limit_rule(limits: Limits) -> type[ValidationRule]:
    """A validation rule refusing operations beyond `limits`, one error per limit crossed."""

    class LimitsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            self.walker = _Walker(
                context.schema,
                {
                    d.name.value: d
                    for d in document.definitions
                    if isinstance(d, FragmentDefinitionNode)
                },
            )

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
            schema = self.context.schema
            root = {
                OperationType.QUERY: schema.query_type,
                OperationType.MUTATION: schema.mutation_type,
                OperationType.SUBSCRIPTION: schema.subscription_type,
            }[node.operation]
            tally = self.walker.selections(node.selection_set, root)
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
                    f"{name} may return up to {tally.cost} objects (pages count as many times "
                    f"as `first`); at most {limits.cost} are allowed. Ask for smaller pages "
                    "or fewer nested lists.",
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
