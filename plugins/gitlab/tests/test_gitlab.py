"""GitLab CI: mapping per docs/mapping.md, requests sent, errors, paths, listing, through the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import msgspec
import pytest

import unci
from helpers import cassette_body, map_payload, out_json, run_cli, with_fields
from unci.job import FIELDS
from unci.plugins import registry

JOB = cassette_body("gitlab", "get_job")
ARGS = ["jobs", "get", "8", "-P", "gitlab", "-p", "project=1"]
SECRET = "glpat-SECRETSECRETSECRET"


@pytest.mark.parametrize(
    ("value", "status", "conclusion"),
    [
        ("created", "queued", None),
        ("waiting_for_resource", "queued", None),
        ("preparing", "queued", None),
        ("pending", "queued", None),
        ("scheduled", "queued", None),
        ("manual", "queued", None),
        ("running", "in_progress", None),
        ("success", "completed", "passed"),
        ("failed", "completed", "failed"),
        ("canceled", "completed", "cancelled"),
        ("skipped", "completed", "skipped"),
        ("SUCCESS", "completed", "passed"),
        ("Running", "in_progress", None),
    ],
)
def test_status_rows(value: str, status: str, conclusion: str | None) -> None:
    job = map_payload("gitlab", with_fields(JOB, status=value))
    assert (job.status, job.conclusion) == (status, conclusion)


@pytest.mark.parametrize("value", ["canceling", "Mystery_State"])
def test_unknown_status_passes_through_raw(value: str) -> None:
    job = map_payload("gitlab", with_fields(JOB, status=value))
    assert job.status == value and job.conclusion is None


def test_fields_from_the_official_example() -> None:
    job = map_payload("gitlab", JOB)
    assert job.id == "8" and job.name == "rubocop" and job.build == "6"
    assert job.commit == "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd" and job.branch == "main"
    assert (job.status, job.conclusion) == ("completed", "failed")
    assert job.created_at == datetime(2015, 12, 24, 15, 51, 21, 880000, tzinfo=timezone.utc)
    assert job.started_at == datetime(2015, 12, 24, 17, 54, 30, 733000, tzinfo=timezone.utc)
    assert job.completed_at == datetime(2015, 12, 24, 17, 54, 31, 198000, tzinfo=timezone.utc)
    assert job.attempts is None and job.updated_at is None  # GitLab's job has neither
    assert bytes(job.remote_data) == JOB


def test_offsets_become_utc_and_running_jobs_have_no_end() -> None:
    job = map_payload(
        "gitlab",
        with_fields(JOB, created_at="2015-12-24T16:51:21.880+01:00", status="running", finished_at=None),
    )
    assert job.created_at == datetime(2015, 12, 24, 15, 51, 21, 880000, tzinfo=timezone.utc)
    assert job.completed_at is None and job.conclusion is None


def test_a_tag_pipeline_has_no_branch() -> None:
    job = map_payload("gitlab", with_fields(JOB, ref="v1.0.0", tag=True))
    assert job.branch is None


def test_commit_falls_back_to_the_pipeline_sha() -> None:
    job = map_payload("gitlab", with_fields(JOB, commit=None))
    assert job.commit == "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd"


def test_payload_with_wrong_types_names_the_field() -> None:
    with pytest.raises(Exception) as info:
        map_payload("gitlab", with_fields(JOB, id="not-a-number"))
    assert "id" in str(info.value)


@pytest.mark.vcr("gitlab/cassettes/get_job.yaml")
def test_cli_prints_the_unified_job() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 0, result.output
    job = out_json(result)
    assert job["id"] == "8" and job["build"] == "6" and job["conclusion"] == "failed"
    assert job["started_at"] == "2015-12-24T17:54:30.733Z"  # RFC 3339, UTC, Z, zeros trimmed
    assert job["remote_data"]["web_url"] == "https://example.com/foo/bar/-/jobs/8"
    assert "attempts" not in job and "updated_at" not in job  # not supplied by GitLab at all


@pytest.mark.vcr("gitlab/cassettes/get_job.yaml")
def test_raw_is_byte_for_byte() -> None:
    result = run_cli(*ARGS, "--format", "raw")
    assert result.exit_code == 0
    assert result.stdout_bytes == JOB


@pytest.mark.vcr("gitlab/cassettes/get_job.yaml")
def test_python_api_sync_and_async() -> None:
    import asyncio

    job = unci.get_job("gitlab", "8", params={"project": "1"}, token=SECRET)
    assert isinstance(job, unci.Job) and job.name == "rubocop"
    assert asyncio.run(unci.aget_job("gitlab", "8", params={"project": "1"})) == job


@pytest.mark.vcr("gitlab/cassettes/get_job_by_path.yaml")
def test_project_path_is_sent_as_one_encoded_segment() -> None:
    result = run_cli("jobs", "get", "8", "-P", "gitlab", "-p", "project=gitlab-org/gitlab")
    assert result.exit_code == 0, result.output
    assert out_json(result)["id"] == "8"


@pytest.mark.vcr("gitlab/cassettes/get_job_self_managed.yaml")
@pytest.mark.parametrize("how", ["env", "flag"])
def test_self_managed_base_url(how: str) -> None:
    root = "https://gitlab.example.com/api/v4/"
    if how == "env":
        result = run_cli(*ARGS, env={"UNCI_GITLAB_BASE_URL": root})
    else:
        result = run_cli(*ARGS, "--base-url", root)
    assert result.exit_code == 0, result.output
    assert out_json(result)["id"] == "8"


def test_private_token_header_and_bearer_on_request(server) -> None:
    from localserver import Reply

    server.route("/projects/1/jobs/8", Reply(body=JOB))
    unci.get_job("gitlab", "8", params={"project": "1"}, token=SECRET, base_url=server.url)
    unci.get_job(
        "gitlab", "8", params={"project": "1"}, token="Bearer oauth-token-value", base_url=server.url
    )
    unci.get_job("gitlab", "8", params={"project": "1"}, base_url=server.url)
    first, second, third = (r.headers for r in server.requests)
    assert first["PRIVATE-TOKEN"] == SECRET and "Authorization" not in first
    assert second["Authorization"] == "Bearer oauth-token-value" and "PRIVATE-TOKEN" not in second
    assert "PRIVATE-TOKEN" not in third and "Authorization" not in third  # public project
    assert first["User-Agent"].startswith("unci/")


@pytest.mark.parametrize(
    ("token", "headers"),
    [
        ("bearer abc", {"Authorization": "Bearer abc"}),
        ("Bearer  ", {}),
        ("Bearerish", {"PRIVATE-TOKEN": "Bearerish"}),
        ("", {}),
    ],
)
def test_the_one_rule_that_picks_the_header(token: str, headers: dict[str, str]) -> None:
    assert registry().load("gitlab").authenticate(unci.Credentials(token)) == headers


def test_gitlab_token_env_is_read(server) -> None:
    from localserver import Reply

    server.route("/projects/1/jobs/8", Reply(body=JOB))
    result = run_cli(*ARGS, "--base-url", server.url, env={"GITLAB_TOKEN": SECRET})
    assert result.exit_code == 0, result.output
    assert server.requests[-1].headers["PRIVATE-TOKEN"] == SECRET


@pytest.mark.vcr("gitlab/cassettes/not_found.yaml")
def test_not_found_names_the_path_and_gitlabs_message() -> None:
    result = run_cli("jobs", "get", "8", "-P", "gitlab", "-p", "project=404")
    assert result.exit_code == 5
    assert "job '8' was not found at https://gitlab.com/api/v4/projects/404/jobs/8" in result.stderr
    assert "'404 Project Not Found'" in result.stderr and "Traceback" not in result.output


@pytest.mark.vcr("gitlab/cassettes/unauthorized.yaml")
def test_refused_token_says_where_tokens_come_from() -> None:
    result = run_cli(*ARGS, "--token", SECRET)
    assert result.exit_code == 4
    assert "token was refused" in result.stderr and "'401 Unauthorized'" in result.stderr
    assert "UNCI_GITLAB_TOKEN" in result.stderr and "GITLAB_TOKEN" in result.stderr
    assert SECRET not in result.output


@pytest.mark.vcr("gitlab/cassettes/insufficient_scope.yaml")
def test_token_without_scope_names_the_scope() -> None:
    result = run_cli(*ARGS, "--token", SECRET, "--error-format", "json")
    assert result.exit_code == 4
    assert "lacks access" in result.stderr
    assert "higher privileges than provided by the access token. (needs scope: api read_api)" in result.stderr
    assert SECRET not in result.output


@pytest.mark.vcr("gitlab/cassettes/rate_limited.yaml")
def test_throttled_429_is_a_rate_limit_error() -> None:
    result = run_cli(*ARGS, "--retries", "0", env={"GITLAB_TOKEN": SECRET})
    assert result.exit_code == 7
    assert "rate limit reached (HTTP 429): 'Retry later'" in result.stderr
    assert "resets in" in result.stderr and SECRET not in result.output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"message":"400 (Bad request) \\"title\\" not given"}', '400 (Bad request) "title" not given'),
        (
            b'{"message":{"bio":["is too long (maximum is 255 characters)"]}}',
            "bio is too long (maximum is 255 characters)",
        ),
        (b'{"error":"404 Not Found"}', "404 Not Found"),
        (b"Retry later", None),
        (b"[]", None),
    ],
)
def test_error_bodies_become_one_line(body: bytes, message: str | None) -> None:
    assert registry().load("gitlab").error_message(400, body) == message


def test_missing_project_is_named() -> None:
    result = run_cli("jobs", "get", "8", "-P", "gitlab")
    assert result.exit_code == 2
    assert "project (the project's numeric id or its namespace/name path" in result.stderr
    assert "-p project=..." in result.stderr


@pytest.mark.parametrize(
    ("job_id", "encoded"),
    [
        ("../../user", "..%2F..%2Fuser"),
        ("1?x=y", "1%3Fx%3Dy"),
        ("1#frag", "1%23frag"),
        ("a b", "a%20b"),
        ("%2e%2e", "%252e%252e"),
    ],
)
def test_hostile_ids_stay_in_one_segment(server, job_id: str, encoded: str) -> None:
    result = run_cli("jobs", "get", job_id, "-P", "gitlab", "-p", "project=1", "--base-url", server.url)
    assert result.exit_code == 5  # the test server knows no such route: the request went where we said
    assert server.requests[-1].path == f"/projects/1/jobs/{encoded}"


@pytest.mark.parametrize(
    ("project", "encoded"),
    [
        ("group/sub/proj", "group%2Fsub%2Fproj"),
        ("a/../b", "a%2F..%2Fb"),
        ("p?x=y", "p%3Fx%3Dy"),
        ("278964", "278964"),
    ],
)
def test_project_stays_in_one_segment(server, project: str, encoded: str) -> None:
    run_cli("jobs", "get", "8", "-P", "gitlab", "-p", f"project={project}", "--base-url", server.url)
    assert server.requests[-1].path == f"/projects/{encoded}/jobs/8"


@pytest.mark.parametrize("bad", ["..", "."])
def test_dot_projects_are_refused(server, bad: str) -> None:
    result = run_cli("jobs", "get", "8", "-P", "gitlab", "-p", f"project={bad}", "--base-url", server.url)
    assert result.exit_code == 2 and "parameter 'project'" in result.stderr
    assert server.requests == []


def test_token_never_appears_in_debug_output(server) -> None:
    from localserver import Reply

    server.route("/projects/1/jobs/8", Reply(body=JOB))
    for token in (SECRET, f"Bearer {SECRET}"):
        result = run_cli(*ARGS, "--base-url", server.url, "--format", "debug", "--token", token)
        assert result.exit_code == 0, result.output
        assert SECRET not in result.output
        assert out_json(result)["debug"]["requestOptions"]["headers"]  # headers shown, redacted


# --- listing the jobs of a pipeline ---------------------------------------------------------


def pages(provider: str, params: dict[str, str], limit: int | None) -> list[unci.Page]:
    """Every page of a job list, through the hooks and the core's request pipeline."""
    from unci.call import prepare, resolve_target
    from unci.client import Client

    gitlab = registry().load(provider)
    target = resolve_target(provider, params=params)
    request = gitlab.build_list_request(params, limit)
    out = []
    with Client() as client:
        while request is not None:
            answer = client.send(prepare(target, request, params=params))
            page = gitlab.map_job_page(answer.body, answer.headers, params, request)
            out.append(page)
            request = page.next
    return out


