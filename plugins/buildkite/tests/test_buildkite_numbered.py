"""Buildkite's build lists name their last page (``Link: rel="last"``), so the pages after the
first are fetched several at once, handed out in order, and under a limit no page past the ones
it fills is asked for. (Job lists page by an ``after`` cursor: one after another.)"""

from __future__ import annotations

import json

import unci
from helpers import cassette_body, run_cli
from localserver import LocalServer, Reply
from pagedupstream import Paged

BUILD = json.loads(cassette_body("buildkite", "get_build"))
BUILDS = "/organizations/o/pipelines/p/builds"


def _serve(server: LocalServer, pages: int, *, last_link: bool = True) -> Paged:
    """``pages`` full pages of builds numbered ``page * 1000 + i``, with Buildkite's links (on
    its own host: only their query is followed)."""

    def answer(page: int, query: dict[str, str]) -> Reply:
        per_page = int(query["per_page"])
        builds = [{**BUILD, "number": page * 1000 + i} for i in range(per_page)]
        link = f"https://api.buildkite.com/v2{BUILDS}?page="
        links = [f'<{link}{page - 1}&per_page={per_page}>; rel="prev"'] if page > 1 else []
        if page < pages:
            links.append(f'<{link}{page + 1}&per_page={per_page}>; rel="next"')
            if last_link:
                links.append(f'<{link}{pages}&per_page={per_page}>; rel="last"')
        headers = {"Content-Type": "application/json", "Link": ", ".join(links)}
        return Reply(body=json.dumps(builds).encode(), headers=headers)

    return Paged(server, BUILDS, answer)


def _ids(pages: range, per_page: int = 10) -> list[str]:
    return [str(p * 1000 + i) for p in pages for i in range(per_page)]


def test_builds_come_in_order_while_several_pages_are_fetched_at_once(server: LocalServer) -> None:
    up = _serve(server, pages=9)
    with unci.Client(concurrency=4) as client:
        ids = [
            b.id
            for b in client.iter_builds(
                "buildkite", params={"organization": "o", "pipeline": "p"}, base_url=server.url
            )
        ]
    assert ids == _ids(range(1, 10), 100)
    assert sorted(up.asked) == list(range(1, 10))
    assert 1 < up.most <= 4


def test_without_a_last_link_the_pages_are_followed_one_by_one(server: LocalServer) -> None:
    up = _serve(server, pages=3, last_link=False)
    with unci.Client(concurrency=4) as client:
        ids = [
            b.id
            for b in client.iter_builds(
                "buildkite", params={"organization": "o", "pipeline": "p"}, base_url=server.url
            )
        ]
    assert ids == _ids(range(1, 4), 100)
    assert up.asked == [1, 2, 3] and up.most == 1


def test_builds_under_a_limit_fetch_only_the_pages_it_fills_and_resume_exactly(server: LocalServer) -> None:
    up = _serve(server, pages=40)
    command = ["builds", "list", "-P", "buildkite", "-p", "organization=o", "-p", "pipeline=p"]
    result = run_cli(*command, "--base-url", server.url, "--limit", "25", "--page-size", "10")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [b["id"] for b in doc["result"]] == _ids(range(1, 4))[:25]
    assert sorted(up.asked) == [1, 2, 3] and up.most == 2  # pages 2 and 3 at once, no more
    rest = run_cli(*command, "--base-url", server.url, "--limit", "3", "--cursor", doc["next_cursor"])
    assert rest.exit_code == 0, rest.output
    assert [b["id"] for b in json.loads(rest.output)["result"]] == ["3005", "3006", "3007"]
