"""Peak memory of `--format stream` on a 200 MB job body, against `--format raw` on the same.

Both run the real CLI in a fresh process against a local upstream (127.0.0.1) that writes the
body in 64 KiB chunks; peak RSS comes from the kernel (wait4). Target: stream stays under 64 MB
whatever the body's size. Run: python benchmarks/bench_stream.py [megabytes]
"""

from __future__ import annotations

import sys
from pathlib import Path

from _measure import run_peak, upstream

UNCI = str(Path(sys.executable).with_name("unci"))


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with upstream() as url:
        base = [UNCI, "jobs", "get", "huge-10", "-P", "github", "-p", "owner=o", "-p",
                "repo_id=r", "--base-url", url]
        results = {}
        for label, mb, fmt in (("stream, 10 MB body", 10, "stream"),
                               (f"stream, {size} MB body", size, "stream"),
                               (f"raw, {size} MB body", size, "raw")):
            cmd = [*base, "--format", fmt]
            cmd[3] = f"huge-{mb}"
            results[label] = run_peak(cmd)
    print("peak RSS of `unci jobs get --format stream|raw` on a large body (local upstream)")
    for label, (secs, peak) in results.items():
        print(f"  {label:<22} {peak:7.1f} MiB peak   {secs:5.2f} s")
    stream_peak = results[f"stream, {size} MB body"][1]
    print(f"  stream peak under 64 MiB: {'yes' if stream_peak < 64 else 'NO'}")


if __name__ == "__main__":
    main()
