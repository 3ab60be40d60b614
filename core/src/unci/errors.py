"""The error hierarchy: one base class, an exit code and an HTTP status per family.

Library users catch at any level (``UnciError`` for everything, ``RemoteError`` for anything
the provider said, ``AuthError`` for a refused token); the CLI turns each into one line on
stderr and the family's exit code, never a traceback. Messages name the provider, what was wrong
and what to do, the last in the words of whoever called: a Python caller is told of arguments
(``token=``), the CLI's user of options (``--token``), the server's client of query parameters;
one error carries all three, so none is cut out of another by string. Errors carry fields, not
formats: Truto's JSON envelope is built where it is rendered (:func:`unci.error_envelope`), so
this module imports nothing of unci's.
"""

from __future__ import annotations

from typing import Any

#: Exit codes, documented in the README. 1 is left to Python for the unexpected.
EXIT_CODES = {
    "usage": 2,
    "plugin": 3,
    "auth": 4,
    "not_found": 5,
    "remote": 6,
    "rate_limit": 7,
    "network": 8,
    "decode": 9,
    "config": 10,
    "unsupported": 11,
    "output": 12,
    "no_log": 13,
    "destination": 14,
}

#: Exit codes of ``--exit-status`` (``jobs get``, ``jobs watch``, ``builds get``, ``builds
#: watch``): the outcome of the job or build, kept apart from the error families above, so a
#: script tells "the job failed" (20) from "unci could not find out" (2-14). ``other`` is any
#: other conclusion (skipped, partial, a provider's own word); ``unfinished`` a job or build
#: that has not ended yet (``get`` only: ``watch`` waits for the end).
OUTCOME_EXIT_CODES = {
    "passed": 0,
    "failed": 20,
    "cancelled": 21,
    "timeout": 22,
    "other": 23,
    "unfinished": 24,
}


class UnciError(Exception):
    """Base of every error unci raises on purpose."""

    exit_code = 1
    status_code = 500
    error = "Internal Server Error"

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        hint: str | None = None,
        http_hint: str | None = None,
        py_hint: str | None = None,
        cli_fact: str | None = None,
    ) -> None:
        #: What happened alone. Each surface adds what to do in its own words: the CLI its
        #: options (``--token``), ``unci serve`` its query (``remote_query[KEY]=VALUE``), the
        #: library its arguments (``token=``), so no caller is told of a way it does not have.
        self.fact = message
        #: What to do, in the CLI's words.
        self.hint = hint
        #: ... in the server's; without one the server says the fact alone.
        self.http_hint = http_hint
        #: ... in Python's; without one the library says ``hint`` (a hint that names no option).
        self.py_hint = py_hint
        #: What happened, where the CLI names it otherwise (an option for an argument).
        self.cli_fact = cli_fact
        self.provider = provider
        #: The message as the library raises it (``str()`` of the error).
        self.message = _joined(message, hint if py_hint is None else py_hint)
        super().__init__(self.message)

    def cli_message(self) -> str:
        """The message as the CLI prints it."""
        return _joined(self.cli_fact or self.fact, self.hint)

    def http_message(self) -> str:
        """The message as ``unci serve`` answers it."""
        return _joined(self.fact, self.http_hint)

    def reword(
        self, more: str, *, hint: str | None = None, http_hint: str | None = None, py_hint: str | None = None
    ) -> None:
        """Add ``more`` to the fact and replace the hints given, where a caller knows more than
        the raiser did (that unci's own cap on waiting, not the provider, ended a wait)."""
        self.fact += more
        self.cli_fact = None if self.cli_fact is None else self.cli_fact + more
        self.hint = hint if hint is not None else self.hint
        self.http_hint = http_hint if http_hint is not None else self.http_hint
        self.py_hint = py_hint if py_hint is not None else self.py_hint
        self.message = _joined(self.fact, self.hint if self.py_hint is None else self.py_hint)
        self.args = (self.message,)

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only arguments, which pickle's default (args only) loses;
        # rebuild from the state instead, so errors cross process pools intact.
        return (_restore, (type(self), self.message, dict(self.__dict__)))


