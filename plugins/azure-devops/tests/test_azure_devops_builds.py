"""Azure DevOps builds as unified Builds, and the jobs' revision-2 rules (docs/mapping.md)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, out_json, run_cli, with_fields
from unci.plugins import registry

BUILD = cassette_body("azure-devops", "get_build")
TIMELINE = cassette_body("azure-devops", "get_job")
JOB_ID = "cfa20e98-6997-523c-4233-f0a7302c929f"
PROJECT = {"organization": "johndoe", "project": "test-project"}


@pytest.fixture(autouse=True)
def _no_pipeline_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYSTEM_ACCESSTOKEN", raising=False)


def azure():
    return registry().load("azure-devops")


def build(payload: bytes) -> unci.Build:
    return azure().map_build(payload, "", PROJECT)


# --- jobs: revision 2 -------------------------------------------------------------------------


def test_absent_keys_of_supported_fields_are_null_in_unified_output(server) -> None:
    from localserver import Reply

    data = json.loads(TIMELINE)
    record = next(r for r in data["records"] if r["id"] == JOB_ID)
    for key in ("startTime", "finishTime", "attempt", "name", "issues", "result"):
        record.pop(key, None)
    server.route(
        "/johndoe/test-project/_apis/build/builds/12/timeline", Reply(body=json.dumps(data).encode())
    )
    result = run_cli(
        "jobs", "get", JOB_ID, "-P", "azure-devops", "-p", "organization=johndoe",
        "-p", "project=test-project", "-p", "build=12", "--base-url", server.url, "--token", "pat",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    job = out_json(result)
    for field in ("started_at", "completed_at", "attempts", "name", "failure_reason", "conclusion"):
        assert field in job and job[field] is None, field
    assert job["build"] == "12" and "url" not in job  # a timeline record has no page of its own


def test_a_job_is_a_record_of_its_builds_timeline() -> None:
    job = azure().map_job(TIMELINE, JOB_ID, {**PROJECT, "build": "12"})
    assert job.build == build(BUILD).id == "12"


# --- builds -------------------------------------------------------------------------------------


def test_fields_of_a_real_build() -> None:
    b = build(BUILD)
    assert (b.id, b.number, b.name, b.workflow) == ("12", "azure-job", "deploy_to_prod", "5")
    assert (b.status, b.conclusion, b.trigger) == ("completed", "passed", "web")
    assert b.triggered_by == "john.dow@merico.dev"
    assert b.branch == "main" and b.commit == "40c59264e73fc5e1a6cab192f1622d26b7bd5c2a"
    assert b.repo == "johndoe/test-repo"  # a GitHub repository: its id is owner/name
    assert b.created_at == datetime(2023, 2, 25, 6, 22, 21, 223763, tzinfo=timezone.utc)
    assert b.started_at == datetime(2023, 2, 25, 6, 22, 32, 809779, tzinfo=timezone.utc)
    assert b.completed_at == datetime(2023, 2, 25, 6, 23, 4, 6188, tzinfo=timezone.utc)
    assert b.updated_at is not None and b.attempts is None
    # No _links in this capture: the results page is built from the build's API url.
    assert (
        b.url
        == "https://dev.azure.com/johndoe/0d50ba13-f9ad-49b0-9b21-d29eda50ca33/_build/results?buildId=12"
    )


def test_the_web_link_is_preferred() -> None:
    web = {"web": {"href": "https://dev.azure.com/johndoe/test-project/_build/results?buildId=12"}}
    assert build(with_fields(BUILD, _links=web)).url == web["web"]["href"]
    assert build(with_fields(BUILD, url=None)).url is None


@pytest.mark.parametrize(
    ("status", "result", "expected"),
    [
        ("notStarted", None, ("queued", None)),
        ("postponed", None, ("queued", None)),
        ("inProgress", None, ("in_progress", None)),
        ("cancelling", None, ("in_progress", None)),
        ("completed", "succeeded", ("completed", "passed")),
        ("completed", "partiallySucceeded", ("completed", "partial")),
        ("completed", "failed", ("completed", "failed")),
        ("completed", "canceled", ("completed", "cancelled")),
        ("completed", "none", ("completed", "none")),
        ("none", None, ("none", None)),
    ],
)
def test_status_and_result_rows(status: str, result: str | None, expected: tuple) -> None:
    b = build(with_fields(BUILD, status=status, result=result))
    assert (b.status, b.conclusion) == expected


@pytest.mark.parametrize(
    ("reason", "trigger"),
    [
        ("individualCI", "push"),
        ("batchedCI", "push"),
        ("pullRequest", "merge_request"),
        ("schedule", "cron"),
        ("manual", "web"),
        ("validateShelveset", "validateShelveset"),
        ("resourceTrigger", "resourceTrigger"),
    ],
)
def test_trigger_rows(reason: str, trigger: str) -> None:
    assert build(with_fields(BUILD, reason=reason)).trigger == trigger


@pytest.mark.parametrize(
    ("ref", "branch"),
    [
        ("refs/heads/main", "main"),
        ("refs/heads/feature/x", "feature/x"),
        ("refs/tags/v1.0", None),
        ("refs/pull/7/merge", None),
        ("$/Fabrikam/Main", "$/Fabrikam/Main"),
    ],
)
def test_branch_rows(ref: str, branch: str | None) -> None:
    assert build(with_fields(BUILD, sourceBranch=ref)).branch == branch


def test_filters_azure_applies_itself_are_sent() -> None:
    query = unci.BuildQuery(
        branch="main",
        status="completed",
        conclusion="partial",
        since=datetime(2023, 2, 25, tzinfo=timezone.utc),
        until=datetime(2023, 2, 26, tzinfo=timezone.utc),
    )
    sent = azure().build_builds_request(PROJECT, query, 500).query
    assert sent == [
        ("api-version", "7.1"),
        ("queryOrder", "queueTimeDescending"),
        ("branchName", "refs/heads/main"),
        ("statusFilter", "completed"),
        ("resultFilter", "partiallySucceeded"),
        ("minTime", "2023-02-25T00:00:00.000000Z"),
        ("maxTime", "2023-02-26T00:00:00.000000Z"),
        ("$top", "100"),
    ]


@pytest.mark.parametrize(
    ("status", "conclusion"), [("in_progress", None), ("queued", None), (None, "timeout")]
)
def test_words_with_several_azure_words_are_left_to_the_core(
    status: str | None, conclusion: str | None
) -> None:
    sent = dict(
        azure().build_builds_request(PROJECT, unci.BuildQuery(status=status, conclusion=conclusion), 5).query
    )
    assert "statusFilter" not in sent and "resultFilter" not in sent


def test_a_build_id_must_be_numeric() -> None:
    with pytest.raises(unci.InvalidParam, match="not a build id; give the number after buildId="):
        unci.get_build("azure-devops", "20240101.1", params=PROJECT, token="pat")


@pytest.mark.vcr("azure-devops/cassettes/get_build.yaml")
def test_get_build_through_the_api() -> None:
    b = unci.get_build("azure-devops", "12", params=PROJECT, token="pat")
    assert b.provider == "azure-devops" and b.number == "azure-job" and b.conclusion == "passed"


@pytest.mark.vcr("azure-devops/cassettes/list_builds.yaml")
def test_list_builds_pages_with_the_continuation_token() -> None:
    first = unci.list_builds("azure-devops", params=PROJECT, limit=4, token="pat")
    assert [b.id for b in first.result] == ["18", "17", "16", "15"] and first.next_cursor
    assert [b.status for b in first.result] == ["completed", "queued", "in_progress", "completed"]
    second = unci.list_builds("azure-devops", params=PROJECT, limit=4, cursor=first.next_cursor, token="pat")
    assert [b.id for b in second.result] == ["14", "13", "12"] and second.next_cursor is None


@pytest.mark.vcr("azure-devops/cassettes/list_builds_filtered.yaml")
def test_list_builds_sends_branch_result_and_times() -> None:
    page = unci.list_builds(
        "azure-devops",
        params=PROJECT,
        branch="main",
        conclusion="passed",
        since="2023-02-25",
        until="2023-02-26T00:00:00Z",  # the recorded maxTime (a date alone is the whole day)
        token="pat",
    )
    assert [b.id for b in page.result] == ["15", "14", "13", "12"] and page.next_cursor is None
