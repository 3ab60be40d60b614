"""`unci jobs logs` of a large log against curl on the same URL: peak memory and throughput.

The upstream (its own process on 127.0.0.1) answers GitHub's log endpoint with a 302 to a
storage path, as GitHub does, and serves the log 64 KiB at a time. Both clients follow the
redirect and write to /dev/null; `curl -sL` is the baseline of the same run. Peak RSS and CPU
time come from the kernel (wait4). Each command runs on a 10 MiB and a SIZE MiB log in each of
REPS rounds (default 7), the commands taking turns, so that a change of the machine's load
falls on all alike. The ratios are medians of per-round ratios: *whole* (wall time, Python's
start-up included) and *streaming* (the extra time between the two sizes, so start-up cancels
out); on a loaded machine the streaming wall times are noise, and the CPU each extra MB costs
(the same difference in CPU time) is the steadier figure. Two start-ups are timed beside
them: `import httpx` as unci's command imports it (without httpx's own command line, which
unci keeps from loading), the floor of any httpx client's start-up, and `unci jobs logs` of an
empty log, the command's whole fixed cost; each is set against curl's whole run on SIZE MiB.
The upstream's CPU is read from /proc while each command runs: when neither the upstream nor
the client is near a core's worth of it, the run is bounded by neither's work but by their
exchange over the loopback. unci's own modules are compiled
to bytecode first, as pip does when it installs a wheel: an editable install run with
PYTHONDONTWRITEBYTECODE=1 would otherwise compile every one of them from source at every
start. Targets: unci under 64 MiB peak on a 200 MiB log, and at least half of curl's
throughput. unci is given a token, as a user's call is, so the scrubbing of the call's
credentials from the log (every form of them, chunk boundaries included) is in the figures.
A bare httpx client beside them (the same GET and redirect, the bytes as they come,
no scrubbing and no escape filter) shows what any client on httpx can reach. curl must be
installed (`apt-get install curl` on Debian). With UNCI_BEFORE set to another checkout's
core/src (main's, say), each unci command runs from it too, by PYTHONPATH, taking turns with
the others, for before and after figures of the same run.
Run: python benchmarks/bench_logs.py [SIZE [REPS]]
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _measure import compile_unci, upstream, upstream_cpu

UNCI = str(Path(sys.executable).with_name("unci"))
SMALL = 10
#: The upstream ignores it; unci scrubs the log of it, as of any user's token.
TOKEN = "ghp_benchmarktoken0123456789abcdefABCD"
#: Another unci's sources, measured beside this one's.
BEFORE = os.environ.get("UNCI_BEFORE")


def compile_both() -> None:
    """Bytecode for this unci and the other one measured beside it."""
    compile_unci()
    if BEFORE:
        compileall.compile_dir(BEFORE, quiet=1)


Run = tuple[float, float, float, float]


def run(cmd: list[str], url: str) -> Run:
    """(wall seconds, CPU seconds, peak RSS MiB, the upstream's CPU seconds meanwhile) of a
    command, its output discarded."""
    served = upstream_cpu(url)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, upstream_cpu(url) - served


def interleaved(commands: dict[str, list[str]], reps: int, url: str) -> dict[str, list[Run]]:
    """What :func:`run` measures of each command in each of ``reps`` rounds, the commands
    taking turns within a round."""
    runs: dict[str, list[Run]] = {label: [] for label in commands}
    for _ in range(reps):
        for label, cmd in commands.items():
            runs[label].append(run(cmd, url))
    return runs


def _in_process(url: str, size: int) -> float:
    """Seconds for ``unci.iter_log`` to read the whole log here, where Python has started."""
    import unci

    start = time.perf_counter()
    for _chunk in unci.iter_log(
        "github", str(size), params={"owner": "o", "repo_id": "r"}, base_url=url, token=TOKEN
    ):
        pass
    return time.perf_counter() - start


BARE_HTTPX = """
import os, sys
sys.modules["httpx._main"] = None
import httpx
out = os.open(os.devnull, os.O_WRONLY)
with httpx.Client(follow_redirects=True) as c, c.stream("GET", sys.argv[1]) as r:
    for chunk in r.iter_raw(256 * 1024):
        os.write(out, chunk)
"""


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    load_before = os.getloadavg()[0]
    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("curl is not installed: apt-get install curl")
    compile_both()
    floor = "import httpx, as unci does"
    empty = "unci jobs logs of an empty log"
    with upstream() as url:

        def commands(mb: int) -> dict[str, list[str]]:
            unci = [UNCI, "jobs", "logs", str(mb), "-P", "github", "-p", "owner=o", "-p", "repo_id=r"]
            unci += ["--base-url", url, "--token", TOKEN]
            ours = {
                # Piped, unci strips colour by default; --color passes the bytes as given.
                "unci jobs logs --color": [*unci, "--color"],
                "unci jobs logs (strips colour)": unci,
                "unci jobs logs --tail 100": [*unci, "--color", "--tail", "100"],
            }
            before = {f"before: {k}": ["env", f"PYTHONPATH={BEFORE}", *v] for k, v in ours.items()}
            log_url = f"{url}/repos/o/r/actions/jobs/{mb}/logs"
            return {
                "curl -sL": [curl, "-sL", "-o", "/dev/null", log_url],
                # Any httpx client's floor: the same GET and redirect, bytes as they come, no
                # scrubbing and no escape filter.
                "bare httpx, iter_raw": [sys.executable, "-c", BARE_HTTPX, log_url],
                **ours,
                **(before if BEFORE else {}),
            }

        cmds = {**{f"{k}@small": v for k, v in commands(SMALL).items()}, **commands(size)}
        cmds[floor] = [sys.executable, "-c", "import sys; sys.modules['httpx._main'] = None; import httpx"]
        cmds[empty] = commands(0)["unci jobs logs --color"]
        runs = interleaved(cmds, reps, url)
        # In-process reads taking turns with curl, for a ratio per round.
        library = []
        for _ in range(reps):
            library.append((run(cmds["curl -sL"], url)[0], _in_process(url, size)))
    load_after = os.getloadavg()[0]
    mb = size * 1.048576
    extra = (size - SMALL) * 1.048576
    base = "curl -sL"
    labels = [k for k in commands(size) if k != base]

    def per_round(f: Callable[[int], float | None]) -> float:
        values = [v for v in (f(i) for i in range(reps)) if v is not None]
        return statistics.median(values) if values else float("nan")

    def wall(label: str, i: int) -> float:
        return runs[label][i][0]

    def streaming(label: str, i: int) -> float | None:
        mine = wall(label, i) - wall(f"{label}@small", i)
        theirs = wall(base, i) - wall(f"{base}@small", i)
        return theirs / mine if mine > 0 and theirs > 0 else None

    def cpu_per_mb(label: str) -> float:
        """CPU milliseconds each extra MB costs (median over rounds)."""
        return per_round(lambda i: 1000 * (runs[label][i][1] - runs[f"{label}@small"][i][1]) / extra)

    print(
        f"`unci jobs logs` of a {size} MiB log, 302 to storage, on 127.0.0.1 ({reps} interleaved "
        f"rounds; load {load_before:.1f} before, {load_after:.1f} after)"
    )
    print(
        f"  {'':<39} {'best wall':>9} {'CPU':>6} {'whole':>7} {'streaming':>9} {'CPU/MB':>8} {'peak RSS':>9}"
    )
    for label in [base, *labels]:
        best = min(r[0] for r in runs[label])
        cpu = min(r[1] for r in runs[label])
        peak = max(r[2] for r in runs[label])
        whole = 1.0 if label == base else per_round(lambda i, lb=label: wall(base, i) / wall(lb, i))
        stream = 1.0 if label == base else per_round(lambda i, lb=label: streaming(lb, i))
        print(
            f"  {label:<39} {best:8.2f}s {cpu:5.2f}s {whole:6.2f}x {stream:8.2f}x "
            f"{cpu_per_mb(label):5.2f} ms {peak:6.1f} MiB"
        )
    for label in (floor, empty):
        print(
            f"  {label:<39} {min(r[0] for r in runs[label]):8.2f}s {min(r[1] for r in runs[label]):5.2f}s "
            f"{per_round(lambda i, lb=label: wall(base, i) / wall(lb, i)):6.2f}x  (start-up alone)"
        )
    for label in (base, "unci jobs logs --color"):
        served = statistics.median(1000 * r[3] / mb for r in runs[label])
        busy = statistics.median(r[3] / r[0] for r in runs[label])
        print(
            f"  the upstream while serving {label}: {served:.2f} ms CPU per MB, "
            f"busy {100 * busy:.0f} % of the wall time"
        )
    main_label = "unci jobs logs --color"
    in_process = statistics.median(c / u for c, u in library)
    print(f"  unci.iter_log in a started process: {in_process:.2f}x curl's whole run")
    whole = per_round(lambda i: wall(base, i) / wall(main_label, i))
    stream = per_round(lambda i: streaming(main_label, i))
    print(f"  goal: the command at least 0.5x curl; whole {whole:.2f}x, streaming {stream:.2f}x")
    peak = max(r[2] for r in runs[main_label])
    print(f"  {mb:.0f} MB in all; peak under 64 MiB: {'yes' if peak < 64 else 'NO'} ({peak:.1f} MiB)")


if __name__ == "__main__":
    main()
