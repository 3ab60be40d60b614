"""Builds through the core: get, list, filters re-applied, stop at since, limit, cursors,
and jobs found through builds -- against a GitHub-shaped server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from githubruns import NEWEST, RUNS, run, runs_requests, serve_runs, stamp

import unci
from helpers import GITHUB_PARAMS
from unci.when import parse_when

PARAMS = GITHUB_PARAMS


def test_get_build_maps_the_run(server) -> None:
    import json

    from localserver import Reply

    server.route(f"{RUNS}/5000", Reply(body=json.dumps(run(0)).encode()))
    build = unci.get_build("github", "5000", params=PARAMS, base_url=server.url)
    assert build.id == "5000" and build.provider == "github" and build.branch == "main"
    assert build.completed_at == NEWEST + timedelta(minutes=4)
    assert server.requests[-1].path == f"{RUNS}/5000"


def test_a_missing_build_says_build(server) -> None:
    with pytest.raises(unci.NotFound) as info:
        unci.get_build("github", "77", params=PARAMS, base_url=server.url)
    assert "build '77' was not found" in info.value.message


def test_every_filter_is_applied_again_to_what_comes_back(server) -> None:
    runs = [run(0), run(1, branch="dev"), run(2, conclusion="failure"), run(3)]
    serve_runs(server, runs, 10)
    page = unci.list_builds("github", params=PARAMS, branch="main", conclusion="passed", base_url=server.url)
    assert [b.id for b in page.result] == ["5000", "4997"] and page.next_cursor is None
    # What GitHub can filter itself went to GitHub too.
    assert "branch=main" in server.requests[-1].path and "status=success" in server.requests[-1].path


def test_a_conclusion_in_the_providers_own_word_finds_what_the_unified_word_finds(server) -> None:
    """``success`` went to GitHub, which answered the successful runs; then no mapped build
    (conclusion ``passed``) matched ``success``, and the list came back empty."""
    runs = [run(0), run(1, conclusion="failure"), run(2)]
    serve_runs(server, runs, 10)
    own = unci.list_builds("github", params=PARAMS, conclusion="success", base_url=server.url)
    unified = unci.list_builds("github", params=PARAMS, conclusion="passed", base_url=server.url)
    assert [b.id for b in own.result] == [b.id for b in unified.result] == ["5000", "4998"]
    assert "status=success" in server.requests[0].path
    # A word the provider does not translate still passes through, matched as it is.
    assert unci.list_builds("github", params=PARAMS, conclusion="neutral", base_url=server.url).result == []


def test_since_stops_at_the_first_page_entirely_older(server) -> None:
    serve_runs(server, [run(i) for i in range(30)], 3)  # ten pages, one run an hour
    since = NEWEST - timedelta(hours=5)
    found = list(unci.iter_builds("github", params=PARAMS, since=since, base_url=server.url))
    assert [b.id for b in found] == [str(5000 - i) for i in range(6)]
    # Pages 1-2 hold runs 0-5; page 3 (runs 6-8) lies wholly before since: the end.
    assert len(runs_requests(server)) == 3
    assert f"created=%3E%3D{stamp(since).replace(':', '%3A')}" in server.requests[0].path


def test_until_and_since_together(server) -> None:
    serve_runs(server, [run(i) for i in range(10)], 4)
    found = list(
        unci.iter_builds(
            "github",
            params=PARAMS,
            since=NEWEST - timedelta(hours=6),
            until=NEWEST - timedelta(hours=2),
            base_url=server.url,
        )
    )
    assert [b.id for b in found] == [str(5000 - i) for i in range(2, 7)]


def test_limit_is_the_total_and_cursors_resume_exactly(server) -> None:
    serve_runs(server, [run(i) for i in range(7)], 3)
    assert [b.id for b in unci.iter_builds("github", params=PARAMS, limit=4, base_url=server.url)] == [
        "5000",
        "4999",
        "4998",
        "4997",
    ]
    assert len(runs_requests(server)) == 2
    seen, cursor = [], None
    while True:
        page = unci.list_builds("github", params=PARAMS, limit=2, cursor=cursor, base_url=server.url)
        assert len(page.result) <= 2
        seen += [b.id for b in page.result]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [str(5000 - i) for i in range(7)]


def test_a_cursor_keeps_its_filters(server) -> None:
    runs = [run(0), run(1, branch="dev"), run(2), run(3, branch="dev"), run(4)]
    serve_runs(server, runs, 10)
    first = unci.list_builds("github", params=PARAMS, branch="dev", limit=1, base_url=server.url)
    assert [b.id for b in first.result] == ["4999"]
    rest = unci.list_builds("github", params=PARAMS, cursor=first.next_cursor, base_url=server.url)
    assert [b.id for b in rest.result] == ["4997"]


def test_a_cursor_resumes_only_the_repository_it_was_made_for(server) -> None:
    """Its path names ``o/r``: given with ``repo_id="other"`` it listed o/r, unsaid."""
    serve_runs(server, [run(i) for i in range(4)], 2)
    first = unci.list_builds("github", params=PARAMS, base_url=server.url)
    asked = len(server.requests)
    with pytest.raises(unci.UsageError) as info:
        unci.list_builds(
            "github", params={**PARAMS, "repo_id": "other"}, cursor=first.next_cursor, base_url=server.url
        )
    assert str(info.value) == (
        "github: the cursor continues the list of repo_id 'r', not repo_id 'other'; "
        "start again without cursor= to list with repo_id='other'"
    )
    assert info.value.cli_message().endswith("start again without --cursor to list with -p repo_id=other")
    assert len(server.requests) == asked
    rest = unci.list_builds("github", params=PARAMS, cursor=first.next_cursor, base_url=server.url)
    assert [b.id for b in rest.result] == ["4998", "4997"]


def test_a_job_cursor_does_not_resume_a_build_list(server) -> None:
    from unci.call import resolve_target
    from unci.listing import encode_cursor

    target = resolve_target("github", base_url=server.url)
    forged = encode_cursor(target, unci.Request(path=RUNS), 0, "list")
    # Genuine, of another kind of list: said so, where it read "forged, altered, truncated".
    with pytest.raises(
        unci.UsageError, match="this is the cursor of a build's job list, not of a build list"
    ):
        unci.list_builds("github", params=PARAMS, cursor=forged, base_url=server.url)
    assert server.requests == []


def test_async_twins_agree(server) -> None:
    serve_runs(server, [run(i) for i in range(5)], 2)

    async def go():
        page = await unci.alist_builds("github", params=PARAMS, limit=3, base_url=server.url)
        every = [b.id async for b in unci.aiter_builds("github", params=PARAMS, base_url=server.url)]
        return page, every

    page, every = asyncio.run(go())
    assert [b.id for b in page.result] == ["5000", "4999"]  # one upstream page of two
    assert every == [str(5000 - i) for i in range(5)]


def test_jobs_of_the_builds_that_match(server) -> None:
    runs = [run(0), run(1, branch="dev"), run(2), run(30)]
    serve_runs(server, runs, 10, jobs_per_run=2)
    jobs = list(
        unci.iter_jobs(
            "github", params=PARAMS, branch="main", since=NEWEST - timedelta(hours=3), base_url=server.url
        )
    )
    assert [j.build for j in jobs] == ["5000", "5000", "4998", "4998"]
    asked = {seen.path.split("?")[0] for seen in server.requests}
    assert asked == {RUNS, f"{RUNS}/5000/jobs", f"{RUNS}/4998/jobs"}

    async def go():
        return [
            j.id
            async for j in unci.aiter_jobs(
                "github",
                params=PARAMS,
                branch="main",
                since=NEWEST - timedelta(hours=3),
                limit=3,
                base_url=server.url,
            )
        ]

    assert asyncio.run(go()) == [j.id for j in jobs][:3]


def test_bad_filters_are_usage_errors_before_any_request(server) -> None:
    # Named as Python's arguments: a library caller has no --since (the CLI's tests keep it).
    for kw, said in (
        ({"since": "yesterday"}, "^github: since 'yesterday' is not a time"),
        ({"status": "done"}, "^github: status 'done' is not a unified status"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, " is after until "),
        # Instants to the second, as a person writes them, not Python's microseconds.
        (
            {"since": "2026-11-02T10:00:00.123456+01:00", "until": "2026-11-01T00:00:00Z"},
            r"since 2026-11-02T09:00:00Z is after until 2026-11-01T00:00:00Z;",
        ),
    ):
        with pytest.raises(unci.UsageError, match=said) as info:
            unci.list_builds("github", params=PARAMS, base_url=server.url, **kw)
        assert "--" not in str(info.value)
    assert server.requests == []


def test_when_reads_durations_dates_and_times() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    assert parse_when("7d", now=now) == now - timedelta(days=7)
    assert parse_when("12h", now=now) == now - timedelta(hours=12)
    assert parse_when("30m", now=now) == now - timedelta(minutes=30)
    assert parse_when("1w2d", now=now) == now - timedelta(days=9)
    assert parse_when("2026-11-24") == datetime(2026, 11, 24, tzinfo=timezone.utc)
    assert parse_when(date(2026, 11, 24)) == datetime(2026, 11, 24, tzinfo=timezone.utc)
    assert parse_when("2026-11-24T10:00:00+01:00") == datetime(2026, 11, 24, 9, tzinfo=timezone.utc)
    assert parse_when("2026-11-24T10:00:00Z") == datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
    assert parse_when(datetime(2026, 11, 24, 10)) == datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
    assert parse_when(None) is None
    # As the end of a window (until), a date alone is the whole day: up to the next midnight.
    last = datetime(2026, 11, 24, 23, 59, 59, 999999, tzinfo=timezone.utc)
    assert parse_when("2026-11-24", "until", end_of_day=True) == last
    assert parse_when(date(2026, 11, 24), "until", end_of_day=True) == last
    assert parse_when("2026-11-24T00:00:00Z", "until", end_of_day=True) == datetime(
        2026, 11, 24, tzinfo=timezone.utc
    )
    assert parse_when("7d", "until", now=now, end_of_day=True) == now - timedelta(days=7)
    for bad in ("7x", "d7", "soon"):
        with pytest.raises(unci.UsageError, match="is not a time"):
            parse_when(bad, now=now)
    # A duration that reaches past what a datetime holds says so, not that it is no time.
    for far in ("99999999d", "999999999999w"):
        with pytest.raises(unci.UsageError, match="reaches back before the year 1: give a shorter duration"):
            parse_when(far, now=now)


def _public_callables() -> list[tuple[str, Any]]:
    """Every function ``unci`` exports and every public method of its two clients."""
    found = []
    for name in unci.__all__:
        value = getattr(unci, name)
        if inspect.isfunction(value):
            found.append((name, value))
    for cls in (unci.Client, unci.AsyncClient):
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_") or name == "__init__":
                found.append((f"{cls.__name__}.{name}", method))
    return found


def test_every_public_function_takes_explicit_keywords() -> None:
    """No ``**kw`` a type checker, an IDE or ``help()`` cannot see into."""
    found = _public_callables()
    names = {name for name, _ in found}
    assert {"get_job", "list_jobs", "iter_jobs", "aget_jobs", "iter_log", "watch_job", "get_build"} <= names
    assert {"Client.fetch", "AsyncClient.get_jobs", "Client.stream", "AsyncClient.iter_log"} <= names
    takes_any = [
        name
        for name, fn in found
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())
    ]
    assert takes_any == []


@pytest.mark.parametrize(
    "call",
    [
        lambda: unci.get_job("github", "1", params={"owner": "o", "repo_id": "r"}, tokn="x"),
        lambda: unci.list_jobs("github", params={"owner": "o", "repo_id": "r", "build": "1"}, tokn="x"),
        lambda: unci.get_jobs("github", ["1"], params={"owner": "o", "repo_id": "r"}, tokn="x"),
        lambda: next(unci.iter_log("github", "1", params={"owner": "o", "repo_id": "r"}, tokn="x")),
        lambda: next(unci.watch_job("github", "1", params={"owner": "o", "repo_id": "r"}, tokn="x")),
    ],
)
def test_a_misspelt_keyword_is_named_before_any_request(call: Callable[[], object]) -> None:
    with pytest.raises(TypeError, match="tokn"):
        call()


def test_the_build_api_is_exported() -> None:
    names = {
        "get_build",
        "aget_build",
        "list_builds",
        "alist_builds",
        "iter_builds",
        "aiter_builds",
        "BuildList",
        "FetchedBuild",
        "Trigger",
        "Build",
        "BuildQuery",
    }
    assert names <= set(unci.__all__)
    assert all(getattr(unci, name) is not None for name in unci.__all__)


def test_the_async_walk_hands_out_the_same_pages_and_cursors(server) -> None:
    serve_runs(server, [run(i) for i in range(7)], 3, jobs_per_run=3)
    kw = {"params": PARAMS, "branch": "main", "limit": 8, "concurrency": 3, "base_url": server.url}

    def walk(cursor=None):
        with unci.Client() as client:
            return [
                (p.next_cursor, [j.id for j in p.result])
                for p in client.iter_build_job_pages("github", cursor=cursor, **kw)
            ]

    async def awalk(cursor=None):
        async with unci.AsyncClient() as client:
            return [
                (p.next_cursor, [j.id for j in p.result])
                async for p in client.iter_build_job_pages("github", cursor=cursor, **kw)
            ]

    pages = walk()
    assert asyncio.run(awalk()) == pages
    assert sum(len(ids) for _, ids in pages) == 8
    # Resumed mid-build from the last cursor, both go on alike, the ninth job first.
    resumed = walk(pages[-1][0])
    assert asyncio.run(awalk(pages[-1][0])) == resumed
    assert resumed[0][1][0] == "499802"  # 3 + 3 + 2 jobs were handed out: the third build's third


def test_a_walk_cursor_resumes_only_its_repository_and_alone(server) -> None:
    """The cursor of the jobs of the builds that match held no repository: given with
    ``repo_id="other"`` it went on with the other repository's builds, unsaid."""
    serve_runs(server, [run(0), run(1), run(2)], 10, jobs_per_run=2)
    with unci.Client() as client:
        first = next(
            iter(
                client.iter_build_job_pages(
                    "github", params=PARAMS, branch="main", limit=3, base_url=server.url
                )
            )
        )
        whole = [j.id for j in client.iter_jobs("github", params=PARAMS, branch="main", base_url=server.url)]
    cursor = first.next_cursor
    assert cursor is not None
    asked = len(server.requests)
    with pytest.raises(unci.UsageError) as info:
        list(unci.iter_jobs("github", params={**PARAMS, "repo_id": "other"}, cursor=cursor, branch="main",
                            base_url=server.url))  # fmt: skip
    assert str(info.value).startswith(
        "github: the cursor continues the list of repo_id 'r', not repo_id 'other'"
    )
    assert len(server.requests) == asked
    # Alone (no params, no filters given again), it resumes the same walk, where it stood.
    with unci.Client() as client:
        rest = [
            j.id
            for page in client.iter_build_job_pages("github", cursor=cursor, base_url=server.url)
            for j in page.result
        ]
    assert [j.id for j in first.result] + rest == whole


