"""Instructions per proxied request of `unci serve` and of the bare aiohttp proxy, which load
does not move (the wall-clock CPU of bench_server.py moves by a third on a shared machine).

Each server runs under ``valgrind --tool=callgrind`` (uvicorn, 1 worker, the same upstream and
account as bench_server.py, the upstream itself not counted). After a warm-up, ``callgrind_control``
zeroes the counts, ``--connections`` keep-alive connections send ``small`` requests each, the
counts are dumped; then the same with ``large``. The difference over the extra requests is the
cost of one request, start-up, warm-up and idle time cancelled out. Only user-space
instructions are counted: the system calls (the same number for both) are not.

``--before PATH`` also counts `unci serve` run from the checkout at PATH (its ``core/src`` put
first on ``PYTHONPATH``), in the same run.

Run: python benchmarks/bench_server_instructions.py [--connections 20] [--before /tmp/before]
(needs valgrind; a few minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_server as b  # noqa: E402

SMALL, LARGE = 10, 60


def _healthy(port: int, process: subprocess.Popen, deadline: float = 180) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with socket.create_connection((b.HOST, port), timeout=5) as conn:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if conn.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        if process.poll() is not None:
            raise SystemExit("the server under callgrind exited")
        time.sleep(0.5)
    raise SystemExit("the server under callgrind did not start")


def _requests(port: int, path: str, headers: str, connections: int, each: int) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: {b.HOST}:{port}\r\n{headers}\r\n".encode()

    async def one() -> None:
        reader, writer = await asyncio.open_connection(b.HOST, port)
        for _ in range(each):
            writer.write(request)
            status = await b._response(reader)
            if status != 200:
                raise SystemExit(f"HTTP {status} from the server under callgrind")
        writer.close()

    async def run() -> None:
        await asyncio.gather(*(one() for _ in range(connections)))

    asyncio.run(run())


def _total(path: str) -> int:
    with open(path) as dump:
        for line in dump:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise SystemExit(f"no total in {path}")


def count(kind: str, upstream: int, workdir: Path, connections: int, pythonpath: str | None) -> float:
    """Instructions per request of one server (``unci`` or ``aiohttp``)."""
    port = b._free_port()
    out = workdir / f"callgrind.{kind}.out"
    env = dict(os.environ)
    if kind == "unci":
        config = b.accounts_file(upstream, workdir)
        env = {k: v for k, v in env.items() if not k.startswith("UNCI_")}
        env.update(
            UNCI_CONFIG=str(config),
            UNCI_SERVER_TOKENS=b.TOKEN,
            BENCH_GH_TOKEN="ghp_benchmark_token_value",
        )
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        command = [sys.executable, "-m", "unci", "serve", "--host", b.HOST, "--port", str(port)]
        command += ["--retries", "0", "--log-level", "info"]
        path, headers = (
            f"/unified/ci-cd/jobs/{b.JOB_ID}?integrated_account_id=bench",
            f"Authorization: Bearer {b.TOKEN}\r\n",
        )
    else:
        command = [
            sys.executable,
            str(HERE / "bench_server.py"),
            "--serve-proxy",
            kind,
            str(port),
            str(upstream),
        ]
        path, headers = "/job", ""
    valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    process = subprocess.Popen(
        valgrind + command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _healthy(port, process)
        _requests(port, path, headers, connections, 20)  # warm-up: imports, pools, caches
        totals = []
        for each in (SMALL, LARGE):
            subprocess.run(["callgrind_control", "-z", str(process.pid)], check=True, capture_output=True)
            _requests(port, path, headers, connections, each)
            for old in glob.glob(f"{out}.*"):
                os.remove(old)
            subprocess.run(["callgrind_control", "-d", str(process.pid)], check=True, capture_output=True)
            time.sleep(0.5)
            totals.append(_total(sorted(glob.glob(f"{out}.*"))[-1]))
        return (totals[1] - totals[0]) / ((LARGE - SMALL) * connections)
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--before", type=Path, help="a checkout of the code before, counted too")
    args = parser.parse_args()
    upstream = subprocess.Popen(
        [sys.executable, str(HERE / "bench_server.py"), "--serve-upstream"], stdout=subprocess.PIPE, text=True
    )
    assert upstream.stdout is not None
    port = int(upstream.stdout.readline())
    rows: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            if args.before:
                rows["unci serve, before"] = count(
                    "unci", port, work, args.connections, str(args.before / "core" / "src")
                )
            rows["unci serve"] = count("unci", port, work, args.connections, None)
            rows["bare aiohttp proxy"] = count("aiohttp", port, work, args.connections, None)
    finally:
        upstream.terminate()
        upstream.wait(timeout=10)
    base = rows["bare aiohttp proxy"]
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"instructions per request, {args.connections} connections; load average {load}")
    for name, value in rows.items():
        print(f"  {name:24} {value:>12,.0f}  {value / base:.2f}x")


if __name__ == "__main__":
    main()
