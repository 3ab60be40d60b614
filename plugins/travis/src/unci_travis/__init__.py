"""Travis CI (API v3) jobs and builds as unified unci Jobs and Builds.

Endpoints: ``GET /job/{id}`` for one job, ``GET /build/{id}/jobs`` for the jobs of a build,
``GET /repo/{slug}/builds`` and ``GET /build/{id}`` for the builds themselves, all with
``Travis-API-Version: 3``. Travis has one ``state`` word per job and per build; both unified
fields are read from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from unci.plugin import (
    Build,
    BuildPage,
    BuildQuery,
    Conclusion,
    DecodeError,
    Identity,
    Job,
    Numbered,
    Offset,
    Page,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    TokenHeader,
    Trigger,
    byte_range,
    numbered,
    segment,
    translate,
    utc,
)
from unci.plugin import outcome as job_outcome

NAME = "travis"
COM = "https://api.travis-ci.com"
ORG = "https://api.travis-ci.org"
API_VERSION = "3"
#: The largest page V3 serves to a normal user (its paginator clamps anything above).
MAX_LIMIT = 100

#: Travis job ``state`` -> unified status (docs/mapping.md); keys lower-case.
STATUS = {
    "created": Status.QUEUED,
    "queued": Status.QUEUED,
    "received": Status.QUEUED,
    "started": Status.IN_PROGRESS,
    "passed": Status.COMPLETED,
    "failed": Status.COMPLETED,
    "errored": Status.COMPLETED,
    "canceled": Status.COMPLETED,
}
#: Travis job ``state`` -> unified conclusion, for the states that end a job.
CONCLUSION = {
    "passed": Conclusion.PASSED,
    "failed": Conclusion.FAILED,
    "errored": Conclusion.FAILED,
    "canceled": Conclusion.CANCELLED,
}
#: ``event_type`` of a build -> unified trigger; any other word passes through raw.
TRIGGER = {
    "push": Trigger.PUSH,
    "pull_request": Trigger.MERGE_REQUEST,
    "cron": Trigger.CRON,
    "api": Trigger.API,
}
#: ``created_by.@type``: a user, or an organization (raw).
ACTOR = {"user": "user"}
#: Unified filter words Travis's ``state`` parameter carries without losing a match: only where
#: exactly one Travis state maps to the unified word (``failed`` is also ``errored``, ``queued``
#: is three states); the core filters the rest.
STATE_FILTER = {
    Status.IN_PROGRESS: "started",
    Conclusion.PASSED: "passed",
    Conclusion.CANCELLED: "canceled",
}

INFO = ProviderInfo(
    name=NAME,
    title="Travis CI",
    base_url=COM,
    base_urls={"com": COM, "org": ORG},
    self_hosted="https://HOST/api (Travis CI Enterprise)",
    token_env=("TRAVIS_TOKEN",),
    auth="Authorization: token <Travis API token> (from `travis token` or the account settings; "
    "travis-ci.com, travis-ci.org and Enterprise tokens are not interchangeable); public "
    "repositories need none",
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
        "updated_at",
    ),
    build_fields=(
        "id",
        "number",
        "repo",
        "trigger",
        "triggered_by",
        "triggered_by_type",
        "status",
        "conclusion",
        "commit",
        "branch",
        "started_at",
        "completed_at",
        "updated_at",
    ),
    docs_url="https://developer.travis-ci.com/resource/job",
)


class _BuildRef(msgspec.Struct):
    """A nested build: minimal (with ``id``) or collapsed to just its ``@href``."""

    id: int | None = None
    href: str | None = msgspec.field(default=None, name="@href")


class _Commit(msgspec.Struct):
    sha: str | None = None
    ref: str | None = None


class _Config(msgspec.Struct):
    # ``name:`` of the job in .travis.yml, when the payload carries the config. YAML lets it be
    # any scalar, so it is read loosely and used only when it is text.
    name: Any = None


class _Job(msgspec.Struct):
    """The fields of Travis's job representation that the mapping reads."""

    id: int
    number: str | None = None
    name: str | None = None
    state: str | None = None
    build: _BuildRef | None = None
    commit: _Commit | None = None
    config: _Config | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None


class _Next(msgspec.Struct):
    href: str | None = msgspec.field(default=None, name="@href")
    offset: int | None = None
    limit: int | None = None


class _Pagination(msgspec.Struct):
    next: _Next | None = None
    #: How many there are in all (left out when the server skips counting).
    count: int | None = None


