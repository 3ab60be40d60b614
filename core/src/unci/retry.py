"""When to try a request again, and how long to wait: pure decisions, no sleeping here.

Idempotent requests are retried on connection errors, timeouts, a body cut off, 429, 502, 503
and 504, and on GitHub's secondary rate limit (a 403 that says so). The wait honours
``Retry-After`` first, then the provider's reset headers when the quota is spent, else
exponential backoff with full jitter. The total wait is capped (60 s by default): when the
provider asks for longer, unci fails at once with a rate-limit error that says when the limit
resets, rather than sleeping silently for minutes.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from unci.ratelimit import normalize, retry_after

RETRY_STATUSES = frozenset({429, 502, 503, 504})
log = logging.getLogger("unci")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``RetryPolicy(retries=0)`` turns retrying off."""

    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_wait: float = 60.0

    def __post_init__(self) -> None:
        """Checked when made: ``retries="3"`` failed only at the first retry, inside a request."""
        from math import isfinite

        from unci.errors import UsageError
        from unci.numbers import is_count

        if not is_count(self.retries, 0):
            raise UsageError(
                f"RetryPolicy: retries must be a whole number of at least 0, got {self.retries!r}"
            )
        for name in ("backoff", "max_backoff", "max_wait"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (isfinite(value) and value >= 0)
            ):
                raise UsageError(
                    f"RetryPolicy: {name} must be a number of seconds of at least 0, got {value!r}"
                )

    def backoff_delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full jitter: uniform in [0, min(max_backoff, backoff * 2**attempt)]."""
        ceiling = min(self.max_backoff, self.backoff * (2**attempt))
        return (rng or random).uniform(0, ceiling)


def is_rate_limited(status: int, headers: Mapping[str, str], message: str = "") -> bool:
    """429, or a 403 that is GitHub's primary (quota spent) or secondary rate limit."""
    if status == 429:
        return True
    if status != 403:
        return False
    if normalize(headers).get("ratelimit-remaining") == "0":  # normalized: "0.0" is "0" too
        return True
    return "rate limit" in message.lower() or "retry-after" in headers


def wait_for(
    status: int, headers: Mapping[str, str], message: str = "", now: float | None = None
) -> float | None:
    """What the provider asked us to wait, if anything: Retry-After, else a spent quota's reset."""
    asked = retry_after(headers, now)
    if asked is not None:
        return asked
    limits = normalize(headers, now)
    if limits.get("ratelimit-remaining") == "0" and "ratelimit-reset" in limits:
        return float(limits["ratelimit-reset"])  # a whole number: normalize parsed it
    if status == 403 and "secondary rate limit" in message.lower():
        return 60.0  # GitHub's documented advice when it gives no header: wait a minute
    return None


def should_retry_status(status: int, headers: Mapping[str, str], message: str = "") -> bool:
    return status in RETRY_STATUSES or is_rate_limited(status, headers, message)


class Retrier:
    """The retry state of one call: shared by the sync and async clients, which only sleep."""

    def __init__(
        self,
        policy: RetryPolicy,
        provider: str,
        notify: Callable[[str], None] | None,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy
        self.provider = provider
        self.notify = notify
        self.rng = rng
        self.attempt = 0
        self.waited = 0.0
        #: Set when the provider asked for a longer wait than the cap allows.
        self.capped_at: float | None = None

    def _take(self, delay: float, why: str) -> float:
        self.attempt += 1
        self.waited += delay
        text = (
            f"unci: {self.provider}: {why}; retrying in {delay:.1f} s "
            f"(retry {self.attempt} of {self.policy.retries})"
        )
        if self.notify is not None and delay > 1.0:
            self.notify(text)  # said once: the server's notice is a log line of its own
        else:
            log.info(text)
        return delay

    def after_network_error(self, why: str) -> float | None:
        """Seconds to wait before trying again, or ``None`` to give up."""
        if self.attempt >= self.policy.retries:
            return None
        delay = self.policy.backoff_delay(self.attempt, self.rng)
        if self.waited + delay > self.policy.max_wait:
            return None
        return self._take(delay, why)

    def after_status(self, status: int, headers: Mapping[str, str], body: bytes) -> float | None:
        """Seconds to wait before trying again, or ``None`` when this answer is final."""
        if status < 400:
            return None
        message = ""
        if status == 403:
            from unci.bodies import find_message, parse_body

            message = find_message(parse_body(body)) or ""
        if not should_retry_status(status, headers, message):
            return None
        if self.attempt >= self.policy.retries:
            return None
        asked = wait_for(status, headers, message)
        delay = asked if asked is not None else self.policy.backoff_delay(self.attempt, self.rng)
        if self.waited + delay > self.policy.max_wait:
            self.capped_at = delay
            return None
        return self._take(delay, f"HTTP {status}")


async def asleep(seconds: float) -> None:
    """``asyncio.sleep``, for the asyncio clients' waits (retries, rate limits, polls).

    asyncio is imported here, where a loop already runs (so for free), never by ``import
    unci``: the synchronous CLI and library do not pay its import (about 20 ms).
    """
    import asyncio

    await asyncio.sleep(seconds)
