"""Sending prepared calls with httpx, synchronously or with asyncio.

The two clients mirror each other method for method; what they decide comes from
:mod:`unci.call`, so only the ``await`` differs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
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
from unci.errors import NetworkError, Timeout
from unci.job import Job
from unci.redact import scrub

DEFAULT_TIMEOUT = 30.0
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
    detail = scrub(str(exc) or type(exc).__name__, call.target.secrets)
    if isinstance(exc, httpx.TimeoutException):
        return Timeout(
            f"{call.provider}: no answer from {where} in time ({type(exc).__name__}); raise "
            "--timeout or try again later",
            provider=call.provider,
        )
    return NetworkError(
        f"{call.provider}: could not reach {where}: {detail}. Check the base URL and your "
        "network",
        provider=call.provider,
    )


def _answer(response: httpx.Response, body: bytes) -> Answer:
    return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, body)


def _target(provider: str, kw: dict[str, Any]) -> Target:
    return resolve_target(
        provider,
        token=kw.pop("token", None),
        username=kw.pop("username", None),
        password=kw.pop("password", None),
        base_url=kw.pop("base_url", None),
    )


class Client:
    """A connection pool and the pipeline: ``Client().get_job("github", "1", params=...)``."""

    def __init__(self, *, timeout: float | None = None, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(timeout=_timeout(timeout), transport=transport,
                                  follow_redirects=False)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def send(self, call: Call) -> Answer:
        try:
            response = self._http.request(call.method, call.url, params=call.query,
                                          headers=call.headers)
        except httpx.HTTPError as exc:
            raise _network_error(call, exc) from None
        answer = _answer(response, response.content)
        raise_for_status(call, answer)
        return answer

    def fetch(
        self,
        provider: str,
        job_id: str,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        **credentials: Any,
    ) -> Fetched:
        call = prepare_get(_target(provider, credentials), job_id, params, remote_query)
        answer = self.send(call)
        return Fetched(call, answer, decode_job(call, answer))

    def get_job(self, provider: str, job_id: str, **kw: Any) -> Job:
        """Fetch one job and return it as a :class:`unci.Job`."""
        return self.fetch(provider, job_id, **kw).job

    def stream(
        self,
        provider: str,
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
                if response.status_code >= 400:
                    raise_for_status(call, _answer(response, response.read()))
                yield from response.iter_bytes(chunk_size)
        except httpx.HTTPError as exc:
            raise _network_error(call, exc) from None


class AsyncClient:
    """The asyncio twin of :class:`Client`."""

    def __init__(self, *, timeout: float | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(timeout=_timeout(timeout), transport=transport,
                                       follow_redirects=False)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, call: Call) -> Answer:
        try:
            response = await self._http.request(call.method, call.url, params=call.query,
                                                headers=call.headers)
        except httpx.HTTPError as exc:
            raise _network_error(call, exc) from None
        answer = _answer(response, response.content)
        raise_for_status(call, answer)
        return answer

    async def fetch(
        self,
        provider: str,
        job_id: str,
        *,
        params: Mapping[str, str] | None = None,
        remote_query: Iterable[tuple[str, str]] = (),
        **credentials: Any,
    ) -> Fetched:
        call = prepare_get(_target(provider, credentials), job_id, params, remote_query)
        answer = await self.send(call)
        return Fetched(call, answer, decode_job(call, answer))

    async def get_job(self, provider: str, job_id: str, **kw: Any) -> Job:
        return (await self.fetch(provider, job_id, **kw)).job

    async def stream(
        self,
        provider: str,
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
                if response.status_code >= 400:
                    raise_for_status(call, _answer(response, await response.aread()))
                async for chunk in response.aiter_bytes(chunk_size):
                    yield chunk
        except httpx.HTTPError as exc:
            raise _network_error(call, exc) from None


def get_job(provider: str, job_id: str, *, timeout: float | None = None, **kw: Any) -> Job:
    """Fetch one job by id: ``unci.get_job("github", "399444496", params={...}, token=...)``."""
    with Client(timeout=timeout) as client:
        return client.get_job(provider, job_id, **kw)


async def aget_job(provider: str, job_id: str, *, timeout: float | None = None, **kw: Any) -> Job:
    """The asyncio twin of :func:`get_job`."""
    async with AsyncClient(timeout=timeout) as client:
        return await client.get_job(provider, job_id, **kw)
