"""Jenkins builds as unified unci Jobs and Builds.

In Jenkins a *job* is the project definition and one execution of it is a *build*; the build is
what the unified record calls a job, and also the unified build (its job is itself). Endpoints,
under the instance's root URL (always self-hosted, often with a context path such as
``https://ci.example.com/jenkins``):

- one build: ``GET /job/{a}/job/{b}/{number}/api/json`` (``{number}`` may also be a permalink
  such as ``lastBuild``);
- the builds of a job: ``GET /job/{a}/job/{b}/api/json?tree=allBuilds[...]{M,N}``. Core Jenkins
  has no page parameters; the ``tree`` range ``{M,N}`` (elements M inclusive to N exclusive,
  newest first) is its only paging, so that range is what the next-page request carries;
- a Pipeline build's stages: ``.../{number}/wfapi/describe`` (Pipeline: Stage View plugin);
- its log: ``.../{number}/consoleText``, and while it runs
  ``.../{number}/logText/progressiveText?start=N`` (``X-Text-Size``, ``X-More-Data``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from unci.bodies import page_title
from unci.plugin import (
    Auth,
    Build,
    BuildPage,
    BuildQuery,
    Conclusion,
    Credentials,
    Identity,
    InvalidParam,
    Job,
    LogRange,
    Page,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    Step,
    basic_auth,
    from_epoch_ms,
    segment,
    translate,
)

NAME = "jenkins"
#: Builds per page when the caller gives no limit, and the most we ask for at once: the size of
#: Jenkins' own ``builds`` list, which keeps one answer at a size a controller serves quickly.
MAX_PER_PAGE = 100

CONCLUSION = {
    "success": Conclusion.PASSED,
    "failure": Conclusion.FAILED,
    "failed": Conclusion.FAILED,  # wfapi's word for a stage
    "aborted": Conclusion.CANCELLED,
    "unstable": Conclusion.PARTIAL,
    "not_built": Conclusion.SKIPPED,
    "not_executed": Conclusion.SKIPPED,  # wfapi
}
#: wfapi stage statuses that are not outcomes.
STAGE_STATUS = {
    "in_progress": Status.IN_PROGRESS,
    "paused_pending_input": Status.IN_PROGRESS,
    "queued": Status.QUEUED,
    "not_executed": Status.COMPLETED,
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
    fields=(
        "id",
        "name",
        "status",
        "conclusion",
        "commit",
        "branch",
        "started_at",
        "completed_at",
        "url",
        "steps",
    ),
    # A build is the run itself: the same fields, and its number.
    build_fields=(
        "id",
        "name",
        "number",
        "status",
        "conclusion",
        "commit",
        "branch",
        "started_at",
        "completed_at",
        "url",
    ),
    docs_url="https://www.jenkins.io/doc/book/using/remote-access-api/",
)

#: What a listed build carries: every field the mapping reads, plus the build's own links.
_BUILD_TREE = (
    "number,id,url,displayName,fullDisplayName,building,result,timestamp,duration,"
    "estimatedDuration,queueId,actions[_class,causes[_class],"
    "lastBuiltRevision[SHA1,branch[name]]]"
)
_RANGE = re.compile(r"\{(\d+),(\d+)\}$")
_ERROR_PREFIX = re.compile(r"^(?:error|http status|http error)\s+\d{3}\s*[-:]?\s*", re.IGNORECASE)
_REMOTE_REF = re.compile(r"^refs/remotes/[^/]+/")


class _Named(msgspec.Struct):
    name: str | None = None


class _Revision(msgspec.Struct):
    SHA1: str | None = None
    branch: list[_Named] = []


class _Class(msgspec.Struct):
    cls: str | None = msgspec.field(default=None, name="_class")


class _Action(msgspec.Struct):
    """An entry of ``actions``: the Git plugin's ``BuildData`` carries a revision, an
    ``InterruptedBuildAction`` the causes of an abort."""

    cls: str | None = msgspec.field(default=None, name="_class")
    causes: list[_Class | None] = []
    lastBuiltRevision: _Revision | None = None


class _Build(msgspec.Struct):
    """The fields of a Jenkins ``Run`` that the mapping reads."""

    number: int
    fullDisplayName: str | None = None
    displayName: str | None = None
    url: str | None = None
    building: bool | None = None
    result: str | None = None
    timestamp: int | None = None
    duration: int | None = None
    actions: list[_Action | None] = []


class _BuildList(msgspec.Struct):
    allBuilds: list[msgspec.Raw] = []


class _Stage(msgspec.Struct):
    name: str | None = None
    status: str | None = None
    startTimeMillis: int | None = None
    durationMillis: int | None = None


class _Describe(msgspec.Struct):
    stages: list[_Stage] = []


_build_decoder = msgspec.json.Decoder(_Build)
_list_decoder = msgspec.json.Decoder(_BuildList)
_describe_decoder = msgspec.json.Decoder(_Describe)


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
        return name[len("refs/heads/") :]
    stripped = _REMOTE_REF.sub("", name, count=1)
    if stripped != name:
        return stripped
    return name[len("origin/") :] if name.startswith("origin/") else name


def _timed_out(b: _Build) -> bool:
    """An abort whose recorded cause is a timeout (``TimeoutStepExecution$ExceededTimeout``,
    the build-timeout plugin's ``TimeOutCause``...): the cause's class says so, nothing else."""
    return any(
        "timeout" in (c.cls or "").lower().replace("_", "")
        for a in b.actions
        if a and (a.cls or "").endswith("InterruptedBuildAction")
        for c in a.causes
        if c
    )


def _read(payload: bytes | msgspec.Raw) -> dict[str, object]:
    b = _build_decoder.decode(payload)
    # building -> in_progress, otherwise completed. A listing whose tree left out `building`
    # is judged by `result`, which Jenkins sets once the build has ended.
    building = b.building if b.building is not None else (None if b.result is None else False)
    status = None if building is None else (Status.IN_PROGRESS if building else Status.COMPLETED)
    # While building, `result` may hold an intermediate value (Run.getResult): not a conclusion.
    conclusion = None if building else translate(b.result, CONCLUSION)
    if conclusion == Conclusion.CANCELLED and _timed_out(b):
        conclusion = Conclusion.TIMEOUT
    # The first Git BuildData, commit and branch both from it: a Pipeline checks out its own
    # repository (the Jenkinsfile's) before any shared library, and Jenkins keeps that order.
    revision = next((a.lastBuiltRevision for a in b.actions if a and a.lastBuiltRevision), None)
    started = from_epoch_ms(b.timestamp, "timestamp")
    completed = (
        from_epoch_ms(b.timestamp + (b.duration or 0), "duration")
        if building is False and b.timestamp is not None
        else None
    )
    return {
        "id": str(b.number),
        "name": b.fullDisplayName or b.displayName,
        "url": b.url,
        "status": status,
        "conclusion": conclusion,
        "commit": revision.SHA1 if revision else None,
        "branch": _branch(revision.branch[0].name) if revision and revision.branch else None,
        "started_at": started,
        "completed_at": completed,
        "remote_data": payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    }


def _to_job(payload: bytes | msgspec.Raw) -> Job:
    return Job(**_read(payload))  # type: ignore[arg-type]


def _to_build(payload: bytes | msgspec.Raw) -> Build:
    fields = _read(payload)
    return Build(number=fields["id"], **fields)  # type: ignore[arg-type]


def _job_path(job: str) -> str:
    """``folder/sub/name`` as ``/job/folder/job/sub/job/name``, each part its own segment."""
    return "".join(f"/job/{segment(part)}" for part in job.split("/"))


class _UserAndToken(Auth, frozen=True):
    """Basic with the user name and the API token together; half a pair is a usage error that
    says which half, instead of an anonymous request that fails further on."""

    def headers(self, credentials: Credentials) -> dict[str, str]:
        secret = credentials.token or credentials.password
        if bool(secret) != bool(credentials.username):
            if secret:
                missing, variables = "user name", "UNCI_JENKINS_USERNAME / JENKINS_USER_ID / JENKINS_USER"
                cli, py = f"--username or {variables}", f"username= or {variables}"
            else:
                missing, variables = "API token", "UNCI_JENKINS_TOKEN / JENKINS_API_TOKEN"
                cli, py = f"--token or {variables} (or --password)", f"token= or {variables} (or password=)"
            raise InvalidParam(
                f"{NAME}: Jenkins authenticates with a user name and an API token "
                f"together; the {missing} is missing",
                hint=f"Give it with {cli}",
                py_hint=f"Give it with {py}",
                provider=NAME,
            )
        return basic_auth(credentials.username, secret) if secret else {}


_JOB = Param(
    name="job", kind="path", description="the job's full name, folders separated by '/', e.g. team/api/main"
)


class Jenkins(Provider):
    info = INFO
    params = {"get": [_JOB], "list": [_JOB], "builds": [_JOB], "build": [_JOB]}
    auth = _UserAndToken()
    error_keys = ()
    # Jenkins' /me/api/json: the user the credentials log in as (`anonymous` without).
    identity = Identity("/me/api/json", "id", "fullName")

    def _build_path(self, number: str, params: Mapping[str, str]) -> str:
        return f"{_job_path(params['job'])}/{segment(number)}"

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"{self._build_path(job_id, params)}/api/json")

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        return _to_job(payload)

    def error_message(self, status_code: int, payload: bytes) -> str | None:
        """Jenkins answers errors with its servlet container's HTML page; the reason is its
        title (``<title>Error 401 Invalid password/token for user: x</title>`` from Jetty)."""
        title = page_title(payload)
        return (_ERROR_PREFIX.sub("", title) or None) if title else None

    # --- the builds of a job: tree ranges are the paging ---------------------------------

    def _range(self, params: Mapping[str, str], limit: int | None) -> Request:
        size = max(1, min(limit or MAX_PER_PAGE, MAX_PER_PAGE))
        return _range_request(f"{_job_path(params['job'])}/api/json", 0, size)

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        return self._range(params, limit)

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        builds = _list_decoder.decode(payload).allBuilds
        return Page(jobs=[_to_job(raw) for raw in builds], next=_next_range(request, len(builds)))

    def build_builds_request(
        self, params: Mapping[str, str], query: BuildQuery, limit: int | None
    ) -> Request:
        # No filter of Jenkins' own: newest first by number, the core filters and stops.
        return self._range(params, limit)

    def map_build_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> BuildPage:
        builds = _list_decoder.decode(payload).allBuilds
        return BuildPage(builds=[_to_build(raw) for raw in builds], next=_next_range(request, len(builds)))

    def build_build_request(self, build_id: str, params: Mapping[str, str]) -> Request:
        return self.build_request(build_id, params)

    def map_build(self, payload: bytes, build_id: str, params: Mapping[str, str]) -> Build:
        return _to_build(payload)

    # --- inside a build ------------------------------------------------------------------

    def build_steps_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"{self._build_path(job_id, params)}/wfapi/describe")

    def map_steps(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> list[Step]:
        """A Pipeline's stages; wfapi's ``status`` is both the state and the outcome."""
        steps = []
        for number, stage in enumerate(_describe_decoder.decode(payload).stages, 1):
            start_ms = stage.startTimeMillis or None
            started = from_epoch_ms(start_ms, "startTimeMillis")
            status = translate(stage.status, STAGE_STATUS)
            done = status not in (Status.IN_PROGRESS, Status.QUEUED)
            steps.append(
                Step(
                    number=number,
                    name=stage.name,
                    status=Status.COMPLETED if done else status,
                    conclusion=translate(stage.status, CONCLUSION) if done else None,
                    started_at=started,
                    completed_at=from_epoch_ms(start_ms + (stage.durationMillis or 0), "durationMillis")
                    if done and start_ms is not None
                    else None,
                )
            )
        return steps

    def build_log_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"{self._build_path(job_id, params)}/consoleText")

    def build_log_range_request(self, job_id: str, params: Mapping[str, str], offset: int) -> Request:
        """``logText/progressiveText?start=N``: the console from byte N on, as it grows."""
        return self.request(
            f"{self._build_path(job_id, params)}/logText/progressiveText", [("start", str(offset))]
        )

    def read_log_range(self, status_code: int, headers: Mapping[str, str], offset: int) -> LogRange:
        """``X-Text-Size`` is where the next read starts; ``X-More-Data: true`` while the build
        runs (absent once it has ended)."""
        size = headers.get("x-text-size", "").strip()
        return LogRange(
            next_offset=int(size) if size.isdigit() else None,
            more=headers.get("x-more-data", "").strip().lower() == "true",
        )


def _range_request(path: str, start: int, size: int) -> Request:
    return Request(path=path, query=[("tree", f"allBuilds[{_BUILD_TREE}]{{{start},{start + size}}}")])


def _next_range(request: Request, count: int) -> Request | None:
    """The next ``{M,N}`` range: a short page is the last one, a full page may have more."""
    match = _RANGE.search(dict(request.query).get("tree", ""))
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    return _range_request(request.path, end, end - start) if end > start and count >= end - start else None


provider = Jenkins()
