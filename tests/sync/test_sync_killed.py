"""A sync killed (SIGKILL) at any moment and started again ends with exactly the rows, and the
state, of a sync never interrupted: real processes, a real DuckDB file, kills spread over the
whole run (fetching, loading, committing)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from synchelp import duckdb_rows, run_sync, summary, sync_cmd, upstream

ARGS = ("-P", "github", "-p", "owner=ci", "-p", "repo_id=api", "-p", "repo_id=web", "--concurrency", "4")


def test_killed_syncs_end_with_the_rows_of_an_uninterrupted_one(tmp_path: Path) -> None:
    with upstream("--builds", "30", "--jobs-per-build", "4", "--unfinished", "3", "--latency", "0.01") as up:
        clean = tmp_path / "clean"
        clean.mkdir()
        started = time.monotonic()
        assert run_sync(*ARGS, env=up.env(), cwd=clean).returncode == 0
        whole = time.monotonic() - started
        expected = duckdb_rows(clean / "unci.duckdb")
        assert len(expected["jobs"]) == 2 * 30 * 4
        up.control("forget")
        expected_again = summary(run_sync(*ARGS, "--json", env=up.env(), cwd=clean))

        # Kill points spread from just after start to the end of a whole run; each folder
        # gets two kills in a row before the run that is let finish.
        points = [whole * f for f in (0.15, 0.35, 0.55, 0.7, 0.85, 0.95)]
        for number, (first, second) in enumerate(zip(points[::2], points[1::2], strict=True)):
            here = tmp_path / f"killed-{number}"
            here.mkdir()
            for delay in (first, second):
                proc = subprocess.Popen(
                    sync_cmd(*ARGS),
                    cwd=here,
                    env={**os.environ, **up.env()},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            result = run_sync(*ARGS, env=up.env(), cwd=here)
            assert result.returncode == 0, result.stderr
            assert duckdb_rows(here / "unci.duckdb") == expected, (
                f"killed at {first:.2f} s and {second:.2f} s"
            )
            # The state is the uninterrupted one's too: the next sync asks for the same.
            up.control("forget")
            again = summary(run_sync(*ARGS, "--json", env=up.env(), cwd=here))
            assert (again["requests"], again["builds"], again["jobs"]) == (
                expected_again["requests"],
                expected_again["builds"],
                expected_again["jobs"],
            )
