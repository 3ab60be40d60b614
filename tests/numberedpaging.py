"""The numbered-paging checks every provider whose lists say how many there are shares, as one
pytest base class (the conformance kit's style): the pages after the first are fetched several
at once and handed out in order; without the count the pages are followed one by one; under a
limit no page past the ones it fills is asked for, and the cursor resumes exactly.

A provider's test subclasses :class:`NumberedPaging` (a ``Test...`` name, so pytest collects
it), says which list to read and with which params, and serves its own envelope in
:meth:`NumberedPaging.serve`. Items are numbered ``page * 1000 + i`` (``i`` counted from 0 on
each page) so the expected ids follow from the page size alone.
"""

from __future__ import annotations

import json
from typing import ClassVar

import unci
from helpers import run_cli
from localserver import LocalServer
from pagedupstream import Paged


class NumberedPaging:
    #: The provider's entry-point name.
    provider: ClassVar[str]
    #: The list read whole, ``"jobs"`` or ``"builds"``, and its params.
    listing: ClassVar[str]
    params: ClassVar[dict[str, str]]
    #: How many items that list holds, and its page size when none is asked for.
    count: ClassVar[int]
    page_size: ClassVar[int]
    #: How many items it holds when the count is left out, and the pages then asked for (a
    #: provider that cannot tell a full last page from one with more asks for one past it).
    uncounted: ClassVar[int] = 300
    uncounted_asks: ClassVar[list[int]] = [1, 2, 3]
    #: The params of the build list the limit is tried on.
    build_params: ClassVar[dict[str, str]]

    def serve(self, server: LocalServer, listing: str, count: int, *, counted: bool = True) -> Paged:
        """``count`` items of ``listing`` served in the provider's envelope, numbered
        ``page * 1000 + i``; with ``counted=False`` without what says how many there are."""
        raise NotImplementedError("a provider's numbered-paging test says how it serves its list")

    def ident(self, number: int) -> str:
        """The id of item ``number`` as unci gives it."""
        return str(number)

    def ids(self, pages: range, per_page: int = 10) -> list[str]:
        return [self.ident(p * 1000 + i) for p in pages for i in range(per_page)]

    def _read_all(self, server: LocalServer) -> list[str]:
        with unci.Client(concurrency=4) as client:
            if self.listing == "jobs":
                return [
                    j.id for j in client.iter_jobs(self.provider, params=self.params, base_url=server.url)
                ]
            return [b.id for b in client.iter_builds(self.provider, params=self.params, base_url=server.url)]

    def test_the_list_comes_in_order_while_several_pages_are_fetched_at_once(
        self, server: LocalServer
    ) -> None:
        up = self.serve(server, self.listing, self.count)
        up.together = 2
        pages = -(-self.count // self.page_size)
        assert self._read_all(server) == self.ids(range(1, pages + 1), self.page_size)[: self.count]
        assert sorted(up.asked) == list(range(1, pages + 1))
        assert 1 < up.most <= 4

    def test_without_the_count_the_pages_are_followed_one_by_one(self, server: LocalServer) -> None:
        up = self.serve(server, self.listing, self.uncounted, counted=False)
        pages = -(-self.uncounted // self.page_size)
        assert self._read_all(server) == self.ids(range(1, pages + 1), self.page_size)[: self.uncounted]
        assert up.asked == self.uncounted_asks and up.most == 1

    def test_builds_under_a_limit_fetch_only_the_pages_it_fills_and_resume_exactly(
        self, server: LocalServer
    ) -> None:
        up = self.serve(server, "builds", 400)
        up.together = 2  # pages 2 and 3 are seen in flight at once, whatever the load
        params = [arg for k, v in self.build_params.items() for arg in ("-p", f"{k}={v}")]
        command = ["builds", "list", "-P", self.provider, *params, "--base-url", server.url]
        result = run_cli(*command, "--limit", "25", "--page-size", "10")
        assert result.exit_code == 0, result.output
        doc = json.loads(result.output)
        assert [b["id"] for b in doc["result"]] == self.ids(range(1, 4))[:25]
        assert sorted(up.asked) == [1, 2, 3] and up.most == 2  # pages 2 and 3 at once, no more
        rest = run_cli(*command, "--limit", "3", "--cursor", doc["next_cursor"])
        assert rest.exit_code == 0, rest.output
        assert [b["id"] for b in json.loads(rest.output)["result"]] == [
            self.ident(n) for n in (3005, 3006, 3007)
        ]
