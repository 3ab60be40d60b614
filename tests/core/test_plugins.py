"""Plugin discovery against real installed entry points: isolation, duplicates, UNCI_PLUGINS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakedists import GOOD, install
from helpers import run_cli
from unci.plugins import registry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    install(site, "unci-fake", "1.2.3", {"fake": "unci_fake"}, {"unci_fake": GOOD.format(name="fake")})
    install(site, "unci-broken", "0.1", {"broken": "unci_broken"},
            {"unci_broken": "raise ImportError('needs libfoo 2, found 1')\n"})
    install(site, "unci-dupe-one", "1.0", {"dupe": "unci_dupe_one"},
            {"unci_dupe_one": GOOD.format(name="dupe")})
    install(site, "unci-dupe-two", "2.0", {"dupe": "unci_dupe_two"},
            {"unci_dupe_two": GOOD.format(name="dupe")})
    install(site, "unci-hookless", "0.1", {"hookless": "unci_hookless"},
            {"unci_hookless": GOOD.format(name="hookless").split("@hookimpl\ndef build_request")[0]})
    monkeypatch.syspath_prepend(str(site))
    return site


def test_providers_lists_good_and_reports_broken(site: Path) -> None:
    result = run_cli("providers", "--json")
    assert result.exit_code == 0
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["fake"]["distribution"] == "unci-fake 1.2.3" and rows["fake"]["error"] is None
    assert rows["github"]["params"][0]["name"] == "owner"
    assert "ImportError: needs libfoo 2, found 1" in rows["broken"]["error"]
    assert rows["broken"]["distribution"] == "unci-broken 0.1"
    assert "more than one distribution (unci-dupe-one 1.0, unci-dupe-two 2.0)" in rows["dupe"]["error"]
    assert "build_request, map_job" in rows["hookless"]["error"]


def test_check_exits_3_when_a_plugin_is_broken(site: Path) -> None:
    result = run_cli("providers", "--check")
    assert result.exit_code == 3
    assert "BROKEN" in result.stdout


def test_broken_plugin_never_breaks_another(site: Path) -> None:
    assert registry().info("fake").title == "Fake fake"
    result = run_cli("jobs", "get", "1", "-P", "broken")
    assert result.exit_code == 3
    assert result.stderr.startswith("unci: error: provider 'broken' (unci-broken 0.1) failed to load")
    assert "Traceback" not in result.output


def test_duplicate_name_is_an_error_naming_both(site: Path) -> None:
    result = run_cli("jobs", "get", "1", "-P", "dupe")
    assert result.exit_code == 3
    assert "unci-dupe-one 1.0, unci-dupe-two 2.0" in result.stderr


def test_unknown_provider_lists_installed(site: Path) -> None:
    result = run_cli("jobs", "get", "1", "-P", "nosuch")
    assert result.exit_code == 2
    assert "unknown provider 'nosuch'; installed providers: " in result.stderr
    assert "fake" in result.stderr and "github" in result.stderr
    assert "pip install unci-nosuch" in result.stderr


def test_asking_for_one_provider_imports_only_it(site: Path) -> None:
    registry().load("fake")
    assert "unci_fake" in sys.modules
    assert "unci_broken" not in sys.modules and "unci_dupe_one" not in sys.modules


def test_unci_plugins_limits_what_is_visible(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNCI_PLUGINS", "fake")
    assert registry().names() == ["fake"]
    monkeypatch.setenv("UNCI_PLUGINS", "")
    from unci import plugins

    plugins.reset()
    result = run_cli("providers")
    assert "No provider is installed" in result.stdout


def test_inline_registration_for_tests_and_embedding() -> None:
    import types

    module = types.ModuleType("inline")
    exec(GOOD.format(name="inline"), module.__dict__)
    registry().register(module, "inline")
    try:
        assert registry().info("inline").title == "Fake inline"
    finally:
        registry().unregister("inline")


@pytest.mark.slow
def test_real_subprocess_lists_and_fails_cleanly(site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(site)}
    listed = subprocess.run([sys.executable, "-m", "unci", "providers", "--json"], env=env,
                            capture_output=True, text=True, check=False)
    assert listed.returncode == 0, listed.stderr
    assert {r["name"] for r in json.loads(listed.stdout)} >= {"fake", "broken", "github"}
    failed = subprocess.run([sys.executable, "-m", "unci", "jobs", "get", "1", "-P", "broken"],
                            env=env, capture_output=True, text=True, check=False)
    assert failed.returncode == 3
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr
