"""A graphql-transport-ws client over a real WebSocket, as a scanner app or a door display talks."""

from __future__ import annotations

import itertools
import json
import time
from contextlib import ExitStack
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"


class Closed(Exception):
    """The server closed the socket: `code` and `reason` say why."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class LiveClient:
    def __init__(self, url: str, *, origin: str | None = None, token: str | None = None) -> None:
        ws_url = url.replace("http://", "ws://", 1)
        headers = {"Origin": origin} if origin else {}
        if token is not None:
            # Non-browser clients may authenticate the handshake itself.
            headers["Authorization"] = f"Bearer {token}"
        self._stack = ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(
            connect(
                ws_url, subprotocols=[PROTOCOL], additional_headers=headers or None, open_timeout=10
            )
        )
        self._ids = itertools.count(1)
        # Messages received for other operations while waiting for one.
        self._backlog: list[dict[str, Any]] = []

    def __enter__(self) -> LiveClient:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._stack.close()

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def init(self, token: str | None, **payload: Any) -> dict[str, Any]:
        """Send connection_init (with the token as browsers must) and return the ack."""
        if token is not None:
            payload["Authorization"] = f"Bearer {token}"
        self.send({"type": "connection_init", "payload": payload})
        message = self.receive(timeout=10)
        assert message["type"] == "connection_ack", message
        return message

    def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        op_id = str(next(self._ids))
        self.send(
            {
                "id": op_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return op_id

    def complete(self, op_id: str) -> None:
        self.send({"id": op_id, "type": "complete"})

    def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next message (pings answered); Closed if the server closed the socket."""
        if self._backlog:
            return self._backlog.pop(0)
        return self._from_socket(timeout)

    def _from_socket(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no message within {timeout}s")
            try:
                raw = self.ws.recv(timeout=remaining)
            except ConnectionClosed as exc:
                rcvd = exc.rcvd
                raise Closed(rcvd.code if rcvd else None, rcvd.reason if rcvd else "") from exc
            message = json.loads(raw)
            if message.get("type") == "ping":
                self.send({"type": "pong"})
                continue
            return message

    def next_for(self, op_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next message of operation `op_id`; others are kept for later."""
        deadline = time.monotonic() + timeout
        for i, message in enumerate(self._backlog):
            if message.get("id") == op_id:
                return self._backlog.pop(i)
        while True:
            # From the socket: the backlog was searched above and only grows here.
            message = self._from_socket(max(0.001, deadline - time.monotonic()))
            if message.get("id") == op_id:
                return message
            self._backlog.append(message)

    def data(self, op_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The data of the next push of `op_id`, which must carry no error."""
        message = self.next_for(op_id, timeout)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message["payload"]
        return message["payload"]["data"]

    def errors(self, op_id: str, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The errors that end `op_id`: an `error` message, or a `next` with errors then `complete`."""
        message = self.next_for(op_id, timeout)
        if message["type"] == "error":
            return message["payload"]
        assert message["type"] == "next", message
        errors = message["payload"].get("errors")
        assert errors, message
        assert self.next_for(op_id, timeout)["type"] == "complete"
        return errors

    def nothing_for(self, op_id: str, seconds: float) -> None:
        """Assert that `op_id` receives nothing for `seconds`."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                message = self.receive(timeout=remaining)
            except TimeoutError:
                return
            assert message.get("id") != op_id, f"unexpected push: {message}"
            self._backlog.append(message)

    def closed(self, timeout: float = 10.0) -> Closed:
        """Wait for the server to close the socket; the close code and reason."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.receive(timeout=max(0.001, deadline - time.monotonic()))
            except Closed as closed:
                return closed
