"""Bitbucket's envelope says how many there are in all (``size``, with ``page`` and
``pagelen``), so the pages after the first are fetched several at once, handed out in order,
and under a limit no page past the ones it fills is asked for (the checks: tests/numberedpaging.py)."""

from __future__ import annotations

import json

from helpers import cassette_body
from localserver import LocalServer, Reply
from numberedpaging import NumberedPaging
from pagedupstream import Paged

STEP = json.loads(cassette_body("bitbucket", "get_job"))
PIPELINE = json.loads(cassette_body("bitbucket", "get_build"))
PIPELINES = "/repositories/w/r/pipelines"
STEPS = f"{PIPELINES}/p1/steps"


def _query(query: dict[str, str], page: int) -> str:
    return "&".join(f"{k}={v}" for k, v in {**query, "page": str(page)}.items())


class TestBitbucketNumbered(NumberedPaging):
    provider = "bitbucket"
    listing = "jobs"  # a pipeline's steps
    params = {"workspace_id": "w", "repo": "r", "build": "p1"}
    count, page_size = 950, 100  # 100 a page: Bitbucket's largest
    build_params = {"workspace_id": "w", "repo": "r"}

    def serve(self, server: LocalServer, listing: str, count: int, *, counted: bool = True) -> Paged:
        """Steps or pipelines in Bitbucket's envelope, their uuids ``{page * 1000 + i}``."""
        path, item = (STEPS, STEP) if listing == "jobs" else (PIPELINES, PIPELINE)

        def answer(page: int, query: dict[str, str]) -> Reply:
            pagelen = int(query.get("pagelen", "10"))
            numbers = range((page - 1) * pagelen, min(count, page * pagelen))
            body: dict = {
                "page": page,
                "pagelen": pagelen,
                "values": [{**item, "uuid": f"{{{page * 1000 + i - numbers[0]}}}"} for i in numbers],
            }
            if counted:
                body["size"] = count
            if page * pagelen < count:
                body["next"] = f"{server.url}{path}?{_query(query, page + 1)}"
            return Reply(body=json.dumps(body).encode())

        return Paged(server, path, answer)

    def ident(self, number: int) -> str:
        return f"{{{number}}}"
