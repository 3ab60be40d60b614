"""Buddy: pipeline executions mapped per docs/mapping.md, headers, hosting forms, errors, paging."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, map_payload, out_json, run_cli, with_fields
from unci.plugins import registry

JOB = cassette_body("buddy", "get_job")
PARAMS = {"workspace": "buddy", "project": "company-website", "workflow": "2"}
P_ARGS = ["-p", "workspace=buddy", "-p", "project=company-website", "-p", "workflow=2"]
ARGS = ["jobs", "get", "1", "-P", "buddy", *P_ARGS]
EXECUTIONS = "/workspaces/buddy/projects/company-website/pipelines/2/executions"
SECRET = "buddy-secret-token-value"


# One row per status row of docs/mapping.md (every word of the WAITING_FOR_* family Buddy documents),
# then case, a future WAITING_FOR_ word and an unknown word.
@pytest.mark.parametrize(
    ("value", "status", "conclusion"),
    [
        ("INITIAL", "queued", None),
        ("ENQUEUED", "queued", None),
        ("WAITING_FOR_APPLY", "queued", None),
        ("WAITING_FOR_VARIABLES", "queued", None),
        ("WAITING_FOR_SETTABLE_VARIABLES", "queued", None),
        ("WAITING_FOR_VT_SESSION", "queued", None),
        ("INPROGRESS", "in_progress", None),
        ("TERMINATING", "in_progress", None),
        ("SUCCESSFUL", "completed", "passed"),
        ("FAILED", "completed", "failed"),
        ("TERMINATED", "completed", "cancelled"),
        ("SKIPPED", "completed", "skipped"),
        ("NOT_EXECUTED", "completed", "skipped"),
        ("successful", "completed", "passed"),
        ("WAITING_FOR_SOMETHING_NEW", "queued", None),
        ("IN_PROGRESS", "IN_PROGRESS", None),  # not Buddy's spelling: passed through raw
        (None, None, None),
    ],
)
def test_status_rows(value: str | None, status: str | None, conclusion: str | None) -> None:
    job = map_payload("buddy", with_fields(JOB, status=value))
    assert (job.status, job.conclusion) == (status, conclusion)


def test_fields_from_the_documented_execution() -> None:
    job = map_payload("buddy", JOB)
    assert job.id == "1" and job.name == "hotfix"
    assert job.status == "completed" and job.conclusion == "passed"
    assert job.commit == "506a3963507943d6908154f4bc9646e829128a08" and job.branch == "master"
    assert job.started_at == datetime(2016, 3, 29, 8, 5, 30, 330000, tzinfo=timezone.utc)
    assert job.completed_at == job.updated_at == datetime(2016, 3, 29, 8, 5, 32, 623000, tzinfo=timezone.utc)
    assert job.build is None and job.attempts is None and job.created_at is None
    assert bytes(job.remote_data) == JOB


def test_running_execution_with_explicit_nulls() -> None:
    # Buddy returns empty fields as null rather than leaving them out.
    job = map_payload(
        "buddy",
        with_fields(JOB, status="INPROGRESS", finish_date=None, comment="", branch=None, to_revision=None),
    )
    assert job.status == "in_progress" and job.conclusion is None
    assert job.completed_at is None and job.updated_at == job.started_at
    assert job.name is None and job.branch is None and job.commit is None


def test_offsets_become_utc() -> None:
    job = map_payload("buddy", with_fields(JOB, start_date="2016-03-29T10:05:30.33+02:00"))
    assert job.started_at == datetime(2016, 3, 29, 8, 5, 30, 330000, tzinfo=timezone.utc)


def test_execution_id_must_be_the_documented_integer() -> None:
    with pytest.raises(Exception) as info:
        map_payload("buddy", with_fields(JOB, id="not-a-number"))
    assert "id" in str(info.value)


def test_described_provider() -> None:
    info = registry().info("buddy")
    assert info.base_urls == {"us": "https://api.buddy.works", "eu": "https://api.eu.buddy.works"}
    assert "build" not in info.fields and "created_at" not in info.fields
    assert {"id", "status", "conclusion", "started_at", "completed_at", "branch", "commit", "name"} <= set(
        info.fields
    )


@pytest.mark.vcr("buddy/cassettes/get_job.yaml")
def test_cli_prints_the_unified_job() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 0, result.output
    job = out_json(result)
    assert job["id"] == "1" and job["conclusion"] == "passed" and job["branch"] == "master"
    assert job["started_at"] == "2016-03-29T08:05:30.33Z"
    assert job["remote_data"]["triggeredOn"] == "CLICK"
    assert "build" not in job and "attempts" not in job  # an execution carries neither


@pytest.mark.vcr("buddy/cassettes/get_job.yaml")
def test_raw_is_byte_for_byte() -> None:
    result = run_cli(*ARGS, "--format", "raw")
    assert result.exit_code == 0
    assert result.stdout_bytes == JOB


@pytest.mark.vcr("buddy/cassettes/get_job.yaml")
def test_debug_output_redacts_the_token() -> None:
    result = run_cli(*ARGS, "--format", "debug", "--token", SECRET)
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    headers = out_json(result)["debug"]["requestOptions"]["headers"]
    assert headers["Authorization"] == "[REDACTED]" and headers["X-Buddy-Media-Type"] == "buddy.v1.1.0"


# --- hosting forms and headers --------------------------------------------------------------


@pytest.mark.vcr("buddy/cassettes/get_job_eu.yaml")
@pytest.mark.parametrize("how", ["flag", "env"])
def test_eu_hosting_form_by_name(monkeypatch, how: str) -> None:
    extra = ["--base-url", "eu"] if how == "flag" else []
    if how == "env":
        monkeypatch.setenv("UNCI_BUDDY_BASE_URL", "eu")
    result = run_cli(*ARGS, *extra)
    assert result.exit_code == 0, result.output
    assert out_json(result)["id"] == "1"


@pytest.mark.parametrize("how", ["flag", "env"])
def test_self_hosted_api_root(server, monkeypatch, how: str) -> None:
    from localserver import Reply

    server.route(f"/api{EXECUTIONS}/1", Reply(body=JOB))
    extra = ["--base-url", server.url + "/api"] if how == "flag" else []
    if how == "env":
        monkeypatch.setenv("UNCI_BUDDY_BASE_URL", server.url + "/api/")
    result = run_cli(*ARGS, *extra)
    assert result.exit_code == 0, result.output
    assert server.requests[-1].path == f"/api{EXECUTIONS}/1"


@pytest.mark.parametrize(
    ("kw", "env", "expected"),
    [
        ({"token": SECRET}, {}, f"Bearer {SECRET}"),
        ({}, {"UNCI_BUDDY_TOKEN": "t1"}, "Bearer t1"),
        ({}, {"BUDDY_CLI_TOKEN": "t2"}, "Bearer t2"),
        ({}, {}, None),
    ],
)
def test_headers_buddy_requires_are_sent(
    server, monkeypatch, kw: dict, env: dict, expected: str | None
) -> None:
    from localserver import Reply

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    server.route(f"{EXECUTIONS}/1", Reply(body=JOB))
    unci.get_job("buddy", "1", params=PARAMS, base_url=server.url, **kw)
    sent = server.requests[-1].headers
    assert sent["X-Buddy-Media-Type"] == "buddy.v1.1.0"
    assert sent["Accept"] == "application/json"
    assert sent.get("Authorization") == expected


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.vcr("buddy/cassettes/not_found.yaml")
def test_not_found_names_the_path_and_message() -> None:
    result = run_cli("jobs", "get", "999", "-P", "buddy", *P_ARGS)
    assert result.exit_code == 5
    assert f"job '999' was not found at https://api.buddy.works{EXECUTIONS}/999" in result.stderr
    assert "'test'" in result.stderr


@pytest.mark.vcr("buddy/cassettes/bad_credentials.yaml")
def test_refused_token_never_shows_the_secret() -> None:
    result = run_cli(*ARGS, "--token", SECRET)
    assert result.exit_code == 4
    assert "token was refused" in result.stderr and "BUDDY_CLI_TOKEN" in result.stderr
    assert SECRET not in result.output


@pytest.mark.vcr("buddy/cassettes/api_disabled.yaml")
def test_api_disabled_in_the_workspace() -> None:
    result = run_cli(*ARGS, env={"UNCI_BUDDY_TOKEN": SECRET})
    assert result.exit_code == 4
    assert "'API is disabled in this workspace'" in result.stderr
    assert SECRET not in result.output


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"errors":[{"message":"test"}]}', "test"),
        (b'{"errors":[{"message":"first"},{"message":" "},{"message":"second"}]}', "first; second"),
        (b'{"error":"Invalid token"}', "Invalid token"),
        (b'{"errors":[]}', None),
        (b'{"errors":"not a list"}', None),
        (b"<html>502</html>", None),
    ],
)
def test_error_message_hook(body: bytes, expected: str | None) -> None:
    hook = _hooks()
    assert hook.error_message(status_code=400, payload=body) == expected


def test_missing_params_are_all_named() -> None:
    result = run_cli("jobs", "get", "1", "-P", "buddy", "-p", "workspace=buddy")
    assert result.exit_code == 2
    assert "project (" in result.stderr and "workflow (" in result.stderr
    assert "workspace (" not in result.stderr


# --- paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("job_id", "encoded"),
    [
        ("../../user", "..%2F..%2Fuser"),
        ("1?x=y", "1%3Fx%3Dy"),
        ("1#frag", "1%23frag"),
        ("a b", "a%20b"),
        ("{1}", "%7B1%7D"),
        ("%2e%2e", "%252e%252e"),
    ],
)
def test_hostile_ids_stay_in_one_segment(server, job_id: str, encoded: str) -> None:
    result = run_cli("jobs", "get", job_id, "-P", "buddy", *P_ARGS, "--base-url", server.url)
    assert result.exit_code == 5  # no such route: the request went exactly where we said
    assert server.requests[-1].path == f"{EXECUTIONS}/{encoded}"


def test_params_are_encoded_too(server) -> None:
    run_cli(
        "jobs",
        "get",
        "1",
        "-P",
        "buddy",
        "-p",
        "workspace=a/b",
        "-p",
        "project=p?x",
        "-p",
        "workflow=../2",
        "--base-url",
        server.url,
    )
    assert server.requests[-1].path == "/workspaces/a%2Fb/projects/p%3Fx/pipelines/..%2F2/executions/1"


@pytest.mark.parametrize("bad", ["..", ".", "", "a\nb"])
def test_unsafe_ids_are_refused(server, bad: str) -> None:
    result = run_cli("jobs", "get", bad, "-P", "buddy", *P_ARGS, "--base-url", server.url)
    assert result.exit_code == 2
    assert server.requests == []


# --- listing --------------------------------------------------------------------------------


def _hooks():
    return registry().load("buddy")


@pytest.mark.parametrize(("limit", "per_page"), [(None, "100"), (1, "1"), (20, "20"), (1000, "100")])
def test_list_request(limit: int | None, per_page: str) -> None:
    req = _hooks().build_list_request(params=PARAMS, limit=limit)
    assert req.path == EXECUTIONS
    assert req.query == [("page", "1"), ("per_page", per_page)]
    assert req.headers == {"X-Buddy-Media-Type": "buddy.v1.1.0"}


def test_list_pages_from_the_cassette_bodies() -> None:
    hook = _hooks()
    first = hook.build_list_request(params=PARAMS, limit=1)
    page1 = hook.map_job_page(
        payload=cassette_body("buddy", "list_jobs", 0), headers={}, params=PARAMS, request=first
    )
    assert [j.id for j in page1.jobs] == ["1"] and page1.jobs[0].commit.startswith("506a396")
    assert page1.jobs[0].name is None  # the summary's comment is empty
    assert page1.next.path == EXECUTIONS
    assert page1.next.query == [("page", "2"), ("per_page", "1")]
    page2 = hook.map_job_page(
        payload=cassette_body("buddy", "list_jobs", 1), headers={}, params=PARAMS, request=page1.next
    )
    assert len(page2.jobs) == 1 and page2.next is None
    empty = hook.map_job_page(
        payload=cassette_body("buddy", "list_empty"), headers={}, params=PARAMS, request=first
    )
    assert empty.jobs == [] and empty.next is None


@pytest.mark.parametrize(("count", "more"), [(2, True), (1, False), (0, False)])
def test_paging_without_a_page_count(count: int, more: bool) -> None:
    hook = _hooks()
    first = hook.build_list_request(params=PARAMS, limit=2)
    body = json.loads(cassette_body("buddy", "list_jobs", 2))
    del body["total_page_count"], body["page_size"], body["page"]
    body["executions"] = body["executions"] * count
    page = hook.map_job_page(payload=json.dumps(body).encode(), headers={}, params=PARAMS, request=first)
    assert (page.next is not None) is more
    if more:
        assert page.next.query == [("page", "2"), ("per_page", "2")]


def walk(provider: str, params: dict, limit: int | None) -> list:
    """Every page through the core's own request preparation and HTTP client."""
    from unci.call import prepare, resolve_target
    from unci.client import Client

    hook = registry().load(provider)
    target = resolve_target(provider, token=SECRET)
    request = hook.build_list_request(params=params, limit=limit)
    pages = []
    with Client() as client:
        while request is not None:
            answer = client.send(prepare(target, request, params=params))
            page = hook.map_job_page(
                payload=answer.body, headers=answer.headers, params=params, request=request
            )
            pages.append(page)
            request = page.next
    return pages


@pytest.mark.vcr("buddy/cassettes/list_jobs.yaml")
def test_list_walks_pages_through_the_core() -> None:
    pages = walk("buddy", PARAMS, 1)
    assert [len(p.jobs) for p in pages] == [1, 1]
    assert [len(p.jobs) for p in walk("buddy", PARAMS, None)] == [1]


@pytest.mark.vcr("buddy/cassettes/list_empty.yaml")
def test_list_of_a_pipeline_never_run() -> None:
    assert [p.jobs for p in walk("buddy", PARAMS, None)] == [[]]
