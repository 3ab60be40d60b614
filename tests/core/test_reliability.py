"""Retries, rate limits and timeouts against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import time

import pytest

import unci
from helpers import GITHUB_JOB_PATH, GITHUB_PARAMS, cassette_body, github_get, run_cli
from localserver import Reply
from unci.retry import RetryPolicy, retry_after, wait_for

JOB = cassette_body("github", "get_job")
PATH = GITHUB_JOB_PATH
PARAMS = GITHUB_PARAMS
FAST = RetryPolicy(backoff=0.01, max_backoff=0.05)


def client(**kw) -> unci.Client:
    return unci.Client(retry=kw.pop("retry", FAST), **kw)


def get(server, c: unci.Client | None = None) -> unci.Job:
    with c or client() as http:
        return http.get_job("github", "1", params=PARAMS, base_url=server.url)


def test_429_with_retry_after_then_success(server) -> None:
    waits: list[str] = []
    server.route(PATH, Reply(429, b'{"message":"slow down"}', {"Retry-After": "2"}), Reply(body=JOB))
    start = time.monotonic()
    job = get(server, client(on_wait=waits.append))
    assert job.id == "399444496"
    assert time.monotonic() - start >= 1.9  # Retry-After was honoured
    assert len(server.requests) == 2
    assert waits == ["unci: github: HTTP 429; retrying in 2.0 s (retry 1 of 3)"]


def test_503_twice_then_success(server) -> None:
    server.route(PATH, Reply(503, b"busy"), Reply(503, b"busy"), Reply(body=JOB))
    assert get(server).conclusion == "passed"
    assert len(server.requests) == 3


def test_503_forever_gives_up_with_the_status(server) -> None:
    server.route(PATH, Reply(503, b'{"message":"maintenance"}'))
    with pytest.raises(unci.RemoteError) as info:
        get(server)
    assert info.value.remote_status == 503 and "'maintenance'" in info.value.message
    assert len(server.requests) == 4  # one try and three retries


def test_reset_beyond_the_cap_fails_at_once_saying_when(server) -> None:
    reset = int(time.time()) + 3600
    server.route(
        PATH,
        Reply(
            403,
            b'{"message":"API rate limit exceeded for user ID 1."}',
            {"x-ratelimit-remaining": "0", "x-ratelimit-limit": "5000", "x-ratelimit-reset": str(reset)},
        ),
    )
    start = time.monotonic()
    with pytest.raises(unci.RateLimited) as info:
        get(server)
    assert time.monotonic() - start < 30  # no sleeping until the reset an hour away
    assert len(server.requests) == 1
    message = info.value.message
    assert "rate limit reached (HTTP 403)" in message and "resets in 3" in message
    assert message.endswith(
        "(unci waits at most 60 s in all); raise Client(retry=RetryPolicy(max_wait=...)) to wait longer"
    )
    assert info.value.cli_message().endswith(
        "(unci waits at most 60 s in all); raise --max-wait to wait longer"
    )


def test_secondary_rate_limit_403_with_retry_after_is_retried(server) -> None:
    server.route(
        PATH,
        Reply(403, b'{"message":"You have exceeded a secondary rate limit."}', {"Retry-After": "0"}),
        Reply(body=JOB),
    )
    assert get(server).id == "399444496"


def test_auth_403_is_not_retried(server) -> None:
    server.route(PATH, Reply(403, b'{"message":"Resource not accessible by integration"}'))
    with pytest.raises(unci.AuthError):
        get(server)
    assert len(server.requests) == 1


def test_hung_server_times_out(server) -> None:
    server.route(PATH, Reply(body=JOB, delay=2))
    start = time.monotonic()
    with pytest.raises(unci.Timeout) as info:
        get(server, client(timeout=0.3, retry=RetryPolicy(retries=1, backoff=0.01)))
    assert time.monotonic() - start < 3.5  # two full 2 s replies would take 4 s
    assert len(server.requests) == 2  # one try, one retry, each cut off by the timeout
    assert "no answer from" in info.value.message and "raise Client(timeout=...)" in info.value.message
    assert info.value.cli_message().endswith("raise --timeout or try again later")


def test_connection_refused_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens
    result = run_cli(*github_get(f"http://127.0.0.1:{port}", "--retries", "1"))
    assert result.exit_code == 8
    assert result.stderr.startswith(f"unci: error: github: could not reach http://127.0.0.1:{port}")


def test_body_cut_off_midway_is_retried(server) -> None:
    server.route(PATH, Reply(body=JOB[:100], truncate=True), Reply(body=JOB))
    assert get(server).id == "399444496"
    assert len(server.requests) == 2


def test_body_cut_off_every_time_is_a_network_error(server) -> None:
    server.route(PATH, Reply(body=JOB[:100], truncate=True))
    result = run_cli(
        "jobs",
        "get",
        "1",
        "-P",
        "github",
        "-p",
        "owner=o",
        "-p",
        "repo_id=r",
        "--base-url",
        server.url,
        "--retries",
        "0",
    )
    assert result.exit_code == 8, result.output


def test_cli_shows_long_waits_on_stderr(server) -> None:
    server.route(PATH, Reply(429, b"{}", {"Retry-After": "2"}), Reply(body=JOB))
    result = run_cli(
        "jobs", "get", "1", "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "--base-url", server.url
    )
    assert result.exit_code == 0
    assert "unci: github: HTTP 429; retrying in 2.0 s (retry 1 of 3)" in result.stderr


def test_max_wait_zero_fails_instead_of_waiting(server) -> None:
    server.route(PATH, Reply(429, b'{"message":"slow down"}', {"Retry-After": "30"}))
    result = run_cli(
        "jobs",
        "get",
        "1",
        "-P",
        "github",
        "-p",
        "owner=o",
        "-p",
        "repo_id=r",
        "--base-url",
        server.url,
        "--max-wait",
        "0",
    )
    assert result.exit_code == 7
    assert "raise --max-wait" in result.stderr


async def test_async_client_retries_the_same_way(server) -> None:
    server.route(PATH, Reply(502, b"bad gateway"), Reply(body=JOB))
    async with unci.AsyncClient(retry=FAST) as http:
        job = await http.get_job("github", "1", params=PARAMS, base_url=server.url)
    assert job.id == "399444496" and len(server.requests) == 2


def test_retry_after_forms() -> None:
    assert retry_after({"retry-after": "7"}) == 7
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470) == 10
    assert retry_after({"retry-after": "soon"}) is None
    assert (
        wait_for(429, {"x-rate-limit-remaining": "0", "x-rate-limit-reset": "1000000100"}, now=1000000000)
        == 100
    )
    assert wait_for(429, {"ratelimit-remaining": "0", "ratelimit-reset": "12"}) == 12
