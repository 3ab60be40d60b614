"""``/openapi.json`` against real responses: schemathesis over every operation, and each response
format checked against its own component schema."""

from __future__ import annotations

import json
import zlib

import jsonschema_rs as jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance
from serverkit import API_TOKEN, JOB_PATH

from helpers import cassette_body
from localserver import Reply
from unci.plugins import registry

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def validator(doc: dict, component: str) -> jsonschema.Draft202012Validator:
    """A validator for one component, references resolved within the whole document."""
    return jsonschema.Draft202012Validator({**doc, "$ref": f"#/components/schemas/{component}"})


@pytest.fixture
def every_provider_at_the_upstream(server, monkeypatch) -> None:
    """Whatever provider schemathesis picks, its API root is the local upstream."""
    for name in registry().names():
        monkeypatch.setenv(f"UNCI_{name.upper().replace('-', '_')}_BASE_URL", server.url)


def _app():
    from unci.server import ServerConfig, create_app

    return create_app(ServerConfig(tokens=[API_TOKEN], retries=0))


# The app reads accounts, environment and plugins on every request, so one built at import
# serves the fixtures each test sets up.
schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_response_conforms(case, gh, every_provider_at_the_upstream) -> None:
    # Half the valid calls use the real account and job, so successes are checked too, not
    # only errors (invalid calls are left as generated: they must be refused as they are).
    positive = case.meta is None or not case.meta.generation.mode.is_negative
    if (
        positive
        and case.query is not None
        and case.operation.path.startswith("/unified")
        and zlib.crc32(repr(sorted(case.query.items())).encode()) % 2 == 0
    ):
        case.query = {k: v for k, v in case.query.items() if k != "provider"}
        case.query["integrated_account_id"] = "gh"
        if case.path_parameters:
            case.path_parameters["id"] = "399444496"
    # Which provider params are required depends on the account's provider, which a static
    # schema cannot say (Truto's reference has the same shape), so a schema-valid call may
    # rightly be a 400 naming the missing params: that one check is left out.
    response = case.call_and_validate(
        headers=AUTH, excluded_checks=[positive_data_acceptance, not_a_server_error]
    )
    # A 5xx is a server error but for the one the schema documents: 501, what the provider
    # cannot do (Buddy's jobs found through build filters), which says what to do instead.
    if response.status_code >= 500:
        body = response.json()
        assert response.status_code == 501 and body["error"] == "Not Implemented", response.text
        assert body["message"].startswith(case.query.get("provider") or ""), body


@pytest.mark.parametrize(
    ("query", "component"),
    [
        ("", "Job"),
        ("&truto_ignore_remote_data=true&truto_exclude_fields[]=name", "Job"),
        ("&truto_response_format=normalized", "NormalizedJob"),
        ("&truto_response_format=debug", "JobDebug"),
    ],
)
def test_each_job_format_matches_its_component(api, query, component) -> None:
    doc = api.get("/openapi.json").json()
    response = api.get(f"/unified/ci-cd/jobs/399444496?integrated_account_id=gh{query}")
    assert response.status_code == 200
    validator(doc, component).validate(response.json())


@pytest.mark.parametrize("fmt", ["unified", "normalized", "debug"])
def test_each_list_format_matches_the_list_component(api, fmt) -> None:
    doc = api.get("/openapi.json").json()
    response = api.get(
        "/unified/ci-cd/jobs",
        params={"integrated_account_id": "gh", "build": "29679449", "truto_response_format": fmt},
    )
    assert response.status_code == 200
    validator(doc, "JobList").validate(response.json())


def test_the_jobs_of_the_builds_that_match_match_the_list_component(api, server) -> None:
    server.route("/repos/octo-org/octo-repo/actions/runs", Reply(body=cassette_body("github", "list_builds")))
    runs = json.loads(cassette_body("github", "list_builds"))["workflow_runs"]
    server.route(
        f"/repos/octo-org/octo-repo/actions/runs/{runs[0]['id']}/jobs",
        Reply(body=cassette_body("github", "list_jobs")),
    )
    doc = api.get("/openapi.json").json()
    for fmt in ("unified", "normalized", "debug"):
        response = api.get(
            "/unified/ci-cd/jobs",
            params={
                "integrated_account_id": "gh",
                "since": "2020-05-20T23:59:30Z",
                "truto_response_format": fmt,
            },
        )
        assert response.status_code == 200, response.text
        validator(doc, "JobList").validate(response.json())
        assert response.json()["result"]


def test_errors_match_the_error_component(api, server) -> None:
    doc = api.get("/openapi.json").json()
    server.route(
        "/repos/octo-org/octo-repo/actions/jobs/9",
        Reply(500, b"<html>oops</html>", {"Content-Type": "text/html"}),
    )
    for url in (
        "/unified/ci-cd/jobs/1",
        "/unified/ci-cd/jobs/9?integrated_account_id=gh",
        "/unified/ci-cd/jobs/1?integrated_account_id=nobody",
    ):
        response = api.get(url)
        assert response.status_code >= 400
        validator(doc, "Error").validate(response.json())


def test_a_job_missing_a_field_would_fail_the_check(api) -> None:
    # The component is strict enough to catch a wrong shape, so the checks above mean something.
    doc = api.get("/openapi.json").json()
    job = api.get("/unified/ci-cd/jobs/399444496?integrated_account_id=gh").json()
    with pytest.raises(jsonschema.ValidationError):
        validator(doc, "Job").validate({**job, "surprise": 1})
    with pytest.raises(jsonschema.ValidationError):
        validator(doc, "Job").validate({**job, "started_at": 1579542160})


def test_document_lists_each_providers_params(api) -> None:
    doc = api.get("/openapi.json").json()
    get = {p["name"]: p for p in doc["paths"]["/unified/ci-cd/jobs/{id}"]["get"]["parameters"]}
    assert "GitHub Actions (required)" in get["owner"]["description"]
    assert {
        "integrated_account_id",
        "truto_response_format",
        "truto_ignore_remote_data",
        "truto_exclude_fields[]",
        "remote_query",
        "project_slug",
        "workspace",
    } <= set(get)
    listed = {p["name"] for p in doc["paths"]["/unified/ci-cd/jobs"]["get"]["parameters"]}
    assert {"limit", "next_cursor", "build", "branch", "status", "conclusion", "since", "until"} <= listed
    assert JOB_PATH not in str(doc)
