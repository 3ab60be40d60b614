"""``unci sync`` into a real PostgreSQL server (started by .ci/run from the OS packages, its DSN
in UNCI_TEST_POSTGRES_DSN): the same rows as DuckDB gets, incremental, killed and repaired,
and a refused password as one line without the password."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from synchelp import duckdb_rows, postgres_rows, run_sync, summary, sync_cmd, upstream

# Read at import: the suite's fixtures clear UNCI_* variables before each test.
DSN = os.environ.get("UNCI_TEST_POSTGRES_DSN")
if not DSN and os.environ.get("CI"):
    raise RuntimeError("CI runs the PostgreSQL tests: .ci/run must export UNCI_TEST_POSTGRES_DSN")
pytestmark = pytest.mark.skipif(not DSN, reason="no PostgreSQL server: source .ci/postgres.sh first")
ARGS = ("-P", "github", "-p", "owner=ci", "-p", "repo_id=api", "--destination", "postgres")


@pytest.fixture
def history():
    with upstream("--builds", "20", "--jobs-per-build", "3", "--unfinished", "2", "--latency", "0.005") as up:
        yield up


def _env(history, dsn: str | None = None) -> dict[str, str]:
    return {**history.env(), "DESTINATION__POSTGRES__CREDENTIALS": dsn or DSN or ""}


def _ids(rows: list[tuple]) -> list[str]:
    return sorted(str(r) for r in rows)


def test_postgres_gets_the_rows_duckdb_gets_and_a_second_sync_asks_little(history, tmp_path: Path) -> None:
    dataset = f"ci_{uuid.uuid4().hex[:8]}"
    first = summary(run_sync(*ARGS, "--dataset", dataset, "--json", env=_env(history), cwd=tmp_path))
    assert (first["builds"], first["jobs"], first["failed"]) == (20, 60, 0)
    assert first["destination"] == "postgres"
    assert run_sync(*ARGS[:-2], env=history.env(), cwd=tmp_path).returncode == 0  # DuckDB, beside it
    in_pg = postgres_rows(DSN or "", dataset)
    in_duck = duckdb_rows(tmp_path / "unci.duckdb")
    for table in ("builds", "jobs", "steps"):
        assert len(in_pg[table]) == len(in_duck[table]) > 0
    import psycopg2

    with psycopg2.connect(DSN) as con, con.cursor() as cur:
        cur.execute(f"SELECT id, attempt, status FROM {dataset}.builds ORDER BY id")
        pg_builds = cur.fetchall()
        cur.execute(f"SELECT remote_data->>'name' FROM {dataset}.jobs ORDER BY id LIMIT 1")
        assert cur.fetchone() == ("job 0",)
    import duckdb

    with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
        assert con.execute("SELECT id, attempt, status FROM ci.builds ORDER BY id").fetchall() == pg_builds
    history.control("forget")
    again = summary(run_sync(*ARGS, "--dataset", dataset, "--json", env=_env(history), cwd=tmp_path))
    assert again["requests"] == 3 and again["unchanged"] == 2
    assert postgres_rows(DSN or "", dataset) == in_pg


def test_a_killed_postgres_sync_is_repaired_by_the_next(history, tmp_path: Path) -> None:
    clean, killed = f"ci_{uuid.uuid4().hex[:8]}", f"ci_{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    assert run_sync(*ARGS, "--dataset", clean, env=_env(history), cwd=tmp_path).returncode == 0
    whole = time.monotonic() - started
    for fraction in (0.4, 0.8):
        proc = subprocess.Popen(
            sync_cmd(*ARGS, "--dataset", killed),
            cwd=tmp_path,
            env={**os.environ, **_env(history)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(whole * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert run_sync(*ARGS, "--dataset", killed, env=_env(history), cwd=tmp_path).returncode == 0
    assert postgres_rows(DSN or "", killed) == postgres_rows(DSN or "", clean)


def test_a_refused_password_is_one_line_without_the_password(history, tmp_path: Path) -> None:
    assert DSN is not None
    wrong = DSN.replace("://postgres:", "://postgres:not-the-pw-9f2", 1)
    result = run_sync(*ARGS, env=_env(history, wrong), cwd=tmp_path)
    assert result.returncode == 14, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("unci: error: postgres: the destination failed: ")
    assert "authentication failed" in lines[0]
    assert "not-the-pw-9f2" not in result.stderr + result.stdout
    assert history.requests() == []
