"""Buddy says how many pages of executions there are (``total_page_count``), so the pages after
the first are fetched several at once, handed out in order, and under a limit no page past the
ones it fills is asked for (the checks: tests/numberedpaging.py)."""

from __future__ import annotations

import json

from helpers import cassette_body
from localserver import LocalServer, Reply
from numberedpaging import NumberedPaging
from pagedupstream import Paged

EXECUTION = json.loads(cassette_body("buddy", "get_job"))
EXECUTIONS = "/workspaces/w/projects/p/pipelines/2/executions"
PARAMS = {"workspace": "w", "project": "p", "workflow": "2"}


class TestBuddyNumbered(NumberedPaging):
    provider = "buddy"
    listing = "jobs"
    params = PARAMS
    count, page_size = 900, 100
    uncounted_asks = [1, 2, 3, 4]  # a full page may have another: the 4th is empty
    build_params = PARAMS

    def serve(self, server: LocalServer, listing: str, count: int, *, counted: bool = True) -> Paged:
        """Executions (a job and a build alike) numbered ``page * 1000 + i``."""

        def answer(page: int, query: dict[str, str]) -> Reply:
            per_page = int(query["per_page"])
            here = max(0, min(per_page, count - (page - 1) * per_page))
            body: dict = {
                "page": page,
                "page_size": per_page,
                "executions": [{**EXECUTION, "id": page * 1000 + i} for i in range(here)],
            }
            if counted:
                body["total_page_count"] = -(-count // per_page)
            return Reply(body=json.dumps(body).encode())

        return Paged(server, EXECUTIONS, answer)
