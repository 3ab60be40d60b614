"""Plugin discovery against real installed entry points: isolation, duplicates, UNCI_PLUGINS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakedists import GOOD, install
from helpers import one_error_line, run_cli
from unci.plugins import registry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    install(
        site, "unci-fake", "1.2.3", {"fake": "unci_fake:provider"}, {"unci_fake": GOOD.format(name="fake")}
    )
    install(
        site,
        "unci-broken",
        "0.1",
        {"broken": "unci_broken"},
        {"unci_broken": "raise ImportError('needs libfoo 2, found 1')\n"},
    )
    install(
        site,
        "unci-dupe-one",
        "1.0",
        {"dupe": "unci_dupe_one:provider"},
        {"unci_dupe_one": GOOD.format(name="dupe")},
    )
    install(
        site,
        "unci-dupe-two",
        "2.0",
        {"dupe": "unci_dupe_two:provider"},
        {"unci_dupe_two": GOOD.format(name="dupe")},
    )
    install(
        site,
        "unci-hookless",
        "0.1",
        {"hookless": "unci_hookless:provider"},
        {"unci_hookless": GOOD.format(name="hookless").replace("def build_request", "def _x")},
    )
    install(
        site,
        "unci-exits",
        "0.1",
        {"exits": "unci_exits:provider"},
        {"unci_exits": "import sys\nsys.exit(4)\n"},
    )
    install(
        site,
        "unci-hangs",
        "0.1",
        {"hangs": "unci_hangs:provider"},
        {"unci_hangs": "import time\ntime.sleep(30)\n"},
    )
    install(
        site,
        "unci-raises",
        "0.1",
        {"raises": "unci_raises:provider"},
        {
            "unci_raises": GOOD.format(name="raises").replace(
                'return self.request("/jobs/" + segment(job_id))', "return {}['boom']"
            )
        },
    )
    install(
        site,
        "unci-wrongtype",
        "0.1",
        {"wrongtype": "unci_wrongtype:provider"},
        {
            "unci_wrongtype": GOOD.format(name="wrongtype").replace(
                'return self.request("/jobs/" + segment(job_id))', 'return "/jobs/1"'
            )
        },
    )
    install(
        site,
        "unci-notaprovider",
        "0.1",
        {"notaprovider": "unci_notaprovider"},
        {"unci_notaprovider": "x = 1\n"},
    )
    monkeypatch.setenv("UNCI_PLUGIN_TIMEOUT", "1")
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
    assert "does not implement build_request" in rows["hookless"]["error"]
    assert "its import called sys.exit(4)" in rows["exits"]["error"]
    assert "its import did not finish in 1 s (UNCI_PLUGIN_TIMEOUT)" in rows["hangs"]["error"]
    assert "not a unci.Provider" in rows["notaprovider"]["error"]
    # The imports share one thread: the hang is blamed on the provider whose import hung, and
    # those after it ("hookless", "wrongtype", the real providers) are imported all the same.
    assert [n for n, row in rows.items() if "did not finish" in (row["error"] or "")] == ["hangs"]
    assert rows["wrongtype"]["error"] is None and rows["raises"]["error"] is None


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("raises", "provider 'raises' (unci-raises 0.1) is broken: failed in build_request: KeyError"),
        (
            "wrongtype",
            "provider 'wrongtype' (unci-wrongtype 0.1) is broken: build_request returned str, not Request",
        ),
        ("exits", "provider 'exits' (unci-exits 0.1) failed to load: RuntimeError: its import called"),
    ],
)
def test_a_broken_provider_is_exit_3_naming_it_and_never_a_traceback(
    site: Path, name: str, said: str
) -> None:
    result = run_cli("jobs", "get", "1", "-P", name)
    assert result.exit_code == 3, result.output
    assert said in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    # and the others still work
    assert registry().info("fake").title == "Fake fake"


def test_hooks_go_to_the_provider_asked_for_and_no_other(site: Path) -> None:
    """A provider installed beside GitHub is never asked about GitHub's jobs."""
    registry().load_all()
    request = registry().hooks("github").build_request("1", {"owner": "o", "repo_id": "r"})
    assert request.path == "/repos/o/r/actions/jobs/1"
    assert registry().hooks("fake").build_request("1", {}).path == "/jobs/1"


