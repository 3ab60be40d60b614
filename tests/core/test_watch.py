"""Following a job or a build to its end (``unci jobs watch``, ``unci builds watch``,
``unci.watch_job``...) against a GitHub-shaped server on 127.0.0.1 that moves on as it is
polled and answers 304 to a request whose ETag is still current."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time

import pytest
from githubwatch import OWNER, PARAMS, REPO, Upstream, statuses

import unci
from helpers import ctrl_c_reaches_child, run_cli
from localserver import Reply
from unci.errors import OUTCOME_EXIT_CODES
from unci.watch import Poll

FAST = ["--interval", "0.01", "--max-interval", "0.02"]
GH = {"owner": OWNER, "repo_id": REPO}


def _lines(stdout: str) -> list[str]:
    """The output without the time each line starts with."""
    lines = stdout.splitlines()
    assert all(re.match(r"\d\d:\d\d:\d\d  ", line) for line in lines), stdout
    return [line[10:] for line in lines]


def watch(server, *args: str):
    return run_cli("jobs", "watch", *args, "-P", "github", "--base-url", server.url, *PARAMS, *FAST)


JOB_LINES = [
    "job 1 build: queued",
    "job 1 build: in_progress",
    "  step 1 Set up job: in_progress",
    "  step 1 Set up job: completed passed (8s)",
    "  step 2 Run tests: in_progress",
    "  step 2 Run tests: completed failed (8s)",
    "  step 3 Complete job: in_progress",
    "  step 3 Complete job: completed passed (8s)",
    "job 1 build: completed failed (29s)",
]


def test_jobs_watch_prints_each_change_then_exits_with_the_outcome(server) -> None:
    Upstream(server).job(1, 7)
    result = watch(server, "1", "--exit-status")
    assert _lines(result.stdout) == JOB_LINES
    assert result.exit_code == OUTCOME_EXIT_CODES["failed"] == 20
    assert "watching github job 1" in result.stderr


def test_no_steps_prints_the_job_lines_alone(server) -> None:
    """GitHub gives the steps with the job: --no-steps saved no request and printed them all."""
    Upstream(server).job(1, 7)
    result = watch(server, "1", "--no-steps")
    assert result.exit_code == 0, result.stderr
    assert _lines(result.stdout) == [line for line in JOB_LINES if not line.startswith("  step")]


def test_without_exit_status_a_failed_job_still_exits_0(server) -> None:
    Upstream(server).job(1, 7)
    result = watch(server, "1")
    assert result.exit_code == 0 and _lines(result.stdout)[-1] == "job 1 build: completed failed (29s)"


def test_unchanged_polls_are_conditional_and_answered_304(server) -> None:
    """Each state is served for three polls: the first is a 200, the two after it 304s, and
    nothing is printed twice."""
    path = Upstream(server, every=3).job(1, 7)
    result = watch(server, "1")
    assert _lines(result.stdout) == JOB_LINES
    seen = statuses(server, path)
    assert seen == [200, 304, 304] * 4 + [200], seen
    conditional = [r for r in server.requests if r.path == path and "If-None-Match" in r.headers]
    assert len(conditional) == 12  # every poll after the first


def test_without_etags_every_poll_is_a_full_answer(server) -> None:
    path = Upstream(server, every=3, etags=False).job(1, 7)
    result = watch(server, "1")
    assert _lines(result.stdout) == JOB_LINES
    assert statuses(server, path) == [200] * 13
    assert not any("If-None-Match" in r.headers for r in server.requests)


@pytest.mark.parametrize(
    ("conclusion", "code"),
    [("success", 0), ("failure", 20), ("cancelled", 21), ("timed_out", 22), ("skipped", 23), ("neutral", 23)],
)
def test_exit_status_codes(server, conclusion: str, code: int) -> None:
    Upstream(server).job(1, 7, conclusion=conclusion)
    result = watch(server, "1", "--exit-status", "--json")
    assert result.exit_code == code
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["kind"] == "job" and last["status"] == "completed"


def test_json_lines_are_events_with_numbers(server) -> None:
    Upstream(server).job(1, 7)
    result = watch(server, "1", "--json")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["kind"] for e in events] == ["job", "job", *["step"] * 6, "job"]
    assert events[3] == {
        "at": events[3]["at"],
        "kind": "step",
        "job": "1",
        "number": 1,
        "name": "Set up job",
        "status": "completed",
        "conclusion": "passed",
        "seconds": 8,
    }
    assert events[-1]["seconds"] == 29 and events[-1]["conclusion"] == "failed"


def test_get_exit_status_for_a_job_not_finished_and_one_finished(server) -> None:
    Upstream(server, every=1000).job(1, 7)  # stays queued
    Upstream(server).job(2, 7, conclusion="success")
    queued = run_cli("jobs", "get", "1", "-P", "github", "--base-url", server.url, *PARAMS, "--exit-status")
    assert queued.exit_code == OUTCOME_EXIT_CODES["unfinished"] == 24
    assert json.loads(queued.stdout)["status"] == "queued"
    plain = run_cli("jobs", "get", "1", "-P", "github", "--base-url", server.url, *PARAMS)
    assert plain.exit_code == 0


def test_outcome_codes_stay_clear_of_the_error_codes() -> None:
    from unci.errors import EXIT_CODES

    codes = [c for name, c in OUTCOME_EXIT_CODES.items() if name != "passed"]
    assert len(set(codes)) == len(codes)
    assert not set(codes) & {*EXIT_CODES.values(), 1, 130}
    help_text = " ".join(run_cli("--help").stdout.split())
    for code in codes:
        assert f"{code} " in help_text


def test_builds_watch_follows_every_job_to_the_end_of_the_run(server) -> None:
    run_path = Upstream(server, every=2).run(7, [(1, "build", "success"), (2, "test", "failure")])
    result = run_cli(
        "builds", "watch", "7", "-P", "github", "--base-url", server.url, *PARAMS, *FAST, "--exit-status"
    )
    lines = _lines(result.stdout)
    assert result.exit_code == 20, result.stderr
    assert lines[0].startswith("build 7 ") and lines[0].endswith(": queued")
    assert lines[1:3] == ["  job 1 build: queued", "  job 2 test: queued"]
    assert "    step 2 Run tests: completed failed (8s)" in lines
    assert lines[-1].startswith("build 7 ") and ": completed failed" in lines[-1]
    assert "  job 2 test: completed failed (29s)" in lines
    # Polls of an unchanged run were 304s, the run's and its jobs' alike.
    assert statuses(server, run_path).count(304) >= 4
    assert statuses(server, f"{run_path}/jobs").count(304) >= 4


def test_a_deadline_ends_the_watch_with_a_timeout(server) -> None:
    Upstream(server, every=10**6).job(1, 7)
    result = watch(server, "1", "--deadline", "0.3")
    assert result.exit_code == 8
    # Between polls it names the job; under load it may run out during a request instead.
    assert "deadline ran out" in result.stderr and result.stderr.count("\n") == 2


def test_a_job_that_is_not_there_is_one_line_and_exit_5(server) -> None:
    result = watch(server, "404")
    assert result.exit_code == 5 and result.stderr.count("\n") == 2  # the start line and the error


def test_ctrl_c_ends_cleanly_with_130(server) -> None:
    """A real process, a real SIGINT: one line, exit 130, no traceback."""
    Upstream(server, every=10**6).job(1, 7)
    args = ["jobs", "watch", "1", "-P", "github", "--base-url", server.url, *PARAMS, *FAST]
    proc = subprocess.Popen(
        [sys.executable, "-m", "unci", *args],
        preexec_fn=ctrl_c_reaches_child,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the process is polling now
        assert first.endswith("job 1 build: queued\n")
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "unci: interrupted"


@pytest.mark.parametrize(("flags", "code"), [(["--exit-status"], 12), ([], 0)])
def test_a_reader_that_goes_away_is_no_passed_outcome(server, flags: list[str], code: int) -> None:
    """``watch --exit-status | head -1`` exited 0, "passed", for a job that then failed."""
    Upstream(server, every=2).job(1, 7, conclusion="failure")
    args = ["jobs", "watch", "1", "-P", "github", "--base-url", server.url, *PARAMS, *FAST, *flags]
    proc = subprocess.Popen(
        [sys.executable, "-m", "unci", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().endswith("job 1 build: queued\n")
        proc.stdout.close()  # as `| head -1` does once it has its line
        err = proc.stderr.read() if proc.stderr else ""
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == code, err
    assert "Traceback" not in err
    if code:
        assert err.splitlines()[-1].startswith("unci: error: the output was closed before the outcome")


def test_a_reader_that_goes_away_ends_a_watch_of_a_job_that_does_not_change(server) -> None:
    """Only the next write told the reader was gone, and a job that no longer changes writes
    nothing: ``watch | head -1`` polled on for nobody until the job ended."""
    Upstream(server, every=10**6).job(1, 7, conclusion="success")  # queued for good
    args = ["jobs", "watch", "1", "-P", "github", "--base-url", server.url, *PARAMS]
    proc = subprocess.Popen(
        [sys.executable, "-m", "unci", *args, "--interval", "0.5", "--max-interval", "0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().endswith("job 1 build: queued\n")
        proc.stdout.close()
        closed = time.monotonic()
        proc.wait(timeout=30)
        waited = time.monotonic() - closed
        err = proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert waited < 10  # within a poll's wait, not at the job's end (never)


# --- Python -----------------------------------------------------------------------------------


def test_watch_job_yields_each_change(server) -> None:
    Upstream(server, every=2).job(1, 7, conclusion="success")
    seen = list(
        unci.watch_job("github", "1", params=GH, base_url=server.url, interval=0.01, max_interval=0.02)
    )
    assert [j.status for j in seen] == ["queued", "in_progress", "in_progress", "in_progress", "completed"]
    assert seen[-1].conclusion == "passed" and isinstance(seen[-1].steps, list)
    assert [s.conclusion for s in seen[-1].steps] == ["passed", "passed", "passed"]


def test_a_clients_deadline_bounds_the_whole_watch(server) -> None:
    """As docs/python.md says: each poll is quick, so a deadline per call never ended it."""
    Upstream(server, every=10**6).job(1, 7)
    start = time.monotonic()
    backstop = start + 8  # so that a deadline that bounds nothing fails here rather than hangs
    with pytest.raises(unci.Timeout) as info, unci.Client(deadline=0.5, until=backstop) as client:
        for _job in unci.watch_job(
            "github", "1", params=GH, base_url=server.url, client=client, interval=0.05
        ):
            pass
    assert time.monotonic() - start < 5
    # Between polls it names the job; under load it may run out during a request instead.
    said = str(info.value)
    assert "deadline ran out" in said
    assert "raise the client's deadline" in said or "raise Client(deadline=...)" in said


def test_awatch_job_and_awatch_build(server) -> None:
    up = Upstream(server)
    up.job(1, 7, conclusion="cancelled")
    up.run(8, [(3, "build", "success")])

    async def main() -> tuple[list[unci.Job], list[unci.BuildState]]:
        jobs = [
            j
            async for j in unci.awatch_job(
                "github", "1", params=GH, base_url=server.url, interval=0.01, max_interval=0.02
            )
        ]
        states = [
            s
            async for s in unci.awatch_build(
                "github", "8", params=GH, base_url=server.url, interval=0.01, max_interval=0.02
            )
        ]
        return jobs, states

    jobs, states = asyncio.run(main())
    assert jobs[-1].conclusion == "cancelled" and len(jobs) == 5
    assert states[-1].build.conclusion == "passed" and [j.id for j in states[-1].jobs] == ["3"]
    assert states[0].build.status == "queued"


def test_watch_build_yields_build_states(server) -> None:
    Upstream(server).run(9, [(4, "lint", "success"), (5, "test", "success")])
    states = list(unci.watch_build("github", "9", params=GH, base_url=server.url, interval=0.01))
    assert states[-1].build.status == "completed"
    assert {j.id: j.conclusion for j in states[-1].jobs} == {"4": "passed", "5": "passed"}


def test_a_callers_client_is_shared_and_left_open(server) -> None:
    """``client=``: the watch sends through the caller's client (its pool, its ``on_wait``) and
    leaves it open for what comes next, sync and async."""
    up = Upstream(server)
    up.job(1, 7, conclusion="success")
    up.job(2, 7, conclusion="success")
    with unci.Client() as client:
        seen = list(
            unci.watch_job("github", "1", params=GH, base_url=server.url, interval=0.01, client=client)
        )
        assert seen[-1].conclusion == "passed"
        assert client.get_job("github", "2", params=GH, base_url=server.url).id == "2"

    async def main() -> tuple[list[unci.Job], unci.Job]:
        async with unci.AsyncClient() as client:
            jobs = [
                j
                async for j in unci.awatch_job(
                    "github", "2", params=GH, base_url=server.url, interval=0.01, client=client
                )
            ]
            return jobs, await client.get_job("github", "1", params=GH, base_url=server.url)

    jobs, after = asyncio.run(main())
    assert jobs[-1].status == "completed" and after.id == "1"


def test_watch_names_are_public() -> None:
    for name in ("watch_job", "awatch_job", "watch_build", "awatch_build", "BuildState"):
        assert name in unci.__all__ and getattr(unci, name) is not None


def test_a_bad_interval_is_a_usage_error() -> None:
    with pytest.raises(unci.UsageError):
        next(iter(unci.watch_job("github", "1", params=GH, interval=0)))


# --- pacing: what the provider's headers ask for -----------------------------------------------


def _poll(**kw) -> Poll:
    return Poll("github", "job '1'", interval=1.0, max_interval=8.0, **kw)


def test_backoff_while_nothing_changes_and_back_on_a_change() -> None:
    poll = _poll()
    waits = []
    for state in ["a", "a", "a", "a", "a", "a", "a", "b", "b"]:
        poll.changed((state,))
        waits.append(poll.delay())
    assert waits == [1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375, 8.0, 1.0, 1.5]


def test_retry_after_and_a_spent_quota_are_waited_for() -> None:
    said: list[str] = []
    poll = _poll(notify=said.append)
    poll.changed(("a",))
    poll.headers = {"retry-after": "12"}
    assert poll.delay() == 12.0
    reset = int(time.time()) + 40
    poll.headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    assert 38 <= poll.delay() <= 41
    # Plenty left: the interval is the pace. Little left: what is left lasts until the reset.
    poll.headers = {"x-ratelimit-remaining": "4000", "x-ratelimit-reset": str(reset)}
    assert poll.delay() == 1.0
    poll.headers = {"x-ratelimit-remaining": "2", "x-ratelimit-reset": str(reset)}
    assert 19 <= poll.delay() <= 21
    assert any("Retry-After" in s for s in said) and any("spent" in s for s in said)


def _limited_once(server, seconds: int) -> None:
    """Job 1's first poll: a 403 with a spent quota (GitHub's way), resetting in ``seconds``."""
    path = f"/repos/{OWNER}/{REPO}/actions/jobs/1"
    limited = Reply(
        403,
        b'{"message":"API rate limit exceeded"}',
        {"Content-Type": "application/json", "x-ratelimit-remaining": "0", "retry-after": str(seconds)},
    )
    done = Upstream(server)
    done.job(1, 7, conclusion="success")
    handler = server.request_handlers[path]
    calls = {"n": 0}

    def answer(seen):
        calls["n"] += 1
        return limited if calls["n"] == 1 else handler(seen)

    server.handle_request(path, answer)


def test_a_rate_limit_with_a_reset_is_waited_out_not_fatal(server) -> None:
    """A spent quota the client would not wait for itself (no retries): watch waits for the
    reset and goes on, where a single get would fail."""
    _limited_once(server, 1)
    result = run_cli(
        "jobs", "watch", "1", "-P", "github", "--base-url", server.url, *PARAMS, *FAST,
        "--retries", "0", "--exit-status",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "rate limited; waiting 1 s" in result.stderr
    assert _lines(result.stdout)[-1] == "job 1 build: completed passed (29s)"


def test_a_max_wait_given_bounds_the_wait_for_a_rate_limit(server) -> None:
    """``--max-wait 1`` against an hour's reset slept the hour: the option did nothing."""
    _limited_once(server, 3600)
    started = time.monotonic()
    result = run_cli(
        "jobs", "watch", "1", "-P", "github", "--base-url", server.url, *PARAMS, *FAST,
        "--retries", "0", "--max-wait", "1", "--exit-status",
    )  # fmt: skip
    assert result.exit_code == 7, result.output
    assert time.monotonic() - started < 30
    line = result.stderr.splitlines()[-1]
    assert line.startswith("unci: error: github: ") and "resets in 3600 s" in line, result.stderr


