"""``unci sync`` as Dagster assets, through dagster-dlt: one partition per account and
repository of a sync plan (docs/sync.md), each partition its own dlt pipeline (so each has its
own state and partitions can run at once), all writing the same tables.

    pip install "unci[sync]" dagster dagster-dlt dagster-webserver
    UNCI_SYNC_PLAN=sync.toml dagster dev -f definitions.py

Settings, from the environment: ``UNCI_SYNC_PLAN`` (the plan, default ``sync.toml``),
``UNCI_SYNC_DESTINATION`` (a dlt destination name, default ``duckdb``; credentials as dlt takes
them), ``UNCI_SYNC_DUCKDB`` (the DuckDB file, default ``unci.duckdb``). DuckDB lets one process
write a file at a time: run partitions one after the other there, or load into PostgreSQL.

No ``from __future__ import annotations``: Dagster reads the context annotation at run time.
"""

import os
import re
import tempfile
from collections.abc import Iterator
from typing import Any

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource, dlt_assets

from unci.syncplan import Scope, read
from unci.syncsource import source

PLAN = read(os.environ.get("UNCI_SYNC_PLAN", "sync.toml"))


def partition_key(scope: Scope) -> str:
    """``account/value[/value...]``: the account, then the values of the params that name the
    repository (``work-gh/api``)."""
    return "/".join([scope.account or scope.provider or "env", *(v for _, v in sorted(scope.params.items()))])


SCOPES = {partition_key(s): s for s in PLAN.scopes}
partitions = dg.StaticPartitionsDefinition(list(SCOPES))


def destination() -> Any:
    name = os.environ.get("UNCI_SYNC_DESTINATION", "duckdb")
    if name == "duckdb":
        return dlt.destinations.duckdb(os.environ.get("UNCI_SYNC_DUCKDB", "unci.duckdb"))
    return name


def pipeline(key: str) -> dlt.Pipeline:
    """The partition's pipeline: its name keeps its state apart; a fresh working folder, so
    the state comes from the destination, as with `unci sync`."""
    slug = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
    return dlt.pipeline(
        pipeline_name=f"unci_{slug}",
        pipelines_dir=tempfile.mkdtemp(prefix="unci-dagster-"),
        destination=destination(),
        dataset_name=os.environ.get("UNCI_SYNC_DATASET", "ci"),
    )


@dlt_assets(
    dlt_source=source(PLAN.scopes, lookback=PLAN.lookback, since=PLAN.since),
    dlt_pipeline=pipeline("all"),
    name="unci",
    group_name="ci_history",
    partitions_def=partitions,
)
def unci_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
    key = context.partition_key
    data = source([SCOPES[key]], lookback=PLAN.lookback, since=PLAN.since)
    yield from dlt.run(context=context, dlt_source=data, dlt_pipeline=pipeline(key))


defs = dg.Definitions(assets=[unci_assets], resources={"dlt": DagsterDltResource()})
