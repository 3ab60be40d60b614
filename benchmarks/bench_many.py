"""Listing 10,000 jobs over 100 pages, and getting 1,000 jobs by id, against a local upstream
(127.0.0.1) that adds 20 ms of latency to every request; each against a plain sequential httpx
loop making the same requests, run in the same way (a fresh process each, peak RSS from wait4).

Targets: get_jobs at least 6x the sequential loop's throughput; `unci jobs list --all` at least
4x the sequential loop (the upstream names the last page as GitHub does, so unci fetches the
numbered pages several at once) with peak memory flat (10,000 jobs vs 1,000 within 10 MB).
Run: python benchmarks/bench_many.py [--ids 1000] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _measure import compile_unci, run_peak, upstream

UNCI = str(Path(sys.executable).with_name("unci"))

SEQUENTIAL_GET = """
import httpx, json, sys
url, n = sys.argv[1], int(sys.argv[2])
with httpx.Client(timeout=30) as c:
    for i in range(1, n + 1):
        json.loads(c.get(f"{url}/repos/o/r/actions/jobs/{i}").content)
"""
UNCI_GET = """
import sys, unci
url, n, conc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
results = unci.get_jobs("github", [str(i) for i in range(1, n + 1)],
                        params={"owner": "o", "repo_id": "r"}, base_url=url, concurrency=conc)
assert all(isinstance(r, unci.Job) for r in results), [r for r in results if not isinstance(r, unci.Job)][:1]
"""
GATHER_GET = """
import asyncio, httpx, json, sys
url, n, conc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
async def main():
    gate = asyncio.Semaphore(conc)
    async with httpx.AsyncClient(timeout=30) as c:
        async def one(i):
            async with gate:
                return json.loads((await c.get(f"{url}/repos/o/r/actions/jobs/{i}")).content)
        await asyncio.gather(*(one(i) for i in range(1, n + 1)))
asyncio.run(main())
"""
UNCI_AGET = """
import asyncio, sys, unci
url, n, conc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
results = asyncio.run(unci.aget_jobs("github", [str(i) for i in range(1, n + 1)],
                      params={"owner": "o", "repo_id": "r"}, base_url=url, concurrency=conc))
assert all(isinstance(r, unci.Job) for r in results)
"""
SEQUENTIAL_LIST = """
import httpx, json, sys, re
url, pages = sys.argv[1], sys.argv[2]
count = 0
nxt = f"{url}/repos/o/r/actions/runs/{pages}/jobs?filter=all&per_page=100"
with httpx.Client(timeout=30) as c:
    while nxt:
        r = c.get(nxt)
        count += len(json.loads(r.content)["jobs"])
        m = re.search(r'<([^>]+)>; rel="next"', r.headers.get("link", ""))
        nxt = m.group(1) if m else None
assert count == int(pages) * 100
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ids", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    py = sys.executable
    compile_unci()
    with upstream(args.latency) as url:
        seq_get = run_peak([py, "-c", SEQUENTIAL_GET, url, str(args.ids)])
        many = [url, str(args.ids), str(args.concurrency)]
        # Interleaved, three of each: the hand-written gather is the baseline of both.
        gathers, syncs, asyncs = [], [], []
        for _ in range(3):
            gathers.append(run_peak([py, "-c", GATHER_GET, *many])[0])
            syncs.append(run_peak([py, "-c", UNCI_GET, *many]))
            asyncs.append(run_peak([py, "-c", UNCI_AGET, *many])[0])
        unci_get = min(syncs)
        lists = {}
        for pages in (10, 100):
            lists[pages] = (
                run_peak([py, "-c", SEQUENTIAL_LIST, url, str(pages)]),
                run_peak(
                    [
                        UNCI,
                        "jobs",
                        "list",
                        "-P",
                        "github",
                        "-p",
                        "owner=o",
                        "-p",
                        "repo_id=r",
                        "-p",
                        f"build={pages}",
                        "--all",
                        "--base-url",
                        url,
                    ]
                ),
            )
    print(f"get {args.ids} jobs by id, {args.latency * 1000:.0f} ms upstream latency")
    for label, (secs, peak) in (
        ("sequential httpx loop", seq_get),
        (f"unci.get_jobs(concurrency={args.concurrency})", unci_get),
    ):
        print(f"  {label:<32} {args.ids / secs:8.1f} jobs/s   {peak:6.1f} MiB peak")
    print(f"  get_jobs throughput: {seq_get[0] / unci_get[0]:.1f}x the sequential loop (target >= 6x)")
    gather = min(gathers)
    print(
        f"  hand-written asyncio + httpx.AsyncClient gather ({args.concurrency} at a time), best of 3:"
        f" {args.ids / gather:.1f} jobs/s"
    )
    print(
        f"  unci.get_jobs {gather / unci_get[0]:.2f}x and unci.aget_jobs {gather / min(asyncs):.2f}x"
        " the gather's throughput (target >= 1.0x for both)"
    )
    print("list every job of a run, 100 jobs a page (`unci jobs list --all`, JSON Lines)")
    for pages, ((s_secs, s_peak), (u_secs, u_peak)) in lists.items():
        jobs = pages * 100
        print(
            f"  {jobs:>6} jobs: sequential httpx loop {jobs / s_secs:8.1f} jobs/s {s_peak:6.1f} MiB"
            f" | unci --all {jobs / u_secs:8.1f} jobs/s {u_peak:6.1f} MiB"
        )
        print(f"         unci --all throughput: {s_secs / u_secs:.1f}x the sequential loop (target >= 4x)")
    growth = lists[100][1][1] - lists[10][1][1]
    print(f"  unci --all peak memory, 10,000 vs 1,000 jobs: {growth:+.1f} MiB (target within 10 MB)")


if __name__ == "__main__":
    main()
