"""Sending prepared calls with httpx, synchronously or with asyncio.

The two clients mirror each other method for method; what they decide comes from
:mod:`unci.call`, so only the ``await`` differs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from unci.call import (
    Answer,
    Call,
    Target,
    debug_envelope,
    decode_job,
    prepare_get,
    raise_for_status,
    resolve_target,
)
from unci.errors import NetworkError, RateLimited, Timeout, UnciError
from unci.job import Job
from unci.listing import JobPage, is_looping, prepare_list, read_page, slice_page
from unci.redact import scrub
from unci.retry import Retrier, RetryPolicy

DEFAULT_TIMEOUT = 30.0
#: Bodies past this size are mapped (or read for an error message) in a worker thread, so an
#: event loop serving other requests is not held up by one large answer.
OFF_LOOP_BYTES = 128 * 1024
DEFAULT_CONCURRENCY = 8
CONNECT_TIMEOUT = 10.0


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

    def debug(self) -> dict[str, Any]:
        return debug_envelope(self.call, self.answer)


def _network_error(call: Call, exc: httpx.HTTPError) -> NetworkError:
    where = call.redacted_url()
    detail = scrub(str(exc) or type(exc).__name__, call.secrets)
    if isinstance(exc, httpx.TimeoutException):
        return Timeout(
            f"{call.provider}: no answer from {where} in time ({type(exc).__name__})",
            hint="raise --timeout or try again later", http_hint="try again later",
            provider=call.provider,
        )
    return NetworkError(
        f"{call.provider}: could not reach {where}: {detail}. Check the base URL and your "
        "network",
        provider=call.provider,
    )


def _answer(response: httpx.Response, body: bytes) -> Answer:
    return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, body)


def _final(call: Call, answer: Answer, retrier: Retrier) -> Answer:
    """Raise for an error answer, saying so when the provider's wait was over the cap."""
    try:
        raise_for_status(call, answer)
    except RateLimited as exc:
        if retrier.capped_at is not None:
            exc.message += (f" (unci waits at most {retrier.policy.max_wait:g} s in all; "
                            "raise --max-wait to wait longer)")
            exc.args = (exc.message,)
        raise
    return answer


_WHO = frozenset({"token", "username", "password", "base_url", "account"})


def _target(provider: str | None, kw: dict[str, Any]) -> Target:
    """Who to ask: ``token``, ``username``, ``password``, ``base_url`` and ``account`` kwargs,
    or an already resolved ``target`` (many calls, one resolution)."""
    if isinstance(kw.get("target"), Target):
        return kw["target"]
    unknown = set(kw) - _WHO
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    return resolve_target(provider, **kw)


def _split_who(kw: dict[str, Any]) -> dict[str, Any]:
    """Take the who-to-ask kwargs out of ``kw``."""
    return {k: kw.pop(k) for k in list(kw) if k in _WHO or k == "target"}


