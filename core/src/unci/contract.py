"""The provider contract: one object per provider, its facts as data, its hooks as methods.

A provider subclasses :class:`Provider`, sets its facts (``info``, ``params``, ``auth``,
``paging``, ``identity``, ``error_keys``) and writes the hooks only it can: how to ask for a job
and how to read one. Everything providers share is a building block declared here or in
:mod:`unci.auth` and :mod:`unci.paging`, overridden only where a provider differs. The core looks
the object up by name and calls only it; no method needs to check which provider is meant.

The method names are the pluggy hookspecs of :mod:`unci.hookspecs`, so a third-party plugin can
still wrap one provider's hook without forking it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar, TypeVar

import msgspec

from unci.auth import Auth, Bearer
from unci.bodies import message_at, user_at
from unci.build import Build, BuildQuery
from unci.errors import InvalidParam, NotFound, Unsupported
from unci.job import Job, Step
from unci.paging import Paging
from unci.provider import (
    BuildPage,
    Credentials,
    LogPart,
    LogRange,
    Page,
    Param,
    ProviderInfo,
    Request,
    segment,
    segments,
)

T = TypeVar("T")
#: How many ids :meth:`Provider.pick` names when the one asked for is not there.
SHOWN = 10


class Identity(msgspec.Struct, frozen=True):
    """Who the credentials belong to: the endpoint and the fields that name the user.

    ``Identity("/user", "login", "name")`` reads GitHub's ``/user``; ``within`` names the member
    that holds the user where the answer wraps it (Travis ``/user`` does not, Buildkite does).
    """

    path: str
    handle: str
    name: str
    within: str | None = None


class _Encoded:
    """The values :meth:`Provider.path` fills a template with, each encoded only when the
    template names it: a query parameter (a filter valued ``.``, an empty optional one) is not a
    path segment, and encoding it would refuse a request that never puts it in the path."""

    __slots__ = ("given", "kinds", "params")

    def __init__(self, given: Mapping[str, str], params: Mapping[str, Sequence[Param]]) -> None:
        self.given = given
        self.params = params
        self.kinds: dict[str, str] | None = None

    def __getitem__(self, name: str) -> str:
        value = self.given[name]
        if type(value) is str and "/" not in value:
            # Without a "/" both encodings are the same one segment, so the params' kinds
            # are looked at only for a value that has one: building them for every path was
            # a tenth of preparing a request.
            return segment(value)
        if self.kinds is None:
            self.kinds = {p.name: p.kind for ps in self.params.values() for p in ps}
        return segments(value) if self.kinds.get(name) == "path" else segment(value)


class Provider:
    """The base of every provider; see docs/writing-a-provider.md.

    Subclasses must set :attr:`info`, set :attr:`job_path` or implement :meth:`build_request`,
    and implement :meth:`map_job`; every other hook has a default built from the class's data,
    or says the provider does not support that operation.
    """

    #: How the provider presents itself (name, title, API root, credentials, fields).
    info: ClassVar[ProviderInfo]
    #: Parameters by operation: ``get`` (one job), ``list`` (the jobs of one build), ``builds``
    #: (list builds), ``build`` (one build). Users give them as ``-p NAME=VALUE``.
    params: ClassVar[Mapping[str, Sequence[Param]]] = {}
    #: Headers every request carries (API version, media type); never credentials.
    headers: ClassVar[Mapping[str, str]] = {}
    #: The authentication scheme.
    auth: ClassVar[Auth] = Bearer()
    #: Top-level keys of a JSON error body that hold the provider's message, in order.
    error_keys: ClassVar[tuple[str, ...]] = ("message",)
    #: Who-am-I endpoint for ``unci accounts test``; ``None`` when the provider has none.
    identity: ClassVar[Identity | None] = None
    #: How the provider's lists page.
    paging: ClassVar[Paging] = Paging()
    #: What a job id looks like, where the core can tell a wrong one before asking: a
    #: ``Param(name="job id", ..., numeric=True)`` refuses one that is not a number, as params are.
    job_id: ClassVar[Param | None] = None
    #: The endpoint of one job, as a :meth:`path` template (``"/job/{job_id}"``): with it the
    #: default :meth:`build_request` asks for it. A job picked out of an answer that holds several
    #: names the same endpoint as :attr:`list_path`.
    job_path: ClassVar[str | None] = None
    #: The endpoint of a build's jobs, as a :meth:`path` template: with it the default
    #: :meth:`build_list_request` asks for it, with the page size :attr:`paging` adds.
    list_path: ClassVar[str | None] = None
    #: The provider's own words for a build's outcome (lower case) and the unified conclusion
    #: each means, as its builds are mapped: a build filter given in them (``success``) is read
    #: as the unified word (``passed``), which the mapped builds carry.
    build_conclusions: ClassVar[Mapping[str, str]] = {}

    @property
    def name(self) -> str:
        return self.info.name

    def request(self, path: str, query: Sequence[tuple[str, str]] = ()) -> Request:
        """A GET of ``path`` (already percent-encoded) with the provider's headers."""
        return Request(path=path, query=list(query), headers=dict(self.headers))

    def path(self, template: str, params: Mapping[str, str], **values: str) -> str:
        """``template`` with each ``{name}`` replaced by that param (or one of ``values``, such
        as ``job_id``) percent-encoded as its :attr:`Param.kind` says: one segment, or each part
        of a ``/``-separated path. ``"/repos/{owner}/{repo}/actions/jobs/{job_id}"``."""
        return template.format_map(_Encoded({**params, **values}, self.params))

    def text_request(self, path: str, query: Sequence[tuple[str, str]] = ()) -> Request:
        """A GET of a log: as :meth:`request`, asking for plain text rather than JSON."""
        return Request(path=path, query=list(query), headers={**self.headers, "Accept": "text/plain"})

    def not_found(self, what: str) -> NotFound:
        """The error for a job that the answer does not hold (one picked out of a pipeline or
        a timeline): ``what`` says where it was looked for and what is there instead."""
        return NotFound(f"{self.name}: {what}", provider=self.name, remote_status=404)

    def pick(
        self, wanted: str, found: Iterable[tuple[str, str | None, T]], where: str, what: str = "job"
    ) -> T:
        """The value whose id is ``wanted`` among ``found`` (id, name, value): a job picked out
        of an answer that holds several (a pipeline, a timeline). When it is not there, the
        :meth:`not_found` error says ``where`` it was looked and which ids there are instead."""
        seen = []
        for id_, name, value in found:
            if id_ == wanted:
                return value
            seen.append(f"{id_} ({name})" if name else id_)
        shown = ", ".join(seen[:SHOWN]) + (f" and {len(seen) - SHOWN} more" if len(seen) > SHOWN else "")
        there = f"its {what}s are {shown}" if seen else f"it has no {what}s yet"
        raise self.not_found(f"{where} has no {what} {wanted}; {there}")

    def number(self, what: str, value: str, hint: str, *words: str) -> str:
        """``value`` as a URL path segment when it is a number (or one of ``words``, such as
        ``latest``); otherwise the error naming ``what`` with ``hint`` (where to find the
        number). For APIs that address everything by number: a name given by mistake is refused
        with a way out, not sent for a bare 400."""
        if (value.isascii() and value.isdigit()) or value in words:
            return segment(value)
        raise InvalidParam(f"{self.name}: {what} {value!r} is not a number; {hint}", provider=self.name)

    def unsupported(self, what: str) -> Unsupported:
        """The error for an operation the provider's API does not offer."""
        return Unsupported(f"{self.name}: {self.info.title} does not support {what}", provider=self.name)

    # --- describing ---------------------------------------------------------------------

    def describe_provider(self) -> ProviderInfo:
        return self.info

    def required_params(self, operation: str) -> list[Param]:
        return list(self.params.get(operation, ()))

    def authenticate(self, credentials: Credentials) -> dict[str, str]:
        return self.auth.headers(credentials)

    def error_message(self, status_code: int, payload: bytes) -> str | None:
        for key in self.error_keys:
            found = message_at(payload, key)
            if found:
                return found
        return None

    # --- jobs ---------------------------------------------------------------------------

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        if self.job_path is None:
            raise NotImplementedError(f"{type(self).__name__} must set job_path or implement build_request")
        return self.request(self.path(self.job_path, params, job_id=job_id))

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        raise NotImplementedError(f"{type(self).__name__} must implement map_job")

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        if self.list_path is None:
            raise self.unsupported("listing the jobs of a build")
        return self.paging.first(self.request(self.path(self.list_path, params)), limit)

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        """The jobs :meth:`map_jobs` reads, and the next page as :attr:`paging` tells it from
        the headers alone (a ``Link`` header) or none: a provider whose next page is named in
        its body writes this hook instead."""
        jobs = self.map_jobs(payload, params)
        return Page(jobs=jobs, next=self.paging.next(request, headers=headers, count=len(jobs)))

    def map_jobs(self, payload: bytes, params: Mapping[str, str]) -> list[Job]:
        """The jobs of one page of a build's jobs, for the default :meth:`map_job_page`."""
        raise self.unsupported("listing the jobs of a build")

    # --- builds -------------------------------------------------------------------------

    def build_builds_request(
        self, params: Mapping[str, str], query: BuildQuery, limit: int | None
    ) -> Request:
        raise self.unsupported("listing builds")

    def map_build_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> BuildPage:
        raise self.unsupported("listing builds")

    def build_build_request(self, build_id: str, params: Mapping[str, str]) -> Request:
        raise self.unsupported("getting a build")

    def map_build(self, payload: bytes, build_id: str, params: Mapping[str, str]) -> Build:
        raise self.unsupported("getting a build")

    def build_build_context_request(self, build: Build, params: Mapping[str, str]) -> Request | None:
        return None  # a build's payload is whole unless the provider says otherwise

    def map_build_context(self, payload: bytes, build: Build, params: Mapping[str, str]) -> Build:
        raise self.unsupported("the context of a build")

    # --- inside a job -------------------------------------------------------------------

    def build_steps_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        raise self.unsupported("steps")

    def map_steps(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> list[Step]:
        raise self.unsupported("steps")

    def build_log_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        raise self.unsupported("job logs")

    def build_log_parts_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        raise self.unsupported("job logs by step")

    def map_log_parts(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> list[LogPart]:
        raise self.unsupported("job logs by step")

    def read_log_part(self, payload: bytes, part: LogPart) -> bytes:
        return payload

    def next_log_part(self, payload: bytes, part: LogPart) -> LogPart | None:
        return None

    def build_log_range_request(self, job_id: str, params: Mapping[str, str], offset: int) -> Request:
        raise self.unsupported("following a log while the job runs")

    def read_log_range(self, status_code: int, headers: Mapping[str, str], offset: int) -> LogRange:
        return read_byte_range(status_code, headers, offset)

    # --- accounts -----------------------------------------------------------------------

    def identity_request(self, params: Mapping[str, str]) -> Request:
        if self.identity is None:
            raise self.unsupported("telling who a token belongs to")
        return self.request(self.identity.path)

    def read_identity(self, payload: bytes) -> str | None:
        """None when the answer names nobody: `unci accounts test` says "an unnamed user"."""
        if self.identity is None:
            raise self.unsupported("telling who a token belongs to")
        return user_at(
            payload, self.identity.handle, self.identity.name, within=self.identity.within, required=True
        )


def byte_range(request: Request, offset: int) -> Request:
    """``request`` asking for its body from byte ``offset`` on (``Range: bytes=N-``): the way
    to follow a log that a provider serves whole and growing (GitLab's trace, Buildkite's and
    Travis' raw logs). Pair it with :func:`read_byte_range`."""
    if offset <= 0:
        return request
    return Request(
        path=request.path,
        method=request.method,
        query=list(request.query),
        headers={**request.headers, "Range": f"bytes={offset}-"},
    )


def read_byte_range(status_code: int, headers: Mapping[str, str], offset: int) -> LogRange:
    """The answer to a :func:`byte_range` request: a 206 holds only the new bytes; a server
    that ignores ``Range`` answers 200 with the whole log, whose first ``offset`` bytes were
    shown already."""
    return LogRange(skip=0 if status_code == 206 else offset)
