"""CircleCI (API v2) jobs and workflows as unified unci Jobs and Builds.

Endpoints: ``GET /project/{project-slug}/job/{job-number}`` for one job ("Job Details"),
``GET /workflow/{id}/job`` for the jobs of one workflow, ``GET /workflow/{id}`` then its
``GET /pipeline/{id}`` for one build, and ``GET /project/{project-slug}/pipeline`` then
``GET /pipeline/{id}/workflow`` for a list of builds (all token-paged with ``page-token``).
A build is a *workflow*: it is what a job's ``latest_workflow`` names, what
``GET /workflow/{id}/job`` lists the jobs of, and what carries an outcome (a pipeline's
``state`` is never one). A job's steps are only in API v1.1
(``GET /api/v1.1/project/{vcs}/{org}/{repo}/{number}``), fetched when asked for.
CircleCI has a single ``status`` word per job and per workflow; both unified fields come from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

import msgspec

from unci.plugin import (
    Build,
    BuildPage,
    BuildQuery,
    Conclusion,
    Cursor,
    Identity,
    InvalidParam,
    Job,
    LogPart,
    Page,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    Step,
    TokenHeader,
    Trigger,
    as_str,
    segment,
    segments,
    translate,
    utc,
)
from unci.plugin import outcome as job_outcome

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
#: A workflow's ``status`` (the v2 Workflow enum) -> (status, conclusion). ``failing`` is a
#: workflow still running with a failed job; ``error`` one whose config could not run.
WORKFLOW = {
    "on_hold": (Status.QUEUED, None),
    "running": (Status.IN_PROGRESS, None),
    "failing": (Status.IN_PROGRESS, None),
    "success": (Status.COMPLETED, Conclusion.PASSED),
    "failed": (Status.COMPLETED, Conclusion.FAILED),
    "error": (Status.COMPLETED, Conclusion.FAILED),
    "canceled": (Status.COMPLETED, Conclusion.CANCELLED),
    "not_run": (Status.COMPLETED, Conclusion.SKIPPED),
}
#: A pipeline's ``trigger.type`` -> unified trigger. ``webhook`` is a push to the repository;
#: ``explicit`` (the API or the app's button, CircleCI does not say which) passes through raw.
TRIGGER = {
    "webhook": Trigger.PUSH,
    "api": Trigger.API,
    "schedule": Trigger.CRON,
    "scheduled_pipeline": Trigger.CRON,
}
#: The v1.1 API names the VCS in full where v2 slugs abbreviate it.
V1_VCS = {"gh": "github", "github": "github", "bb": "bitbucket", "bitbucket": "bitbucket"}

INFO = ProviderInfo(
    name=NAME,
    title="CircleCI",
    base_url=CLOUD,
    base_urls={"cloud": CLOUD},
    self_hosted="https://HOST/api/v2 (CircleCI server)",
    token_env=("CIRCLE_TOKEN", "CIRCLECI_CLI_TOKEN"),
    auth="Circle-Token: <personal API token> (project tokens are not accepted by API v2); "
    "CircleCI server: --base-url https://<server-host>/api/v2",
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
        "created_at",
        "completed_at",
    ),
    docs_url="https://circleci.com/docs/api/v2/index.html#operation/getJobDetails",
)


class _Workflow(msgspec.Struct):
    id: str | None = None


class _Message(msgspec.Struct):
    message: str | None = None


class _Job(msgspec.Struct):
    """The fields of CircleCI's "Job Details" that the mapping reads.

    ``number`` is required (as CircleCI documents it): a body without it is not a job, and
    must not become one that carries only the id that was asked for.
    """

    number: int
    name: str | None = None
    status: str | None = None
    web_url: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    latest_workflow: _Workflow | None = None
    messages: list[_Message] | None = None


class _ListedJob(msgspec.Struct):
    """A job of ``GET /workflow/{id}/job``: a UUID ``id`` and, except for approval jobs, a number.

    ``id`` is required (as CircleCI documents it), so that no listed job is left without one.
    """

    id: Annotated[str, msgspec.Meta(min_length=1)]  # an empty id is no id
    job_number: int | None = None
    name: str | None = None
    status: str | None = None
    project_slug: str | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None


class _Items(msgspec.Struct):
    items: list[msgspec.Raw] = []
    # Absent rather than null on some last pages (pycircleci#36): both mean "no more pages".
    next_page_token: str | None = None


class _Actor(msgspec.Struct):
    login: str | None = None


class _Trigger(msgspec.Struct):
    type: str | None = None
    actor: _Actor | None = None


class _Vcs(msgspec.Struct):
    revision: str | None = None
    branch: str | None = None


class _Pipeline(msgspec.Struct):
    """A pipeline of ``GET /project/{slug}/pipeline``: what its workflows have in common."""

    id: Annotated[str, msgspec.Meta(min_length=1)]
    number: int | None = None
    project_slug: str | None = None
    trigger: _Trigger | None = None
    vcs: _Vcs | None = None


class _WorkflowRun(msgspec.Struct):
    """A workflow (``GET /workflow/{id}``, or an item of ``GET /pipeline/{id}/workflow``)."""

    id: Annotated[str, msgspec.Meta(min_length=1)]
    name: str | None = None
    status: str | None = None
    pipeline_id: str | None = None
    pipeline_number: int | None = None
    project_slug: str | None = None
    created_at: datetime | None = None
    stopped_at: datetime | None = None


class _Action(msgspec.Struct):
    status: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None


class _V1Step(msgspec.Struct):
    name: str | None = None
    actions: list[_Action] = []


class _V1Build(msgspec.Struct):
    """The part of a v1.1 "Single Job" that holds its steps (one action per parallel run)."""

    steps: list[_V1Step] = []


_job_decoder = msgspec.json.Decoder(_Job)
_listed_decoder = msgspec.json.Decoder(_ListedJob)
_items_decoder = msgspec.json.Decoder(_Items)
_pipeline_decoder = msgspec.json.Decoder(_Pipeline)
_workflow_decoder = msgspec.json.Decoder(_WorkflowRun)
_v1_decoder = msgspec.json.Decoder(_V1Build)


def outcome(value: str | None) -> tuple[str | None, str | None]:
    """Unified (status, conclusion) from CircleCI's one ``status`` word.

    A word CircleCI has not documented passes through raw in both fields: we cannot tell
    whether it ended the job, and dropping it would hide it.
    """
    return job_outcome(value, STATUS, CONCLUSION, undocumented_ended=True)


def workflow_outcome(value: str | None) -> tuple[str | None, str | None]:
    """Unified (status, conclusion) of a workflow; an unknown word passes through in both."""
    if value is None:
        return None, None
    return WORKFLOW.get(value.lower(), (value, value))


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


def _web_root(request: Request) -> str | None:
    """The web app's root: the API root's scheme and host (``circleci.com`` serves both)."""
    parts = urlsplit(request.path)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _job_url(root: str | None, slug: str | None, number: int | None) -> str | None:
    """A listed job's page, written as CircleCI writes ``web_url`` in the job's details
    (``https://circleci.com/gh/org/repo/155``). Only for ``gh``/``bb`` slugs: the opaque
    ``circleci/<org-id>/<project-id>`` ones have no such page documented."""
    if root is None or slug is None or number is None or slug.split("/")[0] not in V1_VCS:
        return None
    return f"{root}/{slug}/{number}"


def _failure_reason(c: _Job, conclusion: str | None) -> str | None:
    """CircleCI's ``messages`` of a job that did not pass, joined; its own words, raw."""
    if conclusion in (None, Conclusion.PASSED) or not c.messages:
        return None
    said = [m.message.strip() for m in c.messages if m.message and m.message.strip()]
    return "; ".join(said) or None


def _listed(raw: msgspec.Raw, build: str | None, root: str | None) -> Job:
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
        url=_job_url(root, item.project_slug, item.job_number),
        remote_data=raw,
    )


