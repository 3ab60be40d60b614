"""``unci jobs``: get, list, watch and the log of CI jobs.

Kept apart from :mod:`unci.cli`, which loads it on first use (``LAZY_COMMANDS``), so ``unci
--help`` and ``unci providers`` never build these commands and their options.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from unci.cli import HelpGroup, parse_request, parse_shared, run_get, watch_kw
from unci.logs_cli import jobs_logs
from unci.options import (
    exit_status_option,
    filter_options,
    list_options,
    output_options,
    parse_filters,
    reliability_options,
    request_options,
    steps_option,
    watch_options,
)


@click.group(cls=HelpGroup)
def jobs() -> None:
    """Fetch CI jobs."""


@jobs.command("get")
@click.argument("job_ids", nargs=-1, required=True, metavar="ID [ID ...]")
@request_options
@output_options
@reliability_options
@steps_option
@exit_status_option
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=64),
    default=8,
    show_default=True,
    help="With several ids: how many to fetch at once.",
)
def jobs_get(
    job_ids: tuple[str, ...], concurrency: int, include_steps: bool, exit_status: bool, **kw: Any
) -> None:
    """Fetch jobs by id and print them.

    One id prints one JSON document; several print JSON Lines (one job a line) in the order
    given, fetched CONCURRENCY at a time. An id that fails prints one line on stderr naming it
    and the others still print; the exit code is then the highest exit code among the failed
    ids (see `unci --help`). With --exit-status and every id fetched, it is the job's outcome
    (several ids: the highest).
    """
    run_get(
        job_ids, kw, "jobs", concurrency=concurrency, include_steps=include_steps, exit_status=exit_status
    )


@jobs.command("list")
@request_options
@output_options
@list_options
@filter_options(" whose jobs are listed (instead of -p build=)")
@reliability_options
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=64),
    default=8,
    show_default=True,
    help="With the build filters: how many builds' jobs to fetch at once.",
)
@steps_option
def jobs_list(
    limit: int | None,
    page_size: int | None,
    cursor: str | None,
    follow_all: bool,
    concurrency: int,
    include_steps: bool,
    **kw: Any,
) -> None:
    """List the jobs of one build (-p build=ID; Buddy: -p workflow=ID), or of the builds that
    match --branch/--status/--conclusion/--since/--until.

    Prints {"result": [...], "next_cursor": ...}; pass the cursor back with --cursor. --limit
    is the total number of jobs, over as many pages as it takes; --page-size is how many each
    request asks for; --all prints every page as JSON Lines. With filters and no build, the
    jobs come build by build, newest build first (several builds fetched at once); one page is
    the jobs of one page of builds, and the cursor resumes the walk with its filters.
    """
    from unci.commands import list_command

    filters = parse_filters(kw, kw.get("provider"))
    list_command(
        **parse_shared(kw),
        limit=limit,
        page_size=page_size,
        cursor=cursor,
        follow_all=follow_all,
        filters=filters,
        concurrency=concurrency,
        include_steps=include_steps,
    )


@jobs.command("watch")
@click.argument("job_id", metavar="ID")
@request_options
@watch_options
@reliability_options
def jobs_watch(job_id: str, **kw: Any) -> None:
    """Follow a job to its end, printing each change of its status and of its steps.

    A job that has not started yet is waited for. Each poll is conditional where the
    provider sends ETags (GitHub: an unchanged job costs no rate limit), waits longer while
    nothing changes, and obeys Retry-After and rate-limit resets. Ctrl-C stops (exit 130).
    """
    from unci.watch_cli import watch_job_command

    options = watch_kw(kw)
    request = parse_request(kw)
    code = watch_job_command(job_id=job_id, **request, **options)
    if code:
        sys.exit(code)


jobs.add_command(jobs_logs)
