"""Reading and following a job's log, written once for the sync and the asyncio client.

What a read of a log decides between its requests (which part comes next, from which offset,
when to ask whether the job still runs, how long to wait) is written here as rounds that do no
I/O: generators that yield the steps to take and the log's chunks (``bytes``), and are sent what
each step gave (or have its error thrown in where they yielded it).
:meth:`unci.log_client.LogMethods._drive` runs them with the sync client and
:meth:`unci.log_client.AsyncLogMethods._drive` with the asyncio one, as :mod:`unci.watch` does
for watching a job; the requests themselves (redirects, retries, the body streamed) stay there.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any

from unci import logs
from unci.call import Answer, Call, decoding
from unci.errors import LogUnavailable
from unci.logs import LogPlan
from unci.plugins import registry
from unci.provider import LogPart, LogRange


class _Marker(bytes):
    """An empty chunk that is not text: where one read of a running job's log ended."""


#: Marks the end of what a running job's log held when first read (``tail`` applies to it).
ROUND = _Marker()


@dataclass(frozen=True)
class Stream:
    """Read ``call``'s body and give out its pieces as they come, each through ``each`` when
    given. ``on_answer`` sees the answer's status and headers before the body and says how many
    of its first bytes were already shown. Sent back nothing once the body has ended."""

    call: Call
    on_answer: Callable[[int, Mapping[str, str]], int] | None = None
    each: Callable[[bytes], bytes] | None = None


@dataclass(frozen=True)
class Whole:
    """Read ``call``'s body whole (one page of a step's log, to be decoded); sent back as bytes."""

    call: Call


@dataclass(frozen=True)
class Send:
    """Send ``call`` as an API request; sent back its :class:`unci.call.Answer`."""

    call: Call


@dataclass(frozen=True)
class AskJob:
    """Ask for the job; sent back the :class:`unci.Job`."""


@dataclass(frozen=True)
class Wait:
    """Sleep this long before the next step."""

    seconds: float


Step = Stream | Whole | Send | AskJob | Wait
#: A read of a log, without I/O: the steps to take, and the log's chunks as ``bytes``.
LogRounds = Generator[Step | bytes, Any, None]

_ASK_JOB = AskJob()


def log_rounds(
    plan: LogPlan, follow: bool, failed: bool, interval: float, notice: Callable[[str], None]
) -> LogRounds:
    """The whole read of ``plan``'s log: by parts, by ranges while the job runs, whole once it
    has ended, or whole at once."""
    if plan.way == "parts":
        yield from _by_parts(plan, follow, failed, interval, notice)
    elif follow and plan.ranges:
        yield from _by_ranges(plan, interval, notice)
    elif follow:
        yield from _when_done(plan, interval, notice)
    else:
        yield Stream(plan.whole())


def _when_done(plan: LogPlan, interval: float, notice: Callable[[str], None]) -> LogRounds:
    """A provider that gives a log only whole: wait for the job to end, then read it."""
    told = False
    while True:
        job = yield _ASK_JOB
        if not logs.running(job):
            break
        if not told:
            notice(
                f"unci: {plan.provider}: job {plan.job_id} is {job.status}; {plan.target.info.title} "
                "gives its log once it has finished, waiting"
            )
            told = True
        yield Wait(interval)
    # The status can say "completed" a moment before the log is there (GitHub): a follow that
    # waited the whole run asks again a few times before it says there is none.
    for attempt in range(_LATE_READS):
        try:
            yield Stream(plan.whole())
            return
        except LogUnavailable:
            if attempt == _LATE_READS - 1:
                raise
            yield Wait(max(interval, 1.0))


#: Reads of a finished job's log, when following it, before "it has none" is believed.
_LATE_READS = 3


class _Shown:
    """Counts the bytes of a range given out; keeps what the provider said of the range."""

    def __init__(self, plan: LogPlan, offset: int) -> None:
        self.plan = plan
        self.offset = offset
        self.bytes = 0
        self.range: LogRange | None = None

    def on_answer(self, status: int, headers: Mapping[str, str]) -> int:
        self.range = _range(self.plan, status, headers, self.offset)
        return self.range.skip

    def each(self, piece: bytes) -> bytes:
        self.bytes += len(piece)
        return piece


