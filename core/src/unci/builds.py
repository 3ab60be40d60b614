"""Builds without I/O: check the query, build the requests, read the pages, filter, page on.

A provider sends the filters its API understands; whatever comes back is filtered again here,
by the same rules for every provider, so a provider that filters less is slower, never wrong.
Build lists come newest first (the contract), which is what lets a list with ``since`` stop at
the first page that lies entirely before it instead of reading the whole history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from unci.build import Build, BuildQuery
from unci.call import Answer, Call, Target, check_params, decoding, prepare
from unci.errors import UsageError
from unci.job import Status
from unci.listing import _same, encode_cursor, read_cursor
from unci.plugins import PluginRegistry, registry
from unci.provider import BuildPage, Request, check_value
from unci.when import When, parse_when

#: The operation build-list cursors are signed for (a job-list cursor does not resume one).
OPERATION = "builds"


@dataclass
class BuildList:
    """One page of unified builds and the cursor for the next (``None``: nothing more)."""

    result: list[Build]
    next_cursor: str | None
    calls: list[tuple[Call, Answer]] = field(default_factory=list)
    #: The provider pointed its next page at the page just read; unci stopped there.
    looping: bool = False
    #: The page lay entirely before ``since``; unci read no further.
    stopped_at_since: bool = False


@dataclass
class FetchedBuild:
    """A fetched build with everything the output formats can need."""

    call: Call
    answer: Answer
    build: Build

    def debug(self) -> dict[str, object]:
        from unci.call import debug_envelope

        return debug_envelope(self.call, self.answer)


def build_query(
    *,
    branch: str | None = None,
    status: str | None = None,
    conclusion: str | None = None,
    since: When | None = None,
    until: When | None = None,
    provider: str | None = None,
) -> BuildQuery:
    """The caller's filters, checked: times parsed (``7d``, dates, ISO times), words known."""
    who = f"{provider}: " if provider else ""
    if status is not None and status not in Status.ALL:
        raise UsageError(
            f"{who}--status {status!r} is not a unified status; use one of "
            f"{', '.join(Status.ALL)} (outcomes go in --conclusion)",
            provider=provider,
        )
    for what, value in (("branch", branch), ("conclusion", conclusion)):
        if value is not None:
            check_value(f"--{what}", value, provider=provider or "unci", kind="query")
    start = parse_when(since, "since", provider=provider)
    end = parse_when(until, "until", provider=provider)
    if start and end and start > end:
        raise UsageError(
            f"{who}--since {start.isoformat()} is after --until {end.isoformat()}; nothing can match",
            provider=provider,
        )
    return BuildQuery(
        branch=branch or None, status=status, conclusion=conclusion or None, since=start, until=end
    )


def _filters(query: BuildQuery) -> dict[str, str]:
    found = {
        "branch": query.branch,
        "status": query.status,
        "conclusion": query.conclusion,
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
    }
    return {k: v for k, v in found.items() if v is not None}


def _query(filters: Mapping[str, str]) -> BuildQuery:
    def when(name: str) -> datetime | None:
        return datetime.fromisoformat(filters[name]) if name in filters else None

    return BuildQuery(
        branch=filters.get("branch"),
        status=filters.get("status"),
        conclusion=filters.get("conclusion"),
        since=when("since"),
        until=when("until"),
    )


def when_of(build: Build) -> datetime | None:
    """The time a build is filtered and ordered by: created, else started, else updated."""
    return build.created_at or build.started_at or build.updated_at


def matches(build: Build, query: BuildQuery) -> bool:
    """Does ``build`` pass every filter of ``query``? A build with no time at all passes no
    time filter (it cannot be shown to lie inside the window)."""
    if query.branch is not None and build.branch != query.branch:
        return False
    if query.status is not None and build.status != query.status:
        return False
    if query.conclusion is not None and build.conclusion != query.conclusion:
        return False
    if query.since is not None or query.until is not None:
        when = when_of(build)
        if when is None:
            return False
        if query.since is not None and when < query.since:
            return False
        if query.until is not None and when > query.until:
            return False
    return True


def before_since(page: BuildPage, query: BuildQuery) -> bool:
    """Does the whole page lie before ``since``? Then, newest first, so does every later one."""
    if query.since is None or not page.builds:
        return False
    times = [when_of(b) for b in page.builds]
    return all(t is not None and t < query.since for t in times)


