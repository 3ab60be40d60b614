"""``unci jobs logs``: a job's log on stdout, streamed as it comes."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from unci.options import Number, error_format_option, reliability_options, request_options


def _seconds(text: str, name: str) -> float:
    from unci.numbers import seconds

    return seconds(text, name, positive=True)


def keep_color(asked: bool | None, isatty: bool, environ: Any = os.environ) -> bool:
    """``--color`` / ``--no-color`` when given; otherwise colour only on a terminal, and never
    when ``NO_COLOR`` is set to anything (no-color.org)."""
    if asked is not None:
        return asked
    return isatty and not environ.get("NO_COLOR")


@click.command("logs")
@click.argument("job_id", metavar="ID")
@request_options
@reliability_options
@click.option(
    "--follow",
    "-f",
    is_flag=True,
    help="While the job runs, keep printing its log as it grows, until the job ends.",
)
@click.option(
    "--tail",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Only the last N lines (with --follow: of what is there at first, then the rest).",
)
@click.option(
    "--failed",
    is_flag=True,
    help="Only the failed steps' part of the log (providers with a log per step).",
)
@click.option(
    "--color/--no-color",
    "color",
    default=None,
    help="Keep or strip terminal colours (default: kept on a terminal, stripped when piped or "
    "when NO_COLOR is set).",
)
@click.option(
    "--interval",
    type=Number("seconds", _seconds),
    default=3.0,
    show_default=True,
    metavar="SECONDS",
    help="With --follow: seconds between two reads of the log.",
)
@error_format_option
def jobs_logs(
    job_id: str,
    follow: bool,
    tail: int | None,
    failed: bool,
    color: bool | None,
    interval: float,
    **kw: Any,
) -> None:
    """Print a job's log, as the provider gives it, in constant memory.

    A redirect to a storage host is followed without the provider's credentials. A job with no
    log yet (GitHub gives one once the job has finished) or none at all exits 13 with one line;
    --follow waits for it instead.
    """
    from unci.cli import parse_request
    from unci.output import stdout, write
    from unci.watch_cli import reading_client

    request = parse_request(kw)
    out = stdout()
    keep = keep_color(color, out.isatty())

    def notice(message: str) -> None:
        click.echo(message, err=True)

    from unci.logs import strip_ansi

    with reading_client(**request["client"]) as http:
        chunks = http.iter_log(
            request["provider"],
            job_id,
            params=request["params"],
            follow=follow,
            tail=tail,
            failed=failed,
            color=keep,
            interval=interval,
            on_notice=notice,
            remote_query=request["remote_query"],
            **request["credentials"],
        )
        # Colour kept on a terminal: colour and cursor codes reach it, its other escapes do not
        # (a log could set the title or write the clipboard). Elsewhere (a file, less -R) they
        # do nothing, and the output is the provider's as it is.
        for chunk in strip_ansi(chunks, keep_csi=True) if keep and out.isatty() else chunks:
            write(out, chunk)
    sys.stdout.flush()
