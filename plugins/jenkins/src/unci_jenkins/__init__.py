"""Jenkins builds as unified unci Jobs.

In Jenkins a *job* is the project definition and one execution of it is a *build*; the build is
what the unified record calls a job. Endpoints, under the instance's root URL (always
self-hosted, often with a context path such as ``https://ci.example.com/jenkins``):

- one build: ``GET /job/{a}/job/{b}/{number}/api/json`` (``{number}`` may also be a permalink
  such as ``lastBuild``);
- the builds of a job: ``GET /job/{a}/job/{b}/api/json?tree=allBuilds[...]{M,N}``. Core Jenkins
  has no page parameters; the ``tree`` range ``{M,N}`` (elements M inclusive to N exclusive,
  newest first) is its only paging, so that range is what the next-page request carries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from unci import (
    Conclusion,
    Credentials,
    InvalidParam,
    Job,
    Page,
    Param,
    ProviderInfo,
    Request,
    Status,
    basic_auth,
    from_epoch_ms,
    hookimpl,
    page_title,
    segment,
    translate,
    user_at,
)

NAME = "jenkins"
#: Builds per page when the caller gives no limit, and the most we ask for at once: the size of
#: Jenkins' own ``builds`` list, which keeps one answer at a size a controller serves quickly.
MAX_PER_PAGE = 100

CONCLUSION = {
    "success": Conclusion.PASSED,
    "failure": Conclusion.FAILED,
    "aborted": Conclusion.CANCELLED,
    "unstable": Conclusion.PARTIAL,
    "not_built": Conclusion.SKIPPED,
}

INFO = ProviderInfo(
    name=NAME,
    title="Jenkins",
    # Jenkins has no hosted service: this is where a local controller listens by default, so
    # --base-url / UNCI_JENKINS_BASE_URL is normally required.
    base_url="http://localhost:8080",
    base_urls={"local": "http://localhost:8080"},
    self_hosted="https://HOST[/PREFIX] (every Jenkins is self-hosted)",
    token_env=("JENKINS_API_TOKEN",),
    username_env=("JENKINS_USER_ID", "JENKINS_USER"),
    auth="HTTP Basic with a user name and that user's API token (a password works too); "
    "anonymous read where the instance allows it",
    fields=("id", "name", "status", "conclusion", "commit", "branch", "started_at", "completed_at"),
    docs_url="https://www.jenkins.io/doc/book/using/remote-access-api/",
)

#: What a listed build carries: every field the mapping reads, plus the build's own links.
_BUILD_TREE = ("number,id,url,displayName,fullDisplayName,building,result,timestamp,duration,"
               "estimatedDuration,queueId,actions[lastBuiltRevision[SHA1,branch[name]]]")
_RANGE = re.compile(r"\{(\d+),(\d+)\}$")
_ERROR_PREFIX = re.compile(r"^(?:error|http status|http error)\s+\d{3}\s*[-:]?\s*", re.IGNORECASE)
_REMOTE_REF = re.compile(r"^refs/remotes/[^/]+/")


class _Branch(msgspec.Struct):
    name: str | None = None


class _Revision(msgspec.Struct):
    SHA1: str | None = None
    branch: list[_Branch] = []


class _Action(msgspec.Struct):
    """An entry of ``actions``; only the Git plugin's ``BuildData`` carries a revision."""

    lastBuiltRevision: _Revision | None = None


class _Build(msgspec.Struct):
    """The fields of a Jenkins ``Run`` that the mapping reads."""

    number: int
    fullDisplayName: str | None = None
    building: bool | None = None
    result: str | None = None
    timestamp: int | None = None
    duration: int | None = None
    actions: list[_Action | None] = []


class _BuildList(msgspec.Struct):
    allBuilds: list[msgspec.Raw] = []


_build_decoder = msgspec.json.Decoder(_Build)
_list_decoder = msgspec.json.Decoder(_BuildList)


def _branch(name: str | None) -> str | None:
    """The branch a Git ``BuildData`` names, without the remote-tracking prefix.

    The Git plugin names the branch after its remote-tracking ref: ``refs/remotes/origin/main``
    or ``origin/main`` (multibranch jobs give the bare ``main``). The head branch is the part
    after the remote; only the conventional remote ``origin`` is stripped from the short form,
    since any other first part may be part of a branch name such as ``feature/x``.
    """
    if not name:
        return None
    if name.startswith("refs/heads/"):
        return name[len("refs/heads/"):]
    stripped = _REMOTE_REF.sub("", name, count=1)
    if stripped != name:
        return stripped
    return name[len("origin/"):] if name.startswith("origin/") else name


