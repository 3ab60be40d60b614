"""GitHub Actions workflow jobs as unified unci Jobs.

Endpoints: ``GET /repos/{owner}/{repo}/actions/jobs/{id}`` for one job and
``GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs?filter=all`` for the jobs of a run
(``filter=all`` so that the jobs of earlier attempts are not silently dropped).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit

import msgspec

from unci import (
    Conclusion,
    Credentials,
    DecodeError,
    Job,
    Page,
    Param,
    ProviderInfo,
    Request,
    Status,
    as_str,
    hookimpl,
    latest,
    message_at,
    segment,
    translate,
    user_at,
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
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


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


@hookimpl
def describe_provider(provider: str) -> ProviderInfo | None:
    return INFO if provider == NAME else None


@hookimpl
def required_params(provider: str, operation: str) -> list[Param] | None:
    if provider != NAME:
        return None
    params = [
        Param(name="owner", description="the account that owns the repository, e.g. octo-org"),
        Param(name="repo_id", description="the repository name, e.g. octo-repo"),
    ]
    if operation == "list":
        params.append(Param(name="build", description="the workflow run id"))
    return params


@hookimpl
def authenticate(provider: str, credentials: Credentials) -> dict[str, str] | None:
    if provider != NAME:
        return None
    return {"Authorization": f"Bearer {credentials.token}"} if credentials.token else {}


def _headers() -> dict[str, str]:
    return {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}


@hookimpl
def build_request(provider: str, job_id: str, params: Mapping[str, str]) -> Request | None:
    if provider != NAME:
        return None
    path = f"/repos/{segment(params['owner'])}/{segment(params['repo_id'])}/actions/jobs/{segment(job_id)}"
    return Request(path=path, headers=_headers())


@hookimpl
def map_job(provider: str, payload: bytes) -> Job | None:
    if provider != NAME:
        return None
    return _to_job(payload)


@hookimpl
def error_message(provider: str, payload: bytes) -> str | None:
    if provider != NAME:
        return None
    return message_at(payload, "message")


@hookimpl
def build_list_request(provider: str, params: Mapping[str, str], limit: int | None) -> Request | None:
    if provider != NAME:
        return None
    per_page = min(limit or MAX_PER_PAGE, MAX_PER_PAGE)
    path = (f"/repos/{segment(params['owner'])}/{segment(params['repo_id'])}"
            f"/actions/runs/{segment(params['build'])}/jobs")
    return Request(path=path, query=[("filter", "all"), ("per_page", str(per_page))],
                   headers=_headers())


@hookimpl
def map_job_page(provider: str, payload: bytes, headers: Mapping[str, str]) -> Page | None:
    if provider != NAME:
        return None
    page = _list_decoder.decode(payload)
    match = _NEXT.search(headers.get("link", ""))
    nxt = Request(path=_next_url(match.group(1)), headers=_headers()) if match else None
    return Page(jobs=[_to_job(raw) for raw in page.jobs], next=nxt)


def _next_url(url: str) -> str:
    """The Link header's next page, refused when it is not a URL (``http://[``)."""
    try:
        urlsplit(url)
    except ValueError:
        raise DecodeError(f"{NAME}: the Link header's next page {url!r} is not a URL",
                          provider=NAME) from None
    return url


@hookimpl
def identity_request(provider: str) -> Request | None:
    return Request(path="/user", headers=_headers()) if provider == NAME else None


@hookimpl
def read_identity(provider: str, payload: bytes) -> str | None:
    if provider != NAME:
        return None
    return user_at(payload, "login", "name", required=True)
