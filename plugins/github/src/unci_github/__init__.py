"""GitHub Actions workflow jobs and runs as unified unci Jobs and Builds.

Endpoints: ``GET /repos/{owner}/{repo}/actions/jobs/{id}`` for one job,
``GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs?filter=all`` for the jobs of a run
(``filter=all`` so that the jobs of earlier attempts are not silently dropped), and
``GET /repos/{owner}/{repo}/actions/runs[/{run_id}]`` for the runs themselves (the builds).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import msgspec

from unci.plugin import (
    Build,
    BuildPage,
    BuildQuery,
    Conclusion,
    Identity,
    Job,
    LinkHeader,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    Step,
    Trigger,
    as_str,
    latest,
    numbered,
    segment,
    settle_steps,
    translate,
    utc,
    utc_stamp,
)

NAME = "github"
API_VERSION = "2022-11-28"
MAX_PER_PAGE = 100
_SECOND = timedelta(seconds=1)

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
#: ``event`` of a run. A ``workflow_dispatch`` is a person pressing "Run workflow" (or a script
#: calling the same endpoint: GitHub does not tell them apart), so it is ``web``; a
#: ``repository_dispatch`` is only ever an API call.
TRIGGER = {
    "push": Trigger.PUSH,
    "pull_request": Trigger.MERGE_REQUEST,
    "pull_request_target": Trigger.MERGE_REQUEST,
    "schedule": Trigger.CRON,
    "workflow_dispatch": Trigger.WEB,
    "repository_dispatch": Trigger.API,
}
ACTOR = {"user": "user", "bot": "bot"}
#: Unified filter words GitHub's ``status`` parameter can carry without losing a match: only
#: where exactly one GitHub word maps to the unified one (``queued`` also covers ``waiting``,
#: ``failed`` also ``startup_failure``; those are filtered by the core alone).
STATUS_FILTER = {Status.IN_PROGRESS: "in_progress", Status.COMPLETED: "completed"}
CONCLUSION_FILTER = {
    Conclusion.PASSED: "success",
    Conclusion.CANCELLED: "cancelled",
    Conclusion.TIMEOUT: "timed_out",
    Conclusion.SKIPPED: "skipped",
    "neutral": "neutral",
    "action_required": "action_required",
    "stale": "stale",
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
    fields=(
        "id",
        "name",
        "build",
        "status",
        "conclusion",
        "commit",
        "branch",
        "attempts",
        "created_at",
        "started_at",
        "completed_at",
        "updated_at",
        "url",
        "steps",
    ),
    build_fields=(
        "id",
        "name",
        "number",
        "repo",
        "workflow",
        "trigger",
        "triggered_by",
        "triggered_by_type",
        "status",
        "conclusion",
        "commit",
        "branch",
        "attempts",
        "url",
        "created_at",
        "started_at",
        "completed_at",
        "updated_at",
    ),
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
    html_url: str | None = None
    #: GitHub's step fields carry the unified names: decoded straight into the unified type.
    steps: list[Step] | None = None


class _JobList(msgspec.Struct):
    jobs: list[msgspec.Raw]
    total_count: int | None = None


class _Actor(msgspec.Struct):
    login: str | None = None
    type: str | None = None


class _Repo(msgspec.Struct):
    full_name: str | None = None


class _Run(msgspec.Struct):
    """The fields of GitHub's Workflow Run schema that the mapping reads."""

    id: int
    name: str | None = None
    run_number: int | None = None
    path: str | None = None
    workflow_id: int | None = None
    event: str | None = None
    status: str | None = None
    conclusion: str | None = None
    head_sha: str | None = None
    head_branch: str | None = None
    run_attempt: int | None = None
    html_url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    run_started_at: datetime | None = None
    triggering_actor: _Actor | None = None
    actor: _Actor | None = None
    repository: _Repo | None = None


class _RunList(msgspec.Struct):
    workflow_runs: list[msgspec.Raw]
    total_count: int | None = None


