"""Start-up in instructions (``valgrind --tool=callgrind``), which a loaded machine does not move:
the same commands as bench_startup.py, as ratios to ``python -c "import click"`` (and ``unci jobs
get`` to ``python -c "import httpx"``), one run each after a warm-up run (bytecode written,
``unci providers``' cache filled).

Run: python benchmarks/bench_startup_instructions.py   (needs valgrind)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from _measure import upstream

UNCI = str(Path(sys.executable).with_name("unci"))
PY = sys.executable


def instructions(cmd: list[str], env: dict[str, str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", *cmd],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from valgrind for {cmd}:\n{done.stderr}")
    return int(found.group(1))


def main() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with upstream() as url:
        commands = {
            "baseline: python -c 'import click'": [PY, "-c", "import click"],
            "unci --help": [PY, UNCI, "--help"],
            "unci providers (github only)": [PY, UNCI, "providers"],
            "unci providers (all nine)": [PY, UNCI, "providers"],
            "unci providers --check (all nine imported)": [PY, UNCI, "providers", "--check"],
            "baseline: python -c 'import httpx'": [PY, "-c", "import httpx"],
            "unci jobs get (github, one job, http://)": [
                *(PY, UNCI, "jobs", "get", "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "5"),
                *("--base-url", url),
            ],
        }
        counts = {}
        for name, cmd in commands.items():
            # valgrind follows no child process: the variable goes in the environment, not `env`
            run_env = {**env, "UNCI_PLUGINS": "github"} if "github only" in name else env
            subprocess.run(cmd, env=run_env, check=True, stdout=subprocess.DEVNULL)  # warm-up
            counts[name] = instructions(cmd, run_env)
    click, httpx = counts["baseline: python -c 'import click'"], counts["baseline: python -c 'import httpx'"]
    print("start-up in instructions (valgrind --tool=callgrind), one run each after a warm-up")
    for name, count in counts.items():
        base, against = (
            (httpx, "import httpx") if "httpx" in name or "jobs get" in name else (click, "import click")
        )
        print(f"  {name:<44} {count / 1e6:8.1f} M   {count / base:4.2f}x {against}")


if __name__ == "__main__":
    main()
