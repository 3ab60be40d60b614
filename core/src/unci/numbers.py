"""Numbers that come from people and programs: options, query strings, environment variables.

``str.isdigit()`` is true for ``²`` and ``int()`` then fails; ``float()`` takes ``nan``, ``inf``
and ``1e400``; ``int()`` refuses more than 4,300 digits with its own ValueError. Each of those
once reached a traceback or a 500. Every number unci reads from caller input goes through these
functions instead: plain ASCII decimals within stated bounds, or a :class:`UsageError` saying
what was expected.
"""

from __future__ import annotations

import re

from unci.errors import UsageError

_WHOLE = re.compile(r"[0-9]{1,18}")
_DECIMAL = re.compile(r"[0-9]{1,12}(?:\.[0-9]{0,9})?|\.[0-9]{1,9}")
_SIZE = re.compile(r"([0-9]{1,15})\s*(|k|kb|kib|m|mb|mib|g|gb|gib)", re.IGNORECASE)
_UNITS = {
    "": 1,
    "k": 1024,
    "kb": 1000,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1000**3,
    "gib": 1024**3,
}


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def whole(text: str, name: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    """``text`` as a whole number in ``[minimum, maximum]``."""
    raw = text.strip()
    bound = f"at least {minimum}" + ("" if maximum is None else f" and at most {maximum}")
    if not _WHOLE.fullmatch(raw):
        digits = " of at most 18 digits" if raw.isascii() and raw.isdigit() else ""
        raise UsageError(f"{name} must be a whole number ({bound}){digits}, got {_shown(text)}")
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        raise UsageError(f"{name} must be a whole number ({bound}), got {value}")
    return value


#: The longest a number of seconds may be (a timeout, an interval, a wait).
_YEAR = 86400.0 * 365


def seconds(text: str, name: str, *, positive: bool = False, maximum: float = _YEAR) -> float:
    """``text`` as a finite number of seconds (``0.5``, ``30``), within a year."""
    raw = text.strip()
    if not _DECIMAL.fullmatch(raw):
        raise UsageError(f"{name} must be a number of seconds such as 30 or 0.5, got {_shown(text)}")
    value = float(raw)
    if (positive and value <= 0) or value > maximum:
        low = "more than 0" if positive else "at least 0"
        raise UsageError(f"{name} must be {low} and at most {_most(maximum)}, got {raw}")
    return value


def _most(maximum: float) -> str:
    """A bound in seconds as a person reads it: ``31536000 seconds (a year)``, never
    ``3.1536e+07``."""
    text = f"{maximum:.0f}" if maximum == int(maximum) else f"{maximum}"
    return f"{text} seconds" + (" (a year)" if maximum == _YEAR else "")


def is_count(value: object, minimum: int) -> bool:
    """Is ``value`` a whole number a Python caller gave, at least ``minimum``? ``True`` is no
    count, and ``2.5`` or ``"5"`` none either."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def given_count(value: object, name: str) -> int | None:
    """A count a Python caller gave (``concurrency=8``), a whole number of at least 1, or
    ``None`` (the default): ``0``, ``-1`` and ``True`` ran one request at a time and ``1.5``
    two, unsaid."""
    if value is None:
        return None
    if not isinstance(value, int) or not is_count(value, 1):
        raise UsageError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


def given_seconds(value: object, name: str, *, maximum: float = _YEAR) -> float:
    """A number of seconds a Python caller gave (``timeout=30``), more than 0 and within a
    year: ``"30"`` or ``-1`` is refused before any request, where it failed deep inside or
    reported a network timeout "within -1 s"."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= maximum:
        raise UsageError(
            f"{name} must be a number of seconds more than 0 and at most {_most(maximum)}, got {value!r}"
        )
    return float(value)


def size(text: str, name: str, *, minimum: int = 1) -> int:
    """``text`` as a byte count: ``1048576``, ``64MiB``, ``500kB`` (k/M/G alone are binary)."""
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise UsageError(
            f"{name} must be a size in bytes such as 67108864, 64MiB or 500kB, got {_shown(text)}"
        )
    value = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if value < minimum:
        raise UsageError(f"{name} must be at least {minimum} bytes, got {text.strip()}")
    return value
