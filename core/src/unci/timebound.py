"""Whole-request time bounds, which httpx does not have: its timeouts apply to each read, so a
server sending two bytes a second (status line and headers included) was never timed out.

A bound is a moment on :func:`time.monotonic`. It rides to the socket inside the timeouts
httpx hands httpcore for each request (:class:`Bound`, a float that also knows the moment),
and the network streams unci puts under httpx's connection pool clamp every connect, read,
write and TLS handshake to the time left, so the request ends at its bound whatever the
server does. The clients also check the clock between chunks, which is what bounds a request
over a transport of the caller's own (``Client(transport=...)``).
"""

from __future__ import annotations

import time
from typing import Any

import httpcore
import httpx

#: Bytes asked of the socket at each read. httpcore asks 64 KiB, and every read costs a
#: round through h11 and httpx's and unci's generators; over plain http (a Jenkins on the
#: intranet, the benchmark) a log streams at about twice the rate with reads four times larger
#: (``benchmarks/bench_logs.py``). A read returns what has arrived, so a small answer is not
#: delayed; over TLS a read returns one record (16 KiB at most), so nothing changes there.
READ_SIZE = 256 * 1024


class Bound(float):
    """A timeout in seconds that also carries the moment (``time.monotonic()``) it ends at."""

    at: float

    def __new__(cls, seconds: float, at: float) -> Bound:
        value = super().__new__(cls, seconds)
        value.at = at
        return value


def timeout(per_read: float, connect: float, at: float) -> httpx.Timeout:
    """httpx timeouts for one attempt ending at ``at``: each phase gets at most what is left."""
    return httpx.Timeout(**timeouts(per_read, connect, at))


def timeouts(per_read: float, connect: float, at: float) -> dict[str, float]:
    """:func:`timeout` as the request extension httpx makes of it (``Timeout.as_dict()``),
    without the ``Timeout`` object: every call of the server makes one."""
    left = max(0.001, at - time.monotonic())
    read = Bound(min(per_read, left), at)
    return {"connect": Bound(min(connect, left), at), "read": read, "write": read, "pool": read}


def _clamp(timeout: float | None, expired: type[Exception]) -> float | None:
    if not isinstance(timeout, Bound):
        return timeout
    left = timeout.at - time.monotonic()
    if left <= 0:
        raise expired("the request ran past its time bound")
    return min(float(timeout), left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max(max_bytes, READ_SIZE), _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(
            self._stream.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout))
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> Any:
        return _Stream(
            self._backend.connect_tcp(
                host, port, _clamp(timeout, httpcore.ConnectTimeout), local_address, socket_options
            )
        )

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        return _Stream(
            self._backend.connect_unix_socket(path, _clamp(timeout, httpcore.ConnectTimeout), socket_options)
        )

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _AsyncStream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket: Any = _UNKNOWN

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max(max_bytes, READ_SIZE), _clamp(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _AsyncStream(
            await self._stream.start_tls(
                ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)
            )
        )

    def get_extra_info(self, info: str) -> Any:
        """As the stream answers, but ``is_readable`` from the socket looked up once: httpcore
        asks it of every idle connection each time it hands one out, and anyio builds its whole
        table of socket attributes (a ``getpeername`` call among them) for every answer."""
        if info == "is_readable" and _readable is not None:
            if self._socket is _UNKNOWN:
                self._socket = self._stream.get_extra_info("socket")
            if self._socket is not None:
                return _readable(self._socket)
        return self._stream.get_extra_info(info)


_UNKNOWN = object()
try:  # httpcore's own test, as its anyio stream runs it
    from httpcore._utils import is_socket_readable as _readable
except ImportError:  # pragma: no cover - a later httpcore without it: ask the stream each time
    _readable = None  # type: ignore[assignment]


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> Any:
        return _AsyncStream(
            await self._backend.connect_tcp(
                host, port, _clamp(timeout, httpcore.ConnectTimeout), local_address, socket_options
            )
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> Any:
        return _AsyncStream(
            await self._backend.connect_unix_socket(
                path, _clamp(timeout, httpcore.ConnectTimeout), socket_options
            )
        )

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def _bounded(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend):
        setattr(pool, "_network_backend", _Backend(backend))  # noqa: B010 (a private attribute)
    return transport


def _async_bounded(transport: httpx.AsyncHTTPTransport) -> httpx.AsyncHTTPTransport:
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.AsyncNetworkBackend):
        setattr(pool, "_network_backend", _AsyncBackend(backend))  # noqa: B010 (a private attribute)
    return transport


def _trusts_nothing() -> Any:
    """The TLS context of the plain-HTTP transport. httpx loads its certificate bundle (some
    35 ms, most of a CLI call's own time) for every transport it builds; this context loads
    nothing and trusts no certificate, so it could never carry a TLS connection unverified."""
    import ssl

    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class _ByScheme(httpx.BaseTransport):
    """``http://`` over a transport that loads no certificates, anything else over httpx's
    default (verified) transport; each built on its first request."""

    def __init__(self) -> None:
        self._plain: httpx.HTTPTransport | None = None
        self._verified: httpx.HTTPTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "http":
            if self._plain is None:
                self._plain = _bounded(httpx.HTTPTransport(verify=_trusts_nothing()))
            return self._plain.handle_request(request)
        if self._verified is None:
            self._verified = _bounded(httpx.HTTPTransport())
        return self._verified.handle_request(request)

    def close(self) -> None:
        for transport in (self._plain, self._verified):
            if transport is not None:
                transport.close()


class _AsyncByScheme(httpx.AsyncBaseTransport):
    """The asyncio twin of :class:`_ByScheme`."""

    def __init__(self) -> None:
        self._plain: httpx.AsyncHTTPTransport | None = None
        self._verified: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "http":
            if self._plain is None:
                self._plain = _async_bounded(httpx.AsyncHTTPTransport(verify=_trusts_nothing()))
            return await self._plain.handle_async_request(request)
        if self._verified is None:
            self._verified = _async_bounded(httpx.AsyncHTTPTransport())
        return await self._verified.handle_async_request(request)

    async def aclose(self) -> None:
        for transport in (self._plain, self._verified):
            if transport is not None:
                await transport.aclose()


def bounded_transport() -> httpx.BaseTransport:
    """httpx's default transport with the clamping streams under its connection pool.

    httpx builds its pool without a way to pass httpcore a network backend, so the backend the
    pool holds is wrapped in place; should a future httpcore keep it elsewhere, the transport is
    used as it is and the clients' checks between chunks still bound the body.
    """
    return _ByScheme()


def async_bounded_transport() -> httpx.AsyncBaseTransport:
    """:func:`bounded_transport` for :class:`httpx.AsyncClient`."""
    return _AsyncByScheme()


def expired(at: float | None) -> bool:
    return at is not None and time.monotonic() >= at


def left(timeout: float | None) -> float | None:
    """The seconds left before the bound a timeout carries (``None`` when it carries none), for
    a transport that has an overall timeout of its own (the server's aiohttp pools)."""
    at = getattr(timeout, "at", None)
    return None if at is None else max(0.001, at - time.monotonic())