def _to_job(payload: bytes | msgspec.Raw) -> Job:
    b = _build_decoder.decode(payload)
    # MAPPING.md: building -> in_progress, otherwise completed. A listing whose tree left out
    # `building` is judged by `result`, which Jenkins sets once the build has ended.
    building = b.building if b.building is not None else (None if b.result is None else False)
    status = None if building is None else (Status.IN_PROGRESS if building else Status.COMPLETED)
    # While building, `result` may hold an intermediate value (Run.getResult): not a conclusion.
    conclusion = None if building else translate(b.result, CONCLUSION)
    revision = next((a.lastBuiltRevision for a in b.actions if a and a.lastBuiltRevision), None)
    started = from_epoch_ms(b.timestamp, "timestamp")
    completed = (from_epoch_ms(b.timestamp + (b.duration or 0), "duration")
                 if building is False and b.timestamp is not None else None)
    return Job(
        id=str(b.number),
        name=b.fullDisplayName,
        status=status,
        conclusion=conclusion,
        commit=revision.SHA1 if revision else None,
        branch=_branch(revision.branch[0].name) if revision and revision.branch else None,
        started_at=started,
        completed_at=completed,
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _job_path(job: str) -> str:
    """``folder/sub/name`` as ``/job/folder/job/sub/job/name``, each part its own segment."""
    return "".join(f"/job/{segment(part)}" for part in job.split("/"))


@hookimpl
def describe_provider(provider: str) -> ProviderInfo | None:
    return INFO if provider == NAME else None


@hookimpl
def required_params(provider: str, operation: str) -> list[Param] | None:
    if provider != NAME:
        return None
    return [Param(name="job", kind="path",
                  description="the job's full name, folders separated by '/', e.g. team/api/main")]


@hookimpl
def authenticate(provider: str, credentials: Credentials) -> dict[str, str] | None:
    if provider != NAME:
        return None
    secret = credentials.token or credentials.password
    if not secret and not credentials.username:
        return {}
    if not secret or not credentials.username:
        missing, where = (
            ("user name", "--username or UNCI_JENKINS_USERNAME / JENKINS_USER_ID / JENKINS_USER")
            if secret else
            ("API token", "--token or UNCI_JENKINS_TOKEN / JENKINS_API_TOKEN (or --password)")
        )
        raise InvalidParam(
            f"{NAME}: Jenkins authenticates with a user name and an API token together; the "
            f"{missing} is missing. Give it with {where}",
            provider=NAME,
        )
    return basic_auth(credentials.username, secret)


@hookimpl
def build_request(provider: str, job_id: str, params: Mapping[str, str]) -> Request | None:
    if provider != NAME:
        return None
    return Request(path=f"{_job_path(params['job'])}/{segment(job_id)}/api/json")


@hookimpl
def map_job(provider: str, payload: bytes) -> Job | None:
    if provider != NAME:
        return None
    return _to_job(payload)


@hookimpl
def error_message(provider: str, payload: bytes) -> str | None:
    """Jenkins answers errors with its servlet container's HTML page; the reason is its title.

    (``<title>Error 401 Invalid password/token for user: x</title>`` from Jetty.) Anything
    else is left to the core's fallback.
    """
    if provider != NAME:
        return None
    title = page_title(payload)
    return (_ERROR_PREFIX.sub("", title) or None) if title else None


def _list_request(path: str, start: int, size: int) -> Request:
    return Request(path=path, query=[("tree", f"allBuilds[{_BUILD_TREE}]{{{start},{start + size}}}")])


@hookimpl
def build_list_request(provider: str, params: Mapping[str, str], limit: int | None) -> Request | None:
    if provider != NAME:
        return None
    size = max(1, min(limit or MAX_PER_PAGE, MAX_PER_PAGE))
    return _list_request(f"{_job_path(params['job'])}/api/json", 0, size)


@hookimpl
def map_job_page(provider: str, payload: bytes, request: Request) -> Page | None:
    if provider != NAME:
        return None
    builds = _list_decoder.decode(payload).allBuilds
    tree = dict(request.query).get("tree", "")
    match = _RANGE.search(tree)
    nxt = None
    if match:
        start, end = int(match.group(1)), int(match.group(2))
        # A short page is the last one; a full page may have more behind it.
        if end > start and len(builds) >= end - start:
            nxt = _list_request(request.path, end, end - start)
    return Page(jobs=[_to_job(raw) for raw in builds], next=nxt)


@hookimpl
def identity_request(provider: str) -> Request | None:
    """Jenkins' ``/me/api/json``: the user the credentials log in as (``anonymous`` without)."""
    return Request(path="/me/api/json") if provider == NAME else None


@hookimpl
def read_identity(provider: str, payload: bytes) -> str | None:
    if provider != NAME:
        return None
    return user_at(payload, "id", "fullName")
