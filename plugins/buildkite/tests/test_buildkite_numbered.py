"""Buildkite's build lists name their last page (``Link: rel="last"``), so the pages after the
first are fetched several at once, handed out in order, and under a limit no page past the ones
it fills is asked for (the checks: tests/numberedpaging.py). (Job lists page by an ``after``
cursor: one after another.)"""

from __future__ import annotations

import json

from helpers import cassette_body
from localserver import LocalServer, Reply
from numberedpaging import NumberedPaging
from pagedupstream import Paged

BUILD = json.loads(cassette_body("buildkite", "get_build"))
BUILDS = "/organizations/o/pipelines/p/builds"


class TestBuildkiteNumbered(NumberedPaging):
    provider = "buildkite"
    listing = "builds"
    params = {"organization": "o", "pipeline": "p"}
    count, page_size = 900, 100
    build_params = params

    def serve(self, server: LocalServer, listing: str, count: int, *, counted: bool = True) -> Paged:
        """Builds numbered ``page * 1000 + i``, with Buildkite's links (on its own host: only
        their query is followed); ``counted=False`` leaves out ``rel="last"``."""

        def answer(page: int, query: dict[str, str]) -> Reply:
            per_page = int(query["per_page"])
            pages = -(-count // per_page)
            here = max(0, min(per_page, count - (page - 1) * per_page))
            builds = [{**BUILD, "number": page * 1000 + i} for i in range(here)]
            link = f"https://api.buildkite.com/v2{BUILDS}?page="
            links = [f'<{link}{page - 1}&per_page={per_page}>; rel="prev"'] if page > 1 else []
            if page < pages:
                links.append(f'<{link}{page + 1}&per_page={per_page}>; rel="next"')
                if counted:
                    links.append(f'<{link}{pages}&per_page={per_page}>; rel="last"')
            headers = {"Content-Type": "application/json", "Link": ", ".join(links)}
            return Reply(body=json.dumps(builds).encode(), headers=headers)

        return Paged(server, BUILDS, answer)
