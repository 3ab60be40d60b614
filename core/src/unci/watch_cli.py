"""``unci jobs watch`` and ``unci builds watch``: each change as one line, then the outcome.

A line says what changed, when unci saw it: ``12:00:07  job 399444496 build: in_progress``,
indented ``step`` lines under it. ``--json`` prints the same events as JSON Lines for programs.
With ``--exit-status`` the command ends with the outcome's exit code
(:data:`unci.errors.OUTCOME_EXIT_CODES`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

import click

from unci.build import Build
from unci.exit_status import finished
from unci.job import Job, Step, rfc3339
from unci.output import seconds_between, span, stdout, write
from unci.redact import scrub
from unci.table import shown

if TYPE_CHECKING:
    from unci.call import RemoteQuery
    from unci.client import Client
    from unci.watch import BuildPoll, JobPoll, Rounds

Event = dict[str, Any]
P = TypeVar("P", "JobPoll", "BuildPoll")
S = TypeVar("S")


def _span(record: Job | Build | Step) -> int | None:
    return seconds_between(record.started_at, record.completed_at)


def _steps(job: Job | None) -> list[Step]:
    return job.steps if job is not None and isinstance(job.steps, list) else []


def _head(kind: str, before: Job | Build | None, after: Job | Build, depth: int) -> list[Event]:
    """The job's or build's own line, where its status or conclusion is new."""
    if before is not None and (before.status, before.conclusion) == (after.status, after.conclusion):
        return []
    return [
        {
            "kind": kind,
            "id": after.id,
            "name": after.name,
            "status": after.status,
            "conclusion": after.conclusion,
            "seconds": _span(after),
            "depth": depth,
        }
    ]


def job_events(before: Job | None, after: Job, depth: int = 0) -> list[Event]:
    """What changed from ``before`` (``None``: the first sight) to ``after``: the job's status
    or conclusion, and each step that is new or changed."""
    events: list[Event] = []
    head = _head("job", before, after, depth)
    old = {(s.number if s.number is not None else i): s for i, s in enumerate(_steps(before))}
    for i, step in enumerate(_steps(after)):
        prev = old.get(step.number if step.number is not None else i)
        if prev is not None and (prev.name, prev.status, prev.conclusion) == (
            step.name,
            step.status,
            step.conclusion,
        ):
            continue
        events.append(
            {
                "kind": "step",
                "job": after.id,
                "number": step.number,
                "name": step.name,
                "status": step.status,
                "conclusion": step.conclusion,
                "seconds": _span(step),
                "depth": depth + 1,
            }
        )
    # A job that starts is said before its steps; one that ends, after its last step.
    return events + head if finished(after) else head + events


def build_events(before: Any, after: Any) -> list[Event]:
    """The same for a :class:`~unci.watch.BuildState`: the build, then each job under it."""
    b1 = after.build
    head = _head("build", before.build if before is not None else None, b1, 0)
    old = {j.id: j for j in (before.jobs if before is not None else [])}
    events: list[Event] = []
    for job in after.jobs:
        events += job_events(old.get(job.id), job, depth=1)
    return events + head if finished(b1) else head + events


def _text(event: Event, at: datetime) -> str:
    kind = event["kind"]
    label = f"step {event['number']}" if kind == "step" else f"{kind} {event['id']}"
    if event.get("name"):
        label += f" {event['name']}"
    state = " ".join(str(v) for v in (event["status"], event["conclusion"]) if v is not None) or "-"
    if event.get("seconds") is not None:
        state += f" ({span(event['seconds'])})"
    return f"{at.strftime('%H:%M:%S')}  {'  ' * event['depth']}{label}: {state}"


class Printer:
    """Writes events as text lines or JSON Lines, every credential of the call scrubbed."""

    def __init__(self, as_json: bool, secrets: Sequence[str]) -> None:
        self.as_json = as_json
        self.secrets = list(secrets)
        self.out = stdout()

    def events(self, events: Iterable[Event]) -> None:
        at = datetime.now(timezone.utc)
        lines = []
        for event in events:
            if self.as_json:
                from unci.commands import encode_output

                data = {"at": rfc3339(at.replace(microsecond=0)), **event}
                del data["depth"]
                lines.append(encode_output(data, self.secrets))
            else:
                # For a person: a name's control characters are shown, never acted on.
                lines.append(shown(scrub(_text(event, at), self.secrets)).encode())
        if lines:
            write(self.out, b"\n".join(lines) + b"\n")


def reading_client(**options: Any) -> Client:
    """The CLI's client for a watch or a followed log: its waits between polls end when the
    reader of stdout has gone (``watch | head`` whose head has its lines, ``logs --follow |
    head`` of a log that stopped growing). Only the next write would have told, and a job that
    no longer changes never writes again, so the command polled on for nobody until the end."""
    from unci.client import Client

    class ReadingClient(Client):
        def _pause(self, seconds: float) -> None:
            _sleep_while_read(seconds)

    return ReadingClient(**options)


def _sleep_while_read(seconds: float) -> None:
    import select

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # not a file (captured): no reader to lose
        fd = -1
    if fd < 0 or not hasattr(select, "poll"):
        time.sleep(seconds)
        return
    poller = select.poll()
    poller.register(fd, 0)  # no event asked: only an error or a hang-up ends the wait early
    if poller.poll(seconds * 1000):
        import errno

        raise BrokenPipeError(errno.EPIPE, "the reader of the output went away")


def _start_line(what: str, interval: float) -> None:
    click.echo(f"unci: watching {what}, polling every {interval:g} s (Ctrl-C stops)", err=True)


def _watch(
    kind: type[P],
    record_id: str,
    rounds: Callable[[P], Rounds[S]],
    events: Callable[[S | None, S], list[Event]],
    outcome_of: Callable[[S], Job | Build],
    what: str,
    *,
    provider: str | None,
    params: Mapping[str, str],
    remote_query: RemoteQuery,
    client: Mapping[str, Any],
    credentials: Mapping[str, Any],
    interval: float,
    max_interval: float,
    include_steps: bool,
    as_json: bool,
    exit_status: bool,
    rate_wait: float | None,
) -> int:
    """Both watch commands: poll, print each change, end with the outcome where asked."""
    from unci.exit_status import outcome_code
    from unci.watch import drive, open_poll

    with reading_client(**client) as http:
        poll = open_poll(
            kind,
            provider,
            record_id,
            http,
            credentials,
            params=params,
            remote_query=remote_query,
            include_steps=include_steps,
            interval=interval,
            max_interval=max_interval,
            rate_wait=rate_wait,
        )
        printer = Printer(as_json, poll.record_call.secrets)
        _start_line(f"{poll.target.provider} {what}", interval)
        last: S | None = None
        for state in drive(http, rounds(poll)):
            found = events(last, state)
            # --no-steps: no step lines either, though GitHub and Azure DevOps give the steps
            # with the job at no cost (it saved only the extra request elsewhere).
            printer.events(found if include_steps else [e for e in found if e["kind"] != "step"])
            last = state
    assert last is not None  # the first poll always yields
    return outcome_code(outcome_of(last)) if exit_status else 0


def watch_job_command(*, job_id: str, **options: Any) -> int:
    """``unci jobs watch``: the options are :func:`_watch`'s."""
    from unci.watch import JobPoll, job_rounds

    return _watch(JobPoll, job_id, job_rounds, job_events, lambda job: job, f"job {job_id}", **options)


def watch_build_command(*, build_id: str, **options: Any) -> int:
    """``unci builds watch``: the options are :func:`_watch`'s."""
    from unci.watch import BuildPoll, build_rounds

    return _watch(
        BuildPoll,
        build_id,
        build_rounds,
        build_events,
        lambda state: state.build,
        f"build {build_id} and its jobs",
        **options,
    )
