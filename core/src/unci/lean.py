"""httpx's clients less what unci's calls do not need, for both the library and the server.

Each URL is parsed once (httpx's ``build_request`` parses it twice, a sixth of its cost), and no
cookie is kept: one client carries calls for many accounts (and, in the server, a pool is shared
by every account of an origin), so a cookie one account's answer set must never ride along with
another account's calls. Requests with a body or cookies of their own take httpx's own path.
"""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx


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
