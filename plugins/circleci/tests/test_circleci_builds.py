"""CircleCI workflows as unified Builds (a build is a workflow, listed through pipelines), the
jobs' revision-2 fields (url, failure_reason, absent keys) and steps from API v1.1."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, map_payload, out_json, run_cli, with_fields
from localserver import Reply
from unci.plugins import registry

SLUG = "gh/LF-Engineering/da-ds"
PARAMS = {"project_slug": SLUG}
WORKFLOW = "9552b8fe-f5b7-4f7b-92a3-8bedc0ee35ca"
PIPELINE = "98b1071e-c364-4b39-91b9-820b8588e2ae"
JOB = cassette_body("circleci", "get_job")


def circleci():
    return registry().load("circleci")


# --- builds ---------------------------------------------------------------------------------


@pytest.mark.vcr("circleci/cassettes/get_build.yaml")
def test_get_build_is_the_workflow_with_its_pipelines_fields() -> None:
    b = unci.get_build("circleci", WORKFLOW)
    assert (b.id, b.name, b.workflow, b.number, b.repo) == (WORKFLOW, "workflow", "workflow", "154", SLUG)
    assert (b.status, b.conclusion) == ("completed", "passed")
    assert b.created_at == datetime(2020, 12, 24, 12, 59, 23, tzinfo=timezone.utc)
    assert b.completed_at == datetime(2020, 12, 24, 13, 0, 8, tzinfo=timezone.utc)
    # The workflow names no commit, branch or trigger; its pipeline does, as in a list.
    assert b.commit == "db4e4736effbf25d0b48f9027dd81660fc114cb4" and b.branch == "master"
    assert (b.trigger, b.triggered_by) == ("push", "lukaszgryglicki")
    assert b.started_at is None
    # The workflow's own JSON stays its remote data, and the id stays the workflow's.
    assert b.remote()["id"] == WORKFLOW and b.remote()["pipeline_id"] == PIPELINE


@pytest.mark.vcr("circleci/cassettes/get_build.yaml", "circleci/cassettes/list_builds.yaml")
def test_get_build_and_list_builds_give_the_same_build() -> None:
    (listed,) = unci.list_builds("circleci", params=PARAMS).result
    got = unci.get_build("circleci", WORKFLOW)
    assert got.to_dict() == listed.to_dict()

    async def aget() -> unci.Build:
        return await unci.aget_build("circleci", WORKFLOW)

    assert asyncio.run(aget()).to_dict() == listed.to_dict()


def test_a_workflow_with_its_pipelines_fields_asks_nothing_more() -> None:
    whole = unci.Build(id=WORKFLOW, commit="c", branch="b", trigger="push", remote_data=None)
    assert circleci().build_build_context_request(whole, {}) is None
    lacking = circleci().map_build(cassette_body("circleci", "get_build"), WORKFLOW, {})
    assert circleci().build_build_context_request(lacking, {}).path.endswith(f"/pipeline/{PIPELINE}")


def test_builds_get_shows_the_pipelines_branch_and_raw_is_the_workflow(server) -> None:
    workflow = cassette_body("circleci", "get_build")
    server.route(f"/workflow/{WORKFLOW}", Reply(body=workflow))
    server.route(f"/pipeline/{PIPELINE}", Reply(body=cassette_body("circleci", "get_build", 1)))
    result = run_cli("builds", "get", WORKFLOW, "-P", "circleci", "--base-url", server.url)
    assert result.exit_code == 0, result.stderr
    assert out_json(result)["branch"] == "master" and out_json(result)["trigger"] == "push"
    raw = run_cli("builds", "get", WORKFLOW, "-P", "circleci", "--base-url", server.url, "--format", "raw")
    assert raw.stdout.encode() == workflow  # raw is the workflow's body, unchanged


@pytest.mark.vcr("circleci/cassettes/list_builds.yaml")
def test_list_builds_reads_pipelines_then_their_workflows() -> None:
    page = unci.list_builds("circleci", params=PARAMS)
    (b,) = page.result
    assert (b.id, b.name, b.number, b.repo) == (WORKFLOW, "workflow", "154", SLUG)
    assert (b.status, b.conclusion) == ("completed", "passed")
    # From the pipeline the workflow belongs to:
    assert b.commit == "db4e4736effbf25d0b48f9027dd81660fc114cb4" and b.branch == "master"
    assert (b.trigger, b.triggered_by) == ("push", "lukaszgryglicki")  # webhook
    # The workflow's own JSON is its remote data.
    assert b.remote()["pipeline_id"] == PIPELINE
    assert page.next_cursor  # the pipeline page had a next_page_token
    rest = unci.list_builds("circleci", params=PARAMS, cursor=page.next_cursor)
    assert rest.result == [] and rest.next_cursor is None


@pytest.mark.vcr("circleci/cassettes/list_builds.yaml")
def test_the_jobs_build_is_the_builds_id() -> None:
    (b,) = unci.list_builds("circleci", params=PARAMS).result
    job = registry().load("circleci").map_job(JOB, "155", PARAMS)
    assert job.build == b.id


@pytest.mark.vcr("circleci/cassettes/list_builds.yaml")
def test_branch_is_sent_and_status_filtered_by_unci() -> None:
    assert [b.id for b in unci.list_builds("circleci", params=PARAMS, branch="master").result] == [WORKFLOW]
    assert unci.list_builds("circleci", params=PARAMS, conclusion="failed").result == []
    request = circleci().build_builds_request(PARAMS, unci.BuildQuery(branch="main", status="queued"), 5)
    assert request.path == f"/project/{SLUG}/pipeline" and request.query == [("branch", "main")]


@pytest.mark.vcr("circleci/cassettes/list_builds.yaml")
def test_async_list_builds_expands_the_same_way() -> None:
    async def run() -> list[unci.Build]:
        async with unci.AsyncClient() as client:
            return (await client.list_builds("circleci", params=PARAMS)).result

    (b,) = asyncio.run(run())
    assert b.id == WORKFLOW and b.commit == "db4e4736effbf25d0b48f9027dd81660fc114cb4"


def test_pipeline_with_several_workflows_and_one_with_none(server) -> None:
    pipelines = (
        b'{"next_page_token":null,"items":['
        b'{"id":"p2","number":2,"project_slug":"gh/o/r","state":"created","created_at":"2024-05-02T10:00:00Z",'
        b'"trigger":{"type":"schedule","actor":{"login":"scheduler"}},"vcs":{"revision":"bbb","branch":"main"}},'
        b'{"id":"p1","number":1,"project_slug":"gh/o/r","state":"errored","created_at":"2024-05-01T10:00:00Z",'
        b'"trigger":{"type":"explicit","actor":{"login":"amy"}},"vcs":{"revision":"aaa","branch":"dev"}}]}'
    )
    two = (
        b'{"next_page_token":null,"items":['
        b'{"id":"w2b","name":"deploy","status":"on_hold","pipeline_number":2,"project_slug":"gh/o/r",'
        b'"created_at":"2024-05-02T10:00:05Z","stopped_at":null},'
        b'{"id":"w2a","name":"test","status":"failing","pipeline_number":2,"project_slug":"gh/o/r",'
        b'"created_at":"2024-05-02T10:00:01Z","stopped_at":null}]}'
    )
    server.route("/project/gh/o/r/pipeline", Reply(body=pipelines))
    server.route("/pipeline/p2/workflow", Reply(body=two))
    server.route("/pipeline/p1/workflow", Reply(body=b'{"next_page_token":null,"items":[]}'))
    page = unci.list_builds("circleci", params={"project_slug": "gh/o/r"}, base_url=server.url)
    assert [(b.id, b.status, b.conclusion) for b in page.result] == [
        ("w2b", "queued", None),
        ("w2a", "in_progress", None),
    ]
    assert {(b.trigger, b.triggered_by, b.commit, b.branch) for b in page.result} == {
        ("cron", "scheduler", "bbb", "main")
    }
    # A pipeline whose config never produced a workflow is no build: nothing stands in for it.
    assert sorted(r.path for r in server.requests) == [
        "/pipeline/p1/workflow",
        "/pipeline/p2/workflow",
        "/project/gh/o/r/pipeline",
    ]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("success", ("completed", "passed")),
        ("running", ("in_progress", None)),
        ("failing", ("in_progress", None)),
        ("on_hold", ("queued", None)),
        ("failed", ("completed", "failed")),
        ("error", ("completed", "failed")),
        ("canceled", ("completed", "cancelled")),
        ("not_run", ("completed", "skipped")),
        ("unauthorized", ("unauthorized", "unauthorized")),
    ],
)
def test_workflow_status_rows(status: str, expected: tuple) -> None:
    b = circleci().map_build(with_fields(cassette_body("circleci", "get_build"), status=status), "", {})
    assert (b.status, b.conclusion) == expected


# --- jobs: mapping revision 2 ----------------------------------------------------------------


def test_url_is_web_url() -> None:
    assert map_payload("circleci", JOB).url == "https://circleci.com/gh/LF-Engineering/da-ds/155"


@pytest.mark.vcr("circleci/cassettes/list_jobs_one_page.yaml")
def test_listed_jobs_id_is_the_number_and_url_is_built_like_web_url() -> None:
    page = unci.list_jobs("circleci", params={"build": "fda08377-fe7e-46b1-8992-3a7aaecac9c3"})
    (job,) = page.result
    assert job.id == "155"  # job_number, what `jobs get` addresses; not the item's UUID id
    assert job.url == "https://circleci.com/gh/LF-Engineering/da-ds/155"  # the details' web_url


def test_listed_approval_job_and_opaque_slugs_have_no_url() -> None:
    body = (
        b'{"next_page_token":null,"items":[{"id":"0b2f1a8e-0000-4000-8000-000000000001","name":"hold",'
        b'"project_slug":"gh/o/r","status":"on_hold","type":"approval"},{"id":"x","job_number":3,'
        b'"name":"b","project_slug":"circleci/8f9e/4a1b","status":"success","type":"build"}]}'
    )
    request = unci.Request(path="https://circleci.com/api/v2/workflow/w/job")
    jobs = circleci().map_job_page(body, {}, {"build": "w"}, request).jobs
    assert [(j.id, j.url) for j in jobs] == [("0b2f1a8e-0000-4000-8000-000000000001", None), ("3", None)]


def test_failure_reason_is_circleci_messages_of_a_job_that_did_not_pass() -> None:
    messages = [{"type": "error", "message": "Job was canceled"}, {"type": "x", "message": " "}]
    failed = map_payload("circleci", with_fields(JOB, status="canceled", messages=messages))
    assert failed.failure_reason == "Job was canceled"
    assert map_payload("circleci", with_fields(JOB, messages=messages)).failure_reason is None  # passed
    assert map_payload("circleci", with_fields(JOB, status="failed")).failure_reason is None  # none said


def test_absent_keys_of_supported_fields_are_null_in_unified(server) -> None:
    server.route("/project/gh/o/r/job/9", Reply(body=b'{"number": 9, "status": "running"}'))
    result = run_cli(
        "jobs", "get", "9", "-P", "circleci", "-p", "project_slug=gh/o/r", "--base-url", server.url
    )
    assert result.exit_code == 0, result.output
    job = out_json(result)
    for field in ("name", "build", "created_at", "started_at", "completed_at", "url", "failure_reason"):
        assert field in job and job[field] is None, field
    assert (job["status"], job["conclusion"]) == ("in_progress", None)
    assert not {"commit", "branch", "attempts", "updated_at", "steps"} & set(job)


# --- steps (API v1.1) -----------------------------------------------------------------------


def _steps_call(base_url: str | None = None):
    from unci.call import prepare, resolve_target

    request = circleci().build_steps_request("140", {"project_slug": "gh/mtchavez/circleci"})
    return prepare(resolve_target("circleci", token="t0ken", base_url=base_url), request)


@pytest.mark.vcr("circleci/cassettes/steps.yaml")
def test_steps_from_api_v1_1_through_the_client() -> None:
    from unci.client import Client

    with Client() as client:
        answer = client.send(_steps_call())
    steps = circleci().map_steps(answer.body, "140", {"project_slug": "gh/mtchavez/circleci"})
    assert len(steps) == 16 and [s.number for s in steps[:3]] == [1, 2, 3]
    first = steps[0]
    assert (first.name, first.status, first.conclusion) == ("Starting the build", "completed", "passed")
    assert first.started_at == datetime(2016, 7, 25, 17, 4, 0, 267000, tzinfo=timezone.utc)
    assert first.completed_at == datetime(2016, 7, 25, 17, 4, 37, 43000, tzinfo=timezone.utc)
    assert steps[-1].name == "Disable SSH"


def test_steps_request_reaches_v1_1_beside_the_v2_root(server) -> None:
    from unci.client import Client

    server.route(
        "/api/v1.1/project/github/mtchavez/circleci/140", Reply(body=cassette_body("circleci", "steps"))
    )
    with Client() as client:
        answer = client.send(_steps_call(server.url + "/api/v2"))
    assert answer.status == 200
    (seen,) = server.requests
    assert seen.path == "/api/v1.1/project/github/mtchavez/circleci/140"
    assert seen.headers["Circle-Token"] == "t0ken"


def test_parallel_actions_sum_up_to_one_step() -> None:
    body = (
        b'{"steps":[{"name":"test","actions":['
        b'{"status":"success","start_time":"2024-01-01T00:00:01Z","end_time":"2024-01-01T00:00:05Z"},'
        b'{"status":"failed","start_time":"2024-01-01T00:00:00Z","end_time":"2024-01-01T00:00:09Z"}]},'
        b'{"name":"deploy","actions":[{"status":"running","start_time":"2024-01-01T00:00:10Z","end_time":null},'
        b'{"status":"success","start_time":"2024-01-01T00:00:10Z","end_time":"2024-01-01T00:00:11Z"}]}]}'
    )
    test, deploy = circleci().map_steps(body, "1", PARAMS)
    assert (test.status, test.conclusion) == ("completed", "failed")
    assert test.started_at == datetime(2024, 1, 1, 0, 0, 0, tzinfo=timezone.utc)
    assert test.completed_at == datetime(2024, 1, 1, 0, 0, 9, tzinfo=timezone.utc)
    assert (deploy.status, deploy.conclusion, deploy.completed_at) == ("in_progress", None, None)


def test_steps_of_opaque_slugs_are_unsupported() -> None:
    with pytest.raises(
        unci.Unsupported, match="circleci: CircleCI does not support steps of circleci/ projects"
    ):
        circleci().build_steps_request("1", {"project_slug": "circleci/8f9e/4a1b"})


def test_watching_a_build_asks_its_pipeline_once(server) -> None:
    server.route(f"/workflow/{WORKFLOW}", Reply(body=cassette_body("circleci", "get_build")))
    server.route(f"/pipeline/{PIPELINE}", Reply(body=cassette_body("circleci", "get_build", 1)))
    server.route(f"/workflow/{WORKFLOW}/job", Reply(body=cassette_body("circleci", "list_jobs_one_page")))
    (state,) = list(unci.watch_build("circleci", WORKFLOW, base_url=server.url, include_steps=False))
    assert state.build.branch == "master" and state.build.commit and state.jobs
    asked = [seen.path.split("?")[0] for seen in server.requests]
    assert asked.count(f"/pipeline/{PIPELINE}") == 1
