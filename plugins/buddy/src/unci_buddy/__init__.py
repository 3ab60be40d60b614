"""Buddy (buddy.works) pipeline executions as unified unci Jobs.

Truto's Buddy job is addressed by ``workspace``, ``project``, ``workflow`` (the pipeline id) and
the job id, which is therefore a pipeline *execution* id: ``GET /workspaces/{workspace}/projects/
{project}/pipelines/{workflow}/executions/{id}``. Listing reads a pipeline's executions,
``GET .../pipelines/{workflow}/executions`` paged with ``page``/``per_page``.

Buddy's reference pages ask for ``X-Buddy-Media-Type: buddy.v1.1.0`` so that the API answers with
the models they document; every request sends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import msgspec

from unci import (
    Conclusion,
    Credentials,
    Job,
    Page,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    latest,
    segment,
    user_at,
    utc,
)

NAME = "buddy"
MEDIA_TYPE = "buddy.v1.1.0"
#: Buddy documents a default ``per_page`` of 20 and no maximum; unci asks for at most this many.
MAX_PER_PAGE = 100

#: Status words that mean the execution has not started yet or is running (keys lower-case).
#: Any other ``WAITING_FOR_*`` word Buddy adds later is queued too (see :func:`_status`).
STATUS = {
    "initial": Status.QUEUED,
    "enqueued": Status.QUEUED,
    "waiting_for_apply": Status.QUEUED,
    "waiting_for_variables": Status.QUEUED,
    "waiting_for_settable_variables": Status.QUEUED,
    "waiting_for_vt_session": Status.QUEUED,
    "inprogress": Status.IN_PROGRESS,
    "terminating": Status.IN_PROGRESS,
}
#: Status words that end the execution, and the conclusion each one gives.
CONCLUSION = {
    "successful": Conclusion.PASSED,
    "failed": Conclusion.FAILED,
    "terminated": Conclusion.CANCELLED,
    "skipped": Conclusion.SKIPPED,
    "not_executed": Conclusion.SKIPPED,
}

INFO = ProviderInfo(
    name=NAME,
    title="Buddy",
    base_url="https://api.buddy.works",
    base_urls={"us": "https://api.buddy.works", "eu": "https://api.eu.buddy.works"},
    self_hosted="https://HOST/api (self-hosted Buddy)",
    token_env=("BUDDY_CLI_TOKEN",),
    auth="Authorization: Bearer <token> (personal access token or OAuth, scopes WORKSPACE and "
    "EXECUTION_INFO); self-hosted Buddy: --base-url https://HOST/api",
    fields=(
        "id",
        "name",
        "status",
        "conclusion",
        "commit",
        "branch",
        "started_at",
        "completed_at",
        "updated_at",
    ),
    docs_url="https://buddy.works/docs/api/pipelines/executions/get",
)


class _Branch(msgspec.Struct):
    name: str | None = None


class _Revision(msgspec.Struct):
    revision: str | None = None


class _Execution(msgspec.Struct):
    """The fields of a pipeline execution (full or list summary) that the mapping reads."""

    id: int
    status: str | None = None
    comment: str | None = None
    start_date: datetime | None = None
    finish_date: datetime | None = None
    branch: _Branch | None = None
    to_revision: _Revision | None = None


class _ExecutionPage(msgspec.Struct):
    executions: list[msgspec.Raw]
    page: int | None = None
    page_size: int | None = None
    total_page_count: int | None = None


class _Message(msgspec.Struct):
    message: str | None = None


class _ErrorBody(msgspec.Struct):
    errors: list[_Message] | None = None
    #: The PHP SDK also accepts ``{"error": "..."}``.
    error: str | None = None


_execution_decoder = msgspec.json.Decoder(_Execution)
_page_decoder = msgspec.json.Decoder(_ExecutionPage)
_error_decoder = msgspec.json.Decoder(_ErrorBody)


def _status(value: str | None) -> tuple[str | None, str | None]:
    """(status, conclusion) from Buddy's one ``status`` word; unknown words pass through raw."""
    if value is None:
        return None, None
    key = value.lower()
    if key in CONCLUSION:
        return Status.COMPLETED, CONCLUSION[key]
    if key in STATUS:
        return STATUS[key], None
    if key.startswith("waiting_for_"):
        return Status.QUEUED, None
    return value, None


