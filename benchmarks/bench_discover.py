"""Jobs found through builds: `unci jobs list --since ... --all` against a sequential httpx loop
that lists the runs and then each run's jobs, both fresh processes, against the local
GitHub-shaped upstream (127.0.0.1, 20 ms of latency on every request, 200 runs of 50 jobs:
10,000 jobs). Also: how many requests a narrower --since makes (it stops at the first page of
runs wholly older), and peak memory at 10,000 jobs against 1,000.

Target: the unci walk several times the loop's throughput (it fetches 8 builds' jobs at once,
in order), peak memory flat.
Run: python benchmarks/bench_discover.py [--builds 200] [--jobs-per-build 50] [--latency 0.02]
     [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path

from _measure import run_peak, upstream

UNCI = str(Path(sys.executable).with_name("unci"))
#: Older than every run the upstream serves (its newest is 2026-11-30T12:00Z, one an hour).
ALL = "2026-01-01"

SEQUENTIAL = """
import httpx, json, sys
url, since = sys.argv[1], sys.argv[2]
jobs = 0
with httpx.Client(timeout=30) as c:
    runs, nxt = [], f"{url}/repos/ci/api/actions/runs?created=%3E%3D{since}&per_page=100"
    while nxt:
        r = c.get(nxt)
        runs += json.loads(r.content)["workflow_runs"]
        nxt = r.links.get("next", {}).get("url")
    for run in runs:
        nxt = f"{url}/repos/ci/api/actions/runs/{run['id']}/jobs?filter=all&per_page=100"
        while nxt:
            r = c.get(nxt)
            jobs += len(json.loads(r.content)["jobs"])
            nxt = r.links.get("next", {}).get("url")
print(jobs)
"""


def _unci(url: str, since: str, concurrency: int = 8) -> list[str]:
    return [
        UNCI,
        "jobs",
        "list",
        "-P",
        "github",
        "-p",
        "owner=ci",
        "-p",
        "repo_id=api",
        "--base-url",
        url,
        "--since",
        since,
        "--all",
        "--concurrency",
        str(concurrency),
    ]


def _requests(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_control/requests") as answer:
        seen = json.loads(answer.read())
    urllib.request.urlopen(urllib.request.Request(f"{url}/_control/forget", method="POST")).read()
    return len(seen)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=200)
    parser.add_argument("--jobs-per-build", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    env = {"GITHUB_TOKEN": "benchmark"}
    total = args.builds * args.jobs_per_build
    history = ["--builds", str(args.builds), "--jobs-per-build", str(args.jobs_per_build)]
    with upstream(args.latency, *history) as url:
        loop_s, loop_mb = run_peak([sys.executable, "-c", SEQUENTIAL, url, ALL], env)
        loop_requests = _requests(url)
        unci_s, unci_mb = run_peak(_unci(url, ALL, args.concurrency), env)
        unci_requests = _requests(url)
        # The newest 24 runs: a day of history out of the upstream's eight.
        narrow_s, _ = run_peak(_unci(url, "2026-11-29T12:30:00Z"), env)
        narrow_requests = _requests(url)
    tenth = ["--builds", str(args.builds // 10), "--jobs-per-build", str(args.jobs_per_build)]
    with upstream(args.latency, *tenth) as url:
        _, small_mb = run_peak(_unci(url, ALL), env)
    latency = f"{args.latency * 1000:g} ms a request"
    print(f"{args.builds} builds x {args.jobs_per_build} jobs = {total} jobs, {latency}")
    print(f"sequential httpx loop:  {loop_s:6.2f} s  {total / loop_s:7.0f} jobs/s  {loop_requests} requests")
    print(
        f"unci jobs list --since: {unci_s:6.2f} s  {total / unci_s:7.0f} jobs/s  {unci_requests} requests"
        f"  ({loop_s / unci_s:.1f}x the loop, --concurrency {args.concurrency})"
    )
    print(f"--since one day back:   {narrow_s:6.2f} s  {narrow_requests} requests")
    print(
        f"peak RSS: {unci_mb:.1f} MiB for {total} jobs, {small_mb:.1f} MiB for {total // 10} "
        f"(+{unci_mb - small_mb:.1f} MiB); the loop {loop_mb:.1f} MiB"
    )


if __name__ == "__main__":
    main()
