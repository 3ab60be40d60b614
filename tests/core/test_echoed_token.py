"""A provider that echoes the token back: every format unci renders scrubs it, the CLI the same
way as the server (one function); raw and stream are the provider's bytes, byte for byte."""

from __future__ import annotations

import json

import pytest

from helpers import cassette_body, run_cli
from localserver import Reply

TOKEN = "ghp_ECHOEDBACK0123456789"
JOB = json.loads(cassette_body("github", "get_job"))
ECHO = json.dumps(
    {**JOB, "name": f"build {TOKEN}", "head_branch": TOKEN, "html_url": f"https://x/?t={TOKEN}"}
).encode()
PAGE = json.dumps({"total_count": 1, "jobs": [json.loads(ECHO)]}).encode()
GET = ["jobs", "get", "1", "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "--token", TOKEN]
LIST = ["jobs", "list", "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "-p", "build=2", "--token", TOKEN]


@pytest.fixture
def echo(server):
    server.route("/repos/o/r/actions/jobs/1", Reply(body=ECHO))
    server.route("/repos/o/r/actions/runs/2/jobs", Reply(body=PAGE))
    return server


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "unified"],
        ["--format", "normalized"],
        ["--format", "debug"],
        ["--output", "table"],
        ["--format", "normalized", "--output", "table"],
    ],
)
@pytest.mark.parametrize("command", ["get", "list", "list --all"])
def test_rendered_formats_never_show_the_token(echo, args, command) -> None:
    base = GET if command == "get" else LIST + (["--all"] if "all" in command else [])
    result = run_cli(*base, "--base-url", echo.url, *args)
    if command == "list --all" and args == ["--format", "debug"]:  # refused: no envelope a line
        assert result.exit_code == 2 and TOKEN not in result.output
        return
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    assert "[REDACTED]" in result.stdout  # the field is there, its secret part scrubbed


@pytest.mark.parametrize("fmt", ["raw", "stream"])
def test_raw_and_stream_are_the_providers_bytes(echo, fmt) -> None:
    result = run_cli(*GET, "--base-url", echo.url, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == ECHO
