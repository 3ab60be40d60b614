"""Jenkins: mapping per docs/mapping.md, folder paths, Basic auth, errors, listing with tree ranges."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, out_json, run_cli, with_fields
from unci.plugins import registry

JOB = cassette_body("jenkins", "get_job")
FOLDERS_JOB = cassette_body("jenkins", "get_job_folders")
ARGS = ["jobs", "get", "14", "-P", "jenkins", "-p", "job=jobbb"]
FOLDERS = "Test-jenkins-dir/test-jenkins-sub-dir/test-sub-sub-dir/devlake"
SELF_HOSTED = "https://ci.example.com/jenkins"
USER, TOKEN = "admin", "11a1b2c3d4e5f60718293a4b5c6d7e8f9a"


def jenkins():
    """The provider object, as its entry point gives it."""
    return registry().load("jenkins")


def map_payload(_: str, payload: bytes) -> unci.Job:
    return jenkins().map_job(payload, "", {})


@pytest.fixture(autouse=True)
def _no_jenkins_cli_user(monkeypatch: pytest.MonkeyPatch) -> None:
    # jenkins-cli's own variable; its _ID suffix escapes conftest's credential sweep.
    monkeypatch.delenv("JENKINS_USER_ID", raising=False)


def test_completed_build_is_completed_and_timed_from_timestamp_and_duration() -> None:
    job = map_payload("jenkins", JOB)
    assert job.id == "14" and job.name == "jobbb #14"
    assert job.status == "completed" and job.conclusion == "passed"
    assert job.started_at == datetime(2021, 8, 10, 21, 2, 55, 963000, tzinfo=timezone.utc)
    assert job.completed_at == datetime(2021, 8, 10, 21, 2, 55, 969000, tzinfo=timezone.utc)
    assert job.commit is None and job.branch is None  # no Git BuildData in this build
    assert job.build is None and job.attempts is None and job.created_at is None
    assert bytes(job.remote_data) == JOB


def test_building_is_in_progress_without_conclusion_or_end() -> None:
    # Run.getResult may hold an intermediate value while building: not a conclusion yet.
    job = map_payload("jenkins", with_fields(JOB, building=True, result="FAILURE", duration=0))
    assert job.status == "in_progress" and job.conclusion is None and job.completed_at is None
    assert job.started_at is not None


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("SUCCESS", "passed"),
        ("FAILURE", "failed"),
        ("ABORTED", "cancelled"),
        ("UNSTABLE", "partial"),
        ("NOT_BUILT", "skipped"),
        ("success", "passed"),
        ("CYCLED", "CYCLED"),
        (None, None),
    ],
)
def test_result_rows(result: str | None, expected: str | None) -> None:
    job = map_payload("jenkins", with_fields(JOB, result=result))
    assert job.status == "completed" and job.conclusion == expected


def test_git_revision_gives_commit_and_branch() -> None:
    job = map_payload("jenkins", FOLDERS_JOB)
    assert job.id == "31"
    assert job.name == "Test-jenkins-dir » test-jenkins-sub-dir » test-sub-sub-dir » devlake #31"
    assert job.commit == "0f886c74949c3ee7e489188911c7dc0c1d547418"
    assert job.branch == "main"  # refs/remotes/origin/main
    # DevLake's tree left `building` out; a build with a result has ended.
    assert job.status == "completed" and job.conclusion == "passed"
    assert job.completed_at == datetime(2022, 4, 15, 12, 0, 50, 748000, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("name", "branch"),
    [
        ("refs/remotes/origin/main", "main"),
        ("refs/remotes/upstream/feature/x", "feature/x"),
        ("origin/release/1.0", "release/1.0"),
        ("refs/heads/dev", "dev"),
        ("PR-5", "PR-5"),
        ("fork/topic", "fork/topic"),
    ],
)
def test_branch_names_lose_their_remote(name: str, branch: str) -> None:
    actions = [
        {},
        {
            "_class": "hudson.plugins.git.util.BuildData",
            "lastBuiltRevision": {"SHA1": "abc", "branch": [{"SHA1": "abc", "name": name}]},
        },
    ]
    assert map_payload("jenkins", with_fields(JOB, actions=actions)).branch == branch


def test_build_without_a_number_names_the_field() -> None:
    with pytest.raises(Exception) as info:
        map_payload("jenkins", with_fields(JOB, number="fourteen"))
    assert "number" in str(info.value)


@pytest.mark.vcr("jenkins/cassettes/get_job.yaml")
def test_cli_prints_the_unified_job() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 0, result.output
    job = out_json(result)
    assert job["id"] == "14" and job["status"] == "completed" and job["conclusion"] == "passed"
    assert job["started_at"] == "2021-08-10T21:02:55.963Z"
    assert job["remote_data"]["queueId"] == 429
    assert "commit" in job and job["commit"] is None  # supported, absent here: null
    assert "attempts" not in job  # Jenkins cannot supply it: left out


@pytest.mark.vcr("jenkins/cassettes/get_job.yaml")
def test_raw_is_byte_for_byte() -> None:
    result = run_cli(*ARGS, "--format", "raw")
    assert result.exit_code == 0
    assert result.stdout_bytes == JOB


@pytest.mark.vcr("jenkins/cassettes/get_job_folders.yaml")
def test_folders_and_a_context_path_through_the_cli() -> None:
    result = run_cli(
        "jobs", "get", "31", "-P", "jenkins", "-p", f"job={FOLDERS}", "--base-url", SELF_HOSTED + "/"
    )
    assert result.exit_code == 0, result.output
    assert out_json(result)["branch"] == "main"


@pytest.mark.vcr("jenkins/cassettes/get_job_folders.yaml")
def test_base_url_from_env() -> None:
    result = run_cli(
        "jobs",
        "get",
        "31",
        "-P",
        "jenkins",
        "-p",
        f"job={FOLDERS}",
        env={"UNCI_JENKINS_BASE_URL": SELF_HOSTED},
    )
    assert result.exit_code == 0, result.output
    assert out_json(result)["id"] == "31"


def test_basic_auth_with_user_and_api_token_is_sent(server) -> None:
    from localserver import Reply

    server.route("/job/jobbb/14/api/json", Reply(body=JOB))
    unci.get_job("jenkins", "14", params={"job": "jobbb"}, username=USER, token=TOKEN, base_url=server.url)
    unci.get_job("jenkins", "14", params={"job": "jobbb"}, base_url=server.url)
    sent = server.requests[0].headers
    assert sent["Authorization"] == "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
    assert sent["User-Agent"].startswith("unci/")
    assert "Authorization" not in server.requests[1].headers  # anonymous read


def test_credentials_from_the_conventional_variables(server) -> None:
    from localserver import Reply

    server.route("/job/jobbb/14/api/json", Reply(body=JOB))
    result = run_cli(*ARGS, "--base-url", server.url, env={"JENKINS_USER": "ci", "JENKINS_API_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    expected = "Basic " + base64.b64encode(f"ci:{TOKEN}".encode()).decode()
    assert server.requests[-1].headers["Authorization"] == expected
    result = run_cli(
        *ARGS, "--base-url", server.url, env={"UNCI_JENKINS_USERNAME": "u", "UNCI_JENKINS_PASSWORD": "pw"}
    )
    assert result.exit_code == 0, result.output
    assert server.requests[-1].headers["Authorization"] == "Basic " + base64.b64encode(b"u:pw").decode()


@pytest.mark.parametrize(
    ("flags", "missing"),
    [(["--token", TOKEN], "user name is missing"), (["--username", USER], "API token is missing")],
)
def test_half_a_credential_is_a_clear_usage_error(server, flags: list[str], missing: str) -> None:
    result = run_cli(*ARGS, "--base-url", server.url, *flags)
    assert result.exit_code == 2, result.output
    assert missing in result.stderr and "Traceback" not in result.output
    assert TOKEN not in result.output
    assert server.requests == []


@pytest.mark.vcr("jenkins/cassettes/not_found.yaml")
def test_not_found_reads_the_jetty_page() -> None:
    result = run_cli("jobs", "get", "999", "-P", "jenkins", "-p", "job=jobbb")
    assert result.exit_code == 5
    where = "http://localhost:8080/job/jobbb/999/api/json"
    assert f"job '999' was not found at {where} (HTTP 404): 'Not Found'" in result.stderr
    assert "<html>" not in result.stderr


@pytest.mark.vcr("jenkins/cassettes/bad_credentials.yaml")
def test_refused_token_reads_the_jetty_page_and_never_shows_the_token() -> None:
    result = run_cli(*ARGS, "--username", USER, "--token", TOKEN)
    assert result.exit_code == 4
    assert "token was refused: 'Invalid password/token for user: anonymous'" in result.stderr
    assert "JENKINS_API_TOKEN" in result.stderr
    assert TOKEN not in result.output


@pytest.mark.vcr("jenkins/cassettes/bad_credentials.yaml")
def test_debug_and_json_errors_hide_the_token() -> None:
    result = run_cli(*ARGS, "--username", USER, "--token", TOKEN, "--error-format", "json")
    assert result.exit_code == 4
    assert TOKEN not in result.output
    assert base64.b64encode(f"{USER}:{TOKEN}".encode()).decode() not in result.output


def test_error_message_without_html_is_left_to_the_core() -> None:
    assert jenkins().error_message(500, b"") is None
    tomcat = b"<html><head><title>HTTP Status 401 - Bad credentials</title></head></html>"
    assert jenkins().error_message(401, tomcat) == "Bad credentials"


def test_missing_job_param_is_named() -> None:
    result = run_cli("jobs", "get", "14", "-P", "jenkins")
    assert result.exit_code == 2
    assert "job (the job's full name" in result.stderr and "-p job=..." in result.stderr


@pytest.mark.parametrize(
    ("job", "path"),
    [
        ("folder/sub/name", "/job/folder/job/sub/job/name/7/api/json"),
        ("my job", "/job/my%20job/7/api/json"),
        ("a?x=y/b#c", "/job/a%3Fx%3Dy/job/b%23c/7/api/json"),
        ("%2e%2e/x", "/job/%252e%252e/job/x/7/api/json"),
        ("这是一个任务", "/job/%E8%BF%99%E6%98%AF%E4%B8%80%E4%B8%AA%E4%BB%BB%E5%8A%A1/7/api/json"),
    ],
)
def test_each_part_of_the_job_path_is_its_own_segment(server, job: str, path: str) -> None:
    run_cli("jobs", "get", "7", "-P", "jenkins", "-p", f"job={job}", "--base-url", server.url)
    assert server.requests[-1].path == path


@pytest.mark.parametrize(
    ("job_id", "encoded"),
    [
        ("../../user", "..%2F..%2Fuser"),
        ("1?x=y", "1%3Fx%3Dy"),
        ("1#frag", "1%23frag"),
        ("lastBuild", "lastBuild"),
        ("{1}", "%7B1%7D"),
    ],
)
def test_hostile_ids_stay_in_one_segment(server, job_id: str, encoded: str) -> None:
    result = run_cli("jobs", "get", job_id, "-P", "jenkins", "-p", "job=a/b", "--base-url", server.url)
    assert result.exit_code == 5  # the test server knows no such route: the request went where we said
    assert server.requests[-1].path == f"/job/a/job/b/{encoded}/api/json"


@pytest.mark.parametrize("job", ["a//b", "../x", "a/./b", "/a", "a/"])
def test_job_paths_with_empty_or_dot_parts_are_refused(server, job: str) -> None:
    result = run_cli("jobs", "get", "1", "-P", "jenkins", "-p", f"job={job}", "--base-url", server.url)
    assert result.exit_code == 2, result.output
    assert "empty or dot" in result.stderr
    assert server.requests == []


# --- listing -----------------------------------------------------------------------------


def _pages(params: dict[str, str], limit: int | None, base_url: str) -> list[unci.Page]:
    """Walk every page the way the core's list command will: hooks, then the next request."""
    from unci.call import check_params, prepare, resolve_target
    from unci.client import Client

    target = resolve_target("jenkins", base_url=base_url)
    checked = check_params(target, params, "list")
    request = jenkins().build_list_request(checked, limit)
    pages = []
    with Client() as client:
        while request is not None:
            answer = client.send(prepare(target, request, params=checked))
            page = jenkins().map_job_page(answer.body, answer.headers, checked, request)
            pages.append(page)
            request = page.next
    return pages


