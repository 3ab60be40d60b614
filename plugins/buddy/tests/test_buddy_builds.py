"""Buddy executions as unified Builds, and the jobs' revision-2 fields (url, failure_reason,
steps from the action executions), through the public API."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, map_payload, out_json, run_cli, with_fields
from localserver import Reply
from unci.plugins import registry

PARAMS = {"workspace": "buddy", "project": "company-website", "workflow": "2"}
P = [arg for k, v in PARAMS.items() for arg in ("-p", f"{k}={v}")]
EXECUTION = cassette_body("buddy", "get_job")
WITH_STEPS = cassette_body("buddy", "get_job_steps")
PATH = "/workspaces/buddy/projects/company-website/pipelines/2/executions"


def build(payload: bytes) -> unci.Build:
    return registry().load("buddy").map_build(payload, "1", PARAMS)


# --- builds ---------------------------------------------------------------------------------


def test_fields_of_the_documented_execution_as_a_build() -> None:
    b = build(EXECUTION)
    assert (b.id, b.name, b.repo, b.workflow) == ("1", "hotfix", "buddy/company-website", "2")
    assert (b.status, b.conclusion, b.trigger) == ("completed", "passed", "web")  # CLICK
    assert b.commit == "506a3963507943d6908154f4bc9646e829128a08" and b.branch == "master"
    assert b.url == (
        "https://app.buddy.works/buddy/company-website/pipelines/pipeline/2/execution/56fa374a99f1e10c105fb382"
    )
    assert b.started_at == datetime(2016, 3, 29, 8, 5, 30, 330000, tzinfo=timezone.utc)
    assert b.completed_at == b.updated_at == datetime(2016, 3, 29, 8, 5, 32, 623000, tzinfo=timezone.utc)
    assert b.created_at is None and b.number is None  # an execution has neither


@pytest.mark.parametrize(
    ("triggered", "trigger"),
    [("CLICK", "web"), ("PUSH", "push"), ("SCHEDULE", "cron"), ("API", "api"), ("WEBHOOK", "WEBHOOK")],
)
def test_trigger_rows(triggered: str, trigger: str) -> None:
    assert build(with_fields(EXECUTION, triggeredOn=triggered)).trigger == trigger


def test_mode_stands_in_for_triggered_on_and_creator_is_the_trigger() -> None:
    body = json.loads(EXECUTION)
    del body["triggeredOn"]
    body.update(mode="PUSH", creator={"name": "Mike Benson"})
    b = build(json.dumps(body).encode())
    assert (b.trigger, b.triggered_by) == ("push", "Mike Benson")


def test_running_execution_has_no_end() -> None:
    b = build(with_fields(EXECUTION, status="INPROGRESS", finish_date=None))
    assert (b.status, b.conclusion, b.completed_at) == ("in_progress", None, None)


@pytest.mark.vcr("buddy/cassettes/get_job.yaml")
def test_get_build_through_the_api() -> None:
    b = unci.get_build("buddy", "1", params=PARAMS)
    assert b.provider == "buddy" and b.id == "1" and b.conclusion == "passed"


@pytest.mark.vcr("buddy/cassettes/list_jobs.yaml")
def test_list_builds_pages_by_number() -> None:
    first = unci.list_builds("buddy", params=PARAMS, limit=1)
    assert [b.id for b in first.result] == ["1"] and first.next_cursor
    second = unci.list_builds("buddy", params=PARAMS, limit=1, cursor=first.next_cursor)
    assert [b.id for b in second.result] == ["1"] and second.next_cursor is None
    assert second.result[0].name is None  # the summary's comment is empty


@pytest.mark.vcr("buddy/cassettes/list_jobs.yaml")
def test_filters_are_applied_by_unci_not_sent() -> None:
    # Buddy filters on nothing; the request is the plain list and unci keeps what matches.
    kept = unci.list_builds("buddy", params=PARAMS, branch="master", conclusion="passed", since="2016-03-01")
    assert [b.id for b in kept.result] == ["1"]
    assert unci.list_builds("buddy", params=PARAMS, branch="develop").result == []
    assert unci.list_builds("buddy", params=PARAMS, since="2017-01-01").result == []
    request = registry().load("buddy").build_builds_request(PARAMS, unci.BuildQuery(branch="x"), None)
    assert request.path == PATH and request.query == [("page", "1"), ("per_page", "100")]


# --- jobs: mapping revision 2 ----------------------------------------------------------------


def test_url_is_the_html_url() -> None:
    assert map_payload("buddy", EXECUTION).url.startswith("https://app.buddy.works/buddy/company-website/")


def test_steps_are_the_action_executions() -> None:
    job = map_payload("buddy", WITH_STEPS)
    (step,) = job.steps
    assert (step.number, step.name, step.status, step.conclusion) == (
        1,
        "Build application",
        "completed",
        "passed",
    )
    assert step.started_at == datetime(2016, 3, 29, 8, 5, 30, 330000, tzinfo=timezone.utc)
    assert step.completed_at == datetime(2016, 3, 29, 8, 5, 32, 623000, tzinfo=timezone.utc)
    # Step times are written the job's one way, in to_dict as in the rendered formats.
    assert job.to_dict()["steps"][0]["started_at"] == "2016-03-29T08:05:30.33Z"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("WAITING_FOR_VARIABLES", ("queued", None)),
        ("TERMINATING", ("in_progress", None)),
        ("NOT_EXECUTED", ("completed", "skipped")),
        ("PAUSED", ("PAUSED", None)),
    ],
)
def test_step_statuses_use_the_job_table(status: str, expected: tuple) -> None:
    body = json.loads(WITH_STEPS)
    body["action_executions"][0]["status"] = status
    (step,) = map_payload("buddy", json.dumps(body).encode()).steps
    assert (step.status, step.conclusion) == expected


def test_failure_reason_is_the_failed_actions_error_message() -> None:
    body = json.loads(WITH_STEPS)
    ok = dict(body["action_executions"][0])
    failed = {**ok, "status": "FAILED", "error_message": "Command returned exit code 1"}
    body.update(status="FAILED", action_executions=[ok, failed])
    job = map_payload("buddy", json.dumps(body).encode())
    assert (job.conclusion, job.failure_reason) == ("failed", "Command returned exit code 1")
    assert map_payload("buddy", WITH_STEPS).failure_reason is None


def test_list_summaries_have_no_steps_so_steps_are_absent(server) -> None:
    server.route(PATH + "?page=1&per_page=100", Reply(body=cassette_body("buddy", "list_jobs", 2)))
    result = run_cli("jobs", "list", "-P", "buddy", *P, "--base-url", server.url)
    assert result.exit_code == 0, result.output
    (job,) = out_json(result)["result"]
    assert "steps" not in job and job["url"].startswith("https://app.buddy.works/")


def test_absent_keys_of_supported_fields_are_null_in_unified(server) -> None:
    server.route(PATH + "/5", Reply(body=b'{"id": 5, "status": "ENQUEUED"}'))
    result = run_cli("jobs", "get", "5", "-P", "buddy", *P, "--base-url", server.url)
    assert result.exit_code == 0, result.output
    job = out_json(result)
    for field in ("name", "commit", "branch", "started_at", "completed_at", "url", "failure_reason"):
        assert field in job and job[field] is None, field
    assert "steps" not in job and (job["status"], job["conclusion"]) == ("queued", None)


@pytest.mark.vcr("buddy/cassettes/get_job_steps.yaml")
def test_cli_shows_the_steps() -> None:
    result = run_cli("jobs", "get", "1", "-P", "buddy", *P)
    assert result.exit_code == 0, result.output
    assert out_json(result)["steps"] == [
        {
            "number": 1,
            "name": "Build application",
            "status": "completed",
            "conclusion": "passed",
            "started_at": "2016-03-29T08:05:30.33Z",
            "completed_at": "2016-03-29T08:05:32.623Z",
        }
    ]
