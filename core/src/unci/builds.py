"""Builds without I/O: check the query, build the requests, read the pages, filter, page on.

A provider sends the filters its API understands; whatever comes back is filtered again here,
by the same rules for every provider, so a provider that filters less is slower, never wrong.
Build lists come newest first (the contract), which is what lets a list with ``since`` stop at
the first page that lies entirely before it instead of reading the whole history.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from unci.build import BUILD_FIELDS, Build, BuildQuery
from unci.call import Answer, Call, RemoteQuery, Target, check_params, decoding, prepare
from unci.errors import InvalidParam, UsageError
from unci.job import Status
from unci.listing import (
    _same,
    carried_params,
    check_cursor,
    check_limit,
    checked_numbered,
    encode_cursor,
    numbered_cursors,
    read_cursor,
)
from unci.pagewalk import within
from unci.plugins import PluginRegistry, registry
from unci.provider import BuildPage, Numbered, Request, check_id, check_value
from unci.when import When, parse_when

#: The operation build-list cursors are signed for (a job-list cursor does not resume one).
OPERATION = "builds"
#: The operation the cursors of jobs found through builds are signed for.
JOBS_OPERATION = "build jobs"


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
    #: The pages after this one by number, where the provider says how many there are.
    numbered: Numbered | None = None
    #: How many matching builds of the provider's page were handed out before (a cursor's
    #: resume point).
    skip: int = 0
    #: The core's filters the list was asked with, which every cursor of it carries on.
    filters: dict[str, str] = field(default_factory=dict)


@dataclass
class FetchedBuild:
    """A fetched build with everything the output formats can need."""

    call: Call
    answer: Answer
    build: Build

    @property
    def record(self) -> Build:
        """What was fetched (the build), under the name every fetched record shares."""
        return self.build

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
    flag: str = "",
) -> BuildQuery:
    """The caller's filters, checked: times parsed (``7d``, dates, ISO times), words known.
    ``flag`` is how messages name a filter: ``""`` for Python's arguments and the server's
    query parameters (``since``), ``--`` for the CLI's options (``--since``)."""
    who = f"{provider}: " if provider else ""
    if status is not None and status not in Status.ALL:
        raise UsageError(
            f"{who}{flag}status {status!r} is not a unified status; use one of "
            f"{', '.join(Status.ALL)} (outcomes go in {flag}conclusion)",
            provider=provider,
        )
    for what, value in (("branch", branch), ("conclusion", conclusion)):
        if value is not None:
            check_value(f"{flag}{what}", value, provider=provider or "unci", kind="query")
    start = parse_when(since, "since", provider=provider, flag=flag)
    end = parse_when(until, "until", provider=provider, flag=flag, end_of_day=True)
    if start and end and start > end:
        raise UsageError(
            f"{who}{flag}since {_shown(start)} is after {flag}until {_shown(end)}; nothing can match",
            provider=provider,
        )
    return BuildQuery(
        branch=branch or None, status=status, conclusion=conclusion or None, since=start, until=end
    )


def _shown(when: datetime) -> str:
    """An instant as a person reads it in a message: to the second, UTC as ``Z``."""
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


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


def carried(given: BuildQuery, kept: BuildQuery, provider: str) -> BuildQuery:
    """The filters a cursor carries, checked against those given with it: the same words (or
    none) resume the list; another word would be a different list, which a cursor cannot
    continue. Times always come from the cursor: ``7d`` means seven days before the list
    started, not before each page."""
    for name in ("branch", "status", "conclusion"):
        mine, theirs = getattr(given, name), getattr(kept, name)
        if mine is not None and mine != theirs:
            was = f"{name} {theirs!r}" if theirs is not None else f"no {name}"
            raise UsageError(
                f"{provider}: the cursor continues a list with {was}, not {name} {mine!r}",
                hint=f"start again without --cursor to list with --{name} {mine}",
                py_hint=f"start again without cursor= to list with {name}={mine!r}",
                http_hint=f"start again without next_cursor to list with {name}={mine}",
                provider=provider,
            )
    return kept


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
    build_id: str | int,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    reg: PluginRegistry | None = None,
) -> Call:
    reg = reg or registry()
    provider = target.provider
    build_id = check_id("build id", build_id, provider=provider)
    checked = check_params(target, params or {}, "build", reg)
    request = reg.hooks(provider).build_build_request(build_id, checked)
    call = prepare(target, request, remote_query=remote_query, job_id=build_id, params=checked, reg=reg)
    call.kind = "build"
    return call