def _to_build(payload: bytes | msgspec.Raw) -> Build:
    w = _workflow_decoder.decode(payload)
    status, conclusion = workflow_outcome(w.status)
    return Build(
        id=w.id,
        name=w.name,
        number=as_str(w.pipeline_number),
        repo=w.project_slug,
        workflow=w.name,
        status=status,
        conclusion=conclusion,
        created_at=utc(w.created_at, "created_at"),
        completed_at=utc(w.stopped_at, "stopped_at"),
        remote_data=payload if isinstance(payload, msgspec.Raw) else msgspec.Raw(payload),
    )


def _stand_in(raw: msgspec.Raw) -> tuple[Build, str]:
    """A pipeline as the stand-in for its workflows: the fields they share (number, trigger,
    actor, commit, branch), and the pipeline id. Its ``state`` is no outcome, so no status."""
    p = _pipeline_decoder.decode(raw)
    trigger, vcs = p.trigger, p.vcs
    build = Build(
        id=p.id,
        number=as_str(p.number),
        repo=p.project_slug,
        trigger=translate(trigger.type, TRIGGER) if trigger else None,
        triggered_by=trigger.actor.login if trigger and trigger.actor else None,
        commit=vcs.revision if vcs else None,
        branch=vcs.branch if vcs else None,
    )
    return build, p.id


