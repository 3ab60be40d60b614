"""Steps: free where the job's answer holds them (GitHub), one more request only when asked
(Jenkins' stages: ``--steps``, ``include_steps=True``), and readable in a table and in CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest

import unci
from helpers import cassette_body, run_cli
from localserver import Reply

JENKINS_JOB = "/job/pipe/16/api/json"
STAGES = "/job/pipe/16/wfapi/describe"
JENKINS = ["-P", "jenkins", "-p", "job=pipe"]


@pytest.fixture
def jenkins(server):
    server.route(JENKINS_JOB, Reply(body=cassette_body("jenkins", "get_job")))
    server.route(STAGES, Reply(body=cassette_body("jenkins", "steps")))
    return server


def _paths(server) -> list[str]:
    return [seen.path.split("?", 1)[0] for seen in server.requests]


def test_jenkins_stages_cost_a_request_only_with_steps(jenkins) -> None:
    plain = run_cli("jobs", "get", "16", *JENKINS, "--base-url", jenkins.url)
    assert plain.exit_code == 0 and "steps" not in json.loads(plain.stdout)
    assert _paths(jenkins) == [JENKINS_JOB]
    asked = run_cli("jobs", "get", "16", *JENKINS, "--base-url", jenkins.url, "--steps")
    assert asked.exit_code == 0, asked.stderr
    steps = json.loads(asked.stdout)["steps"]
    assert [(s["number"], s["name"], s["status"], s["conclusion"]) for s in steps] == [
        (1, "Build", "completed", "passed"),
        (2, "Test", "completed", "failed"),
        (3, "Deploy", "in_progress", None),
    ]
    assert _paths(jenkins) == [JENKINS_JOB, JENKINS_JOB, STAGES]


def test_a_build_without_stages_has_no_steps_not_an_error(server) -> None:
    """A freestyle build has no wfapi: its 404 leaves steps absent."""
    server.route(JENKINS_JOB, Reply(body=cassette_body("jenkins", "get_job")))
    result = run_cli("jobs", "get", "16", *JENKINS, "--base-url", server.url, "--steps")
    assert result.exit_code == 0, result.stderr
    assert "steps" not in json.loads(result.stdout)


def test_github_steps_come_with_the_job_and_ask_nothing_more(server) -> None:
    path = "/repos/o/r/actions/jobs/399444496"
    server.route(path, Reply(body=cassette_body("github", "get_job")))
    job = unci.get_job(
        "github", "399444496", params={"owner": "o", "repo_id": "r"}, base_url=server.url, include_steps=True
    )
    assert isinstance(job.steps, list) and job.steps[0].name == "Set up job"
    assert _paths(server) == [path]


def test_python_include_steps_sync_async_and_lists(jenkins) -> None:
    params = {"job": "pipe"}
    assert unci.get_job("jenkins", "16", params=params, base_url=jenkins.url).steps is unci.Job(id="x").steps
    job = unci.get_job("jenkins", "16", params=params, base_url=jenkins.url, include_steps=True)
    assert [s.name for s in job.steps] == ["Build", "Test", "Deploy"]

    async def main() -> unci.Job:
        async with unci.AsyncClient() as client:
            return await client.get_job(
                "jenkins", "16", params=params, base_url=jenkins.url, include_steps=True
            )

    assert [s.name for s in asyncio.run(main()).steps] == ["Build", "Test", "Deploy"]


def _jenkins_list(server) -> None:
    """Two builds of job ``pipe`` in one page; build 16 has stages, build 15 is freestyle."""
    body = json.loads(cassette_body("jenkins", "get_job"))
    builds = [{**body, "number": 16, "id": "16"}, {**body, "number": 15, "id": "15"}]
    server.route("/job/pipe/api/json", Reply(body=json.dumps({"allBuilds": builds}).encode()))
    server.route(STAGES, Reply(body=cassette_body("jenkins", "steps")))


def test_list_with_steps_fetches_each_jobs_stages(server) -> None:
    _jenkins_list(server)
    page = unci.list_jobs("jenkins", params={"job": "pipe"}, base_url=server.url, include_steps=True)
    by_id = {j.id: j.steps for j in page.result}
    assert [s.name for s in by_id["16"]] == ["Build", "Test", "Deploy"]
    assert by_id["15"] is unci.Job(id="x").steps  # 404: none, absent
    result = run_cli("jobs", "list", *JENKINS, "--base-url", server.url, "--steps", "-o", "table")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    row16 = next(i for i, line in enumerate(lines) if line.startswith("jenkins") and " 16 " in line)
    assert lines[row16 + 1].split() == ["1", "Build", "completed", "passed", "5s"]
    assert lines[row16 + 2].split() == ["2", "Test", "completed", "failed", "5s"]
    assert lines[row16 + 3].split() == ["3", "Deploy", "in_progress", "-", "-"]


def test_the_table_shows_steps_as_rows_under_the_job(server) -> None:
    server.route("/repos/o/r/actions/jobs/399444496", Reply(body=cassette_body("github", "get_job")))
    args = ["jobs", "get", "399444496", "-P", "github", "-p", "owner=o", "-p", "repo_id=r"]
    result = run_cli(*args, "--base-url", server.url, "-o", "table")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "STEPS" not in lines[0] and "[{" not in result.stdout and "'number'" not in result.stdout
    assert lines[1].startswith("github")
    steps = json.loads(cassette_body("github", "get_job"))["steps"]
    assert len(lines) == 2 + len(steps)
    assert lines[2].startswith("     1  Set up job")  # indented, numbers right-aligned
    assert lines[2].split()[-3:] == ["completed", "passed", "1s"]
    assert lines[3].split()[-1] == "4s"
    # Left out with the field, or by choosing fields without it.
    without = run_cli(*args, "--base-url", server.url, "-o", "table", "--exclude-field", "steps")
    assert len(without.stdout.splitlines()) == 2
    chosen = run_cli(*args, "--base-url", server.url, "-o", "table", "--fields", "id,status,steps")
    assert chosen.stdout.splitlines()[0].split() == ["ID", "STATUS"]
    assert len(chosen.stdout.splitlines()) == 2 + len(steps)


def test_a_narrow_table_shortens_step_names(server, monkeypatch: pytest.MonkeyPatch) -> None:
    server.route("/repos/o/r/actions/jobs/399444496", Reply(body=cassette_body("github", "get_job")))
    monkeypatch.setenv("COLUMNS", "60")
    args = ["jobs", "get", "399444496", "-P", "github", "-p", "owner=o", "-p", "repo_id=r"]
    result = run_cli(*args, "--base-url", server.url, "-o", "table")
    assert result.exit_code == 0
    assert all(len(line) <= 60 for line in result.stdout.splitlines()[2:]), result.stdout


def test_csv_keeps_steps_as_json_in_one_cell(server) -> None:
    server.route("/repos/o/r/actions/jobs/399444496", Reply(body=cassette_body("github", "get_job")))
    args = ["jobs", "get", "399444496", "-P", "github", "-p", "owner=o", "-p", "repo_id=r"]
    result = run_cli(*args, "--base-url", server.url, "-o", "csv")
    (row,) = list(csv.DictReader(io.StringIO(result.stdout)))
    steps = json.loads(row["steps"])
    assert steps[0] == {
        "number": 1,
        "name": "Set up job",
        "status": "completed",
        "conclusion": "passed",
        "started_at": "2020-01-20T17:42:40Z",
        "completed_at": "2020-01-20T17:42:41Z",
    }


def test_steps_with_a_raw_format_is_a_usage_error(jenkins) -> None:
    result = run_cli("jobs", "get", "16", *JENKINS, "--base-url", jenkins.url, "--steps", "--format", "raw")
    assert result.exit_code == 2 and "--steps --format raw does nothing" in result.stderr