@pytest.mark.vcr("jenkins/cassettes/list_jobs.yaml")
def test_list_pages_through_tree_ranges() -> None:
    pages = _pages({"job": FOLDERS}, 1, SELF_HOSTED)
    assert [[j.id for j in p.jobs] for p in pages] == [["31"], ["21"], []]
    assert pages[0].jobs[0].commit == "0f886c74949c3ee7e489188911c7dc0c1d547418"
    assert pages[1].jobs[0].conclusion == "passed" and pages[-1].next is None


def test_list_request_asks_for_a_range_of_all_builds() -> None:
    first = jenkins().build_list_request({"job": "a b/c"}, None)
    assert first.path == "/job/a%20b/job/c/api/json"
    ((name, tree),) = first.query
    assert name == "tree" and tree.startswith("allBuilds[number,") and tree.endswith("]{0,100}")
    assert "building" in tree and "lastBuiltRevision[SHA1,branch[name]]" in tree
    capped = jenkins().build_list_request({"job": "c"}, 5000)
    assert capped.query[0][1].endswith("{0,100}")
    one = jenkins().build_list_request({"job": "c"}, 1)
    page = jenkins().map_job_page(cassette_body("jenkins", "list_jobs"), {}, {"job": "c"}, one)
    assert page.next.path == "/job/c/api/json" and page.next.query[0][1].endswith("{1,2}")


