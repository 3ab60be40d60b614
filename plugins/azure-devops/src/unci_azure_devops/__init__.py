"""Azure DevOps Pipelines jobs and builds as unified unci Jobs and Builds.

Azure DevOps has no endpoint for one job: a job is a record of type ``Job`` in its build's
timeline, ``GET /{organization}/{project}/_apis/build/builds/{build}/timeline?api-version=7.1``.
``map_job`` receives the id that was asked for and picks that record out of the timeline; the
listing is every ``Job`` record of the same timeline, which Azure DevOps returns whole (no paging).

Azure DevOps Server (on premises) has the same API under a collection URL
``https://server/tfs/{collection}``: the collection takes the organization's place in the path, so
its base URL is the server root (``https://server/tfs``) and ``organization`` is the collection.

Builds: ``GET /{organization}/{project}/_apis/build/builds`` (newest queued first with
``queryOrder=queueTimeDescending``, paged with ``$top`` and the ``x-ms-continuationtoken``
header sent back as ``continuationToken``) and ``GET …/builds/{id}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

import msgspec

from unci.plugin import (
    Basic,
    Build,
    BuildPage,
    BuildQuery,
    Conclusion,
    Cursor,
    Identity,
    InvalidParam,
    Job,
    LogPart,
    LogUnavailable,
    Page,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    Step,
    Trigger,
    as_str,
    segment,
    translate,
    utc,
    utc_stamp,
)

NAME = "azure-devops"
API_VERSION = "7.1"
#: Shown when a job id is not in the timeline: enough to pick the right id, short enough to read.
SHOWN_JOBS = 10

STATUS = {
    "pending": Status.QUEUED,
    "inprogress": Status.IN_PROGRESS,
    "completed": Status.COMPLETED,
}
CONCLUSION = {
    "succeeded": Conclusion.PASSED,
    "succeededwithissues": Conclusion.PARTIAL,
    "failed": Conclusion.FAILED,
    "canceled": Conclusion.CANCELLED,
    "skipped": Conclusion.SKIPPED,
    # abandoned: passed through raw.
}
#: A build's ``status`` (BuildStatus); ``none`` passes through raw.
BUILD_STATUS = {
    "notstarted": Status.QUEUED,
    "postponed": Status.QUEUED,
    "inprogress": Status.IN_PROGRESS,
    "cancelling": Status.IN_PROGRESS,
    "completed": Status.COMPLETED,
}
#: A build's ``result`` (BuildResult); ``none`` passes through raw.
BUILD_CONCLUSION = {
    "succeeded": Conclusion.PASSED,
    "partiallysucceeded": Conclusion.PARTIAL,
    "failed": Conclusion.FAILED,
    "canceled": Conclusion.CANCELLED,
}
#: A build's ``reason``. ``manual`` is a person queueing it in the web UI (or the CLI, which
#: Azure DevOps does not tell apart); ``userCreated``, ``buildCompletion``, ``resourceTrigger``,
#: ``validateShelveset``, ``checkInShelveset``, ``triggered`` pass through raw.
TRIGGER = {
    "individualci": Trigger.PUSH,
    "batchedci": Trigger.PUSH,
    "pullrequest": Trigger.MERGE_REQUEST,
    "schedule": Trigger.CRON,
    "scheduleforced": Trigger.CRON,
    "manual": Trigger.WEB,
}
#: Unified filter words with exactly one Azure DevOps word (``in_progress`` is also
#: ``cancelling``, ``queued`` two words: those are filtered by the core alone).
STATUS_FILTER = {Status.COMPLETED: "completed"}
RESULT_FILTER = {
    Conclusion.PASSED: "succeeded",
    Conclusion.PARTIAL: "partiallySucceeded",
    Conclusion.FAILED: "failed",
    Conclusion.CANCELLED: "canceled",
}
MAX_TOP = 100
_HEADS = "refs/heads/"

INFO = ProviderInfo(
    name=NAME,
    title="Azure DevOps Pipelines",
    base_url="https://dev.azure.com",
    base_urls={"cloud": "https://dev.azure.com"},
    self_hosted="https://HOST/tfs (Azure DevOps Server; the collection is the organization param)",
    token_env=("AZURE_DEVOPS_EXT_PAT", "SYSTEM_ACCESSTOKEN"),
    auth="HTTP Basic with an empty user name and a personal access token (scope Build: Read) "
    "as the password; in a pipeline, $(System.AccessToken) works the same way",
    fields=(
        "id",
        "name",
        "build",
        "status",
        "conclusion",
        "attempts",
        "started_at",
        "completed_at",
        "failure_reason",
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
    docs_url="https://learn.microsoft.com/en-us/rest/api/azure/devops/build/timeline/get",
)

_BUILD_ID = re.compile(r"[0-9]+")


class _Issue(msgspec.Struct):
    type: str | None = None
    message: str | None = None


class _Record(msgspec.Struct):
    """The fields of a ``TimelineRecord`` that the selection and the mapping read."""

    id: Annotated[str, msgspec.Meta(min_length=1)]  # an empty id is no id
    type: str | None = None
    name: str | None = None
    state: str | None = None
    result: str | None = None
    attempt: int | None = None
    startTime: datetime | None = None
    finishTime: datetime | None = None
    parentId: str | None = None
    order: int | None = None
    issues: list[_Issue | None] | None = None

    @property
    def is_job(self) -> bool:
        return (self.type or "").lower() == "job"


class _Timeline(msgspec.Struct):
    records: list[msgspec.Raw] = []


class _Href(msgspec.Struct):
    href: str | None = None


class _Links(msgspec.Struct):
    web: _Href | None = None


class _Definition(msgspec.Struct):
    id: int | None = None
    name: str | None = None


class _Repository(msgspec.Struct):
    id: str | None = None
    name: str | None = None


class _Identity(msgspec.Struct):
    uniqueName: str | None = None
    displayName: str | None = None


class _Build(msgspec.Struct):
    """The fields of a ``Build`` that the mapping reads."""

    id: int
    buildNumber: str | None = None
    status: str | None = None
    result: str | None = None
    reason: str | None = None
    sourceBranch: str | None = None
    sourceVersion: str | None = None
    url: str | None = None
    definition: _Definition | None = None
    repository: _Repository | None = None
    requestedFor: _Identity | None = None
    queueTime: datetime | None = None
    startTime: datetime | None = None
    finishTime: datetime | None = None
    lastChangedDate: datetime | None = None
    links: _Links | None = msgspec.field(default=None, name="_links")


class _BuildList(msgspec.Struct):
    value: list[msgspec.Raw]
    count: int | None = None


_record_decoder = msgspec.json.Decoder(_Record)
_build_decoder = msgspec.json.Decoder(_Build)
_builds_decoder = msgspec.json.Decoder(_BuildList)
_timeline_decoder = msgspec.json.Decoder(_Timeline | None)


def _records(payload: bytes) -> list[tuple[_Record, msgspec.Raw]]:
    """Every record of a timeline with its own bytes; a build not yet planned has none."""
    timeline = _timeline_decoder.decode(payload) if payload.strip() else None
    if timeline is None:
        return []
    return [(_record_decoder.decode(raw), raw) for raw in timeline.records]


def _failure(record: _Record) -> str | None:
    """The job's error issues, in its own words (warnings are not why it failed)."""
    errors = [i.message for i in record.issues or () if i and i.message and (i.type or "").lower() == "error"]
    return "\n".join(errors) or None


