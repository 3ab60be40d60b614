"""Paging styles as data: a provider names how its lists page, the core does the arithmetic.

Each style adds the page size to a list's first request and computes the next request from what
the provider's page said: a ``Link`` header, a page count, a cursor token, a ``next`` URL. The
provider reads its own body (only it knows the field names) and hands the style that one value,
the *marker*; the core wraps the next request in an opaque cursor, so no paging scheme leaks out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

import msgspec

from unci.errors import DecodeError
from unci.provider import Request

_LINK_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


def _with(query: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """``query`` with ``name`` set to ``value``: replaced where it was, else appended."""
    if any(k == name for k, _ in query):
        return [(k, value if k == name else v) for k, v in query]
    return [*query, (name, value)]


def _number(query: list[tuple[str, str]], name: str) -> int | None:
    for key, value in query:
        if key == name and value.isascii() and value.isdigit():
            return int(value)
    return None


class Paging(msgspec.Struct, frozen=True, kw_only=True):
    """One page only: lists the provider answers whole (a build's timeline)."""

    #: The query parameter that sets the page size ("" when the provider has none).
    size: str = ""
    #: The largest page the provider serves; a larger ``limit`` is clamped to it.
    max_size: int = 100

    def first(self, request: Request, limit: int | None) -> Request:
        """``request`` with the page size the caller wants (clamped), where the provider has one."""
        if not self.size:
            return request
        per_page = min(limit or self.max_size, self.max_size)
        return Request(
            path=request.path,
            method=request.method,
            query=_with(list(request.query), self.size, str(per_page)),
            headers=dict(request.headers),
        )

    def next(
        self, request: Request, *, headers: Mapping[str, str], marker: object = None, count: int = 0
    ) -> Request | None:
        """The request for the page after ``request``, or ``None`` on the last page.

        :param headers: the page's response headers, lower-case names.
        :param marker: what the provider's body said about the next page (token, URL, count).
        :param count: how many items the page held.
        """
        return None

    def _follow(self, request: Request, url: str) -> Request:
        try:
            urlsplit(url)
        except ValueError:
            raise DecodeError(f"the next page {url!r} is not a URL") from None
        return Request(path=url, method=request.method, headers=dict(request.headers))


class LinkHeader(Paging, frozen=True, kw_only=True):
    """RFC 8288 ``Link: <url>; rel="next"`` (GitHub, GitLab, Buildkite's REST API)."""

    size: str = "per_page"

    def next(
        self, request: Request, *, headers: Mapping[str, str], marker: object = None, count: int = 0
    ) -> Request | None:
        match = _LINK_NEXT.search(headers.get("link", "")[:8192])
        return self._follow(request, match.group(1)) if match else None


class NextLink(Paging, frozen=True, kw_only=True):
    """A ``next`` URL in the body (Bitbucket ``next``, Travis ``@pagination.next.@href``).

    With ``query_only`` the link's query is reapplied to this request's path, so paging stays
    under the API root the user chose even when the provider writes its public host into links.
    """

    query_only: bool = False

    def next(
        self, request: Request, *, headers: Mapping[str, str], marker: object = None, count: int = 0
    ) -> Request | None:
        if not isinstance(marker, str) or not marker:
            return None
        if self.query_only:
            query = parse_qsl(marker.partition("?")[2].partition("#")[0], keep_blank_values=True)
            return Request(
                path=request.path, method=request.method, query=query, headers=dict(request.headers)
            )
        return self._follow(request, marker)


class Cursor(Paging, frozen=True, kw_only=True):
    """An opaque token in the body or a header, sent back as a query parameter (CircleCI
    ``next_page_token`` as ``page-token``, Azure DevOps' continuation token)."""

    param: str

    def next(
        self, request: Request, *, headers: Mapping[str, str], marker: object = None, count: int = 0
    ) -> Request | None:
        if not isinstance(marker, str) or not marker:
            return None
        return Request(
            path=request.path,
            method=request.method,
            query=_with(list(request.query), self.param, marker),
            headers=dict(request.headers),
        )


class PageNumber(Paging, frozen=True, kw_only=True):
    """Numbered pages (Buddy ``page``, GitLab without Link headers).

    The marker is the number of pages when the provider says it; without it, a full page means
    there may be another, and an empty or short one ends the list.
    """

    page: str = "page"
    size: str = "per_page"
    start: int = 1

    def next(
        self, request: Request, *, headers: Mapping[str, str], marker: object = None, count: int = 0
    ) -> Request | None:
        query = list(request.query)
        current = _number(query, self.page) or self.start
        if isinstance(marker, int) and not isinstance(marker, bool):
            more = current < marker
        else:
            size = _number(query, self.size) if self.size else None
            more = count > 0 and size is not None and count >= size
        if not more:
            return None
        return Request(
            path=request.path,
            method=request.method,
            query=_with(query, self.page, str(current + 1)),
            headers=dict(request.headers),
        )


class Offset(Paging, frozen=True, kw_only=True):
    """``limit``/``offset`` numbers (Travis CI's ``@pagination.next``).

    The marker is ``(offset, limit)`` of the next page as the provider's body gives them (either
    may be ``None``); no offset ends the list. The next request is the same path with those
    numbers, never the provider's own link, whose prefix the API root may already hold. The page
    size is sent only when the caller asked for one: without it the provider's default applies.
    """

    size: str = "limit"
    offset: str = "offset"

    def first(self, request: Request, limit: int | None) -> Request:
        return request if limit is None else super().first(request, max(1, limit))

    def next(
        self, request: Request, *, headers: Mapping[str, str], marker: object = None, count: int = 0
    ) -> Request | None:
        if not isinstance(marker, tuple) or len(marker) != 2 or marker[0] is None:
            return None
        offset, limit = marker
        query = [(k, v) for k, v in request.query if k not in (self.size, self.offset)]
        if limit is not None:
            query.append((self.size, str(limit)))
        query.append((self.offset, str(offset)))
        return Request(path=request.path, method=request.method, query=query, headers=dict(request.headers))
