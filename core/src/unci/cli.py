"""The ``unci`` command line: list providers, fetch jobs.

Every failure is one line on stderr (or Truto's JSON envelope with ``--error-format json``) and
a documented exit code; a traceback only with ``UNCI_TRACEBACK=1``. Heavy modules (httpx) are
imported inside the commands that make requests, and the command groups (``jobs``, ``builds``,
``accounts``, ``serve``, ``sync``: :data:`LAZY_COMMANDS`) only when used, so ``unci --help``
and ``unci providers`` stay fast.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from unci import __version__
from unci.errors import OutputError, UnciError, UsageError

if TYPE_CHECKING:
    from unci.call import Who
    from unci.options import ERROR_FORMATS

__all__ = ["ERROR_FORMATS", "cli", "main", "parse_pairs"]


def __getattr__(name: str) -> Any:
    """``ERROR_FORMATS``, from :mod:`unci.options`, imported only when asked for."""
    if name == "ERROR_FORMATS":
        from unci.options import ERROR_FORMATS

        return ERROR_FORMATS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: What the command line asked for before click parsed it, for errors click raises while
#: parsing (an unknown option comes before any option's callback has run).
_PRESCANNED: dict[str, str | None] = {"error_format": None}


#: The command groups imported only when used (click's LazyGroup pattern: the command's
#: ``module.name``), each with the line ``unci --help`` shows for it, so that neither
#: ``unci --help`` nor ``unci providers`` imports any of them or builds their options. The
#: line is the command's own (its help's first paragraph); tests/test_cli_conventions.py
#: checks that they agree.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "accounts": (
        "unci.accounts_cli.accounts_group",
        "Named accounts: provider, credentials, API root and default params.",
    ),
    "builds": (
        "unci.builds_cli.builds",
        "Fetch CI builds (workflow runs, pipelines), the runs that jobs belong to, and follow them "
        "to their end.",
    ),
    "jobs": ("unci.jobs_cli.jobs", "Fetch CI jobs."),
    "serve": (
        "unci.serve_cli.serve",
        "Serve Truto's unified CI/CD API: /unified/ci-cd/jobs and /builds, each by id too.",
    ),
    "sync": (
        "unci.sync_cli.sync",
        'Copy builds, jobs and steps into a database, incrementally (pip install "unci[sync]").',
    ),
}


def short_help(command: click.Command) -> str:
    """The line a group's help shows for ``command``: its whole first paragraph."""
    text = command.short_help or (command.help or "").split("\n\n")[0]
    return " ".join(text.split())


