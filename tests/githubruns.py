"""A GitHub-shaped upstream for build tests and benchmarks: workflow runs and their jobs, in
the shape of the real payloads the GitHub cassettes carry, on a real local server."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

from helpers import cassette_body
from localserver import LocalServer, Reply

RUN = json.loads(cassette_body("github", "get_build"))
JOB = json.loads(cassette_body("github", "get_job"))
NEWEST = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
RUNS = "/repos/o/r/actions/runs"


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def run(
    number: int, *, branch: str = "main", conclusion: str = "success", hours_ago: float | None = None
) -> dict:
    """Run ``number`` (0 is the newest), created ``number`` hours before NEWEST."""
    created = NEWEST - timedelta(hours=number if hours_ago is None else hours_ago)
    return {
        **RUN,
        "id": 5000 - number,
        "run_number": 900 - number,
        "head_branch": branch,
        "conclusion": conclusion,
        "created_at": stamp(created),
        "run_started_at": stamp(created),
        "updated_at": stamp(created + timedelta(minutes=4)),
    }


def serve_runs(
    server: LocalServer,
    runs: list[dict],
    per_page: int | None = None,
    *,
    delay: float = 0.0,
    jobs_per_run: int = 0,
) -> None:
    """The runs in the order given (newest first), paged as GitHub pages them: ``per_page``
    (default 30, at most 100, or forced by ``per_page`` here) and ``page``, linked by ``Link``.
    Filters are ignored, as if the provider could not apply them: the core must. With
    ``jobs_per_run``, each run's jobs at ``.../runs/{id}/jobs``."""

    def answer(path: str) -> Reply:
        query = dict(parse_qsl(urlsplit(path).query))
        size = per_page or min(int(query.get("per_page", 30)), 100)
        number = int(query.get("page", 1))
        page = runs[(number - 1) * size : number * size]
        headers = {"Content-Type": "application/json"}
        if number * size < len(runs):
            headers["Link"] = f'<{server.url}{RUNS}?per_page={size}&page={number + 1}>; rel="next"'
        body = json.dumps({"total_count": len(runs), "workflow_runs": page}).encode()
        return Reply(body=body, headers=headers, delay=delay)

    server.handle(RUNS, answer)
    for r in runs if jobs_per_run else ():
        jobs = [
            {**JOB, "id": r["id"] * 100 + i, "run_id": r["id"], "head_branch": r["head_branch"]}
            for i in range(jobs_per_run)
        ]
        server.route(
            f"{RUNS}/{r['id']}/jobs",
            Reply(body=json.dumps({"total_count": len(jobs), "jobs": jobs}).encode(), delay=delay),
        )


def runs_requests(server: LocalServer) -> list[str]:
    return [seen.path for seen in server.requests if seen.path.split("?")[0] == RUNS]
