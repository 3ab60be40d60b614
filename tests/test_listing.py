"""Listing on every provider: pages, cursors, --all, formats; iterators and get_jobs."""

from __future__ import annotations

import base64
import json

import pytest
import vcr
from cases import BY_NAME, CASES, Case

import unci
from helpers import ROOT, cassette_body, run_cli
from localserver import Reply
from unci.call import resolve_target
from unci.listing import encode_cursor

IDS = [c.provider for c in CASES]
PLAYER = vcr.VCR(record_mode="none", cassette_library_dir=str(ROOT / "plugins"))


def listed(case: Case, *extra: str):
    with PLAYER.use_cassette(case.list_cassette, allow_playback_repeats=True):
        return run_cli(*case.list_args, *extra)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cursor_walk_equals_all(case: Case) -> None:
    seen: list[str] = []
    cursor: list[str] = []
    pages = 0
    while True:
        result = listed(case, "--ignore-remote-data", *cursor)
        assert result.exit_code == 0, result.output
        page = json.loads(result.stdout)
        if case.list_limit:
            assert len(page["result"]) <= case.list_limit
        seen += [job["id"] for job in page["result"]]
        pages += 1
        if page["next_cursor"] is None:
            break
        cursor = ["--cursor", page["next_cursor"]]
        assert pages < 20
    every = listed(case, "--all", "--ignore-remote-data")
    assert every.exit_code == 0, every.output
    lines = [json.loads(line) for line in every.stdout.splitlines()]
    assert [job["id"] for job in lines] == seen and seen
    assert all(isinstance(job["id"], str) for job in lines)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_raw_page_is_the_body(case: Case) -> None:
    result = listed(case, "--format", "raw")
    assert result.stdout_bytes == cassette_body(case.provider, "list_jobs")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_normalized_table_and_debug(case: Case) -> None:
    rows = [json.loads(line) for line in listed(case, "--all", "--format", "normalized").stdout.splitlines()]
    assert {row["provider"] for row in rows} == {case.provider}
    table = listed(case, "--all", "--output", "table").stdout.splitlines()
    jobs = [line for line in table[1:] if not line.startswith(" ")]  # steps are indented rows
    steps = sum(len(row["steps"] or []) for row in rows)
    assert table[0].startswith("PROVIDER") and len(jobs) == len(rows) and len(table) == len(rows) + 1 + steps
    debug = json.loads(listed(case, "--format", "debug").stdout)
    assert set(debug) == {"result", "next_cursor", "debug"}
    assert debug["debug"]["resultCount"] == len(debug["result"])
    assert debug["debug"]["nextCursor"] == debug["next_cursor"]


@pytest.mark.parametrize("bad", ["not-a-cursor", "eyJ2IjoxfQ", "%%%", "e30"])
def test_corrupted_cursor_is_a_clear_error(bad: str) -> None:
    result = listed(BY_NAME["github"], "--cursor", bad)
    assert result.exit_code == 2
    assert "github: the cursor is not one unci handed out" in result.stderr


def test_cursor_from_another_provider() -> None:
    cursor = encode_cursor(resolve_target("travis"), unci.Request(path="/build/1/jobs"))
    result = listed(BY_NAME["github"], "--cursor", cursor)
    assert result.exit_code == 2
    assert "this cursor belongs to provider 'travis'; use it with --provider travis" in result.stderr


def test_cursor_cannot_send_the_token_elsewhere(server) -> None:
    """Even a cursor unci signed for this very target is followed only on the API root."""
    target = resolve_target("github", base_url=server.url)
    cursor = encode_cursor(target, unci.Request(path="https://evil.example.com/steal"))
    result = run_cli(
        *BY_NAME["github"].list_args, "--cursor", cursor, "--token", "ghp_secret", "--base-url", server.url
    )
    assert result.exit_code == 2
    assert "refusing to follow 'https://evil.example.com/steal'" in result.stderr
    assert server.requests == [] and "ghp_secret" not in result.output
    body = cursor.partition(".")[0]
    tampered = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert tampered["path"].startswith("https://evil")  # the cursor holds no credentials
    assert "ghp_secret" not in json.dumps(tampered)


def test_stream_is_refused_for_lists() -> None:
    result = listed(BY_NAME["github"], "--format", "stream")
    assert result.exit_code == 2 and "--format stream is for one job" in result.stderr


