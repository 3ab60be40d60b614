"""Travis CI: mapping per docs/mapping.md, requests sent, errors, paths, listing, through the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, map_payload, out_json, run_cli, with_fields
from localserver import Reply
from unci.plugins import registry

JOB = cassette_body("travis", "get_job")
ARGS = ["jobs", "get", "351778875", "-P", "travis"]
TOKEN = "travis_test_token_value"


# --- mapping: one test per row of docs/mapping.md's Travis table ---------------------------------


@pytest.mark.parametrize(
    ("state", "status", "conclusion"),
    [
        ("created", "queued", None),
        ("queued", "queued", None),
        ("received", "queued", None),
        ("started", "in_progress", None),
        ("passed", "completed", "passed"),
        ("failed", "completed", "failed"),
        ("errored", "completed", "failed"),
        ("canceled", "completed", "cancelled"),
    ],
)
def test_state_rows(state: str, status: str, conclusion: str | None) -> None:
    job = map_payload("travis", with_fields(JOB, state=state))
    assert (job.status, job.conclusion) == (status, conclusion)


def test_states_match_case_insensitively() -> None:
    job = map_payload("travis", with_fields(JOB, state="Passed"))
    assert (job.status, job.conclusion) == ("completed", "passed")


@pytest.mark.parametrize("state", ["booting", "Cancelled"])
def test_unknown_state_passes_through_raw(state: str) -> None:
    # "Cancelled" (British spelling) is not Travis's word: it is passed through, not guessed at.
    job = map_payload("travis", with_fields(JOB, state=state))
    assert (job.status, job.conclusion) == (state, state)


def test_fields_from_the_real_recording() -> None:
    job = map_payload("travis", JOB)
    assert job.id == "351778875" and job.build == "351778872"
    assert job.name == "6.3"  # no name in the payload: the job number stands in
    assert job.commit == "784bf4de64ac4bdf7afadbc63927d421703d6fe3" and job.branch == "master"
    assert (job.status, job.conclusion) == ("queued", None)  # state "created"
    assert job.created_at == datetime(2018, 3, 10, 19, 33, 37, 336000, tzinfo=timezone.utc)
    assert job.updated_at == datetime(2019, 1, 11, 21, 14, 24, 420000, tzinfo=timezone.utc)
    assert job.started_at is None and job.completed_at is None and job.attempts is None
    assert bytes(job.remote_data) == JOB


def test_finished_job_timestamps_and_offsets_to_utc() -> None:
    job = map_payload(
        "travis",
        with_fields(
            JOB, state="passed", started_at="2018-03-10T20:33:40+01:00", finished_at="2018-03-10T19:34:30Z"
        ),
    )
    assert job.started_at == datetime(2018, 3, 10, 19, 33, 40, tzinfo=timezone.utc)
    assert job.started_at.tzinfo is timezone.utc
    assert job.completed_at == datetime(2018, 3, 10, 19, 34, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("ref", "branch"),
    [
        ("refs/heads/master", "master"),
        ("refs/heads/feature/x", "feature/x"),
        ("refs/tags/v1.0", None),
        ("refs/pull/12/merge", None),
        (None, None),
        ("refs/heads/", None),
    ],
)
def test_branch_only_from_a_heads_ref(ref: str | None, branch: str | None) -> None:
    data = json.loads(JOB)
    data["commit"]["ref"] = ref
    assert map_payload("travis", json.dumps(data).encode()).branch == branch


def test_name_from_payload_or_config_before_number() -> None:
    assert map_payload("travis", with_fields(JOB, name="unit tests")).name == "unit tests"
    assert map_payload("travis", with_fields(JOB, config={"name": "lint", "os": "linux"})).name == "lint"
    assert map_payload("travis", with_fields(JOB, config={"name": 3})).name == "6.3"


def test_build_collapsed_to_href_still_gives_its_id() -> None:
    # Travis renders an object already seen in the payload as just {"@href": ...}.
    job = map_payload("travis", with_fields(JOB, build={"@href": "/build/351778872"}))
    assert job.build == "351778872"
    enterprise = map_payload("travis", with_fields(JOB, build={"@href": "/api/build/42"}))
    assert enterprise.build == "42"
    assert map_payload("travis", with_fields(JOB, build=None)).build is None


def test_payload_with_wrong_types_names_the_field() -> None:
    with pytest.raises(Exception) as info:
        map_payload("travis", with_fields(JOB, id="not-a-number"))
    assert "id" in str(info.value)


# --- the CLI against the cassettes ----------------------------------------------------------


@pytest.mark.vcr("travis/cassettes/get_job.yaml")
def test_cli_prints_the_unified_job() -> None:
    result = run_cli(*ARGS)
    assert result.exit_code == 0, result.output
    job = out_json(result)
    assert job["id"] == "351778875" and job["build"] == "351778872" and job["branch"] == "master"
    assert job["created_at"].startswith("2018-03-10T19:33:37.336") and job["created_at"].endswith("Z")
    assert "completed_at" in job and job["completed_at"] is None  # supported but empty: null
    assert "attempts" not in job  # Travis has no attempt count
    assert job["remote_data"]["repository"]["slug"] == "danielpclark/trav3"


@pytest.mark.vcr("travis/cassettes/get_job.yaml")
def test_raw_is_byte_for_byte() -> None:
    result = run_cli(*ARGS, "--format", "raw")
    assert result.exit_code == 0
    assert result.stdout_bytes == JOB


@pytest.mark.vcr("travis/cassettes/get_job_org.yaml")
@pytest.mark.parametrize(
    ("how", "value"),
    [
        ("env", "https://api.travis-ci.org/"),
        ("flag", "https://api.travis-ci.org"),
        ("env", "org"),
        ("flag", "org"),
    ],
)
def test_org_base_url_by_url_or_hosting_form_name(how: str, value: str) -> None:
    if how == "env":
        result = run_cli(*ARGS, env={"UNCI_TRAVIS_BASE_URL": value})
    else:
        result = run_cli(*ARGS, "--base-url", value)
    assert result.exit_code == 0, result.output
    assert out_json(result)["id"] == "351778875"


def test_enterprise_api_root_keeps_its_prefix(server) -> None:
    server.route("/api/job/351778875", Reply(body=JOB))
    result = run_cli(*ARGS, "--base-url", server.url + "/api")
    assert result.exit_code == 0, result.output
    assert server.requests[-1].path == "/api/job/351778875"


@pytest.mark.vcr("travis/cassettes/not_found.yaml")
def test_not_found_gives_travis_error_message() -> None:
    result = run_cli("jobs", "get", "1", "-P", "travis")
    assert result.exit_code == 5
    assert "job '1' was not found at https://api.travis-ci.com/job/1" in result.stderr
    assert "'job not found (or insufficient access)'" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.vcr("travis/cassettes/bad_credentials.yaml")
def test_refused_token_is_never_shown() -> None:
    result = run_cli(*ARGS, "--token", TOKEN)
    assert result.exit_code == 4
    assert "'access denied'" in result.stderr
    assert "UNCI_TRAVIS_TOKEN" in result.stderr and "TRAVIS_TOKEN" in result.stderr
    assert TOKEN not in result.output


@pytest.mark.vcr("travis/cassettes/bad_credentials.yaml")
def test_token_from_env_never_reaches_debug_output() -> None:
    result = run_cli(*ARGS, "--format", "debug", env={"TRAVIS_TOKEN": TOKEN})
    assert result.exit_code == 4
    assert TOKEN not in result.output


def test_error_message_hook_reads_error_message() -> None:
    reg = registry()
    reg.load("travis")
    official = cassette_body("travis", "not_found", 1)  # the docs' example, verbatim
    assert (
        reg.hooks("travis").error_message(status_code=404, payload=official)
        == "repository not found (or insufficient access)"
    )
    assert reg.hooks("travis").error_message(status_code=500, payload=b"oops") is None
    assert reg.hooks("travis").error_message(status_code=500, payload=b"[1]") is None


# --- what is sent ---------------------------------------------------------------------------


def test_auth_and_version_headers_are_sent(server) -> None:
    server.route("/job/351778875", Reply(body=JOB))
    unci.get_job("travis", "351778875", token=TOKEN, base_url=server.url)
    unci.get_job("travis", "351778875", base_url=server.url)
    sent = server.requests[0].headers
    assert sent["Authorization"] == f"token {TOKEN}"
    assert sent["Travis-API-Version"] == "3"
    assert sent["User-Agent"].startswith("unci/")
    anonymous = server.requests[1].headers
    assert "Authorization" not in anonymous and anonymous["Travis-API-Version"] == "3"


def test_token_from_env_variables(server) -> None:
    server.route("/job/351778875", Reply(body=JOB))
    for var in ("UNCI_TRAVIS_TOKEN", "TRAVIS_TOKEN"):
        result = run_cli(*ARGS, "--base-url", server.url, env={var: f"from-{var}"})
        assert result.exit_code == 0, result.output
        assert server.requests[-1].headers["Authorization"] == f"token from-{var}"
        assert f"from-{var}" not in result.output


def test_no_params_are_required() -> None:
    reg = registry()
    reg.load("travis")
    assert reg.hooks("travis").required_params(operation="get") == []


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
    result = run_cli("jobs", "get", job_id, "-P", "travis", "--base-url", server.url)
    assert result.exit_code == 5  # the test server knows no such route: the request went where we said
    assert server.requests[-1].path == f"/job/{encoded}"


@pytest.mark.parametrize("bad", ["..", ".", "", "  ", "a\nb", "x" * 1025])
def test_ids_that_cannot_be_made_safe_are_refused(server, bad: str) -> None:
    result = run_cli("jobs", "get", bad, "-P", "travis", "--base-url", server.url)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("unci: error: travis: job id")
    assert server.requests == []


# --- listing through the hooks --------------------------------------------------------------


def _hooks():
    reg = registry()
    reg.load("travis")
    return reg.hooks("travis")


def test_list_params_and_first_request() -> None:
    hook = _hooks()
    assert [p.name for p in hook.required_params(operation="list")] == ["build"]
    plain = hook.build_list_request(params={"build": "351778872"}, limit=None)
    assert plain.path == "/build/351778872/jobs" and plain.query == []
    assert plain.headers == {"Travis-API-Version": "3"}
    sized = hook.build_list_request(params={"build": "351778872"}, limit=500)
    assert sized.query == [("limit", "100")]  # clamped to Travis's maximum
    hostile = hook.build_list_request(params={"build": "../x?y"}, limit=None)
    assert hostile.path == "/build/..%2Fx%3Fy/jobs"


def test_list_real_unpaginated_body() -> None:
    hook = _hooks()
    params = {"build": "351778872"}
    request = hook.build_list_request(params=params, limit=None)
    page = hook.map_job_page(
        payload=cassette_body("travis", "list_jobs", 2), headers={}, params=params, request=request
    )
    assert [j.id for j in page.jobs] == ["351778873", "351778874", "351778875"]
    assert [j.conclusion for j in page.jobs] == ["passed", "passed", None]
    assert page.jobs[0].completed_at == datetime(2018, 3, 10, 19, 34, 30, tzinfo=timezone.utc)
    assert all(j.build == "351778872" and j.branch == "master" for j in page.jobs)
    assert page.next is None  # no @pagination: one page


def test_list_two_pages_with_pagination() -> None:
    hook = _hooks()
    params = {"build": "351778872"}
    first = hook.build_list_request(params=params, limit=2)
    page1 = hook.map_job_page(
        payload=cassette_body("travis", "list_jobs", 0), headers={}, params=params, request=first
    )
    assert [j.id for j in page1.jobs] == ["351778873", "351778874"]
    assert page1.next.path == "/build/351778872/jobs"
    assert page1.next.query == [("limit", "2"), ("offset", "2")]
    assert page1.next.headers == {"Travis-API-Version": "3"}
    page2 = hook.map_job_page(
        payload=cassette_body("travis", "list_jobs", 1), headers={}, params=params, request=page1.next
    )
    assert [j.id for j in page2.jobs] == ["351778875"] and page2.next is None


def test_next_page_from_href_when_numbers_are_missing() -> None:
    hook = _hooks()
    params = {"build": "7"}
    body = (
        b'{"@type":"jobs","@pagination":{"next":{"@href":"/api/build/7/jobs?limit=25&offset=25"}},"jobs":[]}'
    )
    request = hook.build_list_request(params=params, limit=None)
    page = hook.map_job_page(payload=body, headers={}, params=params, request=request)
    assert page.next.path == "/build/7/jobs"  # the API root's own /api prefix is not doubled
    assert page.next.query == [("limit", "25"), ("offset", "25")]


def test_list_empty() -> None:
    hook = _hooks()
    params = {"build": "1"}
    request = hook.build_list_request(params=params, limit=None)
    page = hook.map_job_page(
        payload=cassette_body("travis", "list_empty"), headers={}, params=params, request=request
    )
    assert page.jobs == [] and page.next is None


def test_list_pages_through_a_real_server(server) -> None:
    """The next page's Request, sent by the core's own machinery, reaches the right URL."""
    from unci.call import prepare, resolve_target
    from unci.client import Client

    server.route("/api/build/351778872/jobs?limit=2", Reply(body=cassette_body("travis", "list_jobs", 0)))
    server.route(
        "/api/build/351778872/jobs?limit=2&offset=2", Reply(body=cassette_body("travis", "list_jobs", 1))
    )
    hook = _hooks()
    target = resolve_target("travis", token=TOKEN, base_url=server.url + "/api")
    params = {"build": "351778872"}
    request = hook.build_list_request(params=params, limit=2)
    ids = []
    with Client() as client:
        while request is not None:
            answer = client.send(prepare(target, request))
            page = hook.map_job_page(
                payload=answer.body, headers=answer.headers, params=params, request=request
            )
            ids += [j.id for j in page.jobs]
            request = page.next
    assert ids == ["351778873", "351778874", "351778875"]
    assert [r.path for r in server.requests] == [
        "/api/build/351778872/jobs?limit=2",
        "/api/build/351778872/jobs?limit=2&offset=2",
    ]
    assert all(r.headers["Authorization"] == f"token {TOKEN}" for r in server.requests)
    assert all(r.headers["Travis-API-Version"] == "3" for r in server.requests)


# --- mapping revision 2 ---------------------------------------------------------------------


def test_absent_keys_of_supported_fields_are_null_in_unified(server) -> None:
    server.route("/job/7", Reply(body=b'{"id": 7, "state": "passed"}'))
    result = run_cli("jobs", "get", "7", "-P", "travis", "--base-url", server.url)
    assert result.exit_code == 0, result.output
    job = out_json(result)
    for field in ("name", "build", "commit", "branch", "created_at", "started_at", "completed_at"):
        assert field in job and job[field] is None, field
    assert (job["status"], job["conclusion"]) == ("completed", "passed")


def test_url_failure_reason_and_steps_are_not_travis_fields(server) -> None:
    # Travis's job has only relative API links, no reason and no steps: the unified record
    # leaves them out and the normalized row has them null.
    server.route("/job/351778875", Reply(body=JOB))
    unified_job = out_json(run_cli(*ARGS, "--base-url", server.url))
    assert not {"url", "failure_reason", "steps", "attempts"} & set(unified_job)
    row = out_json(run_cli(*ARGS, "--base-url", server.url, "--format", "normalized"))
    assert row["url"] is None and row["failure_reason"] is None and row["steps"] is None
