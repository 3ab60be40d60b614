"""Bitbucket Pipelines: mapping per docs/mapping.md, auth schemes, errors, UUID paths, listing."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, map_payload, out_json, run_cli, with_fields
from unci.plugins import registry

JOB = cassette_body("bitbucket", "get_job")
STEP = "{9b079475-6fed-40bb-b591-711351c12f71}"
PIPELINE = "{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}"
PIPELINE_PATH = "%7B2d91d69f-d84b-423d-ae4d-c1d3f2c27166%7D"
PARAMS = {"workspace_id": "likyh", "repo": "likyhphp", "build": PIPELINE}
P_ARGS = ["-p", "workspace_id=likyh", "-p", "repo=likyhphp", "-p", f"build={PIPELINE}"]
ARGS = ["jobs", "get", STEP, "-P", "bitbucket", *P_ARGS]
JOB_PATH = (
    "/2.0/repositories/likyh/likyhphp/pipelines/%7B2d91d69f-d84b-423d-ae4d-c1d3f2c27166%7D"
    "/steps/%7B9b079475-6fed-40bb-b591-711351c12f71%7D"
)
SECRET = "ATBB-secret-app-password-value"


def state(name: str, result: str | None = None) -> dict:
    """A step ``state`` object shaped as Bitbucket sends it (type discriminators included)."""
    data: dict = {"type": f"pipeline_step_state_{name.lower()}", "name": name}
    if result is not None:
        data["result"] = {"type": f"pipeline_step_state_completed_{result.lower()}", "name": result}
    return data


# One row per status row of docs/mapping.md, then case, unknown values and the edges.
@pytest.mark.parametrize(
    ("name", "result", "status", "conclusion"),
    [
        ("PENDING", None, "queued", None),
        ("READY", None, "queued", None),
        ("IN_PROGRESS", None, "in_progress", None),
        ("COMPLETED", "SUCCESSFUL", "completed", "passed"),
        ("COMPLETED", "FAILED", "completed", "failed"),
        ("COMPLETED", "ERROR", "completed", "failed"),
        ("COMPLETED", "STOPPED", "completed", "cancelled"),
        ("COMPLETED", "NOT_RUN", "completed", "skipped"),
        ("COMPLETED", "EXPIRED", "completed", "timeout"),
        ("completed", "successful", "completed", "passed"),
        ("COMPLETED", None, "completed", None),
        ("HALTED", None, "HALTED", None),
        ("COMPLETED", "MYSTERY", "completed", "MYSTERY"),
        ("PAUSED_SOMEHOW", "FAILED", "completed", "failed"),  # a result means the step ended
    ],
)
def test_status_rows(name: str, result: str | None, status: str, conclusion: str | None) -> None:
    job = map_payload("bitbucket", with_fields(JOB, state=state(name, result)))
    assert (job.status, job.conclusion) == (status, conclusion)


def test_no_state_maps_to_nulls() -> None:
    job = map_payload("bitbucket", with_fields(JOB, state=None))
    assert job.status is None and job.conclusion is None


def test_fields_from_the_recorded_step() -> None:
    job = map_payload("bitbucket", JOB)
    assert job.id == STEP and job.build == PIPELINE and job.attempts == 1
    assert job.status == "completed" and job.conclusion == "passed"  # result SUCCESSFUL
    assert job.started_at == datetime(2023, 2, 20, 9, 23, 31, 978093, tzinfo=timezone.utc)
    end = datetime(2023, 2, 20, 9, 23, 36, 923036, tzinfo=timezone.utc)
    assert job.completed_at == job.updated_at == end
    assert job.name == "Test"
    assert job.created_at is None and job.commit is None and job.branch is None
    assert bytes(job.remote_data) == JOB


def test_name_rerun_and_offsets() -> None:
    job = map_payload(
        "bitbucket",
        with_fields(
            JOB,
            name="Build and test",
            run_number=2,
            started_on="2020-11-10T21:22:55.969+01:00",
            completed_on="2020-11-10T15:30:00-05:00",
        ),
    )
    assert job.name == "Build and test" and job.attempts == 2
    assert job.started_at == datetime(2020, 11, 10, 20, 22, 55, 969000, tzinfo=timezone.utc)
    assert job.completed_at == datetime(2020, 11, 10, 20, 30, tzinfo=timezone.utc)
    assert job.updated_at == job.completed_at


def test_pending_step_has_no_times() -> None:
    data = json.loads(JOB)
    for key in ("started_on", "completed_on", "duration_in_seconds"):
        del data[key]  # absent, not null, until the step runs
    data["state"] = state("PENDING")
    job = map_payload("bitbucket", json.dumps(data).encode())
    assert job.status == "queued" and job.started_at is None and job.updated_at is None


def test_described_fields_match_the_mapping() -> None:
    info = registry().info("bitbucket")
    assert "created_at" not in info.fields and "commit" not in info.fields
    assert set(info.fields) >= {
        "id",
        "name",
        "build",
        "status",
        "conclusion",
        "started_at",
        "completed_at",
        "attempts",
    }
    assert info.base_urls == {"cloud": "https://api.bitbucket.org/2.0"}
    assert info.username_env == ("BITBUCKET_USERNAME",)


@pytest.mark.vcr("bitbucket/cassettes/get_job.yaml")
def test_cli_prints_the_unified_job() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 0, result.output
    job = out_json(result)
    assert job["id"] == STEP and job["build"] == PIPELINE and job["conclusion"] == "passed"
    assert job["started_at"] == "2023-02-20T09:23:31.978093Z"
    assert job["remote_data"]["maxTime"] == 120
    assert job["name"] == "Test"
    assert "created_at" not in job and "commit" not in job  # not in a step payload at all


@pytest.mark.vcr("bitbucket/cassettes/get_job.yaml")
def test_raw_is_byte_for_byte() -> None:
    result = run_cli(*ARGS, "--format", "raw")
    assert result.exit_code == 0
    assert result.stdout_bytes == JOB


@pytest.mark.vcr("bitbucket/cassettes/get_job.yaml")
def test_cloud_hosting_form_name_as_base_url() -> None:
    result = run_cli(*ARGS, "--base-url", "cloud")
    assert result.exit_code == 0, result.output


@pytest.mark.vcr("bitbucket/cassettes/get_job.yaml")
def test_debug_output_redacts_the_credentials() -> None:
    result = run_cli(*ARGS, "--format", "debug", "--username", "me", "--password", SECRET)
    assert result.exit_code == 0, result.output
    basic = base64.b64encode(f"me:{SECRET}".encode()).decode()
    assert SECRET not in result.output and basic not in result.output
    assert out_json(result)["debug"]["requestOptions"]["headers"]["Authorization"] == "[REDACTED]"


# --- authentication -------------------------------------------------------------------------


def _fetch(server, **kw) -> None:
    from localserver import Reply

    server.route(JOB_PATH, Reply(body=JOB))
    unci.get_job("bitbucket", STEP, params=PARAMS, base_url=server.url + "/2.0", **kw)


def test_access_token_is_sent_as_bearer(server) -> None:
    _fetch(server, token="repo-access-token-value")
    assert server.requests[-1].headers["Authorization"] == "Bearer repo-access-token-value"
    assert server.requests[-1].path == JOB_PATH


def test_username_and_app_password_are_sent_as_basic(server) -> None:
    _fetch(server, username="jdoe", password=SECRET)
    expected = base64.b64encode(f"jdoe:{SECRET}".encode()).decode()
    assert server.requests[-1].headers["Authorization"] == f"Basic {expected}"


def test_basic_pair_wins_over_a_token(server) -> None:
    _fetch(server, username="me@example.com", password="api-token", token="other")
    assert server.requests[-1].headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"UNCI_BITBUCKET_TOKEN": "t1"}, "Bearer t1"),
        ({"BITBUCKET_ACCESS_TOKEN": "t2"}, "Bearer t2"),
        (
            {"UNCI_BITBUCKET_USERNAME": "u", "UNCI_BITBUCKET_PASSWORD": "p"},
            "Basic " + base64.b64encode(b"u:p").decode(),
        ),
        (
            {"BITBUCKET_USERNAME": "u", "BITBUCKET_APP_PASSWORD": "ap"},
            "Basic " + base64.b64encode(b"u:ap").decode(),
        ),
        (
            {"BITBUCKET_USERNAME": "me@example.com", "BITBUCKET_API_TOKEN": "at"},
            "Basic " + base64.b64encode(b"me@example.com:at").decode(),
        ),
    ],
)
def test_credentials_from_the_environment(server, monkeypatch, env: dict, expected: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    _fetch(server)
    assert server.requests[-1].headers["Authorization"] == expected


def test_no_credentials_no_header(server) -> None:
    _fetch(server)
    assert "Authorization" not in server.requests[-1].headers


@pytest.mark.parametrize(
    ("flags", "says"),
    [(["--username", "jdoe"], "without its app password"), (["--password", SECRET], "without a user name")],
)
def test_half_a_basic_pair_is_refused_before_any_request(server, flags: list, says: str) -> None:
    result = run_cli(*ARGS, "--base-url", server.url, *flags)
    assert result.exit_code == 2
    assert says in result.stderr and SECRET not in result.output
    assert server.requests == []


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.vcr("bitbucket/cassettes/not_found.yaml")
def test_not_found_gives_message_and_detail() -> None:
    result = run_cli("jobs", "get", "1", "-P", "bitbucket", *P_ARGS)
    assert result.exit_code == 5
    assert "'Not found: The value provided is not a valid uuid.'" in result.stderr
    assert "/pipelines/%7B2d91d69f-d84b-423d-ae4d-c1d3f2c27166%7D/steps/1" in result.stderr


@pytest.mark.vcr("bitbucket/cassettes/repo_not_found.yaml")
def test_unknown_repository() -> None:
    result = run_cli(
        "jobs",
        "get",
        STEP,
        "-P",
        "bitbucket",
        "-p",
        "workspace_id=likyh",
        "-p",
        "repo=nosuchrepo",
        "-p",
        f"build={PIPELINE}",
    )
    assert result.exit_code == 5
    assert "The requested repository either does not exist or you do not have access" in result.stderr


def test_a_refused_user_name_and_password_are_called_that_not_a_token(server) -> None:
    from localserver import Reply

    server.route(JOB_PATH, Reply(401, b'{"type": "error", "error": {"message": "Unauthorized"}}'))
    result = run_cli(*ARGS, "--base-url", server.url + "/2.0", "--username", "me", "--password", SECRET)
    assert result.exit_code == 4, result.output
    assert "bitbucket: HTTP 401, the user name and password were refused" in result.stderr
    assert "token was refused" not in result.stderr and SECRET not in result.output


@pytest.mark.vcr("bitbucket/cassettes/bad_credentials.yaml")
def test_refused_token_never_shows_the_secret() -> None:
    result = run_cli(*ARGS, "--token", SECRET)
    assert result.exit_code == 4
    assert "token was refused" in result.stderr
    assert "'Token is invalid, expired, or not supported for this endpoint.'" in result.stderr
    assert "UNCI_BITBUCKET_TOKEN" in result.stderr and "BITBUCKET_ACCESS_TOKEN" in result.stderr
    assert SECRET not in result.output


@pytest.mark.vcr("bitbucket/cassettes/bad_credentials.yaml")
def test_refused_app_password_never_shows_the_secret() -> None:
    result = run_cli(*ARGS, "--username", "jdoe", "--password", SECRET, "--error-format", "json")
    assert result.exit_code == 4
    assert SECRET not in result.output
    assert base64.b64encode(f"jdoe:{SECRET}".encode()).decode() not in result.output
    assert json.loads(result.stderr)["remote_status"] == 401


@pytest.mark.vcr("bitbucket/cassettes/bad_request.yaml")
def test_standard_error_body() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 6
    assert (
        "'Bad request: You must specify a valid source branch when creating a pull request.'" in result.stderr
    )


@pytest.mark.vcr("bitbucket/cassettes/rate_limited.yaml")
def test_rate_limited() -> None:
    result = run_cli(*ARGS, "--retries", "0")
    assert result.exit_code == 7
    assert "'Rate limit for this resource has been exceeded'" in result.stderr


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"type": "error", "error": {"message": "Only message"}}', "Only message"),
        (b'{"type": "error", "error": {}}', None),
        (b'{"errors": ["something else"]}', None),
        (b"<html>502</html>", None),
        (b'{"error": "a string"}', None),
    ],
)
def test_error_message_hook(body: bytes, expected: str | None) -> None:
    assert registry().load("bitbucket").error_message(status_code=400, payload=body) == expected


def test_missing_params_are_all_named() -> None:
    result = run_cli("jobs", "get", STEP, "-P", "bitbucket")
    assert result.exit_code == 2
    for name in ("workspace_id", "repo", "build"):
        assert f"{name} (" in result.stderr
    assert "-p workspace_id=... -p repo=... -p build=..." in result.stderr


# --- paths ----------------------------------------------------------------------------------

BARE = "8d7ad9e4-3b5e-4b0e-9f7a-1c2d3e4f5a6b"


@pytest.mark.parametrize(
    ("job_id", "encoded"),
    [
        ("../../user", "..%2F..%2Fuser"),
        ("1?x=y", "1%3Fx%3Dy"),
        ("1#frag", "1%23frag"),
        ("{a b}", "%7Ba%20b%7D"),
        (STEP, "%7B9b079475-6fed-40bb-b591-711351c12f71%7D"),
        (BARE, f"%7B{BARE}%7D"),
        (f"{{{BARE}}}", f"%7B{BARE}%7D"),
        ("%7Bx%7D", "%257Bx%257D"),
    ],
)
def test_hostile_ids_stay_in_one_segment(server, job_id: str, encoded: str) -> None:
    result = run_cli(
        "jobs",
        "get",
        job_id,
        "-P",
        "bitbucket",
        "-p",
        "workspace_id=w",
        "-p",
        "repo=r",
        "-p",
        f"build={PIPELINE}",
        "--base-url",
        server.url,
    )
    assert result.exit_code == 5  # no such route: the request went exactly where we said
    assert server.requests[-1].path == f"/repositories/w/r/pipelines/{PIPELINE_PATH}/steps/{encoded}"


def test_params_are_encoded_too(server) -> None:
    run_cli(
        "jobs",
        "get",
        STEP,
        "-P",
        "bitbucket",
        "-p",
        "workspace_id={ws-uuid}",
        "-p",
        "repo=a/b",
        "-p",
        f"build={BARE}",
        "--base-url",
        server.url,
    )
    assert server.requests[-1].path == (
        f"/repositories/%7Bws-uuid%7D/a%2Fb/pipelines/%7B{BARE}%7D/steps/%7B9b079475-6fed-40bb-b591-711351c12f71%7D"
    )


@pytest.mark.parametrize("bad", ["..", ".", "", "a\nb"])
def test_unsafe_ids_are_refused(server, bad: str) -> None:
    result = run_cli("jobs", "get", bad, "-P", "bitbucket", *P_ARGS, "--base-url", server.url)
    assert result.exit_code == 2
    assert server.requests == []


@pytest.mark.parametrize("how", ["flag", "env"])
def test_base_url_override(server, monkeypatch, how: str) -> None:
    from localserver import Reply

    server.route(JOB_PATH, Reply(body=JOB))
    extra = []
    if how == "flag":
        extra = ["--base-url", server.url + "/2.0/"]
    else:
        monkeypatch.setenv("UNCI_BITBUCKET_BASE_URL", server.url + "/2.0")
    result = run_cli(*ARGS, *extra)
    assert result.exit_code == 0, result.output
    assert server.requests[-1].path == JOB_PATH


# --- listing --------------------------------------------------------------------------------


def _hooks():
    return registry().load("bitbucket")


@pytest.mark.parametrize(("limit", "pagelen"), [(None, "100"), (1, "1"), (30, "30"), (500, "100")])
def test_list_request(limit: int | None, pagelen: str) -> None:
    req = _hooks().build_list_request(params=PARAMS, limit=limit)
    assert req.path == f"/repositories/likyh/likyhphp/pipelines/{PIPELINE_PATH}/steps"
    assert req.query == [("pagelen", pagelen)]


def test_list_pages_from_the_cassette_bodies() -> None:
    hook = _hooks()
    first = hook.build_list_request(params=PARAMS, limit=1)
    page1 = hook.map_job_page(
        payload=cassette_body("bitbucket", "list_jobs", 0), headers={}, params=PARAMS, request=first
    )
    assert [j.id for j in page1.jobs] == ["{9b079475-6fed-40bb-b591-711351c12f71}"]
    assert page1.next.path == (
        "https://api.bitbucket.org/2.0/repositories/likyh/"
        "likyhphp/pipelines/%7B2d91d69f-d84b-423d-ae4d-c1d3f2c27166%7D/steps"
    )
    assert page1.next.query == [("page", "2"), ("pagelen", "1")]
    page2 = hook.map_job_page(
        payload=cassette_body("bitbucket", "list_jobs", 1), headers={}, params=PARAMS, request=page1.next
    )
    assert [j.id for j in page2.jobs] == ["{1218e6e3-f34e-4ebc-a767-2a69285681ca}"]
    assert page2.next.query == [("page", "3"), ("pagelen", "1")]
    page3 = hook.map_job_page(
        payload=cassette_body("bitbucket", "list_jobs", 2), headers={}, params=PARAMS, request=page2.next
    )
    assert [j.name for j in page3.jobs] == ["production"] and page3.next is None
    whole = hook.map_job_page(
        payload=cassette_body("bitbucket", "list_jobs", 3), headers={}, params=PARAMS, request=first
    )
    assert [j.name for j in whole.jobs] == ["Test", "staging", "production"]
    assert [j.conclusion for j in whole.jobs] == ["passed"] * 3 and whole.next is None
    assert bytes(whole.jobs[1].remote_data).lstrip().startswith(b"{")
    empty = hook.map_job_page(
        payload=cassette_body("bitbucket", "list_empty"), headers={}, params=PARAMS, request=first
    )
    assert empty.jobs == [] and empty.next is None


def walk(provider: str, params: dict, limit: int | None) -> list:
    """Every page through the core's own request preparation and HTTP client."""
    from unci.call import prepare, resolve_target
    from unci.client import Client

    hook = registry().load(provider)
    target = resolve_target(provider, token="list-token-value")
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


@pytest.mark.vcr("bitbucket/cassettes/list_jobs.yaml")
def test_list_walks_next_urls_through_the_core() -> None:
    pages = walk("bitbucket", PARAMS, 1)
    assert [[j.id for j in p.jobs] for p in pages] == [
        ["{9b079475-6fed-40bb-b591-711351c12f71}"],
        ["{1218e6e3-f34e-4ebc-a767-2a69285681ca}"],
        ["{74ceee44-533a-489b-8d9b-3c9c0ef57ff3}"],
    ]


@pytest.mark.vcr("bitbucket/cassettes/list_empty.yaml")
def test_list_of_a_pipeline_without_steps() -> None:
    assert [p.jobs for p in walk("bitbucket", PARAMS, None)] == [[]]
