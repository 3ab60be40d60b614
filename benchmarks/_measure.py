"""Shared by the benchmarks: start the upstream, run a command and read its peak memory."""

from __future__ import annotations

import compileall
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent


def compile_unci() -> None:
    """Bytecode for the core and the GitHub provider, which the commands import, as pip
    writes it when it installs a wheel: an editable install run with
    PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module from source at every start."""
    for name in ("unci", "unci_github"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            for where in spec.submodule_search_locations:
                compileall.compile_dir(where, quiet=1)


@contextmanager
def upstream(latency: float = 0.0, *options: str) -> Iterator[str]:
    """benchmarks/upstream.py in a process of its own; ``options`` are more of its flags."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "upstream.py"), "--latency", str(latency), *options],
        stdout=subprocess.PIPE,
        text=True,
    )
    url = ""
    try:
        line = proc.stdout.readline()
        url = f"http://127.0.0.1:{line.split()[1]}"
        _PIDS[url] = proc.pid
        yield url
    finally:
        _PIDS.pop(url, None)
        proc.terminate()
        proc.wait(timeout=10)


#: The process serving each running upstream's URL.
_PIDS: dict[str, int] = {}


def upstream_cpu(url: str) -> float:
    """CPU seconds (user + system) the upstream serving ``url`` has used so far (Linux), to
    tell whether a client's run was bounded by the server's work or by its own."""
    fields = Path(f"/proc/{_PIDS[url]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_peak(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of a command, its output discarded."""
    elapsed, _, peak = run_usage(cmd, env)
    return elapsed, peak


def run_usage(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(seconds, CPU seconds (user + system), peak RSS in MiB) of a command, its output
    discarded. CPU time is what a loaded machine stretches least."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux: KiB
