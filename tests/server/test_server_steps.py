"""``include_steps=true`` on the job endpoints: Jenkins' stages cost their request only when
asked, as with ``unci jobs get --steps``."""

from __future__ import annotations

import json

import pytest
from serverkit import add_account

from helpers import cassette_body
from localserver import Reply

STAGES = "/job/pipe/16/wfapi/describe"


@pytest.fixture
def jenkins(server):
    body = json.loads(cassette_body("jenkins", "get_job"))
    server.route("/job/pipe/16/api/json", Reply(body=json.dumps({**body, "number": 16, "id": "16"}).encode()))
    server.route(
        "/job/pipe/api/json", Reply(body=json.dumps({"allBuilds": [{**body, "number": 16}]}).encode())
    )
    server.route(STAGES, Reply(body=cassette_body("jenkins", "steps")))
    add_account("ci", "jenkins", server.url, job="pipe")
    return server


def _asked_stages(server) -> int:
    return sum(seen.path == STAGES for seen in server.requests)


def test_get_job_with_and_without_include_steps(api, jenkins) -> None:
    plain = api.get("/unified/ci-cd/jobs/16", params={"integrated_account_id": "ci"})
    assert plain.status_code == 200 and "steps" not in plain.json()
    assert _asked_stages(jenkins) == 0
    asked = api.get("/unified/ci-cd/jobs/16", params={"integrated_account_id": "ci", "include_steps": "true"})
    assert asked.status_code == 200, asked.text
    assert [s["name"] for s in asked.json()["steps"]] == ["Build", "Test", "Deploy"]
    assert _asked_stages(jenkins) == 1


def test_list_jobs_with_include_steps(api, jenkins) -> None:
    response = api.get(
        "/unified/ci-cd/jobs",
        params={"integrated_account_id": "ci", "include_steps": "1", "truto_response_format": "normalized"},
    )
    assert response.status_code == 200, response.text
    (job,) = response.json()["result"]
    assert [s["conclusion"] for s in job["steps"]] == ["passed", "failed", None]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"include_steps": "maybe"}, "include_steps must be true or false"),
        ({"include_steps": "true", "truto_response_format": "raw"}, "include_steps=true does nothing"),
    ],
)
def test_include_steps_bad_input_is_a_400(api, jenkins, query, says) -> None:
    response = api.get("/unified/ci-cd/jobs/16", params={"integrated_account_id": "ci", **query})
    assert response.status_code == 400 and says in response.json()["message"]


def test_openapi_documents_include_steps(api) -> None:
    doc = api.get("/openapi.json").json()
    for path in ("/unified/ci-cd/jobs/{id}", "/unified/ci-cd/jobs"):
        names = {p["name"] for p in doc["paths"][path]["get"]["parameters"]}
        assert "include_steps" in names


def test_include_steps_on_a_build_route_is_a_400(api, jenkins) -> None:
    response = api.get(
        "/unified/ci-cd/builds/16", params={"integrated_account_id": "ci", "include_steps": "true"}
    )
    assert response.status_code == 400 and "include_steps is for jobs" in response.json()["message"]
    doc = api.get("/openapi.json").json()
    build_params = {p["name"] for p in doc["paths"]["/unified/ci-cd/builds/{id}"]["get"]["parameters"]}
    assert "include_steps" not in build_params
