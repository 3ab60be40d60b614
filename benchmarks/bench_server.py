"""Load on `unci serve`: 100 keep-alive connections against a local upstream, all on 127.0.0.1.

Three processes: an upstream that answers every GET with GitHub's job JSON (a bare asyncio
server, so what is measured is unci and not the stand-in), `unci serve` with an integrated
account pointing at it, and this load generator. The same load then runs against the upstream
directly; the overhead is the ratio between the two. The server's resident memory is read after
a warm-up and again after the load, to show whether it grows.

Bounded in time (by default 20 s of load on unci, 2.5 s direct and 3 s of single calls: under
30 s in all; ``--seconds 30`` gives the 30 s run) and never leaves 127.0.0.1. Run:
    python benchmarks/bench_server.py [--seconds 20] [--connections 100] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
TOKEN = "bench-token-0123456789abcdef"
JOB_ID = "399444496"


def job_body() -> bytes:
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers import cassette_body

    return cassette_body("github", "get_job")


# --- the upstream (run as its own process) ----------------------------------------------------


def serve_upstream() -> None:
    """Answer every request with the job, keep-alive; print the port, serve until killed."""
    body = job_body()
    reply = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
             b"x-ratelimit-limit: 5000\r\nx-ratelimit-remaining: 4999\r\n"
             b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    class Upstream(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while b"\r\n\r\n" in self.buffer:  # GETs carry no body
                _, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
                self.transport.write(reply)  # type: ignore[attr-defined]

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(Upstream, HOST, 0, backlog=1024)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(serve())


# --- the load generator -----------------------------------------------------------------------


async def _response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    pairs = (line.partition(":") for line in lines[1:] if line)
    headers = {k.strip().lower(): v.strip() for k, _, v in pairs}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _connection(port: int, request: bytes, until: float, latencies: list[float],
                      errors: list[str]) -> None:
    reader = writer = None
    while time.perf_counter() < until:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            start = time.perf_counter()
            writer.write(request)
            status = await _response(reader)
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(f"HTTP {status}")
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            errors.append(type(exc).__name__)
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def load(port: int, path: str, seconds: float, connections: int, headers: str = "") -> dict:
    """``connections`` keep-alive connections sending GETs back to back for ``seconds``."""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{headers}\r\n".encode()
    latencies: list[float] = []
    errors: list[str] = []

    async def run() -> float:
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(*(_connection(port, request, until, latencies, errors)
                               for _ in range(connections)))
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        if latencies else None,
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
    }


# --- processes -------------------------------------------------------------------------------


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), in MiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def start_unci(upstream: int, workdir: Path, workers: int,
               log_level: str) -> tuple[subprocess.Popen, int]:
    """`unci serve` with account ``bench`` (GitHub at the upstream); returns it and its port."""
    from unci import accounts

    config = workdir / "accounts.toml"
    account = accounts.Account(name="bench", provider="github", token_env="BENCH_GH_TOKEN",
                               base_url=f"http://{HOST}:{upstream}",
                               params={"owner": "octo-org", "repo_id": "octo-repo"})
    accounts.save({"bench": account}, config)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("UNCI_")},
           "UNCI_CONFIG": str(config), "UNCI_SERVER_TOKENS": TOKEN,
           "BENCH_GH_TOKEN": "ghp_benchmark_token_value", "PYTHONUNBUFFERED": "1"}
    unci = Path(sys.executable).with_name("unci")
    with socket.socket() as probe:  # a free port on loopback (the server binds it right after)
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [str(unci), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers),
         "--retries", "0", "--log-level", log_level],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # The access log (one line a request at info) is read away so the pipe never fills.
    tail: collections.deque[str] = collections.deque(maxlen=20)
    threading.Thread(target=lambda: tail.extend(process.stderr), daemon=True).start()
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=1) as conn:
                conn.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n"
                             "Connection: close\r\n\r\n".encode())
                if conn.recv(64).startswith(b"HTTP/1.1 200"):
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("unci serve did not start:\n" + "".join(tail))
        time.sleep(0.1)
    return process, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="seconds of load on unci (the direct run takes an eighth, at least 2.5)")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="unci serve --workers")
    parser.add_argument("--log-level", default="info",
                        help="unci serve --log-level (info, the default, logs each request)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    direct_seconds = max(2.5, args.seconds / 8)
    one = 1.5  # seconds of one connection, for the latency unci adds to a single call

    upstream = subprocess.Popen([sys.executable, __file__, "--serve-upstream"],
                                stdout=subprocess.PIPE, text=True)
    assert upstream.stdout is not None
    upstream_port = int(upstream.stdout.readline())
    direct_path = "/repos/octo-org/octo-repo/actions/jobs/1"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            server, port = start_unci(upstream_port, Path(tmp), args.workers, args.log_level)
            try:
                path = f"/unified/ci-cd/jobs/{JOB_ID}?integrated_account_id=bench"
                auth = f"Authorization: Bearer {TOKEN}\r\n"
                warm = load(port, path, 0.5, args.connections, auth)  # pools, imports, plugins
                if warm["errors"]:
                    raise SystemExit(f"warm-up failed: {warm['error_kinds']}")
                rss_before = rss_mib(server.pid)
                samples: list[float] = []
                stop = threading.Event()

                def sample() -> None:  # resident memory once a second during the load
                    while not stop.wait(1.0):
                        samples.append(rss_mib(server.pid))

                threading.Thread(target=sample, daemon=True).start()
                through = load(port, path, args.seconds, args.connections, auth)
                stop.set()
                rss_after = rss_mib(server.pid)
                single = load(port, path, one, 1, auth)
            finally:
                server.terminate()
                server.wait(timeout=10)
        load(upstream_port, direct_path, 0.25, args.connections)
        direct = load(upstream_port, direct_path, direct_seconds, args.connections)
        direct_single = load(upstream_port, direct_path, one, 1)
    finally:
        upstream.terminate()
        upstream.wait(timeout=10)

    figures = {
        "connections": args.connections, "seconds": args.seconds, "workers": args.workers,
        "unci": through, "direct": direct, "unci_one_connection": single,
        "direct_one_connection": direct_single,
        "rss_mib_before": round(rss_before, 1), "rss_mib_after": round(rss_after, 1),
        "rss_mib_during": [round(x, 1) for x in samples],
        "throughput_ratio_direct_over_unci": round(direct["rps"] / through["rps"], 1),
        "p50_ratio_unci_over_direct": round(through["p50_ms"] / direct["p50_ms"], 1),
        "added_ms_per_call": round(single["p50_ms"] - direct_single["p50_ms"], 2),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{args.connections} connections for {args.seconds:g} s on unci serve "
          f"({args.workers} worker(s), log level {args.log_level}), {direct_seconds:g} s on the "
          f"upstream directly; then one connection for {one:g} s on each; all on {HOST}")
    print(f"  {'':26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, row in ((f"unci serve, {args.connections} conn.", through),
                      (f"upstream, {args.connections} conn.", direct),
                      ("unci serve, 1 conn.", single), ("upstream, 1 conn.", direct_single)):
        print(f"  {name:26}{row['rps']:>9.0f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
              f"{row['errors']:>8}")
    half = samples[len(samples) // 2:] or [rss_after]
    print(f"  server RSS: {rss_before:.1f} MiB after warm-up, {rss_after:.1f} MiB after the load "
          f"({rss_after - rss_before:+.1f} MiB); over the second half of the load "
          f"{min(half):.1f} to {max(half):.1f} MiB")
    print(f"  overhead: the bare upstream serves {figures['throughput_ratio_direct_over_unci']}x "
          f"unci's requests/s; unci's p50 under load is {figures['p50_ratio_unci_over_direct']}x "
          f"the upstream's; one call through unci takes {figures['added_ms_per_call']} ms more")


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve-upstream"]:
        serve_upstream()
    else:
        main()
