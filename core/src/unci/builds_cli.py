"""``unci builds``: get, list and watch CI builds (workflow runs, pipelines).

Kept apart from :mod:`unci.cli`, which loads it on first use (``LAZY_COMMANDS``), so ``unci
--help`` and ``unci providers`` never build these commands and their options.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from unci.cli import HelpGroup, parse_request, parse_shared, run_get, watch_kw
from unci.options import (
    exit_status_option,
    filter_options,
    output_options,
    paging_options,
    parse_filters,
    reliability_options,
    request_options,
    watch_options,
)


@click.group(cls=HelpGroup)
def builds() -> None:
    """Fetch CI builds (workflow runs, pipelines), the runs that jobs belong to, and follow
    them to their end."""


@builds.command("get")
@click.argument("build_ids", nargs=-1, required=True, metavar="ID [ID ...]")
@request_options
@output_options
@reliability_options
@exit_status_option
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=64),
    default=8,
    show_default=True,
    help="With several ids: how many to fetch at once.",
)
def builds_get(build_ids: tuple[str, ...], concurrency: int, exit_status: bool, **kw: Any) -> None:
    """Fetch builds by id and print them.

    One id prints one JSON document; several print JSON Lines (one build a line) in the order
    given, fetched CONCURRENCY at a time. An id that fails prints one line on stderr naming it
    and the others still print; the exit code is then the highest among the failed ids. With
    --exit-status and every id fetched, it is the build's outcome (several ids: the highest).
    """
    run_get(build_ids, kw, "builds", concurrency=concurrency, exit_status=exit_status)


@builds.command("list")
@request_options
@output_options
@paging_options("builds")
@filter_options("")
@reliability_options
def builds_list(
    limit: int | None, page_size: int | None, cursor: str | None, follow_all: bool, **kw: Any
) -> None:
    """List builds, newest first (GitHub: -p owner= -p repo_id=).

    Prints {"result": [...], "next_cursor": ...}; pass the cursor back with --cursor (it keeps
    the filters and the instants of the list it continues). Filters go to the provider where it
    applies them itself and are applied again to what comes back, so a page may hold fewer
    builds than asked (even none) and still have a next cursor; with --since, listing stops at
    the first page older than it.
    """
    from unci.commands import list_command

    filters = parse_filters(kw, kw.get("provider"))
    list_command(
        **parse_shared(kw, "builds"),
        limit=limit,
        page_size=page_size,
        cursor=cursor,
        follow_all=follow_all,
        filters=filters,
    )


@builds.command("watch")
@click.argument("build_id", metavar="ID")
@request_options
@watch_options
@reliability_options
def builds_watch(build_id: str, **kw: Any) -> None:
    """Follow a build and all its jobs to the build's end, printing each change.

    As `unci jobs watch`, for every job of the build (as `gh run watch` does). Where the
    provider cannot list a build's jobs (Jenkins: the build is its own job; use `unci jobs
    watch`), the build's own status is followed. --exit-status exits with the build's outcome.
    """
    from unci.watch_cli import watch_build_command

    options = watch_kw(kw)
    request = parse_request(kw)
    code = watch_build_command(build_id=build_id, **request, **options)
    if code:
        sys.exit(code)
