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

A job that has not started is simply polled until it has. What one watch does is written once,
as rounds (:func:`job_rounds`, :func:`build_rounds`) that yield the calls to send and the waits
and do no I/O, around :class:`Poll`, which decides when; :func:`drive` runs them with the sync
client and :func:`adrive` with the asyncio one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from unci import steps
from unci.build import Build
from unci.builds import build_param, context_call, decode_build, decode_context, prepare_build, with_context
from unci.call import Answer, Call, RemoteQuery, Target, decode_job, prepare_get, resolve_target
from unci.errors import NotFound, RateLimited, Timeout, UnciError
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

T = TypeVar("T")


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
        rate_wait: float | None = None,
    ) -> None:
        self.provider = provider
        #: The longest wait for a spent rate limit (``--max-wait`` given); none: wait it out.
        self.rate_wait = rate_wait
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
        if exc.reset_after is None or (self.rate_wait is not None and exc.reset_after > self.rate_wait):
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
                py_hint="raise the client's deadline, or leave it out to wait for the end",
                provider=self.provider,
            )
        return wait


# --- the two loops that run the rounds ----------------------------------------------------


@dataclass(frozen=True)
class Wait:
    """Sleep this long before the next step of the rounds."""

    seconds: float


@dataclass(frozen=True)
class Seen(Generic[T]):
    """A new state to hand to the caller."""

    value: T


#: A watch written once, without I/O: it yields the calls to send (and is sent their answers,
#: or has their errors thrown in where it yielded them), the waits, and the new states.
Rounds = Generator[Call | Wait | Seen[T], Answer, None]


def _step(rounds: Rounds[T], sent: Answer | UnciError | None) -> Call | Wait | Seen[T] | None:
    """The next step of ``rounds`` after ``sent`` (an answer, an error, or nothing); ``None``
    once they are over."""
    try:
        if isinstance(sent, UnciError):
            return rounds.throw(sent)
        return next(rounds) if sent is None else rounds.send(sent)
    except StopIteration:
        return None


def drive(client: Client, rounds: Rounds[T]) -> Iterator[T]:
    """Run ``rounds`` with a sync client, waiting as the client does between two reads: the
    new states, as they come."""
    sent: Answer | UnciError | None = None
    try:
        while (step := _step(rounds, sent)) is not None:
            sent = None
            if isinstance(step, Call):
                try:
                    sent = client.send(step)
                except UnciError as exc:  # the rounds decide which errors they outlive
                    sent = exc
            elif isinstance(step, Wait):
                client._pause(step.seconds)
            else:
                yield step.value
    finally:
        rounds.close()


async def adrive(client: AsyncClient, rounds: Rounds[T]) -> AsyncIterator[T]:
    """:func:`drive` with an asyncio client and ``asyncio.sleep``."""
    sent: Answer | UnciError | None = None
    try:
        while (step := _step(rounds, sent)) is not None:
            sent = None
            if isinstance(step, Call):
                try:
                    sent = await client.send(step)
                except UnciError as exc:
                    sent = exc
            elif isinstance(step, Wait):
                await asyncio.sleep(step.seconds)
            else:
                yield step.value
    finally:
        rounds.close()


# --- one job -----------------------------------------------------------------------------


class JobPoll(Poll):
    """The calls of one poll of a job, prepared once; the answers read into a :class:`Job`."""

    def __init__(
        self,
        target: Target,
        job_id: str | int,
        params: Mapping[str, str] | None,
        remote_query: RemoteQuery,
        include_steps: bool,
        **kw: Any,
    ) -> None:
        self.target = target
        self.job_call = prepare_get(target, job_id, params, remote_query)
        super().__init__(target.provider, f"job {self.job_call.job_id!r}", **kw)
        self.include_steps = include_steps
        self._steps_call: Call | None = None

    @property
    def record_call(self) -> Call:
        """The call for the job itself (its credentials are what output must never show)."""
        return self.job_call

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


def _check(interval: float, max_interval: float) -> None:
    """Each named as the argument it is (the CLI's options are checked as they are parsed)."""
    from unci.numbers import given_seconds

    given_seconds(interval, "interval")
    given_seconds(max_interval, "max_interval")


