"""Instructions per call of the pipeline and warm-get benchmarks, which load does not move.

On a shared machine wall time moves by tens of percent from run to run; the number of machine
instructions a call executes does not. Each implementation runs in a process of its own under
``valgrind --tool=callgrind``, once with ``small`` calls and once with ``large``; the difference
over ``large - small`` is the cost of one call, with start-up and warm-up cancelled out.

  pipeline: bench_pipeline.py's three implementations (unci, json, minimal msgspec)
  warm:     bench_warm.py's two (plain httpx + json.loads, unci.Client().get_job), each against
            its own local upstream process (not counted: callgrind follows no child)
  many:     bench_many.py's gets, 8 at a time against an upstream with 20 ms of latency: the
            hand-written asyncio + httpx.AsyncClient gather, unci.aget_jobs, unci.get_jobs
            (a call is one get; each run makes its n gets in one gather / one get_jobs)

Run: python benchmarks/bench_instructions.py [pipeline|warm|many|all]   (needs valgrind)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = {"pipeline": (100, 600), "warm": (10, 110), "many": (50, 250)}
NAMES = {
    "pipeline": ("unci pipeline", "json.loads + dict + json.dumps", "minimal msgspec"),
    "warm": ("plain", "unci"),
    "many": ("gather", "aget_jobs", "get_jobs"),
}
BASELINE = {"pipeline": "minimal msgspec", "warm": "plain", "many": "gather"}


def inner(bench: str, name: str, n: int) -> None:
    """The measured process: warm up, then ``n`` calls."""
    sys.path.insert(0, str(HERE))
    if bench == "pipeline":
        import bench_pipeline as b

        fn = b.IMPLEMENTATIONS[name]
        for _ in range(20):
            fn(b.PAYLOAD)
        for _ in range(n):
            fn(b.PAYLOAD)
        return
    if bench == "many":
        many(name, n)
        return
    import bench_warm as w
    import httpx
    from _measure import upstream

    import unci

    with upstream() as url:
        if name == "plain":
            with httpx.Client(timeout=30) as h:
                w.plain(h, url, 20)
                w.plain(h, url, n)
        else:
            with unci.Client() as u:
                w.with_unci(u, url, 20)
                w.with_unci(u, url, n)


def many(name: str, n: int) -> None:
    """bench_many.py's gets (its code, run here): ``n`` of them, 8 at a time."""
    import bench_many as m
    from _measure import upstream

    code = {"gather": m.GATHER_GET, "aget_jobs": m.UNCI_AGET, "get_jobs": m.UNCI_GET}[name]
    with upstream(0.02) as url:
        sys.argv = ["-c", url, str(n), "8"]
        exec(compile(code, "<bench_many>", "exec"), {"__name__": "__bench__"})


def count(bench: str, name: str, n: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--inner",
                bench,
                name,
                str(n),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        text = out.read_text(errors="replace")
    found = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
    assert found, "callgrind wrote no total"
    return int(found.group(1))


def measure(bench: str) -> None:
    small, large = SIZES[bench]
    per = {
        name: (count(bench, name, large) - count(bench, name, small)) / (large - small)
        for name in NAMES[bench]
    }
    base = per[BASELINE[bench]]
    print(f"{bench}: instructions per call, (count at {large} - count at {small}) / {large - small}")
    for name, value in per.items():
        print(f"  {name:<32} {value:12,.0f}   {value / base:5.2f}x {BASELINE[bench]}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        inner(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    for bench in ("pipeline", "warm", "many") if which == "all" else (which,):
        measure(bench)


if __name__ == "__main__":
    main()
