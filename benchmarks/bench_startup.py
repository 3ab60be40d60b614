"""Start-up of `unci --help` and `unci providers` against `python -c "import click"`, and of
`unci jobs get` (one job from a local upstream on 127.0.0.1) against `python -c "import httpx"`,
as ratios.

`unci providers (github only)` is the issue's scenario, the core with one provider (UNCI_PLUGINS
hides the rest, so only GitHub's plugin is imported); `all nine` imports every plugin.
`unci providers` answers from its cache (unci.describecache) once a run has filled it; `--check`
imports every provider, as the first run after an install or upgrade does.
Each command runs many times, interleaved, in fresh processes, after one warm-up run of each (with
bytecode written: PYTHONDONTWRITEBYTECODE is dropped, as a pip-installed unci has its .pyc files);
the figure is the median wall time of each relative to the baseline measured in the same loop.

With ``--before CHECKOUT`` (another checkout of unci, e.g. ``git worktree add /tmp/before main``)
each unci command also runs with that checkout's code first on PYTHONPATH, interleaved with this
one's (given the same way, so both pay for the same sys.path).
Run: python benchmarks/bench_startup.py [runs] [--before CHECKOUT]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _measure import upstream

# The console script pip installed next to this interpreter: what users run.
UNCI = str(Path(sys.executable).with_name("unci"))
COMMANDS: dict[str, list[str]] = {
    "baseline: python -c 'import click'": [sys.executable, "-c", "import click"],
    "unci --help": [UNCI, "--help"],
    "unci providers (github only)": ["env", "UNCI_PLUGINS=github", UNCI, "providers"],
    "unci providers (all nine)": [UNCI, "providers"],
    "unci providers --check (all nine imported)": [UNCI, "providers", "--check"],
    "unci providers, asserting httpx unimported": [
        sys.executable,
        "-c",
        "import sys; from unci.cli import main\n"
        "try: main(['providers'])\n"
        "except SystemExit: pass\n"
        "assert 'httpx' not in sys.modules, 'httpx was imported'",
    ],
}


CLICK = "baseline: python -c 'import click'"
HTTPX = "baseline: python -c 'import httpx'"
GET = "unci jobs get (github, one job, http://)"


def _sources(checkout: Path) -> str:
    """PYTHONPATH holding a checkout's core and providers, ahead of the installed ones."""
    return os.pathsep.join(
        str(p) for p in [checkout / "core" / "src", *sorted(checkout.glob("plugins/*/src"))]
    )


def main() -> None:
    args = sys.argv[1:]
    before = None
    if "--before" in args:
        at = args.index("--before")
        before = Path(args[at + 1]).resolve()
        del args[at : at + 2]
    runs = int(args[0]) if args else 30
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    envs = {"": env}
    if before is not None:
        here = Path(__file__).resolve().parent.parent
        envs = {
            " [this]": {**env, "PYTHONPATH": _sources(here)},
            " [before]": {**env, "PYTHONPATH": _sources(before)},
        }
    with upstream() as url:
        commands = {
            **COMMANDS,
            HTTPX: [sys.executable, "-c", "import httpx"],
            GET: [
                UNCI,
                "jobs",
                "get",
                "-P",
                "github",
                "-p",
                "owner=o",
                "-p",
                "repo_id=r",
                "5",
                "--base-url",
                url,
            ],
        }
        runs_of = {f"{name}{tag}": (cmd, e) for name, cmd in commands.items() for tag, e in envs.items()}
        for cmd, e in runs_of.values():  # warm-up: bytecode written, the providers' cache filled
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=e)
        times: dict[str, list[float]] = {k: [] for k in runs_of}
        for _ in range(runs):
            for name, (cmd, e) in runs_of.items():
                start = time.perf_counter()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=e)
                times[name].append(time.perf_counter() - start)
    print(
        f"start-up, {runs} rounds, interleaved; median of the per-round ratios to the baseline of"
        f" the same round; load average {os.getloadavg()[0]:.1f}"
    )
    for tag in envs:
        for name in commands:
            base = f"{HTTPX if name in (HTTPX, GET) else CLICK}{tag}"
            ratios = [t / b for t, b in zip(times[f"{name}{tag}"], times[base], strict=True)]
            med = statistics.median(times[f"{name}{tag}"])
            against = "import httpx" if name in (HTTPX, GET) else "import click"
            print(f"  {name + tag:<53} {med * 1000:7.1f} ms   {statistics.median(ratios):4.2f}x {against}")


if __name__ == "__main__":
    main()