def _step(record: _Record) -> Step:
    return Step(
        number=record.order,
        name=record.name,
        status=translate(record.state, STATUS),
        conclusion=translate(record.result, CONCLUSION),
        started_at=utc(record.startTime, "startTime"),
        completed_at=utc(record.finishTime, "finishTime"),
    )


def _to_job(record: _Record, raw: msgspec.Raw, build: str, records: list[tuple[_Record, msgspec.Raw]]) -> Job:
    tasks = [
        r
        for r, _ in records
        if (r.type or "").lower() == "task" and (r.parentId or "").lower() == record.id.lower()
    ]
    return Job(
        id=record.id,
        name=record.name,
        build=build,
        status=translate(record.state, STATUS),
        conclusion=translate(record.result, CONCLUSION),
        attempts=record.attempt,
        started_at=utc(record.startTime, "startTime"),
        completed_at=utc(record.finishTime, "finishTime"),
        failure_reason=_failure(record),
        steps=[_step(t) for t in sorted(tasks, key=lambda t: t.order or 0)],
        remote_data=raw,
    )


def branch(ref: str | None) -> str | None:
    """``refs/heads/main`` → ``main``; other refs (tags, ``refs/pull/N/merge``) name no branch;
    a TFVC path (``$/Project``) is kept as Azure DevOps wrote it."""
    if ref is None:
        return None
    if ref.startswith(_HEADS):
        return ref[len(_HEADS) :]
    return None if ref.startswith("refs/") else ref


def _web_url(b: _Build) -> str | None:
    """``_links.web.href``; where a payload lacks it (a ``$select``ed or trimmed body), the
    results page is built from the build's API ``url``, as the web UI addresses it."""
    if b.links and b.links.web and b.links.web.href:
        return b.links.web.href
    if b.url:
        head, found, _ = b.url.rpartition("/_apis/build/")
        if found and head:
            return f"{head}/_build/results?buildId={b.id}"
    return None