def _by_ranges(plan: LogPlan, interval: float, notice: Callable[[str], None]) -> LogRounds:
    """A running job's log read again and again from where the last read ended, until the
    provider says there is no more, or the job has ended and one last read is done."""
    offset = 0
    last_read = False
    first = True
    while True:
        shown = _Shown(plan, offset)
        try:
            yield Stream(plan.range(offset), shown.on_answer, shown.each)
        except LogUnavailable as exc:
            if not exc.pending:
                raise
            if first:
                notice(f"unci: {plan.provider}: job {plan.job_id} has no log yet, waiting")
                # Nothing was there at first: a tail has nothing to cut, and every line
                # written from now on is shown as it comes.
                yield ROUND
            first = False
            yield Wait(interval)
            continue
        got = shown.range or LogRange()
        offset = got.next_offset if got.next_offset is not None else offset + shown.bytes
        if got.more is False or last_read:
            return
        if got.more is None and not logs.running((yield _ASK_JOB)):
            last_read = True  # one more read: what was written as it ended
            continue
        if first:
            yield ROUND
            first = False
        yield Wait(interval)


def _by_parts(
    plan: LogPlan, follow: bool, failed: bool, interval: float, notice: Callable[[str], None]
) -> LogRounds:
    """A log in parts (steps), each under its header; with ``follow``, the index is read again
    until the job has ended, and a running step that grows line by line is shown as it grows."""
    done = 0
    first = True
    growing: logs.Lines | None = None  # the running step shown so far, line by line
    told = False
    while True:
        ended = not follow or not logs.running((yield _ASK_JOB))
        index = yield Send(plan.index())
        try:
            parts = _parts(plan, index)
        except LogUnavailable as exc:
            # No part yet (an Azure DevOps job queued, its timeline without a task): followed,
            # it is waited for, as a provider that answers 404 until there is a log.
            if not (follow and exc.pending):
                raise
            if not told:
                notice(f"unci: {plan.provider}: job {plan.job_id} has no log yet, waiting")
                told = True
            yield Wait(interval)
            continue
        for number, part in enumerate(parts[done:], done + 1):
            running = not ended and not part.complete
            if running and (failed or part.lines is None or part.body != "text"):
                break
            if failed and not part.failed:
                done = number
                continue
            if growing is None:
                yield logs.header(part, number)
            if running or growing is not None:
                growing = growing or logs.Lines()
                yield Stream(plan.part(growing.part(part)), each=growing.feed)
                yield growing.end(not running)
                if running:
                    break
                growing = None
                done = number
                continue
            done = number
            if part.body != "json":
                yield Stream(plan.part(part))
                continue
            page: LogPart | None = part
            while page is not None:
                body = yield Whole(plan.part(page))
                yield _part_text(plan, body, page)
                page = _next_page(plan, body, page)
        if ended:
            return
        if first:
            yield ROUND
            first = False
        yield Wait(interval)


def _parts(plan: LogPlan, answer: Answer) -> list[LogPart]:
    with decoding(plan.provider, "the log index"):
        return registry().hooks(plan.provider).map_log_parts(answer.body, plan.job_id, plan.params)


def _part_text(plan: LogPlan, body: bytes, part: LogPart) -> bytes:
    with decoding(plan.provider, "the step log"):
        return registry().hooks(plan.provider).read_log_part(body, part)


def _next_page(plan: LogPlan, body: bytes, part: LogPart) -> LogPart | None:
    with decoding(plan.provider, "the step log"):
        return registry().hooks(plan.provider).next_log_part(body, part)


def _range(plan: LogPlan, status: int, headers: Mapping[str, str], offset: int) -> LogRange:
    return registry().hooks(plan.provider).read_log_range(status, headers, offset)