def decode_build(call: Call, answer: Answer, reg: PluginRegistry | None = None) -> Build:
    reg = reg or registry()
    with decoding(call.provider, "the build JSON"):
        return reg.hooks(call.provider).map_build(answer.body, call.job_id or "", call.params)


def context_call(call: Call, build: Build, reg: PluginRegistry | None = None) -> Call | None:
    """The call for what ``build``'s own payload lacks (a CircleCI workflow's pipeline), where
    the provider has one; ``None`` when the build is whole."""
    reg = reg or registry()
    hooks = reg.hooks(call.provider)
    if not hooks.supports("build_build_context_request"):
        return None
    request = hooks.build_build_context_request(build, call.params)
    if request is None:
        return None
    sub = prepare(call.target, request, params=call.params, reg=reg)
    sub.kind = "build"
    return sub


def decode_context(build: Build, call: Call, answer: Answer, reg: PluginRegistry | None = None) -> Build:
    """The context of ``build`` read from the answer to its :func:`context_call`."""
    reg = reg or registry()
    with decoding(call.provider, "the build's context JSON"):
        return reg.hooks(call.provider).map_build_context(answer.body, build, call.params)


def with_context(build: Build, context: Build) -> Build:
    """``build`` with the values it lacks taken from its context, by the rule a list's
    stand-in lends its values: the build's own always win."""
    return _inherit(build, context)


# --- lists of builds -----------------------------------------------------------------------


def in_unified_words(query: BuildQuery, words: Mapping[str, str]) -> BuildQuery:
    """``query`` with a conclusion in the provider's own words (``success``) in the unified
    word its builds carry (``passed``): kept as given, it was sent to the provider, which
    answered the matching builds, and then no mapped build matched it."""
    word = query.conclusion
    unified = words.get(word.lower()) if word is not None else None
    if unified is None or unified == word:
        return query
    return msgspec.structs.replace(query, conclusion=unified)


def _no_build_named(target: Target, params: Mapping[str, str] | None, reg: PluginRegistry) -> None:
    """A list of builds given the parameter that names one build (``-p build=5``) was that
    build's repository's every build, the parameter dropped unsaid: refused, saying where
    one build and its jobs are."""
    name = build_param(target, reg)
    value = (params or {}).get(name) if name else None
    if not value:
        return
    provider = target.provider
    raise InvalidParam(
        f"{provider}: {name}={value} names one build, and a list of builds takes no {name}",
        hint=f"for that build: unci builds get {value}; for its jobs: unci jobs list -p {name}={value}",
        py_hint=f"for that build: get_build(..., {value!r}); "
        f"for its jobs: list_jobs(..., params={{{name!r}: {value!r}}})",
        http_hint=f"for that build: GET /unified/ci-cd/builds/{value}; "
        f"for its jobs: GET /unified/ci-cd/jobs?{name}={value}",
        provider=provider,
    )


def prepare_builds(
    target: Target,
    params: Mapping[str, str] | None,
    query: BuildQuery,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    remote_query: RemoteQuery = (),
    reg: PluginRegistry | None = None,
) -> tuple[Call, int, BuildQuery]:
    """The call for the page a cursor (or none: the first page) points at, the skip, and the
    filters in force: a cursor carries the filters (and instants) of the list it continues."""
    reg = reg or registry()
    provider = target.provider
    check_limit(provider, limit)
    check_cursor(provider, cursor)
    data = read_cursor(target, cursor, OPERATION) if cursor else None
    if data is not None:
        params = carried_params(data, params or {}, provider)
    checked = check_params(target, params or {}, OPERATION, reg)
    _no_build_named(target, params, reg)
    hooks = reg.hooks(provider)
    query = in_unified_words(query, hooks.provider.build_conclusions)
    if data is not None:
        query = carried(query, _query(data.filters), provider)
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
    hooks = reg.hooks(call.provider)
    with decoding(call.provider, "the build list JSON"):
        page = hooks.map_build_page(answer.body, answer.headers, call.params, sent)
    page.numbered = checked_numbered(hooks.provider, sent, answer.headers, page.next, page.numbered)
    return page


