"""Walking a list's pages: one after another, or several numbered pages at once.

A provider that numbers its pages and says how many there are lets every following page be
asked for without waiting for the one before it. The walk then keeps up to ``width`` of them in
flight and hands them out in page order, holding at most ``width + 1`` pages: one page waits
its turn behind the ``width`` being fetched, so a fetch that ends while an earlier page is
still on its way starts the next at once instead of leaving its place idle; a page that fails
ends the walk with its error after the pages before it, as one-after-another paging would. Each
page is fetched through the same ``fetch`` as any other (so with the same retries, waits for
rate limits, time bounds and checks); nothing here knows a provider or does I/O of its own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Protocol, TypeVar


class _Page(Protocol):
    next_cursor: str | None


P = TypeVar("P", bound=_Page)


def walk(
    fetch: Callable[[str | None], P],
    cursor: str | None,
    *,
    width: int,
    ahead: Callable[[P], Iterator[str] | None],
) -> Iterator[P]:
    """Every page from ``cursor`` (``None``: the first), in order.

    :param fetch: one page by its cursor.
    :param ahead: the cursors of the numbered pages after a page, in order (``None`` when
        the page names only its next); asked once the caller has taken the page, so it can
        stop short of what the caller no longer wants.
    """
    page = fetch(cursor)
    yield page
    while page.next_cursor is not None:
        cursors = ahead(page) if width > 1 else None
        if cursors is None:
            page = fetch(page.next_cursor)
            yield page
            continue
        from concurrent.futures import Future, ThreadPoolExecutor

        pending: deque[Future[P]] = deque()
        pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="unci-page")

        def start(c: str, pool: ThreadPoolExecutor = pool) -> Future[P]:
            return pool.submit(fetch, c)

        try:
            started = _fill(pending, cursors, width + 1, start)
            if not started:
                page = fetch(page.next_cursor)
                yield page
                continue
            while pending:
                page = pending.popleft().result()
                yield page
                if page.next_cursor is None:
                    return
                _fill(pending, cursors, width + 1, start)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        # Past the last numbered page the provider still names a next: follow it.


async def awalk(
    fetch: Callable[[str | None], Awaitable[P]],
    cursor: str | None,
    *,
    width: int,
    ahead: Callable[[P], Iterator[str] | None],
) -> AsyncIterator[P]:
    """The asyncio twin of :func:`walk`."""
    import asyncio

    page = await fetch(cursor)
    yield page
    while page.next_cursor is not None:
        cursors = ahead(page) if width > 1 else None
        if cursors is None:
            page = await fetch(page.next_cursor)
            yield page
            continue
        pending: deque[asyncio.Task[P]] = deque()
        gate = asyncio.Semaphore(width)

        async def gated(c: str, gate: asyncio.Semaphore = gate) -> P:
            async with gate:
                return await fetch(c)

        def start(c: str) -> asyncio.Task[P]:
            return asyncio.ensure_future(gated(c))

        try:
            if not _fill(pending, cursors, width + 1, start):
                page = await fetch(page.next_cursor)
                yield page
                continue
            while pending:
                page = await pending.popleft()
                yield page
                if page.next_cursor is None:
                    return
                _fill(pending, cursors, width + 1, start)
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)


def within(cursors: Iterator[str] | None, wanted: int | None, per_page: int) -> Iterator[str] | None:
    """No more of the numbered pages than ``wanted`` records still fill at ``per_page`` a page
    (``None`` wanted: all of them), so a limit asks for no page past the ones it needs."""
    if cursors is None or wanted is None:
        return cursors
    from itertools import islice

    return islice(cursors, -(-wanted // max(1, per_page)))


def _fill(pending: deque[Any], cursors: Iterator[str], most: int, start: Callable[[str], Any]) -> bool:
    """Start pages until ``most`` are pending or none are left; did any start?"""
    started = False
    while len(pending) < most:
        cursor = next(cursors, None)
        if cursor is None:
            break
        pending.append(start(cursor))
        started = True
    return started