@pytest.mark.vcr("gitlab/cassettes/list_jobs.yaml")
def test_list_pages_follow_x_next_page() -> None:
    first, second = pages("gitlab", {"project": "1", "build": "6"}, limit=2)
    assert [j.id for j in first.jobs] == ["6", "7"] and [j.id for j in second.jobs] == ["8"]
    assert {j.build for j in first.jobs + second.jobs} == {"6"}
    assert first.jobs[1].name == "teaspoon" and first.jobs[1].conclusion == "failed"
    assert first.next is not None and ("page", "2") in first.next.query
    assert first.next.path == "/projects/1/pipelines/6/jobs"  # same root, only the page changes
    assert second.next is None
    raw = json.loads(bytes(first.jobs[0].remote_data))
    assert raw["failure_reason"] == "stuck_or_timeout_failure"  # each job keeps its own object


@pytest.mark.vcr("gitlab/cassettes/list_jobs_empty.yaml")
def test_empty_list_has_no_next_page() -> None:
    (only,) = pages("gitlab", {"project": "1", "build": "7"}, limit=None)
    assert only.jobs == [] and only.next is None


@pytest.mark.parametrize(("limit", "per_page"), [(None, "100"), (2, "2"), (500, "100"), (0, "100")])
def test_list_request_clamps_the_page_size(limit: int | None, per_page: str) -> None:
    request = registry().load("gitlab").build_list_request({"project": "g/p", "build": "6"}, limit)
    assert request.path == "/projects/g%2Fp/pipelines/6/jobs"
    assert request.query == [("include_retried", "true"), ("per_page", per_page)]


