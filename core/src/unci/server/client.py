"""The server's client: the core's :class:`~unci.client.AsyncClient`, each call sent straight
over the server's pools (:class:`~unci.server.pools.OriginPools`).

httpx still decides what goes on the wire: the URL is the one httpx builds for the call (the
same lean client as everywhere), and the headers are the ones httpx would send, merged by
httpx itself (once per account and origin, then kept). What the server skips is httpx's
client machinery around the transport (the auth and redirect loops, cookie extraction, the
``Response`` object and its byte streams), which cost as much CPU per request as the rest of
the server together (docs/performance.md). Every rule of the core stays: the call's time
bounds reach aiohttp as before, the body is read through the same size-capped decoder, no
redirect is followed (a ``Location`` httpx would refuse is refused the same way), and
failures are the httpx errors the core's retry rules already know.

Streams (``truto_response_format=stream``) and logs take httpx's own path over the same pools;
so does every call when a test or benchmark puts a transport of its own under the client.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import httpx

from unci.call import Answer, Call
from unci.client import AsyncClient, _Clock, _feed, body_decoder, header_dict
from unci.lean import request_url
from unci.server.pools import OriginPools

#: A path segment httpx leaves as it is: unreserved characters, sub-delimiters, ``:``,
#: ``@`` and valid percent-escapes (a subset of what its ``quote`` keeps).
_SEGMENT = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*")


@functools.lru_cache(maxsize=256)
def _canonical_head(head: str) -> httpx.URL | None:
    """``head`` parsed, when it is absolute, has no query or fragment and httpx writes it
    exactly as given (so it has no dot segment either); else ``None``."""
    if "?" in head or "#" in head:
        return None
    try:
        url = httpx.URL(head)
    except httpx.InvalidURL:
        return None
    return url if url.is_absolute_url and str(url) == head else None


def read_headers(raw: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    """The answer's headers as the core reads them (:func:`unci.client.header_dict` of
    ``httpx.Headers(raw)``): lower-case names, a repeated header's values joined with ``, ``.

    Made straight from the raw pairs when they are all ASCII, as they nearly always are (httpx
    then decodes them as ASCII too); building ``httpx.Headers`` to read it once cost a
    tenth of the server's own work per request. Anything else takes httpx's path, with its
    choice of encoding.
    """
    out: dict[str, str] = {}
    for name, value in raw:
        if not (name.isascii() and value.isascii()):
            return header_dict(httpx.Headers(list(raw)))
        key = name.decode("ascii").lower()
        text = value.decode("ascii")
        if key in out:
            out[key] += f", {text}"
        else:
            out[key] = text
    return out


#: The statuses httpx reads a ``Location`` for (``Response.has_redirect_location``).
_REDIRECTS = frozenset((301, 302, 303, 307, 308))
#: How many (method, origin, header set) combinations keep their merged headers.
HEADER_SETS = 256


class ServerClient(AsyncClient):
    """:class:`~unci.client.AsyncClient` over :class:`OriginPools`, without httpx's client
    layer on the calls :meth:`send` makes (see the module)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        transport = kw.get("transport")
        #: No query params of the client's own to merge into every URL (as it is made).
        self._plain = not self._http.params
        self._pools = transport if isinstance(transport, OriginPools) else None
        self._header_sets: dict[tuple[Any, ...], list[tuple[str, str]]] = {}

    def _wire_url(self, call: Call) -> tuple[str, httpx.URL]:
        """The URL httpx would send for ``call``, and an httpx URL on its origin.

        httpx parses every URL in Python, character by character; most calls need not pay
        for it. A call with no query whose URL is an already canonical head (as httpx writes
        it, parsed once and kept) plus one last segment of characters httpx leaves as they
        are (unreserved, sub-delimiters, ``:``, ``@``, valid ``%XX``; not a dot segment) is
        exactly what httpx would write: that URL is sent as it is. Any other goes through
        httpx (:func:`unci.lean.request_url`).
        """
        if self._plain and not call.query:
            head, _, last = call.url.rpartition("/")
            origin = _canonical_head(head)
            if origin is not None and _SEGMENT.fullmatch(last) and last not in (".", ".."):
                return call.url, origin
        url = request_url(self._http, call.url, tuple(call.query))
        return str(url), url

    def _sent_headers(self, call: Call, url: httpx.URL) -> list[tuple[str, str]]:
        """The headers httpx sends for ``call`` to ``url`` (its own defaults, the client's, the
        call's; ``Host`` first), names as written.

        Kept per method, host and call headers, all they depend on (an account's calls repeat
        the same few), at most :data:`HEADER_SETS` of them.
        """
        key = (call.method, url.netloc, *call.headers.items())
        found = self._header_sets.get(key)
        if found is None:
            request = httpx.Request(call.method, url, headers=self._http._merge_headers(call.headers))
            found = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
            if len(self._header_sets) >= HEADER_SETS:
                del self._header_sets[next(iter(self._header_sets))]  # the oldest
            self._header_sets[key] = found
        return found

    async def _attempt(self, call: Call, clock: _Clock) -> Answer:
        if self._pools is None:
            return await super()._attempt(call, clock)
        timeout = clock.start_attempt()["timeout"]
        url, origin = self._wire_url(call)
        headers = self._sent_headers(call, origin)
        exchange = await self._pools.open(call.method, url, origin, headers, None, timeout)
        try:
            answer_headers = read_headers(exchange.raw_headers)
            if exchange.status in _REDIRECTS and "location" in answer_headers:
                self._check_location(call.method, httpx.URL(url), exchange.status, exchange.raw_headers)
            decoder = body_decoder(
                call, answer_headers, answer_headers.get("content-encoding"), self.max_body
            )
            body: list[bytes] = []
            while data := await exchange.read():
                body.extend(_feed(call, decoder, data, self.max_body))
                clock.check()
            return Answer(exchange.status, answer_headers, b"".join(body))
        finally:
            exchange.close()

    def _check_location(self, method: str, url: httpx.URL, status: int, headers: Any) -> None:
        """Raise what httpx raises for this redirect's ``Location`` when it cannot be made into
        a URL (``InvalidURL``, or ``RemoteProtocolError`` from one): httpx reads it even when
        it follows no redirect, and the core words that error (:func:`unci.client.refused_location`)."""
        request = httpx.Request(method, url)
        self._http._build_redirect_request(request, httpx.Response(status, headers=headers, request=request))