class HelpGroup(click.Group):
    """Lists its commands with their whole first sentence (click cuts it at ~45 characters)."""

    def help_row(self, ctx: click.Context, name: str) -> str | None:
        command = self.get_command(ctx, name)
        return None if command is None or command.hidden else short_help(command)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, text) for name in self.list_commands(ctx) if (text := self.help_row(ctx, name))]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _prescan_error_format(args: Sequence[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--error-format" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--error-format="):
            return arg.partition("=")[2]
    return None


class _EagerOutputError(Exception):
    """What ``--help`` or ``--version`` could not write, carried past click's own handling."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _ClosedStdout:
    """Stands in for a stdout the shell closed (``unci ... >&-``): the first write is one
    clear error, not output silently lost."""

    def __init__(self) -> None:
        self.buffer = self

    def write(self, _data: Any) -> int:
        raise OutputError("cannot write the output: standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EBADF, errno.EIO}


def _silence_stdout() -> None:
    """After a failed write, point stdout at devnull, so the interpreter's final flush of what
    is still buffered cannot fail a second time (and change the exit code)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class UnciGroup(HelpGroup):
    """Turns unci's errors into a clear line and their exit code; loads some commands lazily."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """click's main, with its usage errors as one line (or the JSON envelope with
        ``--error-format json``) instead of click's three-line usage text."""
        argv = list(sys.argv[1:] if args is None else args)
        _PRESCANNED["error_format"] = _prescan_error_format(argv)
        if sys.stdout is None:
            sys.stdout = _ClosedStdout()
        if not standalone_mode:
            return super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("unci: aborted", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            no_command = getattr(click.exceptions, "NoArgsIsHelpError", ())
            ctx = getattr(exc, "ctx", None)
            if isinstance(exc, no_command) and ctx is not None:
                # `unci` or `unci jobs` alone: the help, as --help prints it, not one line of it.
                click.echo(ctx.get_help(), err=True)
                sys.exit(2)
            usage_error(exc)
            sys.exit(exc.exit_code)
        except _EagerOutputError as failed:
            # --help and --version write while the arguments are read, before any command
            # runs, so a full disk or a closed stdout reaches here: as a command's would.
            _silence_stdout()
            if isinstance(failed.error, BrokenPipeError):
                sys.exit(0)
            from unci.output import output_error

            error = output_error(failed.error)
            say(error, None)
            sys.exit(error.exit_code)
        except UnciError as exc:  # the stand-in for a closed stdout
            say(exc, None)
            sys.exit(exc.exit_code)
        sys.exit(code if isinstance(code, int) else 0)

    def _main_shell_completion(
        self, ctx_args: MutableMapping[str, Any], prog_name: str, complete_var: str | None = None
    ) -> None:
        # A shell's completion script (or its answers) written to a full disk or a closed
        # pipe: click lets that through as a traceback, where --help's is one line.
        try:
            super()._main_shell_completion(ctx_args, prog_name, complete_var)
        except OSError as exc:
            raise _EagerOutputError(exc) from exc

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except OSError as exc:
            # click turns a broken pipe here into exit 1, and anything else into a traceback.
            raise _EagerOutputError(exc) from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def help_row(self, ctx: click.Context, name: str) -> str | None:
        """A lazy command's line without importing it (once imported, its own)."""
        if name in LAZY_COMMANDS and name not in self.commands:
            return LAZY_COMMANDS[name][1]
        return super().help_row(ctx, name)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and name not in self.commands:
            import importlib

            module, _, attr = LAZY_COMMANDS[name][0].rpartition(".")
            command = getattr(importlib.import_module(module), attr)
            if isinstance(command, click.Group) and not isinstance(command, HelpGroup):
                import types

                for method in ("format_commands", "help_row"):  # its commands listed as ours are
                    setattr(command, method, types.MethodType(getattr(HelpGroup, method), command))
            if name == "accounts":
                from unci.default_cli import default_command

                command.add_command(default_command)
            self.add_command(command, name)
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
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                _silence_stdout()
                from unci.options import EXIT_STATUS_WANTED

                if ctx.meta.get(EXIT_STATUS_WANTED):
                    # Asked for the outcome as the exit code, and the reader went away before
                    # it was known: 0 would read as "passed".
                    click.echo(
                        "unci: error: the output was closed before the outcome was known; "
                        "exit 12, not the outcome (--exit-status)",
                        err=True,
                    )
                    ctx.exit(12)
                # The reader went away (`unci jobs list --all | head`): it has what it wanted.
                ctx.exit(0)
            if exc.errno not in _WRITE_ERRNOS:
                if os.environ.get("UNCI_TRACEBACK"):
                    raise
                _internal(exc, ctx)
            from unci.output import output_error

            _silence_stdout()
            fail(output_error(exc), ctx)
        except Exception as exc:
            if os.environ.get("UNCI_TRACEBACK"):
                raise
            _internal(exc, ctx)


def _internal(exc: Exception, ctx: click.Context) -> None:
    click.echo(
        f"unci: internal error: {type(exc).__name__}: {exc} "
        "(set UNCI_TRACEBACK=1 to see where; please report it)",
        err=True,
    )
    ctx.exit(1)


def _error_format(ctx: click.Context | None) -> str:
    meta = ctx.meta.get("unci.error_format") if ctx is not None else None
    return meta or _PRESCANNED["error_format"] or "text"


def usage_error(exc: click.ClickException) -> None:
    """A usage error click found while parsing, as one line naming where help is."""
    ctx = getattr(exc, "ctx", None)
    message = " ".join(exc.format_message().split())
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    if _error_format(ctx) == "json":
        from unci.bodies import error_envelope

        click.echo(json.dumps(error_envelope(UsageError(message))), err=True)
    else:
        click.echo(f"unci: error: {message}", err=True)


def fail(exc: UnciError, ctx: click.Context) -> None:
    if isinstance(exc, OutputError):
        _silence_stdout()
    cause = exc.__cause__
    if cause is not None and not isinstance(cause, UnciError) and os.environ.get("UNCI_TRACEBACK"):
        # A plugin's own exception (a hook that raised, a body it could not read): where it
        # was raised is what its author needs; the one line below stays what users read.
        import traceback

        traceback.print_exception(cause, file=sys.stderr)
    say(exc, ctx)
    ctx.exit(exc.exit_code)


def say(exc: UnciError, ctx: click.Context | None) -> None:
    """The one line of a failure on stderr: text, or Truto's envelope with ``--error-format
    json``; where stderr cannot be written (``2>/dev/full``), the exit code alone says it."""
    try:
        if _error_format(ctx) == "json":
            from unci.bodies import error_envelope

            click.echo(json.dumps(error_envelope(exc, exc.cli_message()), default=str), err=True)
        else:
            click.echo(f"unci: error: {exc.cli_message()}", err=True)
    except OSError:
        pass


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


@click.group(cls=UnciGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unci")
def cli() -> None:
    """unci: fetch CI jobs and builds from any provider as one unified record.

    \b
    Exit codes: 0 ok, 1 internal error, 2 bad usage or input, 3 plugin broken,
    4 auth refused, 5 not found, 6 other provider error, 7 rate limited,
    8 network/timeout, 9 unexpected provider body, 10 configuration,
    11 not offered by the provider, 12 output not writable (disk full, stdout
    closed), 13 the job has no log (yet), 14 sync destination unreachable, refused
    or not writable, 130 interrupted (Ctrl-C). Several ids in one `jobs get`: the
    highest code among the ids that failed. With --exit-status (`jobs get`, `jobs
    watch`, `builds get`, `builds watch`), the outcome: 0 passed, 20 failed, 21
    cancelled, 22 timeout, 23 other (skipped, partial, a provider's own word), 24
    not finished yet.
    """


# --- providers -----------------------------------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option(
    "--check",
    is_flag=True,
    help="Import every provider afresh, not from the cache; exit 3 when any is broken.",
)
def providers(as_json: bool, check: bool) -> None:
    """List the installed providers, their params and the fields they fill.

    What each provider declares is kept in a cache (UNCI_CACHE_DIR) until a file of it or of
    unci changes, so the providers are not imported every time."""
    from unci.catalog import describe_all
    from unci.plugins import registry

    rows = describe_all(cached=not check)
    unmatched, hidden = registry().unmatched(), registry().hidden()
    if unmatched and (rows or as_json):
        click.echo(f"unci: warning: {unmatched}", err=True)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows and hidden:
        said = f"; {unmatched}" if unmatched else ""
        click.echo(
            f"No provider is visible: UNCI_PLUGINS={os.environ.get('UNCI_PLUGINS', '')!r} hides the "
            f"installed ones ({', '.join(hidden)}){said}. Name them there, or unset it."
        )
    elif not rows:
        click.echo(
            "No provider is installed. Install the ones you need, e.g.\n"
            "  pip install unci-github unci-circleci unci-travis unci-bitbucket unci-buddy"
        )
    else:
        for row in rows:
            click.echo(_provider_text(row))
    broken = [row for row in rows if row.get("error")]
    if check and broken:
        # The listing may go to a file or nowhere (CI): the failure is said where failures are.
        names = ", ".join(
            f"{r['name']} ({r['distribution']})" if r.get("distribution") else r["name"] for r in broken
        )
        click.echo(
            f"unci: error: {len(broken)} provider(s) broken: {names}; the listing says why "
            "(or unci providers --json)",
            err=True,
        )
        sys.exit(3)


def _provider_text(row: dict[str, Any]) -> str:
    head = f"{row['name']}  ({row['distribution']})"
    if row.get("error"):
        return f"{head}\n  BROKEN: {row['error']}\n"

    def names(params: list[dict[str, Any]]) -> str:
        return ", ".join(f"{p['name']}{'' if p['required'] else ' (optional)'}" for p in params) or "none"

    return (
        f"{head}  {row['title']}\n"
        f"  get:      {names(row['params'])}\n"
        f"  list:     {names(row['list_params'])}\n"
        f"  fields:   {', '.join(row['fields'])}\n"
        f"  base URL: {row['base_url'] or 'none (self-hosted only: give --base-url)'}"
        + (f"; self-hosted: {row['self_hosted']}" if row.get("self_hosted") else "")
        + "\n"
        f"  token:    {', '.join(row['token_env'])}\n"
    )


# --- jobs ----------------------------------------------------------------------------------


def client_options(
    timeout: float | None,
    retries: int,
    max_wait: float,
    deadline: float | None = None,
    max_body: int | None = None,
) -> dict[str, Any]:
    import time

    from unci.retry import RetryPolicy

    def on_wait(message: str) -> None:
        click.echo(message, err=True)

    # --deadline bounds the whole command: every page of --all shares it.
    until = None if deadline is None else time.monotonic() + deadline
    return {
        "timeout": timeout,
        "retry": RetryPolicy(retries=retries, max_wait=max_wait),
        "on_wait": on_wait,
        "until": until,
        "max_body": max_body,
    }


def parse_shared(kw: dict[str, Any], kind: str = "jobs") -> dict[str, Any]:
    """The shared options (``options.request_options``, ``reliability_options``,
    ``output_options``) of a job or build command (``kind``: ``jobs``, ``builds``), popped
    from its keyword arguments and checked: provider, params, how to render, client settings
    and credentials. A new command that stacks the same decorators calls this and gets the
    same meaning for free."""
    from unci.options import rendering
    from unci.records import BUILDS, JOBS

    how = rendering(
        kw.pop("fmt"),
        kw.pop("output"),
        kw.pop("as_json"),
        kw.pop("ignore_remote_data"),
        kw.pop("exclude"),
        kw.pop("fields"),
        BUILDS if kind == "builds" else JOBS,
    )
    if how.fmt == "debug":  # Truto's debug format answers errors in JSON too
        click.get_current_context().meta["unci.error_format"] = "json"
    return {**parse_request(kw), "how": how}


def parse_request(kw: dict[str, Any]) -> dict[str, Any]:
    """The request and reliability options (``options.request_options``,
    ``reliability_options``) popped from a command's keyword arguments and checked: provider,
    params, remote query, client settings and credentials (a command with no output options,
    such as ``jobs logs``, calls only this)."""
    from unci.options import default_account

    provider = kw.pop("provider")
    account = kw.pop("account")
    credentials: Who = {
        "account": default_account(provider) if account is None else account,
        **parse_credentials(kw),
    }
    return {
        "provider": provider,
        "params": dict(parse_pairs(kw.pop("params"), "-p")),
        "remote_query": parse_pairs(kw.pop("remote_query"), "--remote-query"),
        "client": client_options(
            kw.pop("timeout"), kw.pop("retries"), kw.pop("max_wait"), kw.pop("deadline"), kw.pop("max_body")
        ),
        "credentials": credentials,
    }


def parse_credentials(kw: dict[str, Any]) -> Who:
    """``options.credential_options`` popped from a command's keyword arguments: the token
    (given one way at most), the Basic-auth pair and the API root."""
    from unci.credentials import clean

    token = _token(kw.pop("token"), kw.pop("token_stdin"), kw.pop("token_file"))
    username, password = kw.pop("username"), kw.pop("password")
    # Checked here to be named by the option; the library checks them again, by its own words.
    return {
        "token": clean(token, "--token") if token else None,
        "username": clean(username, "--username", kind="username") if username else None,
        "password": clean(password, "--password", kind="password") if password else None,
        "base_url": kw.pop("base_url"),
    }


def _token(token: str | None, from_stdin: bool, path: str | None) -> str | None:
    """The token from --token, --token-stdin or --token-file (at most one): the last two keep
    it out of the arguments, which every local user can read in `ps`."""
    ways = [
        flag
        for flag, used in (("--token", token), ("--token-stdin", from_stdin), ("--token-file", path))
        if used
    ]
    if len(ways) > 1:
        raise UsageError(f"give the token one way, not {' and '.join(ways)}")
    if not (from_stdin or path):
        return token
    from unci.credentials import read_file, read_stdin

    return read_stdin("--token-stdin") if from_stdin else read_file(path or "", "--token-file")


def report_failed(job_id: str, exc: UnciError) -> None:
    """One failed id of several: its line names the id; the others go on."""
    ctx = click.get_current_context()
    if _error_format(ctx) == "json":
        from unci.bodies import error_envelope

        click.echo(
            json.dumps({**error_envelope(exc, exc.cli_message()), "id": job_id}, default=str), err=True
        )
    else:
        click.echo(f"unci: error: {job_id}: {exc.cli_message()}", err=True)


def run_get(ids: tuple[str, ...], kw: dict[str, Any], kind: str, **options: Any) -> None:
    """``jobs get`` and ``builds get``: one id's failure is the command's error; with several,
    each failed id gets its own line and the others still print. Exits with the code
    :func:`unci.commands.get_command` gives, unless it is 0."""
    from unci.commands import get_command

    single = len(ids) == 1

    def on_error(one_id: str, exc: UnciError) -> None:
        if single:
            raise exc
        report_failed(one_id, exc)

    code = get_command(job_ids=list(ids), on_error=on_error, **options, **parse_shared(kw, kind))
    if code:
        sys.exit(code)


def watch_kw(kw: dict[str, Any]) -> dict[str, Any]:
    """The watch options (``options.watch_options``) popped from a watch command's keyword
    arguments."""
    from click.core import ParameterSource

    found = {k: kw.pop(k) for k in ("interval", "max_interval", "include_steps", "as_json", "exit_status")}
    # A spent rate limit is waited out, as long as a watch takes, unless --max-wait is given.
    source = click.get_current_context().get_parameter_source("max_wait")
    given = source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    found["rate_wait"] = kw["max_wait"] if given else None
    return found


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``unci`` script."""
    # httpx imports its own command line on import, and with it rich and pygments when they are
    # installed (~0.1 s, more on a loaded machine); unci never runs it, and httpx falls back to
    # a stub when it cannot be imported. Only the ``unci`` process is affected.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    cli.main(args=_utf8_args(list(argv) if argv is not None else sys.argv[1:]), prog_name="unci")


def _utf8_args(args: list[str]) -> list[str]:
    """The arguments as UTF-8 text. Python decodes them in the locale's encoding, keeping
    what it cannot as lone surrogates: under ``LC_ALL=C`` every non-ASCII argument (a branch
    ``ブランチ``), and anywhere the bytes that are not UTF-8, which failed deep in a provider
    plugin as its bug (exit 3) or as an internal error. Their bytes are read as UTF-8; what is
    not is one line, exit 2."""
    from unci.text import not_utf8

    out = []
    for arg in args:
        if not_utf8(arg):
            try:
                arg = os.fsencode(arg).decode("utf-8")
            except UnicodeDecodeError:
                shown = os.fsencode(arg).decode("utf-8", "backslashreplace")
                click.echo(
                    f"unci: error: the argument '{shown}' holds bytes that are not UTF-8; give it in UTF-8",
                    err=True,
                )
                sys.exit(2)
        out.append(arg)
    return out
