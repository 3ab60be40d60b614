"""Bitbucket's envelope says how many there are in all (``size``, with ``page`` and
``pagelen``), so the pages after the first are fetched several at once, handed out in order,
and under a limit no page past the ones it fills is asked for."""

from __future__ import annotations

import json

import unci
from helpers import cassette_body, run_cli
from localserver import LocalServer, Reply
from pagedupstream import Paged

STEP = json.loads(cassette_body("bitbucket", "get_job"))
PIPELINE = json.loads(cassette_body("bitbucket", "get_build"))
PIPELINES = "/repositories/w/r/pipelines"
STEPS = f"{PIPELINES}/p1/steps"


def _serve(server: LocalServer, path: str, item: dict, count: int, *, size: bool = True) -> Paged:
    """``count`` ``item``s in pages, their uuids ``{page * 1000 + i}``, in Bitbucket's envelope."""

    def answer(page: int, query: dict[str, str]) -> Reply:
        pagelen = int(query.get("pagelen", "10"))
        numbers = range((page - 1) * pagelen, min(count, page * pagelen))
        body: dict = {
            "page": page,
            "pagelen": pagelen,
            "values": [{**item, "uuid": f"{{{page * 1000 + i - numbers[0]}}}"} for i in numbers],
        }
        if size:
            body["size"] = count
        if page * pagelen < count:
            body["next"] = f"{server.url}{path}?{_query(query, page + 1)}"
        return Reply(body=json.dumps(body).encode())

    return Paged(server, path, answer)


def _query(query: dict[str, str], page: int) -> str:
    return "&".join(f"{k}={v}" for k, v in {**query, "page": str(page)}.items())


def _ids(pages: range, per_page: int = 10) -> list[str]:
    return [f"{{{p * 1000 + i}}}" for p in pages for i in range(per_page)]


def test_a_pipelines_steps_come_in_order_while_several_pages_are_fetched_at_once(server: LocalServer) -> None:
    up = _serve(server, STEPS, STEP, count=950)  # 100 a page (Bitbucket's largest)
    params = {"workspace_id": "w", "repo": "r", "build": "p1"}
    with unci.Client(concurrency=4) as client:
        ids = [job.id for job in client.iter_jobs("bitbucket", params=params, base_url=server.url)]
    assert ids == _ids(range(1, 11), 100)[:950]
    assert sorted(up.asked) == list(range(1, 11))
    assert 1 < up.most <= 4


def test_without_size_the_pages_are_followed_one_by_one(server: LocalServer) -> None:
    up = _serve(server, STEPS, STEP, count=300, size=False)
    params = {"workspace_id": "w", "repo": "r", "build": "p1"}
    with unci.Client(concurrency=4) as client:
        ids = [job.id for job in client.iter_jobs("bitbucket", params=params, base_url=server.url)]
    assert ids == _ids(range(1, 4), 100)
    assert up.asked == [1, 2, 3] and up.most == 1


def test_builds_under_a_limit_fetch_only_the_pages_it_fills_and_resume_exactly(server: LocalServer) -> None:
    up = _serve(server, PIPELINES, PIPELINE, count=400)
    command = ["builds", "list", "-P", "bitbucket", "-p", "workspace_id=w", "-p", "repo=r"]
    result = run_cli(*command, "--base-url", server.url, "--limit", "25", "--page-size", "10")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [b["id"] for b in doc["result"]] == _ids(range(1, 4))[:25]
    assert sorted(up.asked) == [1, 2, 3] and up.most == 2  # pages 2 and 3 at once, no more
    rest = run_cli(*command, "--base-url", server.url, "--limit", "3", "--cursor", doc["next_cursor"])
    assert rest.exit_code == 0, rest.output
    assert [b["id"] for b in json.loads(rest.output)["result"]] == ["{3005}", "{3006}", "{3007}"]
