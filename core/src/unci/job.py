"""The unified Job record, its vocabularies, and the helpers every provider's mapping shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Final

import msgspec


class Status:
    """Unified lifecycle words; any other value is the provider's own, passed through."""

    QUEUED: Final = "queued"
    IN_PROGRESS: Final = "in_progress"
    COMPLETED: Final = "completed"
    ALL: Final = (QUEUED, IN_PROGRESS, COMPLETED)


class Conclusion:
    """Unified outcome words; any other value is the provider's own, passed through."""

    PASSED: Final = "passed"
    FAILED: Final = "failed"
    CANCELLED: Final = "cancelled"
    TIMEOUT: Final = "timeout"
    SKIPPED: Final = "skipped"
    RETRIED: Final = "retried"
    PARTIAL: Final = "partial"
    ALL: Final = (PASSED, FAILED, CANCELLED, TIMEOUT, SKIPPED, RETRIED, PARTIAL)


class Step(msgspec.Struct, kw_only=True):
    """One step of a job (a GitHub step, an Azure DevOps task, a Jenkins stage...), with the
    job's own status and conclusion vocabularies."""

    number: int | None = None
    name: str | None = None
    status: str | None = None
    conclusion: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


class Job(msgspec.Struct, kw_only=True):
    """One CI job, whatever provider ran it. Field names are Truto's, then unci's own.

    Timestamps are timezone-aware UTC datetimes (rendered by :func:`rfc3339`); ``remote_data``
    is the provider's JSON object kept as raw bytes, so carrying it costs nothing until rendered.
    ``steps`` is left out (not empty) where the provider has none; ``provider`` is set by the
    core, so a job always says where it came from.
    """

    id: str
    name: str | None = None
    build: str | None = None
    status: str | None = None
    conclusion: str | None = None
    commit: str | None = None
    branch: str | None = None
    attempts: int | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None
    url: str | None = None
    failure_reason: str | None = None
    steps: list[Step] | msgspec.UnsetType = msgspec.UNSET
    remote_data: msgspec.Raw | None = None
    provider: str | None = None

    def remote(self) -> Any:
        """``remote_data`` as parsed JSON (dicts and lists), ``None`` when there is none."""
        return None if self.remote_data is None else msgspec.json.decode(self.remote_data)

    def to_dict(self) -> dict[str, Any]:
        """The job as plain Python, as the unified JSON has it: timestamps as :func:`rfc3339`
        strings, ``remote_data`` parsed. (``msgspec.to_builtins`` cannot, because of the raw
        bytes.)"""
        data: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(self))
        for field in TIMESTAMPS:
            data[field] = rfc3339(getattr(self, field))
        if isinstance(self.steps, list):
            data["steps"] = steps_data(self.steps)
        return data


def steps_data(steps: list[Step]) -> list[dict[str, Any]]:
    """Steps as plain data, their times written the job's one way (:func:`rfc3339`)."""
    out = []
    for step in steps:
        data = msgspec.structs.asdict(step)
        data["started_at"] = rfc3339(step.started_at)
        data["completed_at"] = rfc3339(step.completed_at)
        out.append(data)
    return out


def rfc3339(value: datetime | None) -> str | None:
    """The one way unci writes a timestamp: RFC 3339 in UTC with ``Z``, seconds always, and a
    fraction only when the provider gave one, trimmed of trailing zeros.

    So nothing a provider sent is lost (Bitbucket's microseconds stay, Travis's milliseconds stay
    milliseconds) and nothing is invented (GitHub's whole seconds get no ``.000000``).
    """
    if value is None:
        return None
    if value.tzinfo is not _UTC:  # rare: providers' times are UTC by the time they get here
        value = value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
    # msgspec writes the digits (seconds always, six fraction digits only when there is a
    # fraction) several times faster than isoformat(); the quotes and its "Z" come off.
    text = _encode(value)[1:-2].decode()
    if value.microsecond:
        text = text.rstrip("0")
    return text + "Z"