def _joined(fact: str, hint: str | None) -> str:
    """A hint in lower case goes on the same sentence after a semicolon, else a new one."""
    if not hint:
        return fact
    return f"{fact}{'; ' if hint[:1].islower() else '. '}{hint}"


def _restore(cls: type[UnciError], message: str, state: dict[str, Any]) -> UnciError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# --- the caller's input -------------------------------------------------------------------


class UsageError(UnciError):
    exit_code = EXIT_CODES["usage"]
    status_code = 400
    error = "Bad Request"


class UnknownProvider(UsageError):
    status_code = 404
    error = "Not Found"


class MissingParams(UsageError):
    def __init__(self, message: str, *, missing: list[str], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.missing = missing


class InvalidParam(UsageError):
    pass


# --- plugins ---------------------------------------------------------------------------------


class PluginError(UnciError):
    exit_code = EXIT_CODES["plugin"]
    status_code = 500
    error = "Internal Server Error"


class PluginLoadError(PluginError):
    def __init__(self, message: str, *, provider: str, distribution: str | None) -> None:
        super().__init__(message, provider=provider)
        self.distribution = distribution


class DuplicateProvider(PluginError):
    def __init__(self, message: str, *, provider: str, distributions: list[str]) -> None:
        super().__init__(message, provider=provider)
        self.distributions = distributions


class Unsupported(UnciError):
    """The provider's API has no such operation (logs on a provider without them...)."""

    exit_code = EXIT_CODES["unsupported"]
    status_code = 501
    error = "Not Implemented"


class LogUnavailable(UnciError):
    """The job exists but has no log to give: not yet (GitHub gives one only once the job has
    finished) or not at all (a skipped job, an expired or erased log). Apart from
    :class:`NotFound`, so a script can tell "wait and ask again" from "wrong id"."""

    exit_code = EXIT_CODES["no_log"]
    status_code = 409
    error = "Conflict"

    def __init__(
        self, message: str, *, provider: str | None = None, pending: bool = False, **kw: Any
    ) -> None:
        super().__init__(message, provider=provider, **kw)
        #: The job has not finished: asking again later (or with ``--follow``) may give a log.
        self.pending = pending


# --- configuration ---------------------------------------------------------------------------


class ConfigError(UnciError):
    exit_code = EXIT_CODES["config"]
    status_code = 500
    error = "Internal Server Error"


class OutputError(UnciError):
    """The output could not be written: a full disk, a closed or vanished stdout."""

    exit_code = EXIT_CODES["output"]
    status_code = 500
    error = "Internal Server Error"


class DestinationError(UnciError):
    """``unci sync``: the database could not be reached, refused the credentials, or could not
    be written (a DuckDB file in a folder that does not exist or is read-only)."""

    exit_code = EXIT_CODES["destination"]
    status_code = 500
    error = "Internal Server Error"


# --- the provider's answer -------------------------------------------------------------------


class RemoteError(UnciError):
    """The provider answered with an HTTP error; its status and body ride along."""

    exit_code = EXIT_CODES["remote"]
    error = "Bad Gateway"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        remote_status: int,
        remote_body: bytes = b"",
        remote_headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, provider=provider, **kw)
        self.remote_status = remote_status
        self.remote_body = remote_body
        self.remote_headers = remote_headers or {}
        self.status_code = remote_status if 400 <= remote_status < 600 else 502
        self.error = _phrase(self.status_code)


class AuthError(RemoteError):
    exit_code = EXIT_CODES["auth"]


class NotFound(RemoteError):
    exit_code = EXIT_CODES["not_found"]


class RateLimited(RemoteError):
    exit_code = EXIT_CODES["rate_limit"]

    def __init__(self, message: str, *, reset_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reset_after = reset_after


class NetworkError(UnciError):
    """No usable HTTP answer: connection refused, DNS, TLS, timeout, a body cut off."""

    exit_code = EXIT_CODES["network"]
    status_code = 502
    error = "Bad Gateway"


class Timeout(NetworkError):
    status_code = 504
    error = "Gateway Timeout"


class DecodeError(UnciError):
    """The provider's body is not the JSON the plugin expects; names the field when it can."""

    exit_code = EXIT_CODES["decode"]
    status_code = 502
    error = "Bad Gateway"