@pytest.mark.vcr("jenkins/cassettes/list_short.yaml")
def test_a_short_page_is_the_last() -> None:
    pages = _pages({"job": "jobbb"}, None, "http://localhost:8080")
    assert len(pages) == 1 and pages[0].next is None
    (job,) = pages[0].jobs
    assert job.id == "1" and job.status is None and job.name is None  # allBuilds[number,url] only


@pytest.mark.vcr("jenkins/cassettes/list_empty.yaml")
def test_a_job_never_built_lists_nothing() -> None:
    pages = _pages({"job": "jobbb"}, None, "http://localhost:8080")
    assert len(pages) == 1 and pages[0].jobs == [] and pages[0].next is None


def test_provider_description() -> None:
    info = registry().info("jenkins")
    assert info.base_url == "http://localhost:8080" and info.token_env == ("JENKINS_API_TOKEN",)
    assert "JENKINS_USER" in info.username_env
    assert set(info.fields) == {
        "id",
        "name",
        "status",
        "conclusion",
        "commit",
        "branch",
        "started_at",
        "completed_at",
        "url",
        "steps",  # a Pipeline's stages, on request (--steps)
    }


# --- mapping revision 2 --------------------------------------------------------------------

TIMEOUT_CAUSE = "org.jenkinsci.plugins.workflow.steps.TimeoutStepExecution$ExceededTimeout"


