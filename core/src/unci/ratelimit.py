"""Reading the numbers providers put in headers: rate-limit trios and ``Retry-After``.

Header values are the provider's (or an attacker's) text. Every number unci reads from a header
goes through :func:`header_number`, which accepts plain ASCII decimals only: ``nan``, ``inf``,
``1e400``, ``-5``, ``²`` or 40 digits are "no value", never an exception and never a wait.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

# (limit, remaining, reset) header names, in order of preference. Reset values above 10^9 are
# epoch seconds (GitHub, Buddy, GitLab); smaller ones are already seconds from now (IETF draft).
_FAMILIES = (
    ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"),
    ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"),
    ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"),
)
#: Every name of every family (the first family's names are the ones Truto answers with).
_NAMES = frozenset(name for names in _FAMILIES for name in names)
_EPOCH = 1_000_000_000
# Digits, an optional fraction; at most 15 integer digits (epoch milliseconds fit, 1e400 never
# gets near float()).
_DECIMAL = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,9})?")


def header_number(value: str | None) -> float | None:
    """A header's value as a non-negative finite number, or ``None`` when it is not one.

    Parameters after ``;`` (``RateLimit-Reset: 30;w=60``) and surrounding spaces are ignored.
    """
    if value is None:
        return None
    text = value.split(";", 1)[0].strip()
    if not _DECIMAL.fullmatch(text):
        return None
    return float(text)


def reset_seconds(value: str, now: float | None = None) -> int | None:
    """A reset header value as whole seconds from now (never negative)."""
    number = header_number(value)
    if number is None:
        return None
    if number > _EPOCH:
        number -= time.time() if now is None else now
    return max(0, round(number))


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After``: delay seconds or an HTTP date (RFC 9110 10.2.3);
    ``None`` when absent or neither. A date in the past is 0."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    seconds = header_number(value)
    if seconds is not None:
        return seconds
    if not value.isascii() or len(value) > 64:
        return None
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def _count(value: str) -> str | None:
    if value.isascii() and value.isdigit() and len(value) <= 15:  # the usual "4999", in C
        return str(int(value))
    number = header_number(value)
    return None if number is None else str(int(number))


#: (Truto's name, the provider's name) of every family, in the order they are tried.
_PAIRS = tuple((key, name) for names in _FAMILIES for key, name in zip(_FAMILIES[0], names, strict=True))


def normalize(headers: Mapping[str, str], now: float | None = None) -> dict[str, str]:
    """``{"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"}`` where the provider
    sent them as numbers (absent otherwise, as Truto documents), each a whole number.
    ``headers`` have lower-case names. (One flat loop and the plain decimal read in C: the
    server normalizes every answer it passes on.)"""
    out: dict[str, str] = {}
    if _NAMES.isdisjoint(headers):  # most answers of most providers: nothing to read
        return out
    for key, name in _PAIRS:
        if key in out or (value := headers.get(name)) is None:
            continue
        if key == "ratelimit-reset":
            seconds = reset_seconds(value, now)
            parsed = None if seconds is None else str(seconds)
        else:
            parsed = _count(value)
        if parsed is not None:
            out[key] = parsed
    return out


def describe_wait(seconds: float | None) -> str:
    """The end of a rate-limit message: ``"; it resets in 42 s"``, or nothing when unknown."""
    if seconds is None:
        return ""
    whole = round(seconds)
    return "; it resets now" if whole <= 0 else f"; it resets in {whole} s"
