"""`unci builds list/get`, and `unci jobs list` finding its builds, as a user sees them: the
same options, formats, outputs, paging and errors as the job commands, against a GitHub-shaped
server on 127.0.0.1 and the GitHub and Jenkins cassettes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import timedelta

import pytest
import vcr
from githubruns import NEWEST, RUNS, run, runs_requests, serve_runs, stamp

from helpers import ROOT, cassette_body, one_error_line, out_json, run_cli
from localserver import Reply
from unci.records import BUILDS

PLAYER = vcr.VCR(record_mode="none", cassette_library_dir=str(ROOT / "plugins"))
GH = ["-P", "github", "-p", "owner=o", "-p", "repo_id=r"]
PYGITHUB = ["-P", "github", "-p", "owner=PyGithub", "-p", "repo_id=PyGithub"]
JENKINS_JOB = "Test-jenkins-dir/test-jenkins-sub-dir/test-sub-sub-dir/devlake"
JENKINS = ["-P", "jenkins", "-p", f"job={JENKINS_JOB}", "--base-url", "https://ci.example.com/jenkins"]


def builds(server, *args: str):
    return run_cli("builds", *args, *GH, "--base-url", server.url)


def jobs(server, *args: str):
    return run_cli("jobs", "list", *GH, "--base-url", server.url, *args)


def ids(result) -> list[str]:
    return [row["id"] for row in out_json(result)["result"]]


def lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


# --- builds list ---------------------------------------------------------------------------


def test_list_prints_one_page_and_a_cursor_that_resumes(server) -> None:
    serve_runs(server, [run(i) for i in range(5)], 2)
    first = builds(server, "list")
    assert first.exit_code == 0, first.stderr
    page = out_json(first)
    assert ids(first) == ["5000", "4999"] and page["next_cursor"]
    assert page["result"][0]["name"] == "CI" and page["result"][0]["number"] == "900"
    rest = builds(server, "list", "--cursor", page["next_cursor"], "--all")
    assert [b["id"] for b in lines(rest)] == ["4998", "4997", "4996"]


def test_a_build_named_to_the_list_of_builds_says_where_that_build_is(server) -> None:
    """``-p build=5`` listed every build of the repository, the parameter dropped unsaid."""
    result = builds(server, "list", "-p", "build=5")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == (
        "unci: error: github: build=5 names one build, and a list of builds takes no build; "
        "for that build: unci builds get 5; for its jobs: unci jobs list -p build=5"
    )
    assert server.requests == []


def test_limit_is_the_total_and_its_cursor_resumes_exactly(server) -> None:
    serve_runs(server, [run(i) for i in range(7)], 3)
    first = builds(server, "list", "--limit", "4")
    assert ids(first) == ["5000", "4999", "4998", "4997"]
    rest = builds(server, "list", "--cursor", out_json(first)["next_cursor"], "--limit", "10")
    assert ids(rest) == ["4996", "4995", "4994"] and out_json(rest)["next_cursor"] is None


def test_filters_go_to_github_and_are_applied_again(server) -> None:
    runs = [run(0), run(1, branch="dev"), run(2, conclusion="failure"), run(3)]
    serve_runs(server, runs, 10)
    result = builds(server, "list", "--branch", "main", "--conclusion", "passed")
    assert ids(result) == ["5000", "4997"]
    sent = runs_requests(server)[-1]
    assert "branch=main" in sent and "status=success" in sent


def test_since_stops_at_the_first_page_wholly_older(server) -> None:
    serve_runs(server, [run(i) for i in range(30)], 3)
    since = stamp(NEWEST - timedelta(hours=5))
    result = builds(server, "list", "--since", since, "--all", "--fields", "id")
    assert [b["id"] for b in lines(result)] == [str(5000 - i) for i in range(6)]
    assert len(runs_requests(server)) == 3  # of ten pages


def test_until_with_a_duration_and_since_with_a_date(server) -> None:
    serve_runs(server, [run(0, hours_ago=1), run(1, hours_ago=24 * 30)], 10)
    recent = builds(server, "list", "--since", "7d")
    # NEWEST is in the past of the test clock or its future; either way "7d" is counted from now.
    assert all(b["id"] in ("5000", "4999") for b in out_json(recent)["result"])
    dated = builds(server, "list", "--until", (NEWEST - timedelta(days=2)).date().isoformat())
    assert ids(dated) == ["4999"]


def test_until_a_date_keeps_the_whole_of_that_day(server) -> None:
    """``--until 2026-11-29`` is that day to its end, as ``created:..2026-11-29`` is on GitHub:
    a build from its last hour is listed, one from the next midnight is not."""
    times = [0, 12, 13, 35, 36, 37]  # hours before NEWEST (2026-11-30T12:00Z)
    serve_runs(server, [run(i, hours_ago=h) for i, h in enumerate(times)], 10)
    result = builds(server, "list", "--until", "2026-11-29")
    # 4998 is 23:00 on the 29th, 4997 01:00, 4996 00:00, 4995 23:00 the day before; 4999 is
    # midnight on the 30th.
    assert ids(result) == ["4998", "4997", "4996", "4995"]
    same_day = builds(server, "list", "--since", "2026-11-29", "--until", "2026-11-29")
    assert ids(same_day) == ["4998", "4997", "4996"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--since", "yesterday"], "github: --since 'yesterday' is not a time"),
        (["--until", "3 fortnights"], "--until '3 fortnights' is not a time"),
        (["--status", "done"], "--status 'done' is not a unified status"),
        (["--since", "2026-11-02", "--until", "2026-11-01"], "is after --until"),
        (["--branch", ""], "--branch is empty"),
        # `--since "$SINCE"` with SINCE unset listed every build there is.
        (["--since", ""], "github: --since is empty; give a duration back from now (7d"),
        (["--until", " "], "github: --until is empty"),
    ],
)
def test_bad_filters_are_one_line_and_exit_2_before_any_request(server, args, said) -> None:
    for command in (["builds", "list"], ["jobs", "list"]):
        result = run_cli(*command, *GH, "--base-url", server.url, *args)
        assert result.exit_code == 2 and said in one_error_line(result.stderr)
        as_json = run_cli(*command, *GH, "--base-url", server.url, *args, "--error-format", "json")
        envelope = json.loads(as_json.stderr)
        assert as_json.exit_code == 2 and envelope["statusCode"] == 400 and said in envelope["message"]
    assert server.requests == []


def test_a_cursor_keeps_its_filters_and_refuses_others(server) -> None:
    serve_runs(server, [run(0), run(1, branch="dev"), run(2), run(3, branch="dev")], 10)
    first = builds(server, "list", "--branch", "dev", "--limit", "1")
    cursor = out_json(first)["next_cursor"]
    same = builds(server, "list", "--cursor", cursor, "--branch", "dev")
    assert ids(same) == ["4997"]
    other = builds(server, "list", "--cursor", cursor, "--branch", "main")
    assert other.exit_code == 2
    assert "the cursor continues a list with branch 'dev', not branch 'main'" in one_error_line(other.stderr)


def test_table_and_csv_have_the_build_columns(server) -> None:
    serve_runs(server, [run(0), run(1, branch="dev")], 10)
    table = builds(server, "list", "-o", "table", "--fields", "id,branch,conclusion")
    assert table.stdout.splitlines() == [
        "ID    BRANCH  CONCLUSION",
        "5000  main    passed",
        "4999  dev     passed",
    ]
    rows = list(csv.reader(io.StringIO(builds(server, "list", "-o", "csv").stdout)))
    assert rows[0] == list(BUILDS.normalized) and rows[1][:3] == ["github", "5000", "CI"]


def test_a_narrow_terminal_drops_build_columns_first(server, monkeypatch) -> None:
    serve_runs(server, [run(0)], 10)
    monkeypatch.setenv("COLUMNS", "80")
    result = builds(server, "list", "-o", "table")
    header = result.stdout.splitlines()[0].split()
    assert {"ID", "STATUS", "CONCLUSION", "BRANCH"} <= set(header) and "URL" not in header
    assert "leaving out url" in result.stderr


def test_every_format_of_a_list(server) -> None:
    serve_runs(server, [run(0), run(1)], 10)
    normalized = out_json(builds(server, "list", "--format", "normalized"))["result"][0]
    assert list(normalized) == list(BUILDS.normalized) and normalized["provider"] == "github"
    unified = out_json(builds(server, "list", "--ignore-remote-data"))["result"][0]
    assert "remote_data" not in unified and unified["trigger"] == "merge_request"
    excluded = out_json(builds(server, "list", "--exclude-field", "url,commit"))["result"][0]
    assert "url" not in excluded and "commit" not in excluded and "remote_data" in excluded
    raw = builds(server, "list", "--format", "raw")
    assert [r["id"] for r in json.loads(raw.stdout)["workflow_runs"]] == [5000, 4999]
    debug = out_json(builds(server, "list", "--format", "debug"))
    assert RUNS + "?" in debug["debug"]["requestUrl"] and debug["debug"]["resultCount"] == 2
    stream = builds(server, "list", "--format", "stream")
    assert stream.exit_code == 2 and "--format stream is for one build" in one_error_line(stream.stderr)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--fields", "steps"], "unknown field(s) for --fields: steps"),
        (["--exclude-field", "build"], "unknown field(s) to exclude: build"),
    ],
)
def test_job_fields_are_not_build_fields(server, args, said) -> None:
    result = builds(server, "list", *args)
    assert result.exit_code == 2 and said in one_error_line(result.stderr)
    assert "triggered_by" in result.stderr  # the valid names are the build's


def test_a_missing_param_names_it(server) -> None:
    result = run_cli("builds", "list", "-P", "github", "-p", "owner=o", "--base-url", server.url)
    assert result.exit_code == 2 and "repo_id" in one_error_line(result.stderr)


# --- builds get ----------------------------------------------------------------------------


def test_get_one_build_from_the_cassette() -> None:
    args = ["builds", "get", "3881497935", *PYGITHUB]
    with PLAYER.use_cassette("github/cassettes/get_build.yaml", allow_playback_repeats=True):
        unified = run_cli(*args)
        raw = run_cli(*args, "--format", "raw")
        stream = run_cli(*args, "--format", "stream")
        debug = run_cli(*args, "--format", "debug")
        picked = run_cli(*args, "--fields", "id,number,branch,attempts")
    build = out_json(unified)
    assert unified.exit_code == 0 and build["id"] == "3881497935" and build["workflow"].endswith("ci.yml")
    assert build["remote_data"]["run_attempt"] == 1
    assert raw.stdout_bytes == stream.stdout_bytes == cassette_body("github", "get_build")
    assert set(out_json(debug)) == {"result", "debug"}
    assert out_json(picked) == {
        "id": "3881497935",
        "number": "930",
        "branch": "feat/workflow-run",
        "attempts": 1,
    }


def test_several_builds_print_json_lines_and_a_failure_names_its_id(server) -> None:
    for r in (run(0), run(2)):
        server.route(f"{RUNS}/{r['id']}", Reply(body=json.dumps(r).encode()))
    result = builds(server, "get", "5000", "4999", "4998", "--fields", "id")
    assert result.exit_code == 5
    assert [row["id"] for row in lines(result)] == ["5000", "4998"]
    assert one_error_line(result.stderr).startswith("unci: error: 4999: github: build '4999' was not found")


def test_stream_takes_one_build(server) -> None:
    result = builds(server, "get", "1", "2", "--format", "stream")
    assert result.exit_code == 2 and "passes one build's body" in one_error_line(result.stderr)


# --- Jenkins: no filter of its own, builds by number newest first -------------------------------


def test_jenkins_builds_list_and_get_from_the_cassettes() -> None:
    with PLAYER.use_cassette("jenkins/cassettes/list_jobs.yaml") as tape:
        every = run_cli("builds", "list", *JENKINS, "--page-size", "1", "--all", "--fields", "id,number")
        assert tape.play_count == 3  # two pages of one build, then the empty page
    assert every.exit_code == 0, every.stderr
    assert [b["id"] for b in lines(every)] == ["31", "21"]
    with PLAYER.use_cassette("jenkins/cassettes/get_job_folders.yaml"):
        one = run_cli("builds", "get", "31", *JENKINS, "--fields", "id,status,conclusion")
    assert out_json(one) == {"id": "31", "status": "completed", "conclusion": "passed"}


def test_jenkins_since_is_applied_by_unci_and_stops_early() -> None:
    with PLAYER.use_cassette("jenkins/cassettes/list_jobs.yaml") as tape:
        first = run_cli("builds", "list", *JENKINS, "--page-size", "1", "--all", "--fields", "id")
        newest = json.loads(first.stdout.splitlines()[0])
        assert newest == {"id": "31"}
    build = json.loads(cassette_body("jenkins", "list_jobs", 0))["allBuilds"][0]
    from datetime import datetime, timezone

    started = datetime.fromtimestamp(build["timestamp"] / 1000, tz=timezone.utc)
    since = (started - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with PLAYER.use_cassette("jenkins/cassettes/list_jobs.yaml") as tape:
        result = run_cli("builds", "list", *JENKINS, "--page-size", "1", "--all", "--since", since)
        assert tape.play_count == 2  # the second page lies wholly before --since: no third
    assert [b["id"] for b in lines(result)] == ["31"]


def test_jenkins_jobs_are_not_found_through_builds() -> None:
    result = run_cli("jobs", "list", *JENKINS, "--since", "7d")
    assert result.exit_code == 11
    assert "list the builds with the same filters: unci builds list" in one_error_line(result.stderr)


# --- jobs list, finding its builds ---------------------------------------------------------------


def test_jobs_of_the_builds_that_match_from_the_cassette() -> None:
    args = ["jobs", "list", *PYGITHUB, "--branch", "master", "--since", "2020-05-20T23:59:00Z"]
    with PLAYER.use_cassette("github/cassettes/discover_jobs.yaml", allow_playback_repeats=True):
        page = run_cli(*args)
        every = run_cli(*args, "--all", "--fields", "id,build,name")
        rows = run_cli(*args, "-o", "csv", "--fields", "id,build")
    assert page.exit_code == 0, page.stderr
    found = out_json(page)
    assert [(j["id"], j["build"]) for j in found["result"]] == [
        ("1109323060", "110932306"),
        ("1109321590", "110932159"),
        ("1109321591", "110932159"),
    ]
    assert found["next_cursor"] is None
    assert [j["name"] for j in lines(every)] == ["build", "build", "test"]
    assert rows.stdout.splitlines() == [
        "id,build",
        "1109323060,110932306",
        "1109321590,110932159",
        "1109321591,110932159",
    ]


def test_jobs_come_build_by_build_in_order_however_fast_each_answers(server) -> None:
    runs = [run(i) for i in range(6)]
    serve_runs(server, runs, 3, jobs_per_run=2)
    # The newest build's jobs answer last; they are still printed first.
    jobs_of_newest = json.loads(server.routes[f"{RUNS}/5000/jobs"][0].body)
    server.route(f"{RUNS}/5000/jobs", Reply(body=json.dumps(jobs_of_newest).encode(), delay=0.3))
    since = stamp(NEWEST - timedelta(hours=4))
    expected = [build for build in ("5000", "4999", "4998", "4997", "4996") for _ in range(2)]
    for width in ("8", "1"):
        result = jobs(server, "--since", since, "--all", "--fields", "build", "--concurrency", width)
        assert [j["build"] for j in lines(result)] == expected
    # The run of 4995 is older than --since, and so is the page it is on: never asked for.
    assert f"{RUNS}/4995/jobs" not in {seen.path.split("?")[0] for seen in server.requests}


def test_one_page_is_the_jobs_of_one_page_of_builds_and_the_cursor_walks_on(server) -> None:
    serve_runs(server, [run(i) for i in range(5)], 2, jobs_per_run=2)
    first = jobs(server, "--branch", "main")
    assert [j["build"] for j in out_json(first)["result"]] == ["5000", "5000", "4999", "4999"]
    second = jobs(server, "--cursor", out_json(first)["next_cursor"])
    assert [j["build"] for j in out_json(second)["result"]] == ["4998", "4998", "4997", "4997"]
    third = jobs(server, "--cursor", out_json(second)["next_cursor"])
    assert [j["build"] for j in out_json(third)["result"]] == ["4996", "4996"]
    assert out_json(third)["next_cursor"] is None


def test_limit_cuts_inside_a_build_and_the_cursor_resumes_exactly(server) -> None:
    serve_runs(server, [run(i) for i in range(4)], 10, jobs_per_run=3)
    every = [j["id"] for j in lines(jobs(server, "--branch", "main", "--all", "--fields", "id"))]
    assert len(every) == 12
    seen, cursor = [], None
    while True:
        args = ["--limit", "5"] + (["--cursor", cursor] if cursor else ["--branch", "main"])
        page = out_json(jobs(server, *args))
        seen += [j["id"] for j in page["result"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == every


def test_a_build_and_the_filters_together_are_refused(server) -> None:
    result = jobs(server, "-p", "build=9", "--since", "7d")
    assert result.exit_code == 2
    assert "drop -p build to find the builds" in one_error_line(result.stderr)
    assert server.requests == []


def test_a_build_list_cursor_does_not_resume_a_job_walk(server) -> None:
    serve_runs(server, [run(i) for i in range(3)], 1, jobs_per_run=1)
    cursor = out_json(builds(server, "list"))["next_cursor"]
    result = jobs(server, "--cursor", cursor)
    # Genuine, of another kind of list: said so (it read "not one unci handed out").
    line = one_error_line(result.stderr)
    assert (
        result.exit_code == 2 and "this is the cursor of a build list, not of the jobs of the builds" in line
    )
    assert line.endswith("give it to unci builds list --cursor")


def test_raw_jobs_of_the_builds_that_match_are_refused_as_the_server_refuses_them(server) -> None:
    """Many job lists' bodies one after another are no one document; the server says a 400."""
    serve_runs(server, [run(0), run(1)], 10, jobs_per_run=2)
    result = jobs(server, "--since", "7d", "--format", "raw")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "unci: error: github: --format raw prints one provider body, and the jobs of the builds "
        "that match come from one job list per build; use --format unified, normalized or debug"
    )
    assert result.stdout == "" and server.requests == []


def test_with_a_build_jobs_list_is_as_before(server) -> None:
    serve_runs(server, [run(0)], 10, jobs_per_run=2)
    result = jobs(server, "-p", "build=5000")
    assert ids(result) == ["500000", "500001"]
    assert {seen.path.split("?")[0] for seen in server.requests} == {f"{RUNS}/5000/jobs"}


# --- start-up stays light ------------------------------------------------------------------


def test_builds_help_imports_no_http_stack() -> None:
    code = (
        "import sys\n"
        "from unci.cli import main\n"
        "for args in (['builds', '--help'], ['builds', 'list', '--help'], ['jobs', 'list', '--help']):\n"
        "    try: main(args)\n"
        "    except SystemExit: pass\n"
        "print(sorted({'httpx', 'msgspec', 'unci.client'} & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert "--since WHEN" in done.stdout and "unci builds list" in done.stdout
