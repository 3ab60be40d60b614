"""Following a job or a build to its end, with polling that is kind to rate limits.

Each poll asks again for the job (and its steps, where they cost a request of their own) or for
the build and its jobs. What makes that cheap:

- Conditional requests: the last answer to each URL is kept with its ``ETag``; the next poll
  sends ``If-None-Match`` and a ``304 Not Modified`` means "unchanged" (GitHub does not count an
  authorized 304 against the rate limit). A store of one answer per URL is all watching needs;
  an HTTP cache such as hishel follows ``Cache-Control`` freshness instead (GitHub says
  ``max-age=60``), which would hide a minute of changes unless told to revalidate every time.
- Backoff: a poll that finds nothing new waits :data:`BACKOFF` times longer than the last, up
  to ``max_interval``; a change brings the wait back to ``interval``.
- The provider's word: ``Retry-After`` is obeyed, a spent quota waits for its reset, and a
  quota running low stretches the wait so that what is left lasts until the reset.

A job that has not started is simply polled until it has. The loops are written twice, sync and
async, around :class:`Poll`, which decides everything and does no I/O.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from unci import steps
from unci.build import Build
from unci.builds import build_param, decode_build, prepare_build
from unci.call import Answer, Call, Target, decode_job, prepare_get, resolve_target
from unci.errors import NotFound, RateLimited, Timeout
from unci.exit_status import finished
from unci.job import Job
from unci.listing import prepare_list, read_page, slice_page
from unci.ratelimit import normalize, retry_after

if TYPE_CHECKING:
    from unci.client import AsyncClient, Client

DEFAULT_INTERVAL = 3.0
DEFAULT_MAX_INTERVAL = 30.0
BACKOFF = 1.5
#: Pages of a build's jobs read per poll before the listing is taken to be looping.
MAX_PAGES = 50


@dataclass
class BuildState:
    """A build and its jobs as one poll saw them (what :func:`watch_build` yields)."""

    build: Build
    jobs: list[Job] = field(default_factory=list)


def signature(job: Job) -> tuple[Any, ...]:
    """What a change is: the job's status or conclusion, or any step's."""
    found = job.steps if isinstance(job.steps, list) else []
    return (
        job.status,
        job.conclusion,
        tuple((s.number, s.name, s.status, s.conclusion) for s in found),
    )


def build_signature(state: BuildState) -> tuple[Any, ...]:
    return (
        state.build.status,
        state.build.conclusion,
        tuple(sorted((j.id, signature(j)) for j in state.jobs)),
    )


class Conditional:
    """The last answer to each URL with its ETag, for ``If-None-Match``."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, tuple[tuple[str, str], ...]], Answer] = {}

    @staticmethod
    def _key(call: Call) -> tuple[str, tuple[tuple[str, str], ...]]:
        return call.url, tuple(call.query)

    def ask(self, call: Call) -> Call:
        """``call``, conditional on the ETag of its last answer where there was one."""
        last = self._last.get(self._key(call))
        if last is not None and last.headers.get("etag"):
            call.headers["If-None-Match"] = last.headers["etag"]
        else:
            call.headers.pop("If-None-Match", None)
        return call

    def answer(self, call: Call, answer: Answer) -> tuple[Answer, bool]:
        """The answer to read (the kept one for a 304) and whether it was a 304."""
        key = self._key(call)
        if answer.status == 304 and key in self._last:
            return self._last[key], True
        if answer.headers.get("etag"):
            self._last[key] = answer
        else:
            self._last.pop(key, None)
        return answer, False


