"""Buddy (buddy.works) pipeline executions as unified unci Jobs and Builds.

Truto's Buddy job is addressed by ``workspace``, ``project``, ``workflow`` (the pipeline id) and
the job id, which is therefore a pipeline *execution* id: ``GET /workspaces/{workspace}/projects/
{project}/pipelines/{workflow}/executions/{id}``. Listing reads a pipeline's executions,
``GET .../pipelines/{workflow}/executions`` paged with ``page``/``per_page``. An execution is
also the build (the run of the pipeline): the same two endpoints list and get builds. Its action
executions, in the full execution, are its steps.

Buddy's reference pages ask for ``X-Buddy-Media-Type: buddy.v1.1.0`` so that the API answers with
the models they document; every request sends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import msgspec

from unci.plugin import (
    Build,
    BuildPage,
    BuildQuery,
    Conclusion,
    Identity,
    Job,
    LogPart,
    Page,
    PageNumber,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    Step,
    Trigger,
    latest,
    segment,
    translate,
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
#: ``triggeredOn`` (or ``mode``) of an execution -> unified trigger; any other word raw.
TRIGGER = {
    "click": Trigger.WEB,
    "push": Trigger.PUSH,
    "schedule": Trigger.CRON,
    "api": Trigger.API,
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
        "url",
        "failure_reason",
        "steps",
    ),
    build_fields=(
        "id",
        "name",
        "repo",
        "workflow",
        "trigger",
        "triggered_by",
        "status",
        "conclusion",
        "commit",
        "branch",
        "url",
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


class _Action(msgspec.Struct):
    name: str | None = None


class _ActionExecution(msgspec.Struct):
    """One action's run inside an execution: a step."""

    status: str | None = None
    action: _Action | None = None
    start_date: datetime | None = None
    finish_date: datetime | None = None
    error_message: str | None = None


class _Creator(msgspec.Struct):
    name: str | None = None


class _Execution(msgspec.Struct):
    """The fields of a pipeline execution (full or list summary) that the mapping reads."""

    id: int
    status: str | None = None
    comment: str | None = None
    html_url: str | None = None
    start_date: datetime | None = None
    finish_date: datetime | None = None
    branch: _Branch | None = None
    to_revision: _Revision | None = None
    #: Only in the full execution (``GET .../executions/{id}``), not in list summaries.
    action_executions: list[_ActionExecution] | None = None


class _BuildExecution(msgspec.Struct):
    """The fields only the build reads (a job never decodes them, so they cannot break one)."""

    id: int
    status: str | None = None
    comment: str | None = None
    html_url: str | None = None
    start_date: datetime | None = None
    finish_date: datetime | None = None
    branch: _Branch | None = None
    to_revision: _Revision | None = None
    triggered_on: str | None = msgspec.field(default=None, name="triggeredOn")
    mode: str | None = None
    creator: _Creator | None = None


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
_build_decoder = msgspec.json.Decoder(_BuildExecution)
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


def _steps(e: _Execution) -> list[Step] | msgspec.UnsetType:
    """The action executions as steps, numbered in the order Buddy lists them; absent (not
    empty) where the payload has none, as list summaries do."""
    if e.action_executions is None:
        return msgspec.UNSET
    steps = []
    for number, a in enumerate(e.action_executions, start=1):
        status, conclusion = _status(a.status)
        steps.append(
            Step(
                number=number,
                name=a.action.name if a.action else None,
                status=status,
                conclusion=conclusion,
                started_at=utc(a.start_date, "action_executions.start_date"),
                completed_at=utc(a.finish_date, "action_executions.finish_date"),
            )
        )
    return steps


