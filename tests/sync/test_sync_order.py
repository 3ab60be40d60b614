"""The jobs table's files are loaded into DuckDB before the others (unci.syncorder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("dlt")

from dlt.common.storages.file_storage import FileStorage
from dlt.common.storages.load_package import PackageStorage
from synchelp import duckdb_rows, upstream

from unci.syncorder import jobs_first
from unci.syncplan import Scope

FILES = (
    "steps.a1b2c.0.parquet",
    "_dlt_pipeline_state.x9y8z.0.insert_values",
    "builds.q7w8e.0.parquet",
    "jobs.m3n4b.0.parquet",
    "jobs.c5v6x.0.parquet",
)


def _package(root: Path) -> tuple[PackageStorage, str]:
    """A real dlt package folder under ``root`` whose new jobs are :data:`FILES`."""
    storage = PackageStorage(FileStorage(str(root), makedirs=True), "normalized")
    load_id = "1764000000.123456"
    storage.create_package(load_id)
    folder = Path(storage.storage.make_full_path(storage.get_job_state_folder_path(load_id, "new_jobs")))
    for name in FILES:
        (folder / name).write_bytes(b"")
    return storage, load_id


def _tables(names: list[str] | tuple[str, ...]) -> list[str]:
    return [os.path.basename(n).split(".")[0] for n in names]


def test_a_syncs_packages_list_the_jobs_files_first_and_others_keep_dlts_order(tmp_path) -> None:
    ours, load_id = _package(tmp_path / "sync")
    other, other_id = _package(tmp_path / "someone-elses")
    before, others = list(ours.list_new_jobs(load_id)), list(other.list_new_jobs(other_id))
    with jobs_first(str(tmp_path / "sync")):
        listed = list(ours.list_new_jobs(load_id))
        assert _tables(listed) == ["jobs", "jobs", "_dlt_pipeline_state", "builds", "steps"]
        assert sorted(listed) == sorted(before)  # the same files, none added or lost
        # Another pipeline's folder in the same process keeps the file system's order.
        assert list(other.list_new_jobs(other_id)) == others
    assert list(ours.list_new_jobs(load_id)) == before  # after the sync, dlt's order again


def test_two_syncs_at_once_in_one_folder_keep_the_order_until_the_last_ends(tmp_path) -> None:
    ours, load_id = _package(tmp_path / "sync")
    before = list(ours.list_new_jobs(load_id))
    with jobs_first(str(tmp_path / "sync")):
        with jobs_first(str(tmp_path / "sync")):
            pass
        assert _tables(ours.list_new_jobs(load_id))[:2] == ["jobs", "jobs"]
    assert list(ours.list_new_jobs(load_id)) == before


def test_a_real_sync_into_duckdb_loads_the_jobs_table_first_where_the_file_system_lists_it_last(
    tmp_path, monkeypatch
) -> None:
    # The folder's listing is made to put the jobs last (as a file system's hash order may);
    # what dlt's loader then starts, file by file (one load worker into DuckDB), is recorded.
    from dlt.load.load import Load

    from unci import syncorder, syncrun

    listed = PackageStorage.list_new_jobs

    def jobs_last(self, load_id):
        return sorted(listed(self, load_id), key=lambda n: _tables([n])[0] == "jobs")

    started: list[str] = []
    start = Load.start_new_jobs

    def recorded(self, *args, **kwargs):
        jobs = start(self, *args, **kwargs)
        started.extend(job.job_file_info().table_name for job in jobs)
        return jobs

    monkeypatch.setattr(syncorder, "_installed", False)  # installed again, over jobs_last
    monkeypatch.setattr(PackageStorage, "list_new_jobs", jobs_last)
    monkeypatch.setattr(Load, "start_new_jobs", recorded)
    with upstream("--builds", "4", "--jobs-per-build", "3", "--steps", "2", "--unfinished", "0") as up:
        for name, value in up.env().items():
            monkeypatch.setenv(name, value)
        scope = Scope(None, "github", {"owner": "ci", "repo_id": "api"})
        syncrun.run([scope], duckdb_file=str(tmp_path / "a.duckdb"))
    assert started[0] == "jobs" and sorted(started[1:]) == ["_dlt_pipeline_state", "builds", "steps"]
    rows = duckdb_rows(tmp_path / "a.duckdb")
    assert (len(rows["builds"]), len(rows["jobs"]), len(rows["steps"])) == (4, 12, 24)


def test_a_dlt_without_the_listing_keeps_its_own_order_and_the_sync_goes_on(tmp_path, monkeypatch) -> None:
    from unci import syncorder

    monkeypatch.setattr(syncorder, "_installed", False)
    monkeypatch.delattr(PackageStorage, "list_new_jobs")
    with jobs_first(str(tmp_path)):  # nothing to wrap: no error, nothing installed
        assert not hasattr(PackageStorage, "list_new_jobs")
