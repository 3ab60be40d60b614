"""The hot endpoints are dispatched without Starlette's router (unci.server.app.Direct); what a
caller gets must be exactly what the router would have given: the same endpoint with the same
id for every path, and everything the direct path does not take (HEAD, a root path, the log,
unmatched paths) still answered by Starlette."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from serverkit import API_TOKEN, test_client
from starlette.routing import Match, Route

from unci.server.app import Direct

GET = "/unified/ci-cd/jobs/399444496"

PATHS = [
    "/unified/ci-cd/jobs",
    "/unified/ci-cd/builds",
    "/unified/ci-cd/jobs/399444496",
    "/unified/ci-cd/builds/29679449",
    "/unified/ci-cd/jobs/1/logs",
    "/unified/ci-cd/jobs//logs",
    "/unified/ci-cd/jobs/a/b/logs",
    "/unified/ci-cd/jobs/logs",
    "/unified/ci-cd/jobs/1/logs/",
    "/unified/ci-cd/jobs/a/b",
    "/unified/ci-cd/jobs/",
    "/unified/ci-cd/builds/",
    "/unified/ci-cd/jobs/",
    "/unified/ci-cd/jobs/a\nb",
    "/unified/ci-cd/jobs/a\n",
    "/unified/ci-cd/jobs/caf\u00e9",
    "/unified/ci-cd/jobsx",
    "/unified/ci-cd/jobs/../builds/1",
    "/unified/ci-cd/pipelines/1",
    "/openapi.json",
    "/healthz",
    "/",
    "",
]


def routes(app) -> list[Route]:
    return [r for r in app.routes if isinstance(r, Route)]


def router_choice(app, scope: dict) -> tuple[object, dict] | None:
    """What Starlette's router picks: the first route that matches fully, and its params."""
    for route in routes(app):
        match, child = route.matches(dict(scope))
        if match is Match.FULL:
            return route.endpoint, child["path_params"]
    return None


@pytest.mark.parametrize("root_path", ["", "/api"])
@pytest.mark.parametrize("path", PATHS)
def test_the_direct_path_picks_what_the_router_picks(path: str, root_path: str) -> None:
    from unci.server import ServerConfig, create_app

    app = create_app(ServerConfig(tokens=[API_TOKEN]))
    direct = Direct(app.router, routes(app))
    for full in {root_path + path, path}:
        scope = {"type": "http", "method": "GET", "path": full, "root_path": root_path}
        endpoint = direct._endpoint(scope)
        if endpoint is not None:  # taken directly: exactly the router's choice
            assert router_choice(app, scope) == (endpoint, scope["path_params"])


def test_the_common_paths_are_taken_directly() -> None:
    from unci.server import ServerConfig, create_app

    app = create_app(ServerConfig(tokens=[API_TOKEN]))
    direct = Direct(app.router, routes(app))
    for path in PATHS[:4]:
        assert direct._endpoint({"type": "http", "method": "GET", "path": path}) is not None
    assert direct._endpoint({"type": "http", "method": "GET", "path": "/unified/ci-cd/jobs/1/logs"}) is None


def test_a_head_request_is_still_answered(api, gh) -> None:
    got = api.get(GET, params={"integrated_account_id": "gh"})
    head = api.head(GET, params={"integrated_account_id": "gh"})
    assert head.status_code == got.status_code == 200
    assert head.content == b"" and head.headers["content-length"] == got.headers["content-length"]


def test_the_job_is_the_same_under_a_root_path(gh) -> None:
    from unci.server import ServerConfig, create_app

    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    with test_client(create_app(ServerConfig(tokens=[API_TOKEN], retries=0))) as plain:
        want = plain.get(GET, params={"integrated_account_id": "gh"}, headers=headers)
    with test_client(create_app(ServerConfig(tokens=[API_TOKEN], retries=0)), root_path="/api") as rooted:
        got = rooted.get(GET, params={"integrated_account_id": "gh"}, headers=headers)
    assert want.status_code == got.status_code == 200
    assert got.json() == want.json()


def test_the_openapi_document_names_the_root_path_as_its_server() -> None:
    """Under --root-path it listed the app's own paths with no server: a client made from
    https://host/ci/openapi.json called https://host/unified/..."""
    from unci.server import ServerConfig, create_app

    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    with test_client(create_app(ServerConfig(tokens=[API_TOKEN])), root_path="/ci") as rooted:
        doc = rooted.get("/openapi.json", headers=headers).json()
    assert doc["servers"] == [{"url": "/ci"}]
    with test_client(create_app(ServerConfig(tokens=[API_TOKEN]))) as plain:
        assert "servers" not in plain.get("/openapi.json", headers=headers).json()


@pytest.mark.parametrize(
    "path",
    [
        "/unified/ci-cd/jobs/5/",
        "/unified/ci-cd/jobs/5/steps",
        "/unified/ci-cd/builds/5/jobs",
        "/unified/ci-cd/jobs/a/b/logs",
    ],
)
def test_a_sub_path_is_no_endpoint_not_a_job_asked_of_the_provider(api, server, path: str) -> None:
    """``jobs/5/steps`` was sent to the provider as the job ``5/steps``: a remote 404, on the
    account's quota, reading as a wrong id."""
    answer = api.get(path, params={"integrated_account_id": "gh"})
    assert answer.status_code == 404
    body = answer.json()
    assert body["message"].startswith("no such endpoint: ") and not body.get("truto_is_remote_error")
    assert server.requests == []


def test_a_path_no_route_matches_is_the_envelopes_404(api) -> None:
    missing = api.get("/unified/ci-cd/jobs/a%0Ab")  # no route's pattern crosses a line break
    assert missing.status_code == 404 and missing.json()["statusCode"] == 404


_PIECES = st.sampled_from(
    ["/unified/ci-cd/jobs", "/unified/ci-cd/builds", "/", "logs", "/logs", "\n", "a", "."]
)


@settings(max_examples=300, deadline=None)
@given(path=st.lists(_PIECES | st.text(max_size=3), max_size=6).map("".join))
def test_any_path_to_one_record_is_taken_directly_with_the_routers_id(path: str) -> None:
    """Not only the same choice when taken: every path the router gives a job or build record
    is taken directly (none left to the slower router), and the log never is."""
    from unci.server import ServerConfig, create_app

    app = create_app(ServerConfig(tokens=[API_TOKEN]))
    direct = Direct(app.router, routes(app))
    records = {record[2].endpoint for record in direct.records}
    scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    endpoint = direct._endpoint(scope)
    chosen = router_choice(app, scope)
    if endpoint is not None:
        assert (endpoint, scope["path_params"]) == chosen
    if chosen is not None and chosen[0] in records:
        assert endpoint is chosen[0]
