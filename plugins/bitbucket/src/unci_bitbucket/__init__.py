"""Bitbucket Pipelines steps and pipelines as unified unci Jobs and Builds.

A Bitbucket "job" is a pipeline step. Endpoints (Bitbucket Cloud REST API 2.0):
``GET /repositories/{workspace}/{repo_slug}/pipelines/{pipeline_uuid}/steps/{step_uuid}`` for one
step and ``GET .../pipelines/{pipeline_uuid}/steps`` for the steps of one pipeline (paged with
``pagelen`` and an opaque ``next`` URL).

Builds are pipelines: ``GET /repositories/{workspace}/{repo_slug}/pipelines?sort=-created_on``
(newest first, the same ``next`` paging) and ``GET .../pipelines/{pipeline_uuid}``.

UUIDs keep their curly braces and are percent-encoded in the path (``%7B...%7D``): Bitbucket
rejects a bare UUID with "The value provided is not a valid uuid", so a bare UUID given for the
step or the pipeline gets its braces back rather than failing remotely.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import msgspec

from unci.plugin import (
    BearerOrBasic,
    Build,
    BuildPage,
    BuildQuery,
    Conclusion,
    Credentials,
    DecodeError,
    Identity,
    InvalidParam,
    Job,
    NextLink,
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
    latest,
    numbered,
    segment,
    translate,
    utc,
)

NAME = "bitbucket"
API_ROOT = "https://api.bitbucket.org/2.0"
#: Bitbucket's documented maximum ``pagelen`` for collections.
MAX_PAGELEN = 100

#: step ``state.name`` -> unified status (keys lower-case; unknown names pass through raw).
STATUS = {
    "pending": Status.QUEUED,
    "ready": Status.QUEUED,
    "in_progress": Status.IN_PROGRESS,
    "completed": Status.COMPLETED,
}
#: step ``state.result.name`` -> unified conclusion.
CONCLUSION = {
    "successful": Conclusion.PASSED,
    "failed": Conclusion.FAILED,
    "error": Conclusion.FAILED,
    "stopped": Conclusion.CANCELLED,
    "not_run": Conclusion.SKIPPED,
    "expired": Conclusion.TIMEOUT,
}
#: A pipeline's ``trigger.name`` (``PARENT_STEP`` and newer words pass through raw).
TRIGGER = {
    "push": Trigger.PUSH,
    "pull_request": Trigger.MERGE_REQUEST,
    "schedule": Trigger.CRON,
    "scheduled": Trigger.CRON,
    "manual": Trigger.WEB,
}
#: ``trigger.type`` for payloads whose trigger has no name (``pipeline_trigger_push``).
_TRIGGER_PREFIX = "pipeline_trigger_"
#: Unified conclusions Bitbucket's ``status`` filter names one to one (``failed`` is also
#: ``ERROR``, the in-progress words are three: those are filtered by the core alone).
STATUS_FILTER = {Conclusion.PASSED: "PASSED", Conclusion.CANCELLED: "STOPPED"}
_TAG_REFS = ("tag", "annotated_tag")

INFO = ProviderInfo(
    name=NAME,
    title="Bitbucket Pipelines",
    base_url=API_ROOT,
    base_urls={"cloud": API_ROOT},
    token_env=("BITBUCKET_ACCESS_TOKEN",),
    username_env=("BITBUCKET_USERNAME",),
    password_env=("BITBUCKET_APP_PASSWORD", "BITBUCKET_API_TOKEN"),
    auth="Authorization: Bearer <access token> (repository/project/workspace access token or "
    "OAuth, scope pipeline), or Basic <username>:<app password> / <Atlassian email>:<API token> "
    "(--username/--password)",
    fields=(
        "id",
        "name",
        "build",
        "status",
        "conclusion",
        "attempts",
        "started_at",
        "completed_at",
        "updated_at",
        "failure_reason",
    ),
    build_fields=(
        "id",
        "name",
        "number",
        "repo",
        "trigger",
        "triggered_by",
        "triggered_by_type",
        "status",
        "conclusion",
        "commit",
        "branch",
        "attempts",
        "created_at",
        "completed_at",
    ),
    docs_url="https://developer.atlassian.com/cloud/bitbucket/rest/api-group-pipelines/"
    "#api-repositories-workspace-repo-slug-pipelines-pipeline-uuid-steps-step-uuid-get",
)

_BARE_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class _Error(msgspec.Struct):
    key: str | None = None
    message: str | None = None


class _Result(msgspec.Struct):
    name: str | None = None
    #: An ``ERROR`` result says why (``pipeline_step_error``: key and message).
    error: _Error | None = None


class _State(msgspec.Struct):
    name: str | None = None
    result: _Result | None = None


class _Ref(msgspec.Struct):
    uuid: str | None = None


class _Step(msgspec.Struct):
    """The fields of a ``pipeline_step`` that the mapping reads."""

    uuid: Annotated[str, msgspec.Meta(min_length=1)]  # an empty id is no id
    name: str | None = None
    pipeline: _Ref | None = None
    state: _State | None = None
    run_number: int | None = None
    started_on: datetime | None = None
    completed_on: datetime | None = None


class _Commit(msgspec.Struct):
    hash: str | None = None


class _Selector(msgspec.Struct):
    type: str | None = None
    pattern: str | None = None


class _Target(msgspec.Struct):
    ref_type: str | None = None
    ref_name: str | None = None
    commit: _Commit | None = None
    selector: _Selector | None = None


class _Trigger(msgspec.Struct):
    name: str | None = None
    type: str | None = None


class _Account(msgspec.Struct):
    type: str | None = None
    nickname: str | None = None
    display_name: str | None = None


class _Repository(msgspec.Struct):
    full_name: str | None = None


class _Pipeline(msgspec.Struct):
    """The fields of a ``pipeline`` that the mapping reads; a ``fields=`` filter may leave any
    of them out."""

    uuid: Annotated[str, msgspec.Meta(min_length=1)]
    build_number: int | None = None
    run_number: int | None = None
    state: _State | None = None
    target: _Target | None = None
    trigger: _Trigger | None = None
    creator: _Account | None = None
    repository: _Repository | None = None
    created_on: datetime | None = None
    completed_on: datetime | None = None


class _StepPage(msgspec.Struct):
    """Bitbucket's paginated envelope: only ``values`` and ``next`` are guaranteed; ``size``
    (how many in all), ``page`` and ``pagelen`` are there unless a partial response left them
    out."""

    values: list[msgspec.Raw]
    next: str | None = None
    size: int | None = None
    page: int | None = None
    pagelen: int | None = None

    def following(self) -> tuple[Request | None, Numbered | None]:
        """The next page's request, and the pages after this one by number where ``size``
        says how many there are."""
        nxt = _follow(self.next) if self.next else None
        if self.size is None or self.page is None or not self.pagelen or self.pagelen < 1:
            return nxt, None
        return nxt, numbered(nxt, "page", self.page + 1, -(-self.size // self.pagelen))


class _ErrorDetail(msgspec.Struct):
    message: str | None = None
    detail: str | None = None


class _ErrorBody(msgspec.Struct):
    error: _ErrorDetail | None = None


_step_decoder = msgspec.json.Decoder(_Step)
_pipeline_decoder = msgspec.json.Decoder(_Pipeline)
_page_decoder = msgspec.json.Decoder(_StepPage)
_error_decoder = msgspec.json.Decoder(_ErrorBody)


def _status(state: _State | None) -> tuple[str | None, str | None]:
    """(status, conclusion) from ``state.name`` and ``state.result.name``.

    A result means the step ended, so it always yields ``completed`` (docs/mapping.md's rule), even
    if the state name is one we do not know; without a result the conclusion is null.
    """
    if state is None:
        return None, None
    status = translate(state.name, STATUS)
    if state.result is None:
        return status, None
    return Status.COMPLETED, translate(state.result.name, CONCLUSION)


def _failure(state: _State | None) -> str | None:
    """An ``ERROR`` result's own words: its error message, else its key."""
    error = state.result.error if state and state.result else None
    if error is None:
        return None
    return error.message or error.key


def _to_job(payload: bytes | msgspec.Raw) -> Job:
    s = _step_decoder.decode(payload)
    status, conclusion = _status(s.state)
    started, completed = utc(s.started_on, "started_on"), utc(s.completed_on, "completed_on")
    return Job(
        id=s.uuid,
        name=s.name,
        build=s.pipeline.uuid if s.pipeline else None,
        status=status,
        conclusion=conclusion,
        attempts=s.run_number,
        failure_reason=_failure(s.state),
        started_at=started,
        completed_at=completed,
        updated_at=latest(completed, started),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _trigger(t: _Trigger | None) -> str | None:
    if t is None:
        return None
    if t.name:
        return translate(t.name, TRIGGER)
    if t.type and t.type.lower().startswith(_TRIGGER_PREFIX):
        return translate(t.type[len(_TRIGGER_PREFIX) :], TRIGGER)
    return t.type


def _to_build(payload: bytes | msgspec.Raw) -> Build:
    p = _pipeline_decoder.decode(payload)
    status, conclusion = _status(p.state)
    target = p.target or _Target()
    selector = target.selector or _Selector()
    creator = p.creator
    tag = (target.ref_type or "").lower() in _TAG_REFS
    return Build(
        id=p.uuid,
        # The pipeline definition that ran: a custom pipeline's or a branch pattern's name, else
        # its kind ("default").
        name=selector.pattern or selector.type,
        number=as_str(p.build_number),
        repo=p.repository.full_name if p.repository else None,
        trigger=_trigger(p.trigger),
        triggered_by=(creator.nickname or creator.display_name) if creator else None,
        triggered_by_type=translate(creator.type, {"user": "user"}) if creator else None,
        status=status,
        conclusion=conclusion,
        commit=target.commit.hash if target.commit else None,
        branch=None if tag else target.ref_name,
        attempts=p.run_number,
        # Kept as given, even where completed_on is before created_on (seen in real answers).
        created_at=utc(p.created_on, "created_on"),
        completed_at=utc(p.completed_on, "completed_on"),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _uuid(value: str) -> str:
    """A bare UUID gets the braces Bitbucket requires; anything else is left as given."""
    return f"{{{value}}}" if _BARE_UUID.fullmatch(value) else value


def _pipelines_path(params: Mapping[str, str]) -> str:
    return f"/repositories/{segment(params['workspace_id'])}/{segment(params['repo'])}/pipelines"


def _steps_path(params: Mapping[str, str]) -> str:
    return f"{_pipelines_path(params)}/{segment(_uuid(params['build']))}/steps"


def _follow(url: str) -> Request:
    """The ``next`` URL as a request, its query split out into ``Request.query``.

    The URL stays absolute (the core only follows it on the API root's origin); the query is
    carried separately because an HTTP client given both a URL query and query params may keep
    only one of them.
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[" : no host to check, so nothing to follow
        raise DecodeError(
            f"{NAME}: the list response's next page {url!r} is not a URL - at `$.next`", provider=NAME
        ) from None
    query = parse_qsl(parts.query, keep_blank_values=True)
    return Request(path=urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), query=query)


_REPO = [
    Param(name="workspace_id", description="the workspace slug or {workspace UUID}, e.g. atlassian"),
    Param(name="repo", description="the repository slug or {repository UUID}"),
]
_PARAMS = [*_REPO, Param(name="build", description="the pipeline UUID, braces included, e.g. {8d7...}")]


class Bitbucket(Provider):
    info = INFO
    #: Truto's names; the same three for getting one step and listing a pipeline's steps.
    params = {"get": _PARAMS, "list": _PARAMS, "builds": _REPO, "build": _REPO}
    auth = BearerOrBasic()
    identity = Identity("/user", "nickname", "display_name")
    paging = NextLink(size="pagelen", max_size=MAX_PAGELEN)

    def authenticate(self, credentials: Credentials) -> dict[str, str]:
        """Half a Basic pair without a token is refused before any request: sent anonymously it
        would come back as a puzzling 404 for a private repository."""
        user, secret = credentials.username, credentials.password
        if not credentials.token and not (user and secret):
            if user:
                raise InvalidParam(
                    "bitbucket: a user name was given without its app password or API token",
                    hint="give it with --password or UNCI_BITBUCKET_PASSWORD (or BITBUCKET_APP_PASSWORD "
                    "/ BITBUCKET_API_TOKEN), or use an access token with --token",
                    py_hint="give it with password= or UNCI_BITBUCKET_PASSWORD (or BITBUCKET_APP_PASSWORD "
                    "/ BITBUCKET_API_TOKEN), or use an access token with token=",
                    provider=NAME,
                )
            if secret:
                who = (
                    "UNCI_BITBUCKET_USERNAME (or BITBUCKET_USERNAME): your Bitbucket user name for "
                    "an app password, your Atlassian account email for an API token"
                )
                raise InvalidParam(
                    "bitbucket: a password / API token was given without a user name",
                    hint=f"give it with --username or {who}",
                    py_hint=f"give it with username= or {who}",
                    provider=NAME,
                )
        return self.auth.headers(credentials)

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"{_steps_path(params)}/{segment(_uuid(job_id))}")

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        return _to_job(payload)

    def error_message(self, status_code: int, payload: bytes) -> str | None:
        """``error.message``, with ``error.detail`` after it when Bitbucket gives one."""
        try:
            body = _error_decoder.decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        err = body.error
        if err is None or not err.message:
            return None
        return f"{err.message}: {err.detail}" if err.detail else err.message

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        return self.paging.first(self.request(_steps_path(params)), limit)

    def build_log_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        """``…/steps/{step}/log``: octet-stream while the step runs, a 307 to a pre-signed
        storage URL once it has ended (followed without the credentials)."""
        return Request(path=f"{_steps_path(params)}/{segment(_uuid(job_id))}/log", headers={"Accept": "*/*"})

    def build_log_range_request(self, job_id: str, params: Mapping[str, str], offset: int) -> Request:
        """Bitbucket encourages ``Range`` requests on step logs."""
        return byte_range(self.build_log_request(job_id, params), offset)

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        page = _page_decoder.decode(payload)
        nxt, pages = page.following()
        return Page(jobs=[_to_job(raw) for raw in page.values], next=nxt, numbered=pages)

    def build_builds_request(
        self, params: Mapping[str, str], query: BuildQuery, limit: int | None
    ) -> Request:
        # Bitbucket lists oldest first unless asked; its created_on filter is one instant, not
        # a range, so times are left to the core (which stops at the first page before since).
        sent = [("sort", "-created_on")]
        if query.branch:
            sent.append(("target.branch", query.branch))
        if query.conclusion in STATUS_FILTER:
            sent.append(("status", STATUS_FILTER[query.conclusion]))
        return self.paging.first(self.request(_pipelines_path(params), sent), limit)

    def map_build_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> BuildPage:
        page = _page_decoder.decode(payload)
        nxt, pages = page.following()
        return BuildPage(builds=[_to_build(raw) for raw in page.values], next=nxt, numbered=pages)

    def build_build_request(self, build_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"{_pipelines_path(params)}/{segment(_uuid(build_id))}")

    def map_build(self, payload: bytes, build_id: str, params: Mapping[str, str]) -> Build:
        return _to_build(payload)


provider = Bitbucket()
