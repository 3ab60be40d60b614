"""The build methods of :class:`~unci.Client` and :class:`~unci.AsyncClient`, and the module
functions that wrap them; also the jobs of builds found by filters (discovery).

Everything decided is decided in :mod:`unci.builds`; here the calls are sent, sync or async.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from unci.build import Build
from unci.builds import (
    BuildList,
    FetchedBuild,
    build_param,
    build_query,
    decode_build,
    prepare_build,
    prepare_builds,
    read_build_page,
    slice_builds,
)
from unci.call import Answer, Call, Target, resolve_target
from unci.job import Job
from unci.when import When

if TYPE_CHECKING:
    from unci.client import AsyncClient, Client

#: How many builds' jobs are fetched at once when a client has no ``concurrency`` of its own.
DEFAULT_CONCURRENCY = 8


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


class BuildMethods:
    """Mixed into :class:`~unci.Client`: builds, and jobs found through builds."""

    def send(self, call: Call) -> Answer:  # provided by Client
        raise NotImplementedError

    def fetch_build(
        self,
        provider: str | None,
        build_id: str,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> FetchedBuild:
        """One build with its call and answer (for the raw and debug formats)."""
        who = _who(provider, target, token, username, password, base_url, account)
        call = prepare_build(who, build_id, params, remote_query)
        answer = self.send(call)
        return FetchedBuild(call, answer, decode_build(call, answer))

    def get_build(
        self,
        provider: str | None,
        build_id: str,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
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
        remote_query: Iterable[tuple[str, str]] = (),
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
        call, skip, query = prepare_builds(
            who, params, query, limit=limit, cursor=cursor, remote_query=remote_query
        )
        answer = self.send(call)
        return slice_builds(call, answer, read_build_page(call, answer), query, skip, limit)

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
        remote_query: Iterable[tuple[str, str]] = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> Iterator[BuildList]:
        """Every page, lazily, until ``limit`` builds in all, the list's end, or ``since``."""
        who = _who(provider, target, token, username, password, base_url, account)
        left = limit
        # The instants are fixed once: "7d" must not move while the pages are read.
        query = build_query(
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            provider=who.provider,
        )
        while True:
            page = self.list_builds(
                provider,
                params=params,
                limit=left,
                cursor=cursor,
                remote_query=remote_query,
                target=who,
                branch=query.branch,
                status=query.status,
                conclusion=query.conclusion,
                since=query.since,
                until=query.until,
            )
            yield page
            if left is not None:
                left -= len(page.result)
            if page.next_cursor is None or (left is not None and left <= 0):
                return
            cursor = page.next_cursor

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
        remote_query: Iterable[tuple[str, str]] = (),
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
        remote_query: Iterable[tuple[str, str]] = (),
        concurrency: int | None = None,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> Iterator[Job]:
        """The jobs of the builds that match, build by build (newest first), each build's jobs
        fetched ``concurrency`` builds at a time; at most ``limit`` jobs in all."""
        who = _who(provider, None, token, username, password, base_url, account)
        name = _build_param(who)
        width = max(1, concurrency or getattr(self, "concurrency", None) or DEFAULT_CONCURRENCY)
        left = limit
        client: Any = self

        def jobs_of(build: Build) -> list[Job]:
            return list(client.iter_jobs(provider, params={**(params or {}), name: build.id}, target=who))

        pages = self.iter_build_pages(
            provider,
            params=params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            remote_query=remote_query,
            target=who,
        )
        with ThreadPoolExecutor(max_workers=width) as pool:
            for page in pages:
                for jobs in pool.map(jobs_of, page.result):
                    for job in jobs:
                        if left is not None and left <= 0:
                            return
                        yield job
                        if left is not None:
                            left -= 1


def _build_param(who: Target) -> str:
    from unci.errors import Unsupported

    name = build_param(who)
    if name is None:
        raise Unsupported(
            f"{who.provider}: {who.info.title} does not support listing builds, so "
            "jobs cannot be found by --since/--branch/--status; give the build "
            "with -p",
            provider=who.provider,
        )
    return name


class AsyncBuildMethods:
    """Mixed into :class:`~unci.AsyncClient`: the asyncio twins of :class:`BuildMethods`."""

    async def send(self, call: Call) -> Answer:  # provided by AsyncClient
        raise NotImplementedError

    async def fetch_build(
        self,
        provider: str | None,
        build_id: str,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> FetchedBuild:
        who = _who(provider, target, token, username, password, base_url, account)
        call = prepare_build(who, build_id, params, remote_query)
        answer = await self.send(call)
        return FetchedBuild(call, answer, decode_build(call, answer))

    async def get_build(
        self,
        provider: str | None,
        build_id: str,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> Build:
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
        remote_query: Iterable[tuple[str, str]] = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> BuildList:
        who = _who(provider, target, token, username, password, base_url, account)
        query = build_query(
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            provider=who.provider,
        )
        call, skip, query = prepare_builds(
            who, params, query, limit=limit, cursor=cursor, remote_query=remote_query
        )
        answer = await self.send(call)
        return slice_builds(call, answer, read_build_page(call, answer), query, skip, limit)

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
        remote_query: Iterable[tuple[str, str]] = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> AsyncIterator[BuildList]:
        who = _who(provider, target, token, username, password, base_url, account)
        left = limit
        query = build_query(
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            provider=who.provider,
        )
        while True:
            page = await self.list_builds(
                provider,
                params=params,
                limit=left,
                cursor=cursor,
                remote_query=remote_query,
                target=who,
                branch=query.branch,
                status=query.status,
                conclusion=query.conclusion,
                since=query.since,
                until=query.until,
            )
            yield page
            if left is not None:
                left -= len(page.result)
            if page.next_cursor is None or (left is not None and left <= 0):
                return
            cursor = page.next_cursor

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
        remote_query: Iterable[tuple[str, str]] = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> AsyncIterator[Build]:
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
        remote_query: Iterable[tuple[str, str]] = (),
        concurrency: int | None = None,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> AsyncIterator[Job]:
        who = _who(provider, None, token, username, password, base_url, account)
        name = _build_param(who)
        gate = asyncio.Semaphore(
            max(1, concurrency or getattr(self, "concurrency", None) or DEFAULT_CONCURRENCY)
        )
        left = limit
        client: Any = self

        async def jobs_of(build: Build) -> list[Job]:
            async with gate:
                return [
                    job
                    async for job in client.iter_jobs(
                        provider, params={**(params or {}), name: build.id}, target=who
                    )
                ]

        async for page in self.iter_build_pages(
            provider,
            params=params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            remote_query=remote_query,
            target=who,
        ):
            for jobs in await asyncio.gather(*(jobs_of(b) for b in page.result)):
                for job in jobs:
                    if left is not None and left <= 0:
                        return
                    yield job
                    if left is not None:
                        left -= 1


# --- module functions, one client each ------------------------------------------------------


def _client(timeout: float | None) -> Client:
    from unci.client import Client

    return Client(timeout=timeout)


def _aclient(timeout: float | None) -> AsyncClient:
    from unci.client import AsyncClient

    return AsyncClient(timeout=timeout)


def get_build(
    provider: str | None,
    build_id: str,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: Iterable[tuple[str, str]] = (),
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
    build_id: str,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: Iterable[tuple[str, str]] = (),
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
    remote_query: Iterable[tuple[str, str]] = (),
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
    remote_query: Iterable[tuple[str, str]] = (),
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
    remote_query: Iterable[tuple[str, str]] = (),
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
    remote_query: Iterable[tuple[str, str]] = (),
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
