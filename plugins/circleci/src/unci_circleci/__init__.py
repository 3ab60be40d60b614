"""CircleCI (API v2) jobs as unified unci Jobs.

Endpoints: ``GET /project/{project-slug}/job/{job-number}`` for one job ("Job Details") and
``GET /workflow/{id}/job`` for the jobs of one workflow (token paging with ``page-token``).
CircleCI has a single ``status`` word per job; both unified fields are read from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

import msgspec

from unci import (
    Conclusion,
    Credentials,
    InvalidParam,
    Job,
    LogPart,
    Page,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    as_str,
    message_at,
    segment,
    segments,
    translate,
    user_at,
    utc,
)

NAME = "circleci"
CLOUD = "https://circleci.com/api/v2"

#: CircleCI job ``status`` -> unified status (docs/mapping.md); keys lower-case.
STATUS = {
    "queued": Status.QUEUED,
    "not_running": Status.QUEUED,
    "blocked": Status.QUEUED,
    "on_hold": Status.QUEUED,
    "running": Status.IN_PROGRESS,
    "success": Status.COMPLETED,
    "failed": Status.COMPLETED,
    "infrastructure_fail": Status.COMPLETED,
    "canceled": Status.COMPLETED,
    "timedout": Status.COMPLETED,
    "not_run": Status.COMPLETED,
    "retried": Status.COMPLETED,
    "terminated-unknown": Status.COMPLETED,
    "unauthorized": Status.COMPLETED,
}
#: CircleCI job ``status`` -> unified conclusion, for the words that end a job. The words that
#: end it without a unified outcome (``terminated-unknown``, ``unauthorized``) are left out on
#: purpose so that ``translate`` passes them through raw.
CONCLUSION = {
    "success": Conclusion.PASSED,
    "failed": Conclusion.FAILED,
    "infrastructure_fail": Conclusion.FAILED,
    "canceled": Conclusion.CANCELLED,
    "timedout": Conclusion.TIMEOUT,
    "not_run": Conclusion.SKIPPED,
    "retried": Conclusion.RETRIED,
}
_NOT_ENDED = (Status.QUEUED, Status.IN_PROGRESS)

INFO = ProviderInfo(
    name=NAME,
    title="CircleCI",
    base_url=CLOUD,
    base_urls={"cloud": CLOUD},
    self_hosted="https://HOST/api/v2 (CircleCI server)",
    token_env=("CIRCLE_TOKEN", "CIRCLECI_CLI_TOKEN"),
    auth="Circle-Token: <personal API token> (project tokens are not accepted by API v2); "
    "CircleCI server: --base-url https://<server-host>/api/v2",
    fields=("id", "name", "build", "status", "conclusion", "created_at", "started_at", "completed_at"),
    docs_url="https://circleci.com/docs/api/v2/index.html#operation/getJobDetails",
)


class _Workflow(msgspec.Struct):
    id: str | None = None


class _Job(msgspec.Struct):
    """The fields of CircleCI's "Job Details" that the mapping reads.

    ``number`` is required (as CircleCI documents it): a body without it is not a job, and
    must not become one that carries only the id that was asked for.
    """

    number: int
    name: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    latest_workflow: _Workflow | None = None


class _ListedJob(msgspec.Struct):
    """A job of ``GET /workflow/{id}/job``: a UUID ``id`` and, except for approval jobs, a number.

    ``id`` is required (as CircleCI documents it), so that no listed job is left without one.
    """

    id: Annotated[str, msgspec.Meta(min_length=1)]  # an empty id is no id
    job_number: int | None = None
    name: str | None = None
    status: str | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None


class _JobList(msgspec.Struct):
    items: list[msgspec.Raw] = []
    # Absent rather than null on some last pages (pycircleci#36): both mean "no more pages".
    next_page_token: str | None = None


_job_decoder = msgspec.json.Decoder(_Job)
_listed_decoder = msgspec.json.Decoder(_ListedJob)
_list_decoder = msgspec.json.Decoder(_JobList)


def outcome(value: str | None) -> tuple[str | None, str | None]:
    """Unified (status, conclusion) from CircleCI's one ``status`` word.

    A word CircleCI has not documented passes through raw in both fields: we cannot tell
    whether it ended the job, and dropping it would hide it.
    """
    status = translate(value, STATUS)
    conclusion = None if status in _NOT_ENDED else translate(value, CONCLUSION)
    return status, conclusion


def _slug(value: str) -> str:
    """The slug's three parts, each percent-encoded, its two ``/`` kept as separators.

    A slug of another length would address a different endpoint (or none), so it is refused
    before any request, with the form it must take.
    """
    if len(value.split("/")) != 3:
        raise InvalidParam(
            f"{NAME}: parameter 'project_slug' {value!r} must have three parts, "
            "vcs_provider/org_name/repo_name (e.g. gh/acme/api)",
            provider=NAME,
        )
    return segments(value)


def _listed(raw: msgspec.Raw, build: str | None) -> Job:
    item = _listed_decoder.decode(raw)
    status, conclusion = outcome(item.status)
    return Job(
        # The job number is what ``jobs get`` addresses; approval jobs have none, only a UUID.
        id=as_str(item.job_number) or item.id,
        name=item.name,
        build=build,
        status=status,
        conclusion=conclusion,
        started_at=utc(item.started_at, "started_at"),
        completed_at=utc(item.stopped_at, "stopped_at"),
        remote_data=raw,
    )


class CircleCI(Provider):
    info = INFO

    def required_params(self, operation: str) -> list[Param]:
        if operation == "list":
            return [Param(name="build", description="the workflow id (a UUID) whose jobs to list")]
        return [
            Param(
                name="project_slug",
                description="the project slug, vcs_provider/org_name/repo_name (e.g. gh/acme/api, "
                "or circleci/<org-id>/<project-id> for GitHub App and GitLab projects)",
                kind="path",
            )
        ]

    def authenticate(self, credentials: Credentials) -> dict[str, str]:
        # Circle-Token rather than Bearer: every CircleCI server release and the cloud accept it.
        return {"Circle-Token": credentials.token} if credentials.token else {}

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return Request(path=f"/project/{_slug(params['project_slug'])}/job/{segment(job_id)}")

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        c = _job_decoder.decode(payload)
        status, conclusion = outcome(c.status)
        return Job(
            id=str(c.number),
            name=c.name,
            build=c.latest_workflow.id if c.latest_workflow else None,
            status=status,
            conclusion=conclusion,
            created_at=utc(c.created_at, "created_at"),
            started_at=utc(c.started_at, "started_at"),
            completed_at=utc(c.stopped_at, "stopped_at"),
            remote_data=msgspec.Raw(payload),
        )

    def error_message(self, status_code: int, payload: bytes) -> str | None:
        return message_at(payload, "message")

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        return Request(path=f"/workflow/{segment(params['build'])}/job")

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        page = _list_decoder.decode(payload)
        jobs = [_listed(raw, params.get("build")) for raw in page.items]
        if not page.next_page_token:
            return Page(jobs=jobs)
        query = [(k, v) for k, v in request.query if k != "page-token"]
        query.append(("page-token", page.next_page_token))
        return Page(jobs=jobs, next=Request(path=request.path, query=query, headers=dict(request.headers)))

    def identity_request(self, params: Mapping[str, str]) -> Request:
        """CircleCI's ``GET /me``: the token's user."""
        return Request(path="/me")

    def read_identity(self, payload: bytes) -> str | None:
        return user_at(payload, "login", "name")

    # --- logs: API v1.1, one per step action ------------------------------------------

    def build_log_parts_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        """API v2 has no logs; v1.1's ``/project/{vcs}/{org}/{repo}/{number}`` lists each step's
        actions with an ``output_url``."""
        _slug(params["project_slug"])  # three parts, or the usual clear error
        vcs, org, repo = params["project_slug"].split("/")
        if vcs.lower() not in _V1_VCS:
            raise self.unsupported(
                f"logs of {vcs}/ projects (API v1.1 serves only gh/ and bb/ project slugs)"
            )
        path = f"/project/{_V1_VCS[vcs.lower()]}/{segment(org)}/{segment(repo)}/{segment(job_id)}"
        return Request(path=path, root="v1.1")

    def map_log_parts(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> list[LogPart]:
        parts = []
        for step in _log_build_decoder.decode(payload).steps:
            several = len(step.actions) > 1
            for action in step.actions:
                if not action.output_url:
                    continue
                name = step.name or action.name
                if several and action.index is not None:
                    name = f"{name} (container {action.index})"
                status = (action.status or "").lower()
                parts.append(
                    LogPart(
                        request=Request(path=action.output_url),
                        name=name,
                        failed=bool(action.failed) or status in ("failed", "timedout", "infrastructure_fail"),
                        complete=status not in ("running", "queued", "not_running"),
                        body="json",
                    )
                )
        return parts

    def read_log_part(self, payload: bytes, part: LogPart) -> bytes:
        """An ``output_url`` answers a JSON array of ``{"message", "type", "time"}``."""
        return "".join(m.message or "" for m in _log_output_decoder.decode(payload)).encode()


#: API v1.1's names for the v2 slug's VCS part.
_V1_VCS = {"gh": "github", "github": "github", "bb": "bitbucket", "bitbucket": "bitbucket"}


class _LogAction(msgspec.Struct):
    name: str | None = None
    status: str | None = None
    failed: bool | None = None
    index: int | None = None
    output_url: str | None = None


class _LogStep(msgspec.Struct):
    name: str | None = None
    actions: list[_LogAction] = []


class _LogBuild(msgspec.Struct):
    steps: list[_LogStep] = []


class _LogMessage(msgspec.Struct):
    message: str | None = None


_log_build_decoder = msgspec.json.Decoder(_LogBuild)
_log_output_decoder = msgspec.json.Decoder(list[_LogMessage])


provider = CircleCI()
