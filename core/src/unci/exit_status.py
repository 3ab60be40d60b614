"""What a job or build came to, as a process exit code (``--exit-status``).

Release scripts and coding agents wrap ``watch`` and ``get`` to learn one thing: did it pass.
The unified conclusion answers that the same way for every provider; the codes are
:data:`unci.errors.OUTCOME_EXIT_CODES`, apart from the error families.
"""

from __future__ import annotations

from typing import Protocol

from unci.errors import OUTCOME_EXIT_CODES
from unci.job import Conclusion, Status

_BY_CONCLUSION = {
    Conclusion.PASSED: "passed",
    Conclusion.FAILED: "failed",
    Conclusion.CANCELLED: "cancelled",
    Conclusion.TIMEOUT: "timeout",
}


class Outcome(Protocol):
    """A job or a build: both have the unified status and conclusion."""

    status: str | None
    conclusion: str | None


def finished(record: Outcome) -> bool:
    """Has it ended? ``completed``, or a conclusion from a provider that gives no status."""
    if record.status == Status.COMPLETED:
        return True
    return record.status is None and record.conclusion is not None


def outcome(record: Outcome) -> str:
    """``passed``, ``failed``, ``cancelled``, ``timeout``, ``other`` or ``unfinished``."""
    if not finished(record):
        return "unfinished"
    return _BY_CONCLUSION.get(record.conclusion or "", "other")


def outcome_code(record: Outcome) -> int:
    """The exit code ``--exit-status`` ends with for ``record``."""
    return OUTCOME_EXIT_CODES[outcome(record)]