class Client:
    """A connection pool and the pipeline: ``Client().get_job("github", "1", params=...)``.

    :param timeout: seconds to wait for a connection (at most 10) and for each read.
    :param retry: how hard to retry (``RetryPolicy(retries=0)`` turns it off).
    :param on_wait: called with a one-line message before any wait longer than a second.
    """

    def __init__(self, *, timeout: float | None = None, retry: RetryPolicy | None = None,
                 on_wait: Callable[[str], None] | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(timeout=_timeout(timeout), transport=transport,
                                  follow_redirects=False)
        self.retry = retry or RetryPolicy()
        self.on_wait = on_wait

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def send(self, call: Call) -> Answer:
        """Send with retries; return the answer or raise the matching :class:`UnciError`."""
        retrier = Retrier(self.retry, call.provider, self.on_wait)
        while True:
            try:
                response = self._http.request(call.method, call.url, params=call.query,
                                              headers=call.headers)
            except httpx.HTTPError as exc:
                error = _network_error(call, exc)
                delay = retrier.after_network_error(type(exc).__name__)
                if delay is None:
                    raise error from None
                time.sleep(delay)
                continue
            answer = _answer(response, response.content)
            delay = retrier.after_status(answer.status, answer.headers, answer.body)
            if delay is None:
                return _final(call, answer, retrier)
            time.sleep(delay)

    def fetch(
        self,
        provider: str | None,
        job_id: str,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        **credentials: Any,
    ) -> Fetched:
        call = prepare_get(_target(provider, credentials), job_id, params, remote_query)
        answer = self.send(call)
        return Fetched(call, answer, decode_job(call, answer))

    def get_job(self, provider: str | None, job_id: str, **kw: Any) -> Job:
        """Fetch one job and return it as a :class:`unci.Job`."""
        return self.fetch(provider, job_id, **kw).job

    def list_jobs(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        **credentials: Any,
    ) -> JobPage:
        """One page of the jobs of a build, and the cursor for the next page."""
        target = _target(provider, credentials)
        call, skip = prepare_list(target, params, limit=limit, cursor=cursor,
                                  remote_query=remote_query)
        answer = self.send(call)
        page = read_page(call, answer)
        jobs, next_cursor = slice_page(call, page, skip, limit)
        return JobPage(jobs, next_cursor, [(call, answer)], is_looping(call, page))

    def iter_pages(self, provider: str | None, **kw: Any) -> Iterator[JobPage]:
        """Every page, fetched lazily as the caller advances."""
        cursor = kw.pop("cursor", None)
        kw["target"] = _target(provider, _split_who(kw))
        while True:
            page = self.list_jobs(provider, cursor=cursor, **kw)
            yield page
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def iter_jobs(self, provider: str | None, **kw: Any) -> Iterator[Job]:
        """Every job of a build, page after page, holding one page at a time."""
        for page in self.iter_pages(provider, **kw):
            yield from page.result

    def get_jobs(
        self,
        provider: str | None,
        job_ids: Iterable[str],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        **kw: Any,
    ) -> list[Job | UnciError]:
        """Many jobs by id, ``concurrency`` at a time over this client's pool, in input order.

        A job that fails is its error in the list; the others are not lost.
        """
        from concurrent.futures import ThreadPoolExecutor

        target = _target(provider, _split_who(kw))  # once, not once per job

        def one(job_id: str) -> Job | UnciError:
            try:
                return self.get_job(provider, job_id, target=target, **kw)
            except UnciError as exc:
                return exc

        ids = list(job_ids)
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(ids) or 1))) as pool:
            return list(pool.map(one, ids))

    def stream(
        self,
        provider: str | None,
        job_id: str,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        chunk_size: int = 65536,
        **credentials: Any,
    ) -> Iterator[bytes]:
        """The provider's body in chunks, never held whole (the ``stream`` format)."""
        call = prepare_get(_target(provider, credentials), job_id, params, remote_query)
        try:
            with self._http.stream(call.method, call.url, params=call.query,
                                   headers=call.headers) as response:
                if response.status_code >= 300:
                    raise_for_status(call, _answer(response, response.read()))
                yield from response.iter_bytes(chunk_size)
        except httpx.HTTPError as exc:
            raise _network_error(call, exc) from None


async def _cpu(size: int, work: Callable[..., Any], *args: Any) -> Any:
    """``work(*args)``, in a thread when it reads a body of ``size`` bytes past
    :data:`OFF_LOOP_BYTES`."""
    if size > OFF_LOOP_BYTES:
        return await asyncio.to_thread(work, *args)
    return work(*args)