def expansion_calls(call: Call, page: BuildPage, reg: PluginRegistry | None = None) -> list[Call]:
    """The calls that list what replaces a page's stand-in builds, in page order."""
    calls = []
    for request in page.expand:
        if request is not None:
            sub = prepare(call.target, request, params=call.params, reg=reg)
            sub.kind = "build list"
            calls.append(sub)
    return calls


def expand_page(page: BuildPage, found: list[BuildPage]) -> BuildPage:
    """``page`` with each stand-in replaced by the builds its expansion listed (``found``, in
    the order of :func:`expansion_calls`); a stand-in that lists none leaves nothing behind."""
    answers = iter(found)
    builds: list[Build] = []
    for index, build in enumerate(page.builds):
        request = page.expand[index] if index < len(page.expand) else None
        if request is None:
            builds.append(build)
            continue
        builds.extend(_inherit(b, build) for b in next(answers).builds)
    return BuildPage(builds=builds, next=page.next)


def _inherit(build: Build, stand_in: Build) -> Build:
    """``build`` with the values it lacks taken from the build it replaces."""
    lacking = {
        name: getattr(stand_in, name)
        for name in BUILD_FIELDS
        if name not in ("id", "remote_data") and getattr(build, name) is None
    }
    return msgspec.structs.replace(build, **lacking)


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
        cursor = encode_cursor(call.target, here, end, OPERATION, filters, call.params)
        return BuildList(builds, cursor, calls, skip=skip, filters=filters)
    if before_since(page, query):
        return BuildList(builds, None, calls, stopped_at_since=True, skip=skip, filters=filters)
    nxt = page.next
    if nxt is None or _same(call, nxt):
        return BuildList(builds, None, calls, looping=nxt is not None, skip=skip, filters=filters)
    cursor = encode_cursor(call.target, nxt, 0, OPERATION, filters, call.params)
    return BuildList(builds, cursor, calls, skip=skip, numbered=page.numbered, filters=filters)


def cut_builds(page: BuildList, keep: int) -> BuildList:
    """``page`` with only its first ``keep`` builds, its cursor resuming right after them (a
    walk that fetched a whole page ahead when the caller wanted only part of it)."""
    if keep >= len(page.result):
        return page
    call = page.calls[-1][0]
    here = Request(path=call.url, method=call.method, query=list(call.query))
    cursor = encode_cursor(call.target, here, page.skip + keep, OPERATION, page.filters, call.params)
    return BuildList(page.result[:keep], cursor, page.calls, skip=page.skip, filters=page.filters)


def builds_ahead(page: BuildList) -> Iterator[str] | None:
    """The cursors of the numbered pages after ``page`` (with its filters), for a walk."""
    if page.numbered is None or page.next_cursor is None:
        return None
    return numbered_cursors(page.calls[-1][0], page.numbered, OPERATION, page.filters)


def builds_wanted(page: BuildList, wanted: int | None) -> Iterator[str] | None:
    """The numbered pages a walk may fetch ahead of ``page`` with ``wanted`` builds still to
    hand out (``None``: no limit, all of them). Under a limit only a list the core filters
    nothing of qualifies, where each page keeps every build, so the pages the limit fills are
    known (those, no more); a filtered one is followed page by page."""
    if wanted is not None and page.filters:
        return None
    return within(builds_ahead(page), wanted, len(page.result))


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


# --- jobs found through builds -------------------------------------------------------------


