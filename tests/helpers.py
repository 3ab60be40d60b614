"""Helpers the provider and CLI tests share."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
from click.testing import CliRunner, Result

from unci.cli import cli
from unci.plugins import registry

ROOT = Path(__file__).resolve().parents[1]
#: Credentials-bearing request headers of every provider; none may ever reach a cassette.
SECRET_HEADERS = ["authorization", "circle-token", "private-token", "cookie", "x-api-key", "travis-api-token"]


# --- GitHub repo o/r, as the tests' local server (tests/localserver.py) plays it ----------------
#: The params naming repo o/r, and where unci asks for its job 1.
GITHUB_PARAMS = {"owner": "o", "repo_id": "r"}
GITHUB_JOB_PATH = "/repos/o/r/actions/jobs/1"


#: ``unci jobs get 1`` of repo o/r on GitHub (the API root still to give).
GITHUB_GET = ("jobs", "get", "1", "-P", "github", "-p", "owner=o", "-p", "repo_id=r")


def github_get(base_url: str, *more: str) -> list[str]:
    """:data:`GITHUB_GET` at ``base_url`` (the local server), then ``more``."""
    return [*GITHUB_GET, "--base-url", base_url, *more]


def cassette_body(provider: str, cassette: str, index: int = 0) -> bytes:
    """The response body of one interaction of a cassette (the real payload it was built from)."""
    import yaml

    data = yaml.safe_load((ROOT / "plugins" / provider / "cassettes" / f"{cassette}.yaml").read_text())
    return data["interactions"][index]["response"]["body"]["string"].encode()


def with_fields(payload: bytes, **changes: Any) -> bytes:
    """A real payload with some top-level fields changed (for status-table rows)."""
    data = json.loads(payload)
    data.update(changes)
    return json.dumps(data).encode()


def map_payload(provider: str, payload: bytes, job_id: str = "", params: dict | None = None):
    reg = registry()
    reg.load(provider)
    return reg.hooks(provider).map_job(payload=payload, job_id=job_id, params=params or {})


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)


def out_json(result: Result) -> Any:
    return msgspec.json.decode(result.stdout_bytes)


def run_unci(
    *args: str, env: dict[str, str] | None = None, input: str | bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``unci ARGS`` as a real process (``python -m unci``), with this test's environment
    (its accounts file, no credentials from the developer's shell) plus ``env``."""
    full = {**os.environ, **(env or {})}
    data = input.decode() if isinstance(input, bytes) else input
    return subprocess.run(
        [sys.executable, "-m", "unci", *args],
        env=full,
        input=data,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_error_line(stderr: str) -> str:
    """The single ``unci: error: ...`` line a failure prints; anything more (a traceback, a
    second line) fails the test."""
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("unci: error: "), stderr
    return lines[0]


def ctrl_c_reaches_child() -> None:
    """``preexec_fn`` for a child a test sends SIGINT: a process started where SIGINT is ignored
    (a background job, some CI runners) inherits the ignoring, and Python then installs no
    KeyboardInterrupt handler, so the test would measure its runner, not unci."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
