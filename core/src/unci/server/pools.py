"""The server's connections to the providers: one bounded pool per provider origin, over aiohttp.

Two reasons, both seen under load. **Bulkheads**: with one shared pool, a provider that stops
answering holds every connection and every other account's calls queue behind it; here each
origin (scheme, host, port) has its own pool of ``per_origin`` connections, and a call that
finds its origin's pool full waits at most ``wait`` seconds, then fails alone with a 503
(:class:`ProviderBusy`) while the other origins go on. **Speed**: httpx's own pool spent most of
the server's CPU per request and kept only 20 idle connections, so 100 busy callers kept opening
new ones; aiohttp's connector keeps every pooled connection alive and costs a fraction of it.
It is an httpx transport (streams and logs go through httpx over it), and :meth:`OriginPools.open`
is how the server's own client (:mod:`unci.server.client`) sends its calls without httpx's client
layer around them.

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


class Exchange:
    """One provider answer on its way in: status and raw headers, then the body in chunks.

    :meth:`close` gives the connection back (to the pool when the body was read to its end,
    else closed) and frees the call's slot; it is safe to call more than once.
    """

    __slots__ = ("_gate", "_response", "raw_headers", "reason", "status")

    def __init__(self, response: aiohttp.ClientResponse, gate: anyio.Semaphore) -> None:
        self._response = response
        self._gate: anyio.Semaphore | None = gate
        self.status = response.status
        self.raw_headers = response.raw_headers
        self.reason = response.reason or ""

    async def read(self) -> bytes:
        """The body's next chunk as it came (undecoded: the pools ask aiohttp for no
        decompression), ``b""`` at its end; aiohttp's errors as httpx's."""
        try:
            return await self._response.content.read(CHUNK)
        except _ERRORS as exc:
            raise _mapped(exc) from None

    def close(self) -> None:
        self._response.release()
        if self._gate is not None:
            gate, self._gate = self._gate, None
            gate.release()


class _Body(httpx.AsyncByteStream):
    """An :class:`Exchange`'s body as httpx's stream; closing it closes the exchange."""

    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := await self._exchange.read():
            yield chunk

    async def aclose(self) -> None:
        self._exchange.close()


class OriginPools(httpx.AsyncBaseTransport):
    """One aiohttp pool per origin, each bounded by :class:`PoolLimits`: an httpx transport,
    and (:meth:`open`) the server's own way to send a call without httpx's client around it."""

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

    def _timeout(self, spec: dict[str, Any]) -> aiohttp.ClientTimeout:
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

    async def open(
        self,
        method: str,
        url: str,
        origin: httpx.URL,
        headers: list[tuple[str, str]],
        content: bytes | None,
        timeout: dict[str, Any],
    ) -> Exchange:
        """Send one request on its origin's pool and wait for the answer's head.

        ``url`` is sent as httpx wrote it (already encoded); ``origin`` is any httpx URL on the
        same scheme, host and port (the pool's key). ``headers`` go exactly as given (names
        as written), no redirect is followed; ``timeout`` is httpx's timeout extension
        (:mod:`unci.timebound`'s bounds included). aiohttp's errors are raised as the httpx
        errors the core's retry rules know; a full pool is :class:`ProviderBusy`.
        """
        session = self._session or self._open()
        gate = await self._slot(origin)
        try:
            response = await session.request(
                method,
                URL(url, encoded=True),
                headers=headers,
                data=content or None,
                allow_redirects=False,
                timeout=self._timeout(timeout),
            )
        except _ERRORS as exc:
            gate.release()
            raise _mapped(exc) from None
        except BaseException:
            gate.release()
            raise
        return Exchange(response, gate)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        exchange = await self.open(
            request.method,
            str(request.url),
            request.url,
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
            request.content,
            request.extensions.get("timeout") or {},
        )
        return httpx.Response(
            exchange.status,
            headers=exchange.raw_headers,
            stream=_Body(exchange),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": exchange.reason.encode()},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