def test_check_exits_3_when_a_plugin_is_broken(site: Path) -> None:
    result = run_cli("providers", "--check")
    assert result.exit_code == 3
    assert "BROKEN" in result.stdout
    # Said on stderr too, where CI looks when the listing goes to a file.
    line = one_error_line(result.stderr)
    assert line.startswith("unci: error: 6 provider(s) broken: ") and "broken (unci-broken 0.1)" in line


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
    assert "pip install unci-nosuch" not in result.stderr  # no invented package names


def test_a_near_miss_gets_a_did_you_mean_and_case_does_not_matter(site: Path) -> None:
    assert "Did you mean 'github'?" in run_cli("jobs", "get", "1", "-P", "githb").stderr
    assert registry().info("GitHub").name == "github"


def test_a_provider_hidden_by_unci_plugins_is_said_to_be_hidden(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNCI_PLUGINS", "fake")
    result = run_cli("jobs", "get", "1", "-P", "github")
    assert result.exit_code == 2
    assert "'github' is installed but hidden by UNCI_PLUGINS='fake'" in result.stderr


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
    # Not "no provider is installed": they are, and a user told so would reinstall them.
    assert result.stdout.startswith("No provider is visible: UNCI_PLUGINS='' hides the installed ones (")
    assert "fake" in result.stdout and "github" in result.stdout


def test_a_name_in_unci_plugins_that_is_no_provider_is_said(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unci import plugins

    monkeypatch.setenv("UNCI_PLUGINS", "gihub")
    plugins.reset()
    alone = run_cli("providers")
    assert alone.exit_code == 0
    assert (
        "UNCI_PLUGINS names 'gihub' (did you mean 'github'?), which no installed provider is" in alone.stdout
    )
    monkeypatch.setenv("UNCI_PLUGINS", "fake,gihub")
    plugins.reset()
    beside = run_cli("providers")
    assert beside.exit_code == 0 and beside.stdout.startswith("fake ")
    assert beside.stderr == (
        "unci: warning: UNCI_PLUGINS names 'gihub' (did you mean 'github'?), which no installed provider is\n"
    )
    monkeypatch.setenv("UNCI_PLUGINS", "fake")
    plugins.reset()
    assert run_cli("providers").stderr == ""  # limiting on purpose is no mistake


def test_inline_registration_for_tests_and_embedding() -> None:
    import types

    module = types.ModuleType("inline")
    exec(GOOD.format(name="inline"), module.__dict__)
    registry().register(module.provider, "inline")
    try:
        assert registry().info("inline").title == "Fake inline"
    finally:
        registry().unregister("inline")


@pytest.mark.slow
def test_real_subprocess_lists_and_fails_cleanly(site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(site)}
    listed = subprocess.run(
        [sys.executable, "-m", "unci", "providers", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert {r["name"] for r in json.loads(listed.stdout)} >= {"fake", "broken", "github"}
    failed = subprocess.run(
        [sys.executable, "-m", "unci", "jobs", "get", "1", "-P", "broken"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 3
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr


def test_an_extension_registered_under_a_providers_name_is_one_clear_error() -> None:
    """pluggy refused the name at the next call with its own "Plugin name already registered"."""
    from unci.plugins import PluginRegistry

    reg = PluginRegistry()
    from unci.errors import PluginError

    with pytest.raises(PluginError, match=r"^'github' is a provider's name; register the extension"):
        reg.register(object(), "github")


#: ``map_job`` bodies of plugins with a bug, and what a user is told (each reads the body
#: ``{"job": null}`` the local server answers).
MAPPING_BUGS = {
    # A typo in an attribute of the Struct the plugin decoded into: its own bug, whatever the body.
    "typo": (
        "import msgspec\n"
        "class _Body(msgspec.Struct):\n    job: dict | None = None\n"
        "def _map(payload):\n    return Job(id=str(msgspec.json.decode(payload, type=_Body).jbo))\n",
        3,
        "provider 'typo' (unci-typo 0.1) is broken: failed in map_job: AttributeError: '_Body' object "
        "has no attribute 'jbo'",
    ),
    # A field the plugin reads is null in this body: the body or the plugin, said as such.
    "nullfield": (
        "import json\ndef _map(payload):\n    return Job(id=str(json.loads(payload)['job']['id']))\n",
        9,
        "nullfield: could not read the job JSON (TypeError: 'NoneType' object is not subscriptable, "
        "at unci_nullfield line 3 (unci-nullfield 0.1)); if the response is what nullfield documents, "
        "the provider plugin has a bug: report it to its authors",
    ),
    # A record whose values are of the wrong type: unci's constructor does not check them.
    "textdate": (
        "def _map(payload):\n    return Job(id='1', started_at='2025-01-01T00:00:00Z')\n",
        3,
        "provider 'textdate' (unci-textdate 0.1) is broken: its job '1' has started_at "
        "'2025-01-01T00:00:00Z', of type str, not datetime or None",
    ),
    "dictstep": (
        "def _map(payload):\n    return Job(id='1', steps=[{'name': 'x'}])\n",
        3,
        "provider 'dictstep' (unci-dictstep 0.1) is broken: its job '1' has steps[0] {'name': 'x'}, "
        "of type dict, not Step",
    ),
    "intid": (
        "def _map(payload):\n    return Job(id=1)\n",
        3,
        "provider 'intid' (unci-intid 0.1) is broken: map_job returned a job whose id is 1, "
        "not its id as text",
    ),
}


def _install_mapping_bug(site: Path, name: str) -> None:
    source, _, _ = MAPPING_BUGS[name]
    module = GOOD.format(name=name).replace(
        'fields=("id", "name"))', 'fields=("id", "name", "started_at", "steps"))'
    )
    module = module.replace('        return Job(id="1")', "        return _map(payload)")
    install(site, f"unci-{name}", "0.1", {name: f"unci_{name}:provider"}, {f"unci_{name}": source + module})


@pytest.mark.parametrize("name", sorted(MAPPING_BUGS))
def test_a_mapping_bug_names_the_plugin_and_is_never_unci_s_internal_error(
    site: Path, server, name: str
) -> None:
    """A typo in ``map_job`` read as "could not read the job JSON" (exit 9: the user's CI
    server blamed), and a Job of text timestamps as unci's "internal error ... report it"."""
    from localserver import Reply

    _install_mapping_bug(site, name)
    server.route("/jobs/1", Reply(body=b'{"job": null}'))
    result = run_cli("jobs", "get", "1", "-P", name, "--base-url", server.url)
    _, code, said = MAPPING_BUGS[name]
    assert result.exit_code == code, result.output
    assert result.stderr.splitlines() == [
        f"unci: error: {said}"
        + (". Upgrade or reinstall it, or report it to its authors" if code == 3 else "")
    ]


def test_unci_traceback_shows_where_a_plugin_failed(
    site: Path, server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_mapping_bug(site, "typo")
    from localserver import Reply

    server.route("/jobs/1", Reply(body=b'{"job": null}'))
    monkeypatch.setenv("UNCI_TRACEBACK", "1")
    result = run_cli("jobs", "get", "1", "-P", "typo", "--base-url", server.url)
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert any("unci_typo.py" in line for line in lines) and "AttributeError" in result.stderr
    assert lines[-1].startswith("unci: error: provider 'typo' (unci-typo 0.1) is broken")


def test_a_self_hosted_only_provider_asks_for_its_api_root(site: Path, server) -> None:
    """``base_url=""``: no hosted service to default to. It read "base URL '' ... is not an
    http(s) URL; give the API root, e.g. " and named no way of giving one."""
    from localserver import Reply

    module = GOOD.format(name="selfhosted").replace(
        'base_url="http://127.0.0.1:9",', 'base_url="", self_hosted="https://HOST/api",'
    )
    install(
        site,
        "unci-selfhosted",
        "0.1",
        {"selfhosted": "unci_selfhosted:provider"},
        {"unci_selfhosted": module},
    )
    result = run_cli("jobs", "get", "1", "-P", "selfhosted")
    assert result.exit_code == 10
    assert one_error_line(result.stderr) == (
        "unci: error: selfhosted: Fake selfhosted has no hosted service; unci needs your server's API "
        "root (https://HOST/api); give it with --base-url URL, UNCI_SELFHOSTED_BASE_URL, or an "
        "account's --base-url"
    )
    assert "base URL: none (self-hosted only: give --base-url)" in run_cli("providers").stdout
    server.route("/jobs/1", Reply(body=b"{}"))
    assert run_cli("jobs", "get", "1", "-P", "selfhosted", "--base-url", server.url).exit_code == 0