def test_builds_get_exit_status(server) -> None:
    up = Upstream(server)
    up.run(7, [(1, "build", "failure")])
    args = ["builds", "get", "7", "-P", "github", "--base-url", server.url, *PARAMS, "--exit-status"]
    queued = run_cli(*args)  # the first poll of the run: queued
    assert queued.exit_code == 24 and json.loads(queued.stdout)["status"] == "queued"
    for _ in range(4):
        last = run_cli(*args)
    assert last.exit_code == 20 and json.loads(last.stdout)["conclusion"] == "failed"


def test_a_watch_line_shows_a_names_control_characters(capsysbinary) -> None:
    """A job's or step's name set the title or wrote the clipboard of whoever watched it, and
    a line break in a step's name split one change into two lines."""
    from unci.job import Job, Step
    from unci.watch_cli import Printer, job_events

    job = Job(
        id="1",
        name="build\x1b]0;PWNED\x07\u202eevil",
        status="in_progress",
        steps=[Step(number=2, name="step\x1b]52;c;aGVsbG8=\x07clip\nnewline", status="in_progress")],
    )
    Printer(False, ["tok"]).events(job_events(None, job))
    out = capsysbinary.readouterr().out.decode()
    assert out.count("\n") == 2 and not any(c in out for c in "\x1b\x07\u202e"), repr(out)
    assert r"job 1 build\x1b]0;PWNED\x07\u202eevil: in_progress" in out
    assert r"step 2 step\x1b]52;c;aGVsbG8=\x07clip newline: in_progress" in out
