"""The conformance kit catches what it promises to: each deliberately broken fake provider fails
exactly the check about its fault, a correct one passes them all, and a check is only skipped
with a written reason.

The fakes are installed for real (a ``.dist-info`` with an entry point on ``sys.path``) and the
kit runs in an inner pytest session, as it does in a provider author's repository.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fakedists import install

pytest_plugins = ["pytester"]

#: Inner sessions skip the plugins they do not need: hypothesis alone costs a second a run.
INNER = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:asyncio", "-p", "no:recording")

PAYLOAD = {
    "id": 7,
    "name": "build",
    "state": "success",
    "started": "2024-01-02T03:04:05+02:00",
    "sha": "f83a356604ae3c5d03e1b46ef4d1ca77d64a90b0",
}

FAKE = """
import logging
from datetime import datetime

import msgspec

from unci.plugin import Bearer, Job, Param, Provider, ProviderInfo, segment, translate, utc

STATUS = {{"running": "in_progress", "success": "completed", "failure": "completed"}}
CONCLUSION = {{"success": "passed", "failure": "failed"}}


class _Job(msgspec.Struct):
    id: int
    name: str | None = None
    state: str | None = None
    started: datetime | None = None
    sha: str | None = None


class Fake(Provider):
    info = ProviderInfo(name="{name}", title="Fake CI", base_url="https://ci.example.com/api",
                        token_env=("FAKE_CI_TOKEN",),
                        fields=("id", "name", "status", "conclusion", "started_at"))
    params = {{"get": [Param(name="repo", description="the repository")]}}
    auth = Bearer()

    def build_request(self, job_id, params):
        return self.request(f"/repos/{{segment(params['repo'])}}/jobs/{{segment(job_id)}}")

    def map_job(self, payload, job_id, params):
        j = msgspec.json.decode(payload, type=_Job)
        return Job(id=str(j.id), name=j.name, status=translate(j.state, STATUS),
                   conclusion=translate(j.state, CONCLUSION), started_at=utc(j.started),
                   remote_data=msgspec.Raw(payload))


provider = Fake()
"""

#: Each broken fake: (the change to the correct source, the checks it must fail).
BROKEN = {
    "unencoded": (
        ("/jobs/{{segment(job_id)}}", "/jobs/{{job_id}}"),
        {"test_build_request_encodes_hostile_ids_and_params"},
    ),
    "naive": (
        ("started_at=utc(j.started)", "started_at=j.started.replace(tzinfo=None)"),
        {"test_samples_map_to_valid_jobs", "test_cassettes_replay_through_the_pipeline"},
    ),
    "leaky": (
        (
            "    auth = Bearer()\n",
            "    def authenticate(self, credentials):\n"
            "        logging.getLogger('fake').debug('auth %s', credentials.token)\n"
            "        return Bearer().headers(credentials)\n",
        ),
        {"test_no_credential_reaches_the_request_log_or_output"},
    ),
    "undeclared": (
        ('/jobs/{{segment(job_id)}}")', '/jobs/{{segment(job_id)}}", [("branch", params["branch"])])'),
        # The core refuses a parameter no provider declared, so every check that goes through
        # the pipeline with it fails too, each saying so; the kit's own check names the read.
        {
            "test_required_params_are_enforced",
            "test_build_request_encodes_hostile_ids_and_params",
            "test_cassettes_replay_through_the_pipeline",
            "test_garbage_bodies_never_become_jobs",
            "test_no_credential_reaches_the_request_log_or_output",
        },
    ),
    "unlisted": (
        ("remote_data=msgspec.Raw(payload))", "commit=j.sha, remote_data=msgspec.Raw(payload))"),
        {"test_filled_fields_are_declared"},
    ),
    "dropped": (
        ("remote_data=msgspec.Raw(payload))", ")"),
        {"test_samples_map_to_valid_jobs", "test_cassettes_replay_through_the_pipeline"},
    ),
    "invented": (
        ("status=translate(j.state, STATUS)", "status='done'"),
        {"test_samples_map_to_valid_jobs", "test_cassettes_replay_through_the_pipeline"},
    ),
    "lenient": (
        ("    id: int\n", "    id: int | None = None\n"),
        {"test_garbage_bodies_never_become_jobs"},
    ),
    "untitled": (
        ('title="Fake CI"', 'title=""'),
        {"test_describe_provider_is_complete"},
    ),
    # Self-hosted only, and saying what a root looks like: nothing to fail.
    "selfhosted": (
        ('base_url="https://ci.example.com/api",', 'base_url="", self_hosted="https://HOST/api",'),
        set(),
    ),
    # Self-hosted only, and not saying what a root looks like.
    "rootless": (
        ('base_url="https://ci.example.com/api",', 'base_url="",'),
        {"test_describe_provider_is_complete"},
    ),
    "halfpaged": (
        (
            "    def map_job(",
            "    def build_list_request(self, params, limit):\n"
            "        return self.request('/jobs')\n\n    def map_job(",
        ),
        # and the paging walk, which now tries the half it was given
        {"test_required_hooks_are_implemented", "test_list_pages_follow_to_the_end"},
    ),
    "vague": (
        ('description="the repository"', 'description=""'),
        {"test_required_params_are_declared"},
    ),
    "anonymous": (
        ("    auth = Bearer()\n", "    auth = Auth()\n"),
        {"test_authenticate_returns_headers"},
    ),
    "nameless": (
        (
            'fields=("id", "name", "status", "conclusion", "started_at")',
            'fields=("id", "name", "status", "conclusion", "started_at", "branch")',
        ),
        {"test_declared_fields_are_filled_by_a_sample"},
    ),
}

CASSETTE = """interactions:
- request:
    body: null
    headers: {{}}
    method: GET
    uri: https://ci.example.com/api/repos/octo/jobs/7{query}
  response:
    body:
      string: '{body}'
    headers:
      Content-Type:
      - application/json
    status:
      code: 200
      message: OK
