"""Reading job logs over HTTP, synchronously or with asyncio, as chunks of bytes.

The two mixins mirror each other method for method (:class:`unci.Client` and
:class:`unci.AsyncClient` carry them); what they decide comes from :mod:`unci.logs`. A log is
never held whole: the body goes from the socket to the caller a chunk at a time, decoded, and
``tail`` keeps only the lines it will print.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import httpx

from unci import logs, reading, redact
from unci.call import Answer, Call, decoding, raise_for_status
from unci.errors import DecodeError, LogUnavailable, RemoteError
from unci.logs import LogPlan
from unci.plugins import registry
from unci.provider import LogPart, LogRange
from unci.retry import Retrier, asleep

if TYPE_CHECKING:
    from unci.job import Job


class _Marker(bytes):
    """An empty chunk that is not text: where one read of a running job's log ended."""


#: Marks the end of what a running job's log held when first read (``tail`` applies to it).
_ROUND = _Marker()
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
        if chunk is _ROUND:
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
        if chunk is _ROUND:
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
        if chunk is _ROUND:
            rest = stripper.flush()
            if rest:
                yield rest
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
        if chunk is _ROUND:
            rest = stripper.flush()
            if rest:
                yield rest
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


def _parts(plan: LogPlan, answer: Answer) -> list[LogPart]:
    with decoding(plan.provider, "the log index"):
        return registry().hooks(plan.provider).map_log_parts(answer.body, plan.job_id, plan.params)


def _part_text(plan: LogPlan, body: bytes, part: LogPart) -> bytes:
    with decoding(plan.provider, "the step log"):
        return registry().hooks(plan.provider).read_log_part(body, part)


def _next_page(plan: LogPlan, body: bytes, part: LogPart) -> LogPart | None:
    with decoding(plan.provider, "the step log"):
        return registry().hooks(plan.provider).next_log_part(body, part)


def _range(plan: LogPlan, status: int, headers: Mapping[str, str], offset: int) -> LogRange:
    return registry().hooks(plan.provider).read_log_range(status, headers, offset)


