"""GitHub workflow runs as unified Builds (MAPPING revision 2), and the jobs' url and steps."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, with_fields
from unci.plugins import registry

RUN = cassette_body("github", "get_build")
PARAMS = {"owner": "PyGithub", "repo_id": "PyGithub"}


def build(payload: bytes) -> unci.Build:
    return registry().load("github").map_build(payload, "", PARAMS)


def test_fields_of_a_real_run() -> None:
    b = build(RUN)
    assert (b.id, b.name, b.number, b.repo) == ("3881497935", "CI", "930", "PyGithub/PyGithub")
    assert b.workflow == ".github/workflows/ci.yml" and b.branch == "feat/workflow-run"
    assert b.commit == "c6e5cac67a58a4eb11f1f28567a77a6e2cc8ee98" and b.attempts == 1
    assert (b.trigger, b.triggered_by, b.triggered_by_type) == ("merge_request", "nuang-ee", "user")
    assert b.url == "https://github.com/PyGithub/PyGithub/actions/runs/3881497935"
    assert b.started_at == datetime(2023, 1, 10, 8, 24, 19, tzinfo=timezone.utc)
    # A run has no completed_at: a completed run's last update is its end.
    assert b.completed_at == b.updated_at == datetime(2023, 1, 10, 8, 28, 20, tzinfo=timezone.utc)


def test_a_run_still_going_has_no_end() -> None:
    b = build(with_fields(RUN, status="in_progress", conclusion=None))
    assert b.status == "in_progress" and b.completed_at is None and b.updated_at is not None


@pytest.mark.parametrize(
    ("event", "trigger"),
    [
        ("push", "push"),
        ("pull_request", "merge_request"),
        ("pull_request_target", "merge_request"),
        ("schedule", "cron"),
        ("workflow_dispatch", "web"),
        ("repository_dispatch", "api"),
        ("release", "release"),
        ("dynamic", "dynamic"),
    ],
)
def test_trigger_rows(event: str, trigger: str) -> None:
    assert build(with_fields(RUN, event=event)).trigger == trigger


@pytest.mark.parametrize(
    ("kind", "expected"), [("User", "user"), ("Bot", "bot"), ("Organization", "Organization")]
)
def test_triggered_by_type_rows(kind: str, expected: str) -> None:
    actor = {"login": "dependabot[bot]", "type": kind}
    assert build(with_fields(RUN, triggering_actor=actor)).triggered_by_type == expected


@pytest.mark.parametrize(
    ("conclusion", "expected"),
    [
        ("success", "passed"),
        ("failure", "failed"),
        ("startup_failure", "failed"),
        ("action_required", "action_required"),
        ("cancelled", "cancelled"),
        ("timed_out", "timeout"),
    ],
)
def test_conclusion_rows(conclusion: str, expected: str) -> None:
    assert build(with_fields(RUN, conclusion=conclusion)).conclusion == expected


def test_runs_from_before_2021_have_no_start_or_attempts() -> None:
    page = (
        registry()
        .load("github")
        .map_build_page(cassette_body("github", "list_builds"), {}, PARAMS, unci.Request(path="/"))
    )
    first = page.builds[0]
    assert first.started_at is None and first.attempts is None and first.triggered_by is None
    assert first.workflow == "1026390"  # no path then: the workflow id
    assert [b.trigger for b in page.builds] == ["push"] * 3 + ["merge_request"] * 2


def test_jobs_carry_their_url_and_steps() -> None:
    page = (
        registry()
        .load("github")
        .map_job_page(
            cassette_body("github", "list_jobs_steps"),
            {},
            {**PARAMS, "build": "3881497935"},
            unci.Request(path="/"),
        )
    )
    job = page.jobs[0]
    assert job.url == "https://github.com/PyGithub/PyGithub/actions/runs/3881497935/jobs/6620564740"
    assert job.steps[0].number == 1 and job.steps[0].status == "completed"
    assert job.steps[0].conclusion == "passed" and job.steps[0].started_at.tzinfo is not None


def test_a_pending_step_is_queued() -> None:
    step = {"number": 1, "name": "Set up job", "status": "pending", "conclusion": None}
    job = (
        registry()
        .load("github")
        .map_job(with_fields(cassette_body("github", "get_job"), steps=[step]), "1", PARAMS)
    )
    assert job.steps[0].status == "queued"


@pytest.mark.vcr("github/cassettes/get_build.yaml")
def test_get_build_through_the_api() -> None:
    b = unci.get_build("github", "3881497935", params=PARAMS)
    assert b.provider == "github" and b.conclusion == "passed"


@pytest.mark.vcr("github/cassettes/list_builds_created.yaml")
def test_list_builds_sends_branch_and_created() -> None:
    # The recorded window: until a time (a date alone would be the whole of the 25th).
    window = {"since": "2022-12-24", "until": "2022-12-25T00:00:00Z"}
    page = unci.list_builds("github", params=PARAMS, branch="patch-1", **window)
    assert [b.id for b in page.result] == ["3770390952"] and page.next_cursor is None
    assert page.result[0].triggered_by_type == "user"
