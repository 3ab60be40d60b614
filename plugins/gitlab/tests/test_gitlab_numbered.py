"""GitLab says how many pages a list has (``x-total-pages``, else the ``Link`` header's
``rel="last"``), so the pages after the first are fetched several at once, handed out in order,
and under a limit no page past the ones it fills is asked for (the checks:
tests/numberedpaging.py)."""

from __future__ import annotations

import json

from helpers import cassette_body, run_cli
from localserver import LocalServer, Reply
from numberedpaging import NumberedPaging
from pagedupstream import Paged

JOB = json.loads(cassette_body("gitlab", "get_job"))
PIPELINE = json.loads(cassette_body("gitlab", "get_build"))
JOBS = "/projects/7/pipelines/9/jobs"
PIPELINES = "/projects/7/pipelines"


class TestGitlabNumbered(NumberedPaging):
    provider = "gitlab"
    listing = "jobs"  # a pipeline's jobs
    params = {"project": "7", "build": "9"}
    count, page_size = 1200, 100
    uncounted = 400
    uncounted_asks = [1, 2, 3, 4]
    build_params = {"project": "7"}

    def serve(
        self,
        server: LocalServer,
        listing: str,
        count: int,
        *,
        counted: bool = True,
        last_link: bool | None = None,
    ) -> Paged:
        """Jobs or pipelines numbered ``page * 1000 + i``, with GitLab's headers; ``counted=False``
        leaves out ``x-total-pages`` and, unless ``last_link``, the ``Link`` header too."""
        path, item = (JOBS, JOB) if listing == "jobs" else (PIPELINES, PIPELINE)
        linked = counted if last_link is None else last_link

        def answer(page: int, query: dict[str, str]) -> Reply:
            per_page = int(query["per_page"])
            pages = -(-count // per_page)
            here = max(0, min(per_page, count - (page - 1) * per_page))
            items = [{**item, "id": page * 1000 + i} for i in range(here)]
            headers = {"Content-Type": "application/json", "x-page": str(page), "x-per-page": str(per_page)}
            headers["x-next-page"] = str(page + 1) if page < pages else ""
            if counted:
                headers["x-total-pages"] = str(pages)
            if linked and page < pages:
                link = f"https://gitlab.example{path}?per_page={per_page}&page="
                headers["Link"] = f'<{link}{page + 1}>; rel="next", <{link}{pages}>; rel="last"'
            return Reply(body=json.dumps(items).encode(), headers=headers)

        return Paged(server, path, answer)

    def test_the_link_headers_last_page_numbers_them_when_the_totals_are_left_out(
        self, server: LocalServer
    ) -> None:
        up = self.serve(server, "jobs", 60, counted=False, last_link=True)
        up.together = 2
        result = run_cli(
            "jobs", "list", "-P", "gitlab", "-p", "project=7", "-p", "build=9",
            "--base-url", server.url, "--all", "--page-size", "10",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert [json.loads(line)["id"] for line in result.output.splitlines()] == self.ids(range(1, 7))
        assert sorted(up.asked) == list(range(1, 7)) and up.most > 1