class LogMethods:
    """``iter_log`` for :class:`unci.Client`."""

    _http: httpx.Client
    retry: Any
    on_wait: Callable[[str], None] | None
    timeout: float
    max_body: int

    if TYPE_CHECKING:

        def _clock(self) -> Any: ...
        def get_job(self, provider: str | None, job_id: str, **kw: Any) -> Job: ...
        def send(self, call: Call) -> Answer: ...

    def iter_log(
        self,
        provider: str | None,
        job_id: str,
        *,
        params: Mapping[str, str] | None = None,
        follow: bool = False,
        tail: int | None = None,
        failed: bool = False,
        color: bool = True,
        interval: float = logs.DEFAULT_INTERVAL,
        on_notice: Callable[[str], None] | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        **credentials: Any,
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
        from unci.client import _target

        plan = logs.plan(
            _target(provider, credentials), job_id, params, failed=failed, remote_query=remote_query
        )
        chunks = self._log_chunks(plan, follow, failed, interval, on_notice or (lambda _m: None))
        if not color:
            chunks = _strip(chunks)
        # Scrubbed last, from what the user sees: a secret that stripped colour joined up too.
        return _scrubbed(_apply_tail(chunks, tail), plan.target.secrets)

    # --- one body -----------------------------------------------------------------------

    def _open(self, call: Call, clock: Any) -> tuple[httpx.Response, Call]:
        """Send ``call`` and follow its redirects (bare past the API root); the answer is open."""
        from unci.client import refused_location

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
    ) -> Iterator[bytes]:
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
                    f"{reading.mib(self.max_body)}; raise --max-body",
                    provider=call.provider,
                )
        return bytes(body)

    # --- the ways of reading ------------------------------------------------------------

    def _log_chunks(
        self, plan: LogPlan, follow: bool, failed: bool, interval: float, notice: Callable[[str], None]
    ) -> Iterator[bytes]:
        if plan.way == "parts":
            yield from self._by_parts(plan, follow, failed, interval, notice)
        elif follow and plan.ranges:
            yield from self._by_ranges(plan, interval, notice)
        elif follow:
            yield from self._when_done(plan, interval, notice)
        else:
            yield from self._body(plan, plan.whole())

    def _when_done(self, plan: LogPlan, interval: float, notice: Callable[[str], None]) -> Iterator[bytes]:
        """A provider that gives a log only whole: wait for the job to end, then read it."""
        told = False
        while True:
            job = self._job(plan)
            if not logs.running(job):
                break
            if not told:
                notice(
                    f"unci: {plan.provider}: job {plan.job_id} is {job.status}; {plan.target.info.title} "
                    "gives its log once it has finished, waiting"
                )
                told = True
            time.sleep(interval)
        yield from self._body(plan, plan.whole())

    def _by_ranges(self, plan: LogPlan, interval: float, notice: Callable[[str], None]) -> Iterator[bytes]:
        offset = 0
        last_read = False
        first = True
        while True:
            found: list[LogRange] = []

            def on_answer(
                status: int, headers: Mapping[str, str], at: int = offset, seen: list[LogRange] = found
            ) -> int:
                seen.append(_range(plan, status, headers, at))
                return seen[-1].skip

            shown = 0
            try:
                for piece in self._body(plan, plan.range(offset), on_answer):
                    shown += len(piece)
                    yield piece
            except LogUnavailable as exc:
                if not exc.pending:
                    raise
                if first:
                    notice(f"unci: {plan.provider}: job {plan.job_id} has no log yet, waiting")
                first = False
                time.sleep(interval)
                continue
            got = found[-1] if found else LogRange()
            offset = got.next_offset if got.next_offset is not None else offset + shown
            if got.more is False or last_read:
                return
            if got.more is None and not logs.running(self._job(plan)):
                last_read = True  # one more read: what was written as it ended
                continue
            if first:
                yield _ROUND
                first = False
            time.sleep(interval)

    def _by_parts(
        self, plan: LogPlan, follow: bool, failed: bool, interval: float, notice: Callable[[str], None]
    ) -> Iterator[bytes]:
        done = 0
        first = True
        growing: logs.Lines | None = None  # the running step shown so far, line by line
        while True:
            ended = not follow or not logs.running(self._job(plan))
            parts = _parts(plan, self.send(plan.index()))
            for number, part in enumerate(parts[done:], done + 1):
                running = not ended and not part.complete
                if running and (failed or part.lines is None or part.body != "text"):
                    break
                if failed and not part.failed:
                    done = number
                    continue
                if growing is None:
                    yield logs.header(part, number)
                if running or growing is not None:
                    growing = growing or logs.Lines()
                    for piece in self._body(plan, plan.part(growing.part(part))):
                        yield growing.feed(piece)
                    yield growing.end(not running)
                    if running:
                        break
                    growing = None
                    done = number
                    continue
                done = number
                if part.body != "json":
                    yield from self._body(plan, plan.part(part))
                    continue
                page: LogPart | None = part
                while page is not None:
                    body = self._whole_bytes(plan, plan.part(page))
                    yield _part_text(plan, body, page)
                    page = _next_page(plan, body, page)
            if ended:
                return
            if first:
                yield _ROUND
                first = False
            time.sleep(interval)


