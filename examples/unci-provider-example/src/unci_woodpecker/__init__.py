"""Woodpecker CI pipelines' workflows and steps as unified unci Jobs: a worked third-party provider.

Woodpecker (https://woodpecker-ci.org) answers ``GET /api/repos/{repo_id}/pipelines/{number}``
with the whole pipeline: ``workflows[]``, each with its steps in ``children[]``. Workflows and
steps share one numbering inside a pipeline, the ``pid``, which is also what the web UI puts in
its URLs (``/repos/{repo_id}/pipeline/{number}/{pid}``). So a job here is a workflow or a step,
addressed by its pid; the plugin fetches the pipeline and picks the job out of it, the way the
Azure DevOps provider picks a record out of a build's timeline.

Field names follow Woodpecker's Go models (server/model/pipeline.go, workflow.go, step.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

import msgspec

from unci.errors import NotFound
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
    segment,
)

__version__ = "0.1.0"

NAME = "woodpecker"

#: Woodpecker's ``StatusValue`` (server/model/const.go) -> unified status and conclusion.
STATES: dict[str, tuple[str, str | None]] = {
    "created": (Status.QUEUED, None),
    "pending": (Status.QUEUED, None),
    "blocked": (Status.QUEUED, None),  # waiting for approval
    "running": (Status.IN_PROGRESS, None),
    "success": (Status.COMPLETED, Conclusion.PASSED),
    "failure": (Status.COMPLETED, Conclusion.FAILED),
    "error": (Status.COMPLETED, Conclusion.FAILED),  # bad config or a system problem
    "killed": (Status.COMPLETED, Conclusion.CANCELLED),  # stopped by a user
    "canceled": (Status.COMPLETED, Conclusion.CANCELLED),  # cancelled before it started
    "skipped": (Status.COMPLETED, Conclusion.SKIPPED),
    # declined (approval refused): ended, so completed; the conclusion passes through raw.
}

INFO = ProviderInfo(
    name=NAME,
    title="Woodpecker CI",
    # Woodpecker is self-hosted; Codeberg's public instance is the biggest one.
    base_url="https://ci.codeberg.org",
    base_urls={"codeberg": "https://ci.codeberg.org"},
    token_env=("WOODPECKER_TOKEN",),
    auth="Authorization: Bearer <personal access token> (User settings -> Personal access token); "
    "public repositories need none. Give your server's address with --base-url",
    fields=("id", "name", "build", "status", "conclusion", "commit", "branch", "started_at", "completed_at"),
    docs_url="https://woodpecker-ci.org/api",
)


class _Step(msgspec.Struct):
    """A workflow or a step: the fields the mapping reads (both models share them)."""

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


_pipeline_decoder = msgspec.json.Decoder(_Pipeline)
_step_decoder = msgspec.json.Decoder(_Step)


def _when(epoch: int | None) -> datetime | None:
    """Woodpecker's Unix seconds; 0 (or absent, ``omitempty``) means not yet."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc) if epoch else None


def _branch(p: _Pipeline) -> str | None:
    """The head branch: a pull request's ``branch`` is its target, its head is in the refspec."""
    if p.event == "tag":
        return None
    if (p.event or "").startswith("pull_request") and p.refspec and ":" in p.refspec:
        return p.refspec.split(":", 1)[0] or None
    return p.branch or None


def _outcome(state: str | None) -> tuple[str | None, str | None]:
    if state is None:
        return None, None
    if state.lower() == "declined":
        return Status.COMPLETED, state
    return STATES.get(state.lower(), (state, None))


def _to_job(step: _Step, raw: msgspec.Raw, pipeline: _Pipeline) -> Job:
    status, conclusion = _outcome(step.state)
    return Job(
        id=str(step.pid),
        name=step.name,
        build=str(pipeline.number),
        status=status,
        conclusion=conclusion,
        commit=pipeline.commit or None,
        branch=_branch(pipeline),
        started_at=_when(step.started),
        completed_at=_when(step.finished),
        remote_data=raw,
    )


def _number(what: str, value: str, hint: str, *, latest: bool = False) -> str:
    """Woodpecker addresses repositories, pipelines and steps by number; refuse anything else
    here, with what to give instead, rather than send it and get a bare HTTP 400 back."""
    if value.isdigit() or (latest and value == "latest"):
        return value
    raise InvalidParam(f"{NAME}: {what} {value!r} is not a number; {hint}", provider=NAME)


def _pipeline_path(params: Mapping[str, str]) -> str:
    repo = _number(
        "repo_id",
        params["repo_id"],
        "give the repository's numeric id (GET /api/repos/lookup/<owner>/<name> shows it)",
    )
    build = _number("build", params["build"], "give the pipeline number, or 'latest'", latest=True)
    return f"/api/repos/{segment(repo)}/pipelines/{segment(build)}"


PARAMS = [
    Param(name="repo_id", description="the repository's numeric id, e.g. 1"),
    Param(name="build", description="the pipeline number, e.g. 8 (or 'latest')"),
]


class Woodpecker(Provider):
    """Facts as data (the default Bearer auth, ``/api/user`` for identity); hooks only where
    Woodpecker differs: a job is picked out of its pipeline, and errors are plain text."""

    info = INFO
    params = {"get": PARAMS, "list": PARAMS}
    identity = Identity("/api/user", "login", "login")

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        _number(
            "job id",
            job_id,
            "give the step's number, the last number in its web UI URL "
            "(/repos/<repo_id>/pipeline/<number>/<step>)",
        )
        return self.request(_pipeline_path(params))

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        """Pick the workflow or step whose pid was asked for out of the pipeline."""
        pipeline = _pipeline_decoder.decode(payload)
        wanted = int(job_id) if job_id.isdigit() else -1
        seen: list[str] = []
        for raw in pipeline.workflows or []:
            workflow = _step_decoder.decode(raw)
            for step, body in ((workflow, raw), *((_step_decoder.decode(c), c) for c in workflow.children)):
                if step.pid == wanted:
                    return _to_job(step, body, pipeline)
                seen.append(f"{step.pid} ({step.name})")
        jobs = f"; its workflows and steps are {', '.join(seen)}" if seen else "; it has no workflows yet"
        raise NotFound(
            f"{NAME}: pipeline {pipeline.number} of repository {params['repo_id']} "
            f"has no step {job_id}{jobs}",
            provider=NAME,
            remote_status=404,
        )

    def error_message(self, status_code: int, payload: bytes) -> str | None:
        """Woodpecker answers most errors with an empty body or a line of plain text."""
        text = payload.decode("utf-8", "replace").strip()
        return text[:200] if text and not text.startswith(("{", "[", "<")) else None

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        # The pipeline comes whole, with every workflow: no paging, so no page size either.
        return self.request(_pipeline_path(params))

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        """A pipeline's jobs are its workflows: each runs on one agent in one workspace, as a
        job does elsewhere. Their steps are reached by pid with ``jobs get``."""
        pipeline = _pipeline_decoder.decode(payload)
        return Page(
            jobs=[_to_job(_step_decoder.decode(raw), raw, pipeline) for raw in pipeline.workflows or []]
        )


provider = Woodpecker()
