"""GitLab CI jobs and pipelines as unified unci Jobs and Builds (gitlab.com, self-managed and
Dedicated instances).

Endpoints (GitLab REST v4, under ``https://<host>/api/v4``):
``GET /projects/{project}/jobs/{id}`` for one job,
``GET /projects/{project}/pipelines/{build}/jobs?include_retried=true`` for the jobs of a pipeline
(``include_retried`` so that the jobs of earlier attempts are not silently dropped, as GitLab has
done by default since 13.5), and ``GET /projects/{project}/pipelines[/{id}]`` for the pipelines
themselves (the builds). A job's log is
``GET /projects/{project}/jobs/{id}/trace``, plain text that grows while the job runs (followed
with ``Range: bytes=N-``).

``project`` is a numeric id or a ``namespace/name`` path; GitLab wants the path URL-encoded as ONE
path segment (``group%2Fsub%2Fproj``), which is exactly what :func:`unci.segment` does.

GitLab keeps one ``status`` word per job; it gives both unified fields (docs/mapping.md's table).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit

import msgspec

from unci.plugin import (
    Auth,
    Build,
    BuildPage,
    BuildQuery,
    Conclusion,
    Credentials,
    Identity,
    Job,
    Numbered,
    Page,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    Trigger,
    as_str,
    byte_range,
    link_pages,
    numbered,
    outcome,
    segment,
    translate,
    utc,
    utc_stamp,
)

NAME = "gitlab"
MAX_PER_PAGE = 100
#: A token written as ``Bearer <token>`` is sent as ``Authorization: Bearer <token>`` (OAuth 2
#: tokens need this); any other token goes in ``PRIVATE-TOKEN``, as GitLab documents first.
BEARER_PREFIX = "bearer "

STATUS = {
    "created": Status.QUEUED,
    "waiting_for_resource": Status.QUEUED,
    "preparing": Status.QUEUED,
    "pending": Status.QUEUED,
    "scheduled": Status.QUEUED,
    "manual": Status.QUEUED,
    "running": Status.IN_PROGRESS,
    "success": Status.COMPLETED,
    "failed": Status.COMPLETED,
    "canceled": Status.COMPLETED,
    "skipped": Status.COMPLETED,
}
CONCLUSION = {
    "success": Conclusion.PASSED,
    "failed": Conclusion.FAILED,
    "canceled": Conclusion.CANCELLED,
    "skipped": Conclusion.SKIPPED,
}
#: A pipeline's ``source``. ``trigger`` (a trigger token), ``pipeline``/``parent_pipeline``
#: (started by another pipeline), ``external``, ``chat``, ``webide``, ``ondemand_dast_scan``...
#: pass through raw.
TRIGGER = {
    "push": Trigger.PUSH,
    "merge_request_event": Trigger.MERGE_REQUEST,
    "external_pull_request_event": Trigger.MERGE_REQUEST,
    "schedule": Trigger.CRON,
    "api": Trigger.API,
    "web": Trigger.WEB,
}
#: Unified filter words GitLab's pipeline ``status`` / ``scope`` can carry without losing a
#: match: only where one GitLab word (or scope) covers exactly the unified one. ``queued`` is six
#: GitLab words, so it is filtered by the core alone.
STATUS_FILTER = {Status.IN_PROGRESS: ("status", "running"), Status.COMPLETED: ("scope", "finished")}
CONCLUSION_FILTER = {
    Conclusion.PASSED: "success",
    Conclusion.FAILED: "failed",
    Conclusion.CANCELLED: "canceled",
    Conclusion.SKIPPED: "skipped",
}
#: ``failure_reason`` words that name a timeout (``stuck_or_timeout_failure``,
#: ``job_execution_timeout``, and the reasons GitLab 19.0 split the first into).
_TIMEOUT = re.compile("timeout|timed_out", re.IGNORECASE)
#: A merge request pipeline's ``ref`` (``refs/merge-requests/5394/head``) names no branch.
_MR_REF = "refs/merge-requests/"
_MS = timedelta(milliseconds=1)

INFO = ProviderInfo(
    name=NAME,
    title="GitLab CI",
    base_url="https://gitlab.com/api/v4",
    base_urls={"gitlab.com": "https://gitlab.com/api/v4"},
    self_hosted="https://HOST/api/v4 (self-managed GitLab)",
    token_env=("GITLAB_TOKEN",),
    auth="PRIVATE-TOKEN: <token> (personal, project or group access token with read_api); a token "
    "given as 'Bearer <token>' (OAuth 2) is sent as Authorization: Bearer; public projects need none",
    fields=(
        "id",
        "name",
        "build",
        "status",
        "conclusion",
        "commit",
        "branch",
        "created_at",
        "started_at",
        "completed_at",
        "url",
        "failure_reason",
    ),
    build_fields=(
        "id",
        "name",
        "number",
        "repo",
        "trigger",
        "triggered_by",
        "status",
        "conclusion",
        "commit",
        "branch",
        "url",
        "created_at",
        "started_at",
        "completed_at",
        "updated_at",
    ),
    docs_url="https://docs.gitlab.com/api/jobs/",
)


class _Pipeline(msgspec.Struct):
    id: int | None = None
    sha: str | None = None


class _Commit(msgspec.Struct):
    id: str | None = None


class _Job(msgspec.Struct):
    """The fields of GitLab's job object that the mapping reads."""

    id: int
    name: str | None = None
    status: str | None = None
    ref: str | None = None
    tag: bool | None = None
    pipeline: _Pipeline | None = None
    commit: _Commit | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    web_url: str | None = None
    failure_reason: str | None = None