def test_list_params_include_the_pipeline() -> None:
    names = [p.name for p in registry().load("gitlab").required_params("list")]
    assert names == ["project", "build"]


def test_link_header_is_the_fallback_when_x_next_page_is_missing() -> None:
    gitlab = registry().load("gitlab")
    request = gitlab.build_list_request({"project": "1", "build": "6"}, 2)
    body = cassette_body("gitlab", "list_jobs")
    link = (
        "<https://gitlab.internal/api/v4/projects/1/pipelines/6/jobs?include_retried=true"
        '&page=3&per_page=2>; rel="next", <https://gitlab.internal/x?page=1>; rel="first"'
    )
    page = gitlab.map_job_page(body, {"link": link}, {}, request)
    assert page.next.path == "/projects/1/pipelines/6/jobs"  # not the host the Link names
    assert page.next.query == [("include_retried", "true"), ("per_page", "2"), ("page", "3")]
    last = gitlab.map_job_page(body, {"x-next-page": ""}, {}, request)
    assert last.next is None


def test_describe_provider_fields_match_the_mapping() -> None:
    reg = registry()
    info = reg.info("gitlab")
    filled = set()
    for body in (JOB, cassette_body("gitlab", "get_job_timeout")):
        job = map_payload("gitlab", body)
        filled |= {f for f in FIELDS if getattr(job, f) not in (None, msgspec.UNSET)} - {"remote_data"}
    assert filled == set(info.fields)
    assert info.token_env == ("GITLAB_TOKEN",) and info.base_url == "https://gitlab.com/api/v4"
