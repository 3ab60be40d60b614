"""Reading each provider's rate-limit headers into Truto's ``ratelimit-*`` trio."""

from __future__ import annotations

import time
from collections.abc import Mapping

# (limit, remaining, reset) header names, in order of preference. Reset values above 10^9 are
# epoch seconds (GitHub, Buddy, GitLab); smaller ones are already seconds from now (IETF draft).
_FAMILIES = (
    ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"),
    ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"),
    ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"),
)
_EPOCH = 1_000_000_000


def reset_seconds(value: str, now: float | None = None) -> int | None:
    """A reset header value as whole seconds from now (never negative)."""
    try:
        number = float(value.split(";")[0].strip())
    except ValueError:
        return None
    if number > _EPOCH:
        number -= time.time() if now is None else now
    return max(0, round(number))


def normalize(headers: Mapping[str, str], now: float | None = None) -> dict[str, str]:
    """``{"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"}`` where the provider
    sent them (absent otherwise, as Truto documents). ``headers`` have lower-case names."""
    out: dict[str, str] = {}
    for limit, remaining, reset in _FAMILIES:
        if limit in headers and "ratelimit-limit" not in out:
            out["ratelimit-limit"] = headers[limit]
        if remaining in headers and "ratelimit-remaining" not in out:
            out["ratelimit-remaining"] = headers[remaining]
        if reset in headers and "ratelimit-reset" not in out:
            seconds = reset_seconds(headers[reset], now)
            if seconds is not None:
                out["ratelimit-reset"] = str(seconds)
    return out
