"""The server's log: one line per request, credentials redacted, control characters escaped.

A request's path and query come from the caller, percent-decoded: ``GET /x%0d%0aINFO:...``
would otherwise write a second, forged line into the log. Every character that could break a
line or drive a terminal (C0, DEL, C1, the Unicode line and paragraph separators) is written as
an escape (``\\r``, ``\\x1b``, ``\\u2028``), in the access line and, through
:class:`EscapeControls`, in everything else ``unci serve`` logs.

The access line is the hottest code of the server after the HTTP stacks, so it is cheap: the
redacted form of a query string is cached (callers repeat the same few), and ``unci serve``
writes the lines of one event-loop turn with one ``write`` (:class:`LineWriter`) instead of
going through :mod:`logging` for each.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from functools import lru_cache
from typing import IO
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unci.redact import redact_query
from unci.text import printable

log = logging.getLogger("unci.server")


class EscapeControls(logging.Filter):
    """A handler filter: the record's message with control characters escaped.

    A message made of several lines on purpose (a traceback) keeps its line breaks, each line
    after the first indented, so no line of it can pass for a record of its own.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        lines = message.split("\n") if getattr(record, "multiline", False) else [message]
        record.msg = "\n    ".join(printable(line, backslashes=False) for line in lines)
        record.args = None
        return True


@lru_cache(maxsize=512)
def _shown_query(raw: bytes) -> str:
    """The query string as logged: credential-looking values redacted, then escaped."""
    if not raw:
        return ""
    query = urlencode(redact_query(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)), safe="[]")
    return f"?{printable(query)}" if query else ""


class LineWriter:
    """Writes lines to a stream, those of one event-loop turn with one ``write``: no delay, no
    line kept past the turn it was logged in, one system call for many requests."""

    def __init__(self, stream: IO[str] | None = None, prefix: str = "INFO:     ") -> None:
        self.stream = stream
        self.prefix = prefix
        self._lines: list[str] = []

    def __call__(self, line: str) -> None:
        if not self._lines:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no loop: write at once
                self._lines.append(line)
                self.flush()
                return
        self._lines.append(line)

    def flush(self) -> None:
        lines, self._lines = self._lines, []
        if not lines:
            return
        stream = self.stream or sys.stderr
        try:
            stream.write("".join(f"{self.prefix}{line}\n" for line in lines))
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stream must not fail requests
            pass


def through_logging(line: str) -> None:
    log.info("%s", line)


class AccessLog:
    """One line per request with credential-looking query values redacted; replaces uvicorn's
    access log, which would print the query string as it came.

    ``write`` takes each finished line; by default it goes to the ``unci.server`` logger at
    info (an app embedded in another server logs like the rest of it).
    """

    def __init__(self, app: ASGIApp, write: Callable[[str], None] | None = None) -> None:
        self.app = app
        self.write = write or through_logging

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logs_requests():
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.write(access_line(scope, status, start))


def logs_requests() -> bool:
    """Whether the access log is on (the ``unci.server`` logger at info or below)."""
    return log.isEnabledFor(logging.INFO)


def access_line(scope: Scope, status: int, start: float) -> str:
    """The access line of a request answered with ``status``, begun at ``start``
    (``time.perf_counter()``)."""
    client = scope.get("client")
    who = f"{client[0]}:{client[1]}" if client else "-"
    # One printable() of the three caller-given parts with what joins them: the escaping goes
    # character by character and the joining space and quote are left as they are, so this is
    # the same text as escaping each part, for a third of the calls.
    asked = printable(f'{who} "{scope["method"]} {scope["path"]}')
    query = _shown_query(scope.get("query_string", b""))
    return f'{asked}{query}" {status} {(time.perf_counter() - start) * 1000:.1f}ms'