def _failure_reason(e: _Execution) -> str | None:
    """Buddy's own ``error_message`` of the first failed action execution, where it gives one."""
    for a in e.action_executions or ():
        if a.error_message and (a.status or "").lower() == "failed":
            return a.error_message
    return None


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
        url=e.html_url,
        failure_reason=_failure_reason(e),
        steps=_steps(e),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _to_build(payload: bytes | msgspec.Raw, params: Mapping[str, str]) -> Build:
    """The execution as the build: the run of the pipeline the ``workflow`` param names."""
    e = _build_decoder.decode(payload)
    status, conclusion = _status(e.status)
    started, completed = utc(e.start_date, "start_date"), utc(e.finish_date, "finish_date")
    workspace, project = params.get("workspace"), params.get("project")
    return Build(
        id=str(e.id),
        name=e.comment or None,
        repo=f"{workspace}/{project}" if workspace and project else None,
        workflow=params.get("workflow"),
        trigger=translate(e.triggered_on or e.mode, TRIGGER),
        triggered_by=e.creator.name if e.creator else None,
        status=status,
        conclusion=conclusion,
        commit=e.to_revision.revision if e.to_revision else None,
        branch=e.branch.name if e.branch else None,
        url=e.html_url,
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


_PARAMS = [
    Param(name="workspace", description="the workspace URL handle (domain), e.g. buddy"),
    Param(name="project", description="the project name ID, e.g. company-website"),
    Param(name="workflow", description="the pipeline id, e.g. 2"),
]


class Buddy(Provider):
    info = INFO
    #: Truto's names; the same three for one execution and for a pipeline's executions, as a
    #: job or as a build.
    params = {"get": _PARAMS, "list": _PARAMS, "builds": _PARAMS, "build": _PARAMS}
    headers = {"X-Buddy-Media-Type": MEDIA_TYPE}
    identity = Identity("/user", "email", "name")
    #: The next page is asked for while ``page < total_page_count``; when Buddy leaves the count
    #: out, while the page came back full.
    paging = PageNumber(max_size=MAX_PER_PAGE)

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"{_executions_path(params)}/{segment(job_id)}")

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
        return self.paging.first(self.request(_executions_path(params), [("page", "1")]), limit)

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        body = _page_decoder.decode(payload)
        jobs = [_to_job(raw) for raw in body.executions]
        marker, count = body.total_page_count, len(jobs)
        return Page(
            jobs=jobs,
            next=self.paging.next(request, headers=headers, marker=marker, count=count),
            numbered=self.paging.numbered(request, headers=headers, marker=marker, count=count),
        )

    def build_builds_request(
        self, params: Mapping[str, str], query: BuildQuery, limit: int | None
    ) -> Request:
        # Buddy lists executions newest first and filters on nothing: the core applies every
        # filter, and stops at the first page wholly before ``since``.
        return self.build_list_request(params, limit)

    def map_build_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> BuildPage:
        body = _page_decoder.decode(payload)
        builds = [_to_build(raw, params) for raw in body.executions]
        marker, count = body.total_page_count, len(builds)
        return BuildPage(
            builds=builds,
            next=self.paging.next(request, headers=headers, marker=marker, count=count),
            numbered=self.paging.numbered(request, headers=headers, marker=marker, count=count),
        )

    def build_build_request(self, build_id: str, params: Mapping[str, str]) -> Request:
        return self.build_request(build_id, params)

    def map_build(self, payload: bytes, build_id: str, params: Mapping[str, str]) -> Build:
        return _to_build(payload, params)

    # --- logs: one per action execution -----------------------------------------------

    def build_log_parts_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self.build_request(job_id, params)

    def map_log_parts(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> list[LogPart]:
        """The execution's actions in order, each with its log. An action execution that
        carries its ``action_execution_id`` is read from ``…/action_executions/{id}/logs``
        ("Get action execution logs"), page by page (``offset``, ``limit``, at most 1,000
        lines); one without is read from ``…/executions/{id}/action/{action id}`` ("Get details
        and logs", the older reference), whose ``log`` array holds the whole log. Actions that
        never ran (skipped, not executed) have no log."""
        execution = f"{_executions_path(params)}/{segment(job_id)}"
        parts = []
        for run in _log_execution_decoder.decode(payload).action_executions:
            status = (run.status or "").upper()
            if status in _NO_LOG:
                continue
            if run.action_execution_id:
                path = f"{execution}/action_executions/{segment(str(run.action_execution_id))}/logs"
                request = self.request(path, [("offset", "0"), ("limit", str(LOG_PAGE))])
            elif run.action is not None and run.action.id is not None:
                request = self.request(f"{execution}/action/{segment(str(run.action.id))}")
            else:
                continue
            parts.append(
                LogPart(
                    request=request,
                    name=run.action.name if run.action else None,
                    failed=status == "FAILED",
                    complete=status not in _UNDERWAY and not status.startswith("WAITING"),
                    body="json",
                )
            )
        return parts

    def read_log_part(self, payload: bytes, part: LogPart) -> bytes:
        page = _log_lines_decoder.decode(payload)
        if not _as_asked(page, part):
            return b""  # lines already shown, from a server that ignored ``offset``
        return "".join(f"{line}\n" for line in (page.logs or page.log or ())).encode()

    def next_log_part(self, payload: bytes, part: LogPart) -> LogPart | None:
        """The page after this one, while ``offset`` + ``element_count`` is short of
        ``total_element_count``. An answer that is not the page asked for (a server that
        ignores ``offset``) ends the log, rather than asking for the same page forever."""
        page = _log_lines_decoder.decode(payload)
        if page.offset is None or not page.element_count or not _as_asked(page, part):
            return None
        after = page.offset + page.element_count
        if page.total_element_count is None or after >= page.total_element_count:
            return None
        query = [(k, str(after) if k == "offset" else v) for k, v in part.request.query]
        return msgspec.structs.replace(part, request=msgspec.structs.replace(part.request, query=query))


def _as_asked(page: _LogLines, part: LogPart) -> bool:
    """The answer starts where its request asked (a page of "Get action execution logs"), or
    it is not paged at all ("Get details and logs")."""
    asked = dict(part.request.query).get("offset")
    return asked is None or page.offset is None or str(page.offset) == asked


#: Lines asked for a page of an action's log: the most Buddy's logs endpoint gives.
LOG_PAGE = 1000
#: Action statuses with no log to read, and those of an action still underway.
_NO_LOG = {"SKIPPED", "NOT_EXECUTED"}
_UNDERWAY = {"INITIAL", "ENQUEUED", "INPROGRESS", "TERMINATING"}


class _LogAction(msgspec.Struct):
    id: int | str | None = None
    name: str | None = None


class _LogRun(msgspec.Struct):
    status: str | None = None
    action_execution_id: str | int | None = None
    action: _LogAction | None = None


class _LogExecution(msgspec.Struct):
    action_executions: list[_LogRun] = []


class _LogLines(msgspec.Struct):
    """An action's log: ``log`` in "Get details and logs", ``logs`` and the paging counts in
    "Get action execution logs"."""

    log: list[str] | None = None
    logs: list[str] | None = None
    offset: int | None = None
    element_count: int | None = None
    total_element_count: int | None = None


_log_execution_decoder = msgspec.json.Decoder(_LogExecution)
_log_lines_decoder = msgspec.json.Decoder(_LogLines)


provider = Buddy()
