"""CircleCI: mapping per docs/mapping.md, requests sent, errors, paths, listing, through the CLI."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, map_payload, out_json, run_cli, with_fields
from localserver import Reply
from unci.plugins import registry

JOB = cassette_body("circleci", "get_job")
SLUG = "gh/LF-Engineering/da-ds"
ARGS = ["jobs", "get", "155", "-P", "circleci", "-p", f"project_slug={SLUG}"]
WORKFLOW = "fda08377-fe7e-46b1-8992-3a7aaecac9c3"
TOKEN = "CCIPAT_test_token_value"


# --- mapping: one test per row of docs/mapping.md's CircleCI table -------------------------------


@pytest.mark.parametrize(
    ("value", "status", "conclusion"),
    [
        ("queued", "queued", None),
        ("not_running", "queued", None),
        ("blocked", "queued", None),
        ("on_hold", "queued", None),
        ("running", "in_progress", None),
        ("success", "completed", "passed"),
        ("failed", "completed", "failed"),
        ("infrastructure_fail", "completed", "failed"),
        ("canceled", "completed", "cancelled"),
        ("timedout", "completed", "timeout"),
        ("not_run", "completed", "skipped"),
        ("retried", "completed", "retried"),
        ("terminated-unknown", "completed", "terminated-unknown"),
        ("unauthorized", "completed", "unauthorized"),
    ],
)
def test_status_rows(value: str, status: str, conclusion: str | None) -> None:
    job = map_payload("circleci", with_fields(JOB, status=value))
    assert (job.status, job.conclusion) == (status, conclusion)


def test_status_words_match_case_insensitively() -> None:
    job = map_payload("circleci", with_fields(JOB, status="SUCCESS"))
    assert (job.status, job.conclusion) == ("completed", "passed")


def test_unknown_status_passes_through_raw() -> None:
    job = map_payload("circleci", with_fields(JOB, status="Quantum_Leap"))
    assert (job.status, job.conclusion) == ("Quantum_Leap", "Quantum_Leap")


def test_fields_from_the_recorded_job() -> None:
    # A real answer for job 155 of gh/LF-Engineering/da-ds (cassettes/README.md).
    job = map_payload("circleci", JOB, job_id="155")
    assert job.id == "155" and job.name == "build"
    assert job.build == "9552b8fe-f5b7-4f7b-92a3-8bedc0ee35ca"  # latest_workflow.id
    assert job.status == "completed" and job.conclusion == "passed"
    assert job.created_at == datetime(2020, 12, 24, 12, 59, 24, 233000, tzinfo=timezone.utc)
    assert job.started_at == datetime(2020, 12, 24, 12, 59, 27, 236000, tzinfo=timezone.utc)
    assert job.completed_at == datetime(2020, 12, 24, 13, 0, 8, 894000, tzinfo=timezone.utc)
    assert job.created_at < job.started_at < job.completed_at
    assert job.commit is None and job.branch is None and job.attempts is None
    assert bytes(job.remote_data) == JOB


def test_offsets_become_utc_and_missing_stop_is_null() -> None:
    payload = with_fields(
        JOB,
        started_at="2020-01-24T12:33:40+01:00",
        stopped_at=None,
        number=7,
        latest_workflow={"id": WORKFLOW, "name": "w"},
    )
    job = map_payload("circleci", payload)
    assert job.started_at == datetime(2020, 1, 24, 11, 33, 40, tzinfo=timezone.utc)
    assert job.started_at.tzinfo is timezone.utc
    assert job.completed_at is None and job.id == "7" and job.build == WORKFLOW


def test_payload_with_wrong_types_names_the_field() -> None:
    with pytest.raises(Exception) as info:
        map_payload("circleci", with_fields(JOB, number="seven"))
    assert "number" in str(info.value)


# --- the CLI against the cassettes ----------------------------------------------------------


@pytest.mark.vcr("circleci/cassettes/get_job.yaml")
def test_cli_prints_the_unified_job() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 0, result.output
    job = out_json(result)
    assert job["id"] == "155" and job["build"] == "9552b8fe-f5b7-4f7b-92a3-8bedc0ee35ca"
    assert job["created_at"] == "2020-12-24T12:59:24.233Z"
    assert job["completed_at"] == "2020-12-24T13:00:08.894Z"
    assert job["status"] == "completed" and job["conclusion"] == "passed"
    assert "commit" not in job and "branch" not in job  # not in CircleCI's job details
    assert job["remote_data"]["project"]["slug"] == SLUG


@pytest.mark.vcr("circleci/cassettes/get_job.yaml")
def test_raw_is_byte_for_byte() -> None:
    result = run_cli(*ARGS, "--format", "raw")
    assert result.exit_code == 0
    assert result.stdout_bytes == JOB


@pytest.mark.vcr("circleci/cassettes/get_job_server.yaml")
@pytest.mark.parametrize("how", ["env", "flag"])
def test_server_base_url_from_env_or_flag(how: str) -> None:
    root = "https://circleci.example.com/api/v2"
    if how == "env":
        result = run_cli(*ARGS, env={"UNCI_CIRCLECI_BASE_URL": root + "/"})
    else:
        result = run_cli(*ARGS, "--base-url", root)
    assert result.exit_code == 0, result.output
    assert out_json(result)["name"] == "build"


@pytest.mark.vcr("circleci/cassettes/not_found.yaml")
def test_not_found_gives_circleci_message() -> None:
    result = run_cli("jobs", "get", "1", "-P", "circleci", "-p", "project_slug=gh/acme/missing")
    assert result.exit_code == 5
    where = "https://circleci.com/api/v2/project/gh/acme/missing/job/1"
    assert f"job '1' was not found at {where}" in result.stderr
    assert "'Project does not exist.'" in result.stderr and "Traceback" not in result.output


@pytest.mark.vcr("circleci/cassettes/bad_credentials.yaml")
def test_refused_token_is_never_shown() -> None:
    result = run_cli(*ARGS, "--token", TOKEN)
    assert result.exit_code == 4
    assert "token was refused" in result.stderr and "'Invalid token provided.'" in result.stderr
    assert "UNCI_CIRCLECI_TOKEN" in result.stderr and "CIRCLE_TOKEN" in result.stderr
    assert TOKEN not in result.output


@pytest.mark.vcr("circleci/cassettes/bad_credentials.yaml")
def test_token_from_conventional_variable_never_reaches_debug_output() -> None:
    result = run_cli(*ARGS, "--format", "debug", env={"CIRCLE_TOKEN": TOKEN})
    assert result.exit_code == 4
    assert TOKEN not in result.output


@pytest.mark.vcr("circleci/cassettes/rate_limited.yaml")
def test_rate_limit_is_a_rate_limit_error() -> None:
    result = run_cli(*ARGS, "--retries", "0")
    assert result.exit_code == 7
    assert "'Rate limit exceeded.'" in result.stderr and "resets in 30 s" in result.stderr


def test_error_message_hook_reads_message() -> None:
    reg = registry()
    reg.load("circleci")
    body = cassette_body("circleci", "not_found")
    assert reg.hooks("circleci").error_message(status_code=404, payload=body) == "Project does not exist."
    assert reg.hooks("circleci").error_message(status_code=502, payload=b"<html>") is None


# --- what is sent ---------------------------------------------------------------------------


def test_auth_and_accept_headers_are_sent(server) -> None:
    server.route(f"/project/{SLUG}/job/155", Reply(body=JOB))
    params = {"project_slug": SLUG}
    unci.get_job("circleci", "155", params=params, token=TOKEN, base_url=server.url)
    unci.get_job("circleci", "155", params=params, base_url=server.url)
    sent = server.requests[0].headers
    assert sent["Circle-Token"] == TOKEN
    assert "Authorization" not in sent
    assert sent["Accept"] == "application/json"  # without it some CircleCI endpoints answer EDN
    assert sent["User-Agent"].startswith("unci/")
    assert "Circle-Token" not in server.requests[1].headers  # no token, no header


def test_token_from_env_variables(server) -> None:
    server.route(f"/project/{SLUG}/job/155", Reply(body=JOB))
    for var in ("UNCI_CIRCLECI_TOKEN", "CIRCLE_TOKEN", "CIRCLECI_CLI_TOKEN"):
        result = run_cli(*ARGS, "--base-url", server.url, env={var: f"from-{var}"})
        assert result.exit_code == 0, result.output
        assert server.requests[-1].headers["Circle-Token"] == f"from-{var}"
        assert f"from-{var}" not in result.output


def test_missing_project_slug_is_named_before_any_request(server) -> None:
    result = run_cli("jobs", "get", "1", "-P", "circleci", "--base-url", server.url)
    assert result.exit_code == 2
    assert "project_slug (the project slug, vcs_provider/org_name/repo_name" in result.stderr
    assert "-p project_slug=..." in result.stderr
    assert server.requests == []


@pytest.mark.parametrize(
    ("job_id", "encoded"),
    [
        ("../../me", "..%2F..%2Fme"),
        ("1?x=y", "1%3Fx%3Dy"),
        ("1#frag", "1%23frag"),
        ("a b", "a%20b"),
        ("{uuid}", "%7Buuid%7D"),
        ("%2e%2e", "%252e%252e"),
    ],
)
def test_hostile_ids_stay_in_one_segment(server, job_id: str, encoded: str) -> None:
    result = run_cli(
        "jobs", "get", job_id, "-P", "circleci", "-p", "project_slug=gh/o/r", "--base-url", server.url
    )
    assert result.exit_code == 5  # the test server knows no such route: the request went where we said
    assert server.requests[-1].path == f"/project/gh/o/r/job/{encoded}"


@pytest.mark.parametrize(
    ("slug", "path"),
    [
        ("gh/acme/api", "/project/gh/acme/api/job/7"),
        ("gh/ac me/a?p#i", "/project/gh/ac%20me/a%3Fp%23i/job/7"),
        ("circleci/1a2b-org/9z8y-proj", "/project/circleci/1a2b-org/9z8y-proj/job/7"),
        ("bb/{team}/r%2Fx", "/project/bb/%7Bteam%7D/r%252Fx/job/7"),
    ],
)
def test_slug_keeps_its_two_slashes_and_encodes_each_part(server, slug: str, path: str) -> None:
    run_cli("jobs", "get", "7", "-P", "circleci", "-p", f"project_slug={slug}", "--base-url", server.url)
    assert server.requests[-1].path == path


@pytest.mark.parametrize(
    "slug", ["gh/acme", "gh/acme/api/extra", "acme", "gh/../api", "gh//api", "gh/acme/.."]
)
def test_slugs_that_address_elsewhere_are_refused(server, slug: str) -> None:
    result = run_cli(
        "jobs", "get", "7", "-P", "circleci", "-p", f"project_slug={slug}", "--base-url", server.url
    )
    assert result.exit_code == 2, result.output
    assert "project_slug" in result.stderr
    assert server.requests == []


# --- listing through the hooks --------------------------------------------------------------


def _hooks():
    reg = registry()
    reg.load("circleci")
    return reg.hooks("circleci")


def test_list_params_and_first_request() -> None:
    hook = _hooks()
    names = [p.name for p in hook.required_params(operation="list")]
    assert names == ["build"]
    request = hook.build_list_request(params={"build": WORKFLOW}, limit=5)
    assert request.path == f"/workflow/{WORKFLOW}/job" and request.query == []
    hostile = hook.build_list_request(params={"build": "../x?y"}, limit=None)
    assert hostile.path == "/workflow/..%2Fx%3Fy/job"


def test_list_two_pages_with_token_then_absent_key() -> None:
    hook = _hooks()
    params = {"build": WORKFLOW}
    first = hook.build_list_request(params=params, limit=None)
    page1 = hook.map_job_page(
        payload=cassette_body("circleci", "list_jobs", 0), headers={}, params=params, request=first
    )
    assert [j.id for j in page1.jobs] == ["155"]
    job = page1.jobs[0]
    assert (job.name, job.build, job.status, job.conclusion) == ("build", WORKFLOW, "completed", "passed")
    assert job.started_at == datetime(2020, 12, 24, 12, 59, 27, tzinfo=timezone.utc)
    assert job.completed_at == datetime(2020, 12, 24, 13, 0, 8, tzinfo=timezone.utc)
    assert page1.next.path == first.path
    assert page1.next.query == [("page-token", "AARLwwV4dGVzdC1wYWdlLTI")]
    # Page 2 has no next_page_token key at all (pycircleci#36): the last page, not an error.
    page2 = hook.map_job_page(
        payload=cassette_body("circleci", "list_jobs", 1), headers={}, params=params, request=page1.next
    )
    assert len(page2.jobs) == 1 and page2.next is None


def test_list_page_with_null_token_and_empty_list() -> None:
    hook = _hooks()
    params = {"build": WORKFLOW}
    first = hook.build_list_request(params=params, limit=None)
    one = hook.map_job_page(
        payload=cassette_body("circleci", "list_jobs_one_page"), headers={}, params=params, request=first
    )
    assert len(one.jobs) == 1 and one.next is None
    assert bytes(one.jobs[0].remote_data).strip().startswith(b"{")
    empty = hook.map_job_page(
        payload=cassette_body("circleci", "list_empty"), headers={}, params=params, request=first
    )
    assert empty.jobs == [] and empty.next is None


def test_listed_approval_job_without_number_keeps_its_uuid() -> None:
    hook = _hooks()
    body = (
        b'{"next_page_token":null,"items":[{"dependencies":[],"id":"0b2f1a8e-0000-4000-8000-'
        b'000000000001","started_at":null,"name":"hold","project_slug":"gh/o/r",'
        b'"status":"on_hold","type":"approval"}]}'
    )
    request = hook.build_list_request(params={"build": WORKFLOW}, limit=None)
    page = hook.map_job_page(payload=body, headers={}, params={"build": WORKFLOW}, request=request)
    job = page.jobs[0]
    assert job.id == "0b2f1a8e-0000-4000-8000-000000000001"
    assert (job.status, job.conclusion, job.started_at) == ("queued", None, None)


def test_list_pages_through_a_real_server(server) -> None:
    """The next page's Request, sent by the core's own machinery, reaches the right URL."""
    from unci.call import prepare, resolve_target
    from unci.client import Client

    server.route(f"/workflow/{WORKFLOW}/job", Reply(body=cassette_body("circleci", "list_jobs", 0)))
    server.route(
        f"/workflow/{WORKFLOW}/job?page-token=AARLwwV4dGVzdC1wYWdlLTI",
        Reply(body=cassette_body("circleci", "list_jobs", 1)),
    )
    hook = _hooks()
    target = resolve_target("circleci", token=TOKEN, base_url=server.url)
    params = {"build": WORKFLOW}
    request = hook.build_list_request(params=params, limit=None)
    pages = []
    with Client() as client:
        while request is not None:
            answer = client.send(prepare(target, request))
            page = hook.map_job_page(
                payload=answer.body, headers=answer.headers, params=params, request=request
            )
            pages.append(page)
            request = page.next
    assert len(pages) == 2
    assert [r.path for r in server.requests] == [
        f"/workflow/{WORKFLOW}/job",
        f"/workflow/{WORKFLOW}/job?page-token=AARLwwV4dGVzdC1wYWdlLTI",
    ]
    assert all(r.headers["Circle-Token"] == TOKEN for r in server.requests)
