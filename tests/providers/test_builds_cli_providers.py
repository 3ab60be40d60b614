"""`unci builds` and `unci jobs list` over builds, through the CLI, for GitLab, Buildkite,
Bitbucket and Azure DevOps: their recorded cassettes, filters sent, fields left out."""

from __future__ import annotations

import pytest
import vcr

from helpers import ROOT, out_json, run_cli

PLAYER = vcr.VCR(record_mode="none", cassette_library_dir=str(ROOT / "plugins"))
GITLAB = ["-P", "gitlab", "-p", "project=12345678"]
BUILDKITE = [
    "-P",
    "buildkite",
    "-p",
    "organization=my-great-org",
    "-p",
    "pipeline=my-pipeline",
    "--token",
    "t",
]
BITBUCKET = ["-P", "bitbucket", "-p", "workspace_id=likyh", "-p", "repo=likyhphp", "--token", "t"]
AZURE = ["-P", "azure-devops", "-p", "organization=johndoe", "-p", "project=test-project", "--token", "t"]


@pytest.fixture(autouse=True)
def _no_pipeline_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYSTEM_ACCESSTOKEN", raising=False)


def ok(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return out_json(result)


@pytest.mark.parametrize(
    ("cassette", "args", "build_id", "absent"),
    [
        (
            "gitlab/cassettes/get_build.yaml",
            GITLAB,
            "1079558335",
            ["attempts", "workflow", "triggered_by_type"],
        ),
        (
            "buildkite/cassettes/get_build.yaml",
            BUILDKITE,
            "2",
            ["attempts", "updated_at", "triggered_by_type"],
        ),
        (
            "bitbucket/cassettes/get_build.yaml",
            BITBUCKET,
            "{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}",
            ["url", "workflow", "started_at", "updated_at"],
        ),
        ("azure-devops/cassettes/get_build.yaml", AZURE, "12", ["attempts", "triggered_by_type"]),
    ],
)
def test_builds_get_prints_the_unified_build(
    cassette: str, args: list[str], build_id: str, absent: list[str]
) -> None:
    with PLAYER.use_cassette(cassette):
        build = ok(run_cli("builds", "get", build_id, *args))
    assert build["id"] == build_id and build["status"] == "completed" and build["conclusion"] == "passed"
    assert build["remote_data"] is not None
    for field in absent:  # the provider cannot supply it at all
        assert field not in build, field


@pytest.mark.parametrize(
    ("cassette", "args", "filters", "ids"),
    [
        (
            "gitlab/cassettes/list_builds_filtered.yaml",
            GITLAB,
            ["--branch", "EE-7121", "--conclusion", "failed", "--since", "2022-03-07T06:30:00Z",
             "--until", "2022-03-07T06:34:00Z"],
            ["485813816"],
        ),
        (
            "buildkite/cassettes/list_builds_filtered.yaml",
            BUILDKITE,
            ["--branch", "main", "--conclusion", "passed", "--since", "2015-05-09",
             "--until", "2015-05-10T00:00:00Z"],
            ["1"],
        ),
        (
            "bitbucket/cassettes/list_builds_filtered.yaml",
            BITBUCKET,
            ["--branch", "main", "--conclusion", "passed"],
            ["{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}"],
        ),
        (
            "azure-devops/cassettes/list_builds_filtered.yaml",
            AZURE,
            ["--branch", "main", "--conclusion", "passed", "--since", "2023-02-25",
             "--until", "2023-02-26T00:00:00Z"],
            ["15", "14", "13", "12"],
        ),
    ],
)  # fmt: skip
def test_builds_list_sends_the_filters_the_provider_applies(
    cassette: str, args: list[str], filters: list[str], ids: list[str]
) -> None:
    with PLAYER.use_cassette(cassette) as tape:
        page = ok(run_cli("builds", "list", *args, *filters))
        assert tape.play_count == 1
    assert [b["id"] for b in page["result"]] == ids and page["next_cursor"] is None


@pytest.mark.parametrize(
    ("cassette", "args", "size", "count"),
    [
        ("gitlab/cassettes/list_builds.yaml", GITLAB, "5", 10),
        ("buildkite/cassettes/list_builds.yaml", BUILDKITE, "1", 2),
        ("bitbucket/cassettes/list_builds.yaml", BITBUCKET, "5", 10),
        ("azure-devops/cassettes/list_builds.yaml", AZURE, "4", 7),
    ],
)
def test_builds_list_all_walks_every_recorded_page(
    cassette: str, args: list[str], size: str, count: int
) -> None:
    with PLAYER.use_cassette(cassette) as tape:
        result = run_cli("builds", "list", *args, "--page-size", size, "--all", "--fields", "id,status")
        assert tape.all_played
    assert result.exit_code == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(rows) == count


def test_buildkite_jobs_found_through_the_builds_that_match() -> None:
    with PLAYER.use_cassette("buildkite/cassettes/discover_jobs.yaml") as tape:
        result = run_cli(
            "jobs", "list", *BUILDKITE, "--branch", "main", "--since", "2015-05-09",
            "--until", "2015-05-10T00:00:00Z", "--conclusion", "passed", "--fields", "id,build,url",
        )  # fmt: skip
        played = tape.play_count
    found = ok(result)["result"]
    assert played >= 2 and found and {j["build"] for j in found} == {"1"}
    assert all(j["url"].startswith("https://buildkite.com/my-great-org/my-pipeline/builds/1#") for j in found)
