"""The ``unci`` command line: list providers, fetch jobs.

Every failure is one line on stderr (or Truto's JSON envelope with ``--error-format json``) and
a documented exit code; a traceback only with ``UNCI_TRACEBACK=1``. Heavy modules (httpx) are
imported inside the commands that make requests, so ``unci --help`` and ``unci providers`` stay
fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from unci import __version__
from unci.errors import UnciError, UsageError

ERROR_FORMATS = ("text", "json")


#: Subcommands imported only when used, so `unci providers` never pays for them.
LAZY_COMMANDS = {"accounts": ("unci.accounts_cli", "accounts_group"),
                 "serve": ("unci.serve_cli", "serve")}


class UnciGroup(click.Group):
    """Turns unci's errors into a clear line and their exit code; loads some commands lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and name not in self.commands:
            import importlib

            module, attr = LAZY_COMMANDS[name]
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UnciError as exc:
            fail(exc, ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("unci: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader went away (`unci jobs list --all | head`): it has what it wanted.
            # Point stdout at devnull so the interpreter's final flush cannot fail again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except Exception as exc:
            if os.environ.get("UNCI_TRACEBACK"):
                raise
            click.echo(f"unci: internal error: {type(exc).__name__}: {exc} "
                       "(set UNCI_TRACEBACK=1 to see where; please report it)", err=True)
            ctx.exit(1)


def fail(exc: UnciError, ctx: click.Context) -> None:
    error_format = (ctx.meta.get("unci.error_format") or "text")
    if error_format == "json":
        click.echo(json.dumps(exc.to_dict(), default=str), err=True)
    else:
        click.echo(f"unci: error: {exc.message}", err=True)
    ctx.exit(exc.exit_code)


def parse_pairs(values: Sequence[str], option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            raise UsageError(
                f"malformed {option} argument {value!r}: expected NAME=VALUE, e.g. {option} owner=octo-org"
            )
        pairs.append((name.strip(), rest))
    return pairs


class Number(click.ParamType):
    """An option parsed by :mod:`unci.numbers` (``nan``, ``inf``, ``²`` are usage errors)."""

    def __init__(self, name: str, parse: Any) -> None:
        self.name = name
        self.parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # a default, already a number
        try:
            return self.parse(value, "/".join(param.opts) if param else "value")
        except UsageError as exc:
            self.fail(exc.message, param, ctx)


def _seconds(positive: bool) -> Number:
    from unci.numbers import seconds

    return Number("seconds", lambda text, name: seconds(text, name, positive=positive))


@click.group(cls=UnciGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unci")
def cli() -> None:
    """unci: fetch CI jobs from any provider as one unified record.

    \b
    Exit codes: 0 ok, 1 internal error, 2 bad usage or input, 3 plugin broken,
    4 auth refused, 5 not found, 6 other provider error, 7 rate limited,
    8 network/timeout, 9 unexpected provider body, 10 configuration,
    11 not offered by the provider.
    """


# --- providers -----------------------------------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--check", is_flag=True, help="Exit 3 when any installed provider is broken.")
def providers(as_json: bool, check: bool) -> None:
    """List the installed providers, their params and the fields they fill."""
    from unci.catalog import describe_all

    rows = describe_all()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo(
            "No provider is installed. Install the ones you need, e.g.\n"
            "  pip install unci-github unci-circleci unci-travis unci-bitbucket unci-buddy"
        )
    else:
        for row in rows:
            click.echo(_provider_text(row))
    if check and any(row.get("error") for row in rows):
        sys.exit(3)


def _provider_text(row: dict[str, Any]) -> str:
    head = f"{row['name']}  ({row['distribution']})"
    if row.get("error"):
        return f"{head}\n  BROKEN: {row['error']}\n"
    params = ", ".join(
        f"{p['name']}{'' if p['required'] else ' (optional)'}" for p in row["params"]
    ) or "none"
    return (
        f"{head}  {row['title']}\n"
        f"  params:   {params}\n"
        f"  fields:   {', '.join(row['fields'])}\n"
        f"  base URL: {row['base_url']}"
        + (f"; self-hosted: {row['self_hosted']}" if row.get("self_hosted") else "") + "\n"
        f"  token:    {', '.join(row['token_env'])}\n"
    )


# --- jobs ----------------------------------------------------------------------------------


def client_options(timeout: float | None, retries: int, max_wait: float) -> dict[str, Any]:
    from unci.retry import RetryPolicy

    def on_wait(message: str) -> None:
        click.echo(message, err=True)

    return {"timeout": timeout, "retry": RetryPolicy(retries=retries, max_wait=max_wait),
            "on_wait": on_wait}


def _shared(params: Sequence[str], fmt: str, output: str, ignore_remote_data: bool,
            exclude: Sequence[str], remote_query: Sequence[str], timeout: float | None,
            retries: int, max_wait: float, credentials: dict[str, Any]) -> dict[str, Any]:
    """What `jobs get` and `jobs list` pass on alike, their options parsed."""
    if fmt == "debug":  # Truto's debug format answers errors in JSON too
        click.get_current_context().meta["unci.error_format"] = "json"
    return {
        "params": dict(parse_pairs(params, "-p")),
        "fmt": fmt,
        "output": output,
        "ignore_remote_data": ignore_remote_data,
        "exclude": exclude,
        "remote_query": parse_pairs(remote_query, "--remote-query"),
        "client": client_options(timeout, retries, max_wait),
        "credentials": credentials,
    }


@cli.group()
def jobs() -> None:
    """Fetch CI jobs."""


def common_options(f: Any) -> Any:
    options = [
        click.option("--provider", "-P", default=None, metavar="NAME",
                     help="Provider name (see `unci providers`); optional with --account."),
        click.option("--account", "-a", default=None, metavar="NAME",
                     help="An integrated account (see `unci accounts`): provider, credentials, "
                     "base URL and default params; explicit options override it."),
        click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
                     help="A provider parameter; repeatable (e.g. -p owner=octo-org)."),
        click.option("--token", metavar="TOKEN", default=None,
                     help="API token (default: UNCI_<PROVIDER>_TOKEN or the provider's own variable)."),
        click.option("--username", default=None, help="User name, for Basic-auth providers."),
        click.option("--password", default=None,
                     help="Password / app password, for Basic-auth providers "
                     "(default: UNCI_<PROVIDER>_PASSWORD)."),
        click.option("--base-url", default=None, metavar="URL",
                     help="API root (default: UNCI_<PROVIDER>_BASE_URL or the hosted service)."),
        click.option("--format", "fmt", default="unified", show_default=True,
                     type=click.Choice(["unified", "normalized", "raw", "stream", "debug"]),
                     help="Response format."),
        click.option("--ignore-remote-data", is_flag=True, help="Leave out remote_data."),
        click.option("--exclude-field", "exclude", multiple=True, metavar="FIELD[,FIELD]",
                     help="Leave out these fields; repeatable or comma-separated."),
        click.option("--remote-query", multiple=True, metavar="KEY=VALUE",
                     help="Passed to the provider's query string untouched; repeatable."),
        click.option("--timeout", type=_seconds(positive=True), default=None,
                     metavar="SECONDS",
                     help="Connect/read timeout (default 30 s; connect at most 10 s)."),
        click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
                     help="Retries on connection errors, timeouts, 429, 502, 503, 504."),
        click.option("--max-wait", type=_seconds(positive=False), default=60.0, show_default=True,
                     metavar="SECONDS",
                     help="Longest total wait for retries and rate limits; past it, fail."),
        click.option("--output", type=click.Choice(["json", "table"]), default="json",
                     show_default=True, help="json for programs, table for people."),
        click.option("--error-format", type=click.Choice(ERROR_FORMATS), default="text",
                     show_default=True, callback=_remember_error_format, is_eager=True,
                     help="json prints Truto's error envelope on stderr."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _remember_error_format(ctx: click.Context, _param: Any, value: str) -> str:
    ctx.meta["unci.error_format"] = value
    return value


@jobs.command("get")
@click.argument("job_id")
@common_options
def jobs_get(job_id: str, provider: str | None, params: Sequence[str], fmt: str, output: str,
             ignore_remote_data: bool, exclude: Sequence[str], remote_query: Sequence[str],
             timeout: float | None, retries: int, max_wait: float, error_format: str,
             **credentials: str | None) -> None:
    """Fetch one job by id and print it."""
    from unci.commands import get_command

    get_command(provider=provider, job_id=job_id,
                **_shared(params, fmt, output, ignore_remote_data, exclude, remote_query,
                          timeout, retries, max_wait, credentials))


@jobs.command("list")
@common_options
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="At most this many jobs per call (the provider's page size where it allows).")
@click.option("--cursor", default=None, help="Resume from a next_cursor printed earlier.")
@click.option("--all", "follow_all", is_flag=True,
              help="Follow every page; JSON Lines, one job a line, in constant memory.")
def jobs_list(provider: str | None, params: Sequence[str], fmt: str, output: str,
              ignore_remote_data: bool, exclude: Sequence[str], remote_query: Sequence[str],
              timeout: float | None, retries: int, max_wait: float, error_format: str,
              limit: int | None, cursor: str | None, follow_all: bool,
              **credentials: str | None) -> None:
    """List the jobs of one build (-p build=ID; Buddy: -p workflow=ID).

    Prints {"result": [...], "next_cursor": ...}; pass the cursor back with --cursor.
    """
    from unci.commands import list_command

    list_command(
        provider=provider,
        **_shared(params, fmt, output, ignore_remote_data, exclude, remote_query, timeout,
                  retries, max_wait, credentials),
        limit=limit,
        cursor=cursor,
        follow_all=follow_all,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``unci`` script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="unci")
