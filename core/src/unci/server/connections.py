"""What ``unci serve`` does about connections that take without giving: a header timeout and a
cap on open connections, on top of uvicorn's HTTP protocols.

uvicorn (0.29 to 0.54 at least) has no timeout for reading a request's head: its keep-alive
timer starts only after a response and is cancelled by the first byte of the next request, so a
connection that sends nothing, or one byte now and then, stays open for ever; enough of them
use up the process's file descriptors and nothing else is served. Its ``limit_concurrency``
answers 503 only once a request arrives, so idle connections are never refused. The two
protocol classes here add, per connection, a timer from the moment it opens (and from the end of
each response) until the next request's head is complete, and refuse a connection past the
limit at once with Truto's 503 envelope. Everything else is uvicorn's own protocol.

The limits come from ``UNCI_SERVER_OPTIONS`` (written by ``unci serve``), which every worker
process inherits; they are read once per process.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

#: Documented in docs/server.md (``--header-timeout``, ``--limit-concurrency``).
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_LIMIT_CONCURRENCY = 1000


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY


@lru_cache(maxsize=1)
def limits() -> ConnectionLimits:
    options = json.loads(os.environ.get("UNCI_SERVER_OPTIONS") or "{}")
    return ConnectionLimits(
        header_timeout=float(options.get("header_timeout", DEFAULT_HEADER_TIMEOUT)),
        limit_concurrency=int(options.get("limit_concurrency", DEFAULT_LIMIT_CONCURRENCY)),
    )


def _busy_response(limit: int) -> bytes:
    body = json.dumps(
        {
            "statusCode": 503,
            "error": "Service Unavailable",
            "message": f"the server has {limit} connections open, its limit; try again shortly",
        }
    )
    return (
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
        b"retry-after: 1\r\nconnection: close\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body.encode()
    )


class _Guard:
    """Mixed in before a uvicorn protocol class (which provides the attributes used here)."""

    _header_timer: asyncio.TimerHandle | None = None
    _waiting_for: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        mine = limits()
        if len(self.connections) > mine.limit_concurrency:  # type: ignore[attr-defined]
            writer = cast(asyncio.Transport, transport)  # uvicorn's are always full transports
            writer.write(_busy_response(mine.limit_concurrency))
            writer.close()
            return
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._waiting_for = self.cycle  # type: ignore[attr-defined]
        self._header_timer = self.loop.call_later(  # type: ignore[attr-defined]
            limits().header_timeout, self._header_timeout
        )

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():  # type: ignore[attr-defined]
            self.transport.close()  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        # A new cycle means the head of a request is complete: the timer has done its job.
        if self._header_timer is not None and self.cycle is not self._waiting_for:  # type: ignore[attr-defined]
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        cycle = self.cycle  # type: ignore[attr-defined]
        # A pipelined request already read is being served: nothing to wait for.
        if not self.transport.is_closing() and (cycle is None or cycle.response_complete):  # type: ignore[attr-defined]
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]


from uvicorn.protocols.http.h11_impl import H11Protocol  # noqa: E402


class GuardedH11Protocol(_Guard, H11Protocol):
    pass


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional
    GuardedHttpToolsProtocol: type | None = None
else:

    class GuardedHttpToolsProtocol(_Guard, HttpToolsProtocol):  # type: ignore[no-redef]
        pass


def protocol() -> type:
    """The guarded form of the protocol uvicorn would pick (httptools when installed)."""
    return GuardedHttpToolsProtocol or GuardedH11Protocol
