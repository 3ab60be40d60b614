"""Header numbers and caller numbers an attacker chooses: never a crash, never a wrong message.

Each case was a traceback (exit 1) or a 500 once; the provider is a real server on 127.0.0.1.
"""

from __future__ import annotations

import json
import time
from email.utils import formatdate

import pytest

from helpers import GITHUB_GET, GITHUB_JOB_PATH, cassette_body, run_cli
from localserver import Reply
from unci.ratelimit import header_number, normalize, retry_after

JOB = cassette_body("github", "get_job")
PATH = GITHUB_JOB_PATH
GET = (*GITHUB_GET, "--retries", "0")
HOSTILE = ["nan", "inf", "-inf", "1e400", "NaN", "-5", "²", "1" * 5000, " ", "0x10", "1_000"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_200_with_a_hostile_reset_header_still_prints_the_job(server, value: str) -> None:
    server.route(
        PATH,
        Reply(
            body=JOB,
            headers={
                "Content-Type": "application/json",
                "x-ratelimit-reset": value,
                "x-ratelimit-remaining": value,
                "x-ratelimit-limit": value,
            },
        ),
    )
    result = run_cli(*GET, "--base-url", server.url, "--format", "debug")
    assert result.exit_code == 0, result.output
    headers = json.loads(result.stdout)["debug"]["responseHeaders"]
    # Not numbers, so not normalised (the provider's own header stays, as sent).
    assert not {"ratelimit-reset", "ratelimit-limit", "ratelimit-remaining"} & set(headers)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_rate_limit_with_a_hostile_reset_is_exit_7_without_a_number(server, value: str) -> None:
    server.route(
        PATH,
        Reply(
            403,
            b'{"message":"API rate limit exceeded"}',
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": value, "Retry-After": value},
        ),
    )
    result = run_cli(*GET, "--base-url", server.url)
    assert result.exit_code == 7, result.output
    line = result.stderr.strip()
    assert line.startswith("unci: error: github: rate limit reached (HTTP 403)") and "\n" not in line
    assert "resets in" not in line  # nothing to say when the provider gave no number


def test_retry_after_as_an_http_date_is_worded_as_seconds(server) -> None:
    when = formatdate(time.time() + 3600, usegmt=True)  # "Tue, 01 Dec 2026 22:00:00 GMT"
    server.route(PATH, Reply(429, b'{"message":"slow down"}', {"Retry-After": when}))
    result = run_cli(*GET, "--base-url", server.url)
    assert result.exit_code == 7, result.output
    assert "GMT" not in result.stderr and " s s" not in result.stderr
    said = result.stderr.split("it resets in ")[1].split(" s")[0]
    assert 3590 <= int(said) <= 3600


def test_retry_after_in_seconds_is_worded_once(server) -> None:
    server.route(PATH, Reply(429, b"{}", {"Retry-After": "120"}))
    result = run_cli(*GET, "--base-url", server.url)
    assert result.exit_code == 7
    assert "; it resets in 120 s. Wait" in result.stderr


def test_header_numbers_are_plain_decimals_only() -> None:
    assert [header_number(v) for v in ("7", " 7 ", "7.5", "30;w=60")] == [7, 7, 7.5, 30]
    assert all(header_number(v) is None for v in [*HOSTILE, "", "+1", "1e3", "١٢"])
    assert normalize({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000000100"}, now=1000000000) == {
        "ratelimit-remaining": "0",
        "ratelimit-reset": "100",
    }
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470) == 10
    assert retry_after({"retry-after": "Wed, 21 Oct 99999 07:28:00 GMT"}) is None


# --- numbers callers give --------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--timeout", "--max-wait"])
@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "²", "-1"])
def test_cli_seconds_options_refuse_non_numbers(server, option: str, value: str) -> None:
    result = run_cli(*GET, "--base-url", server.url, option, value)
    assert result.exit_code == 2, result.output
    assert server.requests == []
    assert "Traceback" not in result.output and "internal error" not in result.output


@pytest.mark.parametrize("value", ["²", "nan", "1" * 5000, "-3", "0"])
def test_cli_limit_refuses_non_numbers(server, value: str) -> None:
    result = run_cli(
        "jobs",
        "list",
        "-P",
        "github",
        "-p",
        "owner=o",
        "-p",
        "repo_id=r",
        "-p",
        "build=1",
        "--base-url",
        server.url,
        "--limit",
        value,
    )
    assert result.exit_code == 2, result.output
    assert server.requests == []
