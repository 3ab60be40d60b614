"""`GET /unified/ci-cd/builds` and `/builds/{id}` on a real `unci serve` process: Truto's
parameters, shapes and five formats as the job routes have them, the build filters as query
parameters, and errors in the server's words. The upstream is a GitHub-shaped server on
127.0.0.1 with real workflow-run payloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import jsonschema_rs as jsonschema
import pytest
from githubruns import NEWEST, RUNS, run, runs_requests, serve_runs, stamp
from serverkit import API_TOKEN, GH_SECRET, Served, unci_serve

from localserver import LocalServer, Reply, serving
from unci import accounts
from unci.records import BUILDS

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
ACCOUNT = "ci"
RUNS_LIST = [run(i, branch="main" if i % 3 else "dev") for i in range(9)]


@pytest.fixture(scope="module")
def upstream() -> Iterator[LocalServer]:
    with serving() as server:
        yield server


@pytest.fixture(scope="module")
def served(upstream: LocalServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    account = accounts.Account(
        name=ACCOUNT,
        provider="github",
        token_env="GH_WORK_TOKEN",
        base_url=upstream.url,
        params={"owner": "o", "repo_id": "r"},
    )
    with unci_serve(
        tmp_path_factory.mktemp("serve"), [account], "--retries", "0", env={"GH_WORK_TOKEN": GH_SECRET}
    ) as process:
        yield process


@pytest.fixture
def api(served: Served, upstream: LocalServer) -> Iterator[httpx.Client]:
    upstream.requests.clear()
    serve_runs(upstream, RUNS_LIST, 4)
    for r in RUNS_LIST[:2]:
        upstream.route(f"{RUNS}/{r['id']}", Reply(body=json.dumps(r).encode()))
    with httpx.Client(base_url=served.url, headers=AUTH, timeout=30) as client:
        yield client


def builds(api: httpx.Client, **query: str) -> httpx.Response:
    return api.get("/unified/ci-cd/builds", params={"integrated_account_id": ACCOUNT, **query})


def build(api: httpx.Client, build_id: str, **query: str) -> httpx.Response:
    return api.get(f"/unified/ci-cd/builds/{build_id}", params={"integrated_account_id": ACCOUNT, **query})


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [b["id"] for b in response.json()["result"]]


def validator(doc: dict, component: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**doc, "$ref": f"#/components/schemas/{component}"})


# --- lists -----------------------------------------------------------------------------------


def test_a_page_and_its_cursor(api) -> None:
    first = builds(api)
    assert ids(first) == ["5000", "4999", "4998", "4997"]
    cursor = first.json()["next_cursor"]
    second = builds(api, next_cursor=cursor, limit="3")
    assert ids(second) == ["4996", "4995", "4994"]
    # One request answers from one provider page: the rest of page 2, then page 3.
    rest = builds(api, next_cursor=second.json()["next_cursor"], limit="10")
    assert ids(rest) == ["4993"]
    last = builds(api, next_cursor=rest.json()["next_cursor"])
    assert ids(last) == ["4992"] and last.json()["next_cursor"] is None


def test_filters_are_query_parameters(api, upstream) -> None:
    found = builds(api, branch="dev", limit="10")
    assert ids(found) == ["5000", "4997"]  # the dev runs of the provider's first page
    assert all("branch=dev" in path for path in runs_requests(upstream))


def test_since_stops_at_the_first_page_wholly_older(api, upstream) -> None:
    since = stamp(NEWEST - timedelta(hours=2))
    found = builds(api, since=since, limit="50")
    assert ids(found) == ["5000", "4999", "4998"]
    after = builds(api, next_cursor=found.json()["next_cursor"])
    # Page 2 lies wholly before since: an empty page and no cursor, page 3 is never read.
    assert ids(after) == [] and after.json()["next_cursor"] is None
    assert len(runs_requests(upstream)) == 2


def test_every_list_format(api) -> None:
    doc = api.get("/openapi.json").json()
    for fmt in ("unified", "normalized", "debug"):
        page = builds(api, truto_response_format=fmt)
        assert page.status_code == 200
        validator(doc, "BuildList").validate(page.json())
    normalized = builds(api, truto_response_format="normalized").json()["result"][0]
    assert list(normalized) == list(BUILDS.normalized)
    raw = builds(api, truto_response_format="raw")
    assert [r["id"] for r in raw.json()["workflow_runs"]] == [5000, 4999, 4998, 4997]
    bare = builds(api, truto_ignore_remote_data="true", **{"truto_exclude_fields[]": "url"})
    assert not {"remote_data", "url"} & set(bare.json()["result"][0])
    stream = builds(api, truto_response_format="stream")
    assert stream.status_code == 400
    assert "truto_response_format=stream is for one build" in stream.json()["message"]


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"since": "yesterday"}, "since 'yesterday' is not a time"),
        ({"status": "done"}, "status 'done' is not a unified status"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, "is after until"),
        ({"truto_exclude_fields[]": "steps"}, "unknown field(s) to exclude: steps"),
        # The parameter that names one build: it listed every build, dropped unsaid.
        ({"build": "5"}, "for that build: GET /unified/ci-cd/builds/5"),
    ],
)
def test_bad_input_is_a_400_in_the_servers_words(api, upstream, query, said) -> None:
    response = builds(api, **query)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Bad Request" and said in body["message"] and "--" not in body["message"]
    assert upstream.requests == []


def test_a_cursor_keeps_its_filters_and_says_so_in_the_servers_words(api) -> None:
    first = builds(api, branch="dev", limit="1")
    cursor = first.json()["next_cursor"]
    assert ids(builds(api, next_cursor=cursor, branch="dev", limit="1")) == ["4997"]
    other = builds(api, next_cursor=cursor, branch="main")
    assert other.status_code == 400
    message = other.json()["message"]
    assert "the cursor continues a list with branch 'dev'" in message
    assert "without next_cursor" in message and "--cursor" not in message


def test_a_job_list_cursor_is_not_a_build_list_cursor(api) -> None:
    jobs_cursor = builds(api).json()["next_cursor"]
    response = api.get(
        "/unified/ci-cd/jobs",
        params={"integrated_account_id": ACCOUNT, "build": "5000", "next_cursor": jobs_cursor},
    )
    assert response.status_code == 400 and "next_cursor" in response.json()["message"]


# --- one build -------------------------------------------------------------------------------


def test_one_build_in_every_format(api) -> None:
    doc = api.get("/openapi.json").json()
    unified = build(api, "5000")
    assert unified.status_code == 200
    validator(doc, "Build").validate(unified.json())
    assert unified.json()["branch"] == "dev" and unified.json()["number"] == "900"
    validator(doc, "NormalizedBuild").validate(build(api, "5000", truto_response_format="normalized").json())
    validator(doc, "BuildDebug").validate(build(api, "5000", truto_response_format="debug").json())
    body = json.dumps(RUNS_LIST[0]).encode()
    assert build(api, "5000", truto_response_format="raw").content == body
    assert build(api, "5000", truto_response_format="stream").content == body


def test_a_missing_build_is_the_providers_404(api) -> None:
    response = build(api, "77")
    assert response.status_code == 404
    body = response.json()
    assert body["truto_is_remote_error"] is True and "build '77' was not found" in body["message"]
    assert GH_SECRET not in response.text


def test_the_document_describes_the_build_routes(api) -> None:
    doc = api.get("/openapi.json").json()
    listed = {p["name"]: p for p in doc["paths"]["/unified/ci-cd/builds"]["get"]["parameters"]}
    assert {"branch", "status", "conclusion", "since", "until", "limit", "next_cursor", "owner"} <= set(
        listed
    )
    providers = listed["provider"]["schema"]["enum"]
    assert "github" in providers and "jenkins" in providers
    assert "/unified/ci-cd/builds/{id}" in doc["paths"]
    excluded = listed["truto_exclude_fields[]"]["schema"]["items"]["enum"]
    assert "triggered_by" in excluded and "steps" not in excluded


# --- jobs of the builds that match (no build given) -----------------------------------------


@pytest.fixture
def with_jobs(api: httpx.Client, upstream: LocalServer) -> httpx.Client:
    """The runs of ``api``, each with two jobs at ``.../runs/{id}/jobs``."""
    serve_runs(upstream, RUNS_LIST, 4, jobs_per_run=2)
    upstream.requests.clear()
    return api


def jobs(api: httpx.Client, **query: str) -> httpx.Response:
    return api.get("/unified/ci-cd/jobs", params={"integrated_account_id": ACCOUNT, **query})


def builds_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [j["build"] for j in response.json()["result"]]


def jobs_requested(upstream: LocalServer) -> list[str]:
    return [s.path.split("?")[0] for s in upstream.requests if s.path.split("?")[0].endswith("/jobs")]


def test_until_a_date_is_the_whole_day(api) -> None:
    """``until=2026-11-30`` keeps that day's builds (all of them here, from 04:00 to noon)."""
    day = builds(api, until="2026-11-30", limit="3")
    assert day.status_code == 200, day.text
    assert [b["id"] for b in day.json()["result"]] == ["5000", "4999", "4998"]
    before = builds(api, until="2026-11-29")
    assert before.status_code == 200 and before.json()["result"] == []


