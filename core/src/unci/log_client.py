"""Reading job logs over HTTP, synchronously or with asyncio, as chunks of bytes.

The two mixins mirror each other method for method (:class:`unci.Client` and
:class:`unci.AsyncClient` carry them) and hold only the I/O: what a read of a log decides
between its requests is written once, in :mod:`unci.logrounds`, which both drive; what a
request looks like comes from :mod:`unci.logs`. A log is never held whole: the body goes from
the socket to the caller a chunk at a time, decoded, and ``tail`` keeps only the lines it will
print.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Mapping
from contextlib import aclosing, closing
from typing import TYPE_CHECKING, Any, cast

import httpx

from unci import logs, reading, redact
from unci.call import Answer, Call, RemoteQuery, Target, raise_for_status
from unci.errors import DecodeError, RemoteError, Timeout, UnciError
from unci.logrounds import ROUND, AskJob, LogRounds, Send, Stream, Wait, log_rounds
from unci.logs import LogPlan
from unci.retry import Retrier, asleep

if TYPE_CHECKING:
    from unci.job import Job


#: Statuses that mean "no log here" rather than "no such job": the job is asked for next.
_NO_LOG = (404, 410)
_NOTHING_NEW = 416


def _timeout(client: Any, clock: Any) -> dict[str, Any]:
    """Each read of a log waits at most ``timeout``; the whole log is bounded only by a
    deadline (a 200 MB log takes longer than any one API answer should)."""
    from unci.client import CONNECT_TIMEOUT
    from unci.timebound import timeout

    connect = min(client.timeout, CONNECT_TIMEOUT)
    if clock.end is None:
        return {"timeout": httpx.Timeout(client.timeout, connect=connect).as_dict()}
    return {"timeout": timeout(client.timeout, connect, clock.end).as_dict()}


def _request(http: httpx.Client | httpx.AsyncClient, call: Call, extensions: dict[str, Any]) -> httpx.Request:
    request = http.build_request(
        call.method,
        logs.raw_url(call),
        params=httpx.QueryParams(cast(Any, call.query)) if call.query else None,
        headers=call.headers,
        extensions=extensions,
    )
    if call.bare:
        # Nothing of the provider's rides along to another host: not a cookie its API set,
        # not an Authorization header a URL's user info would have made.
        for name in ("cookie", "authorization"):
            request.headers.pop(name, None)
    return request


def _answer(response: httpx.Response, body: bytes) -> Answer:
    return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, body)


def _lower(headers: httpx.Headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


class _Skip:
    """Drops the first ``n`` bytes of a stream (a range already shown)."""

    def __init__(self, n: int) -> None:
        self.left = n
        self.shown = 0

    def take(self, piece: bytes) -> bytes:
        if self.left:
            cut = min(self.left, len(piece))
            self.left -= cut
            piece = piece[cut:]
        self.shown += len(piece)
        return piece


def _decoder(call: Call, response: httpx.Response) -> reading.Decoder:
    try:
        # A log is streamed, never held: no size cap applies to it.
        return reading.Decoder(response.headers.get("content-encoding"), sys.maxsize)
    except reading.BodyError as exc:
        raise DecodeError(
            f"{call.provider}: the log from {call.redacted_url()} {exc.why}", provider=call.provider
        ) from None


def _feed(call: Call, decoder: reading.Decoder, data: bytes) -> Iterator[bytes]:
    try:
        yield from decoder.feed(data)
    except reading.BodyError as exc:
        raise DecodeError(
            f"{call.provider}: the log from {call.redacted_url()} {exc.why}", provider=call.provider
        ) from None


def _apply_tail(chunks: Iterator[bytes], tail: int | None) -> Generator[bytes, None, None]:
    """The last ``tail`` lines of what the log held at first; what comes after (``--follow``)
    passes through whole."""
    if tail is None:
        yield from (c for c in chunks if c)
        return
    kept = logs.Tail(tail)
    for chunk in chunks:
        if chunk is ROUND:
            break
        kept.feed(chunk)
    else:
        last = kept.result()
        if last:
            yield last
        return
    last = kept.result()
    if last:
        yield last
    yield from (c for c in chunks if c)


async def _aapply_tail(chunks: AsyncIterator[bytes], tail: int | None) -> AsyncGenerator[bytes, None]:
    if tail is None:
        async for c in chunks:
            if c:
                yield c
        return
    kept = logs.Tail(tail)
    ended = True
    async for chunk in chunks:
        if chunk is ROUND:
            ended = False
            break
        kept.feed(chunk)
    last = kept.result()
    if last:
        yield last
    if not ended:
        async for c in chunks:
            if c:
                yield c


def _strip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    stripper = logs.AnsiStripper()
    for chunk in chunks:
        if chunk is ROUND:
            # An escape cut at the end of the first read stays held: the next read ends it
            # (flushed here, its start went out as text and the next read's rest of it made
            # the escape whole again: colour through --no-color).
            yield chunk
            continue
        out = stripper.feed(chunk)
        if out:
            yield out
    rest = stripper.flush()
    if rest:
        yield rest


async def _astrip(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    stripper = logs.AnsiStripper()
    async for chunk in chunks:
        if chunk is ROUND:
            # An escape cut at the end of the first read stays held: the next read ends it
            # (flushed here, its start went out as text and the next read's rest of it made
            # the escape whole again: colour through --no-color).
            yield chunk
            continue
        out = stripper.feed(chunk)
        if out:
            yield out
    rest = stripper.flush()
    if rest:
        yield rest


def _scrubbed(chunks: Iterator[bytes], secrets: list[str]) -> Generator[bytes, None, None]:
    """The log with the call's credentials, in every form unci scrubs elsewhere, replaced: a
    job that echoes the token must not put it on the user's terminal or the server's clients."""
    scrubber = redact.StreamScrubber(secrets)
    try:
        for chunk in chunks:
            out = scrubber.feed(chunk)
            if out:
                yield out
    except Exception:
        rest = scrubber.flush()
        if rest:
            yield rest
        raise
    rest = scrubber.flush()
    if rest:
        yield rest


async def _ascrubbed(chunks: AsyncIterator[bytes], secrets: list[str]) -> AsyncGenerator[bytes, None]:
    scrubber = redact.StreamScrubber(secrets)
    try:
        async for chunk in chunks:
            out = scrubber.feed(chunk)
            if out:
                yield out
    except Exception:
        rest = scrubber.flush()
        if rest:
            yield rest
        raise
    rest = scrubber.flush()
    if rest:
        yield rest


class LogMethods:
    """``iter_log`` for :class:`unci.Client`."""

    _http: httpx.Client
    retry: Any
    on_wait: Callable[[str], None] | None
    timeout: float
    max_body: int

    if TYPE_CHECKING:

        def _clock(self) -> Any: ...
        def get_job(
            self,
            provider: str | None,
            job_id: str | int,
            *,
            params: Mapping[str, str] | None = ...,
            target: Target | None = ...,
        ) -> Job: ...
        def send(self, call: Call) -> Answer: ...

    def _pause(self, seconds: float) -> None:
        """The wait between two reads of a followed log or two polls of a watch (the CLI's
        also ends when its reader has gone: :func:`unci.watch_cli.reading_client`)."""
        time.sleep(seconds)

    def iter_log(
        self,
        provider: str | None,
        job_id: str | int,
        *,
        params: Mapping[str, str] | None = None,
        follow: bool = False,
        tail: int | None = None,
        failed: bool = False,
        color: bool = True,
        interval: float = logs.DEFAULT_INTERVAL,
        on_notice: Callable[[str], None] | None = None,
        remote_query: RemoteQuery = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> Generator[bytes, None, None]:
        """A job's log in chunks of bytes, as the provider gives it.

        :param follow: while the job runs, keep reading until it has ended.
        :param tail: only the last ``tail`` lines (of what there is when first read).
        :param failed: only the failed steps' parts (providers with a log per step).
        :param color: keep terminal colour escapes; ``False`` strips them.
        :param interval: seconds between two reads of a running job's log.
        :param on_notice: called with a one-line message while waiting (``--follow``).
        :param remote_query: passed to the provider's log request untouched.
        """
        from unci.build_client import _who

        target = _who(provider, target, token, username, password, base_url, account)
        logs.check_tail(tail, target.provider)
        plan = logs.plan(target, job_id, params, failed=failed, remote_query=remote_query)
        rounds = log_rounds(plan, follow, failed, interval, on_notice or (lambda _m: None))
        chunks = self._drive(plan, rounds)
        if not color:
            chunks = _strip(chunks)
        # Scrubbed last, from what the user sees: a secret that stripped colour joined up too.
        return _scrubbed(_apply_tail(chunks, tail), plan.target.secrets)

    # --- one body -----------------------------------------------------------------------

    def _open(self, call: Call, clock: Any) -> tuple[httpx.Response, Call]:
        """Send ``call`` and follow its redirects (bare past the API root); the answer is open."""
        from unci.client import refused_location
        from unci.lean import refuse_closed

        refuse_closed(self._http, call.provider)

        hops = 0
        while True:
            request = _request(self._http, call, _timeout(self, clock))
            try:
                response = self._http.send(request, stream=True)
            except (httpx.InvalidURL, httpx.RemoteProtocolError) as exc:
                if not refused_location(exc):
                    raise
                raise logs.bad_location(call) from None
            status = response.status_code
            if 300 <= status < 400 and status != 304:
                response.close()
                call = logs.next_hop(call, status, _lower(response.headers), hops)
                hops += 1
                continue
            return response, call

    def _body(
        self, plan: LogPlan, call: Call, on_answer: Callable[[int, Mapping[str, str]], int] | None = None
    ) -> Generator[bytes, None, None]:
        """The body of a log request, streamed; retried until its first byte. A "no log" answer
        is judged by asking for the job: not found is the job's own 404, else no log (yet)."""
        from unci.client import _network_error

        retrier = Retrier(self.retry, call.provider, self.on_wait)
        clock = self._clock()
        while True:
            started = False
            final = call
            try:
                response, final = self._open(call, clock)
                try:
                    status = response.status_code
                    if status == _NOTHING_NEW:
                        return
                    if status < 300:
                        skip = _Skip(on_answer(status, _lower(response.headers)) if on_answer else 0)
                        decoder = _decoder(final, response)
                        for data in response.iter_raw():
                            for piece in _feed(final, decoder, data):
                                piece = skip.take(piece)
                                if piece:
                                    started = True
                                    yield piece
                        return
                    answer = _answer(response, response.read()[: self.max_body])
                finally:
                    response.close()
            except httpx.HTTPError as exc:
                error = _network_error(final, exc, clock)
                delay = None if started else retrier.after_network_error(type(exc).__name__)
                if delay is None or not clock.fits(delay):
                    raise error from None
                time.sleep(delay)
                continue
            delay = retrier.after_status(answer.status, answer.headers, answer.body)
            if delay is None or not clock.fits(delay):
                if answer.status in _NO_LOG:
                    raise self._no_log(plan, final, answer)
                raise_for_status(final, answer)
            time.sleep(delay)  # type: ignore[arg-type]

    def _no_log(self, plan: LogPlan, call: Call, answer: Answer) -> Exception:
        try:
            raise_for_status(call, answer)
        except RemoteError as not_found:
            job = self._job(plan)  # raises the job's own NotFound for a wrong id
            error = logs.unavailable(plan.target, job, plan.target.info.title)
            error.__cause__ = not_found
            return error
        raise AssertionError("unreachable: 404 and 410 are errors")

    def _job(self, plan: LogPlan) -> Job:
        return self.get_job(plan.provider, plan.job_id, params=plan.params, target=plan.target)

    def _whole_bytes(self, plan: LogPlan, call: Call) -> bytes:
        body = bytearray()
        for piece in self._body(plan, call):
            body += piece
            if len(body) > self.max_body:
                raise DecodeError(
                    f"{call.provider}: a step log from {call.redacted_url()} is larger than "
                    f"{reading.mib(self.max_body)}",
                    hint="raise --max-body",
                    py_hint="raise Client(max_body=...)",
                    http_hint="raise the server's UNCI_MAX_BODY",
                    provider=call.provider,
                )
        return bytes(body)

    # --- the rounds, driven ----------------------------------------------------------------

    def _drive(self, plan: LogPlan, rounds: LogRounds) -> Iterator[bytes]:
        """Run ``rounds`` (:mod:`unci.logrounds`) with this client and ``time.sleep``: the log's
        chunks, as they come. An error of unci's in a step is thrown into the rounds where they
        asked for it; they decide which they outlive."""
        sent: Any = None
        error: UnciError | None = None
        try:
            while True:
                try:
                    step = rounds.throw(error) if error is not None else rounds.send(sent)
                except StopIteration:
                    return
                sent = error = None
                if isinstance(step, bytes):
                    yield step
                    continue
                try:
                    if isinstance(step, Stream):
                        with closing(self._body(plan, step.call, step.on_answer)) as body:
                            for piece in body:
                                yield step.each(piece) if step.each else piece
                    elif isinstance(step, Wait):
                        _within(getattr(self, "until", None), plan, step.seconds)
                        self._pause(step.seconds)
                    elif isinstance(step, AskJob):
                        sent = self._job(plan)
                    elif isinstance(step, Send):
                        sent = self.send(step.call)
                    else:
                        sent = self._whole_bytes(plan, step.call)
                except UnciError as exc:
                    error = exc
        finally:
            rounds.close()


