"""The options every job command shares, as click decorators, and what they mean once parsed.

A new command (``builds list``, ``jobs logs``...) gets the same spellings, defaults, checks
and shell completion by stacking these decorators and calling :func:`parse`; nothing here
knows which command it serves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click
from click.shell_completion import CompletionItem

from unci.errors import UsageError

if TYPE_CHECKING:
    from unci.records import Kind

ERROR_FORMATS = ("text", "json")
FORMATS = ("unified", "normalized", "raw", "stream", "debug")
OUTPUTS = ("json", "table", "csv")
#: The environment variable naming the account used when --account is left out.
ACCOUNT_ENV = "UNCI_ACCOUNT"


# --- shell completion ----------------------------------------------------------------------


def _complete_provider(_ctx: click.Context, _param: Any, incomplete: str) -> list[CompletionItem]:
    from unci.plugins import registry

    return [CompletionItem(n) for n in registry().names() if n.startswith(incomplete)]


def complete_account(_ctx: click.Context, _param: Any, incomplete: str) -> list[CompletionItem]:
    """Account names from the accounts file (nothing, quietly, when it cannot be read)."""
    from unci import accounts
    from unci.errors import UnciError

    try:
        names = list(accounts.load())
    except UnciError:
        return []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def _complete_param(ctx: click.Context, _param: Any, incomplete: str) -> list[CompletionItem]:
    """``NAME=`` for each param of the provider given so far (or of the account's provider)."""
    from unci.errors import UnciError
    from unci.plugins import registry

    provider = ctx.params.get("provider")
    try:
        if not provider and ctx.params.get("account"):
            from unci.accounts import find

            provider = find(ctx.params["account"]).provider
        from unci.catalog import describe

        names = [provider] if provider else registry().names()
        seen: dict[str, str] = {}
        for name in names:
            row = describe(name)
            for p in [*row.get("params", []), *row.get("list_params", [])]:
                seen.setdefault(p["name"], p["description"])
    except UnciError:
        return []
    return [CompletionItem(f"{n}=", help=d) for n, d in seen.items() if f"{n}=".startswith(incomplete)]


if TYPE_CHECKING:
    # A recent click types ParamType by what it converts to and from; click 8.1 cannot subscript it.
    _NumberType = click.ParamType[float, "str | float"]
else:
    _NumberType = click.ParamType


class Number(_NumberType):
    """An option parsed by :mod:`unci.numbers` (``nan``, ``inf``, ``²`` are usage errors)."""

    def __init__(self, name: str, parse: Callable[[str, str], float]) -> None:
        self.name = name
        self.parse = parse

    def convert(self, value: str | float, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if not isinstance(value, str):
            return value  # a default, already a number
        try:
            return self.parse(value, "/".join(param.opts) if param else "value")
        except UsageError as exc:
            self.fail(exc.cli_message(), param, ctx)


def _size(text: str, name: str) -> int:
    from unci.numbers import size

    return size(text, name)


def seconds_type(positive: bool) -> Number:
    """Seconds as every command reads them: finite, within a year (``nan``, ``inf`` refused)."""
    from unci.numbers import seconds

    return Number("seconds", lambda text, name: seconds(text, name, positive=positive))


# --- the decorators ------------------------------------------------------------------------


def _stack(options: Sequence[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def decorate(f: Any) -> Any:
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def _remember_error_format(ctx: click.Context, _param: Any, value: str) -> str:
    ctx.meta["unci.error_format"] = value
    return value


error_format_option = click.option(
    "--error-format",
    type=click.Choice(ERROR_FORMATS),
    default="text",
    show_default=True,
    callback=_remember_error_format,
    is_eager=True,
    expose_value=False,
    help="json prints Truto's error envelope on stderr (usage errors too).",
)

#: How a command is told who calls and where: token (three ways), Basic-auth pair, API root.
_CREDENTIALS = [
    click.option(
        "--token",
        metavar="TOKEN",
        default=None,
        help="API token (default: UNCI_<PROVIDER>_TOKEN or the provider's own variable). "
        "Other local users can read it in `ps`: prefer the variable, --token-stdin or "
        "--token-file.",
    ),
    click.option("--token-stdin", is_flag=True, help="Read the token from standard input."),
    click.option(
        "--token-file",
        metavar="PATH",
        default=None,
        help="Read the token from this file (one trailing newline is ignored).",
    ),
    click.option("--username", default=None, help="User name, for Basic-auth providers."),
    click.option(
        "--password",
        default=None,
        help="Password / app password, for Basic-auth providers (default: UNCI_<PROVIDER>_PASSWORD).",
    ),
    click.option(
        "--base-url",
        default=None,
        metavar="URL",
        help="API root (default: UNCI_<PROVIDER>_BASE_URL or the hosted service).",
    ),
]

#: The credentials and API root alone (``unci sync``, which names its repositories its own way).
credential_options = _stack(_CREDENTIALS)

#: Who to ask: provider, account, params, credentials, API root.
request_options = _stack(
    [
        click.option(
            "--provider",
            "-P",
            default=None,
            metavar="NAME",
            shell_complete=_complete_provider,
            help="Provider name (see `unci providers`); optional with an account.",
        ),
        click.option(
            "--account",
            "-a",
            default=None,
            metavar="NAME",
            shell_complete=complete_account,
            help="An integrated account (see `unci accounts`): provider, credentials, "
            f"base URL and default params; explicit options override it. Default: "
            f"{ACCOUNT_ENV}, then `unci accounts default`.",
        ),
        click.option(
            "-p",
            "--param",
            "params",
            multiple=True,
            metavar="NAME=VALUE",
            shell_complete=_complete_param,
            help="A provider parameter; repeatable (e.g. -p owner=octo-org).",
        ),
        *_CREDENTIALS,
        click.option(
            "--remote-query",
            multiple=True,
            metavar="KEY=VALUE",
            help="Passed to the provider's query string untouched, over a parameter unci sends "
            "of the same name; repeatable.",
        ),
    ]
)

#: How hard to try: timeout, deadline, body cap, retries, longest wait.
reliability_options = _stack(
    [
        click.option(
            "--timeout",
            type=seconds_type(positive=True),
            default=None,
            metavar="SECONDS",
            help="Bound on each HTTP request as a whole, from connecting (at most 10 s of "
            "it) to the last byte of the answer (default 30 s).",
        ),
        click.option(
            "--deadline",
            type=seconds_type(positive=True),
            default=None,
            metavar="SECONDS",
            help="Bound on the whole command, retries, waits and every page included (default: none).",
        ),
        click.option(
            "--max-body",
            type=Number("size", _size),
            default=None,
            metavar="SIZE",
            help="Largest response body read, decoded, e.g. 200MiB (default UNCI_MAX_BODY, else 64MiB).",
        ),
        click.option(
            "--retries",
            type=click.IntRange(min=0),
            default=3,
            show_default=True,
            help="Retries on connection errors, timeouts, 429, 502, 503, 504.",
        ),
        click.option(
            "--max-wait",
            type=seconds_type(positive=False),
            default=60.0,
            show_default=True,
            metavar="SECONDS",
            help="Longest total wait for retries and rate limits; past it, fail.",
        ),
    ]
)

#: What to print and how: format, its options, output, field selection, error format.
output_options = _stack(
    [
        click.option(
            "--format",
            "fmt",
            default="unified",
            show_default=True,
            type=click.Choice(FORMATS),
            help="Response format (docs/formats.md).",
        ),
        click.option("--ignore-remote-data", is_flag=True, help="Leave out remote_data."),
        click.option(
            "--exclude-field",
            "exclude",
            multiple=True,
            metavar="FIELD[,FIELD]",
            help="Leave out these fields; repeatable or comma-separated.",
        ),
        click.option(
            "--fields",
            "fields",
            multiple=True,
            metavar="FIELD[,FIELD]",
            help="Print only these fields, in this order (also the table and CSV columns).",
        ),
        click.option(
            "--output",
            "-o",
            type=click.Choice(OUTPUTS),
            default=None,
            help="json (default) for programs, table for people (streamed, fits the "
            "terminal), csv for spreadsheets.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Same as --output json."),
        error_format_option,
    ]
)


def paging_options(plural: str) -> Callable[[Any], Any]:
    """Paging of a list of ``plural`` (``jobs``, ``builds``): total, page size, resume point,
    every page."""
    return _stack(
        [
            click.option(
                "--limit",
                "-L",
                type=click.IntRange(min=1),
                default=None,
                help=f"At most this many {plural} in all, fetching as many pages as that takes "
                "(default: one page).",
            ),
            click.option(
                "--page-size",
                type=click.IntRange(min=1),
                default=None,
                help=f"{plural.capitalize()} per request (capped at the provider's maximum; default: "
                "the provider's own, or --limit).",
            ),
            click.option("--cursor", default=None, help="Resume from a next_cursor printed earlier."),
            click.option(
                "--all",
                "follow_all",
                is_flag=True,
                help=f"Follow every page; JSON Lines, one {plural[:-1]} a line, in constant memory.",
            ),
        ]
    )


#: Paging of a job list.
list_options = paging_options("jobs")


def _complete_words(kind: str) -> Callable[[click.Context, Any, str], list[CompletionItem]]:
    def complete(_ctx: click.Context, _param: Any, incomplete: str) -> list[CompletionItem]:
        from unci.job import Conclusion, Status

        words = Status.ALL if kind == "status" else Conclusion.ALL
        return [CompletionItem(w) for w in words if w.startswith(incomplete)]

    return complete


_WHEN = "a duration back from now (7d, 12h, 30m), a date (2026-11-24) or an ISO 8601 time"


def filter_options(what: str) -> Callable[[Any], Any]:
    """The build filters (branch, status, conclusion, time window); ``what`` ends the help
    sentence: which builds are listed, or whose jobs."""
    return _stack(
        [
            click.option("--branch", default=None, metavar="NAME", help=f"Only builds of this branch{what}."),
            click.option(
                "--status",
                default=None,
                metavar="STATUS",
                shell_complete=_complete_words("status"),
                help=f"Only builds in this state{what}: queued, in_progress or completed.",
            ),
            click.option(
                "--conclusion",
                default=None,
                metavar="WORD",
                shell_complete=_complete_words("conclusion"),
                help=f"Only builds with this outcome{what}: passed, failed, cancelled, timeout, "
                "skipped, retried, partial, or the provider's own word.",
            ),
            click.option(
                "--since",
                default=None,
                metavar="WHEN",
                help=f"Only builds created at or after WHEN{what}: {_WHEN}.",
            ),
            click.option(
                "--until",
                default=None,
                metavar="WHEN",
                help=f"Only builds created at or before WHEN{what}: {_WHEN}; a date counts to its end.",
            ),
        ]
    )


FILTERS = ("branch", "status", "conclusion", "since", "until")


def not_blank(name: str, value: str | None, provider: str | None) -> None:
    """``--since "$SINCE"`` with ``SINCE`` unset is refused: no bound at all reads every build."""
    if value is not None and not value.strip():
        who = f"{provider}: " if provider else ""
        raise UsageError(f"{who}--{name} is empty; give {_WHEN}")


def parse_filters(kw: dict[str, Any], provider: str | None) -> dict[str, str]:
    """The filter options, popped from a command's keyword arguments and checked at once (a
    bad ``--since`` is one line and exit 2 before any credential is looked at or request
    sent); only those given."""
    found = {name: kw.pop(name) for name in FILTERS}
    for name in ("since", "until"):
        not_blank(name, found[name], provider)
    given = {k: v for k, v in found.items() if v is not None}
    if given:
        from unci.builds import build_query

        build_query(**given, provider=provider, flag="--")
    return given


#: Steps that cost a request of their own (Jenkins' stages) are fetched only when asked.
steps_option = click.option(
    "--steps",
    "include_steps",
    is_flag=True,
    help="Also fetch each job's steps where they cost a request of their own (Jenkins "
    "stages); GitHub and Azure DevOps jobs always carry theirs.",
)


def _note_exit_status(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """Said where every command's failures are handled (:mod:`unci.cli`): a closed output is
    then no quiet exit 0, which would read as "passed"."""
    if value:
        ctx.meta[EXIT_STATUS_WANTED] = True
    return value


#: ``ctx.meta`` key: the command was asked for its outcome as its exit code.
EXIT_STATUS_WANTED = "unci.exit_status"

exit_status_option = click.option(
    "--exit-status",
    is_flag=True,
    callback=_note_exit_status,
    help="Exit with the outcome: 0 passed, 20 failed, 21 cancelled, 22 timeout, 23 other "
    "(skipped, partial...), 24 not finished yet.",
)

#: What ``jobs watch`` and ``builds watch`` share: how often to poll, steps, output, outcome.
watch_options = _stack(
    [
        click.option(
            "--interval",
            type=seconds_type(positive=True),
            default=3.0,
            show_default=True,
            metavar="SECONDS",
            help="Seconds between polls while things change.",
        ),
        click.option(
            "--max-interval",
            type=seconds_type(positive=True),
            default=30.0,
            show_default=True,
            metavar="SECONDS",
            help="Polls that find nothing new wait 1.5 times longer each, up to this (or "
            "--interval, if longer).",
        ),
        click.option(
            "--steps/--no-steps",
            "include_steps",
            default=True,
            show_default=True,
            help="Follow and print the steps too (an extra request a poll where the provider keeps "
            "them apart); --no-steps prints the job lines alone.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print each change as a JSON line."),
        exit_status_option,
        error_format_option,
    ]
)


# --- what they mean ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendering:
    """How to print: checked once, so a combination that would do nothing fails up front."""

    fmt: str = "unified"
    output: str = "json"
    ignore_remote_data: bool = False
    exclude: tuple[str, ...] = ()
    fields: tuple[str, ...] | None = None
    #: What is printed: jobs or builds (their fields, columns and formats).
    kind: Kind | None = None

    @property
    def rows(self) -> bool:
        """Table and CSV print normalized rows, whatever the format."""
        return self.output in ("table", "csv")


def _names(values: Sequence[str]) -> list[str]:
    return [n.strip() for value in values for n in value.split(",") if n.strip()]


def rendering(
    fmt: str,
    output: str | None,
    as_json: bool,
    ignore_remote_data: bool,
    exclude: Sequence[str],
    fields: Sequence[str],
    kind: Kind | None = None,
) -> Rendering:
    """The output options, parsed and checked (one line saying why when they clash) against
    the fields of ``kind`` (default: jobs)."""
    from unci.formats import parse_exclude
    from unci.records import JOBS

    kind = kind or JOBS
    if as_json and output not in (None, "json"):
        raise UsageError(f"--json and --output {output} ask for two outputs; give one")
    output = output or "json"
    excluded = parse_exclude(exclude, kind)
    chosen = _names(fields)
    valid = list(dict.fromkeys([*kind.fields, *kind.normalized]))
    unknown = [n for n in chosen if n not in valid]
    if unknown:
        raise UsageError(
            f"unknown field(s) for --fields: {', '.join(unknown)}; valid fields are {', '.join(valid)}"
        )
    body = fmt in ("raw", "stream")
    why = f"--format {fmt} prints the provider's body unchanged"
    if body and output != "json":
        raise UsageError(
            f"--format {fmt} --output {output} does nothing: {why}, it has no rows; "
            "use --format unified or normalized for a table or CSV"
        )
    if body and ignore_remote_data:
        raise UsageError(
            f"--ignore-remote-data --format {fmt} does nothing: {why}; use it with unified or debug"
        )
    if body and excluded:
        raise UsageError(
            f"--exclude-field --format {fmt} does nothing: {why}; use it with unified, normalized or debug"
        )
    if body and chosen:
        raise UsageError(f"--fields --format {fmt} does nothing: {why}; use it with unified or normalized")
    if fmt == "debug" and output != "json":
        raise UsageError(
            f"--format debug --output {output} does nothing: the debug envelope is "
            "JSON; use --format unified or normalized for a table or CSV"
        )
    if fmt == "debug" and chosen:
        raise UsageError(
            "--fields --format debug does nothing: the debug envelope keeps its "
            "shape; use --exclude-field, or --format unified --fields"
        )
    if ignore_remote_data and (fmt == "normalized" or output != "json"):
        where = "normalized rows" if fmt == "normalized" else f"--output {output} rows"
        raise UsageError(f"--ignore-remote-data does nothing here: {where} never carry remote_data")
    return Rendering(
        fmt=fmt,
        output=output,
        ignore_remote_data=ignore_remote_data,
        exclude=excluded,
        fields=tuple(dict.fromkeys(chosen)) or None,
        kind=kind,
    )


def default_account(provider: str | None) -> str | None:
    """The account to use when --account is left out: ``UNCI_ACCOUNT``, then the one set with
    ``unci accounts default``; only when no other provider was asked for explicitly."""
    from unci import defaults

    from_env = os.environ.get(ACCOUNT_ENV)
    name = from_env or defaults.get_default()
    if not name:
        return None
    from unci.accounts import find

    try:
        account = find(name)
    except UsageError as exc:
        if provider is not None:
            return None  # the provider named explicitly wins: nothing of a missing default applies
        # The user typed no name: say where it came from, and how to change that.
        if from_env:
            said, hint = f"which {ACCOUNT_ENV} names", f"unset {ACCOUNT_ENV} or set it to one of them"
        else:
            said = "which is the default account ('unci accounts default')"
            hint = "choose another with: unci accounts default NAME, or: unci accounts default --clear"
        raise UsageError(f"{exc.fact}, {said}", hint=hint) from None
    return name if provider is None or account.provider == provider else None
