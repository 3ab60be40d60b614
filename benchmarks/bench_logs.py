"""`unci jobs logs` of a large log against curl on the same URL: peak memory and throughput.

The upstream (its own process on 127.0.0.1) answers GitHub's log endpoint with a 302 to a
storage path, as GitHub does, and serves the log 64 KiB at a time. Both clients follow the
redirect and write to /dev/null; `curl -sL` is the baseline of the same run. Peak RSS and CPU
time come from the kernel (wait4). Each command runs on a 10 MiB and a SIZE MiB log, best of
REPS (default 7), the commands taking turns; throughput is given whole (bytes / wall time,
Python's start-up included) and streaming (the extra bytes / the extra time between the two
sizes, so start-up cancels out). `python -c "import httpx"` is timed beside them: the floor of
unci's start-up, whatever unci does. unci's own modules are compiled to bytecode first, as
pip does when it installs a wheel: an editable install run with PYTHONDONTWRITEBYTECODE=1
would otherwise compile every one of them from source at every start. Targets: unci under 64
MiB peak on a 200 MiB log, and at least half of curl's throughput. curl must be installed
(`apt-get install curl` on Debian).
Run: python benchmarks/bench_logs.py [SIZE [REPS]]
"""

from __future__ import annotations

import compileall
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _measure import upstream

UNCI = str(Path(sys.executable).with_name("unci"))
SMALL = 10


def compile_unci() -> None:
    """Bytecode for the core and the GitHub provider, which the command imports."""
    for name in ("unci", "unci_github"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            for where in spec.submodule_search_locations:
                compileall.compile_dir(where, quiet=1)


def run(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MiB) of a command, its output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def interleaved(commands: dict[str, list[str]], reps: int) -> dict[str, tuple[float, float, float]]:
    """Best wall and CPU time and highest peak of each command over ``reps`` rounds, the
    commands taking turns within a round so that a change in the machine's load falls on all
    of them alike."""
    runs: dict[str, list[tuple[float, float, float]]] = {label: [] for label in commands}
    for _ in range(reps):
        for label, cmd in commands.items():
            runs[label].append(run(cmd))
    return {
        label: (min(r[0] for r in rs), min(r[1] for r in rs), max(r[2] for r in rs))
        for label, rs in runs.items()
    }


def _in_process(url: str, size: int) -> float:
    """Seconds for ``unci.iter_log`` to read the whole log here, where Python has started."""
    import unci

    start = time.perf_counter()
    for _chunk in unci.iter_log("github", str(size), params={"owner": "o", "repo_id": "r"}, base_url=url):
        pass
    return time.perf_counter() - start


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    load_before = os.getloadavg()[0]
    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("curl is not installed: apt-get install curl")
    compile_unci()
    with upstream() as url:

        def commands(mb: int) -> dict[str, list[str]]:
            unci = [UNCI, "jobs", "logs", str(mb), "-P", "github", "-p", "owner=o", "-p", "repo_id=r"]
            unci += ["--base-url", url]
            return {
                "curl -sL": [curl, "-sL", "-o", "/dev/null", f"{url}/repos/o/r/actions/jobs/{mb}/logs"],
                # Piped, unci strips colour by default; --color passes the bytes as given.
                "unci jobs logs --color": [*unci, "--color"],
                "unci jobs logs (strips colour)": unci,
                "unci jobs logs --tail 100": [*unci, "--color", "--tail", "100"],
                # Start-up only: the same for both sizes, so it has no streaming rate.
                'python -c "import httpx"': [sys.executable, "-c", "import httpx"],
            }

        both = interleaved({**{f"{k}@small": v for k, v in commands(SMALL).items()}, **commands(size)}, reps)
        small = {k.removesuffix("@small"): v for k, v in both.items() if k.endswith("@small")}
        large = {k: v for k, v in both.items() if not k.endswith("@small")}
        library = min(_in_process(url, size) for _ in range(3))
    load_after = os.getloadavg()[0]
    mb = size * 1.048576
    extra = (size - SMALL) * 1.048576
    rate = {k: extra / max(1e-6, large[k][0] - small[k][0]) for k in large}
    floor = 'python -c "import httpx"'
    print(
        f"`unci jobs logs` of a {size} MiB log, 302 to storage, on 127.0.0.1 "
        f"(best of {reps}, interleaved; load {load_before:.1f} before, "
        f"{load_after:.1f} after)"
    )
    print(f"  {'':<31} {'wall':>7} {'CPU':>7} {'whole':>10} {'streaming':>11} {'peak RSS':>9}")
    for label, (wall, cpu, peak) in large.items():
        if label == floor:
            wall, cpu = min(wall, small[label][0]), min(cpu, small[label][1])
            print(f"  {label:<31} {wall:6.2f}s {cpu:6.2f}s {'':>10} {'':>11} {peak:6.1f} MiB")
            continue
        print(
            f"  {label:<31} {wall:6.2f}s {cpu:6.2f}s {mb / wall:6.0f} MB/s {rate[label]:6.0f} MB/s "
            f"{peak:6.1f} MiB"
        )
    base = "curl -sL"
    main_label = "unci jobs logs --color"
    print(
        f"  whole:     unci {mb / large[main_label][0]:.0f} MB/s = "
        f"{large[base][0] / large[main_label][0]:.2f}x curl"
    )
    print(f"  streaming: unci {rate[main_label]:.0f} MB/s = {rate[main_label] / rate[base]:.2f}x curl")
    print(
        f"  unci.iter_log in this process (no start-up): {mb / library:.0f} MB/s = "
        f"{large[base][0] / library:.2f}x curl's whole run"
    )
    start = min(large[floor][0], small[floor][0])
    print(
        f"  start-up floor: importing httpx takes {start:.2f}s, {start / large[base][0]:.2f}x curl's "
        f"whole run; with unci's streaming rate the whole command could reach at most "
        f"{large[base][0] / (start + mb / rate[main_label]):.2f}x curl"
    )
    peak = large[main_label][2]
    print(f"  peak under 64 MiB: {'yes' if peak < 64 else 'NO'} ({peak:.1f} MiB)")


if __name__ == "__main__":
    main()
