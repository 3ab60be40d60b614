"""Travis CI (API v3) jobs as unified unci Jobs.

Endpoints: ``GET /job/{id}`` for one job and ``GET /build/{id}/jobs`` for the jobs of a build,
both with ``Travis-API-Version: 3``. Travis has one ``state`` word per job; both unified fields
are read from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from unci import (
    Conclusion,
    Credentials,
    DecodeError,
    Job,
    Page,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    byte_range,
    message_at,
    segment,
    translate,
    user_at,
    utc,
)

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
_NOT_ENDED = (Status.QUEUED, Status.IN_PROGRESS)

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
    docs_url="https://developer.travis-ci.com/resource/job",
)


class _Build(msgspec.Struct):
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
    build: _Build | None = None
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


class _JobList(msgspec.Struct):
    jobs: list[msgspec.Raw] = []
    pagination: _Pagination | None = msgspec.field(default=None, name="@pagination")


_job_decoder = msgspec.json.Decoder(_Job)
_list_decoder = msgspec.json.Decoder(_JobList)
_BUILD_HREF = re.compile(r"/build/(\d+)(?:[/?#]|$)")
_HEADS = "refs/heads/"


def outcome(value: str | None) -> tuple[str | None, str | None]:
    """Unified (status, conclusion) from Travis's one ``state`` word.

    A state Travis has not documented passes through raw in both fields: we cannot tell
    whether it ended the job, and dropping it would hide it.
    """
    status = translate(value, STATUS)
    conclusion = None if status in _NOT_ENDED else translate(value, CONCLUSION)
    return status, conclusion


def _build_id(build: _Build | None) -> str | None:
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


def _headers() -> dict[str, str]:
    # Without it the API may answer in V2 (or V2.1) shape, which the mapping does not read.
    return {"Travis-API-Version": API_VERSION}


def _next_request(nxt: _Next, request: Request) -> Request | None:
    """The next page as the same path with Travis's ``limit``/``offset``.

    Built from the numbers rather than by following ``@href``: hrefs carry the server's own
    prefix (``/api`` on Enterprise, ``/v3`` when selected by path), which the API root given
    to unci may already contain.
    """
    offset, limit = nxt.offset, nxt.limit
    if (offset is None or limit is None) and nxt.href:
        # Only the query is read, so a malformed host in the href cannot stop paging.
        found = dict(parse_qsl(nxt.href.partition("?")[2].partition("#")[0]))
        offset = offset if offset is not None else _int(found.get("offset"), "offset")
        limit = limit if limit is not None else _int(found.get("limit"), "limit")
    if offset is None:
        return None
    query = [(k, v) for k, v in request.query if k not in ("limit", "offset")]
    if limit is not None:
        query.append(("limit", str(limit)))
    query.append(("offset", str(offset)))
    return Request(path=request.path, query=query, headers=dict(request.headers))


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

    def required_params(self, operation: str) -> list[Param]:
        if operation == "list":
            return [Param(name="build", description="the build id whose jobs to list")]
        return []  # Travis addresses a job by its id alone.

    def authenticate(self, credentials: Credentials) -> dict[str, str]:
        return {"Authorization": f"token {credentials.token}"} if credentials.token else {}

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return Request(path=f"/job/{segment(job_id)}", headers=_headers())

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        return _to_job(payload)

    def error_message(self, status_code: int, payload: bytes) -> str | None:
        return message_at(payload, "error_message")

    def build_log_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        """``/job/{id}/log.txt``: the log as plain text (the archived log once the job is old)."""
        return Request(path=f"/job/{segment(job_id)}/log.txt", headers={**_headers(), "Accept": "text/plain"})

    def build_log_range_request(self, job_id: str, params: Mapping[str, str], offset: int) -> Request:
        return byte_range(self.build_log_request(job_id, params), offset)

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        # ``limit`` is sent only when asked for: the endpoint may not page at all (the real
        # response has no @pagination), and when it does the server's default page applies.
        query = [("limit", str(max(1, min(limit, MAX_LIMIT))))] if limit else []
        return Request(path=f"/build/{segment(params['build'])}/jobs", query=query, headers=_headers())

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        page = _list_decoder.decode(payload)
        jobs = [_to_job(raw, params.get("build")) for raw in page.jobs]
        nxt = page.pagination.next if page.pagination else None
        return Page(jobs=jobs, next=_next_request(nxt, request) if nxt else None)

    def identity_request(self, params: Mapping[str, str]) -> Request:
        """Travis' ``GET /user``: the token's user."""
        return Request(path="/user", headers=_headers())

    def read_identity(self, payload: bytes) -> str | None:
        return user_at(payload, "login", "name")


provider = Travis()
