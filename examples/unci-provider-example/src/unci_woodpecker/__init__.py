"""Woodpecker CI workflows and steps as unified unci Jobs: a worked third-party provider.

``GET /api/repos/{repo_id}/pipelines/{number}`` answers the whole pipeline: ``workflows[]``, their
steps in ``children[]``, all numbered by ``pid`` (the last number of a step's web UI URL)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import msgspec

from unci.plugin import Identity, Job, Param, Provider, ProviderInfo, from_epoch, outcome, word_tables

#: Woodpecker's ``StatusValue`` (server/model/const.go): ``blocked`` awaits approval, ``error`` is
#: bad config or a system problem, ``killed`` was stopped by a user, ``canceled`` never started;
#: ``declined`` ended too, its conclusion passed through raw.
STATUS, CONCLUSION = word_tables(
    queued=("created", "pending", "blocked"),
    in_progress=("running",),
    completed=("declined",),
    passed=("success",),
    failed=("failure", "error"),
    cancelled=("killed", "canceled"),
    skipped=("skipped",),
)
FIELDS = ("id", "name", "build", "status", "conclusion", "commit", "branch", "started_at", "completed_at")
STEP_URL = "/repos/<repo_id>/pipeline/<number>/<step>"
LOOKUP = "GET /api/repos/lookup/<owner>/<name> shows it"
PARAMS = [
    Param(name="repo_id", description=f"the repository's numeric id, e.g. 1; {LOOKUP}", numeric=True),
    Param(
        name="build", description="the pipeline number (e.g. 8) or latest", numeric=True, words=("latest",)
    ),
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

    @property
    def head(self) -> str | None:  # a pull request's branch is its target, its head in the refspec
        if (self.event or "").startswith("pull_request") and ":" in (self.refspec or ""):
            return (self.refspec or "").split(":", 1)[0] or None
        return None if self.event == "tag" else self.branch or None


_pipeline, _step = msgspec.json.Decoder(_Pipeline), msgspec.json.Decoder(_Step)


def _steps(pipeline: _Pipeline, nested: bool) -> Iterator[tuple[msgspec.Raw, _Step]]:
    """Each workflow (and, ``nested``, each of its steps after it) with its body."""
    for raw in pipeline.workflows or []:
        workflow = _step.decode(raw)
        yield raw, workflow
        yield from ((body, _step.decode(body)) for body in workflow.children if nested)


def _to_job(raw: msgspec.Raw, step: _Step, pipeline: _Pipeline) -> Job:
    status, conclusion = outcome(step.state, STATUS, CONCLUSION)
    return Job(
        id=str(step.pid),
        name=step.name,
        build=str(pipeline.number),
        status=status,
        conclusion=conclusion,
        commit=pipeline.commit or None,
        branch=pipeline.head,
        started_at=from_epoch(step.started, "started"),  # 0 (or absent) means not yet
        completed_at=from_epoch(step.finished, "finished"),
        remote_data=raw,
    )


class Woodpecker(Provider):
    """Facts as data (Bearer auth is the default); hooks only where Woodpecker differs. Its
    plain-text errors need no hook: the core reads a body that is not JSON as the message."""

    info = ProviderInfo(
        name="woodpecker",
        title="Woodpecker CI",
        base_url="https://ci.codeberg.org",  # self-hosted; Codeberg's is the biggest public one
        token_env=("WOODPECKER_TOKEN",),
        auth="Authorization: Bearer <personal access token>; public repositories need none. "
        "Give your server's address with --base-url",
        fields=FIELDS,
        docs_url="https://woodpecker-ci.org/api",
    )
    params = {"get": PARAMS, "list": PARAMS}
    identity = Identity("/api/user", "login", "login")
    job_id = Param(
        name="job id", description=f"the step's number, the last in its web UI URL ({STEP_URL})", numeric=True
    )
    #: The pipeline comes whole, with every workflow: no paging, so no page size either; a step
    #: is picked out of it.
    list_path = job_path = "/api/repos/{repo_id}/pipelines/{build}"

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        pipeline = _pipeline.decode(payload)
        found = ((str(step.pid), step.name, (raw, step)) for raw, step in _steps(pipeline, nested=True))
        where = f"pipeline {pipeline.number} of repository {params['repo_id']}"
        return _to_job(*self.pick(job_id, found, where, "step"), pipeline)

    def map_jobs(self, payload: bytes, params: Mapping[str, str]) -> list[Job]:
        """A pipeline's jobs are its workflows (each runs on one agent); steps are got by pid."""
        pipeline = _pipeline.decode(payload)
        return [_to_job(raw, step, pipeline) for raw, step in _steps(pipeline, nested=False)]


provider = Woodpecker()
