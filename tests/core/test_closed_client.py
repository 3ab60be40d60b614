"""A client that was closed refuses to send, sync or async, and sends nothing: its calls go
straight to httpx's transport (unci.lean.send), which would otherwise open a new connection."""

from __future__ import annotations

import pytest

import unci
from helpers import GITHUB_PARAMS, cassette_body
from localserver import LocalServer, Reply

JOB = cassette_body("github", "get_job")


def test_a_closed_client_refuses_to_send(server: LocalServer) -> None:
    server.route("/repos/o/r/actions/jobs/1", Reply(body=JOB))
    client = unci.Client()
    assert client.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url).id
    client.close()
    with pytest.raises(RuntimeError, match="closed"):
        client.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url)
    assert len(server.requests) == 1


@pytest.mark.asyncio
async def test_a_closed_async_client_refuses_to_send(server: LocalServer) -> None:
    server.route("/repos/o/r/actions/jobs/1", Reply(body=JOB))
    client = unci.AsyncClient()
    assert (await client.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url)).id
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await client.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url)
    assert len(server.requests) == 1
