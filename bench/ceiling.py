"""The ceiling: the least a Python JSON-over-HTTP endpoint can do on this stack.

Starlette on uvicorn (uvloop, httptools, one worker) reading the JSON body and answering a fixed
GraphQL-shaped result. Agora's throughput is read as a share of this one's, measured in the
same run at the same connection count, so that a busy shared machine moves both alike.

    uvicorn ceiling:app --app-dir bench --loop uvloop --http httptools --workers 1
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def endpoint(request: Request) -> JSONResponse:
    await request.json()
    return JSONResponse({"data": {"__typename": "Query"}})


app = Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])])
