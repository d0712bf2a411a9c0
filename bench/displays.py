"""Door displays for the live line, in a process of their own, on one event loop.

    AGORA_BENCH_TOKEN=... python bench/displays.py URL COUNT ROOM [ROOM ...]

Opens COUNT roomOccupancy subscriptions (graphql-transport-ws, one socket each, spread over
the rooms in turn), prints `ready` once each has its first push, then notes when each push
naming a scan arrives, until its standard input closes. It then prints one JSON object:
{"displays": [{"room": ROOM, "arrivals": {scan id: time.perf_counter()}}], "errors": [...]}.

Why a process and a loop: two hundred displays as threads of the benchmark's own process
(each with the websockets library's reading thread) made four hundred threads queue for one
interpreter lock, and that queueing showed up as push latency. perf_counter is the system's
monotonic clock: the benchmark compares it with its own readings.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

OCCUPANCY = "subscription($id: ID!) { roomOccupancy(roomId: $id) { occupancy lastScan { id } } }"


async def _open(url: str, token: str, room: str) -> ClientConnection:
    ws = await connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)  # type: ignore[list-item]  # the protocol's name is a plain str
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await ws.send(json.dumps(init))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    subscribe = {"query": OCCUPANCY, "variables": {"id": room}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
    first = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert first["type"] == "next", first
    return ws


async def _read(ws: ClientConnection, arrivals: dict[str, float], errors: list[Any]) -> None:
    async for raw in ws:
        at = time.perf_counter()
        message = json.loads(raw)
        if message.get("type") == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        if message.get("type") != "next" or message["payload"].get("errors"):
            errors.append(message)
            continue
        scan = message["payload"]["data"]["roomOccupancy"]["lastScan"]
        if scan is not None:
            arrivals[scan["id"]] = at


async def main(url: str, token: str, count: int, rooms: list[str]) -> None:
    displays = []
    for i in range(count):
        room = rooms[i % len(rooms)]
        displays.append((room, await _open(url, token, room)))
    arrivals: list[dict[str, float]] = [{} for _ in displays]
    errors: list[Any] = []
    readers = [
        asyncio.create_task(_read(ws, arrivals[i], errors)) for i, (_, ws) in enumerate(displays)
    ]
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await asyncio.gather(*(ws.close() for _, ws in displays), return_exceptions=True)
    result = {
        "displays": [
            {"room": room, "arrivals": arrivals[i]} for i, (room, _) in enumerate(displays)
        ],
        "errors": errors,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    token = os.environ["AGORA_BENCH_TOKEN"]
    asyncio.run(main(sys.argv[1], token, int(sys.argv[2]), sys.argv[3:]))
