"""Paging styles as data: a provider names how its lists page, the core does the arithmetic.

Each style adds the page size to a list's first request and computes the next request from what
the provider's page said: a ``Link`` header, a page count, a cursor token, a ``next`` URL. The
provider reads its own body (only it knows the field names) and hands the style that one value,
the *marker*; the core wraps the next request in an opaque cursor, so no paging scheme leaks out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

import msgspec

from unci.errors import DecodeError
from unci.provider import Numbered, Request

_LINK_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')
_LINK_LAST = re.compile(r'<([^>]*)>\s*;\s*rel="?last"?')


def _with(query: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """``query`` with ``name`` set to ``value``: replaced where it was, else appended."""
    if any(k == name for k, _ in query):
        return [(k, value if k == name else v) for k, v in query]
    return [*query, (name, value)]


def _without(url: str, name: str) -> tuple[str, list[tuple[str, str]]]:
    """A link's address and its query less ``name``, to tell two links apart by one parameter."""
    base, _, query = url.partition("#")[0].partition("?")
    return base, sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != name)


def _number(query: list[tuple[str, str]], name: str) -> int | None:
    for key, value in query:
        if key == name and value.isascii() and value.isdigit():
            return int(value)
    return None


def _value(request: Request, name: str) -> int | None:
    """The number ``name`` has in ``request``'s query, or in the query a next link carries."""
    found = _number(list(request.query), name)
    if found is None and "?" in request.path:
        found = _number(parse_qsl(request.path.partition("?")[2].partition("#")[0]), name)
    return found


def numbered(nxt: Request | None, param: str, first: int, last: int, step: int = 1) -> Numbered | None:
    """The pages ``first`` to ``last`` (inclusive, ``step`` apart) as a :class:`Numbered`, when
    ``nxt``, the provider's own request for the next page, really is page ``first`` by
    ``param``; else ``None`` (the list is then followed one page after another)."""
    if nxt is None or step < 1 or last < first or _value(nxt, param) != first:
        return None
    return Numbered(request=nxt, param=param, first=first, last=last, step=step)


def link_pages(headers: Mapping[str, str], param: str = "page") -> tuple[int, int] | None:
    """The next and the last page's numbers from a ``Link`` header (``rel="next"`` and
    ``rel="last"``), when the two links differ only in ``param``; else ``None``."""
    link = headers.get("link", "")[:8192]
    nxt, last = _LINK_NEXT.search(link), _LINK_LAST.search(link)
    if not (nxt and last) or _without(nxt.group(1), param) != _without(last.group(1), param):
        return None
    first_page = _value(Request(path=nxt.group(1)), param)
    last_page = _value(Request(path=last.group(1)), param)
    if first_page is None or last_page is None:
        return None
    return first_page, last_page


def page_requests(pages: Numbered) -> Iterator[Request]:
    """The request of each numbered page, in order, made as they are wanted."""
    request = pages.request
    in_path = _number(list(request.query), pages.param) is None and "?" in request.path
    base = request.path.partition("#")[0]
    path, _, embedded = base.partition("?")
    embedded_query = parse_qsl(embedded, keep_blank_values=True)
    for value in range(pages.first, pages.last + 1, pages.step):
        if value == pages.first:
            yield request  # the provider's own request for it, exactly
        elif in_path:
            query = urlencode(_with(embedded_query, pages.param, str(value)))
            yield Request(
                path=f"{path}?{query}",
                method=request.method,
                query=list(request.query),
                headers=dict(request.headers),
            )
        else:
            yield Request(
                path=request.path,
                method=request.method,
                query=_with(list(request.query), pages.param, str(value)),
                headers=dict(request.headers),
            )


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

    def numbered(
        self, request: Request, *, headers: Mapping[str, str], marker: object = None, count: int = 0
    ) -> Numbered | None:
        """The pages after ``request`` by number, when this page says how many there are
        (arguments as for :meth:`next`); ``None`` when they can only be followed one by one."""
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

    def numbered(
        self, request: Request, *, headers: Mapping[str, str], marker: object = None, count: int = 0
    ) -> Numbered | None:
        """GitHub's ``rel="last"``: the next and the last link differ only in ``page``."""
        found = link_pages(headers)
        if found is None:
            return None
        return numbered(self.next(request, headers=headers), "page", *found)


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

    def numbered(
        self, request: Request, *, headers: Mapping[str, str], marker: object = None, count: int = 0
    ) -> Numbered | None:
        """With the number of pages as the marker, every page after this one."""
        if not isinstance(marker, int) or isinstance(marker, bool):
            return None
        current = _number(list(request.query), self.page) or self.start
        nxt = self.next(request, headers=headers, marker=marker, count=count)
        return numbered(nxt, self.page, current + 1, marker)

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
