"""A provider written as data only: numeric params and job ids the core checks, endpoint
templates behind the default ``build_request`` / ``build_list_request``, and ``map_jobs`` behind
the default ``map_job_page``. Driven through the public API and the CLI, as users meet it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import httpx
import msgspec
import pytest

import unci
from helpers import run_cli
from unci.plugin import Job, LinkHeader, Param, Provider, ProviderInfo
from unci.plugins import registry

NAME = "datadriven"
_PARAMS = [
    Param(name="slug", description="the project's path, e.g. team/app", kind="path"),
    Param(name="build", description="the build's number (e.g. 8) or latest", numeric=True, words=("latest",)),
]


class _Job(msgspec.Struct):
    id: int
    name: str | None = None


class DataDriven(Provider):
    info = ProviderInfo(
        name=NAME, title="Data-driven CI", base_url="https://ci.example.com/api", fields=("id", "name")
    )
    params = {"get": _PARAMS, "list": _PARAMS}
    paging = LinkHeader(max_size=50)
    job_id = Param(name="job id", description="the job's number, the last in its URL", numeric=True)
    job_path = "/projects/{slug}/builds/{build}/jobs/{job_id}"
    list_path = "/projects/{slug}/builds/{build}/jobs"

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        job = msgspec.json.decode(payload, type=_Job)
        return Job(id=str(job.id), name=job.name, remote_data=msgspec.Raw(payload))

    def map_jobs(self, payload: bytes, params: Mapping[str, str]) -> list[Job]:
        return [Job(id=str(j.id), name=j.name) for j in msgspec.json.decode(payload, type=list[_Job])]


@pytest.fixture
def provider() -> Iterator[None]:
    registry().register(DataDriven(), NAME)
    try:
        yield
    finally:
        registry().unregister(NAME)


def _recording(seen: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/jobs"):
            link = '<https://ci.example.com/api/projects/team/app/builds/8/jobs?page=2>; rel="next"'
            headers = {} if request.url.params.get("page") == "2" else {"Link": link}
            page = b'[{"id": 3, "name": "test"}]' if headers else b'[{"id": 4, "name": "lint"}]'
            return httpx.Response(200, content=page, headers=headers)
        return httpx.Response(200, content=b'{"id": 3, "name": "test"}')

    return httpx.MockTransport(answer)


def test_a_job_is_asked_for_at_its_template_each_value_encoded_by_its_kind(provider: None) -> None:
    seen: list[httpx.Request] = []
    with unci.Client(transport=_recording(seen)) as client:
        job = client.get_job(NAME, "3", params={"slug": "team/my app", "build": "latest"})
    assert (job.id, job.name) == ("3", "test")
    assert seen[0].url.raw_path == b"/api/projects/team/my%20app/builds/latest/jobs/3"


def test_a_list_pages_by_its_link_header_through_the_default_map_job_page(provider: None) -> None:
    seen: list[httpx.Request] = []
    with unci.Client(transport=_recording(seen)) as client:
        first = client.list_jobs(NAME, params={"slug": "team/app", "build": "8"}, limit=10)
        assert [j.id for j in first.result] == ["3"] and first.next_cursor
        second = client.list_jobs(NAME, params={"slug": "team/app", "build": "8"}, cursor=first.next_cursor)
    assert [j.id for j in second.result] == ["4"] and second.next_cursor is None
    assert seen[0].url.path == "/api/projects/team/app/builds/8/jobs"
    assert seen[0].url.params["per_page"] == "10" and seen[1].url.params["page"] == "2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["3", "-p", "build=main"],
            "datadriven: build 'main' is not a number; give the build's number (e.g. 8) or latest",
        ),
        (["3", "-p", "build=²"], "datadriven: build '²' is not a number"),
        (["app", "-p", "build=8"], "datadriven: job id 'app' is not a number; give the job's number"),
    ],
)
def test_a_name_where_a_number_belongs_is_one_line_and_exit_2_before_any_request(
    provider: None, args: list[str], message: str
) -> None:
    result = run_cli("jobs", "get", "-P", NAME, "-p", "slug=team/app", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # the message, and at most a hint


def test_the_data_counts_as_the_hooks_it_stands_for(provider: None) -> None:
    hooks = registry().hooks(NAME)
    assert all(hooks.supports(h) for h in ("build_request", "build_list_request", "map_job_page"))
    assert not hooks.supports("build_builds_request")


def test_a_provider_without_job_path_or_build_request_is_refused_at_load() -> None:
    class Pathless(Provider):
        info = ProviderInfo(name="pathless", title="Pathless", base_url="https://ci.example.com")

        def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
            return Job(id=job_id)

    with pytest.raises(TypeError, match="does not implement build_request"):
        registry().register(Pathless(), "pathless")


@pytest.mark.parametrize("value", [".", "..", "", "a/b?c"])
def test_a_param_the_template_does_not_name_is_left_alone(value: str) -> None:
    """A value that could not be a path segment (a query filter of ``.``, an empty optional
    one) is refused only where the template puts it in the path."""
    given = {"slug": "team/app", "build": "8", "q": value}
    assert DataDriven().path("/projects/{slug}/builds/{build}/jobs/{job_id}", given, job_id="3") == (
        "/projects/team/app/builds/8/jobs/3"
    )


@pytest.mark.parametrize("value", [".", "..", ""])
def test_a_dot_or_empty_value_the_template_names_is_refused(value: str) -> None:
    with pytest.raises(unci.InvalidParam):
        DataDriven().path("/projects/{q}/jobs", {"q": value})


def test_a_value_the_template_names_is_encoded_as_one_segment_unless_its_kind_is_path() -> None:
    assert (
        DataDriven().path("/a/{q}/{slug}", {"q": "x/y?z", "slug": "team/my app"})
        == "/a/x%2Fy%3Fz/team/my%20app"
    )