_UTC = timezone.utc
_encode = msgspec.json.encode

#: Every unified field, in output order (``provider`` is the record's origin, not a field).
FIELDS: Final[tuple[str, ...]] = tuple(f for f in Job.__struct_fields__ if f != "provider")
#: Timestamp fields.
TIMESTAMPS: Final = ("created_at", "started_at", "completed_at", "updated_at")


def utc_stamp(value: datetime, *, fraction: bool = True) -> str:
    """An instant (UTC, as every instant in unci is) as providers' query strings take it:
    ``2024-05-01T12:00:00.250000Z``, or to the second without ``fraction``."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if fraction else "%Y-%m-%dT%H:%M:%SZ")


def utc(value: datetime | None, field: str | None = None) -> datetime | None:
    """A provider timestamp in UTC; a naive one is taken to be UTC already (what APIs mean).

    ``0001-01-01T00:00:00+01:00`` is valid RFC 3339 yet has no UTC form a ``datetime`` can
    hold; that is a :class:`~unci.DecodeError` naming ``field`` (the JSON field it came from),
    never a job with the time silently missing.
    """
    if value is None or value.tzinfo is _UTC:  # the common case, first: this runs per field
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=_UTC)
    try:
        return value.astimezone(_UTC)
    except OverflowError:
        raise _out_of_range(repr(value.isoformat()), field) from None


def from_epoch(value: float | None, field: str | None = None) -> datetime | None:
    """Unix seconds (Woodpecker) as a UTC datetime; ``None`` and ``0`` (what APIs send for
    "not yet") are ``None``; one outside years 1-9999 is a :class:`~unci.DecodeError` naming
    ``field``."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        raise _out_of_range(f"{value} s since 1970", field) from None


