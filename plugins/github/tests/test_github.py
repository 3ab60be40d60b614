"""GitHub Actions: mapping per docs/mapping.md, requests sent, errors, paths, through the CLI."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, map_payload, out_json, run_cli, with_fields

JOB = cassette_body("github", "get_job")
ARGS = ["jobs", "get", "399444496", "-P", "github", "-p", "owner=octo-org", "-p", "repo_id=octo-repo"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("queued", "queued"),
        ("waiting", "queued"),
        ("requested", "queued"),
        ("pending", "queued"),
        ("in_progress", "in_progress"),
        ("completed", "completed"),
        ("Mystery", "Mystery"),
    ],
)
def test_status_rows(status: str, expected: str) -> None:
    assert map_payload("github", with_fields(JOB, status=status)).status == expected


@pytest.mark.parametrize(
    ("conclusion", "expected"),
    [
        ("success", "passed"),
        ("failure", "failed"),
        ("startup_failure", "failed"),
        ("cancelled", "cancelled"),
        ("timed_out", "timeout"),
        ("skipped", "skipped"),
        ("neutral", "neutral"),
        ("action_required", "action_required"),
        ("stale", "stale"),
        ("SUCCESS", "passed"),
        (None, None),
    ],
)
def test_conclusion_rows(conclusion: str | None, expected: str | None) -> None:
    assert map_payload("github", with_fields(JOB, conclusion=conclusion)).conclusion == expected


def test_fields_from_the_official_example() -> None:
    job = map_payload("github", JOB)
    assert job.id == "399444496" and job.build == "29679449" and job.name == "build"
    assert job.commit == "f83a356604ae3c5d03e1b46ef4d1ca77d64a90b0" and job.branch == "main"
    assert job.started_at == datetime(2020, 1, 20, 17, 42, 40, tzinfo=timezone.utc)
    assert job.updated_at == job.completed_at == datetime(2020, 1, 20, 17, 44, 39, tzinfo=timezone.utc)
    assert job.attempts is None and job.created_at is None  # the example omits both
    assert bytes(job.remote_data) == JOB


def test_offsets_become_utc_and_attempts_are_read() -> None:
    job = map_payload(
        "github",
        with_fields(JOB, created_at="2020-01-20T09:42:40.000-08:00", run_attempt=3, completed_at=None),
    )
    assert job.created_at == datetime(2020, 1, 20, 17, 42, 40, tzinfo=timezone.utc)
    assert job.attempts == 3
    assert job.updated_at == job.started_at  # latest present timestamp


@pytest.mark.vcr("github/cassettes/get_job.yaml")
def test_cli_prints_the_unified_job() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 0, result.output
    job = out_json(result)
    assert job["id"] == "399444496" and job["conclusion"] == "passed"
    assert job["started_at"] == "2020-01-20T17:42:40Z"
    assert job["remote_data"]["runner_name"] == "my runner"
    assert "created_at" in job and job["created_at"] is None  # supported but empty: null


@pytest.mark.vcr("github/cassettes/get_job.yaml")
def test_raw_is_byte_for_byte() -> None:
    result = run_cli(*ARGS, "--format", "raw")
    assert result.exit_code == 0
    assert result.stdout_bytes == JOB


@pytest.mark.vcr("github/cassettes/get_job.yaml")
def test_python_api_sync_and_async() -> None:
    import asyncio

    params = {"owner": "octo-org", "repo_id": "octo-repo"}
    job = unci.get_job("github", "399444496", params=params, token="ghp_test_token_value")
    assert isinstance(job, unci.Job) and job.conclusion == "passed"
    again = asyncio.run(unci.aget_job("github", "399444496", params=params))
    assert again == job


def test_headers_github_requires_are_sent(server) -> None:
    from localserver import Reply

    server.route("/repos/octo-org/octo-repo/actions/jobs/399444496", Reply(body=JOB))
    params = {"owner": "octo-org", "repo_id": "octo-repo"}
    unci.get_job("github", "399444496", params=params, token="ghp_test_token_value", base_url=server.url)
    unci.get_job("github", "399444496", params=params, base_url=server.url)
    sent = server.requests[0].headers
    assert sent["Accept"] == "application/vnd.github+json"
    assert sent["X-GitHub-Api-Version"] == "2022-11-28"
    assert sent["User-Agent"].startswith("unci/")
    assert sent["Authorization"] == "Bearer ghp_test_token_value"
    assert "Authorization" not in server.requests[1].headers  # no token, no header


@pytest.mark.vcr("github/cassettes/get_job_ghes.yaml")
def test_enterprise_server_base_url_from_env() -> None:
    result = run_cli(*ARGS, env={"UNCI_GITHUB_BASE_URL": "https://ghe.example.com/api/v3/"})
    assert result.exit_code == 0, result.output
    assert out_json(result)["id"] == "399444496"


@pytest.mark.vcr("github/cassettes/not_found.yaml")
def test_not_found_names_the_path() -> None:
    result = run_cli("jobs", "get", "1", "-P", "github", "-p", "owner=octo-org", "-p", "repo_id=octo-repo")
    assert result.exit_code == 5
    where = "https://api.github.com/repos/octo-org/octo-repo/actions/jobs/1"
    assert f"job '1' was not found at {where}" in result.stderr
    assert "'Not Found'" in result.stderr and "Traceback" not in result.output


@pytest.mark.vcr("github/cassettes/bad_credentials.yaml")
def test_refused_token_says_where_tokens_come_from() -> None:
    secret = "ghp_SECRETSECRETSECRET"
    result = run_cli(*ARGS, "--token", secret)
    assert result.exit_code == 4
    assert "token was refused" in result.stderr and "'Bad credentials'" in result.stderr
    assert "UNCI_GITHUB_TOKEN" in result.stderr and "GITHUB_TOKEN" in result.stderr
    assert secret not in result.output


@pytest.mark.vcr("github/cassettes/rate_limited.yaml")
def test_rate_limit_403_is_a_rate_limit_error() -> None:
    result = run_cli(*ARGS, env={"GITHUB_TOKEN": "ghp_from_env"})
    assert result.exit_code == 7
    assert "rate limit" in result.stderr and "; it resets " in result.stderr


@pytest.mark.vcr("github/cassettes/server_error.yaml")
def test_other_http_errors_show_status_and_message() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 6
    assert "HTTP 500" in result.stderr and "'Server Error'" in result.stderr


@pytest.mark.vcr("github/cassettes/not_json.yaml")
def test_body_that_is_not_json_is_a_decode_error() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 9
    assert result.stderr.startswith("unci: error: github: the response body is not the job JSON")


def test_payload_with_wrong_types_names_the_field() -> None:
    with pytest.raises(Exception) as info:
        unci_job = map_payload("github", with_fields(JOB, run_id="not-a-number"))
        del unci_job
    assert "run_id" in str(info.value)


def test_missing_params_are_all_named() -> None:
    result = run_cli("jobs", "get", "1", "-P", "github")
    assert result.exit_code == 2
    assert "owner (the account that owns the repository" in result.stderr
    assert "repo_id (the repository name" in result.stderr
    assert "-p owner=... -p repo_id=..." in result.stderr


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
    result = run_cli(
        "jobs", "get", job_id, "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "--base-url", server.url
    )
    assert result.exit_code == 5  # the test server knows no such route: the request went where we said
    assert server.requests[-1].path == f"/repos/o/r/actions/jobs/{encoded}"


@pytest.mark.parametrize("bad", ["..", ".", "", "  ", "a\nb", "x" * 1025])
def test_ids_that_cannot_be_made_safe_are_refused(server, bad: str) -> None:
    result = run_cli(
        "jobs", "get", bad, "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "--base-url", server.url
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("unci: error: github: job id")
    assert server.requests == []


def test_owner_param_is_encoded_too(server) -> None:
    run_cli(
        "jobs", "get", "7", "-P", "github", "-p", "owner=a/b", "-p", "repo_id=r?x", "--base-url", server.url
    )
    assert server.requests[-1].path == "/repos/a%2Fb/r%3Fx/actions/jobs/7"
