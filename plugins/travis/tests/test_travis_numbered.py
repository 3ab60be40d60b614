"""Travis CI's ``@pagination`` says how many builds there are (``count``), so the pages after
the first are fetched several at once by offset, handed out in order, and under a limit no page
past the ones it fills is asked for (the checks: tests/numberedpaging.py)."""

from __future__ import annotations

import json

from helpers import cassette_body
from localserver import LocalServer, Reply
from numberedpaging import NumberedPaging
from pagedupstream import Paged

BUILD = json.loads(cassette_body("travis", "get_build"))
BUILDS = "/repo/42/builds"
DEFAULT_LIMIT = 25  # what Travis serves when no limit is asked for


def _limit_of(query: dict[str, str]) -> int:
    return int(query.get("limit", DEFAULT_LIMIT))


class TestTravisNumbered(NumberedPaging):
    provider = "travis"
    listing = "builds"
    params = {"repo": "42"}
    count, page_size = 230, DEFAULT_LIMIT
    uncounted = 75
    build_params = params

    def serve(self, server: LocalServer, listing: str, count: int, *, counted: bool = True) -> Paged:
        """Builds, ids ``page * 1000 + i`` (page 1 at offset 0), paged by offset."""

        def answer(page: int, query: dict[str, str]) -> Reply:
            limit = _limit_of(query)
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

        return Paged(server, BUILDS, answer, page_of=lambda q: int(q.get("offset", "0")) // _limit_of(q) + 1)
