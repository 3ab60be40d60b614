"""Woodpecker CI workflows and steps as unified unci Jobs: a worked third-party provider.

``GET /api/repos/{repo_id}/pipelines/{number}`` answers the whole pipeline, ``workflows[]`` with
their steps in ``children[]``; both share one numbering, the ``pid`` (the last number of a step's
web UI URL), so a job is picked out of its pipeline by pid. Fields: Woodpecker's Go models.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from unci.plugin import (
    Conclusion,
    Identity,
    InvalidParam,
    Job,
    Page,
    Param,
    Provider,
    ProviderInfo,
    Request,
    Status,
    from_epoch,
    outcome,
    segment,
)

NAME = "woodpecker"
#: Woodpecker's ``StatusValue`` (server/model/const.go) as unified words.
CONCLUSION = {
    "success": Conclusion.PASSED,
    "failure": Conclusion.FAILED,
    "error": Conclusion.FAILED,  # bad config or a system problem
    "killed": Conclusion.CANCELLED,  # stopped by a user
    "canceled": Conclusion.CANCELLED,  # cancelled before it started
    "skipped": Conclusion.SKIPPED,
}
#: Every word with a conclusion ended the job; so did ``declined``, whose conclusion stays raw.
STATUS = {
    **dict.fromkeys(("created", "pending", "blocked"), Status.QUEUED),  # blocked: awaits approval
    "running": Status.IN_PROGRESS,
    **dict.fromkeys((*CONCLUSION, "declined"), Status.COMPLETED),
}
FIELDS = ("id", "name", "build", "status", "conclusion", "commit", "branch", "started_at", "completed_at")
LOOKUP = "GET /api/repos/lookup/<owner>/<name>"
STEP_URL = "/repos/<repo_id>/pipeline/<number>/<step>"
PARAMS = [
    Param(name="repo_id", description="the repository's numeric id, e.g. 1"),
    Param(name="build", description="the pipeline number, e.g. 8 (or 'latest')"),
]


class _Step(msgspec.Struct):  # a workflow or a step: both models have these fields
    pid: int
    name: str | None = None
    state: str | None = None
    started: int | None = None
    finished: int | None = None
    children: list[msgspec.Raw] = []


class _Pipeline(msgspec.Struct):
    number: int
    event: str | None = None
    commit: str | None = None
    branch: str | None = None
    refspec: str | None = None
    workflows: list[msgspec.Raw] | None = None


_pipeline = msgspec.json.Decoder(_Pipeline)
_step = msgspec.json.Decoder(_Step)


def _branch(p: _Pipeline) -> str | None:
    """The head branch: a pull request's ``branch`` is its target, its head is in the refspec."""
    if (p.event or "").startswith("pull_request") and ":" in (p.refspec or ""):
        return (p.refspec or "").split(":", 1)[0] or None
    return None if p.event == "tag" else p.branch or None


def _to_job(raw: msgspec.Raw, pipeline: _Pipeline, step: _Step | None = None) -> Job:
    step = step or _step.decode(raw)
    status, conclusion = outcome(step.state, STATUS, CONCLUSION)
    return Job(
        id=str(step.pid),
        name=step.name,
        build=str(pipeline.number),
        status=status,
        conclusion=conclusion,
        commit=pipeline.commit or None,
        branch=_branch(pipeline),
        started_at=from_epoch(step.started, "started"),  # 0 (or absent) means not yet
        completed_at=from_epoch(step.finished, "finished"),
        remote_data=raw,
    )


def _number(what: str, value: str, hint: str, *, latest: bool = False) -> str:
    """Woodpecker addresses everything by number: refused here, with a hint, not sent for a 400."""
    if value.isdigit() or (latest and value == "latest"):
        return segment(value)
    raise InvalidParam(f"{NAME}: {what} {value!r} is not a number; {hint}", provider=NAME)


class Woodpecker(Provider):
    """Facts as data (Bearer auth is the default); hooks only where Woodpecker differs. Its
    plain-text errors need no hook: the core reads a body that is not JSON as the message."""

    info = ProviderInfo(
        name=NAME,
        title="Woodpecker CI",
        base_url="https://ci.codeberg.org",  # self-hosted; Codeberg's is the biggest public one
        base_urls={"codeberg": "https://ci.codeberg.org"},
        token_env=("WOODPECKER_TOKEN",),
        auth="Authorization: Bearer <personal access token>; public repositories need none. "
        "Give your server's address with --base-url",
        fields=FIELDS,
        docs_url="https://woodpecker-ci.org/api",
    )
    params = {"get": PARAMS, "list": PARAMS}
    identity = Identity("/api/user", "login", "login")

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        """The pipeline comes whole, with every workflow: no paging, so no page size either."""
        repo = _number("repo_id", params["repo_id"], f"give the repository's numeric id ({LOOKUP} shows it)")
        build = _number("build", params["build"], "give the pipeline number, or 'latest'", latest=True)
        return self.request(f"/api/repos/{repo}/pipelines/{build}")

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        _number("job id", job_id, f"give the step's number, the last in its web UI URL ({STEP_URL})")
        return self.build_list_request(params, None)

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        pipeline, seen = _pipeline.decode(payload), []
        wanted = int(job_id) if job_id.isdigit() else -1
        for raw in pipeline.workflows or []:
            workflow = _step.decode(raw)
            for body in (raw, *workflow.children):
                step = workflow if body is raw else _step.decode(body)
                if step.pid == wanted:
                    return _to_job(body, pipeline, step)
                seen.append(f"{step.pid} ({step.name})")
        there = f"its workflows and steps are {', '.join(seen)}" if seen else "it has no workflows yet"
        where = f"pipeline {pipeline.number} of repository {params['repo_id']}"
        raise self.not_found(f"{where} has no step {job_id}; {there}")

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        """A pipeline's jobs are its workflows (each runs on one agent, as a job does elsewhere);
        their steps are reached by pid with ``jobs get``."""
        pipeline = _pipeline.decode(payload)
        return Page(jobs=[_to_job(raw, pipeline) for raw in pipeline.workflows or []])


provider = Woodpecker()