def test_jobs_of_the_builds_that_match_a_page_of_builds_at_a_time(with_jobs, upstream) -> None:
    first = jobs(with_jobs, branch="main")
    # The main runs of the provider's first page of runs (5000 and 4997 are dev), newest first.
    assert builds_of(first) == ["4999", "4999", "4998", "4998"]
    assert [j["id"] for j in first.json()["result"]][:2] == ["499900", "499901"]
    assert all("branch=main" in path for path in runs_requests(upstream))
    second = jobs(with_jobs, next_cursor=first.json()["next_cursor"])
    assert builds_of(second) == ["4996", "4996", "4995", "4995", "4993", "4993"]
    # Truto's clients send the first query again with the cursor: the same filters resume it.
    third = jobs(with_jobs, branch="main", next_cursor=second.json()["next_cursor"])
    assert builds_of(third) == ["4992", "4992"] and third.json()["next_cursor"] is None


def test_a_walk_cursor_with_another_repository_is_a_400(with_jobs, upstream) -> None:
    """The walk's cursor held no repository: given with ``repo_id=other`` it went on with the
    other repository's builds and answered 200 with their jobs."""
    first = jobs(with_jobs, branch="main")
    asked = len(upstream.requests)
    other = jobs(with_jobs, branch="main", repo_id="other", next_cursor=first.json()["next_cursor"])
    assert other.status_code == 400, other.text
    assert other.json()["message"] == (
        "github: the cursor continues the list of repo_id 'r', not repo_id 'other'; "
        "start again without next_cursor to list with repo_id=other"
    )
    assert len(upstream.requests) == asked


