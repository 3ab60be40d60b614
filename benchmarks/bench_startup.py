"""Start-up of `unci --help` and `unci providers` against `python -c "import click"`, and of
`unci jobs get` (one job from a local upstream on 127.0.0.1) against `python -c "import httpx"`,
as ratios.

`unci providers (github only)` is the issue's scenario, the core with one provider (UNCI_PLUGINS
hides the rest, so only GitHub's plugin is imported); `all nine` imports every plugin.
Each command runs many times, interleaved, in fresh processes; the figure is the median wall
time of each relative to the baseline measured in the same loop.
Run: python benchmarks/bench_startup.py [runs]
"""

from __future__ import annotations

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
    "unci providers, asserting httpx unimported": [
        sys.executable,
        "-c",
        "import sys; from unci.cli import main\n"
        "try: main(['providers'])\n"
        "except SystemExit: pass\n"
        "assert 'httpx' not in sys.modules, 'httpx was imported'",
    ],
}


HTTPX = "baseline: python -c 'import httpx'"
GET = "unci jobs get (github, one job, http://)"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
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
        times: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(runs):
            for name, cmd in commands.items():
                start = time.perf_counter()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - start)
    click = statistics.median(times["baseline: python -c 'import click'"])
    httpx = statistics.median(times[HTTPX])
    print(f"start-up, median of {runs} runs each, interleaved")
    for name, values in times.items():
        med = statistics.median(values)
        base, against = (httpx, "import httpx") if name in (HTTPX, GET) else (click, "import click")
        print(f"  {name:<44} {med * 1000:7.1f} ms   {med / base:4.2f}x {against}")


if __name__ == "__main__":
    main()
