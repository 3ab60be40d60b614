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
from collections.abc import Callable, Iterable, Sequence
from datetime import timezone
from typing import Any, NamedTuple

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
    return excluded_fields(values, kind.fields)


def excluded_fields(values: Iterable[str], fields: tuple[str, ...]) -> tuple[str, ...]:
    """:func:`parse_exclude` against ``fields`` (those of a kind, or of both kinds)."""
    names: list[str] = []
    for value in values:
        names.extend(n.strip() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in fields]
    if unknown:
        raise UsageError(
            f"unknown field(s) to exclude: {', '.join(unknown)}; valid fields are {', '.join(fields)}"
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
    fields, remote = _picker(kind_of(job), tuple(supported), tuple(exclude), ignore_remote_data)
    got = fields.read(job)
    steps_at = fields.steps_at
    unset = False
    if steps_at is not None and got[steps_at] is msgspec.UNSET:
        unset = True
        got = (*got[:steps_at], None, *got[steps_at + 1 :])
    values = _checked_plain(job, fields, got)
    if unset:  # steps not fetched: left out, not empty
        del values["steps"]
    if remote:
        values["remote_data"] = job.remote_data
    return values


def unified_json(
    job: Job | Build,
    supported: Iterable[str],
    *,
    ignore_remote_data: bool = False,
    exclude: Iterable[str] = (),
) -> bytes:
    """:func:`encode` of :func:`unified`, byte for byte, in one encode: the record's values go
    to msgspec as they are (a Struct of the fields written, the steps as Steps, the times as
    datetimes) rather than through plain data and then JSON, which was two encodes of every
    record. Only a record whose times msgspec does not write as ``rfc3339`` does (naive, an
    offset, a fraction ending in zero: see :func:`_settled`) goes the way of plain data."""
    fields, remote = _picker(kind_of(job), tuple(supported), tuple(exclude), ignore_remote_data)
    got = fields.read(job)
    if _settled(fields, got):
        try:
            return _encoder.encode(fields.shape(*got, job.remote_data) if remote else fields.shape(*got))
        except (TypeError, ValueError):  # something msgspec cannot write: the slower way says what
            pass
    return encode(unified(job, supported, ignore_remote_data=ignore_remote_data, exclude=exclude))


def unified_lines(
    records: Sequence[Job | Build],
    supported: Iterable[str],
    *,
    ignore_remote_data: bool = False,
    exclude: Iterable[str] = (),
) -> bytes:
    """:func:`unified_json` of each record and a newline, byte for byte, for a page at a time
    (``jobs list --all``): the fields are worked out once for the page, not once a record, and
    msgspec writes the whole page in one call. A record :func:`unified_json` would write the
    slower way is written that way here too, and in its place."""
    if not records:
        return b""
    kept, dropped = tuple(supported), tuple(exclude)
    first = type(records[0])
    kind = kind_of(records[0])
    fields, remote = _picker(kind, kept, dropped, ignore_remote_data)
    read, shape = fields.read, fields.shape
    bare = ignore_remote_data
    shapes: list[Any] = []
    for record in records:
        if type(record) is first or kind_of(record) is kind:
            got = read(record)
            if _settled(fields, got):
                shapes.append(shape(*got, record.remote_data) if remote else shape(*got))
                continue
        shapes.append(msgspec.Raw(unified_json(record, kept, ignore_remote_data=bare, exclude=dropped)))
    try:
        return _encoder.encode_lines(shapes)
    except (TypeError, ValueError):  # one msgspec cannot write: each the way unified_json does
        alone = (unified_json(r, kept, ignore_remote_data=bare, exclude=dropped) for r in records)
        return b"".join(line + b"\n" for line in alone)


def normalized_json(job: Job | Build, provider: str, *, exclude: Iterable[str] = ()) -> bytes:
    """:func:`encode` of :func:`normalized`, byte for byte, in one encode (as
    :func:`unified_json`)."""
    fields = _row_fields(kind_of(job), tuple(exclude))
    got = fields.read(job)
    steps_at = fields.steps_at
    if steps_at is not None and got[steps_at] is msgspec.UNSET:  # a row keeps its shape
        got = (*got[:steps_at], None, *got[steps_at + 1 :])
    if _settled(fields, got):
        try:
            return _encoder.encode(fields.shape(provider, *got))
        except (TypeError, ValueError):
            pass
    return encode(normalized(job, provider, exclude=exclude))


class _Fields(NamedTuple):
    """Some fields of a kind of record, in output order, worked out once per provider and
    options rather than for every record rendered: one getter for all of them, where the
    timestamps and the steps are among them, and a Struct of exactly these fields (and
    ``remote_data`` after them when it is written), which msgspec writes as JSON in one
    encode."""

    names: tuple[str, ...]
    read: Callable[[Any], tuple[Any, ...]]
    stamps_at: tuple[int, ...]
    steps_at: int | None
    shape: type[msgspec.Struct]


def _fields(names: tuple[str, ...], *, remote: bool = False, first: tuple[str, ...] = ()) -> _Fields:
    """The fields ``names``; the shape has ``first`` before them (``provider``) and
    ``remote_data`` after them with ``remote``."""
    shape = msgspec.defstruct(
        "Rendered", [(n, Any) for n in (*first, *names, *(("remote_data",) if remote else ()))]
    )
    if not names:
        read: Callable[[Any], tuple[Any, ...]] = lambda record: ()  # noqa: E731
    elif len(names) == 1:  # attrgetter of one name gives the value, not a 1-tuple
        one = operator.attrgetter(names[0])
        read = lambda record: (one(record),)  # noqa: E731
    else:
        read = operator.attrgetter(*names)
    stamps_at = tuple(i for i, name in enumerate(names) if name in TIMESTAMPS)
    return _Fields(names, read, stamps_at, names.index("steps") if "steps" in names else None, shape)


def _checked_plain(record: Job | Build, fields: _Fields, got: tuple[Any, ...]) -> dict[str, Any]:
    """:func:`_plain`, where a record a plugin built with a value of the wrong type (a text
    ``started_at``, a dict among its steps) is that plugin's :class:`PluginError` naming the
    field, not an internal error of unci's."""
    try:
        return _plain(fields, got)
    except (AttributeError, TypeError, ValueError) as exc:
        from unci.records import wrong_field

        wrong = wrong_field(record)
        if wrong is None or record.provider is None:
            raise
        from unci.plugins import registry

        name, value, wanted = wrong
        noun = kind_of(record).noun
        raise (
            registry()
            .hooks(record.provider)
            .broken(
                f"its {noun} {record.id!r} has {name} {value!r}, of type {type(value).__name__}, not {wanted}"
            )
        ) from exc


def _plain(fields: _Fields, got: tuple[Any, ...]) -> dict[str, Any]:
    """The values ``got`` of ``fields`` as plain data, every timestamp written the one way
    (:func:`unci.job.rfc3339`), the steps as :func:`unci.job.steps_data` has them.

    msgspec turns the whole record into plain data in one call, and writes a timestamp exactly
    as ``rfc3339`` does when it is in UTC and its fraction, if any, does not end in zero: what
    providers' times are once mapped. Only a record with another (naive, an offset, ``.120``)
    is written field by field.
    """
    if _settled(fields, got):
        try:
            return dict(zip(fields.names, msgspec.to_builtins(got), strict=True))
        except (TypeError, ValueError):  # something msgspec cannot write: the slower way says what
            pass
    values = dict(zip(fields.names, got, strict=True))
    _timestamps(values)
    if values.get("steps") is not None:
        values["steps"] = steps_data(values["steps"])
    return values


def _settled(fields: _Fields, got: tuple[Any, ...]) -> bool:
    """Does msgspec write every timestamp of the record (its own and its steps') as
    :func:`unci.job.rfc3339` does?"""
    utc = _UTC
    try:
        for i in fields.stamps_at:
            when = got[i]
            if when is not None and (
                when.tzinfo is not utc or (when.microsecond and not when.microsecond % 10)
            ):
                return False
        steps = None if fields.steps_at is None else got[fields.steps_at]
        if steps is None:
            return True
        if type(steps) is not list:
            return False
        # A step most often starts at the very time object the one before it ended with
        # (unci.job.settle_steps converts such a time once): it is checked once.
        last = None
        for step in steps:
            when = step.started_at
            if (
                when is not last
                and when is not None
                and (when.tzinfo is not utc or (when.microsecond and not when.microsecond % 10))
            ):
                return False
            last = step.completed_at
            if (
                last is not when
                and last is not None
                and (last.tzinfo is not utc or (last.microsecond and not last.microsecond % 10))
            ):
                return False
    except AttributeError:  # not a datetime, or steps that are not Steps
        return False
    return True


_UTC = timezone.utc


@functools.lru_cache(maxsize=256)
def _picker(
    kind: Kind, supported: tuple[str, ...], exclude: tuple[str, ...], ignore_remote_data: bool
) -> tuple[_Fields, bool]:
    """The fields ``unified`` writes but ``remote_data`` (the body's own bytes, never
    converted), and whether it writes ``remote_data`` (always the last field)."""
    keep = set(supported) | {"id", "remote_data"}
    drop = set(exclude)
    if ignore_remote_data:
        drop.add("remote_data")
    assert kind.fields[-1] == "remote_data"
    names = tuple(f for f in kind.fields[:-1] if f in keep and f not in drop)
    remote = "remote_data" in keep - drop
    return _fields(names, remote=remote), remote


def _timestamps(values: dict[str, Any]) -> None:
    """The timestamps of a rendered record, written the one way (:func:`unci.job.rfc3339`)."""
    for field in TIMESTAMPS:
        if field in values:
            values[field] = rfc3339(values[field])


def normalized(job: Job | Build, provider: str, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """One flat row: every unified field (null when unknown) plus ``provider``."""
    fields = _row_fields(kind_of(job), tuple(exclude))
    got = fields.read(job)
    steps_at = fields.steps_at
    if steps_at is not None and got[steps_at] is msgspec.UNSET:  # a row keeps its shape
        got = (*got[:steps_at], None, *got[steps_at + 1 :])
    return {"provider": provider, **_checked_plain(job, fields, got)}


@functools.lru_cache(maxsize=256)
def _row_fields(kind: Kind, exclude: tuple[str, ...]) -> _Fields:
    """The fields of a normalized row but ``provider`` (once per kind and exclusion)."""
    return _fields(tuple(f for f in kind.normalized[1:] if f not in exclude), first=("provider",))


def columns(exclude: Iterable[str] = (), kind: Kind = JOBS) -> list[str]:
    """The normalized columns left after ``exclude`` (table output keeps its shape when empty)."""
    drop = set(exclude)
    return [c for c in kind.normalized if c not in drop]


def encode(value: Any, *, pretty: bool = False) -> bytes:
    """JSON bytes, ``remote_data`` spliced in unchanged (timestamps are already strings)."""
    data = _encoder.encode(value)
    return indented(data) if pretty else data


def indented(data: bytes) -> bytes:
    """JSON bytes as ``pretty`` :func:`encode` writes them (two spaces)."""
    return msgspec.json.format(data, indent=2)