version: 1
"""

TEST_FILE = """
import pytest
from unci.testing import Cassette, ProviderConformance, Sample


class Fake(ProviderConformance):
    params = {{"repo": "octo"}}
    job_id = "7"
    samples = ["payload.json"]


{classes}
"""


def fake_source(name: str, change: tuple[str, str] | None = None) -> str:
    source = FAKE.format(name=name).replace("import Bearer,", "import Auth, Bearer,")
    if change is not None:
        old, new = (part.replace("{{", "{").replace("}}", "}") for part in change)
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


@pytest.fixture
def kit(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Install the correct fake and every broken one; write payload, cassettes and test classes."""
    site = tmp_path / "site"
    site.mkdir()
    variants = {"good": None, **{name: change for name, (change, _) in BROKEN.items()}}
    classes = []
    body = json.dumps(PAYLOAD)
    pytester.path.joinpath("payload.json").write_text(body)
    for variant, change in variants.items():
        name = f"fake-{variant}"
        module = f"unci_fake_{variant}"
        install(
            site,
            f"unci-fake-{variant}",
            "0.1",
            {name: f"{module}:provider"},
            {module: fake_source(name, change)},
        )
        query = "?branch=main" if variant == "undeclared" else ""
        pytester.path.joinpath(f"{variant}.yaml").write_text(CASSETTE.format(query=query, body=body))
        params = '{"repo": "octo", "branch": "main"}' if variant == "undeclared" else '{"repo": "octo"}'
        cassette = repr(variant + ".yaml")
        if variant in ("selfhosted", "rootless"):  # no hosted root: the cassette names its own
            cassette = f"Cassette({cassette}, base_url='https://ci.example.com/api')"
        classes.append(
            f"class Test_{variant}(Fake):\n    provider = {name!r}\n"
            f"    params = {params}\n    cassettes = [{cassette}]\n"
        )
    monkeypatch.syspath_prepend(str(site))
    return pytester, classes


def outcomes(reprec: pytest.HookRecorder) -> dict[str, dict[str, str]]:
    """class name -> check name -> outcome, with the failure text kept for the messages."""
    found: dict[str, dict[str, str]] = {}
    for report in reprec.getreports("pytest_runtest_logreport"):
        if report.when != "call" and not (report.when == "setup" and not report.passed):
            continue
        cls, check = report.nodeid.split("::")[-2:]
        found.setdefault(cls, {})[check] = (
            report.outcome if report.passed or report.skipped else f"failed: {report.longreprtext}"
        )
    return found


