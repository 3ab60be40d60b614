"""A provider from an outside distribution works end to end: installed with pip into a fresh
virtual environment next to unci (both non-editable, from local paths), ``unci providers`` lists
it, ``unci jobs get`` and ``jobs list`` fetch through it from a server on 127.0.0.1, and its own
test suite (unci's conformance kit, loaded by the ``pytest11`` plugin) passes there.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from localserver import Reply, serving

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "unci-provider-example"
TOKEN = "wp-example-token-3a9f7c"


def pipeline() -> bytes:
    data = yaml.safe_load((EXAMPLE / "tests" / "cassettes" / "get_job.yaml").read_text())
    return data["interactions"][0]["response"]["body"]["string"].encode()


def run(python: Path, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a command of the venv with a bare environment: no credentials, no PYTHONPATH."""
    env = {
        "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "UNCI_CONFIG": str(tmp_path / "accounts.toml"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if "SYSTEMROOT" in os.environ:  # Windows needs it to start Python at all
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, env=env, check=False, timeout=120
    )


@pytest.mark.slow
def test_an_outside_provider_is_discovered_and_fetches(example_venv: Path, tmp_path: Path) -> None:
    listed = run(example_venv, "-m", "unci", "providers", "--json", tmp_path=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["name"] for r in rows] == ["github", "woodpecker"]  # only what this venv installed
    assert rows[1]["distribution"] == "unci-woodpecker 0.1.0" and rows[1]["error"] is None
    assert [p["name"] for p in rows[1]["params"]] == ["repo_id", "build"]
    assert run(example_venv, "-m", "unci", "providers", "--check", tmp_path=tmp_path).returncode == 0

    with serving() as server:
        server.route("/api/repos/1/pipelines/8", Reply(body=pipeline()))
        where = ["-P", "woodpecker", "-p", "repo_id=1", "-p", "build=8", "--base-url", server.url]
        got = run(example_venv, "-m", "unci", "jobs", "get", "6", *where, "--token", TOKEN, tmp_path=tmp_path)
        listed_jobs = run(example_venv, "-m", "unci", "jobs", "list", *where, tmp_path=tmp_path)
        missing = run(example_venv, "-m", "unci", "jobs", "get", "42", *where, tmp_path=tmp_path)

    assert got.returncode == 0, got.stderr
    job = json.loads(got.stdout)
    assert (job["id"], job["name"], job["build"]) == ("6", "lint", "8")
    assert (job["status"], job["conclusion"]) == ("completed", "failed")
    assert job["started_at"] == "2025-01-01T12:00:11Z"
    assert job["remote_data"]["uuid"] == "c3e8b1f7-9d4a-4f2e-a5b6-7e1d0c9b8a43"
    assert server.requests[0].path == "/api/repos/1/pipelines/8"
    assert server.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in got.stdout + got.stderr

    assert listed_jobs.returncode == 0, listed_jobs.stderr
    assert [j["name"] for j in json.loads(listed_jobs.stdout)["result"]] == ["build", "lint"]
    assert "Authorization" not in server.requests[1].headers  # no token given, none sent

    assert missing.returncode == 5
    assert "pipeline 8 of repository 1 has no step 42" in missing.stderr
    assert "Traceback" not in missing.stderr


@pytest.mark.slow
def test_the_example_passes_unci_conformance_kit_where_it_is_installed(
    example_venv: Path, tmp_path: Path
) -> None:
    result = run(
        example_venv, "-m", "pytest", str(EXAMPLE), "-v", "-p", "no:cacheprovider", tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    kit = [line for line in result.stdout.splitlines() if "::TestWoodpecker::" in line]
    assert len(kit) == 15 and all("PASSED" in line for line in kit), kit  # every check, none skipped
    assert "skipped" not in result.stdout.splitlines()[-1]
