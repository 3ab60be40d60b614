"""One test per hook (test_docs checks each exists), on the GitHub plugin, plus the pluggy
property the design relies on: a third-party plugin can wrap or override a provider's hook."""

from __future__ import annotations

import types

import msgspec
import pytest

import unci
from helpers import cassette_body
from unci.plugins import registry

JOB = cassette_body("github", "get_job")
PARAMS = {"owner": "octo-org", "repo_id": "octo-repo", "build": "29679449"}


def hook():
    reg = registry()
    reg.load("github")
    return reg.hook


def test_hook_describe_provider() -> None:
    info = hook().describe_provider(provider="github")
    assert info.name == "github" and "commit" in info.fields
    assert hook().describe_provider(provider="not-github") is None


def test_hook_required_params() -> None:
    get = hook().required_params(provider="github", operation="get")
    assert [p.name for p in get] == ["owner", "repo_id"]
    listing = hook().required_params(provider="github", operation="list")
    assert [p.name for p in listing] == ["owner", "repo_id", "build"]


def test_hook_authenticate() -> None:
    assert hook().authenticate(provider="github", credentials=unci.Credentials("t0k")) == {
        "Authorization": "Bearer t0k"}
    assert hook().authenticate(provider="github", credentials=unci.Credentials()) == {}


def test_hook_build_request() -> None:
    request = hook().build_request(provider="github", job_id="a/b", params=PARAMS)
    assert request.path == "/repos/octo-org/octo-repo/actions/jobs/a%2Fb"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_hook_map_job() -> None:
    job = hook().map_job(provider="github", payload=JOB, job_id="399444496", params=PARAMS)
    assert isinstance(job, unci.Job) and job.id == "399444496"


def test_hook_error_message() -> None:
    assert hook().error_message(provider="github", status_code=404,
                                payload=b'{"message":"Not Found"}') == "Not Found"
    assert hook().error_message(provider="github", status_code=502, payload=b"<html>") is None


def test_hook_build_list_request() -> None:
    request = hook().build_list_request(provider="github", params=PARAMS, limit=500)
    assert request.path.endswith("/actions/runs/29679449/jobs")
    assert ("per_page", "100") in request.query and ("filter", "all") in request.query


def test_hook_map_job_page() -> None:
    body = cassette_body("github", "list_jobs")
    page = hook().map_job_page(provider="github", payload=body,
                               headers={"link": '<https://api.github.com/x?page=2>; rel="next"'},
                               params=PARAMS, request=unci.Request(path="/x"))
    assert [j.id for j in page.jobs] == ["399444496"]
    assert page.next.path == "https://api.github.com/x?page=2"


def test_hook_identity_request() -> None:
    assert hook().identity_request(provider="github", params={}).path == "/user"


def test_hook_read_identity() -> None:
    assert hook().read_identity(provider="github", payload=b'{"login":"octocat"}') == "octocat"


def test_a_wrapper_plugin_can_add_to_another_providers_mapping() -> None:
    """DESIGN.md: firstresult hooks let a third party wrap a provider without forking it."""
    wrapper = types.ModuleType("unci_github_extra")

    @unci.hookimpl(wrapper=True)
    def map_job(provider: str):
        job = yield
        if provider == "github" and job is not None:
            job.name = f"{job.name} (wrapped)"
        return job

    wrapper.map_job = map_job
    hook()  # github first
    registry().register(wrapper, "github-extra")
    try:
        job = hook().map_job(provider="github", payload=JOB, job_id="1", params=PARAMS)
        assert job.name == "build (wrapped)"
    finally:
        registry().unregister("github-extra")


def test_job_to_dict_is_the_unified_json_as_python() -> None:
    job = hook().map_job(provider="github", payload=JOB, job_id="1", params=PARAMS)
    data = job.to_dict()
    assert data["started_at"] == "2020-01-20T17:42:40Z" and data["remote_data"]["run_id"] == 29679449
    assert list(data)[:3] == ["id", "name", "build"]


def test_user_at_reads_who_an_identity_answer_names() -> None:
    from unci import DecodeError, user_at

    assert user_at(b'{"login": "octocat", "name": "The Octocat"}', "login", "name") == \
        "octocat (The Octocat)"
    assert user_at(b'{"login": "octocat", "name": "octocat"}', "login", "name") == "octocat"
    assert user_at(b'{"name": "Only Name"}', "login", "name") == "Only Name"
    assert user_at(b'{"u": {"id": "x"}}', "id", "full", within="u") == "x"
    for body, where in ((b'{"login": 5}', "$.login"), (b"[]", "got `array`"),
                        (b'{"u": 1}', "$.u"), (b"{}", "`login`")):
        with pytest.raises((DecodeError, msgspec.ValidationError)) as info:
            user_at(body, "login", "name", within="u" if body.startswith(b'{"u"') else None,
                    required=True)
        assert where in str(info.value)