def test_each_broken_provider_fails_exactly_its_check_saying_why(kit) -> None:
    pytester, classes = kit
    pytester.makepyfile(test_fakes=TEST_FILE.format(classes="\n\n".join(classes)))
    results = outcomes(pytester.inline_run(*INNER))
    good = results["Test_good"]
    # The fakes implement no listing, so the paging walk says so and skips; all else passes.
    assert good.pop("test_list_pages_follow_to_the_end") == "skipped"
    assert set(good.values()) == {"passed"}, good
    assert len(good) == 14  # thirteen other standard checks and the guard
    for variant, (_, expected) in BROKEN.items():
        failed = {
            check for check, outcome in results[f"Test_{variant}"].items() if outcome.startswith("failed")
        }
        assert failed == expected, (variant, results[f"Test_{variant}"])

    def message(variant: str, check: str) -> str:
        return results[f"Test_{variant}"][f"test_{check}"]

    hostile = message("unencoded", "build_request_encodes_hostile_ids_and_params")
    assert "job id = '../../user'" in hostile and "a '/' went through unencoded" in hostile
    assert "job id = '1#fragment'" in hostile and "raw '#'" in hostile
    assert "unci.segment()" in hostile
    assert "started_at 2024-01-02T03:04:05 is naive" in message("naive", "samples_map_to_valid_jobs")
    leak = message("leaky", "no_credential_reaches_the_request_log_or_output")
    assert "log records holds the token" in leak
    assert "unci-conformance-T0KEN" not in leak  # the report names the leak, never repeats it
    assert "read the parameter 'branch'" in message("undeclared", "required_params_are_enforced")
    assert "map_job fills ['commit']" in message("unlisted", "filled_fields_are_declared")
    assert "remote_data is None" in message("dropped", "samples_map_to_valid_jobs")
    assert "status 'done' is neither a unified word" in message("invented", "samples_map_to_valid_jobs")
    assert "with id 'None'" in message("lenient", "garbage_bodies_never_become_jobs")
    assert "declares ['branch'] but no sample" in message(
        "nameless", "declared_fields_are_filled_by_a_sample"
    )
    assert "title is empty" in message("untitled", "describe_provider_is_complete")
    assert "build_list_request is implemented without map_job_page" in message(
        "halfpaged", "required_hooks_are_implemented"
    )
    assert "parameter 'repo' has no description" in message("vague", "required_params_are_declared")
    assert "authenticate returned {}" in message("anonymous", "authenticate_returns_headers")


SKIPPING = """
import pytest
from unci.testing import ProviderConformance


class Fake(ProviderConformance):
    provider = "fake-good"
    params = {"repo": "octo"}
    job_id = "7"
    samples = ["payload.json"]
    cassettes = ["good.yaml"]


class TestOverriddenSilently(Fake):
    def test_build_request_encodes_hostile_ids_and_params(self):
        pass


class TestSkippedWithReasons(Fake):
    skips = {"test_cassettes_replay_through_the_pipeline": "no recordings of this provider yet"}

    @pytest.mark.skip(reason="this provider takes no credentials at all")
    def test_authenticate_returns_headers(self):
        pass


class TestSkippedWithoutReasons(Fake):
    skips = {"test_garbage_bodies_never_become_jobs": " ", "test_made_up": "because"}


class TestNoProvider(ProviderConformance):
    pass


class TestNotInstalled(Fake):
    provider = "not-installed"
"""


def test_a_check_is_skipped_only_with_a_written_reason(kit) -> None:
    pytester, _ = kit
    pytester.makepyfile(test_skipping=SKIPPING)
    results = outcomes(pytester.inline_run(*INNER))
    guard = "test_no_overrides_DO_NOT_OVERRIDE"

    silent = results["TestOverriddenSilently"]
    assert silent["test_build_request_encodes_hostile_ids_and_params"] == "passed"  # the override
    assert "is overridden without @pytest.mark.skip(reason=...)" in silent[guard]

    reasoned = results["TestSkippedWithReasons"]
    assert reasoned["test_cassettes_replay_through_the_pipeline"] == "skipped"
    assert reasoned["test_authenticate_returns_headers"] == "skipped"
    assert reasoned[guard] == "passed"
    assert {
        v
        for k, v in reasoned.items()
        if k
        not in (
            "test_cassettes_replay_through_the_pipeline",
            "test_authenticate_returns_headers",
            "test_list_pages_follow_to_the_end",
        )
    } == {"passed"}

    unreasoned = results["TestSkippedWithoutReasons"]
    assert unreasoned["test_garbage_bodies_never_become_jobs"] == "passed"  # not skipped
    assert "skips['test_garbage_bodies_never_become_jobs'] gives no reason" in unreasoned[guard]
    assert "skips names 'test_made_up', which is not a standard check" in unreasoned[guard]

    assert "set `provider = " in results["TestNoProvider"]["test_entry_point_loads"]
    missing = results["TestNotInstalled"]["test_entry_point_loads"]
    assert "no entry point named 'not-installed' in the group 'unci'" in missing
    assert "[project.entry-points.unci]" in missing


