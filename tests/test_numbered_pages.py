"""Numbered pages fetched several at once: a provider that says how many pages there are
(GitHub's ``rel="last"``) has its following pages asked for concurrently, within the client's
concurrency, and handed out in page order; a limit stops the fetching, a failing page ends the
listing with its error after the pages before it, and a provider that names only the next page
is followed one page after another as before.
"""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest

import unci
from helpers import cassette_body, one_error_line, run_cli
from localserver import LocalServer, Reply
from pagedupstream import Gauge
from unci.paging import LinkHeader, PageNumber, numbered, page_requests
from unci.provider import Request
from unci.retry import RetryPolicy

JOB = json.loads(cassette_body("github", "get_job"))
BASE = "/repos/o/r/actions/runs/9/jobs"
PARAMS = {"owner": "o", "repo_id": "r", "build": "9"}
LIST = ["jobs", "list", "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "-p", "build=9"]


class Upstream(Gauge):
    """GitHub-shaped paged jobs with a delay per page, counting the pages in flight at once."""

    def __init__(
        self,
        server: LocalServer,
        pages: int,
        per_page: int = 10,
        *,
        delay: float = 0.05,
        last_link: bool = True,
        failing: int | None = None,
    ) -> None:
        super().__init__(delay)
        self.server, self.pages, self.per_page = server, pages, per_page
        self.last_link, self.failing = last_link, failing
        server.handle(BASE, self.answer)

    def answer(self, path: str) -> Reply:
        page = int(parse_qs(urlsplit(path).query).get("page", ["1"])[0])
        self.wait(page)
        if page == self.failing:
            return Reply(500, b'{"message": "the page broke"}')
        jobs = [{**JOB, "id": page * 1000 + i} for i in range(self.per_page)]
        link = f"{self.server.url}{BASE}?filter=all&per_page={self.per_page}&page="
        links = []
        if page < self.pages:
            links.append(f'<{link}{page + 1}>; rel="next"')
            if self.last_link:
                links.append(f'<{link}{self.pages}>; rel="last"')
        if page > 1 and self.last_link:
            links += [f'<{link}{page - 1}>; rel="prev"', f'<{link}1>; rel="first"']
        headers = {"Content-Type": "application/json"}
        if links:
            headers["Link"] = ", ".join(links)
        body = {"total_count": self.pages * self.per_page, "jobs": jobs}
        return Reply(body=json.dumps(body).encode(), headers=headers)

    def ids(self, pages: range) -> list[str]:
        return [str(p * 1000 + i) for p in pages for i in range(self.per_page)]


def _lines(output: str) -> list[str]:
    return [json.loads(line)["id"] for line in output.splitlines() if line.strip()]


def test_all_pages_come_in_order_while_several_are_fetched_at_once(server: LocalServer) -> None:
    up = Upstream(server, pages=20)
    up.together = 2
    result = run_cli(*LIST, "--base-url", server.url, "--all", "--page-size", "10")
    assert result.exit_code == 0, result.output
    assert _lines(result.output) == up.ids(range(1, 21))
    assert sorted(up.asked) == list(range(1, 21))  # each page once
    assert 1 < up.most <= 8  # several at once, never more than the default concurrency


def test_the_client_keeps_to_its_concurrency(server: LocalServer) -> None:
    up = Upstream(server, pages=12)
    up.together = 3  # three in flight at once, whatever the load
    with unci.Client(concurrency=3) as client:
        ids = [job.id for job in client.iter_jobs("github", params=PARAMS, base_url=server.url)]
    assert ids == up.ids(range(1, 13))
    assert up.most == 3


def test_concurrency_one_is_one_page_after_another(server: LocalServer) -> None:
    up = Upstream(server, pages=5, delay=0.02)
    with unci.Client(concurrency=1) as client:
        ids = [job.id for job in client.iter_jobs("github", params=PARAMS, base_url=server.url)]
    assert ids == up.ids(range(1, 6))
    assert up.most == 1


def test_a_provider_naming_only_the_next_page_is_followed_one_by_one(server: LocalServer) -> None:
    up = Upstream(server, pages=6, delay=0.02, last_link=False)
    result = run_cli(*LIST, "--base-url", server.url, "--all", "--page-size", "10")
    assert result.exit_code == 0, result.output
    assert _lines(result.output) == up.ids(range(1, 7))
    assert up.most == 1
    assert up.asked == list(range(1, 7))


def test_a_limit_stops_the_fetching_and_its_cursor_resumes_exactly(server: LocalServer) -> None:
    up = Upstream(server, pages=50)
    result = run_cli(
        *LIST, "--base-url", server.url, "--limit", "25", "--page-size", "10", "--format", "debug"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [j["id"] for j in doc["result"]] == up.ids(range(1, 4))[:25]
    # Pages 1 to 3 hold the 25 jobs: nothing past them was asked for.
    assert sorted(set(up.asked)) == [1, 2, 3]
    rest = run_cli(*LIST, "--base-url", server.url, "--limit", "3", "--cursor", doc["next_cursor"])
    assert rest.exit_code == 0, rest.output
    assert [j["id"] for j in json.loads(rest.output)["result"]] == ["3005", "3006", "3007"]


def test_a_failing_page_ends_the_listing_after_the_pages_before_it(server: LocalServer) -> None:
    up = Upstream(server, pages=10, failing=4)
    result = run_cli(*LIST, "--base-url", server.url, "--all", "--page-size", "10", "--retries", "0")
    assert result.exit_code != 0
    assert _lines(result.stdout) == up.ids(range(1, 4))
    line = one_error_line(result.stderr)
    assert "github" in line and "the page broke" in line


def test_an_early_stop_leaves_nothing_running(server: LocalServer) -> None:
    """The caller stops after one page: the pages in flight finish, none is started after."""
    up = Upstream(server, pages=40)
    with unci.Client(concurrency=4) as client:
        pages = client.iter_pages("github", params=PARAMS, base_url=server.url)
        next(pages)
        next(pages)
        pages.close()
        asked = len(up.asked)
    time.sleep(0.2)
    assert len(up.asked) == asked <= 1 + 4 + 1
    assert not [t for t in threading.enumerate() if t.name.startswith("unci-page")]


@pytest.mark.asyncio
async def test_the_async_client_fetches_numbered_pages_at_once_in_order(server: LocalServer) -> None:
    up = Upstream(server, pages=15)
    up.together = 2
    async with unci.AsyncClient(concurrency=5) as client:
        ids = [job.id async for job in client.iter_jobs("github", params=PARAMS, base_url=server.url)]
    assert ids == up.ids(range(1, 16))
    assert 1 < up.most <= 5


@pytest.mark.asyncio
async def test_the_async_client_stops_at_a_failing_page(server: LocalServer) -> None:
    up = Upstream(server, pages=10, failing=3)
    seen: list[str] = []
    async with unci.AsyncClient(concurrency=4, retry=RetryPolicy(retries=0)) as client:
        with pytest.raises(unci.RemoteError, match="the page broke"):
            async for job in client.iter_jobs("github", params=PARAMS, base_url=server.url):
                seen.append(job.id)
    assert seen == up.ids(range(1, 3))


# The paging styles' arithmetic.

LINK = "https://api.example/r?filter=all&per_page=100&page="


def test_link_headers_with_a_last_page_are_numbered() -> None:
    headers = {"link": f'<{LINK}2>; rel="next", <{LINK}7>; rel="last"'}
    found = LinkHeader().numbered(Request(path="/r"), headers=headers)
    assert found is not None
    paths = [r.path for r in page_requests(found)]
    assert paths[0] == f"{LINK}2" and paths[-1].endswith("page=7") and len(paths) == 6


@pytest.mark.parametrize(
    "link",
    [
        f'<{LINK}2>; rel="next"',  # no last page
        f'<{LINK}2>; rel="next", <https://api.example/other?filter=all&per_page=100&page=7>; rel="last"',
        f'<{LINK}2>; rel="next", <{LINK}7&extra=1>; rel="last"',
        f'<{LINK}2>; rel="next", <https://api.example/r?filter=all&per_page=100>; rel="last"',
    ],
)
def test_links_that_differ_in_more_than_the_page_are_followed_one_by_one(link: str) -> None:
    assert LinkHeader().numbered(Request(path="/r"), headers={"link": link}) is None


def test_a_page_count_numbers_the_pages_after_this_one() -> None:
    style = PageNumber()
    request = Request(path="/executions", query=[("page", "3"), ("per_page", "20")])
    found = style.numbered(request, headers={}, marker=6, count=20)
    assert found is not None
    assert [dict(r.query)["page"] for r in page_requests(found)] == ["4", "5", "6"]
    assert style.numbered(request, headers={}, marker=3, count=20) is None  # the last page
    assert style.numbered(request, headers={}, marker=None, count=20) is None  # no count


def test_numbering_must_start_at_the_next_page_the_provider_named() -> None:
    nxt = Request(path="/x", query=[("page", "2")])
    assert numbered(nxt, "page", 2, 5) is not None
    assert numbered(nxt, "page", 3, 5) is None
    assert numbered(nxt, "page", 2, 1) is None
    assert numbered(None, "page", 2, 5) is None
    offsets = numbered(Request(path="/x", query=[("offset", "100")]), "offset", 100, 300, step=100)
    assert offsets is not None
    assert [dict(r.query)["offset"] for r in page_requests(offsets)] == ["100", "200", "300"]


# Build lists use the same walk.


def _serve_numbered_runs(server: LocalServer, count: int, per_page: int, counter: Upstream) -> None:
    from githubruns import RUNS, run

    runs = [run(i) for i in range(count)]

    def answer(path: str) -> Reply:
        number = int(parse_qs(urlsplit(path).query).get("page", ["1"])[0])
        counter.wait(number)
        last = -(-count // per_page)
        headers = {"Content-Type": "application/json"}
        link = f"{server.url}{RUNS}?per_page={per_page}&page="
        if number < last:
            headers["Link"] = f'<{link}{number + 1}>; rel="next", <{link}{last}>; rel="last"'
        page = runs[(number - 1) * per_page : number * per_page]
        return Reply(body=json.dumps({"total_count": count, "workflow_runs": page}).encode(), headers=headers)

    server.handle(RUNS, answer)


def test_build_lists_fetch_numbered_pages_at_once_in_order(server: LocalServer) -> None:
    counter = Upstream(server, pages=1)
    counter.together = 2
    _serve_numbered_runs(server, 60, 5, counter)
    params = {"owner": "o", "repo_id": "r"}
    with unci.Client(concurrency=4) as client:
        ids = [b.id for b in client.iter_builds("github", params=params, base_url=server.url)]
    assert ids == [str(5000 - i) for i in range(60)]
    assert sorted(counter.asked) == list(range(1, 13))
    assert 1 < counter.most <= 4


def test_the_builds_command_lists_every_page_in_order(server: LocalServer) -> None:
    counter = Upstream(server, pages=1)
    counter.together = 2
    _serve_numbered_runs(server, 40, 5, counter)
    result = run_cli(
        "builds", "list", "-P", "github", "-p", "owner=o", "-p", "repo_id=r",
        "--base-url", server.url, "--all", "--page-size", "5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _lines(result.output) == [str(5000 - i) for i in range(40)]
    assert 1 < counter.most <= 8


def test_a_build_limit_fetches_only_the_pages_it_fills_at_once(server: LocalServer) -> None:
    counter = Upstream(server, pages=1)
    counter.together = 2
    _serve_numbered_runs(server, 60, 5, counter)
    params = {"owner": "o", "repo_id": "r"}
    with unci.Client(concurrency=4) as client:
        ids = [b.id for b in client.iter_builds("github", params=params, base_url=server.url, limit=12)]
    assert ids == [str(5000 - i) for i in range(12)]
    assert sorted(counter.asked) == [1, 2, 3] and counter.most == 2


def test_a_filtered_build_limit_is_followed_one_by_one(server: LocalServer) -> None:
    """How many builds a filtered page keeps is known only once it is read."""
    counter = Upstream(server, pages=1)
    _serve_numbered_runs(server, 60, 5, counter)
    params = {"owner": "o", "repo_id": "r"}
    with unci.Client(concurrency=4) as client:
        builds = client.iter_builds(
            "github", params=params, base_url=server.url, limit=12, status="completed"
        )
        ids = [b.id for b in builds]
    assert ids == [str(5000 - i) for i in range(12)]  # every run here is completed
    assert sorted(counter.asked) == [1, 2, 3] and counter.most == 1


def test_the_library_limit_is_jobs_in_all_and_stops_the_fetching(server: LocalServer) -> None:
    """``limit=`` in ``iter_jobs`` counts jobs in all, as ``--limit`` and ``iter_builds`` do
    (it was each page's size once): no page past the ones the limit fills is asked for, and
    ``page_size`` is what each request asks for."""
    up = Upstream(server, pages=20, delay=0.01)
    with unci.Client() as client:
        ids = [
            job.id
            for job in client.iter_jobs("github", params=PARAMS, base_url=server.url, limit=25, page_size=10)
        ]
        pages = list(client.iter_pages("github", params=PARAMS, base_url=server.url, limit=25, page_size=10))
    assert ids == up.ids(range(1, 4))[:25]
    assert max(up.asked) == 3  # pages 1-3 hold the 25; nothing past them
    # The last page's cursor resumes right after the 25th job.
    assert [len(p.result) for p in pages] == [10, 10, 5] and pages[-1].next_cursor is not None
    with unci.Client() as client:
        rest = list(
            client.iter_jobs("github", params=PARAMS, base_url=server.url, cursor=pages[-1].next_cursor)
        )
    assert [j.id for j in rest] == up.ids(range(1, 21))[25:]


async def test_the_async_limit_is_jobs_in_all(server: LocalServer) -> None:
    up = Upstream(server, pages=20, delay=0.01)
    ids = [
        job.id
        async for job in unci.aiter_jobs("github", params=PARAMS, base_url=server.url, limit=12, page_size=10)
    ]
    assert ids == up.ids(range(1, 3))[:12] and max(up.asked) == 2


@pytest.mark.parametrize(("given", "word"), [({"limit": 0}, "limit"), ({"page_size": "10"}, "page_size")])
def test_a_bad_limit_or_page_size_is_refused_before_any_request(
    server: LocalServer, given: dict[str, object], word: str
) -> None:
    up = Upstream(server, pages=2)
    with pytest.raises(unci.UsageError, match=f"github: the {word} must be a whole number of at least 1"):
        list(unci.iter_jobs("github", params=PARAMS, base_url=server.url, **given))
    assert up.asked == []