def test_debug_with_all_is_refused_not_dropped() -> None:
    """``--all --format debug`` printed plain records, the envelope silently gone."""
    result = listed(BY_NAME["github"], "--format", "debug", "--all")
    assert result.exit_code == 2 and result.stdout == ""
    message = json.loads(result.stderr)["message"]  # debug answers errors in JSON, as Truto
    assert message.startswith("github: --format debug shows one page with its request and answer")


def test_missing_build_param_is_named() -> None:
    result = run_cli("jobs", "list", "-P", "github", "-p", "owner=o", "-p", "repo_id=r")
    assert result.exit_code == 2 and "build (the workflow run id)" in result.stderr


def _github_pages(server, pages: int, per_page: int, empty: bool = False) -> None:
    job = json.loads(cassette_body("github", "get_job"))
    base = "/repos/o/r/actions/runs/9/jobs"
    for page in range(1, pages + 1):
        jobs = [] if empty else [{**job, "id": page * 1000 + i} for i in range(per_page)]
        link = (
            f'<{server.url}{base}?filter=all&per_page={per_page}&page={page + 1}>; rel="next"'
            if page < pages
            else ""
        )
        query = f"?filter=all&per_page={per_page}" + (f"&page={page}" if page > 1 else "")
        headers = (
            {"Content-Type": "application/json", "Link": link}
            if link
            else {"Content-Type": "application/json"}
        )
        server.route(
            base + query, Reply(body=json.dumps({"total_count": 0, "jobs": jobs}).encode(), headers=headers)
        )


def test_empty_list(server) -> None:
    _github_pages(server, 1, 100, empty=True)
    result = run_cli(
        "jobs",
        "list",
        "-P",
        "github",
        "-p",
        "owner=o",
        "-p",
        "repo_id=r",
        "-p",
        "build=9",
        "--base-url",
        server.url,
    )
    assert json.loads(result.stdout) == {"result": [], "next_cursor": None}
    table = run_cli(
        "jobs",
        "list",
        "-P",
        "github",
        "-p",
        "owner=o",
        "-p",
        "repo_id=r",
        "-p",
        "build=9",
        "--base-url",
        server.url,
        "--output",
        "table",
    )
    assert table.stdout.startswith("PROVIDER  ID")


def test_limit_smaller_than_a_page_resumes_mid_page(server) -> None:
    _github_pages(server, 2, 3)  # the provider's page size is 3 ...
    kw = {"params": {"owner": "o", "repo_id": "r", "build": "9"}, "base_url": server.url}
    server.routes.clear()
    _github_pages(server, 2, 3)
    with unci.Client() as client:
        first = client.list_jobs("github", limit=3, **kw)
        ids = [j.id for j in first.result]
        # ... and a cursor that resumes inside a page hands out the rest of it, in order
        page = client.list_jobs("github", limit=3, cursor=first.next_cursor, **kw)
        ids += [j.id for j in page.result]
    assert ids == ["1000", "1001", "1002", "2000", "2001", "2002"] and page.next_cursor is None


def test_iterator_fetches_pages_lazily(server) -> None:
    _github_pages(server, 3, 2)
    jobs = unci.iter_jobs(
        "github", params={"owner": "o", "repo_id": "r", "build": "9"}, base_url=server.url, page_size=2
    )
    first = next(jobs)
    assert first.id == "1000" and len(server.requests) == 1
    rest = list(jobs)
    assert [j.id for j in rest] == ["1001", "2000", "2001", "3000", "3001"]
    assert len(server.requests) == 3


async def test_async_iterator(server) -> None:
    _github_pages(server, 2, 2)
    ids = [
        job.id
        async for job in unci.aiter_jobs(
            "github", params={"owner": "o", "repo_id": "r", "build": "9"}, base_url=server.url, page_size=2
        )
    ]
    assert ids == ["1000", "1001", "2000", "2001"]


def _jobs_by_id(server, ids: list[str], missing: set[str]) -> None:
    job = json.loads(cassette_body("github", "get_job"))
    for job_id in ids:
        if job_id not in missing:
            server.route(
                f"/repos/o/r/actions/jobs/{job_id}",
                Reply(body=json.dumps({**job, "id": int(job_id)}).encode()),
            )


