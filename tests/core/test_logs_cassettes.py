"""`unci jobs logs` on every provider, replayed from cassettes of each provider's log endpoints.

The cassettes (``plugins/<p>/cassettes/log.yaml``, written by ``scripts/cassettes/logs.py``)
hold the provider's own hosts, redirects to storage hosts included; the bodies are constructed
in each provider's documented form, Buddy's action log is its reference page's example.
"""

from __future__ import annotations

import pytest

from helpers import run_cli


@pytest.mark.vcr("github/cassettes/log.yaml")
def test_github_log_through_the_storage_redirect() -> None:
    result = run_cli(
        "jobs", "logs", "399444496", "-P", "github", "-p", "owner=octo-org", "-p", "repo_id=octo-repo"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "2026-12-01T00:00:01.0000000Z ##[group]Run actions/checkout@v4\n"
        "2026-12-01T00:00:02.0000000Z git version\n"
        "2026-12-01T00:00:03.0000000Z ##[endgroup]\n"
    )


@pytest.mark.vcr("gitlab/cassettes/log.yaml")
def test_gitlab_trace_with_colour_and_without() -> None:
    args = ["jobs", "logs", "8", "-P", "gitlab", "-p", "project=group/app"]
    kept = run_cli(*args, "--color")
    assert kept.exit_code == 0, kept.stderr
    assert "\x1b[32;1m$ make test\x1b[0;m" in kept.stdout
    plain = run_cli(*args)
    assert "$ make test\nok\n" in plain.stdout and "\x1b" not in plain.stdout
    assert run_cli(*args, "--tail", "1").stdout.endswith("Job succeeded\n")


@pytest.mark.vcr("buildkite/cassettes/log.yaml")
def test_buildkite_raw_log() -> None:
    result = run_cli(
        "jobs", "logs", "b63254c0-3271-4a98-8270-7cfbd6c2f14e", "-P", "buildkite",
        "-p", "organization=my-great-org", "-p", "pipeline=my-pipeline", "-p", "build=1",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("~~~ Preparing working directory\n")


@pytest.mark.vcr("travis/cassettes/log.yaml")
def test_travis_log() -> None:
    result = run_cli("jobs", "logs", "4711", "-P", "travis", "--tail", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Done. Your build exited with 0.\n"


@pytest.mark.vcr("bitbucket/cassettes/log.yaml")
def test_bitbucket_step_log_through_the_presigned_redirect() -> None:
    result = run_cli(
        "jobs", "logs", "{s-1}", "-P", "bitbucket",
        "-p", "workspace_id=acme", "-p", "repo=app", "-p", "build={p-1}",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "+ umask 000\n+ npm test\n\n  12 passing (40ms)\n"


@pytest.mark.vcr("azure-devops/cassettes/log.yaml")
def test_azure_devops_task_logs_and_failed_only() -> None:
    args = ["jobs", "logs", "096e11e7-c8bb-5a90-1a73-4e639c9ea0f9", "-P", "azure-devops"]
    args += ["-p", "organization=fabrikam", "-p", "project=web", "-p", "build=12"]
    whole = run_cli(*args)
    assert whole.exit_code == 0, whole.stderr
    assert whole.stdout.startswith("==> Invoke REST API <==\n")
    assert "==> Run tests (failed) <==\n" in whole.stdout
    failed = run_cli(*args, "--failed")
    assert failed.stdout == (
        "==> Run tests (failed) <==\n2022-12-02T09:37:38.0Z ##[section]Starting: Run tests\n"
        "2022-12-02T09:38:01.2Z ##[error]Bash exited with code '1'.\n"
    )


@pytest.mark.vcr("circleci/cassettes/log.yaml")
def test_circleci_v1_1_step_output() -> None:
    args = ["jobs", "logs", "42", "-P", "circleci", "-p", "project_slug=gh/acme/app"]
    result = run_cli(*args, "--failed")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == (
        b"==> make test (failed) <==\nFAIL: test_login\r\nExited with code exit status 1\r\n"
    )


@pytest.mark.vcr("buddy/cassettes/log.yaml")
def test_buddy_action_log_from_the_reference_example() -> None:
    result = run_cli(
        "jobs", "logs", "1", "-P", "buddy",
        "-p", "workspace=buddy", "-p", "project=company-website", "-p", "workflow=2",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "==> Build application <==\nPulling image library/ubuntu:latest\n"
        "Executing command: echo 'Hello world!'\n'Hello world!'\nBuild finished successfully!\n"
    )


@pytest.mark.vcr("buddy/cassettes/log_pages.yaml")
def test_buddy_action_log_read_page_by_page() -> None:
    """Buddy's logs endpoint gives at most 1,000 lines a page: the second page is asked for
    from where the first ended, and the log comes out whole, in order."""
    result = run_cli(
        "jobs", "logs", "1", "-P", "buddy",
        "-p", "workspace=buddy", "-p", "project=company-website", "-p", "workflow=2",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    expected = "".join(f"step {n}: ok\n" for n in range(1, 1004))
    assert result.stdout == "==> Build application (failed) <==\n" + expected


@pytest.mark.vcr("jenkins/cassettes/log.yaml")
def test_jenkins_console_text() -> None:
    result = run_cli(
        "jobs", "logs", "14", "-P", "jenkins", "-p", "job=jobbb", "--base-url", "http://localhost:8080"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("Finished: SUCCESS\n")
