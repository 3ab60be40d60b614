"""Buildkite Pipelines jobs and builds as unified unci Jobs and Builds.

Endpoints (REST v2, under ``https://api.buildkite.com/v2``):
``GET /organizations/{organization}/pipelines/{pipeline}/builds/{build}/jobs/{id}`` for one job
("Get a job") and ``GET …/builds/{build}/jobs`` for the jobs of a build ("List jobs",
cursor-paged: ``{"items": [...], "links": {"self", "next"}}``). The build is addressed by its
per-pipeline *number*, the job by its UUID.

Buildkite also embeds every job of a build in the build object (``GET …/builds/{build}``,
``jobs[]``). :func:`map_job` accepts that shape too and picks the asked-for job out of it by id,
so a plugin wrapping this one that fetches the build instead gets the same Job.

Builds: ``GET /organizations/{organization}/pipelines/{pipeline}/builds`` (newest first, paged
with ``Link`` headers) and ``GET …/builds/{number}``. A unified build's ``id`` is the build
*number*, since that is what addresses it and what a job's ``build`` holds.

Buildkite keeps one ``state`` word per job; it gives both unified fields (docs/mapping.md's table).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Annotated

import msgspec

from unci import NotFound
from unci.plugin import (
    Build,
    BuildPage,
    BuildQuery,
    Conclusion,
    Identity,
    Job,
    NextLink,
    Page,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    Trigger,
    byte_range,
    link_pages,
    numbered,
    outcome,
    segment,
    translate,
    utc,
    utc_stamp,
)

NAME = "buildkite"
MAX_PER_PAGE = 100

STATUS = {
    "pending": Status.QUEUED,
    "waiting": Status.QUEUED,
    "blocked": Status.QUEUED,
    "limiting": Status.QUEUED,
    "limited": Status.QUEUED,
    "scheduled": Status.QUEUED,
    "assigned": Status.QUEUED,
    "accepted": Status.QUEUED,
    "running": Status.IN_PROGRESS,
    "canceling": Status.IN_PROGRESS,
    "timing_out": Status.IN_PROGRESS,
    "passed": Status.COMPLETED,
    "unblocked": Status.COMPLETED,
    "failed": Status.COMPLETED,
    "waiting_failed": Status.COMPLETED,
    "blocked_failed": Status.COMPLETED,
    "unblocked_failed": Status.COMPLETED,
    "canceled": Status.COMPLETED,
    "timed_out": Status.COMPLETED,
    "skipped": Status.COMPLETED,
    "broken": Status.COMPLETED,
    "expired": Status.COMPLETED,
}
CONCLUSION = {
    "passed": Conclusion.PASSED,
    "unblocked": Conclusion.PASSED,
    "failed": Conclusion.FAILED,
    "waiting_failed": Conclusion.FAILED,
    "blocked_failed": Conclusion.FAILED,
    "unblocked_failed": Conclusion.FAILED,
    "canceled": Conclusion.CANCELLED,
    "timed_out": Conclusion.TIMEOUT,
    "skipped": Conclusion.SKIPPED,
    "broken": Conclusion.SKIPPED,
    # expired: completed, conclusion passed through raw.
}
#: A build's ``state``: ``failing`` is still running with a job failed; ``blocked`` waits at a
#: block step for a person, like a blocked job.
BUILD_STATUS = {
    "creating": Status.QUEUED,
    "scheduled": Status.QUEUED,
    "waiting": Status.QUEUED,
    "blocked": Status.QUEUED,
    "running": Status.IN_PROGRESS,
    "failing": Status.IN_PROGRESS,
    "canceling": Status.IN_PROGRESS,
    "passed": Status.COMPLETED,
    "failed": Status.COMPLETED,
    "waiting_failed": Status.COMPLETED,
    "canceled": Status.COMPLETED,
    "skipped": Status.COMPLETED,
    "not_run": Status.COMPLETED,
}
BUILD_CONCLUSION = {
    "passed": Conclusion.PASSED,
    "failed": Conclusion.FAILED,
    "waiting_failed": Conclusion.FAILED,
    "canceled": Conclusion.CANCELLED,
    "skipped": Conclusion.SKIPPED,
    "not_run": Conclusion.SKIPPED,
}
#: A build's ``source``: a ``webhook`` is a push, or a pull request when the build names one;
#: ``trigger_job`` (started by another pipeline's trigger step) passes through raw.
TRIGGER = {"webhook": Trigger.PUSH, "api": Trigger.API, "ui": Trigger.WEB, "schedule": Trigger.CRON}
#: Unified filter words sent as ``state[]``: every build state that maps to the word, where all of
#: them are states Buildkite's list filters on (``waiting`` and ``waiting_failed`` are not, so
#: ``queued`` and ``failed`` are filtered by the core alone).
STATE_FILTER: dict[str, tuple[str, ...]] = {
    Status.IN_PROGRESS: ("running", "failing", "canceling"),
}
CONCLUSION_FILTER: dict[str, tuple[str, ...]] = {
    Conclusion.PASSED: ("passed",),
    Conclusion.CANCELLED: ("canceled",),
    Conclusion.SKIPPED: ("skipped", "not_run"),
}
_LINK_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')
_MS = timedelta(milliseconds=1)

INFO = ProviderInfo(
    name=NAME,
    title="Buildkite Pipelines",
    base_url="https://api.buildkite.com/v2",
    base_urls={"buildkite.com": "https://api.buildkite.com/v2"},
    token_env=("BUILDKITE_API_TOKEN", "BUILDKITE_TOKEN"),
    auth="Authorization: Bearer <API access token with the read_builds scope>; Buildkite has no "
    "anonymous or Basic access",
    fields=(
        "id",
        "name",
        "build",
        "status",
        "conclusion",
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
    ),
    docs_url="https://buildkite.com/docs/apis/rest-api/jobs",
)


class _Job(msgspec.Struct):
    """The fields of Buildkite's job object that the mapping reads."""

    id: Annotated[str, msgspec.Meta(min_length=1)]  # an empty id is no id
    type: str | None = None
    name: str | None = None
    #: Block (``manual``) steps carry a ``label`` instead of a ``name``.
    label: str | None = None
    state: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    web_url: str | None = None
    exit_status: int | None = None
    soft_failed: bool | None = None
    signal_reason: str | None = None
    broken_reason: str | None = None