def _to_job(payload: bytes | msgspec.Raw) -> Job:
    e = _execution_decoder.decode(payload)
    status, conclusion = _status(e.status)
    started, completed = utc(e.start_date, "start_date"), utc(e.finish_date, "finish_date")
    return Job(
        id=str(e.id),
        # An execution has no name of its own; its comment is the title Buddy shows for a run.
        name=e.comment or None,
        status=status,
        conclusion=conclusion,
        commit=e.to_revision.revision if e.to_revision else None,
        branch=e.branch.name if e.branch else None,
        started_at=started,
        completed_at=completed,
        updated_at=latest(completed, started),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _executions_path(params: Mapping[str, str]) -> str:
    return (
        f"/workspaces/{segment(params['workspace'])}/projects/{segment(params['project'])}"
        f"/pipelines/{segment(params['workflow'])}/executions"
    )


def _headers() -> dict[str, str]:
    return {"X-Buddy-Media-Type": MEDIA_TYPE}


def _page_number(request: Request) -> int:
    for key, value in request.query:
        if key == "page" and value.isascii() and value.isdigit():
            return int(value)
    return 1


class Buddy(Provider):
    info = INFO

    def required_params(self, operation: str) -> list[Param]:
        """Truto's names; the same three for one execution and for a pipeline's executions."""
        return [
            Param(name="workspace", description="the workspace URL handle (domain), e.g. buddy"),
            Param(name="project", description="the project name ID, e.g. company-website"),
            Param(name="workflow", description="the pipeline id, e.g. 2"),
        ]

    def authenticate(self, credentials: Credentials) -> dict[str, str]:
        return {"Authorization": f"Bearer {credentials.token}"} if credentials.token else {}

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return Request(path=f"{_executions_path(params)}/{segment(job_id)}", headers=_headers())

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        return _to_job(payload)

    def error_message(self, status_code: int, payload: bytes) -> str | None:
        """Every ``errors[].message``, joined; or the ``error`` string some answers carry."""
        try:
            body = _error_decoder.decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        messages = [m.message.strip() for m in body.errors or () if m.message and m.message.strip()]
        if messages:
            return "; ".join(messages)
        return body.error or None

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        per_page = max(1, min(limit or MAX_PER_PAGE, MAX_PER_PAGE))
        return Request(
            path=_executions_path(params),
            query=[("page", "1"), ("per_page", str(per_page))],
            headers=_headers(),
        )

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        """The next page is asked for while ``page < total_page_count``; when Buddy leaves the count
        out, while the page came back full."""
        body = _page_decoder.decode(payload)
        jobs = [_to_job(raw) for raw in body.executions]
        current = body.page or _page_number(request)
        if body.total_page_count is not None:
            more = current < body.total_page_count
        else:
            size = body.page_size or next(
                (int(v) for k, v in request.query if k == "per_page" and v.isascii() and v.isdigit()), 0
            )
            more = bool(jobs) and size > 0 and len(jobs) >= size
        if not more:
            return Page(jobs=jobs)
        query = [(k, str(current + 1) if k == "page" else v) for k, v in request.query]
        if "page" not in dict(query):
            query.insert(0, ("page", str(current + 1)))
        return Page(jobs=jobs, next=Request(path=request.path, query=query, headers=_headers()))

    def identity_request(self, params: Mapping[str, str]) -> Request:
        """Buddy's ``GET /user``: the token's user."""
        return Request(path="/user", headers=_headers())

    def read_identity(self, payload: bytes) -> str:
        return user_at(payload, "email", "name")


provider = Buddy()
