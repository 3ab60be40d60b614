"""GitLab CI jobs as unified unci Jobs (gitlab.com, self-managed and Dedicated instances).

Endpoints (GitLab REST v4, under ``https://<host>/api/v4``):
``GET /projects/{project}/jobs/{id}`` for one job and
``GET /projects/{project}/pipelines/{build}/jobs?include_retried=true`` for the jobs of a pipeline
(``include_retried`` so that the jobs of earlier attempts are not silently dropped, as GitLab has
done by default since 13.5).

``project`` is a numeric id or a ``namespace/name`` path; GitLab wants the path URL-encoded as ONE
path segment (``group%2Fsub%2Fproj``), which is exactly what :func:`unci.segment` does.

GitLab keeps one ``status`` word per job; it gives both unified fields (docs/mapping.md's table).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qsl

import msgspec

from unci.plugin import (
    Auth,
    Conclusion,
    Credentials,
    Identity,
    Job,
    Page,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    as_str,
    segment,
    translate,
    utc,
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


_job_decoder = msgspec.json.Decoder(_Job)
_list_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def outcome(value: str | None) -> tuple[str | None, str | None]:
    """(status, conclusion) from GitLab's one ``status`` word.

    A word in neither table passes through raw as the status; its conclusion stays null, since
    nothing says the job ended.
    """
    status = translate(value, STATUS)
    ended = value is not None and STATUS.get(value.lower()) == Status.COMPLETED
    return status, (translate(value, CONCLUSION) if ended else None)


def _to_job(payload: bytes | msgspec.Raw) -> Job:
    g = _job_decoder.decode(payload)
    status, conclusion = outcome(g.status)
    pipeline = g.pipeline or _Pipeline()
    return Job(
        id=str(g.id),
        name=g.name,
        build=as_str(pipeline.id),
        status=status,
        conclusion=conclusion,
        # The job's commit; the pipeline's sha is the same commit when a payload leaves it out.
        commit=(g.commit.id if g.commit and g.commit.id else pipeline.sha),
        branch=None if g.tag else g.ref,
        created_at=utc(g.created_at, "created_at"),
        started_at=utc(g.started_at, "started_at"),
        completed_at=utc(g.finished_at, "finished_at"),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _project(params: Mapping[str, str]) -> str:
    # One segment: "group/sub/proj" -> "group%2Fsub%2Fproj", as GitLab's API wants it.
    return segment(params["project"])


class PrivateTokenOrBearer(Auth, frozen=True):
    """``PRIVATE-TOKEN: <token>``, or ``Authorization: Bearer`` for a token given as
    ``Bearer <token>`` (OAuth 2 tokens need it)."""

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


_PROJECT = Param(
    name="project",
    description="the project's numeric id or its namespace/name path, e.g. 278964 or gitlab-org/gitlab",
)


class GitLab(Provider):
    info = INFO
    params = {"get": [_PROJECT], "list": [_PROJECT, Param(name="build", description="the pipeline id")]}
    auth = PrivateTokenOrBearer()
    identity = Identity("/user", "username", "name")

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"/projects/{_project(params)}/jobs/{segment(job_id)}")

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

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        per_page = max(1, min(limit or MAX_PER_PAGE, MAX_PER_PAGE))
        path = f"/projects/{_project(params)}/pipelines/{segment(params['build'])}/jobs"
        return self.request(path, [("include_retried", "true"), ("per_page", str(per_page))])

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        items = _list_decoder.decode(payload)
        return Page(jobs=[_to_job(raw) for raw in items], next=_next_request(headers, request))


provider = GitLab()
