"""Load on `unci serve`: 100 keep-alive connections against a local upstream, all on 127.0.0.1.

Processes: an upstream that answers every GET with GitHub's job JSON (a bare asyncio server,
so what is measured is unci and not the stand-in; it also counts the TCP connections it
accepts), `unci serve` with an integrated account pointing at it, this load generator, and in
turn three baselines on the same uvicorn and Starlette: a bare aiohttp proxy, a bare
httpx.AsyncClient proxy, and bare httpx over unci's own pools. Per run: requests/s, latency,
the server's CPU time per request (user + system, from /proc) and the new upstream connections
per 100 requests. The server's resident memory is read after a warm-up and during the load.

unci and the bare aiohttp proxy run side by side and take turns, ``--rounds`` rounds of
``--seconds`` each (a shared machine is noisy: what is robust is the median of the per-round
ratios of CPU per request); the other baselines and the upstream directly get one run each.
Bounded in time (5 rounds of 3 s on each of the two, 3 s on each other baseline and on the
upstream directly, 1.5 s of single calls: under a minute in all) and never leaves 127.0.0.1.
Run:
    python benchmarks/bench_server.py [--rounds 5] [--seconds 3] [--connections 100] [--workers 1]
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
    reply = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
        b"x-ratelimit-limit: 5000\r\nx-ratelimit-remaining: 4999\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )

    opened = [0]

    class Upstream(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.buffer = b""
            opened[0] += 1

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while b"\r\n\r\n" in self.buffer:  # GETs carry no body
                head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
                if head.startswith(b"GET /__connections "):  # how many TCP connections so far
                    count = str(opened[0]).encode()
                    self.transport.write(
                        b"HTTP/1.1 200 OK\r\nContent-Length: "  # type: ignore[attr-defined]
                        + str(len(count)).encode()
                        + b"\r\n\r\n"
                        + count
                    )
                    continue
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


async def _connection(
    port: int, request: bytes, until: float, latencies: list[float], errors: list[str]
) -> None:
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
        await asyncio.gather(
            *(_connection(port, request, until, latencies, errors) for _ in range(connections))
        )
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        if latencies
        else None,
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
    }


# --- the baselines: bare proxies on the same uvicorn and Starlette (run as their own process) ---


def proxy_app(kind: str, upstream: int):
    """One route, ``/job``, that forwards to the upstream with a bare ``aiohttp`` or ``httpx``
    client (or httpx over unci's own transport, ``httpx-pools``) and answers its body: what a
    proxy costs with no unci in it (no accounts, checks, mapping, log)."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    url = f"http://{HOST}:{upstream}/repos/octo-org/octo-repo/actions/jobs/{JOB_ID}"
    headers = {"Authorization": "Bearer ghp_benchmark_token_value", "Accept": "application/vnd.github+json"}
    state: dict = {}

    async def job(request):
        if kind == "aiohttp":
            async with state["client"].get(url, headers=headers) as answer:
                body = await answer.read()
                return Response(body, status_code=answer.status, media_type="application/json")
        answer = await state["client"].get(url, headers=headers)
        return Response(answer.content, status_code=answer.status_code, media_type="application/json")

    async def health(request):
        return Response(b'{"status":"ok"}', media_type="application/json")

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app):
        if kind == "aiohttp":
            import aiohttp

            state["client"] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, limit_per_host=100)
            )
        elif kind == "httpx-pools":
            import httpx

            from unci.server.pools import OriginPools

            state["client"] = httpx.AsyncClient(transport=OriginPools())
        else:
            import httpx

            state["client"] = httpx.AsyncClient(
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=100)
            )
        yield
        await (state["client"].close() if kind == "aiohttp" else state["client"].aclose())

    return Starlette(routes=[Route("/job", job), Route("/healthz", health)], lifespan=lifespan)