def _step(number: int, step: _V1Step) -> Step:
    """One v1.1 step; with parallelism it has one action per run, summed up: running while any
    runs, else the first outcome that is not a pass, else passed; from the first start to the
    last end (no end while any action has none)."""
    states = [outcome(a.status) for a in step.actions]
    pending = [s for s in states if s[0] not in (Status.COMPLETED, None)]
    failing = [s for s in states if s[1] not in (Conclusion.PASSED, None)]
    status, conclusion = (pending or failing or states or [(None, None)])[0]
    starts = [a.start_time for a in step.actions if a.start_time is not None]
    ends = [a.end_time for a in step.actions]
    return Step(
        number=number,
        name=step.name,
        status=status,
        conclusion=conclusion,
        started_at=utc(min(starts), "steps.actions.start_time") if starts else None,
        completed_at=utc(max(e for e in ends if e is not None), "steps.actions.end_time")
        if ends and all(e is not None for e in ends)
        else None,
    )


_SLUG = Param(
    name="project_slug",
    description="the project slug, vcs_provider/org_name/repo_name (e.g. gh/acme/api, "
    "or circleci/<org-id>/<project-id> for GitHub App and GitLab projects)",
    kind="path",
)


class CircleCI(Provider):
    info = INFO
    params = {
        "get": [_SLUG],
        "list": [Param(name="build", description="the workflow id (a UUID) whose jobs to list")],
        "builds": [_SLUG],
        "build": [],
    }
    # Circle-Token rather than Bearer: every CircleCI server release and the cloud accept it.
    auth = TokenHeader("Circle-Token")
    identity = Identity("/me", "login", "name")
    #: ``next_page_token`` sent back as ``page-token``; CircleCI has no page-size parameter.
    paging = Cursor(param="page-token")

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"/project/{_slug(params['project_slug'])}/job/{segment(job_id)}")

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
            url=c.web_url,
            failure_reason=_failure_reason(c, conclusion),
            remote_data=msgspec.Raw(payload),
        )

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        return self.paging.first(self.request(f"/workflow/{segment(params['build'])}/job"), limit)

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        page = _items_decoder.decode(payload)
        root = _web_root(request)
        jobs = [_listed(raw, params.get("build"), root) for raw in page.items]
        return Page(jobs=jobs, next=self.paging.next(request, headers=headers, marker=page.next_page_token))

    # --- builds: a build is a workflow ---------------------------------------------------

    def build_builds_request(
        self, params: Mapping[str, str], query: BuildQuery, limit: int | None
    ) -> Request:
        # Pipelines come newest first; CircleCI filters them on the branch only.
        sent = [("branch", query.branch)] if query.branch else []
        return self.request(f"/project/{_slug(params['project_slug'])}/pipeline", sent)

    def map_build_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> BuildPage:
        page = _items_decoder.decode(payload)
        if request.path.endswith(_WORKFLOWS_OF_PIPELINE):
            # The workflows of one pipeline: the builds its stand-in is replaced by.
            return BuildPage(builds=[_to_build(raw) for raw in page.items])
        builds: list[Build] = []
        expand: list[Request | None] = []
        for raw in page.items:
            stand_in, pipeline = _stand_in(raw)
            builds.append(stand_in)
            expand.append(self.request(f"/pipeline/{segment(pipeline)}{_WORKFLOWS_OF_PIPELINE}"))
        nxt = self.paging.next(request, headers=headers, marker=page.next_page_token)
        return BuildPage(builds=builds, next=nxt, expand=expand)

    def build_build_request(self, build_id: str, params: Mapping[str, str]) -> Request:
        return self.request(f"/workflow/{segment(build_id)}")

    def map_build(self, payload: bytes, build_id: str, params: Mapping[str, str]) -> Build:
        return _to_build(payload)

    def build_build_context_request(self, build: Build, params: Mapping[str, str]) -> Request | None:
        # A workflow names no commit, branch or trigger: its pipeline has them (the values a
        # listed workflow takes from the pipeline it was listed under).
        if build.remote_data is None or None not in (build.commit, build.branch, build.trigger):
            return None
        pipeline = _workflow_decoder.decode(build.remote_data).pipeline_id
        return self.request(f"/pipeline/{segment(pipeline)}") if pipeline else None

    def map_build_context(self, payload: bytes, build: Build, params: Mapping[str, str]) -> Build:
        return _stand_in(msgspec.Raw(payload))[0]

    # --- steps: API v1.1 ------------------------------------------------------------------

    def build_steps_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        """v1.1's single job, beside v2 under the same host (``root="v1.1"``), so
        ``https://circleci.com/api/v2`` and a server's ``https://HOST/api/v2`` both reach it."""
        request = self.request(self._v1_job_path(params["project_slug"], job_id, "steps"))
        return Request(path=request.path, headers=request.headers, root="v1.1")

    def map_steps(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> list[Step]:
        return [_step(n, s) for n, s in enumerate(_v1_decoder.decode(payload).steps, start=1)]

    # --- logs: API v1.1, one per step action ------------------------------------------

    def build_log_parts_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        """API v2 has no logs; v1.1's ``/project/{vcs}/{org}/{repo}/{number}`` lists each step's
        actions with an ``output_url``."""
        return Request(path=self._v1_job_path(params["project_slug"], job_id, "logs"), root="v1.1")

    def _v1_job_path(self, slug: str, job_id: str, what: str) -> str:
        """v1.1's ``/project/{vcs}/{org}/{repo}/{number}``. v1.1 names a project by its VCS
        (``github``, ``bitbucket``); the opaque ``circleci/<org-id>/<project-id>`` slugs of
        GitHub App, GitLab and Bitbucket Data Center projects are v2's alone, and v2 has no
        steps and no logs, so for those the answer is one clear line before any request."""
        _slug(slug)  # three parts, or the usual clear error
        vcs, org, repo = slug.split("/")
        full = V1_VCS.get(vcs.lower())
        if full is None:
            raise self.unsupported(
                f"{what} of {vcs}/ projects: API v2 has no job {what}, and API v1.1, which has "
                "them, addresses only gh/ and bb/ project slugs. For a GitHub App, GitLab or "
                f"Bitbucket Data Center project, see the job's {what} in the CircleCI web app"
            )
        return f"/project/{full}/{segment(org)}/{segment(repo)}/{segment(job_id)}"

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


#: What tells a pipeline's workflow list from the project's pipeline list.
_WORKFLOWS_OF_PIPELINE = "/workflow"

provider = CircleCI()
