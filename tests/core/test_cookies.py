"""One client carries calls for many accounts: a cookie a provider's answer sets is never sent
back with a later call, whichever client (sync or async) made them."""

from __future__ import annotations

import pytest

import unci
from helpers import GITHUB_PARAMS, cassette_body
from localserver import LocalServer, Reply

JOB = cassette_body("github", "get_job")
PARAMS = GITHUB_PARAMS


def _serve(server: LocalServer) -> None:
    headers = {"Content-Type": "application/json", "Set-Cookie": "session=from-account-a; Path=/"}
    server.route("/repos/o/r/actions/jobs/1", Reply(body=JOB, headers=headers))
    server.route("/repos/o/r/actions/jobs/2", Reply(body=JOB))


def _cookies(server: LocalServer) -> list[str | None]:
    return [{k.lower(): v for k, v in seen.headers.items()}.get("cookie") for seen in server.requests]


def test_the_client_keeps_no_cookie(server: LocalServer) -> None:
    _serve(server)
    with unci.Client() as client:
        client.get_job("github", "1", params=PARAMS, base_url=server.url, token="account-a")
        client.get_job("github", "2", params=PARAMS, base_url=server.url, token="account-b")
    assert _cookies(server) == [None, None]


@pytest.mark.asyncio
async def test_the_async_client_keeps_no_cookie(server: LocalServer) -> None:
    _serve(server)
    async with unci.AsyncClient() as client:
        await client.get_job("github", "1", params=PARAMS, base_url=server.url, token="account-a")
        await client.get_job("github", "2", params=PARAMS, base_url=server.url, token="account-b")
    assert _cookies(server) == [None, None]
