"""One execution of a push for every subscriber that would get the same answer.

A scan at a door reaches each of the door's displays on a worker, as one shared object
(schema/subscriptions.py). Displays that run the same document with the same variables as the
same user get the same answer from it: the first one's execution, and its JSON (`SharedData`),
serve the others. What stays each subscription's own: the check of its rights before the push
(permissions/fields.py), and any push whose answer carries errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# (document, operation name, variables, user id)
ShareKey = tuple[str, str | None, Any, int]


class SharedData(dict[str, Any]):
    """A push's data, shared by the subscribers it is the same for, encoded once."""

    __slots__ = ("_encoded",)

    def encoded(self, dumps: Callable[[Any], str]) -> str:
        try:
            return self._encoded
        except AttributeError:
            self._encoded: str = dumps(self)
            return self._encoded


class SharedExecutions(dict[ShareKey, ExecutionResult]):
    """Kept on a pushed object: its executions so far, by who asked for what."""


class SharedPushExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, except that a subscription event whose payload keeps its
    executions (an `executions` attribute) is executed once per `ShareKey`."""

    _event = False

    def build_per_event_executor(self, payload: Any) -> SharedPushExecutor:
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, SharedPushExecutor), "a per-event executor copies this one"
        executor._event = True
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        kept = getattr(self.root_value, "executions", None) if self._event else None
        key = self._share_key() if isinstance(kept, SharedExecutions) else None
        if kept is None or key is None:
            return super().execute_operation(serially)
        found = kept.get(key)
        if found is not None:
            return found
        result = super().execute_operation(serially)
        if self.is_awaitable(result):

            async def keep() -> Any:
                return _kept(kept, key, await result)

            return keep()
        return _kept(kept, key, result)

    def _share_key(self) -> ShareKey | None:
        viewer_if_loaded = getattr(self.context_value, "viewer_if_loaded", None)
        viewer = viewer_if_loaded() if viewer_if_loaded is not None else None
        source = self.operation.loc.source.body if self.operation.loc is not None else None
        if viewer is None or source is None:
            return None
        name = self.operation.name.value if self.operation.name is not None else None
        coerced = self.variable_values.coerced
        variables: Any = tuple(sorted(coerced.items()))
        try:
            hash(variables)
        except TypeError:  # input objects, lists: compared by their JSON
            variables = json.dumps(coerced, sort_keys=True, default=str)
        return (source, name, variables, viewer.user_id)


def _kept(kept: SharedExecutions, key: ShareKey, result: Any) -> Any:
    # An answer with errors is not shared: each subscriber's errors are reported as its own.
    if isinstance(result, ExecutionResult) and not result.errors and result.data is not None:
        result = ExecutionResult(data=SharedData(result.data), extensions=result.extensions)
        kept[key] = result
    return result
