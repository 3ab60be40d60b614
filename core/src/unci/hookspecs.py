"""The hook contract between the core and provider plugins, as pluggy hookspecs.

A provider is one :class:`unci.Provider` object whose methods are these hooks; the core calls
only the provider asked for, so no implementation checks which provider is meant and none takes
the ``provider`` argument. The argument stays in every spec for *other* plugins: a third-party
plugin registered beside a provider (``unci.extensions`` entry points, or
``unci.plugins.registry().register``) can wrap any hook (``@unci.hookimpl(wrapper=True)``) and
learns from ``provider`` whose call it is wrapping. Every hook is ``firstresult``: an extension
that returns a value overrides the provider's, one that returns ``None`` leaves it alone.

Hooks receive keyword arguments only, and an implementation may accept any subset of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from unci.build import Build, BuildQuery
    from unci.job import Job, Step
    from unci.provider import (
        BuildPage,
        Credentials,
        LogPart,
        LogRange,
        Page,
        Param,
        ProviderInfo,
        Request,
    )

hookspec = pluggy.HookspecMarker("unci")
hookimpl = pluggy.HookimplMarker("unci")


@hookspec(firstresult=True)
def describe_provider(provider: str) -> ProviderInfo | None:
    """Describe the provider: title, API root, credential variables, fields it fills.

    :param provider: the provider name asked for (the entry-point name, e.g. ``github``).
    :return: a :class:`unci.ProviderInfo`.
    """


@hookspec(firstresult=True)
def required_params(provider: str, operation: str) -> list[Param] | None:
    """The parameters the provider needs besides the id, in the order users give them.

    The core checks them before any request and names every missing one in the error.

    :param provider: the provider name asked for.
    :param operation: ``"get"`` (one job), ``"list"`` (the jobs of one build), ``"builds"``
        (list builds) or ``"build"`` (one build).
    :return: a list of :class:`unci.Param`, possibly empty.
    """


@hookspec(firstresult=True)
def authenticate(provider: str, credentials: Credentials) -> dict[str, str] | None:
    """The headers that carry the credentials (``Authorization``, ``Circle-Token``...).

    Kept apart from the requests so the core attaches them to every request it makes for the
    provider (paging included) and redacts exactly them in debug output.

    :param provider: the provider name asked for.
    :param credentials: the token and/or user name and password the user supplied; may be empty,
        in which case return ``{}`` (public data) or the headers the provider needs anyway.
    :return: a dict of header name to value.
    """


@hookspec(firstresult=True)
def build_request(provider: str, job_id: str, params: Mapping[str, str]) -> Request | None:
    """The request that fetches one job: path under the API root, query, non-secret headers.

    Every value from the user that lands in the path must go through :func:`unci.segment`
    (or :func:`unci.segments` for a slash-separated path), so that an id of ``../../user``
    or ``1?x=y`` never reaches another endpoint or query.

    :param provider: the provider name asked for.
    :param job_id: the job id as the user gave it, already checked to be non-empty text without
        control characters.
    :param params: the provider's parameters, required ones present and checked.
    :return: a :class:`unci.Request`.
    """


@hookspec(firstresult=True)
def map_job(provider: str, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job | None:
    """Turn the provider's response body into a unified :class:`unci.Job`.

    Decode with ``msgspec`` Structs that declare only the fields read, and keep the body as
    ``remote_data`` (``msgspec.Raw(payload)``; a provider that returns the job inside a parent
    keeps just the job's own object). Unknown status words pass through raw (``unci.translate``).
    Raise :class:`unci.DecodeError` naming the field when the body is not what the provider
    documents; the core turns msgspec's own errors into that too, naming the provider.

    :param provider: the provider name asked for.
    :param payload: the response body, bytes exactly as received.
    :param job_id: the id that was asked for; a provider whose response holds several jobs (a
        parent's timeline) picks this one out.
    :param params: the provider's parameters as given for the request.
    :return: a :class:`unci.Job`.
    """


@hookspec(firstresult=True)
def error_message(provider: str, status_code: int, payload: bytes) -> str | None:
    """The provider's own message from an error body (CircleCI ``message``, Travis
    ``error_message``...). The core falls back to walking common keys when this returns ``None``.

    :param provider: the provider name asked for.
    :param status_code: the HTTP status of the error response.
    :param payload: the error response body.
    :return: the message, or ``None`` when the body holds none.
    """


@hookspec(firstresult=True)
def build_list_request(provider: str, params: Mapping[str, str], limit: int | None) -> Request | None:
    """The request for the first page of the jobs of one build (run, workflow, pipeline).

    :param provider: the provider name asked for.
    :param params: the provider's list parameters (``build`` and the rest), checked.
    :param limit: how many jobs the caller wants per page, when it said; use it as the page
        size where the provider lets you choose one (clamped to the provider's maximum).
    :return: a :class:`unci.Request`.
    """


@hookspec(firstresult=True)
def map_job_page(
    provider: str,
    payload: bytes,
    headers: Mapping[str, str],
    params: Mapping[str, str],
    request: Request,
) -> Page | None:
    """Read one page of a job list: its jobs and the request for the next page.

    The core wraps ``Page.next`` in an opaque cursor, so the provider's paging (Link header,
    page token, page number, ``next`` URL) never leaks into the core or to users.

    :param provider: the provider name asked for.
    :param payload: the page's response body.
    :param headers: the page's response headers (lower-case names), for Link-header paging.
    :param params: the provider's list parameters.
    :param request: the request that fetched this page (to compute the next page number).
    :return: a :class:`unci.Page`.
    """


@hookspec(firstresult=True)
def build_builds_request(
    provider: str, params: Mapping[str, str], query: BuildQuery, limit: int | None
) -> Request | None:
    """The request for the first page of builds, newest first, filtered where the provider can.

    The core applies every filter of ``query`` again to what comes back and stops paging once a
    page is older than ``query.since``, so send what the provider filters on itself and leave
    the rest.

    :param provider: the provider name asked for.
    :param params: the provider's ``builds`` parameters, checked.
    :param query: branch, unified status/conclusion, since/until (UTC datetimes).
    :param limit: how many builds the caller wants in all, when it said (a page-size hint).
    :return: a :class:`unci.Request`.
    """


@hookspec(firstresult=True)
def map_build_page(
    provider: str,
    payload: bytes,
    headers: Mapping[str, str],
    params: Mapping[str, str],
    request: Request,
) -> BuildPage | None:
    """Read one page of a build list: its builds and the request for the next page.

    :param provider: the provider name asked for.
    :param payload: the page's response body.
    :param headers: the page's response headers (lower-case names).
    :param params: the provider's ``builds`` parameters.
    :param request: the request that fetched this page.
    :return: a :class:`unci.BuildPage`.
    """


@hookspec(firstresult=True)
def build_build_request(provider: str, build_id: str, params: Mapping[str, str]) -> Request | None:
    """The request that fetches one build by id.

    :param provider: the provider name asked for.
    :param build_id: the build id as the user gave it, checked like a job id.
    :param params: the provider's ``build`` parameters, checked.
    :return: a :class:`unci.Request`.
    """


@hookspec(firstresult=True)
def map_build(provider: str, payload: bytes, build_id: str, params: Mapping[str, str]) -> Build | None:
    """Turn the provider's response body into a unified :class:`unci.Build`.

    :param provider: the provider name asked for.
    :param payload: the response body.
    :param build_id: the id that was asked for.
    :param params: the provider's parameters as given for the request.
    :return: a :class:`unci.Build`.
    """


@hookspec(firstresult=True)
def build_build_context_request(provider: str, build: Build, params: Mapping[str, str]) -> Request | None:
    """The request for what one build's own payload lacks and a record it belongs to holds (a
    CircleCI workflow's pipeline: its number, trigger, actor, commit and branch), sent after
    :func:`map_build` by every single-build fetch. Leave it unimplemented (or return ``None``)
    where the build's payload is whole.

    :param provider: the provider name asked for.
    :param build: the build as :func:`map_build` read it (its ``remote_data`` holds the payload).
    :param params: the provider's ``build`` parameters, checked.
    :return: a :class:`unci.Request`, or ``None`` when nothing is missing.
    """


@hookspec(firstresult=True)
def map_build_context(provider: str, payload: bytes, build: Build, params: Mapping[str, str]) -> Build | None:
    """Read the answer to :func:`build_build_context_request` as a build: each field it fills
    that ``build`` left null is taken over (as a list's stand-in lends its values to the builds
    that replace it); the build's own values always win.

    :param provider: the provider name asked for.
    :param payload: the response body.
    :param build: the build the context is for.
    :param params: the provider's ``build`` parameters.
    :return: a :class:`unci.Build` holding the shared values.
    """


@hookspec(firstresult=True)
def build_steps_request(provider: str, job_id: str, params: Mapping[str, str]) -> Request | None:
    """The request for a job's steps, where they cost a request of their own (Azure DevOps'
    timeline, Jenkins' stages). Providers whose job payload holds its steps fill
    ``Job.steps`` in :func:`map_job` instead and leave this unimplemented.

    :param provider: the provider name asked for.
    :param job_id: the job id.
    :param params: the provider's ``get`` parameters, checked.
    :return: a :class:`unci.Request`.
    """


@hookspec(firstresult=True)
def map_steps(provider: str, payload: bytes, job_id: str, params: Mapping[str, str]) -> list[Step] | None:
    """Read the steps out of the answer to :func:`build_steps_request`.

    :param provider: the provider name asked for.
    :param payload: the response body.
    :param job_id: the job whose steps were asked for.
    :param params: the provider's ``get`` parameters.
    :return: a list of :class:`unci.Step`, in the order they ran.
    """


@hookspec(firstresult=True)
def build_log_request(provider: str, job_id: str, params: Mapping[str, str]) -> Request | None:
    """The request for a job's whole log, as the provider gives it (text, or a redirect to a
    storage host, which the core follows without credentials).

    :param provider: the provider name asked for.
    :param job_id: the job id.
    :param params: the provider's ``get`` parameters, checked.
    :return: a :class:`unci.Request`.
    """


@hookspec(firstresult=True)
def build_log_parts_request(provider: str, job_id: str, params: Mapping[str, str]) -> Request | None:
    """The request for the index of a job's log parts, where each step has a log of its own
    (Azure DevOps' timeline, CircleCI's v1.1 build, Buddy's execution). When a provider
    implements this with :func:`map_log_parts`, the core reads logs this way (and ``--failed``
    works); otherwise through :func:`build_log_request`.

    :param provider: the provider name asked for.
    :param job_id: the job id.
    :param params: the provider's ``get`` parameters, checked.
    :return: a :class:`unci.Request`.
    """


@hookspec(firstresult=True)
def map_log_parts(
    provider: str, payload: bytes, job_id: str, params: Mapping[str, str]
) -> list[LogPart] | None:
    """Read the log parts out of the answer to :func:`build_log_parts_request`, in the order the
    steps ran. A step that has no log yet is left out, or given with ``complete=False`` while
    it runs; ``--follow`` reads the index again until the job has ended. A running step whose
    request can start at a line (``LogPart(lines="startLine")``) is shown as it grows.

    :param provider: the provider name asked for.
    :param payload: the index's response body.
    :param job_id: the job whose log is asked for.
    :param params: the provider's ``get`` parameters.
    :return: a list of :class:`unci.LogPart`.
    """


@hookspec(firstresult=True)
def read_log_part(provider: str, payload: bytes, part: LogPart) -> bytes | None:
    """The text of a part whose ``body`` is ``"json"`` (Buddy's ``log`` array, CircleCI's
    output messages). Text parts are streamed and never reach this hook.

    :param provider: the provider name asked for.
    :param payload: the part's whole response body.
    :param part: the :class:`unci.LogPart` it answers.
    :return: the log text as bytes, lines ending in ``\\n``.
    """


@hookspec(firstresult=True)
def next_log_part(provider: str, payload: bytes, part: LogPart) -> LogPart | None:
    """The request for the rest of a ``"json"`` part whose answer held one page of it (Buddy's
    action logs come at most 1,000 lines a page); ``None`` when the part is whole. The core
    reads each page through :func:`read_log_part` and asks again until this returns ``None``.

    :param provider: the provider name asked for.
    :param payload: the answer to ``part``'s request.
    :param part: the :class:`unci.LogPart` it answers.
    :return: the :class:`unci.LogPart` of the next page, or ``None``.
    """


@hookspec(firstresult=True)
def build_log_range_request(
    provider: str, job_id: str, params: Mapping[str, str], offset: int
) -> Request | None:
    """The request for a job's log from ``offset`` on, for ``--follow`` while the job runs
    (Jenkins' ``progressiveText?start=``, ``Range: bytes=N-`` on GitLab's trace; see
    :func:`unci.byte_range`). The core asks again from the next offset until the log is whole.
    A provider without it is followed by waiting for the job to end, then reading the log.

    :param provider: the provider name asked for.
    :param job_id: the job id.
    :param params: the provider's ``get`` parameters, checked.
    :param offset: where the part shown so far ends (0 at first), in the provider's unit.
    :return: a :class:`unci.Request`.
    """


@hookspec(firstresult=True)
def read_log_range(
    provider: str, status_code: int, headers: Mapping[str, str], offset: int
) -> LogRange | None:
    """What an answer to :func:`build_log_range_request` holds, from its status and headers
    alone (its body is streamed after): bytes to skip, the next offset, and whether more is to
    come. The default reads a byte range (:func:`unci.read_byte_range`); an HTTP 416 (nothing
    past ``offset`` yet) never reaches it.

    :param provider: the provider name asked for.
    :param status_code: the answer's HTTP status (2xx).
    :param headers: the answer's headers (lower-case names).
    :param offset: the offset that was asked for.
    :return: a :class:`unci.LogRange`.
    """


@hookspec(firstresult=True)
def identity_request(provider: str, params: Mapping[str, str]) -> Request | None:
    """A cheap authenticated request that says who the credentials belong to (``/user``).

    Used by ``unci accounts test``.

    :param provider: the provider name asked for.
    :param params: the account's default parameters (Azure DevOps needs its organization);
        values are checked like any other parameter before they reach this hook.
    :return: a :class:`unci.Request`.
    """


@hookspec(firstresult=True)
def read_identity(provider: str, payload: bytes) -> str | None:
    """Who the identity response names, for people (``octocat (The Octocat)``).

    :param provider: the provider name asked for.
    :param payload: the body of the ``identity_request`` response.
    :return: a short description of the user, or None when the response names nobody
        (`unci accounts test` then says "an unnamed user").
    """


#: Every hook, in the order of this module, which is the order the docs list them in.
HOOKS: tuple[str, ...] = tuple(name for name, value in list(globals().items()) if hasattr(value, "unci_spec"))