def test_a_list_cursor_alone_resumes_its_list(server) -> None:
    """A follow-up that sends only the cursor: its list's params come from it."""
    serve_runs(server, [run(i) for i in range(5)], 2, jobs_per_run=3)
    first = unci.list_builds("github", params=PARAMS, base_url=server.url)
    rest = unci.list_builds("github", cursor=first.next_cursor, base_url=server.url)
    assert [b.id for b in rest.result] == ["4998", "4997"]
    jobs = unci.list_jobs("github", params={**PARAMS, "build": "5000"}, limit=1, base_url=server.url)
    more = unci.list_jobs("github", cursor=jobs.next_cursor, base_url=server.url)
    assert [j.id for j in more.result] == ["500001", "500002"]


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
@pytest.mark.parametrize("per_run", [2, 3])
def test_a_walk_in_small_pages_hands_out_every_job_once_and_asks_for_no_more(
    server, limit: int, per_run: int
) -> None:
    """A build's jobs are fetched only as far as the limit could want, and a page that ends
    inside a build still resumes there: every job once, in order, whatever the page size."""
    serve_runs(server, [run(i) for i in range(6)], 10, jobs_per_run=per_run)
    with unci.Client() as client:
        whole = [j.id for j in client.iter_jobs("github", params=PARAMS, branch="main", base_url=server.url)]
        server.requests.clear()
        seen: list[str] = []
        cursor = None
        while True:
            pages = client.iter_build_job_pages(
                "github", params=PARAMS, branch="main", limit=limit, cursor=cursor, base_url=server.url
            )
            page_jobs: list[str] = []
            for page in pages:
                page_jobs += [j.id for j in page.result]
                cursor = page.next_cursor
            assert len(page_jobs) <= limit
            seen += page_jobs
            if cursor is None or not page_jobs:
                break
    assert seen == whole and len(whole) == 6 * per_run


