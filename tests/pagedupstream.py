"""A provider's list served page by page from 127.0.0.1, each page after a delay, counting how
many pages were asked for at once: what the tests of numbered paging (pages fetched several at
once, handed out in order, no page past a limit asked for) assert on, for every provider.

Overlap is made certain rather than left to timing: with ``together = N`` the pages after the
first are held until N of them are in flight at once, so a client that fetches them
concurrently is seen doing so however loaded the machine is (a delay alone let two pages
miss each other under load), and one that fetches them one by one is seen with ``most == 1``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from localserver import LocalServer, Reply

#: How long a held page waits for the others before it is answered anyway: only a client that
#: does not fetch them at once waits this long, once, and its test then fails on ``most``.
PATIENCE = 10.0


class Gauge:
    """The pages an upstream was asked for, and the most it was answering at once."""

    def __init__(self, delay: float = 0.05, *, together: int = 1) -> None:
        self.delay = delay
        #: Pages after the first are held until this many are in flight at once (then no
        #: page is held again): the first page is alone, as it tells the client how many.
        self.together = together
        self.asked: list[int] = []
        self.in_flight = 0
        self.most = 0
        self._gathered = False
        self._lock = threading.Condition()

    def wait(self, page: int) -> None:
        """Count ``page`` as asked for and in flight while it takes ``delay`` to answer (and,
        the first time a page after the first is, until ``together`` are in flight)."""
        with self._lock:
            self.asked.append(page)
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            self._lock.notify_all()
            if page > 1 and not self._gathered:
                self._lock.wait_for(lambda: self.in_flight >= self.together, timeout=PATIENCE)
                self._gathered = True
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
        together: int = 1,
    ) -> None:
        super().__init__(delay, together=together)
        self.answer, self.page_of = answer, page_of
        server.handle(path, self._reply)

    def _reply(self, path: str) -> Reply:
        query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
        page = self.page_of(query)
        self.wait(page)
        return self.answer(page, query)
