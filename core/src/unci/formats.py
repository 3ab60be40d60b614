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
    names, read = _picker(kind_of(job), tuple(supported), tuple(exclude), ignore_remote_data)
    values = dict(zip(names, read(job), strict=True))
    _timestamps(values)
    if values.get("steps") is msgspec.UNSET:  # steps not fetched: left out, not empty
        del values["steps"]
    elif values.get("steps") is not None:
        values["steps"] = steps_data(values["steps"])
    return values


@functools.lru_cache(maxsize=256)
def _picker(
    kind: Kind, supported: tuple[str, ...], exclude: tuple[str, ...], ignore_remote_data: bool
) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    """The fields ``unified`` writes, in order, and one getter for all of them: worked out once
    per provider and options rather than for every record rendered."""
    keep = set(supported) | {"id", "remote_data"}
    drop = set(exclude)
    if ignore_remote_data:
        drop.add("remote_data")
    names = tuple(f for f in kind.fields if f in keep and f not in drop)
    getter = operator.attrgetter(*names)
    if len(names) == 1:  # attrgetter of one name gives the value, not a 1-tuple
        return names, lambda record: (getter(record),)
    return names, getter


def _timestamps(values: dict[str, Any]) -> None:
    """The timestamps of a rendered record, written the one way (:func:`unci.job.rfc3339`)."""
    for field in TIMESTAMPS:
        if field in values:
            values[field] = rfc3339(values[field])


def normalized(job: Job | Build, provider: str, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """One flat row: every unified field (null when unknown) plus ``provider``."""
    drop = set(exclude)
    row: dict[str, Any] = {"provider": provider}
    row.update((f, getattr(job, f)) for f in kind_of(job).normalized[1:] if f not in drop)
    _timestamps(row)
    if row.get("steps") is msgspec.UNSET:
        row["steps"] = None
    elif row.get("steps") is not None:  # plain data, as the JSON (and to_dict) has them
        row["steps"] = steps_data(row["steps"])
    return row


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