def test_a_build_with_filters_is_refused_in_python_too(server) -> None:
    """``iter_jobs(params={..., "build": B}, since=...)`` dropped the build and gave the jobs of
    every build; the CLI and the server refuse it."""
    serve_runs(server, [run(0), run(1)], 10, jobs_per_run=2)
    for call in (
        lambda: list(
            unci.iter_jobs("github", params={**PARAMS, "build": "5000"}, since="30d", base_url=server.url)
        ),
        lambda: asyncio.run(
            _drain(
                unci.aiter_jobs(
                    "github", params={**PARAMS, "build": "5000"}, branch="main", base_url=server.url
                )
            )
        ),
    ):
        with pytest.raises(unci.UsageError, match=r"^github: the build filters \(.+\) choose builds") as info:
            call()
        assert "drop 'build' from params" in str(info.value) and "-p" not in str(info.value)
    assert server.requests == []


async def _drain(jobs) -> list:
    return [j async for j in jobs]


def test_iter_jobs_resumes_a_walk_from_its_cursor_alone(server) -> None:
    """A walk's cursor "carries the filters": given alone to iter_jobs, it was read as a build's
    job-list cursor and refused as forged."""
    serve_runs(server, [run(i) for i in range(4)], 10, jobs_per_run=2)
    with unci.Client() as client:
        whole = [j.id for j in client.iter_jobs("github", params=PARAMS, branch="main", base_url=server.url)]
        first = next(
            iter(
                client.iter_build_job_pages(
                    "github", params=PARAMS, branch="main", limit=3, base_url=server.url
                )
            )
        )
        rest = [j.id for j in client.iter_jobs("github", cursor=first.next_cursor, base_url=server.url)]
    assert [j.id for j in first.result] + rest == whole