class AsyncLogMethods:
    """``iter_log`` for :class:`unci.AsyncClient`: the same, awaited."""

    _http: httpx.AsyncClient
    retry: Any
    on_wait: Callable[[str], None] | None
    timeout: float
    max_body: int

    if TYPE_CHECKING:

        def _clock(self) -> Any: ...
        async def get_job(
            self,
            provider: str | None,
            job_id: str | int,
            *,
            params: Mapping[str, str] | None = ...,
            target: Target | None = ...,
        ) -> Job: ...
        async def send(self, call: Call) -> Answer: ...

    def iter_log(
        self,
        provider: str | None,
        job_id: str | int,
        *,
        params: Mapping[str, str] | None = None,
        follow: bool = False,
        tail: int | None = None,
        failed: bool = False,
        color: bool = True,
        interval: float = logs.DEFAULT_INTERVAL,
        on_notice: Callable[[str], None] | None = None,
        remote_query: RemoteQuery = (),
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> AsyncGenerator[bytes, None]:
        """The asyncio twin of :meth:`LogMethods.iter_log`; the input is checked at once."""
        from unci.build_client import _who

        target = _who(provider, target, token, username, password, base_url, account)
        logs.check_tail(tail, target.provider)
        plan = logs.plan(target, job_id, params, failed=failed, remote_query=remote_query)
        rounds = log_rounds(plan, follow, failed, interval, on_notice or (lambda _m: None))
        chunks = self._drive(plan, rounds)
        if not color:
            chunks = _astrip(chunks)
        return _ascrubbed(_aapply_tail(chunks, tail), plan.target.secrets)

    async def _open(self, call: Call, clock: Any) -> tuple[httpx.Response, Call]:
        from unci.client import refused_location
        from unci.lean import refuse_closed

        refuse_closed(self._http, call.provider)

        hops = 0
        while True:
            request = _request(self._http, call, _timeout(self, clock))
            try:
                response = await self._http.send(request, stream=True)
            except (httpx.InvalidURL, httpx.RemoteProtocolError) as exc:
                if not refused_location(exc):
                    raise
                raise logs.bad_location(call) from None
            status = response.status_code
            if 300 <= status < 400 and status != 304:
                await response.aclose()
                call = logs.next_hop(call, status, _lower(response.headers), hops)
                hops += 1
                continue
            return response, call

    async def _body(
        self, plan: LogPlan, call: Call, on_answer: Callable[[int, Mapping[str, str]], int] | None = None
    ) -> AsyncGenerator[bytes, None]:

        from unci.client import _network_error

        retrier = Retrier(self.retry, call.provider, self.on_wait)
        clock = self._clock()
        while True:
            started = False
            final = call
            try:
                response, final = await self._open(call, clock)
                try:
                    status = response.status_code
                    if status == _NOTHING_NEW:
                        return
                    if status < 300:
                        skip = _Skip(on_answer(status, _lower(response.headers)) if on_answer else 0)
                        decoder = _decoder(final, response)
                        async for data in response.aiter_raw():
                            for piece in _feed(final, decoder, data):
                                piece = skip.take(piece)
                                if piece:
                                    started = True
                                    yield piece
                        return
                    answer = _answer(response, (await response.aread())[: self.max_body])
                finally:
                    await response.aclose()
            except httpx.HTTPError as exc:
                error = _network_error(final, exc, clock)
                delay = None if started else retrier.after_network_error(type(exc).__name__)
                if delay is None or not clock.fits(delay):
                    raise error from None
                await asleep(delay)
                continue
            delay = retrier.after_status(answer.status, answer.headers, answer.body)
            if delay is None or not clock.fits(delay):
                if answer.status in _NO_LOG:
                    raise await self._no_log(plan, final, answer)
                raise_for_status(final, answer)
            await asleep(delay)  # type: ignore[arg-type]

    async def _no_log(self, plan: LogPlan, call: Call, answer: Answer) -> Exception:
        try:
            raise_for_status(call, answer)
        except RemoteError as not_found:
            job = await self._job(plan)
            error = logs.unavailable(plan.target, job, plan.target.info.title)
            error.__cause__ = not_found
            return error
        raise AssertionError("unreachable: 404 and 410 are errors")

    async def _job(self, plan: LogPlan) -> Job:
        return await self.get_job(plan.provider, plan.job_id, params=plan.params, target=plan.target)

    async def _whole_bytes(self, plan: LogPlan, call: Call) -> bytes:
        body = bytearray()
        async for piece in self._body(plan, call):
            body += piece
            if len(body) > self.max_body:
                raise DecodeError(
                    f"{call.provider}: a step log from {call.redacted_url()} is larger than "
                    f"{reading.mib(self.max_body)}",
                    hint="raise --max-body",
                    py_hint="raise Client(max_body=...)",
                    http_hint="raise the server's UNCI_MAX_BODY",
                    provider=call.provider,
                )
        return bytes(body)

    async def _drive(self, plan: LogPlan, rounds: LogRounds) -> AsyncIterator[bytes]:
        """:meth:`LogMethods._drive` with the asyncio client and ``asyncio.sleep``."""
        sent: Any = None
        error: UnciError | None = None
        try:
            while True:
                try:
                    step = rounds.throw(error) if error is not None else rounds.send(sent)
                except StopIteration:
                    return
                sent = error = None
                if isinstance(step, bytes):
                    yield step
                    continue
                try:
                    if isinstance(step, Stream):
                        async with aclosing(self._body(plan, step.call, step.on_answer)) as body:
                            async for piece in body:
                                yield step.each(piece) if step.each else piece
                    elif isinstance(step, Wait):
                        _within(getattr(self, "until", None), plan, step.seconds)
                        await asleep(step.seconds)
                    elif isinstance(step, AskJob):
                        sent = await self._job(plan)
                    elif isinstance(step, Send):
                        sent = await self.send(step.call)
                    else:
                        sent = await self._whole_bytes(plan, step.call)
                except UnciError as exc:
                    error = exc
        finally:
            rounds.close()


def _within(until: float | None, plan: LogPlan, seconds: float) -> None:
    """A wait for more of a followed log that would end past the client's ``until`` (the
    CLI's ``--deadline``) ends the follow now, saying the job had not ended; it read as the
    next request's timeout, blaming the server for an answer that never came late."""
    if until is not None and time.monotonic() + seconds >= until:
        provider = plan.target.provider
        raise Timeout(
            f"{provider}: job {plan.job_id}'s log had not ended when the deadline ran out",
            hint="raise --deadline, or leave it out to follow the log to its end",
            py_hint="raise the client's until=, or leave it out to follow the log to its end",
            provider=provider,
        )


def iter_log(
    provider: str | None,
    job_id: str | int,
    *,
    params: Mapping[str, str] | None = None,
    follow: bool = False,
    tail: int | None = None,
    failed: bool = False,
    color: bool = True,
    interval: float = logs.DEFAULT_INTERVAL,
    on_notice: Callable[[str], None] | None = None,
    remote_query: RemoteQuery = (),
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> Iterator[bytes]:
    """A job's log in chunks of bytes: ``for chunk in unci.iter_log("gitlab", "42", params=...)``.
    See :meth:`unci.Client.iter_log` for ``follow``, ``tail``, ``failed`` and ``color``."""
    from unci.client import Client

    with Client(timeout=timeout) as client:
        yield from client.iter_log(
            provider,
            job_id,
            params=params,
            follow=follow,
            tail=tail,
            failed=failed,
            color=color,
            interval=interval,
            on_notice=on_notice,
            remote_query=remote_query,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )


async def aiter_log(
    provider: str | None,
    job_id: str | int,
    *,
    params: Mapping[str, str] | None = None,
    follow: bool = False,
    tail: int | None = None,
    failed: bool = False,
    color: bool = True,
    interval: float = logs.DEFAULT_INTERVAL,
    on_notice: Callable[[str], None] | None = None,
    remote_query: RemoteQuery = (),
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> AsyncIterator[bytes]:
    """The asyncio twin of :func:`iter_log`."""
    from unci.client import AsyncClient

    async with AsyncClient(timeout=timeout) as client:
        async for chunk in client.iter_log(
            provider,
            job_id,
            params=params,
            follow=follow,
            tail=tail,
            failed=failed,
            color=color,
            interval=interval,
            on_notice=on_notice,
            remote_query=remote_query,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        ):
            yield chunk
