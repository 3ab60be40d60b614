"""Azure DevOps: a job picked out of its build's timeline, PAT auth, collections, errors, listing."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any

import pytest

import unci
from helpers import cassette_body, out_json, run_cli
from unci.plugins import registry

TIMELINE = cassette_body("azure-devops", "get_job")
JOB_ID = "cfa20e98-6997-523c-4233-f0a7302c929f"
TASK_ID = "5e6d5dbf-ac69-5f56-8b85-8e9038703a8b"
PARAMS = {"organization": "johndoe", "project": "test-project", "build": "12"}
ARGS = [
    "jobs",
    "get",
    JOB_ID,
    "-P",
    "azure-devops",
    "-p",
    "organization=johndoe",
    "-p",
    "project=test-project",
    "-p",
    "build=12",
]
PAT = "5kq2m3wz7patpatpatpatpatpatpatpatpatpatpatpatpatpata"
TIMELINE_PATH = "/johndoe/test-project/_apis/build/builds/12/timeline?api-version=7.1"


def azure():
    """The provider object, as its entry point gives it."""
    return registry().load("azure-devops")


def map_payload(_: str, payload: bytes, job_id: str, params: dict[str, str]) -> unci.Job:
    return azure().map_job(payload, job_id, params)


@pytest.fixture(autouse=True)
def _no_pipeline_token(monkeypatch: pytest.MonkeyPatch) -> None:
    # Set inside every Azure Pipelines job; no _TOKEN suffix, so conftest's sweep misses it.
    monkeypatch.delenv("SYSTEM_ACCESSTOKEN", raising=False)


def with_job_fields(**changes: Any) -> bytes:
    """The real timeline with fields of its Job record changed (for status-table rows)."""
    data = json.loads(TIMELINE)
    next(r for r in data["records"] if r["id"] == JOB_ID).update(changes)
    return json.dumps(data).encode()


def job_record_bytes() -> bytes:
    start = TIMELINE.index(b'{"previousAttempts"')
    return TIMELINE[start : TIMELINE.index(b',{\n  "id": "5e6d', start)]


def test_the_job_record_is_picked_out_of_the_timeline() -> None:
    job = map_payload("azure-devops", TIMELINE, JOB_ID, PARAMS)
    assert job.id == JOB_ID and job.name == "deploy production" and job.build == "12"
    assert job.status == "completed" and job.conclusion == "passed" and job.attempts == 1
    # Seven fractional digits, rounded to microseconds, in UTC.
    assert job.started_at == datetime(2023, 2, 25, 6, 22, 36, 806667, tzinfo=timezone.utc)
    assert job.completed_at == datetime(2023, 2, 25, 6, 22, 43, 233333, tzinfo=timezone.utc)
    assert job.commit is None and job.branch is None and job.created_at is None
    # remote_data is the record's own bytes, not the whole timeline.
    assert bytes(job.remote_data) == job_record_bytes()


def test_job_ids_match_whatever_their_case() -> None:
    assert map_payload("azure-devops", TIMELINE, JOB_ID.upper(), PARAMS).id == JOB_ID


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("pending", "queued"),
        ("inProgress", "in_progress"),
        ("completed", "completed"),
        ("INPROGRESS", "in_progress"),
        ("paused", "paused"),
    ],
)
def test_state_rows(state: str, expected: str) -> None:
    assert map_payload("azure-devops", with_job_fields(state=state), JOB_ID, PARAMS).status == expected


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("succeeded", "passed"),
        ("succeededWithIssues", "partial"),
        ("failed", "failed"),
        ("canceled", "cancelled"),
        ("skipped", "skipped"),
        ("abandoned", "abandoned"),
        ("Succeeded", "passed"),
        (None, None),
    ],
)
def test_result_rows(result: str | None, expected: str | None) -> None:
    job = map_payload("azure-devops", with_job_fields(result=result), JOB_ID, PARAMS)
    assert job.conclusion == expected


def test_offsets_become_utc_and_retries_count_attempts() -> None:
    job = map_payload(
        "azure-devops",
        with_job_fields(startTime="2023-02-25T07:22:36+01:00", finishTime=None, attempt=2),
        JOB_ID,
        PARAMS,
    )
    assert job.started_at == datetime(2023, 2, 25, 6, 22, 36, tzinfo=timezone.utc)
    assert job.completed_at is None and job.attempts == 2


def test_an_id_not_in_the_timeline_is_not_found_and_lists_the_jobs() -> None:
    with pytest.raises(unci.NotFound) as info:
        map_payload("azure-devops", TIMELINE, "00000000-0000-0000-0000-000000000000", PARAMS)
    message = info.value.message
    assert "job '00000000-0000-0000-0000-000000000000' is not in the timeline of build 12" in message
    assert f"{JOB_ID} (deploy production)" in message
    assert info.value.remote_status == 404 and info.value.exit_code == 5


def test_a_task_id_is_not_a_job() -> None:
    with pytest.raises(unci.NotFound) as info:
        map_payload("azure-devops", TIMELINE, TASK_ID, PARAMS)
    assert (
        f"record '{TASK_ID}' of build 12 of johndoe/test-project is a Task record, not a Job"
        in info.value.message
    )


@pytest.mark.parametrize("body", [b"", b"null", b'{"records":[]}'])
def test_a_build_without_timeline_has_no_jobs(body: bytes) -> None:
    with pytest.raises(unci.NotFound, match="has no jobs in its timeline yet"):
        map_payload("azure-devops", body, JOB_ID, PARAMS)


def test_a_record_with_a_wrong_type_names_the_field() -> None:
    with pytest.raises(Exception) as info:
        map_payload("azure-devops", with_job_fields(attempt="first"), JOB_ID, PARAMS)
    assert "attempt" in str(info.value)


@pytest.mark.vcr("azure-devops/cassettes/get_job.yaml")
def test_cli_prints_the_unified_job() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 0, result.output
    job = out_json(result)
    assert job["id"] == JOB_ID and job["build"] == "12" and job["conclusion"] == "passed"
    assert job["started_at"] == "2023-02-25T06:22:36.806667Z"
    assert job["remote_data"]["identifier"] == "job_2.__default"
    assert "commit" not in job  # the timeline has none: left out


@pytest.mark.vcr("azure-devops/cassettes/get_job.yaml")
def test_raw_is_the_timeline_byte_for_byte() -> None:
    result = run_cli(*ARGS, "--format", "raw")
    assert result.exit_code == 0
    assert result.stdout_bytes == TIMELINE


@pytest.mark.vcr("azure-devops/cassettes/get_job.yaml")
def test_cli_job_not_in_timeline_exits_5() -> None:
    result = run_cli(*ARGS[:2], TASK_ID, *ARGS[3:])
    assert result.exit_code == 5
    assert "is a Task record, not a Job" in result.stderr and "Traceback" not in result.output


@pytest.mark.vcr("azure-devops/cassettes/get_job_server.yaml")
def test_server_collection_as_organization_under_the_server_root() -> None:
    args = [a.replace("organization=johndoe", "organization=DefaultCollection") for a in ARGS]
    result = run_cli(*args, "--base-url", "https://tfs.example.com/tfs")
    assert result.exit_code == 0, result.output
    assert out_json(result)["name"] == "deploy production"


@pytest.mark.vcr("azure-devops/cassettes/get_job_server.yaml")
def test_base_url_from_env() -> None:
    args = [a.replace("organization=johndoe", "organization=DefaultCollection") for a in ARGS]
    result = run_cli(*args, env={"UNCI_AZURE_DEVOPS_BASE_URL": "https://tfs.example.com/tfs/"})
    assert result.exit_code == 0, result.output


def test_pat_is_sent_as_basic_with_an_empty_user(server) -> None:
    from localserver import Reply

    server.route(TIMELINE_PATH, Reply(body=TIMELINE))
    unci.get_job("azure-devops", JOB_ID, params=PARAMS, token=PAT, base_url=server.url)
    unci.get_job("azure-devops", JOB_ID, params=PARAMS, base_url=server.url)
    sent = server.requests[0].headers
    assert server.requests[0].path == TIMELINE_PATH
    assert sent["Authorization"] == "Basic " + base64.b64encode(f":{PAT}".encode()).decode()
    assert sent["X-TFS-FedAuthRedirect"] == "Suppress"  # a 401, not a 203 sign-in page
    assert sent["User-Agent"].startswith("unci/")
    assert "Authorization" not in server.requests[1].headers


@pytest.mark.parametrize(
    "variable", ["AZURE_DEVOPS_EXT_PAT", "SYSTEM_ACCESSTOKEN", "UNCI_AZURE_DEVOPS_TOKEN"]
)
def test_token_variables(server, monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    from localserver import Reply

    server.route(TIMELINE_PATH, Reply(body=TIMELINE))
    monkeypatch.setenv(variable, PAT)
    result = run_cli(*ARGS, "--base-url", server.url)
    assert result.exit_code == 0, result.output
    expected = "Basic " + base64.b64encode(f":{PAT}".encode()).decode()
    assert server.requests[-1].headers["Authorization"] == expected


@pytest.mark.vcr("azure-devops/cassettes/not_found.yaml")
def test_missing_build_says_so() -> None:
    result = run_cli(
        "jobs",
        "get",
        JOB_ID,
        "-P",
        "azure-devops",
        "-p",
        "organization=johndoe",
        "-p",
        "project=test-project",
        "-p",
        "build=139106",
    )
    assert result.exit_code == 5
    assert "(HTTP 404): 'The requested build 139106 could not be found.'" in result.stderr


@pytest.mark.vcr("azure-devops/cassettes/bad_credentials.yaml")
def test_refused_pat_says_where_tokens_come_from() -> None:
    result = run_cli(*ARGS, "--token", PAT)
    assert result.exit_code == 4
    assert "token was refused: \"TF400813: The user '' is not authorized" in result.stderr
    assert "UNCI_AZURE_DEVOPS_TOKEN" in result.stderr and "AZURE_DEVOPS_EXT_PAT" in result.stderr
    assert PAT not in result.output


@pytest.mark.vcr("azure-devops/cassettes/bad_credentials.yaml")
def test_debug_error_never_shows_the_pat() -> None:
    result = run_cli(*ARGS, "--token", PAT, "--format", "debug")
    assert result.exit_code == 4
    assert PAT not in result.output
    assert base64.b64encode(f":{PAT}".encode()).decode() not in result.output


@pytest.mark.vcr("azure-devops/cassettes/bad_request.yaml")
def test_other_errors_show_the_message_of_the_error_body() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 6
    assert "HTTP 400" in result.stderr and "is not a valid local id." in result.stderr
    assert "typeName" not in result.stderr


def test_error_message_only_reads_the_error_body() -> None:
    for body in (b"", b"<html></html>", b"[1]", b'{"value": 1}'):
        assert azure().error_message(500, body) is None


def test_missing_params_are_all_named() -> None:
    result = run_cli("jobs", "get", JOB_ID, "-P", "azure-devops")
    assert result.exit_code == 2
    for name in ("organization", "project", "build"):
        assert f"-p {name}=..." in result.stderr


@pytest.mark.parametrize("build", ["20230225.1", "12a", "-1", "\uff11\uff12"])
def test_build_must_be_the_numeric_id(server, build: str) -> None:
    result = run_cli(*ARGS[:-1], f"build={build}", "--base-url", server.url)
    assert result.exit_code == 2, result.output
    assert "is not a build id" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize(
    ("job_id", "param", "project"),
    [
        ("../../x", "project=test-project", "test-project"),
        ("1?x=y", "project=a/b", "a%2Fb"),
        (JOB_ID, "project=My Project", "My%20Project"),
        (JOB_ID, "project=p?api-version=1", "p%3Fapi-version%3D1"),
    ],
)
def test_hostile_values_stay_in_their_segment(server, job_id: str, param: str, project: str) -> None:
    result = run_cli(
        "jobs",
        "get",
        job_id,
        "-P",
        "azure-devops",
        "-p",
        "organization=johndoe",
        "-p",
        param,
        "-p",
        "build=12",
        "--base-url",
        server.url,
    )
    assert result.exit_code == 5  # unknown route on the test server, or job not in the timeline
    # The job id never reaches the URL; the project stays one segment.
    assert server.requests[-1].path == TIMELINE_PATH.replace("test-project", project)


@pytest.mark.parametrize("org", ["..", "."])
def test_dot_organizations_are_refused(server, org: str) -> None:
    result = run_cli(
        "jobs",
        "get",
        JOB_ID,
        "-P",
        "azure-devops",
        "-p",
        f"organization={org}",
        "-p",
        "project=p",
        "-p",
        "build=1",
        "--base-url",
        server.url,
    )
    assert result.exit_code == 2 and server.requests == []


# --- listing -----------------------------------------------------------------------------


def test_list_is_every_job_record_of_the_timeline_on_one_page() -> None:
    request = azure().build_list_request(PARAMS, 5)
    assert request.path == "/johndoe/test-project/_apis/build/builds/12/timeline"
    assert request.query == [("api-version", "7.1")]
    assert request.headers == {"X-TFS-FedAuthRedirect": "Suppress"}
    page = azure().map_job_page(cassette_body("azure-devops", "list_jobs"), {}, PARAMS, request)
    assert [j.id for j in page.jobs] == [JOB_ID]  # the Task record is not a job
    assert page.jobs[0] == map_payload("azure-devops", TIMELINE, JOB_ID, PARAMS)
    assert page.next is None


def test_a_timeline_without_job_records_lists_nothing() -> None:
    for body in (cassette_body("azure-devops", "list_empty"), b"", b"null"):
        page = azure().map_job_page(body, {}, PARAMS, unci.Request(path="/x"))
        assert page.jobs == [] and page.next is None


@pytest.mark.vcr("azure-devops/cassettes/list_jobs.yaml")
def test_list_request_matches_the_cassette() -> None:
    from unci.call import check_params, prepare, resolve_target
    from unci.client import Client

    target = resolve_target("azure-devops")
    checked = check_params(target, PARAMS, "list")
    request = azure().build_list_request(checked, None)
    with Client() as client:
        answer = client.send(prepare(target, request, params=checked))
    page = azure().map_job_page(answer.body, answer.headers, checked, request)
    assert [j.name for j in page.jobs] == ["deploy production"]


def test_provider_description() -> None:
    info = registry().info("azure-devops")
    assert info.base_url == "https://dev.azure.com"
    assert info.token_env == ("AZURE_DEVOPS_EXT_PAT", "SYSTEM_ACCESSTOKEN")
    assert set(info.fields) == {
        "id",
        "name",
        "build",
        "status",
        "conclusion",
        "attempts",
        "started_at",
        "completed_at",
        "failure_reason",
        "steps",
    }


# --- mapping revision 2 --------------------------------------------------------------------


def test_the_jobs_task_records_are_its_steps() -> None:
    # The recorded Task belongs to another job: none of this job's steps.
    assert map_payload("azure-devops", TIMELINE, JOB_ID, PARAMS).steps == []
    data = json.loads(TIMELINE)
    task = next(r for r in data["records"] if r["type"] == "Task")
    task["parentId"] = JOB_ID.upper()
    data["records"].append(
        {
            **task,
            "id": "11111111-0000-0000-0000-000000000000",
            "name": "Checkout",
            "order": 0,
            "result": "failed",
        }
    )
    job = map_payload("azure-devops", json.dumps(data).encode(), JOB_ID, PARAMS)
    assert [(s.number, s.name, s.status, s.conclusion) for s in job.steps] == [
        (0, "Checkout", "completed", "failed"),
        (1, "Invoke REST API", "completed", "passed"),
    ]
    assert job.steps[1].started_at is not None and job.steps[1].started_at.tzinfo is not None


def test_failure_reason_is_the_jobs_error_issues() -> None:
    issues = [
        {"type": "warning", "message": "deprecated task"},
        {"type": "error", "message": "Bash exited with code '1'."},
        {"type": "error", "message": "The job was cancelled."},
    ]
    job = map_payload("azure-devops", with_job_fields(result="failed", issues=issues), JOB_ID, PARAMS)
    assert job.failure_reason == "Bash exited with code '1'.\nThe job was cancelled."
    warned = map_payload("azure-devops", with_job_fields(issues=issues[:1]), JOB_ID, PARAMS)
    assert warned.failure_reason is None
    assert map_payload("azure-devops", TIMELINE, JOB_ID, PARAMS).failure_reason is None
