"""One real get and one real multi-page list per provider, from each provider's cassettes.

The format, listing and secret tests run over every provider with these; each provider's own
test module covers its mapping and error details.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    provider: str
    job_id: str
    params: dict[str, str]
    list_params: dict[str, str]
    list_limit: int | None
    base_url: list[str] = field(default_factory=list)
    list_base_url: list[str] = field(default_factory=list)

    def p(self, params: dict[str, str]) -> list[str]:
        return [arg for k, v in params.items() for arg in ("-p", f"{k}={v}")]

    @property
    def get_args(self) -> list[str]:
        return ["jobs", "get", self.job_id, "-P", self.provider, *self.p(self.params), *self.base_url]

    @property
    def list_args(self) -> list[str]:
        limit = ["--page-size", str(self.list_limit)] if self.list_limit else []
        return ["jobs", "list", "-P", self.provider, *self.p(self.list_params), *limit, *self.list_base_url]

    @property
    def get_cassette(self) -> str:
        return f"{self.provider}/cassettes/get_job.yaml"

    @property
    def list_cassette(self) -> str:
        return f"{self.provider}/cassettes/list_jobs.yaml"


BB = {"workspace_id": "likyh", "repo": "likyhphp", "build": "{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}"}
BUDDY = {"workspace": "buddy", "project": "company-website", "workflow": "2"}
BK = {"organization": "my-great-org", "pipeline": "my-pipeline", "build": "1"}
AZ = {"organization": "johndoe", "project": "test-project", "build": "12"}
JENKINS_FOLDERS = "Test-jenkins-dir/test-jenkins-sub-dir/test-sub-sub-dir/devlake"

CASES = [
    Case(
        "github",
        "399444496",
        {"owner": "octo-org", "repo_id": "octo-repo"},
        {"owner": "octo-org", "repo_id": "octo-repo", "build": "29679449"},
        1,
    ),
    Case(
        "circleci",
        "155",
        {"project_slug": "gh/LF-Engineering/da-ds"},
        {"project_slug": "gh/LF-Engineering/da-ds", "build": "fda08377-fe7e-46b1-8992-3a7aaecac9c3"},
        None,
    ),
    Case("travis", "351778875", {}, {"build": "351778872"}, 2),
    Case("bitbucket", "{9b079475-6fed-40bb-b591-711351c12f71}", BB, BB, 1),
    Case("buddy", "1", BUDDY, BUDDY, 1),
    Case("gitlab", "8", {"project": "1"}, {"project": "1", "build": "6"}, 2),
    Case("buildkite", "b63254c0-3271-4a98-8270-7cfbd6c2f14e", BK, BK, 30),
    Case(
        "jenkins",
        "14",
        {"job": "jobbb"},
        {"job": JENKINS_FOLDERS},
        1,
        list_base_url=["--base-url", "https://ci.example.com/jenkins"],
    ),
    Case("azure-devops", "cfa20e98-6997-523c-4233-f0a7302c929f", AZ, AZ, None),
]
BY_NAME = {case.provider: case for case in CASES}