def _to_build(payload: bytes | msgspec.Raw) -> Build:
    b = _build_decoder.decode(payload)
    status = translate(b.status, BUILD_STATUS)
    ended = (b.status or "").lower() == "completed"
    repo = b.repository or _Repository()
    return Build(
        id=str(b.id),
        name=b.definition.name if b.definition else None,
        number=b.buildNumber,
        repo=repo.name or repo.id,
        workflow=as_str(b.definition.id) if b.definition else None,
        trigger=translate(b.reason, TRIGGER),
        triggered_by=b.requestedFor.uniqueName if b.requestedFor else None,
        status=status,
        conclusion=translate(b.result, BUILD_CONCLUSION) if ended else None,
        commit=b.sourceVersion,
        branch=branch(b.sourceBranch),
        url=_web_url(b),
        created_at=utc(b.queueTime, "queueTime"),
        started_at=utc(b.startTime, "startTime"),
        completed_at=utc(b.finishTime, "finishTime"),
        updated_at=utc(b.lastChangedDate, "lastChangedDate"),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _project_path(params: Mapping[str, str]) -> str:
    return f"/{segment(params['organization'])}/{segment(params['project'])}"


def _timeline_path(params: Mapping[str, str]) -> str:
    build = params["build"]
    if not _BUILD_ID.fullmatch(build):
        raise InvalidParam(
            f"{NAME}: build {build!r} is not a build id; give the number after buildId= in the "
            "run's URL (not the run's name such as 20240101.1)",
            provider=NAME,
        )
    path = (
        f"/{segment(params['organization'])}/{segment(params['project'])}"
        f"/_apis/build/builds/{segment(build)}/timeline"
    )
    return path


_PROJECT = [
    Param(
        name="organization",
        description="the organization (dev.azure.com/<organization>), or on Azure DevOps "
        "Server the collection, e.g. DefaultCollection",
    ),
    Param(name="project", description="the project name or id"),
]
_PARAMS = [
    *_PROJECT,
    Param(name="build", description="the build (run) id, the number after buildId= in its URL"),
]


class AzureDevOps(Provider):
    info = INFO
    params = {"get": _PARAMS, "list": _PARAMS, "builds": _PROJECT, "build": _PROJECT}
    paging = Cursor(param="continuationToken", size="$top", max_size=MAX_TOP)
    build_conclusions = BUILD_CONCLUSION
    # Without X-TFS-FedAuthRedirect a refused token gets a 203 sign-in page instead of a 401.
    headers = {"X-TFS-FedAuthRedirect": "Suppress"}
    # "Use any value for the user name and the token as the password"; empty is conventional.
    auth = Basic()
    identity = Identity(
        "/_apis/connectionData", "uniqueName", "providerDisplayName", within="authenticatedUser"
    )

    def _timeline(self, params: Mapping[str, str]) -> Request:
        return self.request(_timeline_path(params), [("api-version", API_VERSION)])

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self._timeline(params)

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        """Pick the ``Job`` record whose id was asked for out of the build's timeline."""
        records = _records(payload)
        wanted = job_id.lower()  # record ids are GUIDs, which people paste in either case
        match = next((r for r in records if r[0].id.lower() == wanted), None)
        if match is not None and match[0].is_job:
            return _to_job(match[0], match[1], params["build"], records)
        build = params["build"]
        where = f"build {build} of {params['organization']}/{params['project']}"
        if match is not None:
            why = f"record {job_id!r} of {where} is a {match[0].type} record, not a Job"
        else:
            why = f"job {job_id!r} is not in the timeline of {where}"
        jobs = [r for r, _ in records if r.is_job]
        if jobs:
            shown = ", ".join(f"{r.id} ({r.name})" for r in jobs[:SHOWN_JOBS])
            more = f" and {len(jobs) - SHOWN_JOBS} more" if len(jobs) > SHOWN_JOBS else ""
            hint = f"; its jobs are {shown}{more}"
        else:
            hint = "; that build has no jobs in its timeline yet"
        raise self.not_found(f"{why}{hint}")

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        # The timeline comes whole, so there is no page size to pass `limit` to.
        return self._timeline(params)

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        records = _records(payload)
        return Page(
            jobs=[_to_job(r, raw, params["build"], records) for r, raw in records if r.is_job], next=None
        )

    def build_builds_request(
        self, params: Mapping[str, str], query: BuildQuery, limit: int | None
    ) -> Request:
        # queueTimeDescending: newest first, and minTime/maxTime then bound the queue time,
        # which is the unified created_at.
        sent = [("api-version", API_VERSION), ("queryOrder", "queueTimeDescending")]
        if query.branch:
            sent.append(("branchName", f"{_HEADS}{query.branch}"))
        if query.status in STATUS_FILTER:
            sent.append(("statusFilter", STATUS_FILTER[query.status]))
        if query.conclusion in RESULT_FILTER:
            sent.append(("resultFilter", RESULT_FILTER[query.conclusion]))
        if query.since:
            sent.append(("minTime", utc_stamp(query.since)))
        if query.until:
            sent.append(("maxTime", utc_stamp(query.until)))
        path = f"{_project_path(params)}/_apis/build/builds"
        return self.paging.first(self.request(path, sent), limit)

    def map_build_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> BuildPage:
        page = _builds_decoder.decode(payload)
        return BuildPage(
            builds=[_to_build(raw) for raw in page.value],
            next=self.paging.next(request, headers=headers, marker=headers.get("x-ms-continuationtoken")),
        )

    def build_build_request(self, build_id: str, params: Mapping[str, str]) -> Request:
        if not _BUILD_ID.fullmatch(build_id):
            raise InvalidParam(
                f"{NAME}: build {build_id!r} is not a build id; give the number after buildId= in "
                "the run's URL (not the run's name such as 20240101.1)",
                provider=NAME,
            )
        path = f"{_project_path(params)}/_apis/build/builds/{segment(build_id)}"
        return self.request(path, [("api-version", API_VERSION)])

    def map_build(self, payload: bytes, build_id: str, params: Mapping[str, str]) -> Build:
        return _to_build(payload)

    def identity_request(self, params: Mapping[str, str]) -> Request:
        """``GET /{organization}/_apis/connectionData``: who the PAT authenticates as. It lives
        under an organization, so the account must carry one (``-p organization=...``)."""
        if not params.get("organization"):
            raise InvalidParam(
                f"{NAME}: checking credentials needs the account's organization; add it with "
                "unci accounts add NAME -P azure-devops ... -p organization=ORG",
                provider=NAME,
            )
        return self.request(f"/{segment(params['organization'])}/_apis/connectionData")

    # --- logs: one per task, found through the timeline -------------------------------

    def build_log_parts_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self._timeline(params)

    def map_log_parts(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> list[LogPart]:
        """The job's Task records in their order, each with its log
        (``_apis/build/builds/{build}/logs/{log.id}``, plain text). A task has a log once it has
        started; one still running is not complete, and is read from a line on
        (``startLine``; Microsoft's reference does not say whether the first line is 0 or 1,
        and the core's follow is right under both) while it runs."""
        job = self.map_job(payload, job_id, params)  # the job is in this timeline, or a clear 404
        wanted = job_id.lower()
        records = _log_timeline_decoder.decode(payload).records if payload.strip() else []
        tasks = sorted(
            (
                r
                for r in records
                if (r.parentId or "").lower() == wanted
                and (r.type or "").lower() == "task"
                and r.log is not None
                and r.log.id is not None
            ),
            key=lambda r: r.order if r.order is not None else 0,
        )
        if not tasks and job.status in (Status.QUEUED, Status.IN_PROGRESS):
            # No task has started: no log yet, as a provider that answers 404 until it has one
            # says (exit 13, waited for with --follow), not an empty log and exit 0.
            raise LogUnavailable(
                f"{NAME}: job {job_id!r} is {job.status} and Azure DevOps has no log for it yet",
                hint="ask again when it has started, or wait for it with --follow",
                py_hint="ask again when it has started, or wait for it with follow=True",
                http_hint="ask again when it has started, or wait for it with follow=true",
                provider=NAME,
                pending=True,
            )
        base = f"/{segment(params['organization'])}/{segment(params['project'])}/_apis/build/builds"
        return [
            LogPart(
                request=self.text_request(
                    f"{base}/{segment(params['build'])}/logs/{r.log.id}",  # type: ignore[union-attr]
                    [("api-version", API_VERSION)],
                ),
                name=r.name,
                failed=(r.result or "").lower() == "failed",
                complete=(r.state or "").lower() == "completed",
                lines="startLine",
            )
            for r in tasks
        ]


class _LogReference(msgspec.Struct):
    id: int | None = None


class _LogRecord(msgspec.Struct):
    """What the log parts read of a timeline record."""

    id: str = ""
    type: str | None = None
    name: str | None = None
    state: str | None = None
    result: str | None = None
    parentId: str | None = None
    order: int | None = None
    log: _LogReference | None = None


class _LogTimeline(msgspec.Struct):
    records: list[_LogRecord] = []


_log_timeline_decoder = msgspec.json.Decoder(_LogTimeline)


provider = AzureDevOps()
