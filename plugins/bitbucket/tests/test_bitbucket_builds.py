"""Bitbucket pipelines as unified Builds, and the steps' revision-2 rules (docs/mapping.md)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, map_payload, out_json, run_cli, with_fields
from unci.plugins import registry

PIPELINE = cassette_body("bitbucket", "get_build")
FULL = cassette_body("bitbucket", "get_build_full")
STEP = cassette_body("bitbucket", "get_job")
REPO = {"workspace_id": "likyh", "repo": "likyhphp"}
UUID = "{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}"


def bitbucket():
    return registry().load("bitbucket")


def build(payload: bytes) -> unci.Build:
    return bitbucket().map_build(payload, "", REPO)


# --- steps (jobs): revision 2 -----------------------------------------------------------------


def test_absent_keys_of_supported_fields_are_null_in_unified_output(server) -> None:
    from localserver import Reply

    body = json.loads(STEP)
    step_id = body["uuid"]
    for key in ("started_on", "completed_on", "run_number", "name", "pipeline"):
        body.pop(key, None)
    path = f"/repositories/likyh/likyhphp/pipelines/{UUID}/steps/{step_id}"
    server.route(path.replace("{", "%7B").replace("}", "%7D"), Reply(body=json.dumps(body).encode()))
    result = run_cli(
        "jobs", "get", step_id, "-P", "bitbucket", "-p", "workspace_id=likyh", "-p", "repo=likyhphp",
        "-p", f"build={UUID}", "--base-url", server.url, "--token", "t",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    job = out_json(result)
    for field in ("started_at", "completed_at", "updated_at", "attempts", "name", "build", "failure_reason"):
        assert field in job and job[field] is None, field
    # Bitbucket documents no web page for a step, nor commit or branch on one.
    assert "url" not in job and "commit" not in job and "steps" not in job


def test_a_step_is_a_job_of_its_pipeline() -> None:
    step = map_payload("bitbucket", STEP)
    assert step.build == build(PIPELINE).id == UUID


# --- builds -------------------------------------------------------------------------------------


def test_fields_of_a_real_pipeline() -> None:
    b = build(PIPELINE)
    assert (b.id, b.status, b.conclusion) == (UUID, "completed", "passed")
    assert (b.commit, b.branch) == ("ca4302e0e56c89332711e1b1051ab2f0110d4412", "main")
    assert b.created_at == datetime(2023, 2, 20, 9, 23, 19, 540461, tzinfo=timezone.utc)
    assert b.completed_at == datetime(2023, 2, 20, 9, 24, 12, 399594, tzinfo=timezone.utc)
    # DevLake's fields= filter left these out: null, not an error.
    assert b.number is None and b.trigger is None and b.triggered_by is None and b.repo is None
    assert b.url is None and b.started_at is None  # no documented page; no start time at all


def test_every_field_of_a_full_pipeline() -> None:
    b = build(FULL)
    assert (b.number, b.attempts, b.repo) == ("25", 1, "TestWorkspace1/testrepository")
    assert (b.trigger, b.triggered_by, b.triggered_by_type) == ("web", "OwnerTestWorkspace1Nickname", "user")
    assert (b.status, b.conclusion, b.branch, b.name) == ("completed", "cancelled", "master", "default")


def test_a_completed_on_before_created_on_is_kept_as_given() -> None:
    page = bitbucket().map_build_page(
        cassette_body("bitbucket", "list_builds", 1), {}, REPO, unci.Request(path="/")
    )
    odd = next(b for b in page.builds if b.id == "{ee91b6d3-7736-482c-892f-ad1e923d145e}")
    assert odd.completed_at < odd.created_at


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"name": "PENDING"}, ("queued", None)),
        ({"name": "IN_PROGRESS", "stage": {"name": "RUNNING"}}, ("in_progress", None)),
        ({"name": "IN_PROGRESS", "stage": {"name": "PAUSED"}}, ("in_progress", None)),
        ({"name": "IN_PROGRESS", "stage": {"name": "HALTED"}}, ("in_progress", None)),
        ({"name": "COMPLETED", "result": {"name": "SUCCESSFUL"}}, ("completed", "passed")),
        ({"name": "COMPLETED", "result": {"name": "FAILED"}}, ("completed", "failed")),
        ({"name": "COMPLETED", "result": {"name": "ERROR"}}, ("completed", "failed")),
        ({"name": "COMPLETED", "result": {"name": "STOPPED"}}, ("completed", "cancelled")),
        ({"name": "COMPLETED", "result": {"name": "EXPIRED"}}, ("completed", "timeout")),
        ({"name": "COMPLETED", "result": {"name": "Brand_New"}}, ("completed", "Brand_New")),
    ],
)
def test_state_rows(state: dict, expected: tuple) -> None:
    b = build(with_fields(PIPELINE, state=state))
    assert (b.status, b.conclusion) == expected


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        ({"name": "PUSH", "type": "pipeline_trigger_push"}, "push"),
        ({"name": "MANUAL", "type": "pipeline_trigger_manual"}, "web"),
        ({"name": "SCHEDULE", "type": "pipeline_trigger_schedule"}, "cron"),
        ({"name": "PULL_REQUEST"}, "merge_request"),
        ({"type": "pipeline_trigger_push"}, "push"),
        ({"name": "PARENT_STEP"}, "PARENT_STEP"),
    ],
)
def test_trigger_rows(trigger: dict, expected: str) -> None:
    assert build(with_fields(PIPELINE, trigger=trigger)).trigger == expected


def test_a_tag_pipeline_has_no_branch() -> None:
    target = {"ref_type": "tag", "ref_name": "v1.0", "commit": {"hash": "abc"}}
    assert build(with_fields(PIPELINE, target=target)).branch is None


def test_requests_list_newest_first_and_send_the_filters_bitbucket_has() -> None:
    bb = bitbucket()
    plain = bb.build_builds_request(REPO, unci.BuildQuery(), 5).query
    assert plain == [("sort", "-created_on"), ("pagelen", "5")]
    since = datetime(2023, 1, 1, tzinfo=timezone.utc)
    query = unci.BuildQuery(branch="main", conclusion="passed", since=since)
    assert bb.build_builds_request(REPO, query, None).query == [
        ("sort", "-created_on"),
        ("target.branch", "main"),
        ("status", "PASSED"),
        ("pagelen", "100"),
    ]
    failed = bb.build_builds_request(REPO, unci.BuildQuery(conclusion="failed"), 5).query
    assert [k for k, _ in failed] == ["sort", "pagelen"]  # also ERROR: the core filters
    assert bb.build_build_request("2d91d69f-d84b-423d-ae4d-c1d3f2c27166", REPO).path.endswith(
        "/pipelines/%7B2d91d69f-d84b-423d-ae4d-c1d3f2c27166%7D"
    )


@pytest.mark.vcr("bitbucket/cassettes/get_build.yaml")
def test_get_build_through_the_api() -> None:
    b = unci.get_build("bitbucket", UUID, params=REPO, token="t")
    assert b.provider == "bitbucket" and b.conclusion == "passed"


@pytest.mark.vcr("bitbucket/cassettes/list_builds.yaml")
def test_list_builds_follows_next() -> None:
    first = unci.list_builds("bitbucket", params=REPO, limit=5, token="t")
    assert len(first.result) == 5 and first.next_cursor
    assert [b.status for b in first.result][:2] == ["completed", "in_progress"]  # HALTED waits
    second = unci.list_builds("bitbucket", params=REPO, limit=5, cursor=first.next_cursor, token="t")
    assert second.result[0].id == UUID and second.next_cursor is None


@pytest.mark.vcr("bitbucket/cassettes/list_builds.yaml")
def test_since_stops_paging_at_the_first_older_page() -> None:
    page = unci.list_builds("bitbucket", params=REPO, limit=5, since="2023-02-20T09:23:35Z", token="t")
    assert [b.id for b in page.result] == [
        "{5decbbb2-f4e6-4f3a-aab0-f74c40497c50}",
        "{8b417a17-72e6-4e16-ae4a-97f6e279f68e}",
        "{5fb099c8-ebdd-4d3e-97d8-a12ebfca5446}",
        "{b5d2ab02-2013-415e-b146-61ff3bf19502}",
    ]
    assert page.next_cursor is not None  # page 1 is not wholly older than since


@pytest.mark.vcr("bitbucket/cassettes/list_builds_filtered.yaml")
def test_list_builds_sends_branch_and_status() -> None:
    page = unci.list_builds("bitbucket", params=REPO, branch="main", conclusion="passed", token="t")
    assert [b.id for b in page.result] == [UUID] and page.next_cursor is None


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ({"key": "agent.build.container-oom", "message": "Container 'docker' exceeded memory limit."},
         "Container 'docker' exceeded memory limit."),
        ({"key": "plan-service.parse.invalid-yaml"}, "plan-service.parse.invalid-yaml"),
        (None, None),
    ],
)  # fmt: skip
def test_an_error_result_gives_its_failure_reason(error: dict | None, reason: str | None) -> None:
    result = {"name": "ERROR", "type": "pipeline_step_state_completed_error", "error": error}
    step = map_payload("bitbucket", with_fields(STEP, state={"name": "COMPLETED", "result": result}))
    assert (step.conclusion, step.failure_reason) == ("failed", reason)


def test_a_failed_result_names_no_reason() -> None:
    failed = {"name": "COMPLETED", "result": {"name": "FAILED"}}
    assert map_payload("bitbucket", with_fields(STEP, state=failed)).failure_reason is None
