"""Issue 2's promise, in a fresh virtual environment: the core alone knows no provider and says
how to add one; with unci-github it lists GitHub with its distribution, params and fields."""

from __future__ import annotations

import json
import subprocess

import pytest

pytestmark = pytest.mark.slow


def test_core_alone_says_no_provider_and_how_to_install(
    install_stages: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    core = install_stages["core"]
    assert core.returncode == 0, core.stderr
    assert "No provider is installed" in core.stdout and "pip install unci-github" in core.stdout
    assert json.loads(install_stages["core --json"].stdout) == []


def test_core_and_github_lists_github(install_stages: dict[str, subprocess.CompletedProcess[str]]) -> None:
    text = install_stages["core+github"]
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("github  (unci-github 0.1.0)  GitHub Actions")
    rows = json.loads(install_stages["core+github --json"].stdout)
    assert [r["name"] for r in rows] == ["github"]
    assert rows[0]["distribution"] == "unci-github 0.1.0"
    assert [p["name"] for p in rows[0]["params"]] == ["owner", "repo_id"]
    assert "conclusion" in rows[0]["fields"] and rows[0]["token_env"] == ["UNCI_GITHUB_TOKEN", "GITHUB_TOKEN"]