def _interrupted(*causes: str) -> dict:
    return {"_class": "jenkins.model.InterruptedBuildAction", "causes": [{"_class": c} for c in causes]}


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ([_interrupted(TIMEOUT_CAUSE)], "timeout"),
        ([_interrupted("hudson.plugins.build_timeout.BuildTimeOutStrategy$TimeOutCause")], "timeout"),
        ([_interrupted("jenkins.model.CauseOfInterruption$UserInterruption")], "cancelled"),
        ([], "cancelled"),
        # A timeout named by some other action is not what interrupted the build.
        ([{"_class": "hudson.model.CauseAction", "causes": [{"_class": "TimerTriggerCause"}]}], "cancelled"),
    ],
)
def test_aborted_by_a_timeout_is_timeout_other_aborts_are_cancelled(actions, expected) -> None:
    job = map_payload("jenkins", with_fields(JOB, result="ABORTED", actions=actions))
    assert job.conclusion == expected


def test_a_timeout_cause_on_a_passed_build_changes_nothing() -> None:
    job = map_payload("jenkins", with_fields(JOB, actions=[_interrupted(TIMEOUT_CAUSE)]))
    assert job.conclusion == "passed"


def test_name_falls_back_to_display_name() -> None:
    data = json.loads(JOB)
    del data["fullDisplayName"]
    assert map_payload("jenkins", json.dumps(data).encode()).name == "#14"


def test_url_is_the_builds_own_page() -> None:
    assert map_payload("jenkins", JOB).url == "http://localhost:8080/job/jobbb/14/"


def _build_data(sha: str, branch: str | None) -> dict:
    revision: dict = {"SHA1": sha}
    if branch is not None:
        revision["branch"] = [{"SHA1": sha, "name": branch}]
    return {"_class": "hudson.plugins.git.util.BuildData", "lastBuiltRevision": revision}


