"""GitHub answers at most 1,000 runs to a filtered run list (branch, status, created...), then
its pages end as if the history did. unci lists on past it with a new ``created`` window ending
at the oldest run handed out, so a filtered list (``--since 90d``, ``--branch main``, a first
``unci sync --since``) reads the whole history it asks for, each run once. The upstream is a
local server that caps and filters as GitHub documents it, with real run payloads."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit

from githubruns import RUNS, run, stamp

import unci
from localserver import LocalServer, Reply

PARAMS = {"owner": "o", "repo_id": "r"}
CAP = 1000


def _in_window(created: str, window: str | None) -> bool:
    if not window:
        return True
    if window.startswith(">="):
        return created >= window[2:]
    if window.startswith("<="):
        return created <= window[2:]
    low, _, high = window.partition("..")
    return low <= created <= high


def serve_capped(server: LocalServer, runs: list[dict]) -> None:
    """Runs newest first, filtered by ``branch`` and ``created``; a filtered list serves its
    first 1,000 runs only (total_count still the true count), and links ``next`` and ``last``
    within them."""

    def answer(path: str) -> Reply:
        query = dict(parse_qsl(urlsplit(path).query))
        size, number = min(int(query.get("per_page", 30)), 100), int(query.get("page", 1))
        found = [
            r
            for r in runs
            if _in_window(r["created_at"], query.get("created"))
            and query.get("branch", r["head_branch"]) == r["head_branch"]
        ]
        filtered = any(k in query for k in ("branch", "status", "created"))
        served = found[:CAP] if filtered else found
        page = served[(number - 1) * size : number * size]
        headers = {"Content-Type": "application/json"}
        last = -(-len(served) // size)
        if number < last:
            link = {k: v for k, v in query.items() if k != "page"}
            nxt = f"{server.url}{RUNS}?{urlencode({**link, 'page': number + 1})}"
            end = f"{server.url}{RUNS}?{urlencode({**link, 'page': last})}"
            headers["Link"] = f'<{nxt}>; rel="next", <{end}>; rel="last"'
        body = json.dumps({"total_count": len(found), "workflow_runs": page}).encode()
        return Reply(body=body, headers=headers)

    server.handle(RUNS, answer)


def history(count: int) -> list[dict]:
    """``count`` runs a minute apart, newest first; runs 995 to 1004, around the 1,000th, share
    one second (a push that starts several workflows)."""
    return [run(i, hours_ago=(995 if 995 <= i <= 1004 else i) / 60) for i in range(count)]


def windows(server: LocalServer) -> list[dict[str, str]]:
    return [dict(parse_qsl(urlsplit(s.path).query)) for s in server.requests if s.path.startswith(RUNS)]


def test_a_filtered_list_reads_past_githubs_cap_each_run_once(server) -> None:
    runs = history(1250)
    serve_capped(server, runs)
    since = stamp(datetime(2000, 1, 1, tzinfo=timezone.utc))
    found = [b.id for b in unci.iter_builds("github", params=PARAMS, since=since, base_url=server.url)]
    assert found == [str(r["id"]) for r in runs]
    asked = windows(server)
    continued = [q for q in asked if "unci_before_id" in q]
    # One new window, from the 1,000th run (its second shared with others) down.
    assert {q["created"] for q in continued} == {f"{since}..{runs[999]['created_at']}"}
    assert {q["unci_before_id"] for q in continued} == {str(runs[999]["id"])}


def test_a_branch_list_past_the_cap_and_a_short_filtered_list_that_ends(server) -> None:
    runs = history(1100)
    serve_capped(server, runs)
    found = [b.id for b in unci.iter_builds("github", params=PARAMS, branch="main", base_url=server.url)]
    assert found == [str(r["id"]) for r in runs]
    assert any(q.get("created", "").startswith("<=") for q in windows(server))
    server.requests.clear()
    few = runs[:150]
    serve_capped(server, few)
    assert len(list(unci.iter_builds("github", params=PARAMS, branch="main", base_url=server.url))) == 150
    assert not any("unci_before_id" in q for q in windows(server))


def test_a_limit_under_the_cap_never_opens_a_window(server) -> None:
    runs = history(1100)
    serve_capped(server, runs)
    page = unci.list_builds("github", params=PARAMS, branch="main", limit=30, base_url=server.url)
    assert len(page.result) == 30 and page.next_cursor
    assert len(windows(server)) == 1