def job_rounds(poll: JobPoll) -> Rounds[Job]:
    """Each new state of the job until it has finished, as the calls to send and the waits."""
    while True:
        try:
            job = poll.read_job((yield poll.ask(poll.job_call)))
            call = poll.steps_call(job)
            if call is not None:
                try:
                    poll.read_steps(job, call, (yield poll.ask(call)))
                except NotFound:
                    poll.no_steps()
        except RateLimited as exc:
            yield Wait(poll.rate_limited(exc))
            continue
        if poll.changed(signature(job)):
            yield Seen(job)
        if finished(job):
            return
        yield Wait(poll.delay())


# --- one build ---------------------------------------------------------------------------


class BuildPoll(Poll):
    """The calls of one poll of a build: the build, then every page of its jobs."""

    def __init__(
        self,
        target: Target,
        build_id: str | int,
        params: Mapping[str, str] | None,
        remote_query: RemoteQuery,
        include_steps: bool,
        **kw: Any,
    ) -> None:
        self.target = target
        self.build_call = prepare_build(target, build_id, params, remote_query)
        super().__init__(target.provider, f"build {self.build_call.job_id!r}", **kw)
        name = build_param(target)
        #: Where the provider cannot list a build's jobs (Jenkins: the build is its own job),
        #: only the build is followed.
        self.list_params = None if name is None else {**(params or {}), name: str(build_id)}
        self.include_steps = include_steps
        self.steps_calls: dict[str, Call] = {}
        self.no_steps: set[str] = set()
        self.context_asked = False
        self.context: Build | None = None

    @property
    def record_call(self) -> Call:
        return self.build_call

    def read_build(self, answer: Answer) -> Build:
        return decode_build(self.build_call, self.answer(self.build_call, answer))

    def context_call(self, build: Build) -> Call | None:
        """The call for what the build's payload lacks (a CircleCI workflow's pipeline), on the
        first poll only: what it holds (commit, branch, trigger) does not change."""
        if self.context_asked:
            return None
        call = context_call(self.build_call, build)
        self.context_asked = call is None
        return call

    def read_context(self, build: Build, call: Call, answer: Answer) -> None:
        self.context = decode_context(build, call, self.answer(call, answer))
        self.context_asked = True

    def completed(self, build: Build) -> Build:
        """``build`` with the values its context lends it, once fetched."""
        return build if self.context is None else with_context(build, self.context)

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


def build_rounds(poll: BuildPoll) -> Rounds[BuildState]:
    """Each new state of the build and its jobs until the build has finished."""
    while True:
        try:
            build = poll.read_build((yield poll.ask(poll.build_call)))
            context = poll.context_call(build)
            if context is not None:
                poll.read_context(build, context, (yield poll.ask(context)))
            state = BuildState(poll.completed(build))
            call, pages = poll.first_page(), 0
            while call is not None:
                pages += 1
                jobs, call = poll.read_page(call, (yield poll.ask(call)), pages)
                state.jobs += jobs
            for job in state.jobs:
                steps_call = poll.steps_call(job)
                if steps_call is not None:
                    try:
                        poll.read_steps(job, steps_call, (yield poll.ask(steps_call)))
                    except NotFound:
                        poll.no_steps.add(job.id)
        except RateLimited as exc:
            yield Wait(poll.rate_limited(exc))
            continue
        if poll.changed(build_signature(state)):
            yield Seen(state)
        if finished(state.build):
            return
        yield Wait(poll.delay())


P = TypeVar("P", JobPoll, BuildPoll)


def open_poll(
    kind: type[P],
    provider: str | None,
    record_id: str | int,
    client: Client | AsyncClient,
    who: Mapping[str, Any],
    *,
    params: Mapping[str, str] | None,
    remote_query: RemoteQuery,
    include_steps: bool,
    interval: float,
    max_interval: float,
    rate_wait: float | None = None,
) -> P:
    """The poll of one job or build, bounded by the client's deadline, its waits said where
    the client says them: what every watch (the four functions below and the CLI's) opens
    the same way, written once.

    :param who: the credentials and base URL :func:`~unci.call.resolve_target` takes, or
        ``target=`` an already resolved :class:`~unci.call.Target`.
    """
    _check(interval, max_interval)
    rest = dict(who)
    target = rest.pop("target", None) or resolve_target(provider, **rest)
    steps.check_asked(target.provider, include_steps)
    # The client's deadline bounds each call, and here the watch as a whole too: each poll
    # is quick, so a deadline per poll would never end a watch of a job that never ends.
    until = client.until
    if client.deadline is not None:
        end = time.monotonic() + client.deadline
        until = end if until is None else min(until, end)
    return kind(
        target,
        record_id,
        params,
        remote_query,
        include_steps,
        interval=interval,
        max_interval=max_interval,
        until=until,
        notify=client.on_wait,
        rate_wait=rate_wait,
    )


