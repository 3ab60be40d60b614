"""Buddy says how many pages of executions there are (``total_page_count``), so the pages after
the first are fetched several at once, handed out in order, and under a limit no page past the
ones it fills is asked for."""

from __future__ import annotations

import json

import unci
from helpers import cassette_body, run_cli
from localserver import LocalServer, Reply
from pagedupstream import Paged

EXECUTION = json.loads(cassette_body("buddy", "get_job"))
EXECUTIONS = "/workspaces/w/projects/p/pipelines/2/executions"
PARAMS = {"workspace": "w", "project": "p", "workflow": "2"}


def _serve(server: LocalServer, pages: int, *, counted: bool = True) -> Paged:
    """``pages`` full pages of executions numbered ``page * 1000 + i``."""

    def answer(page: int, query: dict[str, str]) -> Reply:
        per_page = int(query["per_page"])
        body: dict = {
            "page": page,
            "page_size": per_page,
            "executions": [{**EXECUTION, "id": page * 1000 + i} for i in range(per_page)]
            if page <= pages
            else [],
        }
        if counted:
            body["total_page_count"] = pages
        return Reply(body=json.dumps(body).encode())

    return Paged(server, EXECUTIONS, answer)


def _ids(pages: range, per_page: int = 10) -> list[str]:
    return [str(p * 1000 + i) for p in pages for i in range(per_page)]


def test_executions_come_in_order_while_several_pages_are_fetched_at_once(server: LocalServer) -> None:
    up = _serve(server, pages=9)
    with unci.Client(concurrency=4) as client:
        ids = [job.id for job in client.iter_jobs("buddy", params=PARAMS, base_url=server.url)]
    assert ids == _ids(range(1, 10), 100)
    assert sorted(up.asked) == list(range(1, 10))
    assert 1 < up.most <= 4


def test_without_a_page_count_the_pages_are_followed_one_by_one(server: LocalServer) -> None:
    up = _serve(server, pages=3, counted=False)
    with unci.Client(concurrency=4) as client:
        ids = [job.id for job in client.iter_jobs("buddy", params=PARAMS, base_url=server.url)]
    assert ids == _ids(range(1, 4), 100)
    assert up.asked == [1, 2, 3, 4] and up.most == 1  # a full page may have another: the 4th is empty


def test_builds_under_a_limit_fetch_only_the_pages_it_fills_and_resume_exactly(server: LocalServer) -> None:
    up = _serve(server, pages=40)
    command = ["builds", "list", "-P", "buddy", "-p", "workspace=w", "-p", "project=p", "-p", "workflow=2"]
    result = run_cli(*command, "--base-url", server.url, "--limit", "25", "--page-size", "10")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [b["id"] for b in doc["result"]] == _ids(range(1, 4))[:25]
    assert sorted(up.asked) == [1, 2, 3] and up.most == 2  # pages 2 and 3 at once, no more
    rest = run_cli(*command, "--base-url", server.url, "--limit", "3", "--cursor", doc["next_cursor"])
    assert rest.exit_code == 0, rest.output
    assert [b["id"] for b in json.loads(rest.output)["result"]] == ["3005", "3006", "3007"]