def _installed(name: str) -> str | None:
    """``name`` and its version where uvicorn would pick it up (the ``server`` extra installs
    uvloop and httptools; without them both servers run on asyncio and h11, and the figures
    are not the ones a user of the extra gets)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return None


def serve_proxy(kind: str, port: int, upstream: int) -> None:
    """:func:`proxy_app` under uvicorn (1 worker, httptools where installed), no access log."""
    import uvicorn

    app = proxy_app(kind, upstream)
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False, server_header=False)


# --- processes -------------------------------------------------------------------------------


def _pids(pid: int) -> list[int]:
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    return pids


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), in MiB."""
    total = 0
    for p in _pids(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (all their threads) so far."""
    ticks = 0
    for p in _pids(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def upstream_connections(port: int) -> int:
    """How many TCP connections the upstream has accepted so far (asked on a connection of its
    own, which is counted too)."""
    with socket.create_connection((HOST, port), timeout=5) as conn:
        conn.sendall(b"GET /__connections HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data or not data.split(b"\r\n\r\n", 1)[1]:
            data += conn.recv(256)
        return int(data.split(b"\r\n\r\n", 1)[1])


def _free_port() -> int:
    with socket.socket() as probe:  # a free port on loopback (the server binds it right after)
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _wait_healthy(process: subprocess.Popen, port: int, tail: collections.deque[str]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=1) as conn:
                conn.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                if conn.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the server did not start:\n" + "".join(tail))
        time.sleep(0.1)


def _spawn(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # The access log (one line a request at info) is read away so the pipe never fills.
    tail: collections.deque[str] = collections.deque(maxlen=20)
    threading.Thread(target=lambda: tail.extend(process.stderr), daemon=True).start()
    _wait_healthy(process, port, tail)
    return process


def accounts_file(upstream: int, workdir: Path) -> Path:
    """An accounts file in ``workdir`` with account ``bench``: GitHub at the upstream, its
    token in ``BENCH_GH_TOKEN``."""
    from unci import accounts

    config = workdir / "accounts.toml"
    account = accounts.Account(
        name="bench",
        provider="github",
        token_env="BENCH_GH_TOKEN",
        base_url=f"http://{HOST}:{upstream}",
        params={"owner": "octo-org", "repo_id": "octo-repo"},
    )
    accounts.save({"bench": account}, config)
    return config


def start_unci(upstream: int, workdir: Path, workers: int, log_level: str) -> tuple[subprocess.Popen, int]:
    """`unci serve` with account ``bench`` (GitHub at the upstream); returns it and its port."""
    config = accounts_file(upstream, workdir)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("UNCI_")},
        "UNCI_CONFIG": str(config),
        "UNCI_SERVER_TOKENS": TOKEN,
        "BENCH_GH_TOKEN": "ghp_benchmark_token_value",
        "PYTHONUNBUFFERED": "1",
    }
    unci = Path(sys.executable).with_name("unci")
    port = _free_port()
    process = _spawn(
        [
            str(unci),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--retries",
            "0",
            "--log-level",
            log_level,
        ],
        env,
        port,
    )
    return process, port


def start_proxy(kind: str, upstream: int) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    process = _spawn(
        [sys.executable, __file__, "--serve-proxy", kind, str(port), str(upstream)], dict(os.environ), port
    )
    return process, port


def measured(
    pid: int, upstream: int, port: int, path: str, seconds: float, connections: int, headers: str = ""
) -> dict:
    """A load run with the server's CPU time per request and the upstream connections it
    opened per 100 requests."""
    cpu, opened = cpu_seconds(pid), upstream_connections(upstream)
    row = load(port, path, seconds, connections, headers)
    cpu, opened = cpu_seconds(pid) - cpu, upstream_connections(upstream) - opened - 1
    row["cpu_us_per_request"] = cpu / max(1, row["requests"]) * 1e6
    row["upstream_connections_per_100"] = opened / max(1, row["requests"]) * 100
    return row


#: A load run's figures that are reported as their median over the rounds.
FIGURES = ("requests", "rps", "p50_ms", "p99_ms", "cpu_us_per_request", "upstream_connections_per_100")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds of unci and the bare aiohttp proxy, taking turns"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=3.0,
        help="seconds of load per round, and on each other baseline (at least 3)",
    )
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="unci serve --workers")
    parser.add_argument(
        "--log-level", default="info", help="unci serve --log-level (info, the default, logs each request)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    other = max(3.0, args.seconds)
    one = 1.5  # seconds of one connection, for the latency unci adds to a single call

    upstream = subprocess.Popen(
        [sys.executable, __file__, "--serve-upstream"], stdout=subprocess.PIPE, text=True
    )
    assert upstream.stdout is not None
    up = int(upstream.stdout.readline())
    direct_path = "/repos/octo-org/octo-repo/actions/jobs/1"
    rows: dict[str, dict] = {}
    rounds: dict[str, list[dict]] = {"unci": [], "bare_aiohttp_proxy": []}
    path = f"/unified/ci-cd/jobs/{JOB_ID}?integrated_account_id=bench"
    auth = f"Authorization: Bearer {TOKEN}\r\n"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            server, port = start_unci(up, Path(tmp), args.workers, args.log_level)
            proxy, proxy_port = start_proxy("aiohttp", up)
            try:
                warm = load(port, path, 1.0, args.connections, auth)  # pools, imports, plugins
                if warm["errors"]:
                    raise SystemExit(f"warm-up failed: {warm['error_kinds']}")
                load(proxy_port, "/job", 1.0, args.connections)
                rss_before = rss_mib(server.pid)
                samples: list[float] = []
                stop = threading.Event()

                def sample() -> None:  # resident memory once a second during unci's rounds
                    while not stop.wait(1.0):
                        if sampling.is_set():
                            samples.append(rss_mib(server.pid))

                sampling = threading.Event()
                threading.Thread(target=sample, daemon=True).start()
                # Taking turns, so both see the same machine (a shared one is noisy): the
                # robust figure is the median of the per-round ratios.
                for _ in range(args.rounds):
                    sampling.set()
                    rounds["unci"].append(
                        measured(server.pid, up, port, path, args.seconds, args.connections, auth)
                    )
                    sampling.clear()
                    rounds["bare_aiohttp_proxy"].append(
                        measured(proxy.pid, up, proxy_port, "/job", args.seconds, args.connections)
                    )
                stop.set()
                rss_after = rss_mib(server.pid)
                rows["unci_one_connection"] = load(port, path, one, 1, auth)
            finally:
                for process in (server, proxy):
                    process.terminate()
                    process.wait(timeout=10)
        for kind in ("httpx", "httpx-pools"):
            proxy, proxy_port = start_proxy(kind, up)
            try:
                load(proxy_port, "/job", 1.0, args.connections)
                rows[f"bare_{kind}_proxy"] = measured(
                    proxy.pid, up, proxy_port, "/job", other, args.connections
                )
            finally:
                proxy.terminate()
                proxy.wait(timeout=10)
        load(up, direct_path, 0.25, args.connections)
        rows["direct"] = load(up, direct_path, other, args.connections)
        rows["direct_one_connection"] = load(up, direct_path, one, 1)
    finally:
        upstream.terminate()
        upstream.wait(timeout=10)

    for key, runs in rounds.items():  # each figure's median over the rounds
        rows[key] = {
            name: statistics.median(run[name] for run in runs)
            for name in (
                "requests",
                "rps",
                "p50_ms",
                "p99_ms",
                "cpu_us_per_request",
                "upstream_connections_per_100",
            )
        }
        rows[key]["errors"] = sum(run["errors"] for run in runs)
        rows[key]["error_kinds"] = sorted({kind for run in runs for kind in run["error_kinds"]})
    unci, direct = rows["unci"], rows["direct"]
    cpu_ratios = [
        u["cpu_us_per_request"] / a["cpu_us_per_request"]
        for u, a in zip(rounds["unci"], rounds["bare_aiohttp_proxy"], strict=True)
    ]
    rps_ratios = [
        a["rps"] / u["rps"] for u, a in zip(rounds["unci"], rounds["bare_aiohttp_proxy"], strict=True)
    ]
    figures = {
        "event_loop": _installed("uvloop") or "asyncio",
        "http_parser": _installed("httptools") or "h11",
        "connections": args.connections,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "workers": args.workers,
        "load_average": os.getloadavg(),
        **rows,
        "rounds_detail": rounds,
        "rss_mib_before": round(rss_before, 1),
        "rss_mib_after": round(rss_after, 1),
        "rss_mib_during": [round(x, 1) for x in samples],
        "throughput_ratio_direct_over_unci": round(direct["rps"] / unci["rps"], 1),
        "cpu_ratios_unci_over_bare_aiohttp": [round(r, 2) for r in cpu_ratios],
        "cpu_ratio_unci_over_bare_aiohttp": round(statistics.median(cpu_ratios), 2),
        "rps_ratio_bare_aiohttp_over_unci": round(statistics.median(rps_ratios), 2),
        "added_ms_per_call": round(
            rows["unci_one_connection"]["p50_ms"] - rows["direct_one_connection"]["p50_ms"], 2
        ),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"{args.connections} connections: {args.rounds} rounds of {args.seconds:g} s on unci serve "
        f"({args.workers} worker(s), log level {args.log_level}) and on the bare aiohttp proxy, taking "
        f"turns (medians shown); {other:g} s on each other baseline; then one connection for "
        f"{one:g} s; all on {HOST}; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
        f"event loop {figures['event_loop']}, HTTP parser {figures['http_parser']} (both servers)"
    )
    print(
        f"  {'':32}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>7}{'CPU us/req':>11}{'new conn/100':>13}"
    )
    names = {
        "unci": f"unci serve, {args.connections} conn.",
        "bare_aiohttp_proxy": "bare aiohttp proxy (Starlette)",
        "bare_httpx_proxy": "bare httpx proxy (Starlette)",
        "bare_httpx-pools_proxy": "bare httpx over unci's pools",
        "direct": f"upstream directly, {args.connections} conn.",
        "unci_one_connection": "unci serve, 1 conn.",
        "direct_one_connection": "upstream directly, 1 conn.",
    }
    for key, name in names.items():
        row = rows[key]
        cpu = f"{row['cpu_us_per_request']:.0f}" if "cpu_us_per_request" in row else "-"
        new = f"{row['upstream_connections_per_100']:.2f}" if "upstream_connections_per_100" in row else "-"
        print(
            f"  {name:32}{row['rps']:>8.0f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
            f"{row['errors']:>7}{cpu:>11}{new:>13}"
        )
    half = samples[len(samples) // 2 :] or [rss_after]
    print(
        f"  server RSS: {rss_before:.1f} MiB after warm-up, {rss_after:.1f} MiB after the load "
        f"({rss_after - rss_before:+.1f} MiB); over the second half of the load "
        f"{min(half):.1f} to {max(half):.1f} MiB"
    )
    print(
        f"  CPU per request: unci is {figures['cpu_ratio_unci_over_bare_aiohttp']}x the bare aiohttp "
        f"proxy (per round: {', '.join(f'{r:.2f}' for r in cpu_ratios)}); the bare aiohttp proxy "
        f"serves {figures['rps_ratio_bare_aiohttp_over_unci']}x unci's requests/s, the bare upstream "
        f"{figures['throughput_ratio_direct_over_unci']}x; one call through unci takes "
        f"{figures['added_ms_per_call']} ms more"
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve-upstream"]:
        serve_upstream()
    elif sys.argv[1:2] == ["--serve-proxy"]:
        serve_proxy(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
