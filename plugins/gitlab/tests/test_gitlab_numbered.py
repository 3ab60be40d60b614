"""GitLab says how many pages a list has (``x-total-pages``, else the ``Link`` header's
``rel="last"``), so the pages after the first are fetched several at once, handed out in order,
and under a limit no page past the ones it fills is asked for."""

from __future__ import annotations

import json

import unci
from helpers import cassette_body, run_cli
from localserver import LocalServer, Reply
from pagedupstream import Paged

JOB = json.loads(cassette_body("gitlab", "get_job"))
PIPELINE = json.loads(cassette_body("gitlab", "get_build"))
JOBS = "/projects/7/pipelines/9/jobs"
PIPELINES = "/projects/7/pipelines"


def _serve(
    server: LocalServer, path: str, item: dict, pages: int, *, totals: bool = True, last_link: bool = True
) -> Paged:
    """``pages`` pages of ``item``s numbered ``page * 1000 + i``, with GitLab's headers."""

    def answer(page: int, query: dict[str, str]) -> Reply:
        per_page = int(query["per_page"])
        items = [{**item, "id": page * 1000 + i} for i in range(per_page)]
        headers = {"Content-Type": "application/json", "x-page": str(page), "x-per-page": str(per_page)}
        headers["x-next-page"] = str(page + 1) if page < pages else ""
        if totals:
            headers["x-total-pages"] = str(pages)
        if last_link and page < pages:
            link = f"https://gitlab.example{path}?per_page={per_page}&page="
            headers["Link"] = f'<{link}{page + 1}>; rel="next", <{link}{pages}>; rel="last"'
        return Reply(body=json.dumps(items).encode(), headers=headers)

    return Paged(server, path, answer)


def _ids(pages: range, per_page: int = 10) -> list[str]:
    return [str(p * 1000 + i) for p in pages for i in range(per_page)]


def test_a_pipelines_jobs_come_in_order_while_several_pages_are_fetched_at_once(server: LocalServer) -> None:
    up = _serve(server, JOBS, JOB, pages=12)
    with unci.Client(concurrency=4) as client:
        jobs = client.iter_jobs("gitlab", params={"project": "7", "build": "9"}, base_url=server.url)
        ids = [job.id for job in jobs]
    assert ids == _ids(range(1, 13), 100)
    assert sorted(up.asked) == list(range(1, 13))
    assert 1 < up.most <= 4


def test_the_link_headers_last_page_numbers_them_when_the_totals_are_left_out(server: LocalServer) -> None:
    up = _serve(server, JOBS, JOB, pages=6, totals=False)
    result = run_cli(
        "jobs", "list", "-P", "gitlab", "-p", "project=7", "-p", "build=9",
        "--base-url", server.url, "--all", "--page-size", "10",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.output.splitlines()] == _ids(range(1, 7))
    assert sorted(up.asked) == list(range(1, 7)) and up.most > 1


def test_without_totals_or_a_last_link_the_pages_are_followed_one_by_one(server: LocalServer) -> None:
    up = _serve(server, JOBS, JOB, pages=4, totals=False, last_link=False)
    with unci.Client(concurrency=4) as client:
        jobs = client.iter_jobs("gitlab", params={"project": "7", "build": "9"}, base_url=server.url)
        ids = [job.id for job in jobs]
    assert ids == _ids(range(1, 5), 100)
    assert up.asked == [1, 2, 3, 4] and up.most == 1


def test_builds_under_a_limit_fetch_only_the_pages_it_fills_and_resume_exactly(server: LocalServer) -> None:
    up = _serve(server, PIPELINES, PIPELINE, pages=40)
    command = ["builds", "list", "-P", "gitlab", "-p", "project=7", "--base-url", server.url]
    result = run_cli(*command, "--limit", "25", "--page-size", "10")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [b["id"] for b in doc["result"]] == _ids(range(1, 4))[:25]
    assert sorted(up.asked) == [1, 2, 3] and up.most == 2  # pages 2 and 3 at once, no more
    rest = run_cli(*command, "--limit", "3", "--cursor", doc["next_cursor"])
    assert rest.exit_code == 0, rest.output
    assert [b["id"] for b in json.loads(rest.output)["result"]] == ["3005", "3006", "3007"]
