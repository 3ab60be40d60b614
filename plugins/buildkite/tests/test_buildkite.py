"""Buildkite: mapping per docs/mapping.md, requests sent, errors, paths, listing, picking a job out
of its build, through the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import msgspec
import pytest

import unci
from helpers import cassette_body, map_payload, out_json, run_cli, with_fields
from unci.job import FIELDS
from unci.plugins import registry

JOB = cassette_body("buildkite", "get_job")
BUILD = cassette_body("buildkite", "get_build")
JOB_ID = "b63254c0-3271-4a98-8270-7cfbd6c2f14e"
PARAMS = {"organization": "my-great-org", "pipeline": "my-pipeline", "build": "1"}
ARGS = [
    "jobs",
    "get",
    JOB_ID,
    "-P",
    "buildkite",
    "-p",
    "organization=my-great-org",
    "-p",
    "pipeline=my-pipeline",
    "-p",
    "build=1",
]
SECRET = "bkua_SECRETSECRETSECRET"


def mapped(payload: bytes, job_id: str = JOB_ID, **params: str) -> unci.Job:
    return map_payload("buildkite", payload, job_id, {**PARAMS, **params})


@pytest.mark.parametrize(
    ("state", "status", "conclusion"),
    [
        ("pending", "queued", None),
        ("waiting", "queued", None),
        ("blocked", "queued", None),
        ("limiting", "queued", None),
        ("limited", "queued", None),
        ("scheduled", "queued", None),
        ("assigned", "queued", None),
        ("accepted", "queued", None),
        ("running", "in_progress", None),
        ("canceling", "in_progress", None),
        ("timing_out", "in_progress", None),
        ("passed", "completed", "passed"),
        ("unblocked", "completed", "passed"),
        ("failed", "completed", "failed"),
        ("waiting_failed", "completed", "failed"),
        ("blocked_failed", "completed", "failed"),
        ("unblocked_failed", "completed", "failed"),
        ("canceled", "completed", "cancelled"),
        ("timed_out", "completed", "timeout"),
        ("skipped", "completed", "skipped"),
        ("broken", "completed", "skipped"),
        ("expired", "completed", "expired"),
        ("PASSED", "completed", "passed"),
    ],
)
def test_state_rows(state: str, status: str, conclusion: str | None) -> None:
    job = mapped(with_fields(JOB, state=state))
    assert (job.status, job.conclusion) == (status, conclusion)


@pytest.mark.parametrize("state", ["finished", "Mystery"])
def test_unknown_state_passes_through_raw(state: str) -> None:
    job = mapped(with_fields(JOB, state=state))
    assert job.status == state and job.conclusion is None


def test_fields_from_the_official_example() -> None:
    job = mapped(JOB)
    assert job.id == JOB_ID and job.name == ":package: Build" and job.build == "1"
    assert (job.status, job.conclusion) == ("completed", "passed")
    assert job.created_at == datetime(2015, 5, 9, 21, 5, 59, 874000, tzinfo=timezone.utc)
    assert job.started_at == datetime(2015, 5, 9, 21, 6, 5, tzinfo=timezone.utc)
    assert job.completed_at == datetime(2015, 5, 9, 21, 6, 20, tzinfo=timezone.utc)
    assert job.commit is None and job.branch is None and job.attempts is None  # not in a job
    assert bytes(job.remote_data) == JOB


def test_offsets_become_utc() -> None:
    job = mapped(
        with_fields(JOB, started_at="2015-05-10T07:06:05.000+10:00", finished_at=None, state="running")
    )
    assert job.started_at == datetime(2015, 5, 9, 21, 6, 5, tzinfo=timezone.utc)
    assert job.completed_at is None and job.conclusion is None


def test_block_steps_are_named_by_their_label() -> None:
    job = mapped(with_fields(JOB, type="manual", name=None, label="Deploy", state="unblocked"))
    assert job.name == "Deploy" and job.conclusion == "passed"


def test_payload_with_wrong_types_names_the_field() -> None:
    with pytest.raises(Exception) as info:
        mapped(with_fields(JOB, created_at=12))
    assert "created_at" in str(info.value)


# --- a job chosen out of its parent build ---------------------------------------------------


def test_job_is_picked_out_of_a_build_by_id() -> None:
    job = mapped(BUILD, build="2")
    assert job.id == JOB_ID and job.name == "RSpec" and job.build == "2"
    assert job.completed_at == datetime(2015, 5, 9, 21, 8, 59, 874000, tzinfo=timezone.utc)
    # remote_data is the job's own object, not the whole build
    assert json.loads(bytes(job.remote_data)) == json.loads(BUILD)["jobs"][0]


def test_picking_ignores_the_case_of_the_uuid() -> None:
    assert mapped(BUILD, JOB_ID.upper(), build="2").id == JOB_ID


def test_a_job_not_in_the_build_is_not_found() -> None:
    other = "0194b92a-4d74-46bb-a1bf-61c73c5642af"
    with pytest.raises(unci.NotFound) as info:
        mapped(BUILD, other, build="2")
    assert info.value.remote_status == 404 and info.value.provider == "buildkite"
    assert f"job {other!r} is not one of the 1 job(s) of build 2" in info.value.message


@pytest.mark.vcr("buildkite/cassettes/get_build.yaml")
def test_a_plugin_that_fetches_the_build_needs_nothing_from_the_core() -> None:
    """A third-party wrapper asks for the build instead of the job; map_job picks the job."""

    class ByBuild:
        @unci.hookimpl
        def build_request(self, provider: str, job_id: str, params) -> unci.Request | None:
            if provider != "buildkite":
                return None
            return unci.Request(
                path=f"/organizations/{unci.segment(params['organization'])}"
                f"/pipelines/{unci.segment(params['pipeline'])}"
                f"/builds/{unci.segment(params['build'])}"
            )

    reg = registry()
    reg.register(ByBuild(), "buildkite-by-build")
    params = {**PARAMS, "build": "2"}
    job = unci.get_job("buildkite", JOB_ID, params=params, token=SECRET)
    assert job.name == "RSpec" and json.loads(bytes(job.remote_data))["id"] == JOB_ID
    result = run_cli(
        "jobs",
        "get",
        "0194b92a-4d74-46bb-a1bf-61c73c5642af",
        "-P",
        "buildkite",
        "-p",
        "organization=my-great-org",
        "-p",
        "pipeline=my-pipeline",
        "-p",
        "build=2",
    )
    assert result.exit_code == 5  # not-found family, one clear line
    assert "is not one of the 1 job(s) of build 2" in result.stderr and "Traceback" not in result.output


# --- through the CLI and the network --------------------------------------------------------


@pytest.mark.vcr("buildkite/cassettes/get_job.yaml")
def test_cli_prints_the_unified_job() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 0, result.output
    job = out_json(result)
    assert job["id"] == JOB_ID and job["build"] == "1" and job["conclusion"] == "passed"
    assert job["completed_at"] == "2015-05-09T21:06:20Z"
    assert job["remote_data"]["command"] == "scripts/build.sh"
    assert "commit" not in job and "branch" not in job  # Buildkite's job carries neither


@pytest.mark.vcr("buildkite/cassettes/get_job.yaml")
def test_raw_is_byte_for_byte() -> None:
    result = run_cli(*ARGS, "--format", "raw")
    assert result.exit_code == 0
    assert result.stdout_bytes == JOB


@pytest.mark.vcr("buildkite/cassettes/get_job.yaml")
def test_python_api_sync_and_async() -> None:
    import asyncio

    job = unci.get_job("buildkite", JOB_ID, params=PARAMS, token=SECRET)
    assert isinstance(job, unci.Job) and job.status == "completed"
    assert asyncio.run(unci.aget_job("buildkite", JOB_ID, params=PARAMS)) == job


@pytest.mark.parametrize("variable", ["UNCI_BUILDKITE_TOKEN", "BUILDKITE_API_TOKEN", "BUILDKITE_TOKEN"])
def test_bearer_token_is_sent_from_each_variable(server, variable: str) -> None:
    from localserver import Reply

    path = f"/organizations/my-great-org/pipelines/my-pipeline/builds/1/jobs/{JOB_ID}"
    server.route(path, Reply(body=JOB))
    result = run_cli(*ARGS, "--base-url", server.url, env={variable: SECRET})
    assert result.exit_code == 0, result.output
    sent = server.requests[-1].headers
    assert sent["Authorization"] == f"Bearer {SECRET}" and sent["User-Agent"].startswith("unci/")


def test_no_token_no_header(server) -> None:
    from localserver import Reply

    server.route(f"/organizations/o/pipelines/p/builds/1/jobs/{JOB_ID}", Reply(body=JOB))
    unci.get_job(
        "buildkite", JOB_ID, params={"organization": "o", "pipeline": "p", "build": "1"}, base_url=server.url
    )
    assert "Authorization" not in server.requests[-1].headers


@pytest.mark.vcr("buildkite/cassettes/get_job.yaml")
def test_base_url_from_env_and_flag() -> None:
    root = "https://api.buildkite.com/v2/"
    assert run_cli(*ARGS, env={"UNCI_BUILDKITE_BASE_URL": root}).exit_code == 0
    assert run_cli(*ARGS, "--base-url", root).exit_code == 0


def test_base_url_override_reaches_another_host(server) -> None:
    from localserver import Reply

    server.route(
        f"/v2/organizations/my-great-org/pipelines/my-pipeline/builds/1/jobs/{JOB_ID}", Reply(body=JOB)
    )
    result = run_cli(*ARGS, env={"UNCI_BUILDKITE_BASE_URL": f"{server.url}/v2"})
    assert result.exit_code == 0, result.output


@pytest.mark.vcr("buildkite/cassettes/not_found.yaml")
def test_not_found_names_the_path_and_buildkites_message() -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    result = run_cli("jobs", "get", missing, *ARGS[3:])
    assert result.exit_code == 5
    assert f"job {missing!r} was not found at https://api.buildkite.com/v2/" in result.stderr
    assert "'No job found'" in result.stderr and "Traceback" not in result.output


@pytest.mark.vcr("buildkite/cassettes/unauthorized.yaml")
def test_refused_token_says_where_tokens_come_from() -> None:
    result = run_cli(*ARGS, "--token", SECRET)
    assert result.exit_code == 4
    assert "token was refused" in result.stderr
    assert "Authentication required. Please supply a valid API Access Token" in result.stderr
    assert "UNCI_BUILDKITE_TOKEN / BUILDKITE_API_TOKEN / BUILDKITE_TOKEN" in result.stderr
    assert SECRET not in result.output


@pytest.mark.vcr("buildkite/cassettes/rate_limited.yaml")
def test_429_is_a_rate_limit_error_with_the_reset() -> None:
    result = run_cli(*ARGS, "--retries", "0", env={"BUILDKITE_API_TOKEN": SECRET})
    assert result.exit_code == 7
    assert "Please wait 42 seconds" in result.stderr and "resets in 42 s" in result.stderr
    assert SECRET not in result.output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{ "message": "No job found" }', "No job found"),
        (b'{"message": ""}', None),
        (b"<html>502</html>", None),
        (b"[1]", None),
    ],
)
def test_error_bodies(body: bytes, message: str | None) -> None:
    assert registry().load("buildkite").error_message(status_code=404, payload=body) == message


def test_missing_params_are_all_named() -> None:
    result = run_cli("jobs", "get", JOB_ID, "-P", "buildkite")
    assert result.exit_code == 2
    assert "organization (the organization slug" in result.stderr
    assert "pipeline (the pipeline slug" in result.stderr
    assert "build (the build number within the pipeline" in result.stderr
    assert "-p organization=... -p pipeline=... -p build=..." in result.stderr


@pytest.mark.parametrize(
    ("job_id", "encoded"),
    [
        ("../../user", "..%2F..%2Fuser"),
        ("1?x=y", "1%3Fx%3Dy"),
        ("1#frag", "1%23frag"),
        ("{uuid}", "%7Buuid%7D"),
        ("%2e%2e", "%252e%252e"),
    ],
)
def test_hostile_ids_stay_in_one_segment(server, job_id: str, encoded: str) -> None:
    result = run_cli(
        "jobs",
        "get",
        job_id,
        "-P",
        "buildkite",
        "-p",
        "organization=o",
        "-p",
        "pipeline=p",
        "-p",
        "build=1",
        "--base-url",
        server.url,
    )
    assert result.exit_code == 5
    assert server.requests[-1].path == f"/organizations/o/pipelines/p/builds/1/jobs/{encoded}"


def test_params_are_encoded_too(server) -> None:
    run_cli(
        "jobs",
        "get",
        "j",
        "-P",
        "buildkite",
        "-p",
        "organization=a/b",
        "-p",
        "pipeline=p?x",
        "-p",
        "build=1#2",
        "--base-url",
        server.url,
    )
    assert server.requests[-1].path == "/organizations/a%2Fb/pipelines/p%3Fx/builds/1%232/jobs/j"


@pytest.mark.parametrize("bad", ["..", "."])
def test_dot_params_are_refused(server, bad: str) -> None:
    result = run_cli(
        "jobs",
        "get",
        JOB_ID,
        "-P",
        "buildkite",
        "-p",
        f"organization={bad}",
        "-p",
        "pipeline=p",
        "-p",
        "build=1",
        "--base-url",
        server.url,
    )
    assert result.exit_code == 2 and server.requests == []


def test_token_never_appears_in_debug_output(server) -> None:
    from localserver import Reply

    server.route(f"/organizations/my-great-org/pipelines/my-pipeline/builds/1/jobs/{JOB_ID}", Reply(body=JOB))
    result = run_cli(*ARGS, "--base-url", server.url, "--format", "debug", "--token", SECRET)
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output


# --- listing the jobs of a build ------------------------------------------------------------


def pages(params: dict[str, str], limit: int | None) -> list[unci.Page]:
    """Every page of a job list, through the hooks and the core's request pipeline."""
    from unci.call import prepare, resolve_target
    from unci.client import Client

    bk = registry().load("buildkite")
    target = resolve_target("buildkite", params=params)
    request = bk.build_list_request(params=params, limit=limit)
    out = []
    with Client() as client:
        while request is not None:
            answer = client.send(prepare(target, request, params=params))
            page = bk.map_job_page(
                payload=answer.body, headers=answer.headers, params=params, request=request
            )
            out.append(page)
            request = page.next
    return out


