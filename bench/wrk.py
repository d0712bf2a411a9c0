"""wrk scripts for the workloads, and reading what they report.

Every script counts the answers that are not a success: a status other than 200, a body with
`"errors"` (GraphQL reports failures with status 200), or a body holding the script's
`bad_marker` (a scan answered as a duplicate although its id was fresh). `done()` prints one
machine-readable line with wrk's own counts, latency percentiles and those error counts.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

RESULT_PREFIX = "BENCH_RESULT"
FIRST_ERROR_PREFIX = "BENCH_FIRST_ERROR"

_COUNTING = r"""
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

non200 = 0
gqlerrors = 0
bad = 0
granted = 0
first_error = ""

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_error == "" then
      first_error = "HTTP " .. status .. " " .. string.sub(body or "", 1, 400)
    end
  elseif body and string.find(body, '"errors"', 1, true) then
    gqlerrors = gqlerrors + 1
    if first_error == "" then
      first_error = string.sub(body, 1, 400)
    end
  elseif body and bad_marker and string.find(body, bad_marker, 1, true) then
    bad = bad + 1
    if first_error == "" then
      first_error = "unexpected " .. bad_marker .. ": " .. string.sub(body, 1, 400)
    end
  elseif body and string.find(body, '"status":"GRANTED"', 1, true) then
    granted = granted + 1
  end
end

function done(summary, latency, requests)
  local non, gql, nbad, ngranted, first = 0, 0, 0, 0, ""
  for _, t in ipairs(threads) do
    non = non + t:get("non200")
    gql = gql + t:get("gqlerrors")
    nbad = nbad + t:get("bad")
    ngranted = ngranted + t:get("granted")
    if first == "" then
      first = t:get("first_error")
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non200=%d gql=%d bad=%d " ..
    "granted=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration,
    math.floor(latency:percentile(50)), math.floor(latency:percentile(99)),
    non, gql, nbad, ngranted, e.connect, e.read, e.write, e.timeout))
  local line = string.gsub(first, "[\r\n]", " ")
  io.write("BENCH_FIRST_ERROR " .. line .. "\n")
end
"""


def _lua_long_string(text: str) -> str:
    """A Lua long-bracket literal: no escaping to get wrong, whatever the JSON holds."""
    level = 1
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


def static_script(body: dict[str, object], token: str | None) -> str:
    """The same request every time: wrk builds it once."""
    lines = [
        'wrk.method = "POST"',
        'wrk.path = "/graphql"',
        f"wrk.body = {_lua_long_string(json.dumps(body, separators=(',', ':')))}",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    if token is not None:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    return "\n".join(lines) + "\n" + _COUNTING


def _scan_lua(
    query: str, rooms: list[tuple[str, str]], codes_path: Path, run_tag: str, seed: int
) -> str:
    """Lua defining `scan_request()`: scanBadge at a random room by that room's controller, a
    random badge, a fresh scan id.

    `rooms` holds (room global id, bearer token of its controller). The scan id joins the run,
    the wrk invocation (its first script argument: the warm-up and each level run the same
    script), the thread, a per-thread counter and a random number.
    """
    room_ids = ", ".join(json.dumps(gid) for gid, _ in rooms)
    tokens = ", ".join(json.dumps(token) for _, token in rooms)
    query_json = json.dumps(query)
    return f"""
local query_json = {_lua_long_string(query_json)}
local room_ids = {{{room_ids}}}
local tokens = {{{tokens}}}
local codes_path = {_lua_long_string(str(codes_path))}
local run_tag = "{run_tag}"
bad_marker = '"duplicate":true'

function init(args)
  codes = {{}}
  for line in io.lines(codes_path) do
    if line ~= "" then codes[#codes + 1] = line end
  end
  invocation = args[1] or "0"
  math.randomseed({seed} + (tonumber(invocation) or 0) * 104729 + id * 7919)
  counter = 0
end

function scan_request()
  local r = math.random(#room_ids)
  local code = codes[math.random(#codes)]
  local scan_id = string.format(
    "%s-%s-%d-%d-%d", run_tag, invocation, id, counter, math.random(1, 2147483646))
  local body = '{{"query":' .. query_json .. ',"variables":{{"input":{{"roomId":"' ..
    room_ids[r] .. '","code":"' .. code .. '","clientScanId":"' .. scan_id .. '"}}}}}}'
  return wrk.format("POST", "/graphql", {{
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[r],
  }}, body)
end
"""


def scan_script(
    query: str, rooms: list[tuple[str, str]], codes_path: Path, run_tag: str, seed: int
) -> str:
    """Every request a fresh scan (see `_scan_lua`)."""
    return (
        _scan_lua(query, rooms, codes_path, run_tag, seed)
        + """
function request()
  counter = counter + 1
  return scan_request()
end
"""
        + _COUNTING
    )


def mixed_script(
    body: dict[str, object],
    token: str | None,
    scan: tuple[str, list[tuple[str, str]], Path, str, int],
    every: int,
) -> str:
    """The same read each time, but every `every`-th request of each thread a fresh scan
    (a write that changes what the reads depend on, see `_scan_lua`)."""
    headers = '["Content-Type"] = "application/json"'
    if token is not None:
        headers += f', ["Authorization"] = "Bearer {token}"'
    read = _lua_long_string(json.dumps(body, separators=(",", ":")))
    return (
        _scan_lua(*scan)
        + f"""
local read_body = {read}

function request()
  counter = counter + 1
  if counter % {every} == 0 then
    return scan_request()
  end
  return wrk.format("POST", "/graphql", {{{headers}}}, read_body)
end
"""
        + _COUNTING
    )


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non200: int
    graphql_errors: int
    # Answers that succeeded but must not have (a fresh scan id recorded as a duplicate).
    unexpected: int
    granted: int
    socket_errors: int
    first_error: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def errors(self) -> int:
        return self.non200 + self.graphql_errors + self.unexpected + self.socket_errors


# Numbers each wrk run of this process, passed to the script (see scan_script).
_INVOCATIONS = itertools.count(1)


def run(
    wrk: str, url: str, script: Path, connections: int, seconds: float, timeout_s: int
) -> Result:
    threads = min(2, connections)
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout_s}s",
        "--latency",
        "-s",
        str(script),
        url,
        "--",
        str(next(_INVOCATIONS)),
    ]
    # wrk stops itself after -d; the extra margin only catches a wedged wrk.
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + timeout_s + 30, check=False
    )
    return parse(done.stdout, done.stderr, done.returncode)


def parse(stdout: str, stderr: str = "", returncode: int = 0) -> Result:
    match = re.search(rf"^{RESULT_PREFIX} (.*)$", stdout, re.M)
    if match is None:
        raise RuntimeError(f"wrk printed no result (exit {returncode}):\n{stdout}\n{stderr}")
    fields = dict(item.split("=", 1) for item in match.group(1).split())
    n = {k: int(v) for k, v in fields.items()}
    first = re.search(rf"^{FIRST_ERROR_PREFIX} ?(.*)$", stdout, re.M)
    return Result(
        requests=n["requests"],
        seconds=n["duration_us"] / 1e6,
        p50_ms=n["p50_us"] / 1000,
        p99_ms=n["p99_us"] / 1000,
        non200=n["non200"],
        graphql_errors=n["gql"],
        unexpected=n["bad"],
        granted=n["granted"],
        socket_errors=n["connect"] + n["read"] + n["write"] + n["timeout"],
        first_error=first.group(1).strip() if first else "",
    )
