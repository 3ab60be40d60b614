"""GitHub Actions workflow jobs as unified unci Jobs.

Endpoints: ``GET /repos/{owner}/{repo}/actions/jobs/{id}`` for one job and
``GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs?filter=all`` for the jobs of a run
(``filter=all`` so that the jobs of earlier attempts are not silently dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import msgspec

from unci.plugin import (
    Conclusion,
    Identity,
    Job,
    LinkHeader,
    Page,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    as_str,
    latest,
    segment,
    translate,
    utc,
)

NAME = "github"
API_VERSION = "2022-11-28"
MAX_PER_PAGE = 100

STATUS = {
    "queued": Status.QUEUED,
    "waiting": Status.QUEUED,
    "requested": Status.QUEUED,
    "pending": Status.QUEUED,
    "in_progress": Status.IN_PROGRESS,
    "completed": Status.COMPLETED,
}
CONCLUSION = {
    "success": Conclusion.PASSED,
    "failure": Conclusion.FAILED,
    "startup_failure": Conclusion.FAILED,
    "cancelled": Conclusion.CANCELLED,
    "timed_out": Conclusion.TIMEOUT,
    "skipped": Conclusion.SKIPPED,
    # neutral, action_required, stale: passed through raw.
}

INFO = ProviderInfo(
    name=NAME,
    title="GitHub Actions",
    base_url="https://api.github.com",
    base_urls={"github.com": "https://api.github.com"},
    self_hosted="https://HOST/api/v3 (GitHub Enterprise Server)",
    token_env=("GITHUB_TOKEN",),
    auth="Authorization: Bearer <token> (classic PAT with repo scope, or fine-grained/App token "
    "with Actions: read); public repositories need none",
    fields=("id", "name", "build", "status", "conclusion", "commit", "branch", "attempts",
            "created_at", "started_at", "completed_at", "updated_at"),
    docs_url="https://docs.github.com/en/rest/actions/workflow-jobs",
)


class _Job(msgspec.Struct):
    """The fields of GitHub's Job schema that the mapping reads."""

    id: int
    name: str | None = None
    run_id: int | None = None
    head_sha: str | None = None
    head_branch: str | None = None
    run_attempt: int | None = None
    status: str | None = None
    conclusion: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


class _JobList(msgspec.Struct):
    jobs: list[msgspec.Raw]
    total_count: int | None = None


_job_decoder = msgspec.json.Decoder(_Job)
_list_decoder = msgspec.json.Decoder(_JobList)


def _to_job(payload: bytes | msgspec.Raw) -> Job:
    g = _job_decoder.decode(payload)
    created = utc(g.created_at, "created_at")
    started, completed = utc(g.started_at, "started_at"), utc(g.completed_at, "completed_at")
    return Job(
        id=str(g.id),
        name=g.name,
        build=as_str(g.run_id),
        status=translate(g.status, STATUS),
        conclusion=translate(g.conclusion, CONCLUSION),
        commit=g.head_sha,
        branch=g.head_branch,
        attempts=g.run_attempt,
        created_at=created,
        started_at=started,
        completed_at=completed,
        updated_at=latest(completed, started, created),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _repo(params: Mapping[str, str]) -> str:
    return f"/repos/{segment(params['owner'])}/{segment(params['repo_id'])}"


_OWNER = Param(name="owner", description="the account that owns the repository, e.g. octo-org")
_REPO = Param(name="repo_id", description="the repository name, e.g. octo-repo")


class GitHub(Provider):
    info = INFO
    params = {
        "get": [_OWNER, _REPO],
        "list": [_OWNER, _REPO, Param(name="build", description="the workflow run id")],
    }
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
    identity = Identity("/user", "login", "name")
    paging = LinkHeader(max_size=MAX_PER_PAGE)

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"{_repo(params)}/actions/jobs/{segment(job_id)}")

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        return _to_job(payload)

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        path = f"{_repo(params)}/actions/runs/{segment(params['build'])}/jobs"
        return self.paging.first(self.request(path, [("filter", "all")]), limit)

    def map_job_page(self, payload: bytes, headers: Mapping[str, str],
                     params: Mapping[str, str], request: Request) -> Page:
        page = _list_decoder.decode(payload)
        return Page(jobs=[_to_job(raw) for raw in page.jobs],
                    next=self.paging.next(request, headers=headers))


provider = GitHub()