@pytest.mark.vcr("buildkite/cassettes/list_jobs.yaml")
def test_list_pages_follow_the_next_cursor() -> None:
    first, second = pages(PARAMS, limit=30)
    assert [j.id for j in first.jobs] == [JOB_ID] and [j.id for j in second.jobs] == [JOB_ID]
    assert first.jobs[0].build == "1" and first.jobs[0].name == ":package: Build"
    assert first.next is not None
    assert first.next.path == "/organizations/my-great-org/pipelines/my-pipeline/builds/1/jobs"
    assert first.next.query == [("after", "..."), ("per_page", "30")]
    assert second.next is None


@pytest.mark.vcr("buildkite/cassettes/list_jobs_empty.yaml")
def test_empty_list_has_no_next_page() -> None:
    (only,) = pages({**PARAMS, "build": "3"}, limit=None)
    assert only.jobs == [] and only.next is None


@pytest.mark.parametrize(("limit", "per_page"), [(None, "100"), (30, "30"), (1000, "100")])
def test_list_request_clamps_the_page_size(limit: int | None, per_page: str) -> None:
    request = registry().load("buildkite").build_list_request(params=PARAMS, limit=limit)
    assert request.path == "/organizations/my-great-org/pipelines/my-pipeline/builds/1/jobs"
    assert request.query == [("per_page", per_page)]


def test_a_null_next_link_ends_the_list() -> None:
    bk = registry().load("buildkite")
    request = bk.build_list_request(params=PARAMS, limit=None)
    body = json.dumps({"items": [json.loads(JOB)], "links": {"self": "x", "next": None}}).encode()
    page = bk.map_job_page(payload=body, headers={}, params=PARAMS, request=request)
    assert [j.id for j in page.jobs] == [JOB_ID] and page.next is None


def test_describe_provider_fields_match_the_mapping() -> None:
    info = registry().info("buildkite")
    filled = set()
    # Constructed: the official job, failed with exit status 1 (no documented example fails).
    for body in (JOB, with_fields(JOB, state="failed", exit_status=1)):
        job = mapped(body)
        filled |= {f for f in FIELDS if getattr(job, f) not in (None, msgspec.UNSET)} - {"remote_data"}
    assert filled == set(info.fields)
    assert info.token_env == ("BUILDKITE_API_TOKEN", "BUILDKITE_TOKEN")