# --- one build -----------------------------------------------------------------------------


def prepare_build(
    target: Target,
    build_id: str,
    params: Mapping[str, str] | None = None,
    remote_query: Iterable[tuple[str, str]] = (),
    reg: PluginRegistry | None = None,
) -> Call:
    reg = reg or registry()
    provider = target.provider
    build_id = check_value("build id", str(build_id), provider=provider)
    checked = check_params(target, params or {}, "build", reg)
    request = reg.hooks(provider).build_build_request(build_id, checked)
    call = prepare(target, request, remote_query=remote_query, job_id=build_id, params=checked, reg=reg)
    call.kind = "build"
    return call


def decode_build(call: Call, answer: Answer, reg: PluginRegistry | None = None) -> Build:
    reg = reg or registry()
    with decoding(call.provider, "the build JSON"):
        return reg.hooks(call.provider).map_build(answer.body, call.job_id or "", call.params)


# --- lists of builds -----------------------------------------------------------------------


def prepare_builds(
    target: Target,
    params: Mapping[str, str] | None,
    query: BuildQuery,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    remote_query: Iterable[tuple[str, str]] = (),
    reg: PluginRegistry | None = None,
) -> tuple[Call, int, BuildQuery]:
    """The call for the page a cursor (or none: the first page) points at, the skip, and the
    filters in force: a cursor carries the filters (and instants) of the list it continues."""
    reg = reg or registry()
    provider = target.provider
    if limit is not None and limit < 1:
        raise UsageError(f"{provider}: --limit must be at least 1, got {limit}", provider=provider)
    checked = check_params(target, params or {}, OPERATION, reg)
    hooks = reg.hooks(provider)
    if cursor:
        data = read_cursor(target, cursor, OPERATION)
        query = _query(data.filters)
        request = hooks.build_builds_request(checked, query, limit)
        # Only the path and query come from the cursor; method and headers from the provider.
        nxt = Request(
            path=data.path, method=request.method, query=list(data.query), headers=dict(request.headers)
        )
        call = prepare(target, nxt, params=checked, reg=reg)
        call.kind = "build list"
        return call, data.skip, query
    request = hooks.build_builds_request(checked, query, limit)
    call = prepare(target, request, remote_query=remote_query, params=checked, reg=reg)
    call.kind = "build list"
    return call, 0, query


def read_build_page(call: Call, answer: Answer, reg: PluginRegistry | None = None) -> BuildPage:
    reg = reg or registry()
    sent = Request(
        path=call.url,
        method=call.method,
        query=list(call.query),
        headers={k: v for k, v in call.headers.items() if k not in call.auth_header_names},
    )
    with decoding(call.provider, "the build list JSON"):
        return reg.hooks(call.provider).map_build_page(answer.body, answer.headers, call.params, sent)


def slice_builds(
    call: Call, answer: Answer, page: BuildPage, query: BuildQuery, skip: int, limit: int | None
) -> BuildList:
    """The matching builds to hand out from this page, and the cursor that resumes after them."""
    kept = [b for b in page.builds if matches(b, query)]
    end = len(kept) if limit is None else min(len(kept), skip + limit)
    builds = kept[skip:end]
    filters = _filters(query)
    calls = [(call, answer)]
    if end < len(kept):
        here = Request(path=call.url, method=call.method, query=list(call.query))
        return BuildList(builds, encode_cursor(call.target, here, end, OPERATION, filters), calls)
    if before_since(page, query):
        return BuildList(builds, None, calls, stopped_at_since=True)
    nxt = page.next
    if nxt is None or _same(call, nxt):
        return BuildList(builds, None, calls, looping=nxt is not None)
    return BuildList(builds, encode_cursor(call.target, nxt, 0, OPERATION, filters), calls)


def build_param(target: Target, reg: PluginRegistry | None = None) -> str | None:
    """The ``list`` parameter that names the build whose jobs are listed (GitHub ``build``):
    the one ``list`` takes and ``builds`` does not. ``None`` when the provider lists no builds
    or it is not one parameter."""
    reg = reg or registry()
    hooks = reg.hooks(target.provider)
    if not hooks.supports("build_builds_request"):
        return None
    listing = [p.name for p in hooks.required_params("list")]
    builds = {p.name for p in hooks.required_params(OPERATION)}
    extra = [name for name in listing if name not in builds]
    return extra[0] if len(extra) == 1 else None