class AsyncLogMethods:
    """``iter_log`` for :class:`unci.AsyncClient`: the same, awaited."""

    _http: httpx.AsyncClient
    retry: Any
    on_wait: Callable[[str], None] | None
    timeout: float
    max_body: int

    if TYPE_CHECKING:

        def _clock(self) -> Any: ...
        async def get_job(self, provider: str | None, job_id: str, **kw: Any) -> Job: ...
        async def send(self, call: Call) -> Answer: ...

    def iter_log(
        self,
        provider: str | None,
        job_id: str,
        *,
        params: Mapping[str, str] | None = None,
        follow: bool = False,
        tail: int | None = None,
        failed: bool = False,
        color: bool = True,
        interval: float = logs.DEFAULT_INTERVAL,
        on_notice: Callable[[str], None] | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        **credentials: Any,
    ) -> AsyncGenerator[bytes, None]:
        """The asyncio twin of :meth:`LogMethods.iter_log`; the input is checked at once."""
        from unci.client import _target

        plan = logs.plan(
            _target(provider, credentials), job_id, params, failed=failed, remote_query=remote_query
        )
        chunks = self._log_chunks(plan, follow, failed, interval, on_notice or (lambda _m: None))
        if not color:
            chunks = _astrip(chunks)
        return _ascrubbed(_aapply_tail(chunks, tail), plan.target.secrets)

    async def _open(self, call: Call, clock: Any) -> tuple[httpx.Response, Call]:
        from unci.client import refused_location

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
    ) -> AsyncIterator[bytes]:

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
                    f"{reading.mib(self.max_body)}; raise --max-body",
                    provider=call.provider,
                )
        return bytes(body)

    async def _log_chunks(
        self, plan: LogPlan, follow: bool, failed: bool, interval: float, notice: Callable[[str], None]
    ) -> AsyncIterator[bytes]:
        if plan.way == "parts":
            gen = self._by_parts(plan, follow, failed, interval, notice)
        elif follow and plan.ranges:
            gen = self._by_ranges(plan, interval, notice)
        elif follow:
            gen = self._when_done(plan, interval, notice)
        else:
            gen = self._body(plan, plan.whole())
        async for chunk in gen:
            yield chunk

    async def _when_done(
        self, plan: LogPlan, interval: float, notice: Callable[[str], None]
    ) -> AsyncIterator[bytes]:

        told = False
        while True:
            job = await self._job(plan)
            if not logs.running(job):
                break
            if not told:
                notice(
                    f"unci: {plan.provider}: job {plan.job_id} is {job.status}; {plan.target.info.title} "
                    "gives its log once it has finished, waiting"
                )
                told = True
            await asleep(interval)
        async for piece in self._body(plan, plan.whole()):
            yield piece

    async def _by_ranges(
        self, plan: LogPlan, interval: float, notice: Callable[[str], None]
    ) -> AsyncIterator[bytes]:

        offset = 0
        last_read = False
        first = True
        while True:
            found: list[LogRange] = []

            def on_answer(
                status: int, headers: Mapping[str, str], at: int = offset, seen: list[LogRange] = found
            ) -> int:

                seen.append(_range(plan, status, headers, at))
                return seen[-1].skip

            shown = 0
            try:
                async for piece in self._body(plan, plan.range(offset), on_answer):
                    shown += len(piece)
                    yield piece
            except LogUnavailable as exc:
                if not exc.pending:
                    raise
                if first:
                    notice(f"unci: {plan.provider}: job {plan.job_id} has no log yet, waiting")
                first = False
                await asleep(interval)
                continue
            got = found[-1] if found else LogRange()
            offset = got.next_offset if got.next_offset is not None else offset + shown
            if got.more is False or last_read:
                return
            if got.more is None and not logs.running(await self._job(plan)):
                last_read = True
                continue
            if first:
                yield _ROUND
                first = False
            await asleep(interval)

    async def _by_parts(
        self, plan: LogPlan, follow: bool, failed: bool, interval: float, notice: Callable[[str], None]
    ) -> AsyncIterator[bytes]:

        done = 0
        first = True
        growing: logs.Lines | None = None
        while True:
            ended = not follow or not logs.running(await self._job(plan))
            parts = _parts(plan, await self.send(plan.index()))
            for number, part in enumerate(parts[done:], done + 1):
                running = not ended and not part.complete
                if running and (failed or part.lines is None or part.body != "text"):
                    break
                if failed and not part.failed:
                    done = number
                    continue
                if growing is None:
                    yield logs.header(part, number)
                if running or growing is not None:
                    growing = growing or logs.Lines()
                    async for piece in self._body(plan, plan.part(growing.part(part))):
                        yield growing.feed(piece)
                    yield growing.end(not running)
                    if running:
                        break
                    growing = None
                    done = number
                    continue
                done = number
                if part.body != "json":
                    async for piece in self._body(plan, plan.part(part)):
                        yield piece
                    continue
                page: LogPart | None = part
                while page is not None:
                    body = await self._whole_bytes(plan, plan.part(page))
                    yield _part_text(plan, body, page)
                    page = _next_page(plan, body, page)
            if ended:
                return
            if first:
                yield _ROUND
                first = False
            await asleep(interval)


def iter_log(
    provider: str | None, job_id: str, *, timeout: float | None = None, **kw: Any
) -> Iterator[bytes]:
    """A job's log in chunks of bytes: ``for chunk in unci.iter_log("gitlab", "42", params=...)``.
    See :meth:`unci.Client.iter_log` for ``follow``, ``tail``, ``failed`` and ``color``."""
    from unci.client import Client

    with Client(timeout=timeout) as client:
        yield from client.iter_log(provider, job_id, **kw)


async def aiter_log(
    provider: str | None, job_id: str, *, timeout: float | None = None, **kw: Any
) -> AsyncIterator[bytes]:
    """The asyncio twin of :func:`iter_log`."""
    from unci.client import AsyncClient

    async with AsyncClient(timeout=timeout) as client:
        async for chunk in client.iter_log(provider, job_id, **kw):
            yield chunk
