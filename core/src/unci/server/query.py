"""Reading a query string the way Truto's clients write it.

Truto's SDKs and docs encode objects as ``remote_query[foo]=bar`` and arrays as
``truto_exclude_fields[]=id`` (``qs.stringify`` in the TypeScript SDK writes ``[0]``, ``[1]``
instead, and Truto's own guide also shows comma lists); booleans are ``true`` / ``false``. Every
name that is not one of Truto's (or ``provider`` and ``include_steps``, unci's own) is a per-provider
parameter, as on Truto (``owner=...&repo_id=...``). Anything unci cannot honour is a 400 that
says so, rather than a silently different answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from unci import formats, numbers
from unci.errors import UsageError

#: The Truto parameters unci serves, plus ``provider`` for calls without an account.
RESERVED = (
    "integrated_account_id",
    "provider",
    "truto_response_format",
    "truto_ignore_remote_data",
    "truto_exclude_fields",
    "remote_query",
    "limit",
    "next_cursor",
    "include_steps",
)
#: The build filters both lists take as query parameters (the CLI's --branch, --since...): the
#: builds list filters with them; the jobs list, given them and no build, lists the jobs of the
#: builds that match.
FILTERS = ("branch", "status", "conclusion", "since", "until")
#: Operations that list (limit, next_cursor), and the kind of record each answers with.
LISTS = ("list", "builds")
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_INDEX = re.compile(r"[0-9]{1,6}")  # qs.stringify's [0], [1]: ASCII digits only
_BOOLS = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True)
class TrutoQuery:
    """One request's query, sorted into what the core's calls take. Never changed once made:
    :func:`parsed` hands the same one to every request with the same query string."""

    account: str | None = None
    provider: str | None = None
    fmt: str = "unified"
    ignore_remote_data: bool = False
    exclude: tuple[str, ...] = ()
    remote_query: list[tuple[str, str]] = field(default_factory=list)
    limit: int | None = None
    cursor: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    #: Build filters (lists only), checked: ``since``/``until`` as the caller wrote them.
    filters: dict[str, str] = field(default_factory=dict)
    #: unci's own: fetch steps that cost a request of their own (Jenkins' stages).
    include_steps: bool = False


def _split(key: str) -> tuple[str, list[str]]:
    """``remote_query[a][b]`` -> ``("remote_query", ["a", "b"])``; odd keys stay whole."""
    match = _KEY.match(key)
    if not match:
        return key, []
    name, brackets = match.groups()
    return name, [part[1:-1] for part in re.findall(r"\[[^\[\]]*\]", brackets)]


def bool_value(name: str, value: str) -> bool:
    """``true``/``false`` (or ``1``/``0``), as Truto's clients write booleans."""
    return _bool(name, value)


def _bool(name: str, value: str) -> bool:
    try:
        return _BOOLS[value.strip().lower()]
    except KeyError:
        raise UsageError(f"{name} must be true or false, got {value!r}") from None


def _once(seen: dict[str, str], name: str, value: str) -> None:
    if name in seen:
        raise UsageError(f"query parameter {name!r} is given more than once; give it once")
    seen[name] = value