class _Creator(msgspec.Struct):
    name: str | None = None
    email: str | None = None


class _Pipeline(msgspec.Struct):
    name: str | None = None
    slug: str | None = None
    repository: str | None = None


class _PullRequest(msgspec.Struct):
    id: str | int | None = None


class _Build(msgspec.Struct):
    """The fields of Buildkite's build object that the mapping reads."""

    number: int
    state: str | None = None
    source: str | None = None
    commit: str | None = None
    branch: str | None = None
    web_url: str | None = None
    creator: _Creator | None = None
    pipeline: _Pipeline | None = None
    pull_request: _PullRequest | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class _JobId(msgspec.Struct):
    id: str | None = None


class _Body(msgspec.Struct):
    """What tells a job from a build: a build has a ``jobs`` array and a ``number``."""

    id: str | None = None
    number: int | None = None
    jobs: list[msgspec.Raw] | None = None


class _JobList(msgspec.Struct):
    items: list[msgspec.Raw]
    links: dict[str, str | None] = {}


_job_decoder = msgspec.json.Decoder(_Job)
_id_decoder = msgspec.json.Decoder(_JobId)
_body_decoder = msgspec.json.Decoder(_Body)
_list_decoder = msgspec.json.Decoder(_JobList)
_build_decoder = msgspec.json.Decoder(_Build)
_builds_decoder = msgspec.json.Decoder(list[msgspec.Raw])


def failure(b: _Job) -> str | None:
    """Why the job failed, in Buildkite's words: the signal or breakage reason it names, else its
    non-zero exit status; a soft failure (allowed to fail) says so."""
    if b.signal_reason:
        reason = b.signal_reason
    elif b.broken_reason:
        reason = b.broken_reason
    elif b.exit_status:
        reason = f"exit_status {b.exit_status}"
    else:
        return "soft_failed" if b.soft_failed else None
    return f"{reason}, soft_failed" if b.soft_failed else reason


def _to_job(raw: msgspec.Raw, build: str | None) -> Job:
    b = _job_decoder.decode(raw)
    status, conclusion = outcome(b.state, STATUS, CONCLUSION)
    return Job(
        id=b.id,
        name=b.name if b.name is not None else b.label,
        build=build,
        status=status,
        conclusion=conclusion,
        created_at=utc(b.created_at, "created_at"),
        started_at=utc(b.started_at, "started_at"),
        completed_at=utc(b.finished_at, "finished_at"),
        url=b.web_url,
        failure_reason=failure(b),
        remote_data=raw,
    )


def _trigger(b: _Build) -> str | None:
    if (b.source or "").lower() == "webhook" and b.pull_request is not None and b.pull_request.id:
        return Trigger.MERGE_REQUEST
    return translate(b.source, TRIGGER)


