"""Travis CI's ``@pagination`` says how many builds there are (``count``), so the pages after
the first are fetched several at once by offset, handed out in order, and under a limit no page
past the ones it fills is asked for."""

from __future__ import annotations

import json

import unci
from helpers import cassette_body, run_cli
from localserver import LocalServer, Reply
from pagedupstream import Paged

BUILD = json.loads(cassette_body("travis", "get_build"))
BUILDS = "/repo/42/builds"
DEFAULT_LIMIT = 25  # what Travis serves when no limit is asked for


def _serve(server: LocalServer, count: int, *, counted: bool = True) -> Paged:
    """``count`` builds, ids ``page * 1000 + i`` (page 1 at offset 0), paged by offset."""

    def limit_of(query: dict[str, str]) -> int:
        return int(query.get("limit", DEFAULT_LIMIT))

    def answer(page: int, query: dict[str, str]) -> Reply:
        limit = limit_of(query)
        offset = (page - 1) * limit
        builds = [{**BUILD, "id": page * 1000 + i} for i in range(min(limit, count - offset))]
        after = offset + limit
        nxt = {"@href": f"{BUILDS}?limit={limit}&offset={after}", "offset": after, "limit": limit}
        pagination: dict = {"limit": limit, "offset": offset, "next": nxt if after < count else None}
        if counted:
            pagination["count"] = count
        return Reply(
            body=json.dumps({"@type": "builds", "@pagination": pagination, "builds": builds}).encode()
        )

    return Paged(server, BUILDS, answer, page_of=lambda q: int(q.get("offset", "0")) // limit_of(q) + 1)


def _ids(pages: range, per_page: int = 10) -> list[str]:
    return [str(p * 1000 + i) for p in pages for i in range(per_page)]


def test_builds_come_in_order_while_several_pages_are_fetched_at_once(server: LocalServer) -> None:
    up = _serve(server, count=230)
    with unci.Client(concurrency=4) as client:
        ids = [b.id for b in client.iter_builds("travis", params={"repo": "42"}, base_url=server.url)]
    assert ids == _ids(range(1, 11), 25)[:230]
    assert sorted(up.asked) == list(range(1, 11))
    assert 1 < up.most <= 4


def test_without_a_count_the_pages_are_followed_one_by_one(server: LocalServer) -> None:
    up = _serve(server, count=75, counted=False)
    with unci.Client(concurrency=4) as client:
        ids = [b.id for b in client.iter_builds("travis", params={"repo": "42"}, base_url=server.url)]
    assert ids == _ids(range(1, 4), 25)
    assert up.asked == [1, 2, 3] and up.most == 1


def test_builds_under_a_limit_fetch_only_the_pages_it_fills_and_resume_exactly(server: LocalServer) -> None:
    up = _serve(server, count=400)
    command = ["builds", "list", "-P", "travis", "-p", "repo=42", "--base-url", server.url]
    result = run_cli(*command, "--limit", "25", "--page-size", "10")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [b["id"] for b in doc["result"]] == _ids(range(1, 4))[:25]
    assert sorted(up.asked) == [1, 2, 3] and up.most == 2  # pages 2 and 3 at once, no more
    rest = run_cli(*command, "--limit", "3", "--cursor", doc["next_cursor"])
    assert rest.exit_code == 0, rest.output
    assert [b["id"] for b in json.loads(rest.output)["result"]] == ["3005", "3006", "3007"]
