"""Walking a list's pages until a total: what ``--limit`` means in the CLI and ``limit=`` means
in the library's iterators (``iter_pages``, ``iter_jobs``), so the two cannot drift apart.

Each request asks for no more records than are still wanted, so the last page's cursor resumes
exactly after the last record handed out; numbered pages fetched ahead stop at the ones the
total fills, and a page fetched ahead in whole is cut to what is still wanted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Protocol, TypeVar

from unci.pagewalk import awalk, walk, within


class _Page(Protocol):
    next_cursor: str | None

    @property
    def result(self) -> Any: ...


P = TypeVar("P", bound=_Page)


class Budget:
    """How many records are still wanted (``None``: all), and the page size to ask for."""

    def __init__(self, total: int | None, page_size: int | None, capped: bool = True) -> None:
        self.remaining = total
        self.page_size = page_size
        #: Ask for no more than is still wanted; not where unci filters what comes back (a
        #: page of N then holds fewer than N records that match).
        self.capped = capped

    def size(self) -> int | None:
        """The page size for the next request: never more than is still wanted (if capped)."""
        if self.remaining is None or not self.capped:
            return self.page_size
        return min(self.page_size or self.remaining, self.remaining)

    def ahead(self, cursors: Iterator[str] | None, page: _Page) -> Iterator[str] | None:
        """No more of the numbered pages after ``page`` than the records still wanted fill."""
        return within(cursors, self.remaining, len(page.result))

    def take(self, page: P, cut: Callable[[P, int], P]) -> tuple[P, bool]:
        """The part of ``page`` still wanted, and whether the total is now reached."""
        if self.remaining is None:
            return page, False
        page = cut(page, self.remaining)
        self.remaining -= len(page.result)
        return page, self.remaining <= 0


def pages_until(
    fetch: Callable[[int | None, str | None], P],
    *,
    total: int | None,
    page_size: int | None,
    cursor: str | None,
    cut: Callable[[P, int], P],
    check: Callable[[P], None],
    every: bool = True,
    ahead: Callable[[P], Iterator[str] | None] | None = None,
    width: int = 1,
    capped: bool = True,
) -> Iterator[P]:
    """Pages until ``total`` records, or every page (``every``), or else one page.
    ``fetch(size, cursor)`` gets one page; ``ahead(page)``, the cursors of the numbered pages
    after it, lets ``width`` of them be fetched at once; ``check`` sees each page first (a
    paging that never ends raises there); ``capped``: see :class:`Budget`."""
    budget = Budget(total, page_size, capped)

    def following(page: P) -> Iterator[str] | None:
        if ahead is None or not (every or total is not None):
            return None
        return budget.ahead(ahead(page), page)

    for page in walk(lambda at: fetch(budget.size(), at), cursor, width=width, ahead=following):
        page, reached = budget.take(page, cut)
        check(page)
        yield page
        if reached or page.next_cursor is None or (total is None and not every):
            return


async def apages_until(
    fetch: Callable[[int | None, str | None], Awaitable[P]],
    *,
    total: int | None,
    page_size: int | None,
    cursor: str | None,
    cut: Callable[[P, int], P],
    check: Callable[[P], None],
    ahead: Callable[[P], Iterator[str] | None] | None = None,
    width: int = 1,
) -> AsyncIterator[P]:
    """The asyncio twin of :func:`pages_until`, always walking every page up to ``total``."""
    budget = Budget(total, page_size)

    def following(page: P) -> Iterator[str] | None:
        return None if ahead is None else budget.ahead(ahead(page), page)

    async for page in awalk(lambda at: fetch(budget.size(), at), cursor, width=width, ahead=following):
        page, reached = budget.take(page, cut)
        check(page)
        yield page
        if reached or page.next_cursor is None:
            return
