"""`unci jobs watch` of a GitHub-shaped job on 127.0.0.1, counting the requests it makes.

1. A job that moves on every fifth poll (five states: queued, three steps, completed), watched
   at a fixed interval: with ETags (GitHub's way) every unchanged poll must be a 304, which
   GitHub does not count against the rate limit; the baseline is the same watch of a server
   that sends no ETags, where every poll is a full 200.
2. A job that moves on once a second, watched from a 0.1 s interval: backing off while nothing
   changes (up to 1 s) against polling at a fixed 0.1 s.

Each watch is a real `unci` process. Run: python benchmarks/bench_watch.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from githubwatch import PARAMS, Upstream, statuses  # noqa: E402

from localserver import serving  # noqa: E402

UNCI = str(Path(sys.executable).with_name("unci"))


def watch(url: str, *options: str) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        [UNCI, "jobs", "watch", "1", "-P", "github", "--base-url", url, *PARAMS, *options],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return time.perf_counter() - started, len(done.stdout.splitlines())


def every_fifth_poll(etags: bool) -> dict[str, float]:
    with serving() as server:
        upstream = Upstream(server, every=5, etags=etags)
        path = upstream.job(1, 7)
        seconds, lines = watch(server.url, "--interval", "0.05", "--max-interval", "0.05")
        seen = statuses(server, path)
        return {
            "requests": len(seen),
            "200": seen.count(200),
            "304": seen.count(304),
            "bytes": upstream.sent,
            "lines": lines,
            "seconds": seconds,
        }


def once_a_second(backoff: bool) -> dict[str, float]:
    with serving() as server:
        upstream = Upstream(server, period=1.0)
        path = upstream.job(1, 7)
        cap = "1.0" if backoff else "0.1"
        seconds, _lines = watch(server.url, "--interval", "0.1", "--max-interval", cap)
        seen = statuses(server, path)
        return {"requests": len(seen), "200": seen.count(200), "304": seen.count(304), "seconds": seconds}


def main() -> None:
    with_tags, without = every_fifth_poll(True), every_fifth_poll(False)
    print("1. a job that changes state every fifth poll (5 states), polled every 0.05 s")
    for label, r in (("with ETags (GitHub)", with_tags), ("without ETags (baseline)", without)):
        print(
            f"  {label:<26} {r['requests']:3.0f} requests: {r['200']:3.0f} x 200, {r['304']:3.0f} x 304;"
            f" {r['bytes'] / 1024:6.1f} KiB of bodies; {r['lines']:.0f} lines printed"
        )
    unchanged = with_tags["requests"] - with_tags["200"]
    print(
        f"  unchanged polls answered 304: {with_tags['304']:.0f} of {unchanged:.0f}; requests counted "
        f"against GitHub's limit: {with_tags['200'] / without['200']:.2f}x the baseline "
        f"({with_tags['200']:.0f} vs {without['200']:.0f}); body bytes "
        f"{with_tags['bytes'] / without['bytes']:.2f}x"
    )
    fixed, backed = once_a_second(False), once_a_second(True)
    print("2. a job that changes state once a second, --interval 0.1")
    for label, r in (("fixed 0.1 s (baseline)", fixed), ("backoff up to 1 s", backed)):
        print(f"  {label:<26} {r['requests']:3.0f} requests in {r['seconds']:4.1f} s")
    print(f"  requests with backoff: {backed['requests'] / fixed['requests']:.2f}x the fixed interval")


if __name__ == "__main__":
    main()
