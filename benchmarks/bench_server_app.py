"""CPU per request of `unci serve`'s ASGI app alone, and of the bare aiohttp proxy's, driven in
this process without uvicorn or a socket in front: what each app's own work costs, apart from
the HTTP server and the load generator that bench_server.py measures with it.

The same upstream as bench_server.py (its own process, GitHub's job JSON on 127.0.0.1), the
same account, token and job. Each app gets its lifespan, a warm-up, then ``--requests``
requests one after another, in turns (``--rounds``); the figure is the median of the rounds'
CPU time per request of this process, and unci's over the proxy's in the same round.
``--profile`` prints unci's functions by their own time (cProfile, which inflates them).
Run: python benchmarks/bench_server_app.py [--requests 3000] [--rounds 5] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_server as b

Scope = dict[str, Any]


def unci_app(port: int, workdir: Path) -> tuple[Any, str, bytes]:
    from unci.server.accesslog import LineWriter
    from unci.server.app import ServerConfig, create_app

    config = b.accounts_file(port, workdir)
    os.environ.update(UNCI_CONFIG=str(config), BENCH_GH_TOKEN="ghp_benchmark_token_value")
    # As `unci serve` runs by default: access lines on (to /dev/null here), tokens checked.
    sink = open(os.devnull, "w")  # noqa: SIM115 - open for the process's life
    app = create_app(ServerConfig(tokens=[b.TOKEN], access_log=LineWriter(sink)))
    return app, f"/unified/ci-cd/jobs/{b.JOB_ID}", b"integrated_account_id=bench"


def bare_app(port: int) -> tuple[Any, str, bytes]:
    return b.proxy_app("aiohttp", port), "/job", b""


class Driven:
    """An app, its lifespan started, and one request to send it again and again."""

    def __init__(self, app: Any, path: str, query: bytes) -> None:
        self.app, self.path, self.query = app, path, query
        self.sent: list[dict] = []
        self.messages: asyncio.Queue = asyncio.Queue()

    async def start(self) -> None:
        started = asyncio.Event()

        async def receive() -> dict:
            return await self.messages.get()

        async def send(message: dict) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()

        await self.messages.put({"type": "lifespan.startup"})
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self.lifespan = asyncio.create_task(self.app(scope, receive, send))
        await started.wait()

    async def stop(self) -> None:
        await self.messages.put({"type": "lifespan.shutdown"})
        await self.lifespan

    def scope(self) -> Scope:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "root_path": "",
            "query_string": self.query,
            "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {b.TOKEN}".encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }

    async def one(self) -> None:
        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            self.sent.append(message)

        self.sent.clear()
        await self.app(self.scope(), receive, send)
        if self.sent[0].get("status") != 200:
            raise SystemExit(f"{self.path}: {self.sent}")

    async def cpu_per_request(self, n: int) -> float:
        start = time.process_time()
        for _ in range(n):
            await self.one()
        return (time.process_time() - start) / n


async def measure(args: argparse.Namespace, port: int, workdir: Path) -> None:
    apps = {"unci": Driven(*unci_app(port, workdir)), "bare": Driven(*bare_app(port))}
    for app in apps.values():
        await app.start()
        for _ in range(300):
            await app.one()
    rounds: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(args.rounds):
        for name, app in apps.items():
            rounds[name].append(await app.cpu_per_request(args.requests))
    ratios = [u / p for u, p in zip(rounds["unci"], rounds["bare"], strict=True)]
    unci, bare = statistics.median(rounds["unci"]), statistics.median(rounds["bare"])
    print(
        f"{args.requests} requests x {args.rounds} rounds, one after another, in this process:\n"
        f"  unci's app        {unci * 1e6:7.1f} us CPU per request\n"
        f"  bare aiohttp app  {bare * 1e6:7.1f} us CPU per request\n"
        f"  unci's app is {statistics.median(ratios):.2f}x the bare app's (per round: "
        f"{', '.join(f'{r:.2f}' for r in ratios)}); {(unci - bare) * 1e6:.0f} us more per request"
    )
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        await apps["unci"].cpu_per_request(args.requests)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(r"unci", 30)
    for app in apps.values():
        await app.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    command = [sys.executable, b.__file__, "--serve-upstream"]
    upstream = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert upstream.stdout is not None
        port = int(upstream.stdout.readline())
        with tempfile.TemporaryDirectory() as workdir:
            asyncio.run(measure(args, port, Path(workdir)))
    finally:
        upstream.terminate()
        upstream.wait(timeout=10)


if __name__ == "__main__":
    main()
