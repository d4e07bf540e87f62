"""fakesnow's Snowflake server, answering queries in the JSON result format the Node driver reads.

fakesnow (https://github.com/tekumara/fakesnow) runs Snowflake SQL on DuckDB and speaks Snowflake's
HTTP protocol, but it answers every SELECT in the Arrow result format only, which snowflake-sdk
(the Node driver) cannot read. This wraps fakesnow's own Starlette routes and rewrites one thing:
an Arrow answer to /queries/v1/query-request becomes `queryResultFormat: "json"` with a `rowset`
of strings, each typed by the `rowtype` fakesnow already sends, in the encoding the driver parses
(snowflake-sdk lib/connection/result/column.js): FIXED and REAL as decimal text, BOOLEAN as 1/0,
DATE as days since the epoch, TIME and TIMESTAMP_NTZ/LTZ as epoch seconds with 9 fraction digits,
TIMESTAMP_TZ with its offset, VARIANT/OBJECT/ARRAY as JSON text, BINARY as hex.

Usage: python fakesnow_json.py --port N
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import sys
from typing import Any

import fakesnow.server as fs
import pyarrow as pa
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

EPOCH_DAY = datetime.date(1970, 1, 1)
NANOS = 1_000_000_000


def seconds_text(nanos: int) -> str:
    """Epoch seconds with 9 fraction digits, exact (no float), as Snowflake sends scale-9 values."""
    sign = "-" if nanos < 0 else ""
    seconds, fraction = divmod(abs(nanos), NANOS)
    return f"{sign}{seconds}.{fraction:09d}"


def json_value(value: Any, sf_type: str) -> str | None:
    """One Arrow value (as fakesnow encodes it for Snowflake's Arrow format) in Snowflake's JSON text."""
    if value is None or (isinstance(value, dict) and value.get("epoch", 0) is None):
        # fakesnow builds timestamp structs that are never null themselves, only their fields
        return None
    if sf_type == "boolean":
        return "1" if value else "0"
    if sf_type == "date":
        return str((value - EPOCH_DAY).days)
    if sf_type == "time":
        # fakesnow sends TIME as nanoseconds since midnight
        return seconds_text(int(value))
    if sf_type in ("timestamp_ntz", "timestamp_ltz"):
        return seconds_text(value["epoch"] * NANOS + value["fraction"])
    if sf_type == "timestamp_tz":
        # result version 1 (set below): "<epoch seconds> <offset minutes + 1440>"
        return f"{seconds_text(value['epoch'] * NANOS + value['fraction'])} {value['timezone']}"
    if sf_type == "binary":
        return bytes(value).hex().upper()
    if sf_type == "real":
        return repr(float(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def arrow_to_rowset(rowset_base64: str, rowtype: list[dict[str, Any]]) -> list[list[str | None]]:
    if rowset_base64 == "":
        return []
    table = pa.ipc.open_stream(base64.b64decode(rowset_base64)).read_all()
    columns = [
        [json_value(v, rowtype[i]["type"]) for v in column.to_pylist()] for i, column in enumerate(table.columns)
    ]
    return [list(row) for row in zip(*columns)]


async def query_request(request: Request) -> Response:
    answer = await fs.query_request(request)
    body = json.loads(bytes(answer.body))
    data = body.get("data") or {}
    if body.get("success") and data.get("queryResultFormat") == "arrow":
        rowset = arrow_to_rowset(data.pop("rowsetBase64", ""), data.get("rowtype") or [])
        # version 1 is the result version whose TIMESTAMP_TZ text both the Node and the Python
        # driver read
        data.update(queryResultFormat="json", rowset=rowset, total=len(rowset), version=1)
    if body.get("success") and "rowset" in data:
        # the driver waits for more chunks until it has read `returned` rows; fakesnow leaves it
        # out of DML answers
        data["returned"] = len(data["rowset"])
    return JSONResponse(body, status_code=answer.status_code)


async def telemetry(_request: Request) -> Response:
    # the driver reports its telemetry after each session; Snowflake accepts and drops it here
    return JSONResponse({"data": None, "success": True})


def app() -> Starlette:
    routes = [
        Route(r.path, query_request, methods=["POST"]) if r.path == "/queries/v1/query-request" else r
        for r in fs.routes
    ]
    routes.append(Route("/telemetry/send", telemetry, methods=["POST"]))
    return Starlette(routes=routes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    config = uvicorn.Config(app(), host=args.host, port=args.port, log_level="warning")
    server = uvicorn.Server(config)
    server.run()


if __name__ == "__main__":
    main()
