"""`unci serve --cors-origin`: a dashboard's page on another origin calls a real server
process the way a browser does (a preflight for ``Authorization``, then the GET with its
``Origin``), and every other origin, or a server without the option, gets no CORS header, so
no other page can read an answer."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from serverkit import API_TOKEN, GH_SECRET, JOB, JOB_PATH, Served, unci_serve

from localserver import LocalServer, Reply, serving
from unci import accounts

DASHBOARD = "http://localhost:3000"
JOB_URL = "/unified/ci-cd/jobs/399444496?integrated_account_id=ci"
PREFLIGHT = {"Origin": DASHBOARD, "Access-Control-Request-Method": "GET"}


@pytest.fixture(scope="module")
def upstream() -> Iterator[LocalServer]:
    with serving() as server:
        server.route(JOB_PATH, Reply(body=JOB, headers={"x-ratelimit-remaining": "4999"}))
        yield server


def _serve(upstream: LocalServer, home, *args: str) -> Iterator[Served]:
    account = accounts.Account(
        name="ci",
        provider="github",
        token_env="GH_WORK_TOKEN",
        base_url=upstream.url,
        params={"owner": "octo-org", "repo_id": "octo-repo"},
    )
    with unci_serve(home, [account], *args, env={"GH_WORK_TOKEN": GH_SECRET}) as process:
        yield process


@pytest.fixture(scope="module")
def served(upstream: LocalServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _serve(upstream, tmp_path_factory.mktemp("cors"), "--cors-origin", f"{DASHBOARD}/")


def test_a_dashboards_page_may_call_the_server_from_a_browser(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=30) as client:
        preflight = client.options(
            JOB_URL, headers={**PREFLIGHT, "Access-Control-Request-Headers": "authorization"}
        )
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == DASHBOARD
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        assert "GET" in preflight.headers["access-control-allow-methods"]
        answer = client.get(JOB_URL, headers={"Origin": DASHBOARD, "Authorization": f"Bearer {API_TOKEN}"})
    assert answer.status_code == 200 and answer.json()["id"] == "399444496"
    assert answer.headers["access-control-allow-origin"] == DASHBOARD
    # The page can read how much of the provider's quota is left.
    assert answer.headers["ratelimit-remaining"] == "4999"
    assert "ratelimit-remaining" in answer.headers["access-control-expose-headers"]


def test_the_token_is_still_checked_and_other_origins_get_nothing(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=30) as client:
        refused = client.get(JOB_URL, headers={"Origin": DASHBOARD})
        assert refused.status_code == 401
        other = client.get(
            JOB_URL, headers={"Origin": "https://evil.example", "Authorization": f"Bearer {API_TOKEN}"}
        )
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options(JOB_URL, headers={**PREFLIGHT, "Origin": "https://evil.example"})
        assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers


def test_without_the_option_no_page_can_read_an_answer(
    upstream: LocalServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for served in _serve(upstream, tmp_path_factory.mktemp("no-cors")):
        with httpx.Client(base_url=served.url, timeout=30) as client:
            answer = client.get(
                JOB_URL, headers={"Origin": DASHBOARD, "Authorization": f"Bearer {API_TOKEN}"}
            )
        assert answer.status_code == 200
        assert not any(name.startswith("access-control-") for name in answer.headers)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--cors-origin", "localhost:3000"], "--cors-origin must be an origin as a browser sends it"),
        (["--cors-origin", "http://localhost:3000/app"], "(scheme, host and port; no path)"),
        (["--cors-origin", "*", "--no-auth"], "would let any web page you open read your CI data"),
    ],
)
def test_an_origin_that_is_none_is_one_line_and_exit_2(args: list[str], said: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "unci", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "", "UNCI_SERVER_TOKENS": API_TOKEN},
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("unci: error: ") and said in lines[0], result.stderr
