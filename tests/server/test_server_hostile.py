"""Caller input and provider headers an attacker chooses, through the ASGI app: a 400 that says
what was wrong, or the answer; never a 500."""

from __future__ import annotations

import gzip

import pytest
from serverkit import JOB, JOB_PATH

from localserver import Reply

GET = "/unified/ci-cd/jobs/399444496"
LIST = "/unified/ci-cd/jobs"


@pytest.mark.parametrize("value", ["²", "١٢", "1" * 5000, "nan", "1e3", "-1", "0", " "])
def test_limit_that_is_not_a_whole_number_is_a_400(api, gh, server, value: str) -> None:
    response = api.get(LIST, params={"integrated_account_id": "gh", "build": "29679449", "limit": value})
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith("limit must be a whole number")
    assert server.requests == []


def test_exclude_fields_index_must_be_ascii(api, gh, server) -> None:
    response = api.get(f"{GET}?integrated_account_id=gh&truto_exclude_fields[²]=id")
    assert response.status_code == 400, response.text
    assert "truto_exclude_fields is an array" in response.json()["message"]


@pytest.mark.parametrize("value", ["nan", "inf", "1e400"])
@pytest.mark.parametrize("fmt", ["debug", "unified"])
def test_a_hostile_reset_header_on_a_200_is_still_a_200(api, gh, server, value, fmt) -> None:
    server.route(
        JOB_PATH, Reply(body=JOB, headers={"Content-Type": "application/json", "x-ratelimit-reset": value})
    )
    response = api.get(GET, params={"integrated_account_id": "gh", "truto_response_format": fmt})
    assert response.status_code == 200, response.text
    assert "ratelimit-reset" not in response.headers


@pytest.mark.parametrize("fmt", ["stream", "raw", "unified"])
def test_an_upstream_redirect_is_a_502_envelope_not_a_200(api, gh, server, fmt) -> None:
    server.route(
        JOB_PATH, Reply(302, b"<html>login</html>", {"Location": "/login", "Content-Type": "text/html"})
    )
    response = api.get(GET, params={"integrated_account_id": "gh", "truto_response_format": fmt})
    assert response.status_code == 502, response.text
    body = response.json()
    assert body["remote_status"] == 302 and "redirected to" in body["message"]


# --- cursors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cursor", ["garbage!", "x" * 20_000, "é", "e30.e30", ".", "%00", "eyJ2IjoxfQ"])
def test_odd_cursors_are_a_400_before_any_request(api, gh, server, cursor: str) -> None:
    response = api.get(
        LIST, params={"integrated_account_id": "gh", "build": "29679449", "next_cursor": cursor}
    )
    assert response.status_code == 400, response.text
    assert "the cursor is not one unci handed out" in response.json()["message"]
    assert server.requests == []


def test_an_empty_cursor_is_the_first_page(api, gh) -> None:
    response = api.get(f"{LIST}?integrated_account_id=gh&build=29679449&next_cursor=")
    assert response.status_code == 200 and response.json()["next_cursor"]


def test_a_cursor_of_one_account_is_a_400_on_another(api, gh, server) -> None:
    from serverkit import add_account

    add_account("gh2", "github", server.url, token_env="GH_WORK_TOKEN", owner="octo-org", repo_id="octo-repo")
    params = {"build": "29679449"}
    cursor = api.get(LIST, params={**params, "integrated_account_id": "gh"}).json()["next_cursor"]
    before = len(server.requests)
    other = api.get(LIST, params={**params, "integrated_account_id": "gh2", "next_cursor": cursor})
    assert other.status_code == 400 and len(server.requests) == before
    same = api.get(LIST, params={**params, "integrated_account_id": "gh", "next_cursor": cursor})
    assert same.status_code == 200


def test_the_server_refuses_to_start_without_a_usable_cursor_key(monkeypatch) -> None:
    from unci.errors import ConfigError
    from unci.server import ServerConfig, create_app

    monkeypatch.setenv("UNCI_CURSOR_KEY", "too-short")
    with pytest.raises(ConfigError, match="UNCI_CURSOR_KEY must be at least 32"):
        create_app(ServerConfig(auth=False))


# --- bounds ---------------------------------------------------------------------------------


def test_the_server_caps_bodies_too(server, monkeypatch) -> None:
    from serverkit import add_account, test_client

    from unci.server import ServerConfig, create_app

    MIB = 1024 * 1024

    monkeypatch.setenv("UNCI_MAX_BODY", "1MiB")
    monkeypatch.setenv("GH_T", "ghp_x")
    bomb = gzip.compress(b" " * (50 * MIB))
    server.route("/repos/o/r/actions/jobs/1", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    add_account("gh", "github", server.url, token_env="GH_T", owner="o", repo_id="r")
    with test_client(create_app(ServerConfig(auth=False, retries=0))) as api:
        for fmt in ("unified", "raw"):  # stream: past its first chunk, the connection breaks
            response = api.get(
                "/unified/ci-cd/jobs/1", params={"integrated_account_id": "gh", "truto_response_format": fmt}
            )
            assert response.status_code == 502, (fmt, response.text[:200])
            assert "is larger than 1 MiB" in response.json()["message"]


def test_a_slow_drip_provider_is_a_504_within_the_timeout(server, monkeypatch) -> None:
    """The server's own connection pools (not httpx's) honour the whole-request bound too."""
    import time

    from serverkit import add_account, test_client

    from unci.server import ServerConfig, create_app

    monkeypatch.setenv("GH_T", "ghp_x")
    server.route("/repos/o/r/actions/jobs/1", Reply(body=JOB, drip=0.5))
    add_account("gh", "github", server.url, token_env="GH_T", owner="o", repo_id="r")
    with test_client(create_app(ServerConfig(auth=False, retries=0, timeout=1.5))) as api:
        start = time.monotonic()
        response = api.get("/unified/ci-cd/jobs/1", params={"integrated_account_id": "gh"})
        assert response.status_code == 504, response.text
        assert time.monotonic() - start < 10
