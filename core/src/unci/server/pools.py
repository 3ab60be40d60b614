"""The server's connections to the providers: one bounded pool per provider origin, over aiohttp.

Two reasons, both seen under load. **Bulkheads**: with one shared pool, a provider that stops
answering holds every connection and every other account's calls queue behind it; here each
origin (scheme, host, port) has its own pool of ``per_origin`` connections, and a call that
finds its origin's pool full waits at most ``wait`` seconds, then fails alone with a 503
(:class:`ProviderBusy`) while the other origins go on. **Speed**: httpx's own pool spent most of
the server's CPU per request and kept only 20 idle connections, so 100 busy callers kept opening
new ones; aiohttp's connector keeps every pooled connection alive and costs a fraction of it.
httpx stays the API (:class:`unci.client.AsyncClient` is unchanged): this is its transport.

The adapter is written here rather than taken from ``httpx-aiohttp``, whose exception mapping
turns every aiohttp connection error (refused, reset, disconnected) into ``ConnectTimeout``,
which would tell callers "no answer in time" when the provider could not be reached at all.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import anyio
import httpx
from yarl import URL

from unci.errors import UnciError
from unci.lean import LeanAsyncClient
from unci.timebound import left

#: Documented in docs/server.md (``--pool-size``, ``--pool-wait``).
DEFAULT_PER_ORIGIN = 100
DEFAULT_WAIT = 5.0
DEFAULT_KEEPALIVE = 15.0
CHUNK = 65536


@dataclass(frozen=True)
class PoolLimits:
    """How many connections one provider origin may hold and how long a call waits for one."""

    per_origin: int = DEFAULT_PER_ORIGIN
    wait: float = DEFAULT_WAIT
    keepalive: float = DEFAULT_KEEPALIVE


class ProviderBusy(UnciError):
    """Every connection to this origin is taken (the provider is slow or hung): only calls to
    it fail, and at once rather than after the caller's own timeout."""

    status_code = 503
    error = "Service Unavailable"


def _origin_text(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"  # never the userinfo


def _mapped(exc: BaseException) -> httpx.TransportError:
    """aiohttp's error as the httpx error the core expects (timeouts apart from refusals)."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(text)
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return httpx.ReadTimeout(text)
    if isinstance(exc, (aiohttp.ServerTimeoutError, TimeoutError)):
        return httpx.TimeoutException(text)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(text)
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
        return httpx.RemoteProtocolError(text)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(text)
    return httpx.ReadError(text)


_ERRORS = (aiohttp.ClientError, TimeoutError)


class _Body(httpx.AsyncByteStream):
    """The provider's body in chunks; closing it gives the connection and the slot back."""

    def __init__(self, response: aiohttp.ClientResponse, gate: anyio.Semaphore) -> None:
        self._response = response
        self._gate: anyio.Semaphore | None = gate

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(CHUNK):
                yield chunk
        except _ERRORS as exc:
            raise _mapped(exc) from None

    async def aclose(self) -> None:
        self._response.release()  # back to the pool when read to the end, else closed
        if self._gate is not None:
            gate, self._gate = self._gate, None
            gate.release()


class OriginPools(httpx.AsyncBaseTransport):
    """An httpx transport with one aiohttp pool per origin, each bounded by :class:`PoolLimits`."""

    def __init__(self, limits: PoolLimits | None = None, ssl_context: ssl.SSLContext | None = None) -> None:
        self.limits = limits or PoolLimits()
        self._ssl = ssl_context or httpx.create_ssl_context()
        self._session: aiohttp.ClientSession | None = None
        self._gates: dict[tuple[bytes, bytes, int | None], anyio.Semaphore] = {}
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=0,
            limit_per_host=self.limits.per_origin,
            keepalive_timeout=self.limits.keepalive,
            ssl=self._ssl,
        )
        # No cookie jar: the pool is shared by every account of an origin, and a cookie one
        # account's answer set must not ride along with another's calls.
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self._session

    def _timeout(self, request: httpx.Request) -> aiohttp.ClientTimeout:
        spec = request.extensions.get("timeout") or {}
        total = left(spec.get("read"))  # the whole request's bound (unci.timebound)
        if total is not None:
            return aiohttp.ClientTimeout(
                total=total,
                sock_connect=spec.get("connect"),
                sock_read=spec.get("read"),
                connect=spec.get("connect"),
            )
        key = (spec.get("connect"), spec.get("read"))
        found = self._timeouts.get(key)
        if found is None:
            found = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, sock_connect=key[0], sock_read=key[1], connect=key[0]
            )
        return found

    async def _slot(self, url: httpx.URL) -> anyio.Semaphore:
        key = (url.raw_scheme, url.raw_host, url.port)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = anyio.Semaphore(self.limits.per_origin)
        try:
            gate.acquire_nowait()  # the common case: no await, no trip through the loop
            return gate
        except anyio.WouldBlock:
            pass
        try:
            with anyio.fail_after(self.limits.wait):
                await gate.acquire()
        except TimeoutError:
            raise ProviderBusy(
                f"the provider at {_origin_text(url)} is not keeping up: all "
                f"{self.limits.per_origin} of the server's connections to it are busy and none "
                f"came free in {self.limits.wait:g} s; try again later (calls to other providers "
                "are not affected)"
            ) from None
        return gate

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        gate = await self._slot(request.url)
        try:
            response = await session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1"))  # names as written
                    for k, v in request.headers.raw
                ],
                data=request.content or None,
                allow_redirects=False,
                timeout=self._timeout(request),
            )
        except _ERRORS as exc:
            gate.release()
            raise _mapped(exc) from None
        except BaseException:
            gate.release()
            raise
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_Body(response, gate),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode()},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


#: The httpx client of ``unci serve``: the core's lean one (see :mod:`unci.lean`).
LeanHTTP = LeanAsyncClient