def _to_build(payload: bytes | msgspec.Raw) -> Build:
    b = _build_decoder.decode(payload)
    status, conclusion = outcome(b.state, BUILD_STATUS, BUILD_CONCLUSION)
    pipeline = b.pipeline or _Pipeline()
    creator = b.creator or _Creator()
    return Build(
        id=str(b.number),
        name=pipeline.name,
        number=str(b.number),
        repo=pipeline.repository,
        workflow=pipeline.slug,
        trigger=_trigger(b),
        triggered_by=creator.email or creator.name,
        status=status,
        conclusion=conclusion,
        commit=b.commit,
        branch=b.branch,
        url=b.web_url,
        created_at=utc(b.created_at, "created_at"),
        started_at=utc(b.started_at, "started_at"),
        completed_at=utc(b.finished_at, "finished_at"),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def pick_job(payload: bytes, job_id: str, build: str | None) -> msgspec.Raw:
    """The job's own object: the body itself, or the job with ``id == job_id`` out of a build.

    A build that does not hold the job is a not-found, named after both, never another job.
    """
    body = _body_decoder.decode(payload)
    if body.jobs is None:
        return msgspec.Raw(payload)
    wanted = job_id.lower()  # UUIDs: Buildkite writes them lower-case, users may not
    for raw in body.jobs:
        found = _id_decoder.decode(raw).id
        if found is not None and found.lower() == wanted:
            return raw
    where = f"build {body.number if body.number is not None else build}"
    raise NotFound(
        f"{NAME}: job {job_id!r} is not one of the {len(body.jobs)} job(s) of {where}. Check the "
        "job id (a UUID) and the build number",
        provider=NAME,
        remote_status=404,
    )


def _builds_path(params: Mapping[str, str]) -> str:
    return f"/organizations/{segment(params['organization'])}/pipelines/{segment(params['pipeline'])}/builds"


_PIPELINE = [
    Param(name="organization", description="the organization slug, e.g. my-great-org"),
    Param(name="pipeline", description="the pipeline slug, e.g. my-pipeline"),
]
_PARAMS = [*_PIPELINE, Param(name="build", description="the build number within the pipeline, e.g. 1")]


class Buildkite(Provider):
    info = INFO
    params = {"get": _PARAMS, "list": _PARAMS, "builds": _PIPELINE, "build": _PIPELINE}
    #: Buildkite's ``GET /v2/user`` wraps nothing: email and name are top-level.
    identity = Identity("/user", "email", "name")
    #: ``links.next`` is an absolute URL on api.buildkite.com; only its query (the ``after``
    #: cursor and the page size) is reapplied, so paging stays under the API root the user chose
    #: (a proxy, a test server) and a malformed host in the link cannot stop it.
    paging = NextLink(size="per_page", max_size=MAX_PER_PAGE, query_only=True)
    list_path = "/organizations/{organization}/pipelines/{pipeline}/builds/{build}/jobs"
    build_conclusions = BUILD_CONCLUSION
    job_path = f"{list_path}/{{job_id}}"

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        build = params.get("build")
        return _to_job(pick_job(payload, job_id, build), build)

    def build_log_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        """The job's ``raw_log_url``, ``…/jobs/{id}/log.txt``: its output as plain text,
        partial while the job runs."""
        return self.text_request(self.path(f"{self.job_path}/log.txt", params, job_id=job_id))

    def build_log_range_request(self, job_id: str, params: Mapping[str, str], offset: int) -> Request:
        return byte_range(self.build_log_request(job_id, params), offset)

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        page = _list_decoder.decode(payload)
        build = params.get("build")
        return Page(
            jobs=[_to_job(raw, build) for raw in page.items],
            next=self.paging.next(request, headers=headers, marker=page.links.get("next")),
        )

    def build_builds_request(
        self, params: Mapping[str, str], query: BuildQuery, limit: int | None
    ) -> Request:
        sent: list[tuple[str, str]] = []
        if query.branch:
            sent.append(("branch", query.branch))
        states = CONCLUSION_FILTER.get(query.conclusion or "") or STATE_FILTER.get(query.status or "")
        sent += [("state[]", state) for state in states or ()]
        # created_from is "on or after"; created_to "before": widened by Buildkite's millisecond.
        if query.since:
            sent.append(("created_from", utc_stamp(query.since)))
        if query.until:
            sent.append(("created_to", utc_stamp(query.until + _MS)))
        return self.paging.first(self.request(_builds_path(params), sent), limit)

    def map_build_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> BuildPage:
        # Build lists page with a Link header on api.buildkite.com; as with job lists, only the
        # link's query is reapplied, under the API root the user chose.
        # Its rel="last" says how many pages there are, so the rest can be asked for at once.
        match = _LINK_NEXT.search(headers.get("link", "")[:8192])
        nxt = self.paging.next(request, headers=headers, marker=match.group(1) if match else None)
        pages = link_pages(headers)
        return BuildPage(
            builds=[_to_build(raw) for raw in _builds_decoder.decode(payload)],
            next=nxt,
            numbered=numbered(nxt, "page", *pages) if pages else None,
        )

    def build_build_request(self, build_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"{_builds_path(params)}/{segment(build_id)}")

    def map_build(self, payload: bytes, build_id: str, params: Mapping[str, str]) -> Build:
        return _to_build(payload)


provider = Buildkite()
