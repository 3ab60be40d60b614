"""Buildkite builds as unified Builds, and the jobs' revision-2 rules (docs/mapping.md)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, map_payload, out_json, run_cli, with_fields
from unci.plugins import registry

BUILD = cassette_body("buildkite", "get_build")
JOB = cassette_body("buildkite", "get_job")
JOB_ID = "b63254c0-3271-4a98-8270-7cfbd6c2f14e"
PIPELINE = {"organization": "my-great-org", "pipeline": "my-pipeline"}
PARAMS = {**PIPELINE, "build": "1"}


def build(payload: bytes) -> unci.Build:
    return registry().load("buildkite").map_build(payload, "", PIPELINE)


def job(payload: bytes) -> unci.Job:
    return map_payload("buildkite", payload, JOB_ID, PARAMS)


# --- jobs: revision 2 -------------------------------------------------------------------------


def test_a_job_carries_its_web_page() -> None:
    assert job(JOB).url == (
        "https://buildkite.com/my-great-org/my-pipeline/builds/1#b63254c0-3271-4a98-8270-7cfbd6c2f14e"
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"state": "passed", "exit_status": 0}, None),
        ({"state": "failed", "exit_status": 1}, "exit_status 1"),
        ({"state": "failed", "exit_status": 2, "soft_failed": True}, "exit_status 2, soft_failed"),
        ({"state": "canceled", "exit_status": -1, "signal_reason": "cancel"}, "cancel"),
        ({"state": "failed", "exit_status": -1, "signal_reason": "agent_stop"}, "agent_stop"),
        ({"state": "broken", "exit_status": None, "broken_reason": "Brand new reason"}, "Brand new reason"),
        ({"state": "timed_out", "exit_status": None}, None),
    ],
)
def test_failure_reason_from_exit_status_signal_and_soft_fail(changes: dict, reason: str | None) -> None:
    assert job(with_fields(JOB, **changes)).failure_reason == reason


def test_a_timed_out_job_is_timeout() -> None:
    assert job(with_fields(JOB, state="timed_out")).conclusion == "timeout"


def test_absent_keys_of_supported_fields_are_null_in_unified_output(server) -> None:
    from localserver import Reply

    body = json.loads(JOB)
    for key in ("started_at", "finished_at", "web_url", "exit_status", "name", "created_at"):
        del body[key]
    server.route(
        f"/organizations/my-great-org/pipelines/my-pipeline/builds/1/jobs/{JOB_ID}",
        Reply(body=json.dumps(body).encode()),
    )
    result = run_cli(
        "jobs", "get", JOB_ID, "-P", "buildkite", "-p", "organization=my-great-org",
        "-p", "pipeline=my-pipeline", "-p", "build=1", "--base-url", server.url, "--token", "t",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = out_json(result)
    for field in ("started_at", "completed_at", "created_at", "url", "failure_reason", "name"):
        assert field in out and out[field] is None, field
    assert "commit" not in out and "steps" not in out  # a Buildkite job carries neither


def test_a_job_picked_out_of_its_build_has_url_and_reason() -> None:
    picked = job(BUILD)
    assert picked.url.endswith("/builds/2#b63254c0-3271-4a98-8270-7cfbd6c2f14e")
    assert picked.failure_reason is None and picked.conclusion == "passed"


# --- builds -------------------------------------------------------------------------------------


def test_fields_of_the_official_build() -> None:
    b = build(BUILD)
    assert (b.id, b.number, b.name, b.workflow) == ("2", "2", "Great Pipeline", "great-pipeline")
    assert b.repo == "git@github.com:my-great-org/my-pipeline"
    assert (b.status, b.conclusion, b.trigger) == ("completed", "passed", "push")
    assert b.triggered_by == "keith@buildkite.com"
    assert (b.commit, b.branch) == ("abcd0b72a1e580e90712cdd9eb26d3fb41cd09c8", "main")
    assert b.url == "https://buildkite.com/my-great-org/my-pipeline/builds/2"
    assert b.created_at == datetime(2015, 5, 9, 21, 5, 59, 874000, tzinfo=timezone.utc)
    assert b.completed_at == datetime(2015, 5, 9, 21, 8, 59, 874000, tzinfo=timezone.utc)
    assert b.attempts is None and b.updated_at is None


def test_a_jobs_build_is_the_builds_id() -> None:
    assert job(BUILD).build == "1" and build(BUILD).id == "2"  # the number, as jobs address it
    assert registry().load("buildkite").build_build_request("2", PIPELINE).path.endswith("/builds/2")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("creating", ("queued", None)),
        ("scheduled", ("queued", None)),
        ("blocked", ("queued", None)),
        ("running", ("in_progress", None)),
        ("failing", ("in_progress", None)),
        ("canceling", ("in_progress", None)),
        ("passed", ("completed", "passed")),
        ("failed", ("completed", "failed")),
        ("waiting_failed", ("completed", "failed")),
        ("canceled", ("completed", "cancelled")),
        ("skipped", ("completed", "skipped")),
        ("not_run", ("completed", "skipped")),
        ("Brand_New", ("Brand_New", None)),
    ],
)
def test_build_state_rows(state: str, expected: tuple[str, str | None]) -> None:
    b = build(with_fields(BUILD, state=state))
    assert (b.status, b.conclusion) == expected


@pytest.mark.parametrize(
    ("source", "pull_request", "trigger"),
    [
        ("webhook", {}, "push"),
        ("webhook", {"id": "123", "base": "main"}, "merge_request"),
        ("api", None, "api"),
        ("ui", None, "web"),
        ("schedule", None, "cron"),
        ("trigger_job", None, "trigger_job"),
    ],
)
def test_trigger_rows(source: str, pull_request: dict | None, trigger: str) -> None:
    assert build(with_fields(BUILD, source=source, pull_request=pull_request)).trigger == trigger


def test_filters_buildkite_applies_itself_are_sent() -> None:
    bk = registry().load("buildkite")
    query = unci.BuildQuery(
        branch="main",
        status="in_progress",
        since=datetime(2015, 5, 9, tzinfo=timezone.utc),
        until=datetime(2015, 5, 10, tzinfo=timezone.utc),
    )
    sent = bk.build_builds_request(PIPELINE, query, 20).query
    assert sent == [
        ("branch", "main"),
        ("state[]", "running"),
        ("state[]", "failing"),
        ("state[]", "canceling"),
        ("created_from", "2015-05-09T00:00:00.000000Z"),
        ("created_to", "2015-05-10T00:00:00.001000Z"),
        ("per_page", "20"),
    ]


@pytest.mark.parametrize(
    ("conclusion", "states"),
    [("skipped", ["skipped", "not_run"]), ("cancelled", ["canceled"]), ("failed", []), ("timeout", [])],
)
def test_conclusion_filters_are_sent_only_where_buildkite_filters_every_state(
    conclusion: str, states: list[str]
) -> None:
    sent = (
        registry().load("buildkite").build_builds_request(PIPELINE, unci.BuildQuery(conclusion=conclusion), 5)
    )
    assert [v for k, v in sent.query if k == "state[]"] == states


@pytest.mark.vcr("buildkite/cassettes/get_build.yaml")
def test_get_build_through_the_api() -> None:
    b = unci.get_build("buildkite", "2", params=PIPELINE, token="t")
    assert b.provider == "buildkite" and b.number == "2" and b.conclusion == "passed"


@pytest.mark.vcr("buildkite/cassettes/list_builds.yaml")
def test_list_builds_follows_the_link_header() -> None:
    first = unci.list_builds("buildkite", params=PIPELINE, limit=1, token="t")
    assert [b.id for b in first.result] == ["2"] and first.next_cursor is not None
    second = unci.list_builds("buildkite", params=PIPELINE, limit=1, cursor=first.next_cursor, token="t")
    assert [b.id for b in second.result] == ["1"] and second.next_cursor is None
    assert second.result[0].name == "great-pipeline"


@pytest.mark.vcr("buildkite/cassettes/list_builds_filtered.yaml")
def test_list_builds_sends_branch_state_and_times() -> None:
    page = unci.list_builds(
        "buildkite",
        params=PIPELINE,
        branch="main",
        conclusion="passed",
        since="2015-05-09",
        until="2015-05-10T00:00:00Z",
        token="t",
    )
    assert [b.number for b in page.result] == ["1"] and page.next_cursor is None
