"""Sending prepared calls with httpx, synchronously or with asyncio.

The two clients mirror each other method for method; what they decide comes from
:mod:`unci.call`, so only the ``await`` differs.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import httpx

from unci import lean, reading, steps, timebound
from unci.build_client import AsyncBuildMethods, BuildMethods, _who
from unci.builds import BuildList, discovers
from unci.call import (
    Answer,
    Call,
    RemoteQuery,
    Target,
    check_params,
    debug_envelope,
    decode_job,
    prepare_get,
    query_pairs,
    raise_for_status,
)
from unci.errors import (
    DecodeError,
    NetworkError,
    NotFound,
    RateLimited,
    RemoteError,
    Timeout,
    UnciError,
    UsageError,
)
from unci.job import Job
from unci.lean import LeanAsyncClient, LeanClient
from unci.listing import (
    JobPage,
    ahead,
    check_limit,
    cut,
    is_looping,
    numbered_cursors,
    prepare_list,
    read_page,
    slice_page,
)
from unci.log_client import AsyncLogMethods, LogMethods
from unci.numbers import given_count
from unci.pagelimit import apages_until, pages_until
from unci.redact import scrub
from unci.retry import Retrier, RetryPolicy, asleep
from unci.when import When

_P = ParamSpec("_P")
_R = TypeVar("_R")

DEFAULT_TIMEOUT = 30.0
#: Bodies past this size are mapped (or read for an error message) in a worker thread, so an
#: event loop serving other requests is not held up by one large answer.
OFF_LOOP_BYTES = 128 * 1024
DEFAULT_CONCURRENCY = 8
CONNECT_TIMEOUT = 10.0


#: unci decodes bodies itself, within the size cap; it asks only for what it can decode so.
_HEADERS = {"Accept-Encoding": reading.ACCEPT_ENCODING}


def _bounds(timeout: float | None, deadline: float | None) -> tuple[float | None, float | None]:
    """``timeout`` and ``deadline`` checked: numbers of seconds more than 0, or None."""
    from unci.numbers import given_seconds

    return (
        None if timeout is None else given_seconds(timeout, "timeout"),
        None if deadline is None else given_seconds(deadline, "deadline"),
    )


def _timeout(seconds: float | None) -> httpx.Timeout:
    if seconds is None:
        return httpx.Timeout(DEFAULT_TIMEOUT, connect=CONNECT_TIMEOUT)
    return httpx.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT))


@dataclass
class Fetched:
    """A fetched job with everything the output formats can need."""

    call: Call
    answer: Answer
    job: Job

    @property
    def record(self) -> Job:
        """What was fetched (the job; a :class:`~unci.builds.FetchedBuild`'s is its build)."""
        return self.job

    def debug(self) -> dict[str, Any]:
        return debug_envelope(self.call, self.answer)


#: Pages in a row with no job that still point at another page before ``--all`` gives up.
MAX_EMPTY_PAGES = 5


class _Clock:
    """The time bounds of one call: each attempt ends ``timeout`` seconds after it starts, and
    no attempt or wait runs past the call's own end (``deadline`` after it started, or the
    client's ``until``, whichever comes first)."""

    def __init__(self, timeout: float, per_call: float | None, until: float | None) -> None:
        now = time.monotonic()
        ends = [t for t in (None if per_call is None else now + per_call, until) if t is not None]
        self.timeout = timeout
        self.end = min(ends) if ends else None
        self.attempt_end = now + timeout

    def start_attempt(self) -> dict[str, Any]:
        """The request extensions of a new attempt: its timeouts, each ending at its bound (as
        extensions rather than ``timeout=``, which would take the server client off its fast
        path)."""
        self.attempt_end = time.monotonic() + self.timeout
        if self.end is not None:
            self.attempt_end = min(self.attempt_end, self.end)
        return {
            "timeout": timebound.timeouts(self.timeout, min(self.timeout, CONNECT_TIMEOUT), self.attempt_end)
        }

    def check(self) -> None:
        """Between chunks: past the attempt's end is a timeout, whatever the transport."""
        if time.monotonic() >= self.attempt_end:
            raise httpx.ReadTimeout("the request ran past its time bound")

    def fits(self, delay: float) -> bool:
        return self.end is None or time.monotonic() + delay < self.end

    def call_ended(self) -> bool:
        """Did the call's own end (not the attempt's timeout) stop it?"""
        return self.end is not None and time.monotonic() >= self.end - 0.05


def _network_error(
    call: Call, exc: httpx.HTTPError, clock: _Clock | None = None, attempts: int = 1
) -> NetworkError:
    where = call.redacted_url()
    detail = scrub(str(exc) or type(exc).__name__, call.secrets)
    if isinstance(exc, httpx.TimeoutException):
        if clock is not None and clock.call_ended():
            return Timeout(
                f"{call.provider}: the deadline ran out before {where} answered in whole",
                hint="raise --deadline or try again later",
                py_hint="raise Client(deadline=...) or try again later",
                http_hint="try again later",
                provider=call.provider,
            )
        bound = f"{clock.timeout:g} s" if clock is not None else "the timeout"
        return Timeout(
            f"{call.provider}: no answer from {where} in full within {bound} ({type(exc).__name__}"
            + (f", on each of {attempts} attempts)" if attempts > 1 else ")"),
            hint="raise --timeout or try again later",
            py_hint="raise Client(timeout=...) or try again later",
            http_hint="try again later",
            provider=call.provider,
        )
    return NetworkError(
        f"{call.provider}: could not reach {where}: {detail}. Check the base URL and your network",
        provider=call.provider,
    )


def _bad_location(call: Call) -> RemoteError:
    """httpx reads a redirect's ``Location`` even when it does not follow it, and refuses one
    that is no URL (``javascript:x``) with ``InvalidURL``, which is not an ``HTTPError``."""
    return RemoteError(
        f"{call.provider}: {call.redacted_url()} answered with a redirect to a URL that is not "
        "valid http(s); check the base URL",
        provider=call.provider,
        remote_status=302,
    )


def refused_location(exc: Exception) -> bool:
    """A ``Location`` httpx cannot parse: raised as ``InvalidURL``, or wrapped in a
    ``RemoteProtocolError`` (an unparsable port or host); never worth retrying."""
    if isinstance(exc, httpx.InvalidURL):
        return True
    return isinstance(exc, httpx.RemoteProtocolError) and isinstance(exc.__context__, httpx.InvalidURL)


def _headers(response: httpx.Response) -> dict[str, str]:
    return header_dict(response.headers)


def header_dict(headers: httpx.Headers) -> dict[str, str]:
    """Headers with lower-case names, read out of httpx once (each look-up in
    ``httpx.Headers`` decodes every header anew); repeated ones joined as httpx joins them."""
    return {k.lower(): v for k, v in headers.items()}


def _decoder(call: Call, response: httpx.Response, headers: Mapping[str, str], limit: int) -> reading.Decoder:
    """How to read this response's body within ``limit``; refused unread when it cannot fit.
    ``headers`` are the response's (:func:`_headers`)."""
    # A body already in memory (a test transport) was decoded by httpx.
    encoding = None if response.is_stream_consumed else headers.get("content-encoding")
    return body_decoder(call, headers, encoding, limit)


def body_decoder(call: Call, headers: Mapping[str, str], encoding: str | None, limit: int) -> reading.Decoder:
    """How to read a response body in ``encoding`` within ``limit``; refused unread when its
    declared length cannot fit. ``headers`` have lower-case names."""
    try:
        if reading.declared_too_large(headers.get("content-length"), encoding, limit):
            raise reading.BodyError(
                f"is larger than {reading.mib(limit)} (Content-Length {headers['content-length'].strip()})"
            )
        return reading.Decoder(encoding, limit)
    except reading.BodyError as exc:
        raise _body_error(call, exc, limit) from None


def _body_error(call: Call, exc: reading.BodyError, limit: int) -> DecodeError:
    large = "larger than" in exc.why
    now = f"now {reading.mib(limit)}"
    return DecodeError(
        f"{call.provider}: the response body from {call.redacted_url()} {exc.why}",
        hint=f"raise --max-body (or UNCI_MAX_BODY; {now}) if such a body is expected" if large else None,
        py_hint=f"raise Client(max_body=...) (or UNCI_MAX_BODY; {now}) if such a body is expected"
        if large
        else None,
        http_hint=f"raise the server's UNCI_MAX_BODY ({now}) if such a body is expected" if large else None,
        provider=call.provider,
    )


def _feed(call: Call, decoder: reading.Decoder, data: bytes, limit: int) -> Iterator[bytes]:
    try:
        yield from decoder.feed(data)
    except reading.BodyError as exc:
        raise _body_error(call, exc, limit) from None


def _raw(response: httpx.Response) -> Iterator[bytes]:
    """The body as it came (unci decodes it itself, within the cap), straight from the
    transport's stream; a body already in memory (a test transport's) as it is."""
    if response.is_stream_consumed:
        yield response.content
    else:
        yield from response.stream  # type: ignore[misc]


async def _araw(response: httpx.Response) -> AsyncIterator[bytes]:
    if response.is_stream_consumed:
        yield response.content
    else:
        async for chunk in response.stream:  # type: ignore[union-attr]
            yield chunk


class _Chunks:
    """Decoded pieces regrouped into chunks of ``size`` (the last one shorter), as httpx's
    ``iter_bytes(size)`` does: a body shorter than a chunk is whole before any of it is
    passed on, so a small body cut off is still an error and not a short answer."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._buffer = bytearray()

    def add(self, piece: bytes) -> Iterator[bytes]:
        self._buffer += piece
        while len(self._buffer) >= self.size:
            chunk = bytes(self._buffer[: self.size])
            del self._buffer[: self.size]
            yield chunk

    def rest(self) -> Iterator[bytes]:
        if self._buffer:
            yield bytes(self._buffer)
            self._buffer.clear()


class PageChain:
    """What a walk over pages remembers to tell a paging that never ends from a long one
    (``iter_pages`` and the CLI's ``--all`` / ``--limit`` walk: :meth:`check` each page).

    ``max_empty`` is how many empty pages in a row pointing at another are taken for a paging
    bug; ``None`` for lists unci filters itself (builds by branch or time), where a run of
    empty pages is what a filter the provider cannot apply looks like.
    """

    def __init__(self, max_empty: int | None = MAX_EMPTY_PAGES) -> None:
        self.seen: set[tuple[Any, ...]] = set()
        self.empty = 0
        self.count = 0
        self.max_empty = max_empty

    def check(self, page: JobPage | BuildList) -> None:
        call, answer = page.calls[-1]
        self.count += 1
        key = (call.method, call.url, tuple(sorted(call.query)), page.skip)
        ids = [record.id for record in page.result]
        why = None
        if key in self.seen:
            why = "asked for a page it had already sent"
        elif page.next_cursor and not ids and self.max_empty is not None:
            self.empty += 1
            if self.empty >= self.max_empty:
                why = f"sent {self.empty} empty pages in a row, each pointing at another"
        if why is None:
            self.seen.add(key)
            if ids:
                self.empty = 0
            return
        raise RemoteError(
            f"{call.provider}: the listing does not end: the provider {why} "
            f"({call.redacted_url()}); stopped after {self.count - 1} page(s). This is a paging "
            "bug at the provider",
            hint="list with --limit and --cursor to take what is there",
            py_hint="list with limit= and cursor= to take what is there",
            http_hint="list with limit and next_cursor to take what is there",
            provider=call.provider,
            remote_status=answer.status,
        )


def _final(call: Call, answer: Answer, retrier: Retrier) -> Answer:
    """Raise for an error answer, saying so when the provider's wait was over the cap."""
    try:
        raise_for_status(call, answer)
    except RateLimited as exc:
        if retrier.capped_at is not None:
            exc.reword(
                f" (unci waits at most {retrier.policy.max_wait:g} s in all)",
                hint="raise --max-wait to wait longer",
                py_hint="raise Client(retry=RetryPolicy(max_wait=...)) to wait longer",
                http_hint="raise the server's --max-wait to wait longer",
            )
        raise
    return answer


def id_list(job_ids: Iterable[str | int]) -> list[str | int]:
    """The ids, refusing one string: iterated, ``"123"`` would ask for jobs 1, 2 and 3."""
    if isinstance(job_ids, (str, bytes)):
        raise UsageError(f"job_ids is a list of ids, not one string: give [{job_ids!r}]")
    return list(job_ids)


def cursors_ahead(page: JobPage) -> Iterator[str] | None:
    """The cursors of the numbered pages after ``page``, for a walk to fetch several at once."""
    if page.numbered is None:
        return None
    return numbered_cursors(page.calls[-1][0], page.numbered)


def _check_sizes(provider: str, limit: object, page_size: object) -> None:
    """Both counts checked before any request, each named as the caller gave it."""
    check_limit(provider, limit)
    check_limit(provider, page_size, "page_size")


def _check_shared(
    target: Target, params: Mapping[str, str] | None, remote_query: RemoteQuery, include_steps: bool
) -> None:
    """What every id of ``get_jobs`` shares."""
    check_params(target, params or {}, "get")
    query_pairs(target.provider, remote_query)
    steps.check_asked(target.provider, include_steps)


def _build_filters(
    branch: str | None, status: str | None, conclusion: str | None, since: When | None, until: When | None
) -> dict[str, Any]:
    found = {"branch": branch, "status": status, "conclusion": conclusion, "since": since, "until": until}
    return {k: v for k, v in found.items() if v is not None and v != ""}


class Client(BuildMethods, LogMethods):
    """A connection pool and the pipeline: ``Client().get_job("github", "1", params=...)``.

    :param timeout: seconds one HTTP request may take as a whole, from connecting (at most 10 s
        of it) to the last byte of the body (default 30). A retry is a new request.
    :param deadline: seconds one call may take as a whole (``get_job``, ``fetch``, one page of
        ``list_jobs`` or ``iter_pages``, ``stream``), its retries and waits included; default
        none (then at most ``(retries + 1) * timeout`` plus ``retry.max_wait``).
    :param until: a ``time.monotonic()`` moment no call of this client runs past (a budget for
        many calls, such as every page of a listing).
    :param max_body: the most bytes of body read, decoded (default ``UNCI_MAX_BODY``, else 64
        MiB); a larger body is a :class:`DecodeError`, never held.
    :param retry: how hard to retry (``RetryPolicy(retries=0)`` turns it off).
    :param on_wait: called with a one-line message before any wait longer than a second.
    :param concurrency: how many requests one call of this client makes at once where it makes
        several (the numbered pages of a listing, the jobs of many builds); default 8.
    """

    def __init__(
        self,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        on_wait: Callable[[str], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        deadline: float | None = None,
        until: float | None = None,
        max_body: int | str | None = None,
        concurrency: int | None = None,
    ) -> None:
        timeout, deadline = _bounds(timeout, deadline)
        self._http = LeanClient(
            timeout=_timeout(timeout),
            transport=transport or timebound.bounded_transport(),
            follow_redirects=False,
            headers=_HEADERS,
        )
        self.retry = retry or RetryPolicy()
        self.on_wait = on_wait
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.deadline = deadline
        self.until = until
        self.max_body = reading.max_body(max_body)
        self.concurrency = given_count(concurrency, "concurrency") or DEFAULT_CONCURRENCY

    def _clock(self) -> _Clock:
        return _Clock(self.timeout, self.deadline, self.until)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _attempt(self, call: Call, clock: _Clock) -> Answer:
        http = self._http
        request = http.build_request(
            call.method,
            call.url,
            params=tuple(call.query),
            headers=call.headers,
            extensions=clock.start_attempt(),
        )
        response = lean.send(http, request)
        try:
            headers = _headers(response)
            decoder = _decoder(call, response, headers, self.max_body)
            body: list[bytes] = []
            for data in _raw(response):
                body.extend(_feed(call, decoder, data, self.max_body))
                clock.check()
            return Answer(response.status_code, headers, b"".join(body))
        finally:
            response.close()

    def send(self, call: Call) -> Answer:
        """Send with retries; return the answer or raise the matching :class:`UnciError`."""
        retrier = Retrier(self.retry, call.provider, self.on_wait)
        clock = self._clock()
        while True:
            try:
                answer = self._attempt(call, clock)
            except RuntimeError:
                # Closed before or while the call was on its way (another thread's close(), the
                # end of a with-block around an iterator still read): the caller's mistake,
                # said so. lean.send is what checks, once per attempt.
                lean.refuse_closed(self._http, call.provider)
                raise
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                if refused_location(exc) or not isinstance(exc, httpx.HTTPError):
                    raise _bad_location(call) from None
                error = _network_error(call, exc, clock, retrier.attempt + 1)
                delay = retrier.after_network_error(type(exc).__name__)
                if delay is None or not clock.fits(delay):
                    raise error from None
                time.sleep(delay)
                continue
            delay = retrier.after_status(answer.status, answer.headers, answer.body)
            if delay is None or not clock.fits(delay):
                return _final(call, answer, retrier)
            time.sleep(delay)

    def fetch(
        self,
        provider: str | None,
        job_id: str | int,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: RemoteQuery = (),
        include_steps: bool = False,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> Fetched:
        target = _who(provider, target, token, username, password, base_url, account)
        steps.check_asked(target.provider, include_steps)
        call = prepare_get(target, job_id, params, remote_query)
        answer = self.send(call)
        fetched = Fetched(call, answer, decode_job(call, answer))
        if include_steps:
            self.add_steps(call.target, [fetched.job], call.params, [call.job_id or str(job_id)])
        return fetched

    def get_job(
        self,
        provider: str | None,
        job_id: str | int,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: RemoteQuery = (),
        include_steps: bool = False,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> Job:
        """Fetch one job and return it as a :class:`unci.Job`; ``include_steps=True`` also
        fetches its steps where they cost a request of their own (Jenkins' stages)."""
        return self.fetch(
            provider,
            job_id,
            params=params,
            remote_query=remote_query,
            include_steps=include_steps,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
            target=target,
        ).job

    def add_steps(
        self,
        target: Target,
        jobs: list[Job],
        params: Mapping[str, str],
        ids: list[str] | None = None,
    ) -> None:
        """Fill in the steps of the jobs whose answer held none, where the provider keeps them
        behind another request; at most :data:`DEFAULT_CONCURRENCY` at once. A 404 there
        means the job has none (a Jenkins freestyle build): ``steps`` stays absent. ``ids``:
        the ids the jobs were asked for by, where that is not their ``id``."""
        todo = [
            (job, i)
            for job, i in zip(jobs, ids or [j.id for j in jobs], strict=True)
            if steps.wanted(target, job)
        ]
        if not todo:
            return

        def one(item: tuple[Job, str]) -> None:
            job, job_id = item
            call = steps.prepare_steps(target, job_id, params)
            try:
                answer = self.send(call)
            except NotFound:
                return
            job.steps = steps.decode_steps(call, answer)

        if len(todo) == 1:
            one(todo[0])
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(DEFAULT_CONCURRENCY, len(todo))) as pool:
            list(pool.map(one, todo))

    def list_jobs(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        remote_query: RemoteQuery = (),
        include_steps: bool = False,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> JobPage:
        """One page of the jobs of a build, and the cursor for the next page."""
        target = _who(provider, target, token, username, password, base_url, account)
        steps.check_asked(target.provider, include_steps)
        call, skip = prepare_list(target, params, limit=limit, cursor=cursor, remote_query=remote_query)
        answer = self.send(call)
        page = read_page(call, answer)
        jobs, next_cursor = slice_page(call, page, skip, limit)
        if include_steps:
            self.add_steps(target, jobs, call.params)
        return JobPage(
            jobs, next_cursor, [(call, answer)], is_looping(call, page), skip, ahead(call, page, skip, limit)
        )

    def iter_pages(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        limit: int | None = None,
        page_size: int | None = None,
        cursor: str | None = None,
        remote_query: RemoteQuery = (),
        include_steps: bool = False,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> Iterator[JobPage]:
        """Every page, fetched lazily as the caller advances, until ``limit`` jobs in all (as
        ``unci jobs list --limit`` and :meth:`iter_builds` count; ``page_size`` is how many each
        request asks for). A paging that never ends (a page asked for twice,
        :data:`MAX_EMPTY_PAGES` empty pages in a row that still point at another) is a
        :class:`RemoteError` after the pages before it; a page whose next link is itself ends
        the list there, with its ``looping`` true."""
        who = _who(provider, target, token, username, password, base_url, account)
        _check_sizes(who.provider, limit, page_size)

        def fetch(size: int | None, at: str | None) -> JobPage:
            return self.list_jobs(
                provider,
                params=params,
                limit=size,
                cursor=at,
                remote_query=remote_query,
                include_steps=include_steps,
                target=who,
            )

        yield from pages_until(
            fetch,
            total=limit,
            page_size=page_size,
            cursor=cursor,
            cut=cut,
            check=PageChain().check,
            ahead=cursors_ahead,
            width=self.concurrency,
        )

    def iter_jobs(
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
        page_size: int | None = None,
        cursor: str | None = None,
        remote_query: RemoteQuery = (),
        include_steps: bool = False,
        concurrency: int | None = None,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> Iterator[Job]:
        """Every job of a build, page after page, holding one page at a time, at most ``limit``
        in all; or, given build filters and no build, the jobs of every build that matches them
        (see :meth:`iter_build_job_pages`; ``concurrency`` builds' jobs fetched at once)."""
        who = _who(provider, None, token, username, password, base_url, account)
        filters = _build_filters(branch, status, conclusion, since, until)
        pages: Iterator[JobPage]
        # As the CLI and the server decide it: filters with a build given are refused (the
        # build was dropped, and the jobs of every build came back), a walk's cursor alone walks.
        if discovers(who, params or {}, filters, cursor):
            pages = self.iter_build_job_pages(
                provider,
                params=params,
                limit=limit,
                page_size=page_size,
                cursor=cursor,
                remote_query=remote_query,
                include_steps=include_steps,
                concurrency=concurrency,
                target=who,
                **filters,
            )
        else:
            pages = self.iter_pages(
                provider,
                params=params,
                limit=limit,
                page_size=page_size,
                cursor=cursor,
                remote_query=remote_query,
                include_steps=include_steps,
                target=who,
            )
        for page in pages:
            yield from page.result

    def get_jobs(
        self,
        provider: str | None,
        job_ids: Iterable[str | int],
        *,
        params: Mapping[str, str] | None = None,
        remote_query: RemoteQuery = (),
        include_steps: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> list[Job | UnciError]:
        """Many jobs by id, ``concurrency`` at a time over this client's pool, in input order.

        A job that fails is its error in the list; the others are not lost.
        """
        from concurrent.futures import ThreadPoolExecutor

        # Who to ask, once, and what every id shares, checked once: a missing param is one
        # error raised, not a list of the same error once per id.
        target = _who(provider, None, token, username, password, base_url, account)
        _check_shared(target, params, remote_query, include_steps)

        def one(job_id: str | int) -> Job | UnciError:
            try:
                return self.get_job(
                    provider,
                    job_id,
                    params=params,
                    remote_query=remote_query,
                    include_steps=include_steps,
                    target=target,
                )
            except UnciError as exc:
                return exc

        ids = id_list(job_ids)
        given_count(concurrency, "concurrency")
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(ids) or 1))) as pool:
            return list(pool.map(one, ids))

    def stream(
        self,
        provider: str | None,
        job_id: str | int,
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
        """The provider's body in chunks of at most ``chunk_size``, never held whole (the
        ``stream`` and, in the CLI, ``raw`` formats). Retried like any call until the first
        byte of a successful answer; from then on a failure ends the stream with its error."""
        who = _who(provider, target, token, username, password, base_url, account)
        call = prepare_get(who, job_id, params, remote_query)
        yield from self.stream_call(call, chunk_size)

    def stream_call(self, call: Call, chunk_size: int = 65536) -> Iterator[bytes]:
        """:meth:`stream` for any prepared call (a job, a build)."""
        lean.refuse_closed(self._http, call.provider)
        retrier = Retrier(self.retry, call.provider, self.on_wait)
        clock = self._clock()
        while True:
            started = False
            try:
                with self._http.stream(
                    call.method,
                    call.url,
                    params=tuple(call.query),
                    headers=call.headers,
                    extensions=clock.start_attempt(),
                ) as response:
                    headers = _headers(response)
                    decoder = _decoder(call, response, headers, self.max_body)
                    if response.status_code < 300:
                        chunks = _Chunks(chunk_size)
                        for data in _raw(response):
                            for piece in _feed(call, decoder, data, self.max_body):
                                for chunk in chunks.add(piece):
                                    started = True
                                    yield chunk
                            clock.check()
                        started = True
                        yield from chunks.rest()
                        return
                    body: list[bytes] = []
                    for data in _raw(response):
                        body.extend(_feed(call, decoder, data, self.max_body))
                        clock.check()
                    answer = Answer(response.status_code, headers, b"".join(body))
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                if refused_location(exc) or not isinstance(exc, httpx.HTTPError):
                    raise _bad_location(call) from None
                error = _network_error(call, exc, clock, retrier.attempt + 1)
                delay = None if started else retrier.after_network_error(type(exc).__name__)
                if delay is None or not clock.fits(delay):
                    raise error from None
                time.sleep(delay)
                continue
            delay = retrier.after_status(answer.status, answer.headers, answer.body)
            if delay is None or not clock.fits(delay):
                _final(call, answer, retrier)  # raises: the status is 3xx or an error
                return
            time.sleep(delay)


async def _cpu(size: int, work: Callable[_P, _R], *args: _P.args, **kw: _P.kwargs) -> _R:
    """``work(*args)``, in a thread when it reads a body of ``size`` bytes past
    :data:`OFF_LOOP_BYTES`."""
    import asyncio

    if size > OFF_LOOP_BYTES:
        return await asyncio.to_thread(work, *args, **kw)
    return work(*args, **kw)


class AsyncClient(AsyncBuildMethods, AsyncLogMethods):
    """The asyncio twin of :class:`Client`."""

    #: The httpx client class underneath (``unci serve`` uses a leaner one).
    http_class: type[httpx.AsyncClient] = LeanAsyncClient

    def __init__(
        self,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        on_wait: Callable[[str], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        deadline: float | None = None,
        until: float | None = None,
        max_body: int | str | None = None,
        concurrency: int | None = None,
    ) -> None:
        timeout, deadline = _bounds(timeout, deadline)
        self._http = self.http_class(
            timeout=_timeout(timeout),
            transport=transport or self._transport(),
            follow_redirects=False,
            headers=_HEADERS,
        )
        self.retry = retry or RetryPolicy()
        self.on_wait = on_wait
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.deadline = deadline
        self.until = until
        self.max_body = reading.max_body(max_body)
        self.concurrency = given_count(concurrency, "concurrency") or DEFAULT_CONCURRENCY

    def _clock(self) -> _Clock:
        return _Clock(self.timeout, self.deadline, self.until)

    def _transport(self) -> httpx.AsyncBaseTransport:
        """httpx's transport with the time bounds on its sockets; a subclass with a transport
        of its own keeps the checks between chunks."""
        return timebound.async_bounded_transport()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """The asyncio twin of :meth:`unci.Client.close`."""
        await self._http.aclose()

    async def _attempt(self, call: Call, clock: _Clock) -> Answer:
        http = self._http
        request = http.build_request(
            call.method,
            call.url,
            params=tuple(call.query),
            headers=call.headers,
            extensions=clock.start_attempt(),
        )
        response = await lean.asend(http, request)
        try:
            headers = _headers(response)
            decoder = _decoder(call, response, headers, self.max_body)
            body: list[bytes] = []
            async for data in _araw(response):
                body.extend(_feed(call, decoder, data, self.max_body))
                clock.check()
            return Answer(response.status_code, headers, b"".join(body))
        finally:
            await response.aclose()

    async def send(self, call: Call) -> Answer:
        """The asyncio twin of :meth:`unci.Client.send`."""
        retrier = Retrier(self.retry, call.provider, self.on_wait)
        clock = self._clock()
        while True:
            try:
                answer = await self._attempt(call, clock)
            except RuntimeError:
                lean.refuse_closed(self._http, call.provider)
                raise
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                if refused_location(exc) or not isinstance(exc, httpx.HTTPError):
                    raise _bad_location(call) from None
                error = _network_error(call, exc, clock, retrier.attempt + 1)
                delay = retrier.after_network_error(type(exc).__name__)
                if delay is None or not clock.fits(delay):
                    raise error from None
                await asleep(delay)
                continue
            delay = retrier.after_status(answer.status, answer.headers, answer.body)
            if delay is None or not clock.fits(delay):
                return await _cpu(len(answer.body), _final, call, answer, retrier)
            await asleep(delay)

    async def fetch(
        self,
        provider: str | None,
        job_id: str | int,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: RemoteQuery = (),
        include_steps: bool = False,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> Fetched:
        """The asyncio twin of :meth:`unci.Client.fetch`."""
        target = _who(provider, target, token, username, password, base_url, account)
        steps.check_asked(target.provider, include_steps)
        call = prepare_get(target, job_id, params, remote_query)
        answer = await self.send(call)
        fetched = Fetched(call, answer, await _cpu(len(answer.body), decode_job, call, answer))
        if include_steps:
            await self.add_steps(call.target, [fetched.job], call.params, [call.job_id or str(job_id)])
        return fetched

    async def get_job(
        self,
        provider: str | None,
        job_id: str | int,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: RemoteQuery = (),
        include_steps: bool = False,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> Job:
        """The asyncio twin of :meth:`unci.Client.get_job`."""
        fetched = await self.fetch(
            provider,
            job_id,
            params=params,
            remote_query=remote_query,
            include_steps=include_steps,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
            target=target,
        )
        return fetched.job

    async def add_steps(
        self,
        target: Target,
        jobs: list[Job],
        params: Mapping[str, str],
        ids: list[str] | None = None,
    ) -> None:
        """The asyncio twin of :meth:`Client.add_steps`."""
        import asyncio

        gate = asyncio.Semaphore(DEFAULT_CONCURRENCY)

        async def one(job: Job, job_id: str) -> None:
            call = steps.prepare_steps(target, job_id, params)
            async with gate:
                try:
                    answer = await self.send(call)
                except NotFound:
                    return
            job.steps = await _cpu(len(answer.body), steps.decode_steps, call, answer)

        pairs = zip(jobs, ids or [j.id for j in jobs], strict=True)
        await asyncio.gather(*(one(job, i) for job, i in pairs if steps.wanted(target, job)))

    async def list_jobs(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        remote_query: RemoteQuery = (),
        include_steps: bool = False,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> JobPage:
        """The asyncio twin of :meth:`unci.Client.list_jobs`."""
        target = _who(provider, target, token, username, password, base_url, account)
        steps.check_asked(target.provider, include_steps)
        call, skip = prepare_list(target, params, limit=limit, cursor=cursor, remote_query=remote_query)
        answer = await self.send(call)
        page = await _cpu(len(answer.body), read_page, call, answer)
        jobs, next_cursor = slice_page(call, page, skip, limit)
        if include_steps:
            await self.add_steps(target, jobs, call.params)
        return JobPage(
            jobs, next_cursor, [(call, answer)], is_looping(call, page), skip, ahead(call, page, skip, limit)
        )

    async def iter_pages(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        limit: int | None = None,
        page_size: int | None = None,
        cursor: str | None = None,
        remote_query: RemoteQuery = (),
        include_steps: bool = False,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        target: Target | None = None,
    ) -> AsyncIterator[JobPage]:
        """The asyncio twin of :meth:`Client.iter_pages`: ``limit`` jobs in all."""
        who = _who(provider, target, token, username, password, base_url, account)
        _check_sizes(who.provider, limit, page_size)

        async def fetch(size: int | None, at: str | None) -> JobPage:
            return await self.list_jobs(
                provider,
                params=params,
                limit=size,
                cursor=at,
                remote_query=remote_query,
                include_steps=include_steps,
                target=who,
            )

        async for page in apages_until(
            fetch,
            total=limit,
            page_size=page_size,
            cursor=cursor,
            cut=cut,
            check=PageChain().check,
            ahead=cursors_ahead,
            width=self.concurrency,
        ):
            yield page

    async def iter_jobs(
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
        page_size: int | None = None,
        cursor: str | None = None,
        remote_query: RemoteQuery = (),
        include_steps: bool = False,
        concurrency: int | None = None,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> AsyncIterator[Job]:
        """The asyncio twin of :meth:`Client.iter_jobs`."""
        who = _who(provider, None, token, username, password, base_url, account)
        filters = _build_filters(branch, status, conclusion, since, until)
        pages: AsyncIterator[JobPage]
        if discovers(who, params or {}, filters, cursor):
            pages = self.iter_build_job_pages(
                provider,
                params=params,
                limit=limit,
                page_size=page_size,
                cursor=cursor,
                remote_query=remote_query,
                include_steps=include_steps,
                concurrency=concurrency,
                target=who,
                **filters,
            )
        else:
            pages = self.iter_pages(
                provider,
                params=params,
                limit=limit,
                page_size=page_size,
                cursor=cursor,
                remote_query=remote_query,
                include_steps=include_steps,
                target=who,
            )
        async for page in pages:
            for job in page.result:
                yield job

    async def get_jobs(
        self,
        provider: str | None,
        job_ids: Iterable[str | int],
        *,
        params: Mapping[str, str] | None = None,
        remote_query: RemoteQuery = (),
        include_steps: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        account: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
    ) -> list[Job | UnciError]:
        """The asyncio twin of :meth:`unci.Client.get_jobs`."""
        import asyncio

        gate = asyncio.Semaphore(max(1, given_count(concurrency, "concurrency") or 1))
        target = _who(provider, None, token, username, password, base_url, account)
        _check_shared(target, params, remote_query, include_steps)

        async def one(job_id: str | int) -> Job | UnciError:
            async with gate:
                try:
                    return await self.get_job(
                        provider,
                        job_id,
                        params=params,
                        remote_query=remote_query,
                        include_steps=include_steps,
                        target=target,
                    )
                except UnciError as exc:
                    return exc

        return list(await asyncio.gather(*(one(i) for i in id_list(job_ids))))

    async def stream(
        self,
        provider: str | None,
        job_id: str | int,
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
        """The asyncio twin of :meth:`unci.Client.stream`."""
        who = _who(provider, target, token, username, password, base_url, account)
        call = prepare_get(who, job_id, params, remote_query)
        async for chunk in self.stream_call(call, chunk_size):
            yield chunk

    async def stream_call(self, call: Call, chunk_size: int = 65536) -> AsyncGenerator[bytes, None]:
        """The asyncio twin of :meth:`unci.Client.stream_call`."""
        lean.refuse_closed(self._http, call.provider)
        retrier = Retrier(self.retry, call.provider, self.on_wait)
        clock = self._clock()
        while True:
            started = False
            try:
                async with self._http.stream(
                    call.method,
                    call.url,
                    params=tuple(call.query),
                    headers=call.headers,
                    extensions=clock.start_attempt(),
                ) as response:
                    headers = _headers(response)
                    decoder = _decoder(call, response, headers, self.max_body)
                    if response.status_code < 300:
                        chunks = _Chunks(chunk_size)
                        async for data in _araw(response):
                            for piece in _feed(call, decoder, data, self.max_body):
                                for chunk in chunks.add(piece):
                                    started = True
                                    yield chunk
                            clock.check()
                        started = True
                        for chunk in chunks.rest():
                            yield chunk
                        return
                    body: list[bytes] = []
                    async for data in _araw(response):
                        body.extend(_feed(call, decoder, data, self.max_body))
                        clock.check()
                    answer = Answer(response.status_code, headers, b"".join(body))
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                if refused_location(exc) or not isinstance(exc, httpx.HTTPError):
                    raise _bad_location(call) from None
                error = _network_error(call, exc, clock, retrier.attempt + 1)
                delay = None if started else retrier.after_network_error(type(exc).__name__)
                if delay is None or not clock.fits(delay):
                    raise error from None
                await asleep(delay)
                continue
            delay = retrier.after_status(answer.status, answer.headers, answer.body)
            if delay is None or not clock.fits(delay):
                _final(call, answer, retrier)  # raises: the status is 3xx or an error
                return
            await asleep(delay)


def get_job(
    provider: str | None,
    job_id: str | int,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    include_steps: bool = False,
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> Job:
    """Fetch one job by id: ``unci.get_job("github", "399444496", params={...}, token=...)``."""
    with Client(timeout=timeout) as client:
        return client.get_job(
            provider,
            job_id,
            params=params,
            remote_query=remote_query,
            include_steps=include_steps,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )


async def aget_job(
    provider: str | None,
    job_id: str | int,
    *,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    include_steps: bool = False,
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> Job:
    """The asyncio twin of :func:`get_job`."""
    async with AsyncClient(timeout=timeout) as client:
        return await client.get_job(
            provider,
            job_id,
            params=params,
            remote_query=remote_query,
            include_steps=include_steps,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )


def get_jobs(
    provider: str | None,
    job_ids: Iterable[str | int],
    *,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    include_steps: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> list[Job | UnciError]:
    """Many jobs by id over one connection pool; see :meth:`Client.get_jobs`."""
    with Client(timeout=timeout) as client:
        return client.get_jobs(
            provider,
            job_ids,
            params=params,
            remote_query=remote_query,
            include_steps=include_steps,
            concurrency=concurrency,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )


async def aget_jobs(
    provider: str | None,
    job_ids: Iterable[str | int],
    *,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    include_steps: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> list[Job | UnciError]:
    """The asyncio twin of :func:`get_jobs`: many jobs by id, in input order, errors in place."""
    async with AsyncClient(timeout=timeout) as client:
        return await client.get_jobs(
            provider,
            job_ids,
            params=params,
            remote_query=remote_query,
            include_steps=include_steps,
            concurrency=concurrency,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )


def iter_jobs(
    provider: str | None,
    *,
    params: Mapping[str, str] | None = None,
    branch: str | None = None,
    status: str | None = None,
    conclusion: str | None = None,
    since: When | None = None,
    until: When | None = None,
    limit: int | None = None,
    page_size: int | None = None,
    cursor: str | None = None,
    remote_query: RemoteQuery = (),
    include_steps: bool = False,
    concurrency: int | None = None,
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> Iterator[Job]:
    """Every job of a build, pages fetched lazily: ``for job in unci.iter_jobs("github", params=...)``;
    with ``since``/``branch``/``status``/``conclusion``/``until`` and no build, the jobs of every
    build that matches."""
    with Client(timeout=timeout) as client:
        yield from client.iter_jobs(
            provider,
            params=params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            limit=limit,
            page_size=page_size,
            cursor=cursor,
            remote_query=remote_query,
            include_steps=include_steps,
            concurrency=concurrency,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )


async def aiter_jobs(
    provider: str | None,
    *,
    params: Mapping[str, str] | None = None,
    branch: str | None = None,
    status: str | None = None,
    conclusion: str | None = None,
    since: When | None = None,
    until: When | None = None,
    limit: int | None = None,
    page_size: int | None = None,
    cursor: str | None = None,
    remote_query: RemoteQuery = (),
    include_steps: bool = False,
    concurrency: int | None = None,
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> AsyncIterator[Job]:
    """The asyncio twin of :func:`iter_jobs`."""
    async with AsyncClient(timeout=timeout) as client:
        async for job in client.iter_jobs(
            provider,
            params=params,
            branch=branch,
            status=status,
            conclusion=conclusion,
            since=since,
            until=until,
            limit=limit,
            page_size=page_size,
            cursor=cursor,
            remote_query=remote_query,
            include_steps=include_steps,
            concurrency=concurrency,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        ):
            yield job


def list_jobs(
    provider: str | None,
    *,
    params: Mapping[str, str] | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    remote_query: RemoteQuery = (),
    include_steps: bool = False,
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> JobPage:
    """One page of jobs and the cursor of the next: ``unci.list_jobs("github", params=..., limit=50)``."""
    with Client(timeout=timeout) as client:
        return client.list_jobs(
            provider,
            params=params,
            limit=limit,
            cursor=cursor,
            remote_query=remote_query,
            include_steps=include_steps,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )


async def alist_jobs(
    provider: str | None,
    *,
    params: Mapping[str, str] | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    remote_query: RemoteQuery = (),
    include_steps: bool = False,
    account: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
) -> JobPage:
    """The asyncio twin of :func:`list_jobs` (as :func:`alist_builds` is of ``list_builds``)."""
    async with AsyncClient(timeout=timeout) as client:
        return await client.list_jobs(
            provider,
            params=params,
            limit=limit,
            cursor=cursor,
            remote_query=remote_query,
            include_steps=include_steps,
            account=account,
            token=token,
            username=username,
            password=password,
            base_url=base_url,
        )