class _JobList(msgspec.Struct):
    jobs: list[msgspec.Raw] = []
    pagination: _Pagination | None = msgspec.field(default=None, name="@pagination")


class _Named(msgspec.Struct):
    name: str | None = None


class _Repository(msgspec.Struct):
    slug: str | None = None


class _User(msgspec.Struct):
    login: str | None = None
    type: str | None = msgspec.field(default=None, name="@type")


class _Build(msgspec.Struct):
    """The fields of Travis's build representation that the mapping reads."""

    id: int
    number: str | None = None
    state: str | None = None
    event_type: str | None = None
    repository: _Repository | None = None
    branch: _Named | None = None
    tag: _Named | None = None
    commit: _Commit | None = None
    created_by: _User | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None


class _BuildList(msgspec.Struct):
    builds: list[msgspec.Raw] = []
    pagination: _Pagination | None = msgspec.field(default=None, name="@pagination")


_job_decoder = msgspec.json.Decoder(_Job)
_list_decoder = msgspec.json.Decoder(_JobList)
_build_decoder = msgspec.json.Decoder(_Build)
_builds_decoder = msgspec.json.Decoder(_BuildList)
_BUILD_HREF = re.compile(r"/build/(\d+)(?:[/?#]|$)")
_HEADS = "refs/heads/"


def outcome(value: str | None) -> tuple[str | None, str | None]:
    """Unified (status, conclusion) from Travis's one ``state`` word.

    A state Travis has not documented passes through raw in both fields: we cannot tell
    whether it ended the job, and dropping it would hide it.
    """
    return job_outcome(value, STATUS, CONCLUSION, undocumented_ended=True)


def _build_id(build: _BuildRef | None) -> str | None:
    """The build id, also when Travis collapsed an already-rendered build to its ``@href``."""
    if build is None:
        return None
    if build.id is not None:
        return str(build.id)
    match = _BUILD_HREF.search(build.href or "")
    return match.group(1) if match else None


def _branch(commit: _Commit | None) -> str | None:
    """The branch of ``commit.ref`` when it is ``refs/heads/...``; tags and pull refs have none."""
    ref = commit.ref if commit else None
    return (ref[len(_HEADS) :] or None) if ref and ref.startswith(_HEADS) else None


def _name(t: _Job) -> str | None:
    if t.name:
        return t.name
    if t.config is not None and isinstance(t.config.name, str) and t.config.name:
        return t.config.name
    return t.number


