"""The conformance kit (unci.testing) run against all nine in-repo providers, as an author would.

Each class points the kit at the provider's recorded cassettes; the kit finds the plugin through
its installed entry point, exactly as a third-party provider is found.
"""

from __future__ import annotations

from pathlib import Path

from helpers import cassette_body, with_fields
from unci.testing import Cassette, ProviderConformance, Sample

C = Path(__file__).resolve().parents[2] / "plugins"


class TestGitHub(ProviderConformance):
    provider = "github"
    distribution = "unci-github"
    params = {"owner": "octo-org", "repo_id": "octo-repo"}
    list_params = {**params, "build": "29679449"}
    job_id = "399444496"
    cassettes = [
        C / "github/cassettes/get_job.yaml",
        C / "github/cassettes/bad_credentials.yaml",
        C / "github/cassettes/server_error.yaml",
        Cassette(C / "github/cassettes/not_found.yaml", job_id="1"),
        Cassette(C / "github/cassettes/get_job_ghes.yaml", base_url="https://ghe.example.com/api/v3"),
    ]
    # Constructed: the official example omits created_at and run_attempt, which the Job schema
    # lists; the same payload with both, as GitHub sends.
    samples = [
        Sample(
            with_fields(cassette_body("github", "get_job"), run_attempt=2, created_at="2020-01-20T17:42:30Z"),
            name="get_job + created_at, run_attempt (constructed)",
        )
    ]
    list_cassettes = [Cassette(C / "github/cassettes/list_jobs.yaml", limit=1)]


class TestCircleCI(ProviderConformance):
    provider = "circleci"
    distribution = "unci-circleci"
    params = {"project_slug": "gh/LF-Engineering/da-ds"}
    list_params = {"build": "fda08377-fe7e-46b1-8992-3a7aaecac9c3"}
    job_id = "155"
    cassettes = [
        C / "circleci/cassettes/get_job.yaml",
        C / "circleci/cassettes/bad_credentials.yaml",
        Cassette(
            C / "circleci/cassettes/not_found.yaml", job_id="1", params={"project_slug": "gh/acme/missing"}
        ),
        Cassette(
            C / "circleci/cassettes/get_job_server.yaml", base_url="https://circleci.example.com/api/v2"
        ),
    ]
    # Constructed: the recorded job, canceled, with a message in the documented messages[] shape.
    samples = [
        Sample(
            with_fields(
                cassette_body("circleci", "get_job"),
                status="canceled",
                messages=[{"type": "error", "message": "Job was canceled"}],
            ),
            name="get_job canceled with a message (constructed)",
        )
    ]
    list_cassettes = [C / "circleci/cassettes/list_jobs.yaml", C / "circleci/cassettes/list_empty.yaml"]


class TestTravis(ProviderConformance):
    provider = "travis"
    distribution = "unci-travis"
    list_params = {"build": "351778872"}
    job_id = "351778875"
    cassettes = [
        C / "travis/cassettes/get_job.yaml",
        C / "travis/cassettes/bad_credentials.yaml",
        Cassette(C / "travis/cassettes/not_found.yaml", job_id="1"),
        Cassette(C / "travis/cassettes/get_job_org.yaml", base_url="https://api.travis-ci.org"),
    ]
    list_cassettes = [
        Cassette(C / "travis/cassettes/list_jobs.yaml", limit=2),
        Cassette(C / "travis/cassettes/list_empty.yaml", params={"build": "1"}),
    ]


BB_PARAMS = {"workspace_id": "likyh", "repo": "likyhphp", "build": "{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}"}


class TestBitbucket(ProviderConformance):
    provider = "bitbucket"
    distribution = "unci-bitbucket"
    params = BB_PARAMS
    job_id = "{9b079475-6fed-40bb-b591-711351c12f71}"
    cassettes = [
        C / "bitbucket/cassettes/get_job.yaml",
        C / "bitbucket/cassettes/bad_credentials.yaml",
        C / "bitbucket/cassettes/bad_request.yaml",
        Cassette(C / "bitbucket/cassettes/not_found.yaml", job_id="1"),
    ]
    # Constructed: the recorded step, renamed (names are free text).
    samples = [
        Sample(
            with_fields(cassette_body("bitbucket", "get_job"), name="Build and test"),
            name="get_job + name (constructed)",
        ),
        # Constructed: the recorded step ended in ERROR, with the pipeline_step_error (key,
        # message) Bitbucket's OpenAPI document gives that result; the message is ours.
        Sample(
            with_fields(
                cassette_body("bitbucket", "get_job"),
                state={
                    "name": "COMPLETED",
                    "type": "pipeline_step_state_completed",
                    "result": {
                        "name": "ERROR",
                        "type": "pipeline_step_state_completed_error",
                        "error": {
                            "key": "agent.build.container-oom",
                            "message": "Container 'docker' exceeded memory limit.",
                        },
                    },
                },
            ),
            name="get_job ended in ERROR (constructed)",
        ),
    ]
    list_cassettes = [Cassette(C / "bitbucket/cassettes/list_jobs.yaml", limit=1)]


