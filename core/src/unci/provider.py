"""What a provider plugin declares and returns: the data half of the hook contract.

Kept free of httpx so that describing providers (``unci providers``, ``--help``) never pays for
the HTTP stack; a plugin builds a :class:`Request` and the core sends it.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

import msgspec

from unci.build import Build
from unci.errors import InvalidParam
from unci.job import Job
from unci.text import not_utf8

#: Longest id or parameter value accepted; no provider addresses anything with more.
MAX_VALUE_LENGTH: Final = 1024


class Param(msgspec.Struct, frozen=True, kw_only=True):
    """A parameter a provider needs besides the job id (Truto's per-provider query params)."""

    name: str
    description: str
    required: bool = True
    #: ``"segment"``: lands in one URL path segment; ``"path"``: a ``/``-separated path whose
    #: parts are each a segment (CircleCI's ``gh/org/repo``); ``"query"``: sent in the query.
    kind: str = "segment"
    #: The value is a number (or one of ``words``, such as ``latest``): the core refuses any
    #: other before a request is built, with "NAME 'VALUE' is not a number; give DESCRIPTION",
    #: so a name given by mistake gets a way out rather than the API's bare 400.
    numeric: bool = False
    words: tuple[str, ...] = ()


class ProviderInfo(msgspec.Struct, frozen=True, kw_only=True):
    """How a provider presents itself to users and to the core."""

    name: str
    title: str
    #: The API root the endpoint paths are appended to (hosted service).
    base_url: str
    #: Other hosting forms, by name (e.g. ``{"eu": "https://api.eu.buddy.works"}``).
    base_urls: dict[str, str] = {}
    #: The API root of a self-hosted install, as a pattern for people (``https://HOST/api/v3``);
    #: empty when the provider is hosted only.
    self_hosted: str = ""
    #: Conventional environment variables for the token, after ``UNCI_<PROVIDER>_TOKEN``.
    token_env: tuple[str, ...] = ()
    #: For Basic-auth providers: environment variables for the user name and password.
    username_env: tuple[str, ...] = ()
    password_env: tuple[str, ...] = ()
    #: One line on how the provider authenticates (shown in ``unci providers`` and the docs).
    auth: str = ""
    #: The unified fields this provider fills (the field-support matrix).
    fields: tuple[str, ...] = ()
    #: The unified build fields this provider fills (empty: it lists no builds).
    build_fields: tuple[str, ...] = ()
    #: Where the provider documents the endpoint.
    docs_url: str = ""


class Credentials:
    """A token and/or user name + password. Its repr never shows a secret."""

    __slots__ = ("password", "token", "username")

    def __init__(
        self, token: str | None = None, username: str | None = None, password: str | None = None
    ) -> None:
        self.token = token or None
        self.username = username or None
        self.password = password or None

    def secrets(self) -> list[str]:
        """The values that must never be shown anywhere."""
        # filter() rather than a comprehension: read for every answer scrubbed, and a
        # comprehension makes a function call of its own.
        return list(filter(None, (self.token, self.password)))

    def __bool__(self) -> bool:
        return bool(self.token or self.username or self.password)

    def __repr__(self) -> str:
        shown = {
            k: ("***" if getattr(self, k) and k != "username" else getattr(self, k)) for k in self.__slots__
        }
        return (
            "Credentials(" + ", ".join(f"{k}={shown[k]!r}" for k in ("token", "username", "password")) + ")"
        )


class Request(msgspec.Struct, kw_only=True):
    """An HTTP request as a plugin describes it; the core adds base URL, auth and transport.

    ``path`` is already percent-encoded (build it with :func:`segment`) and is appended to the
    API root. For paging it may instead be an absolute URL the provider handed out (a ``next``
    link); the core only follows one that stays on the API root's origin.
    """

    path: str
    method: str = "GET"
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    #: Send under a sibling of the API root: its last path segment replaced by this (CircleCI's
    #: ``v1.1`` beside ``.../api/v2``), on the same host and with the same credentials.
    root: str | None = None


class Numbered(msgspec.Struct, frozen=True, kw_only=True):
    """The pages after this one, when the provider numbers them and says how many there are:
    each can be asked for now, without waiting for the page before it, so the core fetches
    several at once. Page ``n`` is ``request`` (the next page's) with query parameter ``param``
    set to ``n``, for ``n`` from ``first`` to ``last`` in steps of ``step`` (an offset paging
    steps by the page size). Build it with :func:`unci.paging.numbered`, which checks it."""

    request: Request
    param: str
    first: int
    last: int
    step: int = 1


class Page(msgspec.Struct, kw_only=True):
    """One page of a job list: the jobs on it and the request for the next page, if any."""

    jobs: list[Job]
    next: Request | None = None
    #: The following pages by number, where the provider says how many there are.
    numbered: Numbered | None = None


class BuildPage(msgspec.Struct, kw_only=True):
    """One page of a build list: the builds on it and the request for the next page, if any."""

    builds: list[Build]
    next: Request | None = None
    #: Where a page's builds stand for others (a CircleCI pipeline for its workflows):
    #: ``expand[i]`` lists the builds that replace ``builds[i]`` (``None``: keep it). Each
    #: replacement keeps its own values and takes the ones it lacks from the build it replaces.
    expand: list[Request | None] = []
    #: The following pages by number, where the provider says how many there are.
    numbered: Numbered | None = None


class LogPart(msgspec.Struct, kw_only=True):
    """One piece of a job's log that has a request of its own: a step's log (an Azure DevOps
    task, a CircleCI step action, a Buddy action execution).

    ``request`` may be an absolute URL on another host (CircleCI's pre-signed ``output_url``):
    the core sends the provider's credentials only to the API root, never there.
    """

    request: Request
    #: The step's name, printed above its part.
    name: str | None = None
    #: The step failed: ``--failed`` prints only such parts.
    failed: bool = False
    #: The step has ended, so its log will not grow (``--follow`` waits for it otherwise).
    complete: bool = True
    #: ``"text"``: the body is the log, streamed as it comes; ``"json"``: the whole body goes to
    #: ``read_log_part``, which returns the text.
    body: str = "text"
    #: The query parameter that makes ``request`` start at a line (Azure DevOps'
    #: ``startLine``), whether the provider numbers the first line 0 or 1. With it,
    #: ``--follow`` prints a running step's lines as they come instead of waiting for the step
    #: to end.
    lines: str | None = None


class LogRange(msgspec.Struct, kw_only=True):
    """What one answer to ``build_log_range_request`` holds, read from its status and headers
    before its body (so the body can be streamed)."""

    #: Leading bytes of the body already shown (a provider that answers a range request with
    #: the whole log: skip ``offset``).
    skip: int = 0
    #: The offset of the next request; ``None``: this offset plus the bytes shown.
    next_offset: int | None = None
    #: More is to come (Jenkins' ``X-More-Data``); ``None``: the job's status says.
    more: bool | None = None


def env_name(provider: str, what: str) -> str:
    """``UNCI_<PROVIDER>_<WHAT>``, the variable family every provider gets."""
    return f"UNCI_{provider.upper().replace('-', '_')}_{what}"


def check_id(what: str, value: object, *, provider: str) -> str:
    """A job or build id as :func:`check_value` checks it. A whole number (what a provider's
    JSON holds) is written out; ``None`` or another type is refused, where ``str()`` would have
    asked the provider for job ``'None'``."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    elif not isinstance(value, str):
        raise InvalidParam(
            f"{provider}: {what} must be text or a whole number, got {value!r}", provider=provider
        )
    return check_value(what, value, provider=provider)


def check_value(what: str, value: str, *, provider: str, kind: str = "segment") -> str:
    """Refuse ids and params that no provider addresses and that could steer a request.

    Empty values, control characters, over-long values and the dot segments ``.``/``..``
    (which HTTP clients and servers resolve, even when percent-encoded) are errors; anything
    else is made safe by percent-encoding.
    """
    if not isinstance(value, str):
        raise InvalidParam(f"{provider}: {what} must be text, got {type(value).__name__}.", provider=provider)
    if not value.strip():
        raise InvalidParam(f"{provider}: {what} is empty; give a value.", provider=provider)
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidParam(
            f"{provider}: {what} is {len(value)} characters long; at most {MAX_VALUE_LENGTH} are accepted.",
            provider=provider,
        )
    if not value.isprintable():
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise InvalidParam(
                f"{provider}: {what} contains a control character; remove it.", provider=provider
            )
        if not_utf8(value):
            raise InvalidParam(
                f"{provider}: {what} {value!r} holds bytes that are not UTF-8; give it in UTF-8.",
                provider=provider,
            )
    # A query value never lands in the path; one segment is its own only part (the split and
    # the generator were a third of checking a job id).
    if kind == "query":
        dotted = False
    elif kind == "path":
        dotted = any(part in ("", ".", "..") for part in value.split("/"))
    else:
        dotted = value in ("", ".", "..")
    if dotted:
        raise InvalidParam(
            f"{provider}: {what} {value!r} has an empty or dot ('.', '..') path part, which would "
            "address another endpoint; give the real value.",
            provider=provider,
        )
    return value


def check_number(param: Param, value: str, *, provider: str) -> str:
    """``value`` when ``param`` takes any value, or it is a number (or one of its ``words``);
    otherwise the error that names ``param`` and repeats its description as what to give."""
    if not param.numeric or (value.isascii() and value.isdigit()) or value in param.words:
        return value
    raise InvalidParam(
        f"{provider}: {param.name} {value!r} is not a number; give {param.description}", provider=provider
    )


def segment(value: str) -> str:
    """Percent-encode one URL path segment: ``/``, ``?``, ``#``, ``{``, ``}`` and the rest.

    A dot segment is refused rather than encoded, because ``%2E%2E`` is still ``..`` to many
    servers. Callers normally hit :func:`check_value` first, which gives the friendlier message.
    """
    if value in (".", "..") or value == "":
        raise InvalidParam(f"{value!r} cannot be used as a URL path segment.")
    if _PLAIN.fullmatch(value):  # ids, owners, repositories: nothing to encode
        return value
    return quote(value, safe="")


#: What ``quote(value, safe="")`` leaves as it is (``urllib.parse``'s always-safe characters);
#: matched first because a request's two or three segments cost a fifth of preparing it.
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")


def segments(value: str) -> str:
    """Encode a ``/``-separated path whose parts are each one segment (``gh/org/repo``)."""
    return "/".join(segment(part) for part in value.split("/"))
