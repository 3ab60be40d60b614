"""The Dagster example materializes its partitions (one per account and repository) in-process
with Dagster, against a GitHub-shaped upstream process, into a real DuckDB file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from synchelp import duckdb_rows, upstream

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
dg = pytest.importorskip("dagster")
pytest.importorskip("dagster_dlt")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dagster-sync" / "definitions.py"


def _load():
    spec = importlib.util.spec_from_file_location("unci_dagster_example", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_partition_materializes_its_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with upstream("--builds", "6", "--jobs-per-build", "2") as up:
        for name, value in {**up.env(), "WORK_GH_TOKEN": "test-token-not-a-secret"}.items():
            monkeypatch.setenv(name, value)
        from unci import accounts

        with accounts.update() as found:
            found["work-gh"] = accounts.Account(
                name="work-gh",
                provider="github",
                token_env="WORK_GH_TOKEN",
                base_url=up.url,
                params={"owner": "ci"},
            )
        plan = tmp_path / "sync.toml"
        plan.write_text('[[sync]]\naccount = "work-gh"\nrepo_id = ["api", "web"]\n')
        monkeypatch.setenv("UNCI_SYNC_PLAN", str(plan))
        monkeypatch.setenv("UNCI_SYNC_DUCKDB", str(tmp_path / "unci.duckdb"))
        example = _load()
        assert example.partitions.get_partition_keys() == ["work-gh/api", "work-gh/web"]
        for key in ("work-gh/api", "work-gh/web", "work-gh/api"):  # the last one again: nothing new
            result = dg.materialize(
                [example.unci_assets], resources=example.defs.resources, partition_key=key
            )
            assert result.success
            keys = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
            assert {k.rsplit("_", 1)[-1] for k in keys} >= {"builds", "jobs"}
        rows = duckdb_rows(tmp_path / "unci.duckdb")
        assert len(rows["builds"]) == 12 and len(rows["jobs"]) == 24
        scopes = {r for row in rows["builds"] for r in row if r.startswith("work-gh:")}
        assert scopes == {"work-gh:owner=ci&repo_id=api", "work-gh:owner=ci&repo_id=web"}
        import duckdb

        with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
            names = con.execute(
                "SELECT DISTINCT pipeline_name FROM ci._dlt_pipeline_state ORDER BY 1"
            ).fetchall()
        assert names == [("unci_work_gh_api",), ("unci_work_gh_web",)]