def parse(raw_query: str, *, operation: str) -> TrutoQuery:
    """Sort a raw query string into a TrutoQuery; ``operation`` is ``"get"``, ``"list"`` (jobs),
    ``"build"`` or ``"builds"``, as providers name their parameters.

    Formats and excluded fields are checked here with the same functions the CLI uses, so a
    bad value is a 400 before any provider is called.
    """
    remote_query: list[tuple[str, str]] = []
    params: dict[str, str] = {}
    filters: dict[str, str] = {}
    scalars: dict[str, str] = {}
    excluded: list[str] = []
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        name, path = _split(key)
        if name == "remote_query":
            if not path or not path[0]:
                raise UsageError(
                    "remote_query is an object: give remote_query[NAME]=VALUE, e.g. remote_query[per_page]=50"
                )
            # The rest of the key goes to the provider untouched: remote_query[a][b]=x -> a[b]=x
            remote_query.append((path[0] + "".join(f"[{p}]" for p in path[1:]), value))
        elif name == "truto_exclude_fields":
            if len(path) > 1 or (path and path[0] and not _INDEX.fullmatch(path[0])):
                raise UsageError(
                    f"truto_exclude_fields is an array of field names; {key!r} is "
                    "not one of its forms (truto_exclude_fields[]=id or a comma list)"
                )
            excluded.append(value)
        elif operation in LISTS and name in FILTERS:
            if path:
                raise UsageError(f"query parameter {name!r} takes one value, not {key!r}")
            if name in filters:
                raise UsageError(f"query parameter {name!r} is given more than once; give it once")
            filters[name] = value
        elif name in RESERVED or name.startswith("truto_"):
            if name not in RESERVED:
                raise UsageError(
                    f"query parameter {name!r} is not supported by unci; the Truto parameters it "
                    f"serves are {', '.join(n for n in RESERVED if n != 'provider')}"
                )
            if path:
                raise UsageError(f"query parameter {name!r} takes one value, not {key!r}")
            _once(scalars, name, value)
        else:
            if path:
                raise UsageError(
                    f"provider parameter {name!r} takes one value: give {name}=VALUE, not {key!r}"
                )
            if name in params:
                raise UsageError(f"provider parameter {name!r} is given more than once; give it once")
            params[name] = value

    fmt = formats.check_format(scalars.get("truto_response_format") or "unified")
    ignore_remote_data = False
    if "truto_ignore_remote_data" in scalars:
        ignore_remote_data = _bool("truto_ignore_remote_data", scalars["truto_ignore_remote_data"])
    from unci.records import BUILDS, JOBS

    kind = BUILDS if operation in ("build", "builds") else JOBS
    exclude = formats.parse_exclude(excluded, kind)
    if filters:
        from unci.builds import build_query

        build_query(**filters)  # a bad filter is a 400 in the server's words
    include_steps = False
    if "include_steps" in scalars:
        include_steps = _bool("include_steps", scalars["include_steps"])
        if include_steps and kind is BUILDS:
            raise UsageError("include_steps is for jobs; a build has no steps of its own")
        if include_steps and fmt in ("raw", "stream"):
            raise UsageError(
                f"include_steps=true does nothing with truto_response_format={fmt}: the "
                "provider's body is answered unchanged; use unified, normalized or debug"
            )
    limit: int | None = None
    cursor: str | None = None
    if operation in LISTS:
        if scalars.get("limit"):
            limit = numbers.whole(scalars["limit"], "limit", minimum=1)
        cursor = scalars.get("next_cursor") or None
        if fmt == "stream":
            raise UsageError(
                f"truto_response_format=stream is for one {kind.noun}; list with unified, "
                "normalized, raw or debug"
            )
    return TrutoQuery(
        account=scalars.get("integrated_account_id") or None,
        provider=scalars.get("provider") or None,
        fmt=fmt,
        ignore_remote_data=ignore_remote_data,
        exclude=exclude,
        remote_query=remote_query,
        limit=limit,
        cursor=cursor,
        params=params,
        filters=filters,
        include_steps=include_steps,
    )


#: How many query strings keep their parsed form.
KEPT = 256

_kept: dict[tuple[str, str], TrutoQuery] = {}


def parsed(raw_query: str, *, operation: str) -> TrutoQuery:
    """:func:`parse`, kept per query string and operation: a server's callers repeat the same
    few queries, and parsing one cost as much as resolving its account. Only a query that
    parsed is kept (a bad one is refused anew every time), and none with build filters: a
    ``since=7d`` moves with the clock, so its check is made on every request."""
    key = (raw_query, operation)
    found = _kept.get(key)
    if found is None:
        found = parse(raw_query, operation=operation)
        if not found.filters:
            if len(_kept) >= KEPT:
                del _kept[next(iter(_kept))]  # the oldest
            _kept[key] = found
    return found
