"""A GitHub-shaped job and run that move on as they are polled, with ETags and 304s, on a real
local server: for the watch tests and the watch benchmark.

The bodies are the GitHub cassettes' real payloads with status, conclusion, times and steps
changed the way GitHub changes them while a job runs. As GitHub does (docs.github.com, "Best
practices for using the REST API": conditional requests), every answer carries a weak ``ETag``
and the rate-limit headers, and a request whose ``If-None-Match`` names the current ETag is
answered ``304 Not Modified`` with no body.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from helpers import cassette_body
from localserver import LocalServer, Reply, Seen

JOB = json.loads(cassette_body("github", "get_job"))
RUN = json.loads(cassette_body("github", "get_build"))
OWNER, REPO = "o", "r"
PARAMS = ["-p", f"owner={OWNER}", "-p", f"repo_id={REPO}"]
STEP_NAMES = ("Set up job", "Run tests", "Complete job")
T0 = "2026-11-30T12:00:00Z"


def _at(seconds: int) -> str:
    return f"2026-11-30T12:{seconds // 60:02d}:{seconds % 60:02d}Z"


def job_states(job_id: int, run_id: int, name: str = "build", conclusion: str = "failure") -> list[dict]:
    """The job as GitHub shows it at each stage: queued, then each step running and done, then
    completed with ``conclusion`` (its second step's)."""
    base = {**JOB, "id": job_id, "run_id": run_id, "name": name, "created_at": T0}

    def step(i: int, status: str, outcome: str | None = None) -> dict[str, Any]:
        done = status == "completed"
        return {
            "name": STEP_NAMES[i],
            "number": i + 1,
            "status": status,
            "conclusion": outcome,
            "started_at": _at(10 * i + 1),
            "completed_at": _at(10 * i + 9) if done else None,
        }

    def state(status: str, steps: list[dict], outcome: str | None = None) -> dict:
        return {
            **base,
            "status": status,
            "conclusion": outcome,
            "started_at": None if status == "queued" else _at(1),
            "completed_at": _at(30) if status == "completed" else None,
            "steps": steps,
        }

    ok = "success"
    return [
        state("queued", []),
        state("in_progress", [step(0, "in_progress")]),
        state("in_progress", [step(0, "completed", ok), step(1, "in_progress")]),
        state(
            "in_progress",
            [step(0, "completed", ok), step(1, "completed", conclusion), step(2, "in_progress")],
        ),
        state(
            "completed",
            [step(0, "completed", ok), step(1, "completed", conclusion), step(2, "completed", ok)],
            conclusion,
        ),
    ]


def run_state(run_id: int, status: str, conclusion: str | None) -> dict:
    return {**RUN, "id": run_id, "status": status, "conclusion": conclusion, "updated_at": _at(30)}


def etag(body: bytes) -> str:
    return 'W/"' + hashlib.sha1(body).hexdigest() + '"'


@dataclass
class Upstream:
    """GitHub at 127.0.0.1: job and run paths whose answers move one state on every ``every``
    polls of the path that drives them (the job's own path, or the run's for a build)."""

    server: LocalServer
    every: int = 1
    etags: bool = True
    polls: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Extra headers on every answer (a rate limit running low...).
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds per state instead of polls per state (a job that moves on with the clock).
    period: float | None = None
    started: float = field(default_factory=time.monotonic)
    #: Body bytes sent in 200 answers.
    sent: int = 0

    def _reply(self, seen: Seen, body: bytes) -> Reply:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "4999",
            # A quota that allows a poll every 12 ms: the tests' intervals are the pace.
            "x-ratelimit-reset": str(int(time.time()) + 60),
            **self.headers,
        }
        if self.etags:
            tag = etag(body)
            headers["ETag"] = tag
            if seen.headers.get("If-None-Match") == tag:
                return Reply(304, b"", headers)
        with self.lock:
            self.sent += len(body)
        return Reply(200, body, headers)

    def _tick(self, key: str) -> int:
        with self.lock:
            count = self.polls.get(key, 0)
            self.polls[key] = count + 1
        if self.period is not None:
            return int((time.monotonic() - self.started) / self.period)
        return count // self.every

    def _stage(self, key: str) -> int:
        if self.period is not None:
            return int((time.monotonic() - self.started) / self.period)
        with self.lock:
            return max(self.polls.get(key, 1) - 1, 0) // self.every

    def job(self, job_id: int, run_id: int, **kw: Any) -> str:
        """Serve one job at ``/repos/o/r/actions/jobs/{id}``; its path."""
        states = job_states(job_id, run_id, **kw)
        path = f"/repos/{OWNER}/{REPO}/actions/jobs/{job_id}"

        def answer(seen: Seen) -> Reply:
            stage = min(self._tick(path), len(states) - 1)
            return self._reply(seen, json.dumps(states[stage]).encode())

        self.server.handle_request(path, answer)
        return path

    def run(self, run_id: int, jobs: list[tuple[int, str, str]]) -> str:
        """Serve a run and its jobs (``(id, name, conclusion)``): every poll of the run moves
        each job one state on; the run completes with its last job, failed if any failed."""
        states = {job_id: job_states(job_id, run_id, name, outcome) for job_id, name, outcome in jobs}
        last = len(next(iter(states.values()))) - 1
        path = f"/repos/{OWNER}/{REPO}/actions/runs/{run_id}"
        failed = any(outcome == "failure" for _, _, outcome in jobs)

        def run_answer(seen: Seen) -> Reply:
            stage = self._tick(path)
            if stage >= last:
                body = run_state(run_id, "completed", "failure" if failed else "success")
            else:
                body = run_state(run_id, "queued" if stage == 0 else "in_progress", None)
            return self._reply(seen, json.dumps(body).encode())

        def jobs_answer(seen: Seen) -> Reply:
            stage = min(self._stage(path), last)
            page = [s[stage] for s in states.values()]
            return self._reply(seen, json.dumps({"total_count": len(page), "jobs": page}).encode())

        self.server.handle_request(path, run_answer)
        self.server.handle_request(f"{path}/jobs", jobs_answer)
        return path


def statuses(server: LocalServer, path: str) -> list[int]:
    """The statuses the server answered ``path`` with, in order."""
    return [seen.status for seen in server.requests if seen.path.split("?", 1)[0] == path]