def _to_job(payload: bytes | msgspec.Raw, build: str | None = None) -> Job:
    t = _job_decoder.decode(payload)
    status, conclusion = outcome(t.state)
    return Job(
        id=str(t.id),
        name=_name(t),
        build=_build_id(t.build) or build,
        status=status,
        conclusion=conclusion,
        commit=t.commit.sha if t.commit else None,
        branch=_branch(t.commit),
        created_at=utc(t.created_at, "created_at"),
        started_at=utc(t.started_at, "started_at"),
        completed_at=utc(t.finished_at, "finished_at"),
        updated_at=utc(t.updated_at, "updated_at"),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _build_branch(b: _Build) -> str | None:
    """The jobs' rule (the branch of a ``refs/heads/`` ref), else ``branch.name`` for a build
    that is neither a tag nor a pull request: for those Travis's ``branch`` is the tag or the
    target branch, not a branch the build ran on."""
    found = _branch(b.commit)
    if found or b.tag is not None or b.event_type == "pull_request":
        return found
    return b.branch.name if b.branch else None


def _to_build(payload: bytes | msgspec.Raw) -> Build:
    b = _build_decoder.decode(payload)
    status, conclusion = outcome(b.state)
    actor = b.created_by
    return Build(
        id=str(b.id),
        number=b.number,
        repo=b.repository.slug if b.repository else None,
        trigger=translate(b.event_type, TRIGGER),
        triggered_by=actor.login if actor else None,
        triggered_by_type=translate(actor.type, ACTOR) if actor else None,
        status=status,
        conclusion=conclusion,
        commit=b.commit.sha if b.commit else None,
        branch=_build_branch(b),
        started_at=utc(b.started_at, "started_at"),
        completed_at=utc(b.finished_at, "finished_at"),
        updated_at=utc(b.updated_at, "updated_at"),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _marker(pagination: _Pagination | None) -> tuple[int | None, int | None] | None:
    """The next page's (offset, limit): Travis's numbers, else the query of its ``@href``.

    Only the href's query is read, so a malformed host in it cannot stop paging; its path is
    never followed, since it carries the server's own prefix (``/api`` on Enterprise, ``/v3``
    when selected by path), which the API root given to unci may already contain.
    """
    nxt = pagination.next if pagination else None
    if nxt is None:
        return None
    offset, limit = nxt.offset, nxt.limit
    if (offset is None or limit is None) and nxt.href:
        found = dict(parse_qsl(nxt.href.partition("?")[2].partition("#")[0]))
        offset = offset if offset is not None else _int(found.get("offset"), "offset")
        limit = limit if limit is not None else _int(found.get("limit"), "limit")
    return offset, limit


def _numbered(nxt: Request | None, pagination: _Pagination | None) -> Numbered | None:
    """The pages after this one by offset, one page size apart, where ``count`` says how many
    there are in all."""
    marker = _marker(pagination)
    if pagination is None or pagination.count is None or marker is None:
        return None
    offset, limit = marker
    if offset is None or not limit or limit < 1:
        return None
    last = offset + (pagination.count - 1 - offset) // limit * limit  # the last page's offset
    return numbered(nxt, "offset", offset, last, step=limit)


def _int(value: str | None, name: str) -> int | None:
    """A number from the next page's ``@href``; anything else there would end the listing
    early without a word, so it is a decode error instead."""
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise DecodeError(
            f"{NAME}: the list response's next page has {name}={value!r}, not a number - at "
            "`$.@pagination.next.@href`",
            provider=NAME,
        )
    return int(value)


class Travis(Provider):
    info = INFO
    #: Travis addresses a job and a build by its id alone.
    params = {
        "get": [],
        "list": [Param(name="build", description="the build id whose jobs to list")],
        "builds": [
            Param(
                name="repo",
                description="the repository slug owner/name (e.g. travis-ci/travis-web) or its numeric id",
            )
        ],
        "build": [],
    }
    #: Without it the API may answer in V2 (or V2.1) shape, which the mapping does not read.
    headers = {"Travis-API-Version": API_VERSION}
    auth = TokenHeader("Authorization", "token {token}")
    error_keys = ("error_message",)
    identity = Identity("/user", "login", "name")
    #: ``limit`` is sent only when asked for: ``/build/{id}/jobs`` may not page at all (the real
    #: response has no @pagination), and when it does the server's default page applies.
    paging = Offset(max_size=MAX_LIMIT)
    job_path = "/job/{job_id}"

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        return _to_job(payload)

    def build_log_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        """``/job/{id}/log.txt``: the log as plain text (the archived log once the job is old)."""
        request = self.request(f"/job/{segment(job_id)}/log.txt")
        return Request(path=request.path, headers={**request.headers, "Accept": "text/plain"})

    def build_log_range_request(self, job_id: str, params: Mapping[str, str], offset: int) -> Request:
        return byte_range(self.build_log_request(job_id, params), offset)

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        return self.paging.first(self.request(f"/build/{segment(params['build'])}/jobs"), limit)

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        page = _list_decoder.decode(payload)
        jobs = [_to_job(raw, params.get("build")) for raw in page.jobs]
        nxt = self.paging.next(request, headers=headers, marker=_marker(page.pagination))
        return Page(jobs=jobs, next=nxt, numbered=_numbered(nxt, page.pagination))

    def build_builds_request(
        self, params: Mapping[str, str], query: BuildQuery, limit: int | None
    ) -> Request:
        # Travis lists a repository's builds newest first; it filters on branch and state, not
        # on time.
        sent: list[tuple[str, str]] = []
        if query.branch:
            sent.append(("branch.name", query.branch))
        word = STATE_FILTER.get(query.conclusion or query.status or "")
        if word:
            sent.append(("state", word))
        return self.paging.first(self.request(f"/repo/{segment(params['repo'])}/builds", sent), limit)

    def map_build_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> BuildPage:
        page = _builds_decoder.decode(payload)
        nxt = self.paging.next(request, headers=headers, marker=_marker(page.pagination))
        return BuildPage(
            builds=[_to_build(raw) for raw in page.builds],
            next=nxt,
            numbered=_numbered(nxt, page.pagination),
        )

    def build_build_request(self, build_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"/build/{segment(build_id)}")

    def map_build(self, payload: bytes, build_id: str, params: Mapping[str, str]) -> Build:
        return _to_build(payload)


provider = Travis()