_job_decoder = msgspec.json.Decoder(_Job)
_list_decoder = msgspec.json.Decoder(_JobList)
_run_decoder = msgspec.json.Decoder(_Run)
_runs_decoder = msgspec.json.Decoder(_RunList)


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
        url=g.html_url,
        steps=msgspec.UNSET if g.steps is None else settle_steps(g.steps, STATUS, CONCLUSION),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _to_build(payload: bytes | msgspec.Raw) -> Build:
    r = _run_decoder.decode(payload)
    # A run has no completed_at: once it is completed, its last update is its end.
    updated = utc(r.updated_at, "updated_at")
    actor = r.triggering_actor or r.actor
    return Build(
        id=str(r.id),
        name=r.name,
        number=as_str(r.run_number),
        repo=r.repository.full_name if r.repository else None,
        workflow=r.path or as_str(r.workflow_id),
        trigger=translate(r.event, TRIGGER),
        triggered_by=actor.login if actor else None,
        triggered_by_type=translate(actor.type, ACTOR) if actor else None,
        status=translate(r.status, STATUS),
        conclusion=translate(r.conclusion, CONCLUSION),
        commit=r.head_sha,
        branch=r.head_branch,
        attempts=r.run_attempt,
        url=r.html_url,
        created_at=utc(r.created_at, "created_at"),
        started_at=utc(r.run_started_at, "run_started_at"),
        completed_at=updated if r.status == "completed" else None,
        updated_at=updated,
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _created(query: BuildQuery) -> str | None:
    """GitHub's ``created`` search qualifier for the time window (whole seconds, widened so
    that nothing inside the window is left out)."""
    since = query.since.replace(microsecond=0) if query.since else None
    until = query.until.replace(microsecond=0) + _SECOND if query.until else None
    if since and until:
        return f"{utc_stamp(since, fraction=False)}..{utc_stamp(until, fraction=False)}"
    if since:
        return f">={utc_stamp(since, fraction=False)}"
    if until:
        return f"<={utc_stamp(until, fraction=False)}"
    return None


#: GitHub answers at most this many runs to a list filtered by branch, status or created;
#: past it, its pages stop as if the history ended.
FILTERED_CAP = 1000
#: The filters that put a run list under the cap.
_CAPPED = ("branch", "status", "created", "event", "actor", "head_sha", "check_suite_id")
#: unci's own marker in a continued window (GitHub ignores a parameter it does not know): the
#: runs from this id up, created in the window's last second, were handed out already.
_BEFORE_ID = "unci_before_id"


def _without(query: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in query if k != _BEFORE_ID]


def _query_value(request: Request, name: str) -> str | None:
    return next((v for k, v in request.query if k == name), None)


def _continued(request: Request, builds: list[Build], total: int | None) -> Request | None:
    """At the cap, the same list again with its ``created`` window ending at the oldest run
    handed out: GitHub's way to reach what the cap hides. The window includes that run's
    second (others may share it) and :data:`_BEFORE_ID` drops the runs of it seen already."""
    if not any(k in _CAPPED for k, _ in request.query) or not builds:
        return None
    size = int(_query_value(request, "per_page") or 30)
    page = int(_query_value(request, "page") or 1)
    oldest = builds[-1]
    if page * size < FILTERED_CAP or oldest.created_at is None:
        return None  # the cap is not reached on this page
    if (total is None and len(builds) < size) or (total is not None and total <= FILTERED_CAP):
        return None  # the list really ends here
    window = _query_value(request, "created") or ""
    since = window[2:] if window.startswith(">=") else window.partition("..")[0] if ".." in window else ""
    end = utc_stamp(oldest.created_at, fraction=False)
    kept = [(k, v) for k, v in _without(request.query) if k not in ("created", "page")]
    created = f"{since}..{end}" if since else f"<={end}"
    return Request(
        path=request.path,
        method=request.method,
        query=[*kept, ("created", created), (_BEFORE_ID, oldest.id)],
        headers=dict(request.headers),
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
        "builds": [_OWNER, _REPO],
        "build": [_OWNER, _REPO],
    }
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
    identity = Identity("/user", "login", "name")
    paging = LinkHeader(max_size=MAX_PER_PAGE)
    job_path = "/repos/{owner}/{repo_id}/actions/jobs/{job_id}"
    build_conclusions = CONCLUSION

    def build_log_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        """``…/actions/jobs/{id}/logs``: a 302 to a storage URL that expires within a minute
        (the core follows it without the token); a 404 until the job has finished."""
        return self.request(f"{_repo(params)}/actions/jobs/{segment(job_id)}/logs")

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        return _to_job(payload)

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        path = f"{_repo(params)}/actions/runs/{segment(params['build'])}/jobs"
        return self.paging.first(self.request(path, [("filter", "all")]), limit)

    def map_jobs(self, payload: bytes, params: Mapping[str, str]) -> list[Job]:
        """One page of a run's jobs; the next comes from the ``Link`` header."""
        return [_to_job(raw) for raw in _list_decoder.decode(payload).jobs]

    def build_builds_request(
        self, params: Mapping[str, str], query: BuildQuery, limit: int | None
    ) -> Request:
        # GitHub lists runs newest first; it filters on one status-or-conclusion word.
        sent: list[tuple[str, str]] = []
        if query.branch:
            sent.append(("branch", query.branch))
        word = CONCLUSION_FILTER.get(query.conclusion or "") or STATUS_FILTER.get(query.status or "")
        if word:
            sent.append(("status", word))
        created = _created(query)
        if created:
            sent.append(("created", created))
        return self.paging.first(self.request(f"{_repo(params)}/actions/runs", sent), limit)

    def map_build_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> BuildPage:
        page = _runs_decoder.decode(payload)
        every = [_to_build(raw) for raw in page.workflow_runs]
        before = _query_value(request, _BEFORE_ID)
        builds = every
        if before is not None and before.isdigit():  # a continued window: drop what was seen
            builds = [b for b in every if not (b.id.isdigit() and int(b.id) >= int(before))]
        # At the cap GitHub's next page (if it links one) is empty: a new window follows instead.
        nxt = _continued(request, every, page.total_count)
        if nxt is not None:
            return BuildPage(builds=builds, next=nxt)
        nxt = self.paging.next(request, headers=headers)
        pages = self.paging.numbered(request, headers=headers)
        if nxt is not None and before is not None:
            nxt = Request(
                path=nxt.path, method=nxt.method, query=[*_without(nxt.query), (_BEFORE_ID, before)]
            )
        if pages is not None and any(k in _CAPPED for k, _ in request.query):
            # Numbered pages stop at the cap; the window after it is asked for from the last.
            size = int(_query_value(request, "per_page") or 30)
            last = min(pages.last, -(-FILTERED_CAP // size))
            pages = numbered(nxt, pages.param, pages.first, last)
        return BuildPage(builds=builds, next=nxt, numbered=pages)

    def build_build_request(self, build_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"{_repo(params)}/actions/runs/{segment(build_id)}")

    def map_build(self, payload: bytes, build_id: str, params: Mapping[str, str]) -> Build:
        return _to_build(payload)


provider = GitHub()
