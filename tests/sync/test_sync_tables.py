"""The Arrow tables a sync hands to dlt, built from jobs as a page decodes them: what their
text columns hold, and that a written table keeps nothing of the page alive."""

from __future__ import annotations

import gc
import sys

import msgspec
import pytest

pytest.importorskip("dlt")

from unci.job import Job, Step
from unci.syncplan import Scope
from unci.syncsource import job_table

SCOPE = Scope(None, "github", {"owner": "ci", "repo_id": "api"})


class _Page(msgspec.Struct):
    jobs: list[msgspec.Raw]


def _jobs(body: bytes) -> list[Job]:
    """Jobs whose remote_data points into ``body``, as a provider's page decoder leaves them."""
    raws = msgspec.json.decode(body, type=_Page).jobs
    return [Job(id=str(i), name=f"job {i}", remote_data=raw) for i, raw in enumerate(raws)]


def _page() -> bytes:
    # Built at run time: a literal would be one constant shared with the code object, whose
    # references the test could not count.
    names = ["build", "lint \u00e9"]
    return msgspec.json.encode({"jobs": [{"id": i, "name": n} for i, n in enumerate(names)]})


def test_job_rows_hold_each_jobs_json_and_none_where_there_is_none() -> None:
    jobs = _jobs(_page())
    jobs[1].steps = [Step(number=1, name="checkout", status="completed")]
    jobs.append(Job(id="2", remote_data=None))
    table = job_table([(j, "b1") for j in jobs], SCOPE, "github", "github:owner=ci&repo_id=api")
    assert table.column("remote_data").to_pylist() == [
        '{"id":0,"name":"build"}',
        '{"id":1,"name":"lint \u00e9"}',
        None,
    ]
    steps = table.column("steps").to_pylist()
    assert steps[0] is None and steps[2] is None
    assert msgspec.json.decode(steps[1])[0]["name"] == "checkout"
    assert table.column("build").to_pylist() == ["b1", "b1", "b1"]


def test_a_table_keeps_no_reference_to_the_page_its_jobs_came_from() -> None:
    # Each job's remote_data points into the page's bytes; once the jobs are written out and
    # dropped, the page must go too, or a sync's memory grows with every page it fetched.
    body = _page()
    before = sys.getrefcount(body)
    jobs = _jobs(body)
    assert sys.getrefcount(body) > before
    table = job_table([(j, "b1") for j in jobs], SCOPE, "github", "github:owner=ci&repo_id=api")
    del jobs
    gc.collect()
    assert sys.getrefcount(body) == before
    assert table.num_rows == 2


def test_a_sync_from_the_library_leaves_the_environment_as_it_was(tmp_path, monkeypatch) -> None:
    # The load's settings into DuckDB are for that sync only: a later sync in the same process
    # into another destination keeps dlt's own, and a setting of the user's is kept.
    import os

    from synchelp import duckdb_rows, upstream

    from unci import syncrun

    with upstream("--builds", "3", "--jobs-per-build", "2", "--unfinished", "0") as up:
        for name, value in up.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("LOAD__WORKERS", raising=False)
        report, _ = syncrun.run([SCOPE], duckdb_file=str(tmp_path / "a.duckdb"))
        assert "LOAD__WORKERS" not in os.environ
        monkeypatch.setenv("LOAD__WORKERS", "3")
        syncrun.run([SCOPE], duckdb_file=str(tmp_path / "b.duckdb"))
        assert os.environ["LOAD__WORKERS"] == "3"
    assert sum(t.jobs for t in report.tallies.values()) == 6
    assert len(duckdb_rows(tmp_path / "a.duckdb")["jobs"]) == 6
    assert len(duckdb_rows(tmp_path / "b.duckdb")["jobs"]) == 6


def test_a_plan_file_takes_tomls_own_dates_for_since(tmp_path) -> None:
    """``since = 2026-11-01`` (a TOML date, not a string) was refused as "must be a string"."""
    from unci.syncplan import read
    from unci.when import parse_when

    plan = tmp_path / "sync.toml"
    plan.write_text('since = 2026-11-01\n[[sync]]\nprovider = "github"\nowner = "o"\nrepo_id = "r"\n')
    assert read(plan).since == "2026-11-01"
    plan.write_text(
        'since = 2026-11-01T06:00:00Z\n[[sync]]\nprovider = "github"\nowner = "o"\nrepo_id = "r"\n'
    )
    assert parse_when(read(plan).since, "since").isoformat() == "2026-11-01T06:00:00+00:00"
