"""GraphiQL, served whole by Agora: the page and its assets ship with the package.

Nothing is loaded from the internet, so GraphiQL works on a venue's closed network and no
third party learns who opens it. The page is at /graphiql in every mode; in development it
is also what a browser gets on GET /graphql.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from app.errors import error_response

ASSETS = Path(__file__).parent / "static" / "graphiql"
SERVED = {
    "graphiql.min.js": "text/javascript",
    "graphiql.min.css": "text/css",
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
    "agora-graphiql.js": "text/javascript",
}
PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <title>Agora GraphiQL</title>
    <link rel="stylesheet" href="/graphiql/assets/graphiql.min.css">
    <style>body { margin: 0; } #graphiql { height: 100dvh; }</style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script src="/graphiql/assets/react.production.min.js"></script>
    <script src="/graphiql/assets/react-dom.production.min.js"></script>
    <script src="/graphiql/assets/graphiql.min.js"></script>
    <script src="/graphiql/assets/agora-graphiql.js"></script>
  </body>
</html>
"""
# Only this server's scripts run on the page; GraphiQL sets inline styles and data: fonts.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


def graphiql_page() -> Response:
    return HTMLResponse(
        PAGE, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}
    )


def routes() -> list[Route]:
    async def page(_request: Request) -> Response:
        return graphiql_page()

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in SERVED:
            return error_response("NOT_FOUND", f"GraphiQL has no asset named {name!r}.")
        return FileResponse(
            ASSETS / name,
            media_type=SERVED[name],
            # Pinned versions, so browsers may keep them for a day without asking again.
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    return [
        Route("/graphiql", page, methods=["GET"]),
        Route("/graphiql/assets/{name}", asset, methods=["GET"]),
    ]
