"""Peak memory of `--format raw` and `--format stream` on a large job body, each in its own process.

Both run the real CLI in a fresh process against a local upstream (127.0.0.1) that writes the
body in 64 KiB chunks; peak RSS comes from the kernel (wait4). The 10 MB stream run is the
baseline of the same run: a constant-memory format stays near it whatever the body's size.
Target: raw and stream both under 64 MiB on a 200 MB body. The body is over the default body
cap (64 MiB), so the runs pass --max-body. Run: python benchmarks/bench_stream.py [megabytes]
"""

from __future__ import annotations

import sys
from pathlib import Path

from _measure import run_peak, upstream

UNCI = str(Path(sys.executable).with_name("unci"))


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with upstream() as url:
        results = {}
        for label, mb, fmt in (
            ("stream, 10 MB body", 10, "stream"),
            (f"stream, {size} MB body", size, "stream"),
            (f"raw, {size} MB body", size, "raw"),
        ):
            cmd = [
                UNCI,
                "jobs",
                "get",
                f"huge-{mb}",
                "-P",
                "github",
                "-p",
                "owner=o",
                "-p",
                "repo_id=r",
                "--base-url",
                url,
                "--format",
                fmt,
                "--max-body",
                "4GiB",
            ]
            results[label] = run_peak(cmd)
    base = results["stream, 10 MB body"][1]
    print("peak RSS of `unci jobs get --format stream|raw` on a large body (local upstream)")
    for label, (secs, peak) in results.items():
        print(f"  {label:<22} {peak:7.1f} MiB peak ({peak / base:4.2f}x the 10 MB stream)   {secs:5.2f} s")
    for fmt in ("stream", "raw"):
        peak = results[f"{fmt}, {size} MB body"][1]
        print(f"  {fmt} peak under 64 MiB: {'yes' if peak < 64 else 'NO'}")


if __name__ == "__main__":
    main()
