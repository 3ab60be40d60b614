"""Start-up of `unci --help` and `unci providers` against `python -c "import click"`, as ratios.

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

# The console script pip installed next to this interpreter: what users run.
UNCI = str(Path(sys.executable).with_name("unci"))
COMMANDS = {
    "baseline: python -c 'import click'": [sys.executable, "-c", "import click"],
    "unci --help": [UNCI, "--help"],
    "unci providers": [UNCI, "providers"],
    "unci providers (httpx imported?)": [
        sys.executable, "-c",
        "import sys; from unci.cli import main\n"
        "try: main(['providers'])\n"
        "except SystemExit: pass\n"
        "assert 'httpx' not in sys.modules, 'httpx was imported'",
    ],
}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    for _ in range(runs):
        for name, cmd in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["baseline: python -c 'import click'"])
    print(f"start-up, median of {runs} runs each, interleaved")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:<36} {med * 1000:7.1f} ms   {med / base:4.2f}x baseline")


if __name__ == "__main__":
    main()
