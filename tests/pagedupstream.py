"""A provider's list served page by page from 127.0.0.1, each page after a delay, counting how
many pages were asked for at once: what the tests of numbered paging (pages fetched several at
once, handed out in order, no page past a limit asked for) assert on, for every provider."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from localserver import LocalServer, Reply


class Gauge:
    """The pages an upstream was asked for, and the most it was answering at once."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay
        self.asked: list[int] = []
        self.in_flight = 0
        self.most = 0
        self._lock = threading.Lock()

    def wait(self, page: int) -> None:
        """Count ``page`` as asked for and in flight while it takes ``delay`` to answer."""
        with self._lock:
            self.asked.append(page)
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(self.delay)
        with self._lock:
            self.in_flight -= 1


class Paged(Gauge):
    """``path`` answered by ``answer(page, query)`` after the delay, where ``page_of(query)``
    tells which page the query asks for (a page number, or an offset over the page size)."""

    def __init__(
        self,
        server: LocalServer,
        path: str,
        answer: Callable[[int, dict[str, str]], Reply],
        *,
        page_of: Callable[[dict[str, str]], int] = lambda q: int(q.get("page", "1")),
        delay: float = 0.05,
    ) -> None:
        super().__init__(delay)
        self.answer, self.page_of = answer, page_of
        server.handle(path, self._reply)

    def _reply(self, path: str) -> Reply:
        query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
        page = self.page_of(query)
        self.wait(page)
        return self.answer(page, query)
