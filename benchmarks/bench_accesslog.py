"""What the access log costs per request: unci's ``AccessLog`` against the same line written the
way it was before (query parsed and re-encoded on every request, one pass through ``logging``
per line, uvicorn's formatter), both around a bare ASGI app, output to /dev/null, best of 3 x
20,000 requests. Run: python benchmarks/bench_accesslog.py
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from urllib.parse import parse_qsl, urlencode

from uvicorn.logging import DefaultFormatter

from unci.redact import redact_query
from unci.server.accesslog import AccessLog, LineWriter

SCOPE = {
    "type": "http",
    "method": "GET",
    "path": "/unified/ci-cd/jobs/399444496",
    "query_string": b"integrated_account_id=work-github",
    "client": ("127.0.0.1", 50000),
}
log = logging.getLogger("bench.accesslog")


async def app(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200})


async def send(message) -> None:
    pass


class Before:
    """The access log as it was: the baseline."""

    def __init__(self, inner) -> None:
        self.app = inner

    async def __call__(self, scope, receive, send) -> None:
        start, status = time.perf_counter(), 500

        async def sending(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            raw = scope.get("query_string", b"").decode("latin-1")
            query = urlencode(redact_query(parse_qsl(raw, keep_blank_values=True)), safe="[]")
            client = scope.get("client")
            who = f"{client[0]}:{client[1]}" if client else "-"
            log.info(
                '%s "%s %s%s" %d %.1fms',
                who,
                scope["method"],
                scope["path"],
                f"?{query}" if query else "",
                status,
                (time.perf_counter() - start) * 1000,
            )


async def per_request(middleware, count: int = 20000) -> float:
    for _ in range(500):
        await middleware(SCOPE, None, send)
    start = time.perf_counter()
    for n in range(count):
        await middleware(SCOPE, None, send)
        if n % 100 == 0:
            await asyncio.sleep(0)  # a turn of the loop, as a server has between requests
    return (time.perf_counter() - start) / count * 1e6


async def main() -> None:
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    handler.setFormatter(DefaultFormatter("%(levelprefix)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    logging.getLogger("unci.server").setLevel(logging.INFO)
    bare = min([await per_request(app) for _ in range(3)])
    before = min([await per_request(Before(app)) for _ in range(3)]) - bare
    now = (
        min(
            [
                await per_request(AccessLog(app, write=LineWriter(open(os.devnull, "w"))))  # noqa: SIM115
                for _ in range(3)
            ]
        )
        - bare
    )
    print(f"access log per request: before {before:.1f} us, now {now:.1f} us ({before / now:.1f}x less)")


if __name__ == "__main__":
    asyncio.run(main())
