"""The server under test: the ASGI app with a GitHub account whose API root is a local upstream."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from serverkit import API_TOKEN, GH_SECRET, JOB, JOB_PATH, LIST_PATH, PAGE2_PATH, add_account, test_client

from helpers import cassette_body
from localserver import LocalServer, Reply
from unci import accounts


@pytest.fixture
def gh(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> accounts.Account:
    """Account ``gh``: GitHub at the local upstream, owner/repo_id as default params."""
    monkeypatch.setenv("GH_WORK_TOKEN", GH_SECRET)
    server.route(
        JOB_PATH,
        Reply(
            body=JOB,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "4999",
                "x-ratelimit-reset": "60",
            },
        ),
    )
    page1 = cassette_body("github", "list_jobs", 0)
    page2 = cassette_body("github", "list_jobs", 1)
    server.route(
        LIST_PATH,
        Reply(
            body=page1,
            headers={
                "Content-Type": "application/json",
                "link": f'<{server.url}{PAGE2_PATH}?filter=all&per_page=1&page=2>; rel="next"',
            },
        ),
    )
    server.route(PAGE2_PATH, Reply(body=page2))
    return add_account(
        "gh", "github", server.url, token_env="GH_WORK_TOKEN", owner="octo-org", repo_id="octo-repo"
    )


@pytest.fixture(scope="module")
def served_app() -> Iterator:
    """One app per module (starting one costs an event-loop thread and an HTTP pool): it holds
    no state, reading accounts, environment and plugins afresh on every request."""
    from unci.server import ServerConfig, create_app

    app = create_app(ServerConfig(tokens=[API_TOKEN], retries=0))
    with test_client(app) as client:
        yield client


@pytest.fixture
def api(served_app, gh: accounts.Account):
    """A client of the ASGI app (lifespan run), sending the server's API token."""
    served_app.headers["Authorization"] = f"Bearer {API_TOKEN}"
    return served_app