def discovers(
    target: Target,
    params: Mapping[str, str],
    filters: Mapping[str, Any],
    cursor: str | None,
    reg: PluginRegistry | None = None,
) -> bool:
    """Does a job list find its builds (build filters, or a cursor of such a walk, and no build
    given) rather than list the jobs of one build (by its cursor alone, too)? ``unci jobs list``
    and the server's ``/unified/ci-cd/jobs`` decide it here alike. A build given with filters is refused: the
    filters would choose nothing."""
    if not filters and not cursor:
        return False
    name = build_param(target, reg)
    given = name is not None and name in {**target.params, **params}
    if filters and given:
        names = ", ".join(filters)
        raise UsageError(
            f"{target.provider}: the build filters ({names}) choose builds, and {name} names one already",
            hint=f"drop -p {name} to find the builds, or the filters to list that build's jobs",
            py_hint=f"drop {name!r} from params to find the builds, or the filters to list that build's jobs",
            http_hint=f"drop {name}= to find the builds, or the filters to list that build's jobs",
            provider=target.provider,
        )
    if filters:
        return True
    if name is None or given or cursor is None:
        return False
    # A cursor alone: the list it continues says which (it carries its build, if any).
    try:
        read_cursor(target, cursor, "list")
    except UsageError:
        return True  # a walk's cursor, or none unci signed (which the walk then says)
    return False


@dataclass(frozen=True)
class Resume:
    """Where a walk over the jobs of the builds that match stands: in the build-list page that
    ``builds_cursor`` fetches (``None``: the first), ``build_skip`` matching builds in, and
    ``job_skip`` jobs into the next build. A cursor carries it, with the filters."""

    query: BuildQuery
    builds_cursor: str | None = None
    build_skip: int = 0
    job_skip: int = 0


def encode_resume(target: Target, resume: Resume, params: Mapping[str, str] | None = None) -> str:
    """The signed cursor for ``resume`` (bound to the target like every cursor), for the
    builds of ``params`` (the repository...), which it carries as every list cursor does."""
    filters = {**_filters(resume.query), "build_skip": str(resume.build_skip)}
    if resume.builds_cursor:
        filters["builds_cursor"] = resume.builds_cursor
    return encode_cursor(target, Request(path=""), resume.job_skip, JOBS_OPERATION, filters, params)


def decode_resume(
    target: Target, cursor: str, given: BuildQuery | None = None, params: Mapping[str, str] | None = None
) -> tuple[Resume, dict[str, str]]:
    """What :func:`encode_resume` signed (checked against the filters ``given`` and the
    ``params`` given with it), and the params of its list (see
    :func:`~unci.listing.carried_params`), or the usage error every bad cursor gets."""
    given = given or BuildQuery()
    data = read_cursor(target, cursor, JOBS_OPERATION)
    listed = carried_params(data, params or {}, target.provider)
    filters = dict(data.filters)
    builds_cursor = filters.pop("builds_cursor", None)
    skip = filters.pop("build_skip", "0")
    query = carried(given, _query(filters), target.provider)
    return Resume(query, builds_cursor, int(skip) if skip.isdigit() else 0, data.skip), listed


def query_filters(query: BuildQuery) -> dict[str, Any]:
    """``query`` as the filter keywords of ``list_builds``."""
    return {
        "branch": query.branch,
        "status": query.status,
        "conclusion": query.conclusion,
        "since": query.since,
        "until": query.until,
    }


@dataclass(frozen=True)
class Spot:
    """Where one build lies in the walk: the cursor of its build-list page, its index among the
    page's matching builds, how many there are, and the cursor of the page after."""

    builds_cursor: str | None
    index: int
    count: int
    next_cursor: str | None

    def after(self, query: BuildQuery, given: int | None = None) -> Resume | None:
        """Where the walk resumes after ``given`` jobs of this build (``None``: after all of
        them); ``None`` when nothing follows."""
        if given is not None:
            return Resume(query, self.builds_cursor, self.index, given)
        if self.index + 1 < self.count:
            return Resume(query, self.builds_cursor, self.index + 1, 0)
        if self.next_cursor is not None:
            return Resume(query, self.next_cursor, 0, 0)
        return None