class TestBuddy(ProviderConformance):
    provider = "buddy"
    distribution = "unci-buddy"
    params = {"workspace": "buddy", "project": "company-website", "workflow": "2"}
    job_id = "1"
    cassettes = [
        C / "buddy/cassettes/get_job.yaml",
        C / "buddy/cassettes/bad_credentials.yaml",
        C / "buddy/cassettes/api_disabled.yaml",
        Cassette(C / "buddy/cassettes/not_found.yaml", job_id="999"),
        Cassette(C / "buddy/cassettes/get_job_eu.yaml", base_url="https://api.eu.buddy.works"),
        C / "buddy/cassettes/get_job_steps.yaml",
    ]
    # Constructed: the execution with steps, its action failed with the error_message field
    # Buddy's action-execution schema documents.
    samples = [
        Sample(
            with_fields(
                cassette_body("buddy", "get_job_steps"),
                status="FAILED",
                action_executions=[
                    {"status": "FAILED", "action": {"name": "Build application"}, "error_message": "exit 1"}
                ],
            ),
            name="get_job_steps, failed (constructed)",
        )
    ]
    list_cassettes = [Cassette(C / "buddy/cassettes/list_jobs.yaml", limit=1)]


class TestGitLab(ProviderConformance):
    provider = "gitlab"
    distribution = "unci-gitlab"
    params = {"project": "1"}
    list_params = {"project": "1", "build": "6"}
    job_id = "8"
    cassettes = [
        C / "gitlab/cassettes/get_job.yaml",
        C / "gitlab/cassettes/unauthorized.yaml",
        C / "gitlab/cassettes/insufficient_scope.yaml",
        Cassette(C / "gitlab/cassettes/get_job_by_path.yaml", params={"project": "gitlab-org/gitlab"}),
        Cassette(C / "gitlab/cassettes/not_found.yaml", params={"project": "404"}),
        Cassette(C / "gitlab/cassettes/get_job_timeout.yaml", job_id="6"),
        Cassette(
            C / "gitlab/cassettes/get_job_self_managed.yaml", base_url="https://gitlab.example.com/api/v4"
        ),
    ]
    list_cassettes = [
        Cassette(C / "gitlab/cassettes/list_jobs.yaml", limit=2),
        Cassette(C / "gitlab/cassettes/list_jobs_empty.yaml", params={"project": "1", "build": "7"}),
    ]


class TestBuildkite(ProviderConformance):
    provider = "buildkite"
    distribution = "unci-buildkite"
    params = {"organization": "my-great-org", "pipeline": "my-pipeline", "build": "1"}
    job_id = "b63254c0-3271-4a98-8270-7cfbd6c2f14e"
    cassettes = [
        C / "buildkite/cassettes/get_job.yaml",
        C / "buildkite/cassettes/unauthorized.yaml",
        Cassette(C / "buildkite/cassettes/not_found.yaml", job_id="00000000-0000-0000-0000-000000000000"),
    ]
    # Constructed: the official job, failed with exit status 1 (no documented example fails).
    samples = [
        Sample(
            with_fields(cassette_body("buildkite", "get_job"), state="failed", exit_status=1),
            name="get_job failed with exit status 1 (constructed)",
        )
    ]
    list_cassettes = [Cassette(C / "buildkite/cassettes/list_jobs.yaml", limit=30)]


FOLDERS = "Test-jenkins-dir/test-jenkins-sub-dir/test-sub-sub-dir/devlake"


class TestJenkins(ProviderConformance):
    provider = "jenkins"
    distribution = "unci-jenkins"
    params = {"job": "jobbb"}
    job_id = "14"
    cassettes = [
        C / "jenkins/cassettes/get_job.yaml",
        C / "jenkins/cassettes/bad_credentials.yaml",
        Cassette(C / "jenkins/cassettes/not_found.yaml", job_id="999"),
        Cassette(
            C / "jenkins/cassettes/get_job_folders.yaml",
            job_id="31",
            params={"job": FOLDERS},
            base_url="https://ci.example.com/jenkins",
        ),
    ]
    list_cassettes = [
        C / "jenkins/cassettes/list_short.yaml",
        Cassette(
            C / "jenkins/cassettes/list_jobs.yaml",
            limit=1,
            params={"job": FOLDERS},
            base_url="https://ci.example.com/jenkins",
        ),
    ]


def _azure_failed_job() -> bytes:
    import json

    data = json.loads(cassette_body("azure-devops", "get_job"))
    job = next(r for r in data["records"] if r["type"] == "Job")
    job.update(result="failed", issues=[{"type": "error", "message": "Bash exited with code '1'."}])
    next(r for r in data["records"] if r["type"] == "Task")["parentId"] = job["id"]
    return json.dumps(data).encode()


class TestAzureDevOps(ProviderConformance):
    provider = "azure-devops"
    distribution = "unci-azure-devops"
    params = {"organization": "johndoe", "project": "test-project", "build": "12"}
    job_id = "cfa20e98-6997-523c-4233-f0a7302c929f"
    cassettes = [
        C / "azure-devops/cassettes/get_job.yaml",
        C / "azure-devops/cassettes/bad_credentials.yaml",
        C / "azure-devops/cassettes/bad_request.yaml",
        Cassette(
            C / "azure-devops/cassettes/not_found.yaml",
            params={"organization": "johndoe", "project": "test-project", "build": "139106"},
        ),
        Cassette(
            C / "azure-devops/cassettes/get_job_server.yaml",
            params={"organization": "DefaultCollection", "project": "test-project", "build": "12"},
            base_url="https://tfs.example.com/tfs",
        ),
    ]
    list_cassettes = [C / "azure-devops/cassettes/list_jobs.yaml"]
    # Constructed: the recorded Job record failed with an error issue, and the recorded Task
    # made a child of it, so failure_reason and steps have a sample.
    samples = [Sample(_azure_failed_job(), name="get_job, failed with an issue and a task")]
