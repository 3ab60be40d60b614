"""GitLab pipelines as unified Builds, and the jobs' revision-2 rules (docs/mapping.md)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, map_payload, out_json, run_cli, with_fields
from unci.plugins import registry

PIPELINE = cassette_body("gitlab", "get_build")
TIMEOUT_JOB = cassette_body("gitlab", "get_job_timeout")
JOB = cassette_body("gitlab", "get_job")
PARAMS = {"project": "12345678"}


def build(payload: bytes) -> unci.Build:
    return registry().load("gitlab").map_build(payload, "", PARAMS)


# --- jobs: revision 2 -------------------------------------------------------------------------


def test_a_job_carries_its_page_and_failure_reason() -> None:
    job = map_payload("gitlab", TIMEOUT_JOB)
    assert job.url == "https://example.com/foo/bar/-/jobs/6"
    assert job.failure_reason == "stuck_or_timeout_failure"


@pytest.mark.parametrize(
    ("reason", "conclusion"),
    [
        ("stuck_or_timeout_failure", "timeout"),
        ("job_execution_timeout", "timeout"),
        ("job_execution_server_timeout", "timeout"),  # one of the reasons GitLab 19.0 split out
        ("runner_timeout", "timeout"),
        ("script_failure", "failed"),
        ("runner_system_failure", "failed"),
        (None, "failed"),
    ],
)
def test_a_failed_job_whose_reason_names_a_timeout_timed_out(reason: str | None, conclusion: str) -> None:
    job = map_payload("gitlab", with_fields(TIMEOUT_JOB, failure_reason=reason))
    assert (job.status, job.conclusion, job.failure_reason) == ("completed", conclusion, reason)


def test_a_timeout_reason_on_a_job_that_did_not_fail_changes_nothing() -> None:
    job = map_payload("gitlab", with_fields(TIMEOUT_JOB, status="canceled"))
    assert job.conclusion == "cancelled"


def test_a_job_without_a_pipeline_has_no_build() -> None:
    body = json.loads(TIMEOUT_JOB)
    del body["pipeline"]
    job = map_payload("gitlab", json.dumps(body).encode())
    assert job.build is None and job.commit == "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd"


def test_a_tag_job_has_no_branch() -> None:
    assert map_payload("gitlab", with_fields(TIMEOUT_JOB, ref="v1.2.0", tag=True)).branch is None


def test_a_merge_request_ref_is_not_a_branch() -> None:
    assert map_payload("gitlab", with_fields(TIMEOUT_JOB, ref="refs/merge-requests/74/head")).branch is None


def test_an_unknown_failure_reason_passes_through_raw() -> None:
    job = map_payload("gitlab", with_fields(TIMEOUT_JOB, failure_reason="Brand_New_Reason"))
    assert job.failure_reason == "Brand_New_Reason" and job.conclusion == "failed"


def test_absent_keys_of_supported_fields_are_null_in_unified_output(server) -> None:
    from localserver import Reply

    body = json.loads(TIMEOUT_JOB)
    for key in ("started_at", "finished_at", "web_url", "failure_reason", "pipeline", "commit", "ref"):
        del body[key]
    server.route("/projects/1/jobs/6", Reply(body=json.dumps(body).encode()))
    result = run_cli("jobs", "get", "6", "-P", "gitlab", "-p", "project=1", "--base-url", server.url)
    assert result.exit_code == 0, result.output
    job = out_json(result)
    for field in ("started_at", "completed_at", "url", "failure_reason", "build", "commit", "branch"):
        assert field in job and job[field] is None, field
    assert "attempts" not in job and "steps" not in job  # GitLab supplies neither


@pytest.mark.vcr("gitlab/cassettes/get_job_timeout.yaml")
def test_cli_shows_url_failure_reason_and_timeout() -> None:
    result = run_cli("jobs", "get", "6", "-P", "gitlab", "-p", "project=1", "--format", "normalized")
    assert result.exit_code == 0, result.output
    row = out_json(result)
    assert row["conclusion"] == "timeout" and row["failure_reason"] == "stuck_or_timeout_failure"
    assert row["url"] == "https://example.com/foo/bar/-/jobs/6"


# --- builds -------------------------------------------------------------------------------------


def test_fields_of_a_real_pipeline() -> None:
    b = build(PIPELINE)
    assert (b.id, b.number, b.repo) == ("1079558335", "36250", "merico-dev/ee/vdev.co")
    assert (b.status, b.conclusion) == ("completed", "passed")  # "passed with warnings" is success
    assert (b.trigger, b.triggered_by) == ("merge_request", "zhangxiaoming2")
    assert b.branch is None  # refs/merge-requests/5522/head names no branch
    assert b.commit and len(b.commit) == 40 and b.attempts is None and b.workflow is None
    assert b.url == "https://gitlab.com/merico-dev/ee/vdev.co/-/pipelines/1079558335"
    assert b.started_at == datetime(2023, 11, 21, 3, 33, 12, 402000, tzinfo=timezone.utc)
    assert b.completed_at == datetime(2023, 11, 21, 4, 4, 25, 654000, tzinfo=timezone.utc)
    assert b.created_at and b.updated_at and b.created_at.tzinfo is timezone.utc


def test_a_push_pipeline_on_a_branch_and_a_tag_pipeline() -> None:
    b = build(with_fields(PIPELINE, ref="main", source="push"))
    assert (b.branch, b.trigger) == ("main", "push")
    assert build(with_fields(PIPELINE, ref="v1.0.0", tag=True)).branch is None


@pytest.mark.parametrize(
    ("source", "trigger"),
    [
        ("push", "push"),
        ("merge_request_event", "merge_request"),
        ("external_pull_request_event", "merge_request"),
        ("schedule", "cron"),
        ("api", "api"),
        ("web", "web"),
        ("trigger", "trigger"),
        ("parent_pipeline", "parent_pipeline"),
        ("external", "external"),
    ],
)
def test_trigger_rows(source: str, trigger: str) -> None:
    assert build(with_fields(PIPELINE, source=source)).trigger == trigger


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("created", ("queued", None)),
        ("manual", ("queued", None)),
        ("running", ("in_progress", None)),
        ("failed", ("completed", "failed")),
        ("canceled", ("completed", "cancelled")),
        ("skipped", ("completed", "skipped")),
        ("canceling", ("canceling", None)),
    ],
)
def test_status_rows(status: str, expected: tuple[str, str | None]) -> None:
    b = build(with_fields(PIPELINE, status=status))
    assert (b.status, b.conclusion) == expected


def test_list_items_lack_user_start_and_finish() -> None:
    gitlab = registry().load("gitlab")
    request = gitlab.build_builds_request(PARAMS, unci.BuildQuery(), 5)
    page = gitlab.map_build_page(
        cassette_body("gitlab", "list_builds"), {"x-next-page": "2"}, PARAMS, request
    )
    first = page.builds[0]
    assert first.id == "485932863" and first.number == "20" and first.conclusion == "passed"
    assert first.triggered_by is None and first.started_at is None and first.completed_at is None
    assert first.repo == "merico-dev/ee/charts"
    assert page.next is not None and ("page", "2") in page.next.query


def test_filters_gitlab_applies_itself_are_sent() -> None:
    gitlab = registry().load("gitlab")
    since = datetime(2022, 3, 7, 6, 30, tzinfo=timezone.utc)
    query = unci.BuildQuery(branch="EE-7121", status="completed", conclusion="failed", since=since)
    sent = dict(gitlab.build_builds_request(PARAMS, query, None).query)
    assert sent == {
        "ref": "EE-7121",
        "status": "failed",
        "updated_after": "2022-03-07T06:29:59.999000Z",
        "per_page": "100",
    }


@pytest.mark.parametrize(
    ("status", "conclusion", "sent"),
    [
        ("in_progress", None, ("status", "running")),
        ("completed", None, ("scope", "finished")),
        ("queued", None, None),  # six GitLab words: the core filters
        (None, "timeout", None),  # no GitLab pipeline status says so
    ],
)
def test_status_filters_are_sent_only_where_one_gitlab_word_covers_them(
    status: str | None, conclusion: str | None, sent: tuple[str, str] | None
) -> None:
    gitlab = registry().load("gitlab")
    query = gitlab.build_builds_request(
        PARAMS, unci.BuildQuery(status=status, conclusion=conclusion), 10
    ).query
    filters = [(k, v) for k, v in query if k in ("status", "scope")]
    assert filters == ([sent] if sent else [])


@pytest.mark.vcr("gitlab/cassettes/get_build.yaml")
def test_get_build_through_the_api() -> None:
    b = unci.get_build("gitlab", "1079558335", params=PARAMS)
    assert b.provider == "gitlab" and b.number == "36250" and b.conclusion == "passed"


@pytest.mark.vcr("gitlab/cassettes/list_builds.yaml")
def test_list_builds_pages_through_x_next_page() -> None:
    first = unci.list_builds("gitlab", params=PARAMS, limit=5)
    assert [b.number for b in first.result] == ["20", "19", "18", "17", "16"]
    assert first.next_cursor is not None
    second = unci.list_builds("gitlab", params=PARAMS, limit=5, cursor=first.next_cursor)
    assert [b.number for b in second.result] == ["15", "14", "13", "12", "11"]
    assert second.next_cursor is None


@pytest.mark.vcr("gitlab/cassettes/list_builds_filtered.yaml")
def test_list_builds_sends_ref_status_and_times() -> None:
    page = unci.list_builds(
        "gitlab",
        params=PARAMS,
        branch="EE-7121",
        conclusion="failed",
        since="2022-03-07T06:30:00Z",
        until="2022-03-07T06:34:00Z",
    )
    assert [b.id for b in page.result] == ["485813816"] and page.next_cursor is None
    assert page.result[0].branch == "EE-7121" and page.result[0].trigger == "push"


def test_a_named_push_pipeline_from_the_docs() -> None:
    b = build(cassette_body("gitlab", "get_build_named"))
    assert (b.name, b.branch, b.trigger, b.triggered_by) == ("Build pipeline", "main", "push", "root")
    assert b.repo == "test-group/test-project" and b.number == "144"