def test_since_stops_the_walk_at_the_first_page_of_builds_wholly_older(with_jobs, upstream) -> None:
    since = stamp(NEWEST - timedelta(hours=2))
    first = jobs(with_jobs, since=since, until="2099-01-01")
    assert builds_of(first) == ["5000", "5000", "4999", "4999", "4998", "4998"]
    after = jobs(with_jobs, next_cursor=first.json()["next_cursor"])
    assert builds_of(after) == [] and after.json()["next_cursor"] is None
    assert len(runs_requests(upstream)) == 2
    # Each matching build's jobs once (fetched at once, so in any order), and no other's.
    assert sorted(jobs_requested(upstream)) == sorted(f"{RUNS}/{n}/jobs" for n in (5000, 4999, 4998))


def test_limit_cuts_inside_a_build_and_the_cursor_resumes_exactly(with_jobs) -> None:
    every: list[str] = []
    cursor = None
    while True:
        page = jobs(with_jobs, **({"next_cursor": cursor} if cursor else {"branch": "main"}))
        every += [j["id"] for j in page.json()["result"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    seen, cursor = [], None
    while True:
        query = {"limit": "3", **({"next_cursor": cursor} if cursor else {"branch": "main"})}
        page = jobs(with_jobs, **query)
        assert len(page.json()["result"]) <= 3
        seen += [j["id"] for j in page.json()["result"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == every and len(every) == 12


def test_a_small_limit_fetches_no_more_builds_jobs_than_it_could_want(with_jobs, upstream) -> None:
    """A page of ``limit=1`` fetched eight builds' job lists ahead and dropped seven, on the
    account's quota."""
    page = jobs(with_jobs, branch="main", limit="1")
    assert len(page.json()["result"]) == 1
    assert len(jobs_requested(upstream)) == 1


def test_every_format_of_the_jobs_of_the_builds_that_match(with_jobs) -> None:
    doc = with_jobs.get("/openapi.json").json()
    for fmt in ("unified", "normalized", "debug"):
        page = jobs(with_jobs, branch="main", truto_response_format=fmt)
        assert page.status_code == 200, page.text
        validator(doc, "JobList").validate(page.json())
        assert len(page.json()["result"]) == 4
    raw = jobs(with_jobs, branch="main", truto_response_format="raw")
    assert raw.status_code == 400
    assert "truto_response_format=raw answers one provider body" in raw.json()["message"]


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"since": "7d", "build": "5000"}, "drop build= to find the builds"),
        ({"since": "last week"}, "since 'last week' is not a time"),
        ({"status": "green"}, "status 'green' is not a unified status"),
    ],
)
def test_bad_job_walks_are_a_400_in_the_servers_words(with_jobs, upstream, query, said) -> None:
    response = jobs(with_jobs, **query)
    assert response.status_code == 400
    message = response.json()["message"]
    assert said in message and "--" not in message and "-p " not in message
    assert upstream.requests == []


def test_a_job_walk_cursor_keeps_its_filters(with_jobs) -> None:
    cursor = jobs(with_jobs, branch="dev", limit="1").json()["next_cursor"]
    other = jobs(with_jobs, branch="main", next_cursor=cursor)
    assert other.status_code == 400
    assert "the cursor continues a list with branch 'dev'" in other.json()["message"]


def test_with_a_build_the_jobs_list_is_as_before(with_jobs, upstream) -> None:
    page = jobs(with_jobs, build="5000")
    assert [j["id"] for j in page.json()["result"]] == ["500000", "500001"]
    assert {s.path.split("?")[0] for s in upstream.requests} == {f"{RUNS}/5000/jobs"}


def test_a_provider_whose_jobs_are_not_found_through_builds_says_so_in_the_servers_words(
    served: Served,
) -> None:
    with httpx.Client(base_url=served.url, headers=AUTH, timeout=30) as client:
        query = {"provider": "jenkins", "job": "a/b", "since": "7d"}
        response = client.get("/unified/ci-cd/jobs", params=query)
    assert response.status_code == 501
    message = response.json()["message"]
    assert "jobs cannot be found through the build filters" in message
    assert "GET /unified/ci-cd/builds" in message and "unci builds" not in message