def test_a_filtered_limit_asks_for_whole_pages(server) -> None:
    """``iter_builds(conclusion="failed", limit=3)`` asked for 3 builds a request, of which
    unci then kept the failed: "the last 3 failed builds" read the history 3 at a time."""
    runs = [run(i, conclusion="failure" if i in (7, 15, 22) else "success") for i in range(25)]
    serve_runs(server, runs)
    found = list(unci.iter_builds("github", params=PARAMS, conclusion="failed", limit=3, base_url=server.url))
    assert [b.id for b in found] == ["4993", "4985", "4978"]
    assert len(runs_requests(server)) == 1  # GitHub's page of 30 held all 25
    from helpers import run_cli

    server.requests.clear()
    cli = run_cli(
        "builds", "list", "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "--conclusion", "failed",
        "--limit", "3", "--base-url", server.url,
    )  # fmt: skip
    assert cli.exit_code == 0, cli.stderr
    assert len(runs_requests(server)) == 1


def test_an_iterator_read_after_its_client_closed_says_so(server) -> None:
    """The walk's threads met httpx's own RuntimeError ("Cannot send a request"), which an
    ``except unci.UnciError`` misses, eight times in ten."""
    serve_runs(server, [run(i) for i in range(12)], 3, delay=0.02, jobs_per_run=2)
    for _ in range(5):
        client = unci.Client(concurrency=4)
        jobs = client.iter_jobs("github", params=PARAMS, branch="main", base_url=server.url)
        next(jobs)
        client.close()
        with pytest.raises(unci.UsageError, match="this unci client is closed"):
            list(jobs)