def test_several_git_checkouts_take_commit_and_branch_from_the_first() -> None:
    # A Pipeline checks out its own repository before a shared library; both are recorded.
    actions = [
        _build_data("aaa", "refs/remotes/origin/main"),
        _build_data("bbb", "refs/remotes/origin/lib-branch"),
    ]
    job = map_payload("jenkins", with_fields(JOB, actions=actions))
    assert (job.commit, job.branch) == ("aaa", "main")
    # Never the commit of one checkout with the branch of another.
    actions = [_build_data("aaa", None), _build_data("bbb", "refs/remotes/origin/lib-branch")]
    job = map_payload("jenkins", with_fields(JOB, actions=actions))
    assert (job.commit, job.branch) == ("aaa", None)


def test_a_tree_without_building_is_not_finished_until_there_is_a_result() -> None:
    data = json.loads(JOB)
    del data["building"]
    data["result"] = None
    job = map_payload("jenkins", json.dumps(data).encode())
    assert job.status is None and job.conclusion is None and job.completed_at is None


# --- builds ------------------------------------------------------------------------------


def test_a_build_is_the_same_run_with_its_number() -> None:
    build = jenkins().map_build(FOLDERS_JOB, "31", {"job": FOLDERS})
    assert (build.id, build.number) == ("31", "31")
    assert build.name == "Test-jenkins-dir » test-jenkins-sub-dir » test-sub-sub-dir » devlake #31"
    assert (build.status, build.conclusion) == ("completed", "passed")
    assert build.commit == "0f886c74949c3ee7e489188911c7dc0c1d547418" and build.branch == "main"
    assert build.started_at == datetime(2022, 4, 15, 12, 0, 49, 161000, tzinfo=timezone.utc)
    assert build.completed_at == datetime(2022, 4, 15, 12, 0, 50, 748000, tzinfo=timezone.utc)
    # Jenkins has no repository, trigger or actor fields (only free-text causes).
    assert build.repo is None and build.trigger is None and build.triggered_by is None


def test_build_requests_address_the_run_and_page_by_tree_range() -> None:
    get = jenkins().build_build_request("31", {"job": "a/b"})
    assert get.path == "/job/a/job/b/31/api/json"
    first = jenkins().build_builds_request({"job": "a/b"}, unci.BuildQuery(branch="main"), 1)
    assert first.path == "/job/a/job/b/api/json" and first.query[0][1].endswith("]{0,1}")
    page = jenkins().map_build_page(cassette_body("jenkins", "list_jobs"), {}, {"job": "a/b"}, first)
    assert [b.id for b in page.builds] == ["31"]
    assert page.next is not None and page.next.query[0][1].endswith("]{1,2}")
    last = jenkins().map_build_page(cassette_body("jenkins", "list_empty"), {}, {"job": "a/b"}, page.next)
    assert last.builds == [] and last.next is None


# --- stages and logs -----------------------------------------------------------------------


def test_pipeline_stages_are_the_steps() -> None:
    request = jenkins().build_steps_request("16", {"job": "pipe"})
    assert request.path == "/job/pipe/16/wfapi/describe"
    steps = jenkins().map_steps(cassette_body("jenkins", "steps"), "16", {"job": "pipe"})
    assert [(s.number, s.name, s.status, s.conclusion) for s in steps] == [
        (1, "Build", "completed", "passed"),
        (2, "Test", "completed", "failed"),
        (3, "Deploy", "in_progress", None),
    ]
    assert steps[0].started_at == datetime(2014, 10, 16, 12, 7, 55, 770000, tzinfo=timezone.utc)
    assert steps[0].completed_at == datetime(2014, 10, 16, 12, 8, 0, 998000, tzinfo=timezone.utc)
    assert steps[2].started_at is not None and steps[2].completed_at is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("NOT_EXECUTED", ("completed", "skipped")),
        ("ABORTED", ("completed", "cancelled")),
        ("UNSTABLE", ("completed", "partial")),
        ("IN_PROGRESS", ("in_progress", None)),
    ],
)
def test_stage_status_rows(status: str, expected: tuple) -> None:
    body = json.dumps({"stages": [{"name": "x", "status": status}]}).encode()
    (step,) = jenkins().map_steps(body, "1", {"job": "pipe"})
    assert (step.status, step.conclusion) == expected and step.started_at is None


def test_the_log_is_the_console_text() -> None:
    request = jenkins().build_log_request("14", {"job": "team/jobbb"})
    assert request.path == "/job/team/job/jobbb/14/consoleText"
