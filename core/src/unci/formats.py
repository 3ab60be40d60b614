"""Rendering a fetched job in each of Truto's response formats.

``unified`` leaves out the fields a provider cannot supply at all and keeps the supported ones
(null when empty); ``normalized`` is one flat row of fixed shape for tables and warehouses;
``raw`` is the provider's body byte for byte; ``debug`` wraps the unified result with the request
and response, credentials redacted. ``stream`` never reaches this module: the client passes the
body through in chunks.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from datetime import timezone
from typing import Any

import msgspec

from unci.build import Build
from unci.errors import UsageError
from unci.job import TIMESTAMPS, Job, rfc3339, steps_data
from unci.records import JOBS, Kind, kind_of

FORMATS = ("unified", "normalized", "raw", "stream", "debug")
#: The fields of a normalized job row, in order.
NORMALIZED_FIELDS = JOBS.normalized

_encoder = msgspec.json.Encoder()


def check_format(name: str) -> str:
    if name not in FORMATS:
        raise UsageError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}")
    return name


def parse_exclude(values: Iterable[str], kind: Kind = JOBS) -> tuple[str, ...]:
    """Exclude-field values, repeatable and comma-separated; unknown names are an error."""
    names: list[str] = []
    for value in values:
        names.extend(n.strip() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in kind.fields]
    if unknown:
        raise UsageError(
            f"unknown field(s) to exclude: {', '.join(unknown)}; valid fields are {', '.join(kind.fields)}"
        )
    return tuple(dict.fromkeys(names))


def unified(
    job: Job | Build,
    supported: Iterable[str],
    *,
    ignore_remote_data: bool = False,
    exclude: Iterable[str] = (),
) -> dict[str, Any]:
    """The unified record (a job or a build) as a dict: supported fields plus ``id`` and
    ``remote_data``."""
    names, read, steps_at, remote = _picker(
        kind_of(job), tuple(supported), tuple(exclude), ignore_remote_data
    )
    got = read(job)
    if steps_at is not None and got[steps_at] is msgspec.UNSET:  # steps not fetched: left out
        names = names[:steps_at] + names[steps_at + 1 :]
        got = got[:steps_at] + got[steps_at + 1 :]
    values = _plain(names, got)
    if remote:
        values["remote_data"] = job.remote_data
    return values


def _plain(names: tuple[str, ...], got: tuple[Any, ...]) -> dict[str, Any]:
    """``names`` and their values as plain data, every timestamp written the one way
    (:func:`unci.job.rfc3339`), the steps as :func:`unci.job.steps_data` has them.

    msgspec turns the whole record into plain data in one call, and writes a timestamp exactly
    as ``rfc3339`` does when it is in UTC and its fraction, if any, does not end in zero: what
    providers' times are once mapped. Only a record with another (naive, an offset, ``.120``)
    is written field by field.
    """
    if _settled(names, got):
        try:
            return dict(zip(names, msgspec.to_builtins(got), strict=True))
        except (TypeError, ValueError):  # something msgspec cannot write: the slower way says what
            pass
    values = dict(zip(names, got, strict=True))
    _timestamps(values)
    if values.get("steps") is not None:
        values["steps"] = steps_data(values["steps"])
    return values


def _settled(names: tuple[str, ...], got: tuple[Any, ...]) -> bool:
    """Does msgspec write every timestamp of the record (its own and its steps') as
    :func:`unci.job.rfc3339` does?"""
    utc = _UTC
    try:
        for name, value in zip(names, got, strict=True):
            if name in _STAMPED:
                if value is None:
                    continue
                if name == "steps":
                    if type(value) is not list:
                        return False
                    for step in value:
                        for when in (step.started_at, step.completed_at):
                            if when is not None and (
                                when.tzinfo is not utc or (when.microsecond and not when.microsecond % 10)
                            ):
                                return False
                elif value.tzinfo is not utc or (value.microsecond and not value.microsecond % 10):
                    return False
    except AttributeError:  # not a datetime, or steps that are not Steps
        return False
    return True


_UTC = timezone.utc
#: The fields that are, or hold, timestamps.
_STAMPED = frozenset((*TIMESTAMPS, "steps"))


@functools.lru_cache(maxsize=256)
def _picker(
    kind: Kind, supported: tuple[str, ...], exclude: tuple[str, ...], ignore_remote_data: bool
) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]], int | None, bool]:
    """The fields ``unified`` writes, in order, one getter for all of them but
    ``remote_data`` (the body's own bytes, never converted), where ``steps`` is among them, and
    whether ``remote_data`` (always the last field) is written: worked out once per provider
    and options rather than for every record rendered."""
    keep = set(supported) | {"id", "remote_data"}
    drop = set(exclude)
    if ignore_remote_data:
        drop.add("remote_data")
    names = tuple(f for f in kind.fields if f in keep and f not in drop and f != "remote_data")
    remote = "remote_data" in keep - drop
    assert kind.fields[-1] == "remote_data"
    steps_at = names.index("steps") if "steps" in names else None
    return names, _getter(names), steps_at, remote


def _timestamps(values: dict[str, Any]) -> None:
    """The timestamps of a rendered record, written the one way (:func:`unci.job.rfc3339`)."""
    for field in TIMESTAMPS:
        if field in values:
            values[field] = rfc3339(values[field])


def normalized(job: Job | Build, provider: str, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """One flat row: every unified field (null when unknown) plus ``provider``."""
    names, read, steps_at = _row_picker(kind_of(job), tuple(exclude))
    got = read(job)
    if steps_at is not None and got[steps_at] is msgspec.UNSET:  # a row keeps its shape
        got = (*got[:steps_at], None, *got[steps_at + 1 :])
    return {"provider": provider, **_plain(names, got)}


@functools.lru_cache(maxsize=256)
def _row_picker(
    kind: Kind, exclude: tuple[str, ...]
) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]], int | None]:
    """The fields of a normalized row but ``provider``, one getter for them, and where
    ``steps`` is among them (once per kind and exclusion)."""
    names = tuple(f for f in kind.normalized[1:] if f not in exclude)
    steps_at = names.index("steps") if "steps" in names else None
    return names, _getter(names), steps_at


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """One getter of all ``names`` at once, as a tuple."""
    if not names:
        return lambda record: ()
    getter = operator.attrgetter(*names)
    if len(names) == 1:  # attrgetter of one name gives the value, not a 1-tuple
        return lambda record: (getter(record),)
    return getter


def columns(exclude: Iterable[str] = (), kind: Kind = JOBS) -> list[str]:
    """The normalized columns left after ``exclude`` (table output keeps its shape when empty)."""
    drop = set(exclude)
    return [c for c in kind.normalized if c not in drop]


def encode(value: Any, *, pretty: bool = False) -> bytes:
    """JSON bytes, ``remote_data`` spliced in unchanged (timestamps are already strings)."""
    data = _encoder.encode(value)
    return msgspec.json.format(data, indent=2) if pretty else data


def encode_lines(values: Iterable[Any]) -> bytes:
    """JSON Lines: each value as :func:`encode` writes it, a newline after each, written into
    one buffer (a listing's page at a time, without a bytes object per record to join)."""
    buffer = bytearray()
    for value in values:
        _encoder.encode_into(value, buffer, -1)
        buffer += b"\n"
    return bytes(buffer)
