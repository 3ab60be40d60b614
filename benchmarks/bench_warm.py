"""A warm client's get, from the library, against plain httpx + json.loads, as a ratio.

Both run in this process against the same local upstream on 127.0.0.1 (no latency, run as a
separate process), over one kept-alive connection each, in interleaved rounds; the figure is
the median round of each, and the ratio of the two in the same round. CPU time of this process
is reported too (less moved by other load on the machine than wall time).
Target: `unci.Client().get_job` at most 1.15x the plain loop.
Run: python benchmarks/bench_warm.py [--gets 500] [--rounds 9]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import httpx
from _measure import upstream

import unci

PARAMS = {"owner": "o", "repo_id": "r"}


def plain(client: httpx.Client, url: str, n: int) -> None:
    for i in range(1, n + 1):
        json.loads(client.get(f"{url}/repos/o/r/actions/jobs/{i}").content)


def with_unci(client: unci.Client, url: str, n: int) -> None:
    for i in range(1, n + 1):
        client.get_job("github", str(i), params=PARAMS, base_url=url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gets", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with upstream() as url, httpx.Client(timeout=30) as h, unci.Client() as u:
        plain(h, url, 20)  # warm: connections open, code paths run once
        with_unci(u, url, 20)
        walls: dict[str, list[float]] = {"plain": [], "unci": []}
        cpus: dict[str, list[float]] = {"plain": [], "unci": []}
        for _ in range(args.rounds):
            for name, run in (
                ("plain", lambda: plain(h, url, args.gets)),
                ("unci", lambda: with_unci(u, url, args.gets)),
            ):
                wall, cpu = time.perf_counter(), time.process_time()
                run()
                walls[name].append(time.perf_counter() - wall)
                cpus[name].append(time.process_time() - cpu)
    print(f"warm-client get, {args.gets} gets a round, median of {args.rounds} interleaved rounds")
    for name, label in (("plain", "httpx.Client + json.loads (baseline)"), ("unci", "unci.Client().get_job")):
        wall = statistics.median(walls[name]) / args.gets * 1e6
        cpu = statistics.median(cpus[name]) / args.gets * 1e6
        print(f"  {label:<40} {wall:7.1f} µs wall  {cpu:7.1f} µs CPU per get")
    ratio = statistics.median(u / p for u, p in zip(walls["unci"], walls["plain"], strict=True))
    cpu_ratio = statistics.median(u / p for u, p in zip(cpus["unci"], cpus["plain"], strict=True))
    print(f"  unci / baseline: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (target <= 1.15x)")


if __name__ == "__main__":
    main()
