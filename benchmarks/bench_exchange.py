"""CPU of one keep-alive HTTP/1.1 exchange from Python: aiohttp's ``session.get`` and read (what
`unci serve` and the bare proxy of bench_server.py both make per request) against the least an
exchange can cost on the same event loop: a request's bytes written on an asyncio protocol and
the answer parsed by httptools (uvicorn's parser), with nothing else (no timeouts, pool, TLS,
redirects, decompression or error mapping).

Not a client for unci: a floor, to tell how much of a proxied request's CPU a leaner client
than aiohttp could give back at most (#16's CPU goal, docs/performance.md).

The same upstream as bench_server.py (its own process, GitHub's job JSON on 127.0.0.1), one
connection, ``--requests`` exchanges one after another per round, the two taking turns for
``--rounds``; the figures are medians of the rounds' CPU time of this process per exchange.
Run: python benchmarks/bench_exchange.py [--requests 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import bench_server as b

HEADERS = {"Accept": "application/vnd.github+json", "Authorization": "Bearer ghp_benchmark_token_value"}


class _Floor(asyncio.Protocol):
    """One connection; :meth:`get` writes a request and waits for its whole answer."""

    def __init__(self) -> None:
        import httptools

        self.parser = httptools.HttpResponseParser(self)
        self.body: list[bytes] = []
        self.done: asyncio.Future[bytes] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        body, self.body = b"".join(self.body), []
        if self.done is not None:
            self.done.set_result(body)

    async def get(self, request: bytes) -> bytes:
        self.done = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.done


async def _rounds(port: int, requests: int, rounds: int) -> dict[str, list[float]]:
    import aiohttp

    url = f"http://{b.HOST}:{port}/repos/o/r/actions/jobs/{b.JOB_ID}"
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def with_aiohttp() -> None:
        async with session.get(url, headers=HEADERS) as answer:
            await answer.read()

    loop = asyncio.get_running_loop()
    _, floor = await loop.create_connection(_Floor, b.HOST, port)
    request = (
        f"GET /repos/o/r/actions/jobs/{b.JOB_ID} HTTP/1.1\r\nHost: {b.HOST}:{port}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items())
        + "\r\n"
    ).encode()

    async def with_floor() -> None:
        await floor.get(request)

    kinds: dict[str, Callable[[], Awaitable[None]]] = {"aiohttp": with_aiohttp, "floor": with_floor}
    cpu: dict[str, list[float]] = {name: [] for name in kinds}
    for call in kinds.values():  # warm-up: the connection, imports, caches
        for _ in range(200):
            await call()
    for _ in range(rounds):
        for name, call in kinds.items():
            start = time.process_time()
            for _ in range(requests):
                await call()
            cpu[name].append((time.process_time() - start) / requests * 1e6)
    await session.close()
    floor.transport.close()
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    upstream = subprocess.Popen(
        [sys.executable, b.__file__, "--serve-upstream"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert upstream.stdout is not None
        port = int(upstream.stdout.readline())
        try:
            import uvloop

            run: Callable[..., Any] = uvloop.run
            loop_name = "uvloop"
        except ImportError:
            run, loop_name = asyncio.run, "asyncio"
        cpu = run(_rounds(port, args.requests, args.rounds))
    finally:
        upstream.kill()
        upstream.wait()
    a, f = statistics.median(cpu["aiohttp"]), statistics.median(cpu["floor"])
    print(f"{args.rounds} rounds of {args.requests} exchanges, one connection, event loop {loop_name}:")
    print(f"  aiohttp session.get + read        {a:7.1f} us CPU per exchange")
    print(f"  floor: asyncio protocol + httptools {f:5.1f} us CPU per exchange")
    print(f"  aiohttp is {a / f:.2f}x the floor; a leaner client could give back at most {a - f:.1f} us")


if __name__ == "__main__":
    main()