# --- the public functions ----------------------------------------------------------------


def _own(client: Client | None, timeout: float | None) -> AbstractContextManager[Client]:
    """The caller's client, or one of our own for the whole watch."""
    if client is not None:
        return nullcontext(client)
    from unci.client import Client

    return Client(timeout=timeout)


def _aown(client: AsyncClient | None, timeout: float | None) -> AbstractAsyncContextManager[AsyncClient]:
    if client is not None:
        return nullcontext(client)
    from unci.client import AsyncClient

    return AsyncClient(timeout=timeout)


def watch_job(
    provider: str | None,
    job_id: str | int,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    include_steps: bool = True,
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = DEFAULT_MAX_INTERVAL,
    client: Client | None = None,
    timeout: float | None = None,
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
) -> Iterator[Job]:
    """Follow a job to its end: yield it now, then each time its status, its conclusion or a
    step's changes; return once it has finished (``job.status == "completed"``).

    ``for job in unci.watch_job("github", "399444496", params={...}): print(job.status)``.
    Polls every ``interval`` seconds, backing off to ``max_interval`` while nothing changes;
    see :mod:`unci.watch`. Pass a ``client`` (its retries, ``deadline``/``until`` and
    ``on_wait``) to share a connection pool.
    """
    with _own(client, timeout) as http:
        poll = open_poll(
            JobPoll,
            provider,
            job_id,
            http,
            {
                "account": account,
                "token": token,
                "username": username,
                "password": password,
                "base_url": base_url,
            },
            params=params,
            remote_query=remote_query,
            include_steps=include_steps,
            interval=interval,
            max_interval=max_interval,
        )
        yield from drive(http, job_rounds(poll))


async def awatch_job(
    provider: str | None,
    job_id: str | int,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    include_steps: bool = True,
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = DEFAULT_MAX_INTERVAL,
    client: AsyncClient | None = None,
    timeout: float | None = None,
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
) -> AsyncIterator[Job]:
    """The asyncio twin of :func:`watch_job`: ``async for job in unci.awatch_job(...)``."""
    async with _aown(client, timeout) as http:
        poll = open_poll(
            JobPoll,
            provider,
            job_id,
            http,
            {
                "account": account,
                "token": token,
                "username": username,
                "password": password,
                "base_url": base_url,
            },
            params=params,
            remote_query=remote_query,
            include_steps=include_steps,
            interval=interval,
            max_interval=max_interval,
        )
        async for job in adrive(http, job_rounds(poll)):
            yield job


def watch_build(
    provider: str | None,
    build_id: str | int,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    include_steps: bool = True,
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = DEFAULT_MAX_INTERVAL,
    client: Client | None = None,
    timeout: float | None = None,
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
) -> Iterator[BuildState]:
    """Follow a build and all its jobs to the build's end (as ``gh run watch`` does): yield a
    :class:`BuildState` now, then each time the build, a job or a step changes."""
    with _own(client, timeout) as http:
        poll = open_poll(
            BuildPoll,
            provider,
            build_id,
            http,
            {
                "account": account,
                "token": token,
                "username": username,
                "password": password,
                "base_url": base_url,
            },
            params=params,
            remote_query=remote_query,
            include_steps=include_steps,
            interval=interval,
            max_interval=max_interval,
        )
        yield from drive(http, build_rounds(poll))


async def awatch_build(
    provider: str | None,
    build_id: str | int,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    include_steps: bool = True,
    interval: float = DEFAULT_INTERVAL,
    max_interval: float = DEFAULT_MAX_INTERVAL,
    client: AsyncClient | None = None,
    timeout: float | None = None,
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
) -> AsyncIterator[BuildState]:
    """The asyncio twin of :func:`watch_build`."""
    async with _aown(client, timeout) as http:
        poll = open_poll(
            BuildPoll,
            provider,
            build_id,
            http,
            {
                "account": account,
                "token": token,
                "username": username,
                "password": password,
                "base_url": base_url,
            },
            params=params,
            remote_query=remote_query,
            include_steps=include_steps,
            interval=interval,
            max_interval=max_interval,
        )
        async for state in adrive(http, build_rounds(poll)):
            yield state
