"""httpx's clients less what unci's calls do not need, for both the library and the server.

Each URL is parsed once (httpx's ``build_request`` parses it twice, a sixth of its cost), and no
cookie is kept: one client carries calls for many accounts (and, in the server, a pool is shared
by every account of an origin), so a cookie one account's answer set must never ride along with
another account's calls. Requests with a body or cookies of their own take httpx's own path.

:func:`send` and :func:`asend` hand a built request straight to the client's transport: the
API calls follow no redirect, carry their credentials in their own headers and keep no cookie,
so httpx's auth and redirect loops, its cookie extraction (a ``urllib`` request built for every
answer, to be refused by the jar) and its byte-stream wrappers do nothing for them but cost a
fifth of a warm get.
"""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from unci.errors import UsageError


def _no_cookies() -> CookieJar:
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=()))


def request_url(client: httpx.AsyncClient | httpx.Client, url: httpx.URL | str, params: Any) -> httpx.URL:
    """The URL ``client`` would send for ``url`` and ``params``, parsed once."""
    merged = client._merge_queryparams(params) if (params or client.params) else None
    target = httpx.URL(url) if merged is None else httpx.URL(url, params=merged)
    return client._merge_url(target)


def _lean_request(
    client: Any, method: str, url: httpx.URL | str, params: Any, headers: Any, extensions: Any
) -> httpx.Request:
    extensions = dict(extensions or {})
    extensions.setdefault("timeout", client.timeout.as_dict())
    return httpx.Request(
        method,
        request_url(client, url, params),
        headers=client._merge_headers(headers),
        extensions=extensions,
    )


def _own_path(kw: dict[str, Any]) -> bool:
    """A body, cookies or a timeout of the request's own (``stream()`` always passes
    ``timeout``, as the client's default when none was given: that one stays lean)."""
    own_timeout = kw.get("timeout", httpx.USE_CLIENT_DEFAULT) is not httpx.USE_CLIENT_DEFAULT
    return own_timeout or any(kw.get(k) is not None for k in ("content", "data", "files", "json", "cookies"))


#: The statuses httpx reads a ``Location`` for (``Response.has_redirect_location``).
_REDIRECTS = frozenset((301, 302, 303, 307, 308))


class ClientClosed(UsageError, RuntimeError):
    """A call on a closed ``unci.Client``: a usage error (exit 2), and still the
    ``RuntimeError`` httpx raised there."""


def refuse_closed(client: httpx.Client | httpx.AsyncClient, provider: str) -> None:
    """A call on a closed ``unci.Client`` is the caller's mistake, said as one: httpx's own
    ``RuntimeError`` reads like a fault inside unci."""
    if client.is_closed:
        raise ClientClosed(
            f"{provider}: this unci client is closed (after close() or its with-block); "
            "make a new one, or call it inside the with-block",
            provider=provider,
        )


def send(client: httpx.Client, request: httpx.Request) -> httpx.Response:
    """``client.send(request, stream=True)`` for a call that follows no redirect and has no
    auth or event hooks of the client's: the transport's response, its body unread (close it).

    What httpx does on that path and matters is kept: a closed client refuses, and a redirect's
    ``Location`` that httpx cannot make a URL of raises what httpx raises for it (it reads it
    even when it follows nothing)."""
    if client.is_closed:
        raise RuntimeError("Cannot send a request, as the client has been closed.")
    response = client._transport_for_url(request.url).handle_request(request)
    response.request = request
    if response.status_code in _REDIRECTS and "location" in response.headers:
        try:
            client._build_redirect_request(request, response)
        except BaseException:
            response.close()
            raise
    return response


async def asend(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """The asyncio twin of :func:`send`."""
    if client.is_closed:
        raise RuntimeError("Cannot send a request, as the client has been closed.")
    response = await client._transport_for_url(request.url).handle_async_request(request)
    response.request = request
    if response.status_code in _REDIRECTS and "location" in response.headers:
        try:
            client._build_redirect_request(request, response)
        except BaseException:
            await response.aclose()
            raise
    return response


class LeanClient(httpx.Client):
    """:class:`httpx.Client`, lean (see the module)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(cookies=_no_cookies(), **kw)

    def build_request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        params: Any = None,
        headers: Any = None,
        extensions: Any = None,
        **kw: Any,
    ) -> httpx.Request:
        if _own_path(kw):
            return super().build_request(
                method, url, params=params, headers=headers, extensions=extensions, **kw
            )
        return _lean_request(self, method, url, params, headers, extensions)


class LeanAsyncClient(httpx.AsyncClient):
    """:class:`httpx.AsyncClient`, lean (see the module)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(cookies=_no_cookies(), **kw)

    def build_request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        params: Any = None,
        headers: Any = None,
        extensions: Any = None,
        **kw: Any,
    ) -> httpx.Request:
        if _own_path(kw):
            return super().build_request(
                method, url, params=params, headers=headers, extensions=extensions, **kw
            )
        return _lean_request(self, method, url, params, headers, extensions)