def test_kit_checks_carry_a_marker_for_selection(kit) -> None:
    pytester, classes = kit
    pytester.makepyfile(
        test_fakes=TEST_FILE.format(classes=classes[0]), test_other="def test_unrelated():\n    pass\n"
    )
    result = pytester.runpytest_inprocess(*INNER, "-m", "unci_conformance", "-q")
    result.assert_outcomes(passed=14, skipped=1, deselected=1)  # the fake does not list


def test_registry_fixture_is_fresh_and_isolated(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixture="""
import unci
from unci.plugins import registry

def test_inline_plugin(unci_registry):
    class Inline(unci.Provider):
        info = unci.ProviderInfo(name="inline", title="Inline", base_url="https://x.example")

        def build_request(self, job_id, params):
            return self.request("/")

        def map_job(self, payload, job_id, params):
            return unci.Job(id=job_id)

    unci_registry.register(Inline(), name="inline")
    assert unci_registry.info("inline").title == "Inline"
    assert "inline" not in registry().names()
"""
    )
    pytester.runpytest_inprocess(*INNER).assert_outcomes(passed=1)


def test_pytest_plugin_is_registered_and_imports_nothing_heavy() -> None:
    """pytest imports ``pytest11`` modules in every session; ours must stay cheap."""
    code = (
        "import sys, importlib.metadata as m\n"
        "eps = [e for e in m.entry_points(group='pytest11') if e.name == 'unci']\n"
        "assert [e.value for e in eps] == ['unci.testing.plugin'], eps\n"
        "before = set(sys.modules)\n"
        "import unci.testing.plugin\n"
        "heavy = {'httpx', 'msgspec', 'yaml', 'unci.plugins', 'unci.call',\n"
        "         'unci.client', 'unci.testing.conformance'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_list_walk_catches_a_missing_page_and_a_loop(tmp_path: Path) -> None:
    """The paging check fails, saying why, for a listing that would ask for a page nobody
    recorded, and for one whose next page is itself; the whole recording passes."""
    import yaml

    from unci.testing import Cassette, ProviderConformance

    root = Path(__file__).resolve().parents[2]
    whole = yaml.safe_load((root / "plugins" / "github" / "cassettes" / "list_jobs.yaml").read_text())
    first = whole["interactions"][0]
    cut = tmp_path / "cut.yaml"
    cut.write_text(yaml.safe_dump({"interactions": [first], "version": 1}))
    looping = dict(
        first,
        response=dict(
            first["response"],
            headers={**first["response"]["headers"], "link": [f'<{first["request"]["uri"]}>; rel="next"']},
        ),
    )
    loop = tmp_path / "loop.yaml"
    loop.write_text(yaml.safe_dump({"interactions": [looping], "version": 1}))

    class Check(ProviderConformance):
        provider = "github"
        params = {"owner": "octo-org", "repo_id": "octo-repo"}
        list_params = {"owner": "octo-org", "repo_id": "octo-repo", "build": "29679449"}
        job_id = "399444496"

    def walk(path: Path) -> str:
        Check.list_cassettes = [Cassette(path, limit=1)]
        with pytest.raises(pytest.fail.Exception) as info:
            Check().test_list_pages_follow_to_the_end()
        return str(info.value)

    assert "after 1 page(s) unci asks for GET https://api.github.com/repositories/1/" in walk(cut)
    assert "which the cassette does not hold" in walk(cut)
    assert "page 2 is page 1 again: the listing would never end" in walk(loop)
    Check.list_cassettes = [Cassette(root / "plugins" / "github" / "cassettes" / "list_jobs.yaml", limit=1)]
    Check().test_list_pages_follow_to_the_end()  # the whole recording walks to its end
