"""``unci sync``: CI history into a database (the ``sync`` extra: dlt, DuckDB, pyarrow).

Kept apart from :mod:`unci.cli` so ``unci --help`` never imports dlt; the plan and the input
are checked before dlt is imported or any database is opened.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from unci.errors import UnciError
from unci.options import complete_account, credential_options, not_blank, reliability_options

if TYPE_CHECKING:
    from unci.syncplan import Scope


def _unlabelled(message: str, scope: Scope) -> str:
    """``message`` without the provider's name in front where the scope's label already starts
    with it ("github: ci/gone: not found", not "github: ci/gone: github: not found"); an
    account's label keeps it, as the account's name does not say which provider spoke."""
    return message.removeprefix(f"{scope.provider}: ") if scope.account is None else message


class _Progress:
    """One line per repository on a terminal, rewritten in place at most ten times a second."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.lines = 0
        self.last = 0.0

    def __call__(self, report: Any, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        rows = [
            f"  {t.scope.label}: {t.builds} builds, {t.jobs} jobs{'  FAILED' if t.error else ''}"
            for t in report.tallies.values()
        ]
        up = f"\x1b[{self.lines}F" if self.lines else ""
        self.stream.write(up + "".join(f"\x1b[2K{row}\n" for row in rows))
        self.stream.flush()
        self.lines = len(rows)


#: The options of ``credential_options``, as their keyword arguments.
_CREDENTIAL_KEYS = ("token", "token_stdin", "token_file", "username", "password", "base_url")


@click.command("sync")
@click.option(
    "--account",
    "-a",
    "accounts",
    multiple=True,
    metavar="NAME",
    shell_complete=complete_account,
    help="An integrated account to sync (see `unci accounts`); repeatable. Default, when "
    "neither this nor --provider is given: UNCI_ACCOUNT, then `unci accounts default`.",
)
@click.option(
    "--provider",
    "-P",
    default=None,
    metavar="NAME",
    help="Without an account: credentials from the environment.",
)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="The repository (pipeline, project) to sync, e.g. -p repo_id=api; a name given twice "
    "syncs both (-p repo_id=api -p repo_id=web).",
)
@click.option(
    "--config",
    "plan_file",
    default=None,
    metavar="FILE",
    help="A sync plan (TOML, see docs/sync.md) instead of --account/-p.",
)
@click.option(
    "--destination",
    default="duckdb",
    show_default=True,
    metavar="NAME",
    help="A dlt destination: duckdb, postgres, bigquery, snowflake...; credentials the way dlt "
    "takes them (DESTINATION__POSTGRES__CREDENTIALS or .dlt/secrets.toml).",
)
@click.option(
    "--duckdb", "duckdb_file", default=None, metavar="FILE", help="The DuckDB file (default ./unci.duckdb)."
)
@click.option("--dataset", default="ci", show_default=True, help="The dataset (schema) the tables go in.")
@click.option(
    "--pipeline-name",
    default="unci",
    show_default=True,
    help="Names the stored state; syncs run side by side need different names.",
)
@click.option(
    "--since",
    default=None,
    metavar="WHEN",
    help="How far back a first sync (or a full refresh) goes: 90d, 2026-01-01... (default: all history).",
)
@click.option(
    "--lookback",
    default=None,
    metavar="DURATION",
    help="How far before the newest build each sync looks again for re-runs and changes "
    "(default 3d; 0 for none).",
)
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Forget what was synced (the state) and fetch the whole history again; rows merge "
    "over the old ones.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=16,
    show_default=True,
    help="How many builds' jobs are fetched at once.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@credential_options