class _User(msgspec.Struct):
    username: str | None = None


class _Pipe(msgspec.Struct):
    """The fields of GitLab's pipeline object that the mapping reads. List items carry fewer
    (no user, no start or finish, no ``tag``) than the single GET."""

    id: int
    iid: int | None = None
    project_id: int | None = None
    name: str | None = None
    status: str | None = None
    source: str | None = None
    ref: str | None = None
    tag: bool | None = None
    sha: str | None = None
    web_url: str | None = None
    user: _User | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


_job_decoder = msgspec.json.Decoder(_Job)
_pipe_decoder = msgspec.json.Decoder(_Pipe)
_list_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def _timed_out(conclusion: str | None, reason: str | None) -> str | None:
    """A failed job whose ``failure_reason`` names a timeout timed out (docs/mapping.md)."""
    if conclusion == Conclusion.FAILED and reason and _TIMEOUT.search(reason):
        return Conclusion.TIMEOUT
    return conclusion


def _branch(ref: str | None, tag: bool | None) -> str | None:
    """The ref, unless it is a tag or a merge request's ref (neither is a branch)."""
    if tag or ref is None or ref.startswith(_MR_REF):
        return None
    return ref


def _to_job(payload: bytes | msgspec.Raw) -> Job:
    g = _job_decoder.decode(payload)
    status, conclusion = outcome(g.status, STATUS, CONCLUSION)
    # No pipeline object (a payload trimmed by a proxy or an old instance): build is null.
    pipeline = g.pipeline or _Pipeline()
    return Job(
        id=str(g.id),
        name=g.name,
        build=as_str(pipeline.id),
        status=status,
        conclusion=_timed_out(conclusion, g.failure_reason),
        # The job's commit; the pipeline's sha is the same commit when a payload leaves it out.
        commit=(g.commit.id if g.commit and g.commit.id else pipeline.sha),
        branch=_branch(g.ref, g.tag),
        created_at=utc(g.created_at, "created_at"),
        started_at=utc(g.started_at, "started_at"),
        completed_at=utc(g.finished_at, "finished_at"),
        url=g.web_url,
        failure_reason=g.failure_reason,
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _repo(web_url: str | None, project_id: int | None) -> str | None:
    """The project's path, from the pipeline's page (``https://host/group/proj/-/pipelines/1``);
    the numeric project id where the page's address has no path."""
    if web_url:
        path = urlsplit(web_url).path
        for marker in ("/-/pipelines/", "/pipelines/"):
            head, found, _ = path.partition(marker)
            if found and head.strip("/"):
                return head.strip("/")
    return as_str(project_id)


def _to_build(payload: bytes | msgspec.Raw) -> Build:
    p = _pipe_decoder.decode(payload)
    status, conclusion = outcome(p.status, STATUS, CONCLUSION)
    return Build(
        id=str(p.id),
        name=p.name,
        number=as_str(p.iid),
        repo=_repo(p.web_url, p.project_id),
        trigger=translate(p.source, TRIGGER),
        triggered_by=p.user.username if p.user else None,
        status=status,
        conclusion=conclusion,
        commit=p.sha,
        branch=_branch(p.ref, p.tag),
        url=p.web_url,
        created_at=utc(p.created_at, "created_at"),
        started_at=utc(p.started_at, "started_at"),
        completed_at=utc(p.finished_at, "finished_at"),
        updated_at=utc(p.updated_at, "updated_at"),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _project(params: Mapping[str, str]) -> str:
    # One segment: "group/sub/proj" -> "group%2Fsub%2Fproj", as GitLab's API wants it.
    return segment(params["project"])


class PrivateTokenOrBearer(Auth, frozen=True):
    """``PRIVATE-TOKEN: <token>``, or ``Authorization: Bearer`` for a token given as
    ``Bearer <token>`` (OAuth 2 tokens need it)."""

    takes: ClassVar[frozenset[str] | None] = frozenset({"token"})

    def headers(self, credentials: Credentials) -> dict[str, str]:
        token = credentials.token
        if not token:
            return {}
        if token[: len(BEARER_PREFIX)].lower() == BEARER_PREFIX:
            bearer = token[len(BEARER_PREFIX) :].strip()
            return {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return {"PRIVATE-TOKEN": token}


def _flatten(value: object, prefix: str = "") -> list[str]:
    """GitLab's validation errors: ``{"message": {"field": ["msg", ...], "embed": {...}}}``."""
    if isinstance(value, str):
        return [f"{prefix}{value}".strip()]
    if isinstance(value, list):
        return [line for item in value for line in _flatten(item, prefix)]
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in _flatten(v, f"{prefix}{k} ")]
    return []


def _next_request(headers: Mapping[str, str], request: Request) -> Request | None:
    """GitLab's offset paging: ``x-next-page`` (empty on the last page), else ``Link: rel=next``.

    The next page is asked for at the same path under the user's API root, with only the page
    changed, so a self-managed instance whose ``external_url`` differs from the URL the user
    reaches it by (a proxy, an internal name) still pages.
    """
    page = headers.get("x-next-page", "").strip()
    if not page:
        match = _NEXT.search(headers.get("link", ""))
        if not match:
            return None
        # Only the query is read, so a malformed host in the link cannot stop paging.
        page = dict(parse_qsl(match.group(1).partition("?")[2].partition("#")[0])).get("page", "")
        if not page:
            return None
    query = [(k, v) for k, v in request.query if k != "page"] + [("page", page)]
    return Request(path=request.path, query=query, headers=dict(request.headers))


def _numbered(headers: Mapping[str, str], nxt: Request | None) -> Numbered | None:
    """The pages after this one by number: ``x-next-page`` to ``x-total-pages``, else the
    ``Link`` header's next and last (GitLab.com leaves the totals out of large lists; then,
    with neither, the pages are followed one by one)."""
    total = headers.get("x-total-pages", "").strip()
    first = headers.get("x-next-page", "").strip()
    if total.isascii() and total.isdigit() and first.isascii() and first.isdigit():
        return numbered(nxt, "page", int(first), int(total))
    found = link_pages(headers)
    return numbered(nxt, "page", *found) if found else None


_PROJECT = Param(
    name="project",
    description="the project's numeric id or its namespace/name path, e.g. 278964 or gitlab-org/gitlab",
)


class GitLab(Provider):
    info = INFO
    params = {
        "get": [_PROJECT],
        "list": [_PROJECT, Param(name="build", description="the pipeline id")],
        "builds": [_PROJECT],
        "build": [_PROJECT],
    }
    auth = PrivateTokenOrBearer()
    identity = Identity("/user", "username", "name")
    #: ``project`` is one segment: ``group/sub/proj`` is sent as ``group%2Fsub%2Fproj``, as
    #: GitLab's API wants it.
    job_path = "/projects/{project}/jobs/{job_id}"
    build_conclusions = CONCLUSION

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        return _to_job(payload)

    def error_message(self, status_code: int, payload: bytes) -> str | None:
        """GitLab's ``message`` (text, or an object of field errors); a 403 for a token without
        the needed scope says ``error`` / ``error_description`` / ``scope`` instead."""
        try:
            data = msgspec.json.decode(payload)
        except msgspec.DecodeError:
            return None
        if not isinstance(data, dict):
            return None
        message = data.get("message")
        if message:
            lines = _flatten(message)
            return "; ".join(lines) if lines else None
        description = data.get("error_description")
        if isinstance(description, str) and description:
            scope = data.get("scope")
            return (
                f"{description} (needs scope: {scope})" if isinstance(scope, str) and scope else description
            )
        error = data.get("error")
        return error if isinstance(error, str) and error else None

    def build_log_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        """``/jobs/:id/trace``: the job's log as plain text, running jobs included."""
        return self.text_request(self.path(f"{self.job_path}/trace", params, job_id=job_id))

    def build_log_range_request(self, job_id: str, params: Mapping[str, str], offset: int) -> Request:
        """The trace from byte ``offset`` on; a GitLab that answers the whole trace is read past
        what was shown (``read_byte_range``)."""
        return byte_range(self.build_log_request(job_id, params), offset)

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        per_page = max(1, min(limit or MAX_PER_PAGE, MAX_PER_PAGE))
        path = f"/projects/{_project(params)}/pipelines/{segment(params['build'])}/jobs"
        return self.request(path, [("include_retried", "true"), ("per_page", str(per_page))])

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        items = _list_decoder.decode(payload)
        nxt = _next_request(headers, request)
        return Page(jobs=[_to_job(raw) for raw in items], next=nxt, numbered=_numbered(headers, nxt))

    def build_builds_request(
        self, params: Mapping[str, str], query: BuildQuery, limit: int | None
    ) -> Request:
        # GitLab lists pipelines newest first (order_by=id, sort=desc are its defaults).
        sent: list[tuple[str, str]] = []
        if query.branch:
            sent.append(("ref", query.branch))
        word = CONCLUSION_FILTER.get(query.conclusion or "")
        if word:
            sent.append(("status", word))
        elif query.status in STATUS_FILTER:
            sent.append(STATUS_FILTER[query.status])
        # A pipeline created after `since` was updated after it too, so `updated_after` (in every
        # GitLab since 11.x) keeps every match; `created_before` (GitLab 17.x) is ignored by
        # older instances, and the core filters again either way.
        # Both are strict comparisons; widened by a millisecond (GitLab's precision) so a
        # pipeline exactly at either end is not lost.
        if query.since:
            sent.append(("updated_after", utc_stamp(query.since - _MS)))
        if query.until:
            sent.append(("created_before", utc_stamp(query.until + _MS)))
        per_page = max(1, min(limit or MAX_PER_PAGE, MAX_PER_PAGE))
        sent.append(("per_page", str(per_page)))
        return self.request(f"/projects/{_project(params)}/pipelines", sent)

    def map_build_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> BuildPage:
        items = _list_decoder.decode(payload)
        nxt = _next_request(headers, request)
        return BuildPage(builds=[_to_build(raw) for raw in items], next=nxt, numbered=_numbered(headers, nxt))

    def build_build_request(self, build_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"/projects/{_project(params)}/pipelines/{segment(build_id)}")

    def map_build(self, payload: bytes, build_id: str, params: Mapping[str, str]) -> Build:
        return _to_build(payload)


provider = GitLab()