def test_a_cursor_of_another_kind_of_list_says_which_it_is(server) -> None:
    """Genuine cursors from the same client, given to another kind of list, read "forged,
    altered, truncated"."""
    serve_runs(server, [run(i) for i in range(5)], 2, jobs_per_run=3)
    builds_cursor = unci.list_builds("github", params=PARAMS, base_url=server.url).next_cursor
    jobs_cursor = unci.list_jobs(
        "github", params={**PARAMS, "build": "5000"}, limit=1, base_url=server.url
    ).next_cursor
    asked = len(server.requests)
    with pytest.raises(unci.UsageError) as info:
        unci.list_jobs(
            "github", params={**PARAMS, "build": "5000"}, cursor=builds_cursor, base_url=server.url
        )
    assert str(info.value) == (
        "github: this is the cursor of a build list, not of a build's job list; "
        "give it to list_builds(cursor=...)"
    )
    assert info.value.cli_message().endswith("give it to unci builds list --cursor")
    assert info.value.http_message().endswith("give it as next_cursor to /unified/ci-cd/builds")
    with pytest.raises(
        unci.UsageError, match="this is the cursor of a build's job list, not of a build list"
    ):
        unci.list_builds("github", params=PARAMS, cursor=jobs_cursor, base_url=server.url)
    assert len(server.requests) == asked
