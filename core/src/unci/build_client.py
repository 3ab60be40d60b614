"""The build methods of :class:`~unci.Client` and :class:`~unci.AsyncClient`, and the module
functions that wrap them; also the jobs of builds found by filters (discovery).

Everything decided is decided in :mod:`unci.builds`; here the calls are sent, sync or async.
What one operation sends and makes of the answers is written once, without I/O, as the steps
of :data:`Steps` (as :mod:`unci.watch` writes its rounds), which :func:`_run` and
:func:`_arun` carry out with a sync or an asyncio client.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from unci.build import Build, BuildQuery
from unci.builds import (
    OPERATION as BUILDS_OPERATION,
)
from unci.builds import (
    BuildList,
    FetchedBuild,
    Resume,
    Spot,
    build_param,
    build_query,
    builds_wanted,
    context_call,
    cut_builds,
    decode_build,
    decode_context,
    decode_resume,
    encode_resume,
    expand_page,
    expansion_calls,
    prepare_build,
    prepare_builds,
    query_filters,
    read_build_page,
    slice_builds,
    with_context,
)
from unci.call import Answer, Call, RemoteQuery, Target, check_params, resolve_target
from unci.job import Job
from unci.listing import JobPage
from unci.numbers import given_count
from unci.pagewalk import awalk, walk
from unci.when import When

if TYPE_CHECKING:
    from unci.client import AsyncClient, Client

#: How many builds' jobs are fetched at once when a client has no ``concurrency`` of its own.
DEFAULT_CONCURRENCY = 8


def _width(client: object) -> int:
    return max(1, getattr(client, "concurrency", None) or DEFAULT_CONCURRENCY)


def _who(
    provider: str | None,
    target: Target | None,
    token: str | None,
    username: str | None,
    password: str | None,
    base_url: str | None,
    account: str | None,
) -> Target:
    if target is not None:
        return target
    return resolve_target(
        provider, token=token, username=username, password=password, base_url=base_url, account=account
    )


R = TypeVar("R")

#: One operation without I/O: it yields a call to send (and is sent its answer) or a list of
#: calls to send at once (and is sent their answers, in the same order), and returns what it
#: made. An error of a send is raised where the operation asked for it and ends it.
Steps = Generator["Call | list[Call]", Any, R]


def _run(client: Any, steps: Steps[R]) -> R:
    """Carry out ``steps`` with a sync client; calls asked for at once go ``concurrency`` at a
    time over its pool, in threads."""
    try:
        step = next(steps)
        while True:
            if isinstance(step, list):
                width = min(len(step), _width(client))
                with ThreadPoolExecutor(max_workers=max(1, width)) as pool:
                    step = steps.send(list(pool.map(client.send, step)))
            else:
                step = steps.send(client.send(step))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        steps.close()


async def _arun(client: Any, steps: Steps[R]) -> R:
    """:func:`_run` with an asyncio client: calls asked for at once are tasks, ``concurrency``
    at a time."""
    try:
        step = next(steps)
        while True:
            if isinstance(step, list):
                import asyncio  # here, where a loop runs: ``import unci`` stays without it

                gate = asyncio.Semaphore(_width(client))

                async def one(call: Call, gate: asyncio.Semaphore = gate) -> Answer:
                    async with gate:
                        answer: Answer = await client.send(call)
                        return answer

                step = steps.send(list(await asyncio.gather(*(one(c) for c in step))))
            else:
                step = steps.send(await client.send(step))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        steps.close()


def _fetch_build(
    who: Target, build_id: str | int, params: Mapping[str, str] | None, remote_query: RemoteQuery
) -> Steps[FetchedBuild]:
    """One build, with what its payload lacks (a CircleCI workflow's pipeline) where the
    provider keeps it behind a second request."""
    call = prepare_build(who, build_id, params, remote_query)
    answer = yield call
    build = decode_build(call, answer)
    sub = context_call(call, build)
    if sub is not None:
        build = with_context(build, decode_context(build, sub, (yield sub)))
    return FetchedBuild(call, answer, build)


def _list_builds(
    who: Target,
    params: Mapping[str, str] | None,
    query: BuildQuery,
    limit: int | None,
    cursor: str | None,
    remote_query: RemoteQuery,
) -> Steps[BuildList]:
    """One page of the builds that match; stand-ins on it (CircleCI pipelines) replaced by
    what they list, fetched at once."""
    call, skip, query = prepare_builds(
        who, params, query, limit=limit, cursor=cursor, remote_query=remote_query
    )
    answer = yield call
    page = read_build_page(call, answer)
    subs = expansion_calls(call, page)
    if subs:
        answers = yield subs
        page = expand_page(page, [read_build_page(c, a) for c, a in zip(subs, answers, strict=True)])
    return slice_builds(call, answer, page, query, skip, limit)


class _BuildPages:
    """What a walk over build-list pages keeps, sync or async: the query (its instants fixed
    once: "7d" must not move while the pages are read), how many builds are still wanted, and
    the check that the paging ends."""

    def __init__(self, who: Target, limit: int | None, **filters: Any) -> None:
        from unci.client import PageChain

        self.who = who
        self.left = limit
        self.query = build_query(provider=who.provider, **filters)
        self.chain = PageChain(max_empty=None)  # filtered lists have runs of empty pages
        self.filtered = any(v is not None for v in query_filters(self.query).values())

    def size(self) -> int | None:
        """The page size to ask for: what is still wanted, or, where unci filters what comes
        back, the provider's own page (a page of N holds fewer than N matches: "the last 3
        failed builds" read 3 builds a request)."""
        return None if self.filtered else self.left

    def ahead(self, page: BuildList) -> Iterator[str] | None:
        return builds_wanted(page, self.left)

    def take(self, page: BuildList) -> BuildList:
        """The page to hand out: of a page fetched ahead in whole, the part still wanted."""
        if self.left is not None:
            page = cut_builds(page, self.left)
        self.chain.check(page)
        return page

    def done(self, page: BuildList) -> bool:
        """After handing out ``page``: is the walk over?"""
        if self.left is not None:
            self.left -= len(page.result)
        return page.next_cursor is None or (self.left is not None and self.left <= 0)


class _BuildJobs:
    """What a walk over the jobs of the builds that match keeps, sync or async: where it
    resumes, the query, how many jobs are still wanted, and the pages each build's jobs are
    handed out as (the two walks hand out the same pages and cursors)."""

    def __init__(
        self,
        client: object,
        who: Target,
        cursor: str | None,
        limit: int | None,
        concurrency: int | None,
        params: Mapping[str, str] | None = None,
        **filters: Any,
    ) -> None:
        self.who = who
        self.name = _build_param(who)
        given = build_query(provider=who.provider, **filters)
        if cursor:
            self.resume, listed = decode_resume(who, cursor, given, params)
        else:
            self.resume, listed = Resume(given), {k: v for k, v in (params or {}).items() if v is not None}
        #: The params of the builds walked: the caller's, else the cursor's.
        self.list_params = listed
        #: What every cursor of the walk carries: those params as resolved (account defaults
        #: included), so a cursor given with another repository is refused, not followed there.
        self.carried = check_params(who, listed, BUILDS_OPERATION)
        self.query = self.resume.query
        # No more builds' jobs fetched ahead than the limit could want (a build has one job
        # at least): a page of 5 fetched 8 builds' jobs and dropped most, on the account's quota.
        width = given_count(concurrency, "concurrency") or _width(client)
        self.width = max(1, min(width, limit) if limit else width)
        self.left = limit
        self._first = True

    def params(self, build: Build) -> dict[str, str]:
        """The job list's params for one build."""
        return {**self.list_params, self.name: build.id}

    def hand(self, spot: Spot, found: Build | BuildList, pages: list[JobPage] | None) -> list[JobPage]:
        """The pages to hand out for one place of the walk: a build's jobs (``pages``) past
        the skip a cursor gave and within what is still wanted, or, for a build-list page with
        nothing that matched, one empty page that says where to resume."""
        skip = self.resume.job_skip if self._first else 0
        self._first = False
        if pages is None:
            assert isinstance(found, BuildList)
            return [JobPage([], _cursor(self.who, spot.after(self.query), self.carried), found.calls)]
        handed, self.left = _hand_out(self.who, self.carried, self.query, spot, pages, skip, self.left)
        return handed

    def wanted(self) -> int | None:
        """The most jobs of one build that can still be handed out (fewer requests for a small
        limit): what is left, and what a cursor's first build skips."""
        return None if self.left is None else self.left + self.resume.job_skip

    @property
    def over(self) -> bool:
        return self.left == 0


class BuildMethods:
    """Mixed into :class:`~unci.Client`: builds, and jobs found through builds."""

    def send(self, call: Call) -> Answer:  # provided by Client
        raise NotImplementedError

    def fetch_build(
        self,
        provider: str | None,
        build_id: str | int,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: RemoteQuery = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> FetchedBuild:
        """One build with its call and answer (for the raw and debug formats)."""
        who = _who(provider, target, token, username, password, base_url, account)
        return _run(self, _fetch_build(who, build_id, params, remote_query))

    def stream_call(self, call: Call, chunk_size: int = 65536) -> Iterator[bytes]:  # provided by Client
        raise NotImplementedError

    def stream_build(
        self,
        provider: str | None,
        build_id: str | int,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: RemoteQuery = (),
        chunk_size: int = 65536,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> Iterator[bytes]:
        """The provider's body for one build in chunks, never held whole (the ``stream`` format)."""
        who = _who(provider, target, token, username, password, base_url, account)
        yield from self.stream_call(prepare_build(who, build_id, params, remote_query), chunk_size)

    def get_build(
        self,
        provider: str | None,
        build_id: str | int,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: RemoteQuery = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> Build:
        """One build (GitHub workflow run, GitLab pipeline...) by id, as a :class:`unci.Build`."""
        return self.fetch_build(
            provider,
            build_id,
            params=params,
            remote_query=remote_query,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        ).build

    def list_builds(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        branch: str | None = None,
        status: str | None = None,
        conclusion: str | None = None,
        since: When | None = None,
        until: When | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        remote_query: RemoteQuery = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> BuildList:
        """One page of the builds that match, newest first, and the cursor for the next.

        A page can hold fewer than ``limit`` builds (even none) and still have a next cursor:
        the filters were applied to one page of the provider's. ``since``/``until`` take a
        datetime, an ISO date or time, or a duration back from now (``7d``, ``12h``, ``30m``).
        A cursor carries the filters of the list it continues.
        """
        who = _who(provider, target, token, username, password, base_url, account)
        query = build_query(
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            provider=who.provider,
        )
        return _run(self, _list_builds(who, params, query, limit, cursor, remote_query))

    def iter_build_pages(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        branch: str | None = None,
        status: str | None = None,
        conclusion: str | None = None,
        since: When | None = None,
        until: When | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        remote_query: RemoteQuery = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> Iterator[BuildList]:
        """Every page, lazily, until ``limit`` builds in all, the list's end, or ``since``."""
        who = _who(provider, target, token, username, password, base_url, account)
        pages = _BuildPages(
            who, limit, branch=branch, status=status, conclusion=conclusion, since=since, until=until
        )

        def fetch(at: str | None) -> BuildList:
            return self.list_builds(
                provider,
                params=params,
                limit=pages.size(),
                cursor=at,
                remote_query=remote_query,
                target=who,
                **query_filters(pages.query),
            )

        for page in walk(fetch, cursor, width=_width(self), ahead=pages.ahead):
            page = pages.take(page)
            yield page
            if pages.done(page):
                return

    def iter_builds(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        branch: str | None = None,
        status: str | None = None,
        conclusion: str | None = None,
        since: When | None = None,
        until: When | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        remote_query: RemoteQuery = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> Iterator[Build]:
        """Every matching build, newest first, at most ``limit`` in all."""
        for page in self.iter_build_pages(
            provider,
            params=params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            remote_query=remote_query,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        ):
            yield from page.result

    def iter_build_jobs(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        branch: str | None = None,
        status: str | None = None,
        conclusion: str | None = None,
        since: When | None = None,
        until: When | None = None,
        limit: int | None = None,
        remote_query: RemoteQuery = (),
        concurrency: int | None = None,
        include_steps: bool = False,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> Iterator[Job]:
        """The jobs of the builds that match, build by build (newest first), each build's jobs
        fetched ``concurrency`` builds at a time; at most ``limit`` jobs in all (with their
        steps, where they cost a request of their own, under ``include_steps``)."""
        for page in self.iter_build_job_pages(
            provider,
            params=params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            limit=limit,
            remote_query=remote_query,
            concurrency=concurrency,
            include_steps=include_steps,
            target=_who(provider, None, token, username, password, base_url, account),
        ):
            yield from page.result

    def iter_build_job_pages(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        branch: str | None = None,
        status: str | None = None,
        conclusion: str | None = None,
        since: When | None = None,
        until: When | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        build_pages: int | None = None,
        remote_query: RemoteQuery = (),
        concurrency: int | None = None,
        include_steps: bool = False,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> Iterator[JobPage]:
        """The jobs of the builds that match, as the job pages each build's list came in,
        newest build first, in order, while the next ``concurrency`` builds' jobs are fetched;
        memory holds those builds' pages, never the history.

        Every page's ``next_cursor`` resumes the walk right after it (pass it back as
        ``cursor``); it carries the filters, so they need not be given again. ``limit`` is the
        most jobs in all; ``build_pages`` the most build-list pages walked (the CLI's "one
        page": the jobs of one page of builds); ``page_size`` the jobs asked for per request.
        A build-list page with no build that matches gives one empty page (its calls are the
        build list's), so a caller always learns where to resume.
        """
        who = _who(provider, target, token, username, password, base_url, account)
        state = _BuildJobs(
            self,
            who,
            cursor,
            limit,
            concurrency,
            params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
        )
        resume = state.resume
        client: Any = self

        def located() -> Iterator[tuple[Spot, Build | BuildList]]:
            at, skip = resume.builds_cursor, resume.build_skip
            pages = self.iter_build_pages(
                provider,
                params=state.list_params,
                cursor=at,
                remote_query=remote_query,
                target=who,
                **query_filters(state.query),
            )
            for walked, page in enumerate(pages, start=1):
                yield from _located(at, skip, page)
                skip = 0
                if build_pages is not None and walked >= build_pages:
                    return
                at = page.next_cursor  # the cursor the next page is fetched with

        def jobs_of(build: Build) -> list[JobPage]:
            return list(
                client.iter_pages(
                    provider,
                    params=state.params(build),
                    limit=state.wanted(),
                    page_size=page_size,
                    target=who,
                    include_steps=include_steps,
                )
            )

        pending: deque[tuple[Spot, Build | BuildList, Future[list[JobPage]] | None]] = deque()
        spots = located()
        with ThreadPoolExecutor(max_workers=state.width) as pool:
            try:
                while True:
                    while len(pending) < state.width:
                        item = next(spots, None)
                        if item is None:
                            break
                        spot, found = item
                        work = pool.submit(jobs_of, found) if isinstance(found, Build) else None
                        pending.append((spot, found, work))
                    if not pending:
                        return
                    spot, found, work = pending.popleft()
                    yield from state.hand(spot, found, None if work is None else work.result())
                    if state.over:
                        return
            finally:
                for _spot, _found, work in pending:
                    if work is not None:
                        work.cancel()


def _cursor(who: Target, resume: Resume | None, params: Mapping[str, str]) -> str | None:
    return None if resume is None else encode_resume(who, resume, params)


def _located(spot_at: str | None, skip: int, page: BuildList) -> list[tuple[Spot, Build | BuildList]]:
    """The builds of one build-list page still to walk, each with its place; a page with none
    left stands for itself, so the walk can still say where it resumes."""
    count = len(page.result)
    if skip >= count:
        return [(Spot(spot_at, count - 1, count, page.next_cursor), page)]
    return [(Spot(spot_at, i, count, page.next_cursor), page.result[i]) for i in range(skip, count)]


def _hand_out(
    who: Target,
    carried: Mapping[str, str],
    query: BuildQuery,
    spot: Spot,
    pages: list[JobPage],
    skip: int,
    left: int | None,
) -> tuple[list[JobPage], int | None]:
    """The pages of one build's jobs to hand out, past the ``skip`` a cursor gave and within
    the ``left`` still wanted, each with the cursor that resumes right after it; and what is
    left then. The sync and async walks share it, so they hand out the same pages."""
    total = sum(len(page.result) for page in pages)
    # Fetched only as far as a limit wanted: the build may have more jobs than were read.
    cut_short = bool(pages) and pages[-1].next_cursor is not None
    out: list[JobPage] = []
    position = 0  # jobs of this build handed out or skipped so far
    for page in pages:
        start = max(0, skip - position)
        if page.result and start >= len(page.result):
            position += len(page.result)
            continue  # handed out before the cursor was made
        jobs = page.result[start:]
        if left is not None:
            jobs = jobs[:left]
            left -= len(jobs)
        position += start + len(jobs)
        done = position >= total and not cut_short
        after = spot.after(query) if done else spot.after(query, position)
        out.append(JobPage(jobs, _cursor(who, after, carried), page.calls, page.looping))
        if left == 0:
            break
    return out, left


def _build_param(who: Target) -> str:
    from unci.errors import Unsupported

    name = build_param(who)
    if name is not None:
        return name
    from unci.plugins import registry

    if registry().hooks(who.provider).supports("build_builds_request"):
        why = "its job list is not chosen by one build id, so jobs cannot be found through the build filters"
        hint, py_hint, http_hint = (
            "list the builds with the same filters: unci builds list",
            "list the builds with the same filters: unci.list_builds() or iter_builds()",
            "list the builds with the same filters: GET /unified/ci-cd/builds",
        )
    else:
        why = "it lists no builds, so jobs cannot be found through the build filters"
        hint = py_hint = http_hint = "give the build"
    raise Unsupported(
        f"{who.provider} ({who.info.title}): {why}",
        hint=hint,
        py_hint=py_hint,
        http_hint=http_hint,
        provider=who.provider,
    )


class AsyncBuildMethods:
    """Mixed into :class:`~unci.AsyncClient`: the asyncio twins of :class:`BuildMethods`."""

    async def send(self, call: Call) -> Answer:  # provided by AsyncClient
        raise NotImplementedError

    def stream_call(
        self, call: Call, chunk_size: int = 65536
    ) -> AsyncGenerator[bytes, None]:  # AsyncClient's
        raise NotImplementedError

    async def stream_build(
        self,
        provider: str | None,
        build_id: str | int,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: RemoteQuery = (),
        chunk_size: int = 65536,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> AsyncGenerator[bytes, None]:
        """The asyncio twin of :meth:`unci.Client.stream_build`."""
        who = _who(provider, target, token, username, password, base_url, account)
        async for chunk in self.stream_call(prepare_build(who, build_id, params, remote_query), chunk_size):
            yield chunk

    async def fetch_build(
        self,
        provider: str | None,
        build_id: str | int,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: RemoteQuery = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> FetchedBuild:
        """The asyncio twin of :meth:`unci.Client.fetch_build`."""
        who = _who(provider, target, token, username, password, base_url, account)
        return await _arun(self, _fetch_build(who, build_id, params, remote_query))

    async def get_build(
        self,
        provider: str | None,
        build_id: str | int,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: RemoteQuery = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> Build:
        """The asyncio twin of :meth:`unci.Client.get_build`."""
        fetched = await self.fetch_build(
            provider,
            build_id,
            params=params,
            remote_query=remote_query,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )
        return fetched.build

    async def list_builds(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        branch: str | None = None,
        status: str | None = None,
        conclusion: str | None = None,
        since: When | None = None,
        until: When | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        remote_query: RemoteQuery = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> BuildList:
        """The asyncio twin of :meth:`unci.Client.list_builds`."""
        who = _who(provider, target, token, username, password, base_url, account)
        query = build_query(
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            provider=who.provider,
        )
        return await _arun(self, _list_builds(who, params, query, limit, cursor, remote_query))

    async def iter_build_pages(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        branch: str | None = None,
        status: str | None = None,
        conclusion: str | None = None,
        since: When | None = None,
        until: When | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        remote_query: RemoteQuery = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> AsyncIterator[BuildList]:
        """The asyncio twin of :meth:`unci.Client.iter_build_pages`."""
        who = _who(provider, target, token, username, password, base_url, account)
        pages = _BuildPages(
            who, limit, branch=branch, status=status, conclusion=conclusion, since=since, until=until
        )

        async def fetch(at: str | None) -> BuildList:
            return await self.list_builds(
                provider,
                params=params,
                limit=pages.size(),
                cursor=at,
                remote_query=remote_query,
                target=who,
                **query_filters(pages.query),
            )

        async for page in awalk(fetch, cursor, width=_width(self), ahead=pages.ahead):
            page = pages.take(page)
            yield page
            if pages.done(page):
                return

    async def iter_builds(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        branch: str | None = None,
        status: str | None = None,
        conclusion: str | None = None,
        since: When | None = None,
        until: When | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        remote_query: RemoteQuery = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> AsyncIterator[Build]:
        """The asyncio twin of :meth:`unci.Client.iter_builds`."""
        async for page in self.iter_build_pages(
            provider,
            params=params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            remote_query=remote_query,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        ):
            for build in page.result:
                yield build

    async def iter_build_jobs(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        branch: str | None = None,
        status: str | None = None,
        conclusion: str | None = None,
        since: When | None = None,
        until: When | None = None,
        limit: int | None = None,
        remote_query: RemoteQuery = (),
        concurrency: int | None = None,
        include_steps: bool = False,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> AsyncIterator[Job]:
        """The asyncio twin of :meth:`unci.Client.iter_build_jobs`."""
        async for page in self.iter_build_job_pages(
            provider,
            params=params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            limit=limit,
            remote_query=remote_query,
            concurrency=concurrency,
            include_steps=include_steps,
            target=_who(provider, None, token, username, password, base_url, account),
        ):
            for job in page.result:
                yield job

    async def iter_build_job_pages(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        branch: str | None = None,
        status: str | None = None,
        conclusion: str | None = None,
        since: When | None = None,
        until: When | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
        build_pages: int | None = None,
        remote_query: RemoteQuery = (),
        concurrency: int | None = None,
        include_steps: bool = False,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> AsyncIterator[JobPage]:
        """The asyncio twin of :meth:`BuildMethods.iter_build_job_pages`: the same pages and
        cursors (one helper hands them out for both), the next builds' jobs fetched as tasks."""
        import asyncio  # here, where a loop runs: ``import unci`` stays without it

        who = _who(provider, target, token, username, password, base_url, account)
        state = _BuildJobs(
            self,
            who,
            cursor,
            limit,
            concurrency,
            params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
        )
        resume = state.resume
        client: Any = self

        async def located() -> AsyncGenerator[tuple[Spot, Build | BuildList], None]:
            at, skip, walked = resume.builds_cursor, resume.build_skip, 0
            async for page in self.iter_build_pages(
                provider,
                params=state.list_params,
                cursor=at,
                remote_query=remote_query,
                target=who,
                **query_filters(state.query),
            ):
                walked += 1
                for item in _located(at, skip, page):
                    yield item
                skip = 0
                if build_pages is not None and walked >= build_pages:
                    return
                at = page.next_cursor

        async def jobs_of(build: Build) -> list[JobPage]:
            return [
                page
                async for page in client.iter_pages(
                    provider,
                    params=state.params(build),
                    limit=state.wanted(),
                    page_size=page_size,
                    target=who,
                    include_steps=include_steps,
                )
            ]

        pending: deque[tuple[Spot, Build | BuildList, asyncio.Task[list[JobPage]] | None]] = deque()
        spots = located()
        try:
            while True:
                while len(pending) < state.width:
                    item = await anext(spots, None)
                    if item is None:
                        break
                    spot, found = item
                    work = asyncio.ensure_future(jobs_of(found)) if isinstance(found, Build) else None
                    pending.append((spot, found, work))
                if not pending:
                    return
                spot, found, work = pending.popleft()
                for page in state.hand(spot, found, None if work is None else await work):
                    yield page
                if state.over:
                    return
        finally:
            for _spot, _found, work in pending:
                if work is not None:
                    work.cancel()
            await spots.aclose()


# --- module functions, one client each ------------------------------------------------------


def _client(timeout: float | None) -> Client:
    from unci.client import Client

    return Client(timeout=timeout)


def _aclient(timeout: float | None) -> AsyncClient:
    from unci.client import AsyncClient

    return AsyncClient(timeout=timeout)


def get_build(
    provider: str | None,
    build_id: str | int,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> Build:
    """One build by id: ``unci.get_build("github", "3881497935", params={...})``."""
    with _client(timeout) as client:
        return client.get_build(
            provider,
            build_id,
            params=params,
            remote_query=remote_query,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )


async def aget_build(
    provider: str | None,
    build_id: str | int,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> Build:
    """The asyncio twin of :func:`get_build`."""
    async with _aclient(timeout) as client:
        return await client.get_build(
            provider,
            build_id,
            params=params,
            remote_query=remote_query,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )


def list_builds(
    provider: str | None,
    *,
    params: Mapping[str, str] | None = None,
    branch: str | None = None,
    status: str | None = None,
    conclusion: str | None = None,
    since: When | None = None,
    until: When | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    remote_query: RemoteQuery = (),
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> BuildList:
    """One page of matching builds and the next cursor; see :meth:`Client.list_builds`."""
    with _client(timeout) as client:
        return client.list_builds(
            provider,
            params=params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            remote_query=remote_query,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )


async def alist_builds(
    provider: str | None,
    *,
    params: Mapping[str, str] | None = None,
    branch: str | None = None,
    status: str | None = None,
    conclusion: str | None = None,
    since: When | None = None,
    until: When | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    remote_query: RemoteQuery = (),
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> BuildList:
    """The asyncio twin of :func:`list_builds`."""
    async with _aclient(timeout) as client:
        return await client.list_builds(
            provider,
            params=params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            remote_query=remote_query,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )


def iter_builds(
    provider: str | None,
    *,
    params: Mapping[str, str] | None = None,
    branch: str | None = None,
    status: str | None = None,
    conclusion: str | None = None,
    since: When | None = None,
    until: When | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    remote_query: RemoteQuery = (),
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> Iterator[Build]:
    """Every matching build, pages fetched lazily: ``for b in unci.iter_builds("github", ...)``."""
    with _client(timeout) as client:
        yield from client.iter_builds(
            provider,
            params=params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            remote_query=remote_query,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )


async def aiter_builds(
    provider: str | None,
    *,
    params: Mapping[str, str] | None = None,
    branch: str | None = None,
    status: str | None = None,
    conclusion: str | None = None,
    since: When | None = None,
    until: When | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    remote_query: RemoteQuery = (),
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> AsyncIterator[Build]:
    """The asyncio twin of :func:`iter_builds`."""
    async with _aclient(timeout) as client:
        async for build in client.iter_builds(
            provider,
            params=params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
            remote_query=remote_query,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        ):
            yield build