class AsyncClient:
    """The asyncio twin of :class:`Client`."""

    #: The httpx client class underneath (``unci serve`` uses a leaner one).
    http_class: type[httpx.AsyncClient] = httpx.AsyncClient

    def __init__(self, *, timeout: float | None = None, retry: RetryPolicy | None = None,
                 on_wait: Callable[[str], None] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = self.http_class(timeout=_timeout(timeout), transport=transport,
                                     follow_redirects=False)
        self.retry = retry or RetryPolicy()
        self.on_wait = on_wait

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, call: Call) -> Answer:
        retrier = Retrier(self.retry, call.provider, self.on_wait)
        while True:
            try:
                response = await self._http.request(call.method, call.url, params=call.query,
                                                    headers=call.headers)
            except httpx.HTTPError as exc:
                error = _network_error(call, exc)
                delay = retrier.after_network_error(type(exc).__name__)
                if delay is None:
                    raise error from None
                await asyncio.sleep(delay)
                continue
            answer = _answer(response, response.content)
            delay = retrier.after_status(answer.status, answer.headers, answer.body)
            if delay is None:
                return await _cpu(len(answer.body), _final, call, answer, retrier)
            await asyncio.sleep(delay)

    async def fetch(
        self,
        provider: str | None,
        job_id: str,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        **credentials: Any,
    ) -> Fetched:
        call = prepare_get(_target(provider, credentials), job_id, params, remote_query)
        answer = await self.send(call)
        return Fetched(call, answer, await _cpu(len(answer.body), decode_job, call, answer))

    async def get_job(self, provider: str | None, job_id: str, **kw: Any) -> Job:
        return (await self.fetch(provider, job_id, **kw)).job

    async def list_jobs(
        self,
        provider: str | None,
        *,
        params: Mapping[str, str] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        **credentials: Any,
    ) -> JobPage:
        target = _target(provider, credentials)
        call, skip = prepare_list(target, params, limit=limit, cursor=cursor,
                                  remote_query=remote_query)
        answer = await self.send(call)
        page = await _cpu(len(answer.body), read_page, call, answer)
        jobs, next_cursor = slice_page(call, page, skip, limit)
        return JobPage(jobs, next_cursor, [(call, answer)], is_looping(call, page))

    async def iter_pages(self, provider: str | None, **kw: Any) -> AsyncIterator[JobPage]:
        cursor = kw.pop("cursor", None)
        kw["target"] = _target(provider, _split_who(kw))
        while True:
            page = await self.list_jobs(provider, cursor=cursor, **kw)
            yield page
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def iter_jobs(self, provider: str | None, **kw: Any) -> AsyncIterator[Job]:
        async for page in self.iter_pages(provider, **kw):
            for job in page.result:
                yield job

    async def get_jobs(
        self,
        provider: str | None,
        job_ids: Iterable[str],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        **kw: Any,
    ) -> list[Job | UnciError]:
        gate = asyncio.Semaphore(max(1, concurrency))
        target = _target(provider, _split_who(kw))

        async def one(job_id: str) -> Job | UnciError:
            async with gate:
                try:
                    return await self.get_job(provider, job_id, target=target, **kw)
                except UnciError as exc:
                    return exc

        return list(await asyncio.gather(*(one(i) for i in job_ids)))

    async def stream(
        self,
        provider: str | None,
        job_id: str,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        chunk_size: int = 65536,
        **credentials: Any,
    ) -> AsyncIterator[bytes]:
        call = prepare_get(_target(provider, credentials), job_id, params, remote_query)
        try:
            async with self._http.stream(call.method, call.url, params=call.query,
                                         headers=call.headers) as response:
                if response.status_code >= 300:
                    raise_for_status(call, _answer(response, await response.aread()))
                async for chunk in response.aiter_bytes(chunk_size):
                    yield chunk
        except httpx.HTTPError as exc:
            raise _network_error(call, exc) from None


def get_job(provider: str | None, job_id: str, *, timeout: float | None = None, **kw: Any) -> Job:
    """Fetch one job by id: ``unci.get_job("github", "399444496", params={...}, token=...)``."""
    with Client(timeout=timeout) as client:
        return client.get_job(provider, job_id, **kw)


async def aget_job(provider: str | None, job_id: str, *, timeout: float | None = None, **kw: Any) -> Job:
    """The asyncio twin of :func:`get_job`."""
    async with AsyncClient(timeout=timeout) as client:
        return await client.get_job(provider, job_id, **kw)


def get_jobs(provider: str | None, job_ids: Iterable[str], *, concurrency: int = DEFAULT_CONCURRENCY,
             timeout: float | None = None, **kw: Any) -> list[Job | UnciError]:
    """Many jobs by id over one connection pool; see :meth:`Client.get_jobs`."""
    with Client(timeout=timeout) as client:
        return client.get_jobs(provider, job_ids, concurrency=concurrency, **kw)


async def aget_jobs(provider: str | None, job_ids: Iterable[str], *,
                    concurrency: int = DEFAULT_CONCURRENCY, timeout: float | None = None,
                    **kw: Any) -> list[Job | UnciError]:
    async with AsyncClient(timeout=timeout) as client:
        return await client.get_jobs(provider, job_ids, concurrency=concurrency, **kw)


def iter_jobs(provider: str | None, *, timeout: float | None = None, **kw: Any) -> Iterator[Job]:
    """Every job of a build, pages fetched lazily: ``for job in unci.iter_jobs("github", params=...)``."""
    with Client(timeout=timeout) as client:
        yield from client.iter_jobs(provider, **kw)


async def aiter_jobs(provider: str | None, *, timeout: float | None = None, **kw: Any) -> AsyncIterator[Job]:
    async with AsyncClient(timeout=timeout) as client:
        async for job in client.iter_jobs(provider, **kw):
            yield job


def list_jobs(provider: str | None, *, timeout: float | None = None, **kw: Any) -> JobPage:
    """One page of jobs and the cursor of the next: ``unci.list_jobs("github", params=..., limit=50)``."""
    with Client(timeout=timeout) as client:
        return client.list_jobs(provider, **kw)