def from_epoch_ms(value: float | None, field: str | None = None) -> datetime | None:
    """Epoch milliseconds (Jenkins) as a UTC datetime; one outside years 1-9999 is a
    :class:`~unci.DecodeError` naming ``field``."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        raise _out_of_range(f"{value} ms since 1970", field) from None


def _out_of_range(what: str, field: str | None) -> Exception:
    from unci.errors import DecodeError

    where = f" - at `$.{field}`" if field else ""
    return DecodeError(f"the timestamp {what} is outside the years 1-9999 in UTC{where}")


def latest(*values: datetime | None) -> datetime | None:
    """The latest of the timestamps that are present."""
    best = None
    for value in values:
        if value is not None and (best is None or value > best):
            best = value
    return best


def translate(value: str | None, table: Mapping[str, str]) -> str | None:
    """Map a provider word through ``table`` (keys lower-case); unknown words pass through raw.

    This is the one rule docs/mapping.md sets for every provider: matched case-insensitively, and a
    value that fits no unified word is returned exactly as the provider spelled it.
    """
    if value is None:
        return None
    # The provider's own spelling is most often the table's: found without a lower-cased copy.
    found = table.get(value)
    return found if found is not None else table.get(value.lower(), value)


def word_tables(
    *,
    queued: Sequence[str] = (),
    in_progress: Sequence[str] = (),
    completed: Sequence[str] = (),
    **conclusions: Sequence[str],
) -> tuple[dict[str, str], dict[str, str]]:
    """(status table, conclusion table) for :func:`outcome`, from a provider's words grouped by
    what they mean: ``queued``, ``in_progress``, ``completed`` (ended, conclusion passed through
    raw) and one keyword per unified conclusion (``passed=``, ``failed=``...), whose words ended
    the job too. Words are matched lower-case, as :func:`translate` does."""
    unknown = set(conclusions) - set(Conclusion.ALL)
    if unknown:
        raise TypeError(f"word_tables() takes the conclusions {Conclusion.ALL}, not {sorted(unknown)}")
    conclusion = {word.lower(): name for name, words in conclusions.items() for word in words}
    status = {
        **{word.lower(): Status.QUEUED for word in queued},
        **{word.lower(): Status.IN_PROGRESS for word in in_progress},
        **{word.lower(): Status.COMPLETED for word in (*completed, *conclusion)},
    }
    return status, conclusion


def outcome(
    value: str | None,
    status: Mapping[str, str],
    conclusion: Mapping[str, str],
    *,
    undocumented_ended: bool = False,
) -> tuple[str | None, str | None]:
    """(status, conclusion) from a provider's one word for both (GitLab's ``status``,
    Buildkite's ``state``), each through :func:`translate`.

    The conclusion is read only from a word whose status is ``completed``; a word in neither
    table passes through raw as the status, with no conclusion, since nothing says the job ended.
    With ``undocumented_ended`` (Travis, CircleCI: every word they do not call queued or running
    is an end) such a word passes through raw in both fields instead, so it is not hidden.
    """
    if value is None:
        return None, None
    known = status.get(value.lower())
    ended = known == Status.COMPLETED or (known is None and undocumented_ended)
    return translate(value, status), (translate(value, conclusion) if ended else None)


def settle_steps(steps: list[Step], status: Mapping[str, str], conclusion: Mapping[str, str]) -> list[Step]:
    """Steps decoded straight into :class:`Step` (a provider whose step fields already carry the
    unified names, as GitHub's do), made unified in place: both words through :func:`translate`,
    both times through :func:`utc`. Returns ``steps``.

    One tight loop instead of a second ``Step`` and four helper calls a step: a job carries
    dozens of steps, and this was most of the time of mapping one.
    """
    step = None
    # A step most often starts when the one before it ended: that time is converted once. Equal
    # aware times are the same instant, so their UTC forms are the same.
    seen: datetime | None = None
    done: datetime | None = None
    # A job's step times share one offset (the runner's: GitHub writes -08:00 for one in
    # California): the first is converted with astimezone, each other one as the first's UTC
    # time plus its distance from it, two arithmetic operations where astimezone makes three
    # datetimes through two method calls (a third of the instructions). msgspec gives equal
    # offsets one tzinfo object, so ``is`` tells the same offset.
    zone: Any = _UTC  # never a step's zone here: UTC times need no conversion
    base = base_utc = _EPOCH
    try:
        for step in steps:
            # As translate() does, inlined: this runs per step. A word that translates to
            # itself (GitHub's "completed") is not written back: a Step attribute write costs
            # more than the comparison.
            word = step.status
            if word is not None:
                found = status.get(word)
                if found is None:
                    found = status.get(word.lower(), word)
                if found != word:
                    step.status = found
            word = step.conclusion
            if word is not None:
                found = conclusion.get(word)
                if found is None:
                    found = conclusion.get(word.lower(), word)
                if found != word:
                    step.conclusion = found
            when = step.started_at
            if when is not None and when.tzinfo is not _UTC:
                if when != seen:
                    seen = when
                    if when.tzinfo is zone:
                        done = base_utc + (when - base)
                    elif when.tzinfo is None:
                        done = when.replace(tzinfo=_UTC)
                    else:
                        zone, base = when.tzinfo, when
                        done = base_utc = when.astimezone(_UTC)
                step.started_at = done
            when = step.completed_at
            if when is not None and when.tzinfo is not _UTC:
                if when != seen:
                    seen = when
                    if when.tzinfo is zone:
                        done = base_utc + (when - base)
                    elif when.tzinfo is None:
                        done = when.replace(tzinfo=_UTC)
                    else:
                        zone, base = when.tzinfo, when
                        done = base_utc = when.astimezone(_UTC)
                step.completed_at = done
    except OverflowError:
        # Only the conversion raises it (astimezone, or the sum past year 9999 or before year
        # 1): name the field as utc() would.
        assert step is not None
        for field in ("started_at", "completed_at"):
            utc(getattr(step, field), f"steps.{field}")
        raise  # pragma: no cover - utc() raised for one of the two
    return steps


_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)


def as_str(value: object) -> str | None:
    """Ids are strings in the unified record, whatever type the provider used."""
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