@reliability_options
def sync(
    accounts: tuple[str, ...],
    provider: str | None,
    params: tuple[str, ...],
    plan_file: str | None,
    destination: str,
    duckdb_file: str | None,
    dataset: str,
    pipeline_name: str,
    since: str | None,
    lookback: str | None,
    full_refresh: bool,
    concurrency: int,
    as_json: bool,
    **kw: Any,
) -> None:
    """Copy builds, jobs and steps into a database, incrementally (pip install "unci[sync]").

    \b
    unci sync --account work-gh -p repo_id=api -p repo_id=web
    unci sync --config sync.toml --destination postgres

    A second run fetches only what changed. One repository failing prints its line and the
    others are still synced; the exit code is then the highest among the failed ones, 14 when
    the destination fails. See docs/sync.md.
    """
    from unci.cli import client_options, parse_credentials, parse_pairs
    from unci.errors import ConfigError, UsageError
    from unci.syncplan import from_options, parse_lookback, read
    from unci.when import parse_when

    if plan_file and (accounts or params or provider):
        raise UsageError("give the repositories either with --config or with --account/-p, not both")
    given = [f"--{k.replace('_', '-')}" for k in _CREDENTIAL_KEYS if kw.get(k)]
    if plan_file and given:
        raise UsageError(
            f"{given[0]} applies to --account/-P, not to a --config plan: a plan's repositories are "
            "called with their accounts' credentials (or the provider's variables)"
        )
    who = parse_credentials(kw)
    if plan_file:
        plan = read(plan_file)
        scopes, window, floor_text = plan.scopes, plan.lookback, plan.since
    else:
        if not accounts and not provider:
            # As every command: UNCI_ACCOUNT, then `unci accounts default`. Only where nothing
            # was named, so a sync that names its provider keeps its scopes (and rows).
            from unci.options import default_account

            named = default_account(None)
            accounts = (named,) if named else ()
        scopes = from_options(accounts, provider, parse_pairs(params, "-p"))
        window, floor_text = parse_lookback(None), None
    if lookback is not None:
        window = parse_lookback(lookback)
    if since is not None:
        not_blank("since", since, None)
        floor = parse_when(since, "since", flag="--")
    else:
        try:
            floor = parse_when(floor_text, "since")
        except UsageError as exc:
            raise ConfigError(f"sync plan {plan_file}: {exc.message}") from None
    settings = client_options(
        kw.pop("timeout"), kw.pop("retries"), kw.pop("max_wait"), kw.pop("deadline"), kw.pop("max_body")
    )
    # Before dlt's imports: malloc hands back what is freed, rather than keeping more the
    # longer the history, and Arrow's buffers go through it (unci.heap).
    from unci.heap import arrow_on_c_heap, keep_heap_small

    keep_heap_small()
    arrow_on_c_heap()
    try:
        import dlt  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        raise ConfigError('unci sync needs its extra: pip install "unci[sync]"') from None
    from unci.client import Client
    from unci.syncrun import destination_named, run

    chosen = destination_named(destination)
    if chosen == "filesystem" and not os.environ.get("DESTINATION__FILESYSTEM__TABLE_FORMAT"):
        # dlt merges on the filesystem only into Delta or Iceberg tables; elsewhere it appends.
        click.echo(
            "note: filesystem: dlt appends here (it merges only into table_format delta or iceberg), "
            "so a build fetched again (unfinished, re-run, in the look-back) is written again; "
            "keep the newest _dlt_load_id per key when reading, or sync into DuckDB or PostgreSQL",
            err=True,
        )
    # A dumb terminal (an editor's shell, a CI log viewer on a pty) shows cursor codes as
    # text: no progress there, the summary says it all.
    drawn = sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
    progress = _Progress(sys.stderr) if drawn and not as_json else None
    started = time.monotonic()
    try:
        with Client(**settings) as client:
            report, label = run(
                scopes,
                destination_name=destination,
                duckdb_file=duckdb_file,
                dataset=dataset,
                pipeline_name=pipeline_name,
                lookback=window,
                since=floor,
                full_refresh=full_refresh,
                concurrency=concurrency,
                client=client,
                on_change=progress,
                who=who,
            )
    except UnciError as exc:
        if as_json:  # a script reading the summary gets one too, saying what failed
            why = {"error": exc.cli_message(), "exit_code": exc.exit_code, "synced": False}
            click.echo(json.dumps({"destination": chosen, "dataset": dataset, **why}))
        raise
    if progress is not None:
        progress(report, force=True)
    seconds = time.monotonic() - started
    tallies = list(report.tallies.values())
    failed = [t for t in tallies if t.error is not None]
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    for t in failed:
        assert t.error is not None
        click.echo(f"unci: error: {t.scope.label}: {_unlabelled(t.error.cli_message(), t.scope)}", err=True)
    total = {
        k: sum(getattr(t, k) for t in tallies) for k in ("builds", "jobs", "steps", "requests", "unchanged")
    }
    if as_json:
        click.echo(
            json.dumps(
                {
                    "destination": label,
                    "dataset": dataset,
                    **total,
                    "seconds": round(seconds, 3),
                    "full_refresh": full_refresh,
                    "repositories": [t.as_dict() for t in tallies],
                    "failed": len(failed),
                    "notes": report.notes,
                }
            )
        )
    else:
        what = f"{len(tallies)} repositor{'y' if len(tallies) == 1 else 'ies'}"
        if failed:  # what was synced, not what was asked for
            what = f"{len(tallies) - len(failed)} of {what}"
        tail = f"; {len(failed)} failed" if failed else ""
        click.echo(
            f"synced {what} into {label} (dataset {dataset}): {total['builds']} builds, "
            f"{total['jobs']} jobs, {total['steps']} steps written, {total['requests']} requests "
            f"({total['unchanged']} unchanged) in {seconds:.1f} s{tail}"
        )
    if failed:
        sys.exit(max(t.error.exit_code for t in failed if t.error is not None))
