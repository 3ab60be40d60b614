"""A 3xx answer is never success: unci follows no redirect for an API call, and says where it
was sent (credentials redacted). Once, a 302 with body ``{}`` listed zero jobs and exited 0."""

from __future__ import annotations

import pytest
from cases import CASES

from helpers import github_get, run_cli
from localserver import LocalServer, Reply

TOKEN = "tok-REDIRECT-0123456789"


def _login(server: LocalServer, status: int = 302) -> None:
    server.fallback = Reply(
        status,
        b"{}",
        {
            "Content-Type": "application/json",
            "Location": f"/login?next=%2Fapi&access_token={TOKEN}&from={TOKEN}\r\nX: y",
        },
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.provider)
@pytest.mark.parametrize("command", ["get", "list"])
def test_a_redirect_is_an_error_naming_where(server: LocalServer, case, command: str) -> None:
    _login(server)
    args = case.get_args if command == "get" else case.list_args
    result = run_cli(
        *args,
        "--base-url",
        server.url,
        "--token",
        TOKEN,
        "--username",
        "u",
        "--password",
        TOKEN,
        "--retries",
        "0",
    )
    assert result.exit_code == 6, result.output
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith(f"unci: error: {case.provider}: HTTP 302 from ")
    assert f"redirected to {server.url}/login?next=%2Fapi&access_token=%5BREDACTED%5D" in line
    assert "Check the base URL" in line
    assert TOKEN not in result.output
    assert len(server.requests) == 1  # not followed


@pytest.mark.parametrize("status", [301, 303, 307, 308])
@pytest.mark.parametrize("fmt", ["stream", "raw", "unified"])
def test_every_redirect_status_fails_in_every_format(server: LocalServer, status: int, fmt: str) -> None:
    _login(server, status)
    result = run_cli(*github_get(server.url, "--format", fmt, "--retries", "0"))
    assert result.exit_code == 6, result.output
    assert result.stdout == "" and f"HTTP {status} from" in result.stderr


def test_a_redirect_without_location_says_so(server: LocalServer) -> None:
    server.fallback = Reply(302, b"", {})
    result = run_cli(*github_get(server.url, "--retries", "0"))
    assert result.exit_code == 6 and "redirected to nowhere" in result.stderr


@pytest.mark.parametrize("fmt", ["stream", "raw", "unified"])
@pytest.mark.parametrize("location", ["javascript:alert(1)", "http://[::1"])
def test_a_location_that_is_no_url_is_one_line_in_every_format(
    server: LocalServer, fmt: str, location: str
) -> None:
    """httpx reads a Location even when it does not follow it, and refuses one that is no URL
    with an error of its own (not an HTTP error): it used to escape as a traceback."""
    server.fallback = Reply(302, b"{}", {"Content-Type": "application/json", "Location": location})
    result = run_cli(*github_get(server.url, "--token", TOKEN, "--format", fmt, "--retries", "0"))
    assert result.exit_code == 6, result.output
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("unci: error: github: ")
    assert "redirect to a URL that is not valid http(s)" in line and "Traceback" not in result.output
    assert result.stdout == "" and TOKEN not in result.output
