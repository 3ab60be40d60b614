"""What the sync tests share: the GitHub-shaped upstream as a real process, ``unci sync`` as a
real process, and a database's tables read back as plain rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT / "benchmarks" / "upstream.py"
TABLES = ("builds", "jobs", "steps")


@dataclass
class Upstream:
    url: str
    proc: subprocess.Popen[str]

    def control(self, what: str) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/_control/{what}", method="POST")).read()

    def requests(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/_control/requests") as answer:
            return json.loads(answer.read())

    def env(self) -> dict[str, str]:
        """A sync of the upstream with credentials from the environment."""
        return {"UNCI_GITHUB_BASE_URL": self.url, "GITHUB_TOKEN": "test-token-not-a-secret"}


@contextmanager
def upstream(*args: str) -> Iterator[Upstream]:
    proc = subprocess.Popen([sys.executable, str(UPSTREAM), *args], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        yield Upstream(f"http://127.0.0.1:{line.split()[1]}", proc)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def sync_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "unci", "sync", *args]


def run_sync(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        sync_cmd(*args), env={**os.environ, **env}, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def summary(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


def duckdb_rows(path: Path, dataset: str = "ci") -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, without dlt's own columns (load ids differ between runs), sorted."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return _rows(con, dataset, "?")


def _rows(con: Any, dataset: str, mark: str) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    for table in TABLES:
        cur = con.cursor() if hasattr(con, "cursor") else con
        cur.execute(
            f"SELECT column_name FROM information_schema.columns WHERE table_schema = {mark} "
            f"AND table_name = {mark} ORDER BY column_name",
            (dataset, table),
        )
        columns = [c for (c,) in cur.fetchall() if not c.startswith("_dlt")]
        if not columns:
            found[table] = []
            continue
        cur.execute(f"SELECT {', '.join(columns)} FROM {dataset}.{table}")
        found[table] = sorted(tuple(str(v) for v in row) for row in cur.fetchall())
    return found


def postgres_rows(dsn: str, dataset: str) -> dict[str, list[tuple[Any, ...]]]:
    import psycopg2

    con = psycopg2.connect(dsn)
    try:
        return _rows(con, dataset, "%s")
    finally:
        con.close()
