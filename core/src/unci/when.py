"""Points in time as callers write them: ``7d``, ``2026-11-24``, ``2026-11-24T10:00:00+01:00``.

One parser for the Python API, the CLI and the server, so ``--since 7d`` means the same
everywhere. A duration counts back from now; a naive time is taken to be UTC, as provider
timestamps are. A date is a whole day in UTC: as a start (``since``) its first moment, as an
end (``until``, ``end_of_day=True``) its last, so ``--until 2026-12-01`` keeps that day's
builds, as ``created:..2026-12-01`` does on GitHub and GitLab's date ranges do.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from unci.errors import UsageError

#: What ``since``/``until`` accept.
When = datetime | date | timedelta | str

_DURATION = re.compile(r"(\d{1,12})\s*([wdhms])")  # bounded: a query can be long
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_when(
    value: When | None,
    what: str = "since",
    *,
    now: datetime | None = None,
    provider: str | None = None,
    flag: str = "",
    end_of_day: bool = False,
) -> datetime | None:
    """``value`` as a timezone-aware UTC datetime, or a :class:`UsageError` saying what is
    accepted, naming it ``since`` (a Python argument or the server's query parameter), or
    with ``flag="--"`` as the CLI's option ``--since``.
    ``None`` and ``""`` mean no bound. A date alone is its midnight, or with ``end_of_day``
    (an inclusive end, such as ``until``) its last microsecond: the day up to the next
    midnight, which the bound then excludes."""
    if value is None or value == "":
        return None
    now = now or datetime.now(timezone.utc)
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return _day(value, end_of_day)
    if isinstance(value, timedelta):
        return now - value
    if not isinstance(value, str):
        raise _bad(what, repr(value), provider, flag)
    text = value.strip()
    compact = text.replace(" ", "").lower()
    if compact and _DURATION.sub("", compact) == "" and _DURATION.match(compact):
        parts = _DURATION.findall(compact)
        try:
            span = sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in parts), timedelta())
            return now - span
        except OverflowError:
            raise _bad(what, repr(value), provider, flag, far=True) from None
    try:
        return _day(date.fromisoformat(text), end_of_day)  # a date alone
    except ValueError:
        pass
    try:
        stamp = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        raise _bad(what, repr(value), provider, flag) from None
    try:
        return _aware(parsed)
    except OverflowError:
        raise _bad(what, repr(value), provider, flag) from None


def _day(day: date, end: bool) -> datetime:
    """The first or the last moment of ``day`` in UTC."""
    return datetime.combine(day, time.max if end else time.min, tzinfo=timezone.utc)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _bad(what: str, shown: str, provider: str | None, flag: str, *, far: bool = False) -> UsageError:
    """``far``: a duration that is one, but reaches back before the year 1."""
    who = f"{provider}: " if provider else ""
    problem = (
        "reaches back before the year 1: give a shorter duration"
        if far
        else "is not a time: give a duration back from now"
    )
    return UsageError(
        f"{who}{flag}{what} {shown} {problem} (7d, 12h, 30m, 1w2d), a date (2026-11-24) or an "
        "ISO 8601 time (2026-11-24T10:00:00Z)",
        provider=provider,
    )