def test_get_jobs_keeps_order_and_reports_errors_per_item(server) -> None:
    ids = [str(i) for i in range(1, 21)]
    _jobs_by_id(server, ids, missing={"5", "13"})
    results = unci.get_jobs(
        "github", ids, params={"owner": "o", "repo_id": "r"}, base_url=server.url, concurrency=4
    )
    assert [r.id if isinstance(r, unci.Job) else None for r in results] == [
        None if i in ("5", "13") else i for i in ids
    ]
    assert isinstance(results[4], unci.NotFound) and "job '5' was not found" in results[4].message


async def test_async_get_jobs(server) -> None:
    ids = [str(i) for i in range(1, 11)]
    _jobs_by_id(server, ids, missing={"3"})
    results = await unci.aget_jobs(
        "github", ids, params={"owner": "o", "repo_id": "r"}, base_url=server.url, concurrency=3
    )
    assert [isinstance(r, unci.Job) for r in results] == [i != "3" for i in ids]


def test_a_provider_pointing_next_at_the_same_page_does_not_loop(server) -> None:
    job = json.loads(cassette_body("github", "get_job"))
    base = "/repos/o/r/actions/runs/9/jobs"
    server.route(
        base + "?filter=all&per_page=100",
        Reply(
            body=json.dumps({"total_count": 1, "jobs": [job]}).encode(),
            headers={
                "Content-Type": "application/json",
                "Link": f'<{server.url}{base}?filter=all&per_page=100>; rel="next"',
            },
        ),
    )
    args = [
        "jobs",
        "list",
        "-P",
        "github",
        "-p",
        "owner=o",
        "-p",
        "repo_id=r",
        "-p",
        "build=9",
        "--base-url",
        server.url,
    ]
    every = run_cli(*args, "--all")
    assert every.exit_code == 0 and len(every.stdout.splitlines()) == 1
    debug = json.loads(run_cli(*args, "--format", "debug").stdout)["debug"]
    assert debug["isLooping"] is True and debug["nextCursor"] is None
    assert debug["isEmptyResult"] is False and debug["resultCount"] == 1


def test_progress_on_a_terminal(server, monkeypatch, capsys) -> None:
    import io
    import sys

    from unci.commands import list_command
    from unci.options import Rendering

    _github_pages(server, 2, 2)

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    list_command(
        provider="github",
        params={"owner": "o", "repo_id": "r", "build": "9"},
        how=Rendering(ignore_remote_data=True),
        remote_query=(),
        client={},
        credentials={"base_url": server.url},
        limit=None,
        page_size=2,
        cursor=None,
        follow_all=True,
    )
    assert err.getvalue() == "\runci: 2 jobs, 1 page(s)\runci: 4 jobs, 2 page(s)\n"
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_unknown_params_are_refused_with_a_hint() -> None:
    result = run_cli("jobs", "get", "1", "-P", "github", "-p", "ownr=o", "-p", "repo_id=r")
    assert result.exit_code == 2
    hint = "unknown parameter(s) 'ownr' (did you mean 'owner'?); github takes owner, repo_id, build"
    assert hint in result.stderr
    assert "--remote-query" in result.stderr


def test_a_reader_that_goes_away_is_not_an_error(server) -> None:
    """`unci jobs list --all | head -1`: no traceback, no 'internal error', exit 0."""
    import os
    import subprocess
    import sys

    _github_pages(server, 5, 100)  # far more output than a pipe holds
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "unci",
            "jobs",
            "list",
            "-P",
            "github",
            "-p",
            "owner=o",
            "-p",
            "repo_id=r",
            "-p",
            "build=9",
            "--base-url",
            server.url,
            "--all",
            "--limit",
            "100",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, err
    assert json.loads(first)["id"] == "1000" and err == b""


async def test_alist_jobs_is_list_jobs_in_asyncio(server) -> None:
    """There was alist_builds and no alist_jobs."""
    _github_pages(server, 2, 2)
    kw = {"params": {"owner": "o", "repo_id": "r", "build": "9"}, "base_url": server.url}
    page = await unci.alist_jobs("github", limit=2, **kw)
    same = unci.list_jobs("github", limit=2, **kw)
    assert [j.id for j in page.result] == [j.id for j in same.result] == ["1000", "1001"]
    assert page.next_cursor is not None and "alist_jobs" in unci.__all__