class Poll:
    """When to ask again: the interval, its backoff, and what the provider's headers ask for.

    :param until: a ``time.monotonic()`` moment past which no wait may run (``--deadline``);
        a wait that would is a :class:`~unci.Timeout` naming what was being watched.
    """

    def __init__(
        self,
        provider: str,
        what: str,
        *,
        interval: float = DEFAULT_INTERVAL,
        max_interval: float = DEFAULT_MAX_INTERVAL,
        until: float | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.provider = provider
        self.what = what
        self.interval = interval
        self.max_interval = max(interval, max_interval)
        self.until = until
        self.notify = notify
        self.current = interval
        self.conditional = Conditional()
        self.last: tuple[Any, ...] | None = None
        self.headers: dict[str, str] = {}
        self._said: str | None = None
        #: Requests sent and how many of them were answered 304.
        self.requests = 0
        self.not_modified = 0

    def ask(self, call: Call) -> Call:
        self.requests += 1
        return self.conditional.ask(call)

    def answer(self, call: Call, answer: Answer) -> Answer:
        self.headers = answer.headers
        kept, unchanged = self.conditional.answer(call, answer)
        self.not_modified += unchanged
        return kept

    def changed(self, now: tuple[Any, ...]) -> bool:
        """Is ``now`` a change (the first poll always is)? Sets the next wait accordingly."""
        new = now != self.last
        self.last = now
        self.current = self.interval if new else min(self.current * BACKOFF, self.max_interval)
        return new

    def _asked(self) -> tuple[float, str] | None:
        """The wait the provider's last headers ask for, and why, if any."""
        asked = retry_after(self.headers)
        if asked is not None:
            return asked, "the provider asked to wait (Retry-After)"
        limits = normalize(self.headers)
        remaining, reset = limits.get("ratelimit-remaining"), limits.get("ratelimit-reset")
        if remaining is None or reset is None:
            return None
        if int(remaining) == 0:
            return float(reset), "the rate limit is spent until it resets"
        # Spread what is left of the quota over the time until it resets.
        return float(reset) / int(remaining), "the rate limit left allows no faster polling"

    def delay(self) -> float:
        """Seconds until the next poll: the backed-off interval, or longer where the
        provider's headers ask for it (said once on ``notify`` when past ``max_interval``)."""
        wait = self.current
        asked = self._asked()
        if asked is not None and asked[0] > wait:
            wait = asked[0]
            if self.notify is not None and wait > self.max_interval and asked[1] != self._said:
                self.notify(f"unci: {self.provider}: {asked[1]}; next poll in {wait:.0f} s")
                self._said = asked[1]
        return self._fits(wait)

    def rate_limited(self, exc: RateLimited) -> float:
        """The wait after a rate-limit error the client would not wait out itself."""
        if exc.reset_after is None:
            raise exc
        wait = max(exc.reset_after, self.interval)
        if self.notify is not None:
            self.notify(f"unci: {self.provider}: rate limited; waiting {wait:.0f} s for the reset")
        return self._fits(wait)

    def _fits(self, wait: float) -> float:
        if self.until is not None and time.monotonic() + wait >= self.until:
            raise Timeout(
                f"{self.provider}: {self.what} had not finished when the deadline ran out",
                hint="raise --deadline, or leave it out to wait for the end",
                provider=self.provider,
            )
        return wait


# --- one job -----------------------------------------------------------------------------


class JobPoll(Poll):
    """The calls of one poll of a job, prepared once; the answers read into a :class:`Job`."""

    def __init__(
        self,
        target: Target,
        job_id: str,
        params: Mapping[str, str] | None,
        remote_query: Iterable[tuple[str, str]],
        include_steps: bool,
        **kw: Any,
    ) -> None:
        self.target = target
        self.job_call = prepare_get(target, job_id, params, remote_query)
        super().__init__(target.provider, f"job {self.job_call.job_id!r}", **kw)
        self.include_steps = include_steps
        self._steps_call: Call | None = None

    def read_job(self, answer: Answer) -> Job:
        return decode_job(self.job_call, self.answer(self.job_call, answer))

    def steps_call(self, job: Job) -> Call | None:
        """The steps request this job needs, if any (asked once, then on every poll)."""
        if not self.include_steps or not steps.wanted(self.target, job):
            return None
        if self._steps_call is None:
            asked = self.job_call.job_id or job.id  # the id asked for, whatever the body says
            self._steps_call = steps.prepare_steps(self.target, asked, self.job_call.params)
        return self._steps_call

    def read_steps(self, job: Job, call: Call, answer: Answer) -> None:
        job.steps = steps.decode_steps(call, self.answer(call, answer))

    def no_steps(self) -> None:
        """The steps endpoint said 404: this job has none; stop asking."""
        self.include_steps = False


def _job_poll(
    provider: str | None,
    job_id: str,
    client: Any,
    *,
    params: Mapping[str, str] | None,
    remote_query: Iterable[tuple[str, str]],
    include_steps: bool,
    interval: float,
    max_interval: float,
    who: dict[str, Any],
) -> JobPoll:
    target = who.pop("target", None) or resolve_target(provider, **who)
    return JobPoll(
        target,
        job_id,
        params,
        remote_query,
        include_steps,
        interval=interval,
        max_interval=max_interval,
        until=client.until,
        notify=client.on_wait,
    )


def _check(interval: float, max_interval: float) -> None:
    from unci.errors import UsageError

    if not interval > 0 or not max_interval > 0:
        raise UsageError(f"the poll interval must be more than 0 s, got {interval:g} and {max_interval:g}")


def poll_job(client: Client, poll: JobPoll) -> Iterator[Job]:
    """Each new state of the job until it has finished (the sync loop)."""
    while True:
        try:
            job = poll.read_job(client.send(poll.ask(poll.job_call)))
            call = poll.steps_call(job)
            if call is not None:
                try:
                    poll.read_steps(job, call, client.send(poll.ask(call)))
                except NotFound:
                    poll.no_steps()
        except RateLimited as exc:
            time.sleep(poll.rate_limited(exc))
            continue
        if poll.changed(signature(job)):
            yield job
        if finished(job):
            return
        time.sleep(poll.delay())


async def apoll_job(client: AsyncClient, poll: JobPoll) -> AsyncIterator[Job]:
    """The asyncio twin of :func:`poll_job`."""
    while True:
        try:
            job = poll.read_job(await client.send(poll.ask(poll.job_call)))
            call = poll.steps_call(job)
            if call is not None:
                try:
                    poll.read_steps(job, call, await client.send(poll.ask(call)))
                except NotFound:
                    poll.no_steps()
        except RateLimited as exc:
            await asyncio.sleep(poll.rate_limited(exc))
            continue
        if poll.changed(signature(job)):
            yield job
        if finished(job):
            return
        await asyncio.sleep(poll.delay())


# --- one build ---------------------------------------------------------------------------


class BuildPoll(Poll):
    """The calls of one poll of a build: the build, then every page of its jobs."""

    def __init__(
        self,
        target: Target,
        build_id: str,
        params: Mapping[str, str] | None,
        remote_query: Iterable[tuple[str, str]],
        include_steps: bool,
        **kw: Any,
    ) -> None:
        self.target = target
        self.build_call = prepare_build(target, build_id, params, remote_query)
        super().__init__(target.provider, f"build {self.build_call.job_id!r}", **kw)
        name = build_param(target)
        #: Where the provider cannot list a build's jobs (Jenkins: the build is its own job),
        #: only the build is followed.
        self.list_params = None if name is None else {**(params or {}), name: build_id}
        self.include_steps = include_steps
        self.steps_calls: dict[str, Call] = {}
        self.no_steps: set[str] = set()

    def read_build(self, answer: Answer) -> Build:
        return decode_build(self.build_call, self.answer(self.build_call, answer))

    def first_page(self) -> Call | None:
        if self.list_params is None:
            return None
        return prepare_list(self.target, self.list_params)[0]

    def read_page(self, call: Call, answer: Answer, pages: int) -> tuple[list[Job], Call | None]:
        """This page's jobs and the call for the next page, if any."""
        page = read_page(call, self.answer(call, answer))
        jobs, cursor = slice_page(call, page, 0, None)
        if cursor is None or pages >= MAX_PAGES:
            return jobs, None
        return jobs, prepare_list(self.target, self.list_params, cursor=cursor)[0]

    def steps_call(self, job: Job) -> Call | None:
        if not self.include_steps or job.id in self.no_steps or not steps.wanted(self.target, job):
            return None
        if job.id not in self.steps_calls:
            self.steps_calls[job.id] = steps.prepare_steps(self.target, job.id, self.list_params)
        return self.steps_calls[job.id]

    def read_steps(self, job: Job, call: Call, answer: Answer) -> None:
        job.steps = steps.decode_steps(call, self.answer(call, answer))


def poll_build(client: Client, poll: BuildPoll) -> Iterator[BuildState]:
    """Each new state of the build and its jobs until the build has finished."""
    while True:
        try:
            state = BuildState(poll.read_build(client.send(poll.ask(poll.build_call))))
            call, pages = poll.first_page(), 0
            while call is not None:
                pages += 1
                jobs, call = poll.read_page(call, client.send(poll.ask(call)), pages)
                state.jobs += jobs
            for job in state.jobs:
                steps_call = poll.steps_call(job)
                if steps_call is not None:
                    try:
                        poll.read_steps(job, steps_call, client.send(poll.ask(steps_call)))
                    except NotFound:
                        poll.no_steps.add(job.id)
        except RateLimited as exc:
            time.sleep(poll.rate_limited(exc))
            continue
        if poll.changed(build_signature(state)):
            yield state
        if finished(state.build):
            return
        time.sleep(poll.delay())


async def apoll_build(client: AsyncClient, poll: BuildPoll) -> AsyncIterator[BuildState]:
    """The asyncio twin of :func:`poll_build`."""
    while True:
        try:
            state = BuildState(poll.read_build(await client.send(poll.ask(poll.build_call))))
            call, pages = poll.first_page(), 0
            while call is not None:
                pages += 1
                jobs, call = poll.read_page(call, await client.send(poll.ask(call)), pages)
                state.jobs += jobs
            for job in state.jobs:
                steps_call = poll.steps_call(job)
                if steps_call is not None:
                    try:
                        poll.read_steps(job, steps_call, await client.send(poll.ask(steps_call)))
                    except NotFound:
                        poll.no_steps.add(job.id)
        except RateLimited as exc:
            await asyncio.sleep(poll.rate_limited(exc))
            continue
        if poll.changed(build_signature(state)):
            yield state
        if finished(state.build):
            return
        await asyncio.sleep(poll.delay())


def _build_poll(
    provider: str | None,
    build_id: str,
    client: Any,
    *,
    params: Mapping[str, str] | None,
    remote_query: Iterable[tuple[str, str]],
    include_steps: bool,
    interval: float,
    max_interval: float,
    who: dict[str, Any],
) -> BuildPoll:
    target = who.pop("target", None) or resolve_target(provider, **who)
    return BuildPoll(
        target,
        build_id,
        params,
        remote_query,
        include_steps,
        interval=interval,
        max_interval=max_interval,
        until=client.until,
        notify=client.on_wait,
    )


# --- the public functions ----------------------------------------------------------------


def watch_job(
    provider: str | None,
    job_id: str,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: Iterable[tuple[str, str]] = (),
    include_steps: bool = True,
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = DEFAULT_MAX_INTERVAL,
    client: Client | None = None,
    timeout: float | None = None,
    **who: Any,
) -> Iterator[Job]:
    """Follow a job to its end: yield it now, then each time its status, its conclusion or a
    step's changes; return once it has finished (``job.status == "completed"``).

    ``for job in unci.watch_job("github", "399444496", params={...}): print(job.status)``.
    Polls every ``interval`` seconds, backing off to ``max_interval`` while nothing changes;
    see :mod:`unci.watch`. Pass a ``client`` (its retries, ``deadline``/``until`` and
    ``on_wait``) to share a connection pool.
    """
    _check(interval, max_interval)
    if client is None:
        from unci.client import Client

        with Client(timeout=timeout) as own:
            yield from watch_job(
                provider,
                job_id,
                params=params,
                remote_query=remote_query,
                include_steps=include_steps,
                interval=interval,
                max_interval=max_interval,
                client=own,
                **who,
            )
        return
    poll = _job_poll(
        provider,
        job_id,
        client,
        params=params,
        remote_query=remote_query,
        include_steps=include_steps,
        interval=interval,
        max_interval=max_interval,
        who=who,
    )
    yield from poll_job(client, poll)


async def awatch_job(
    provider: str | None,
    job_id: str,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: Iterable[tuple[str, str]] = (),
    include_steps: bool = True,
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = DEFAULT_MAX_INTERVAL,
    client: AsyncClient | None = None,
    timeout: float | None = None,
    **who: Any,
) -> AsyncIterator[Job]:
    """The asyncio twin of :func:`watch_job`: ``async for job in unci.awatch_job(...)``."""
    _check(interval, max_interval)
    if client is None:
        from unci.client import AsyncClient

        async with AsyncClient(timeout=timeout) as own:
            async for job in awatch_job(
                provider,
                job_id,
                params=params,
                remote_query=remote_query,
                include_steps=include_steps,
                interval=interval,
                max_interval=max_interval,
                client=own,
                **who,
            ):
                yield job
        return
    poll = _job_poll(
        provider,
        job_id,
        client,
        params=params,
        remote_query=remote_query,
        include_steps=include_steps,
        interval=interval,
        max_interval=max_interval,
        who=who,
    )
    async for job in apoll_job(client, poll):
        yield job


def watch_build(
    provider: str | None,
    build_id: str,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: Iterable[tuple[str, str]] = (),
    include_steps: bool = True,
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = DEFAULT_MAX_INTERVAL,
    client: Client | None = None,
    timeout: float | None = None,
    **who: Any,
) -> Iterator[BuildState]:
    """Follow a build and all its jobs to the build's end (as ``gh run watch`` does): yield a
    :class:`BuildState` now, then each time the build, a job or a step changes."""
    _check(interval, max_interval)
    if client is None:
        from unci.client import Client

        with Client(timeout=timeout) as own:
            yield from watch_build(
                provider,
                build_id,
                params=params,
                remote_query=remote_query,
                include_steps=include_steps,
                interval=interval,
                max_interval=max_interval,
                client=own,
                **who,
            )
        return
    poll = _build_poll(
        provider,
        build_id,
        client,
        params=params,
        remote_query=remote_query,
        include_steps=include_steps,
        interval=interval,
        max_interval=max_interval,
        who=who,
    )
    yield from poll_build(client, poll)


async def awatch_build(
    provider: str | None,
    build_id: str,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: Iterable[tuple[str, str]] = (),
    include_steps: bool = True,
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = DEFAULT_MAX_INTERVAL,
    client: AsyncClient | None = None,
    timeout: float | None = None,
    **who: Any,
) -> AsyncIterator[BuildState]:
    """The asyncio twin of :func:`watch_build`."""
    _check(interval, max_interval)
    if client is None:
        from unci.client import AsyncClient

        async with AsyncClient(timeout=timeout) as own:
            async for state in awatch_build(
                provider,
                build_id,
                params=params,
                remote_query=remote_query,
                include_steps=include_steps,
                interval=interval,
                max_interval=max_interval,
                client=own,
                **who,
            ):
                yield state
        return
    poll = _build_poll(
        provider,
        build_id,
        client,
        params=params,
        remote_query=remote_query,
        include_steps=include_steps,
        interval=interval,
        max_interval=max_interval,
        who=who,
    )
    async for state in apoll_build(client, poll):
        yield state
