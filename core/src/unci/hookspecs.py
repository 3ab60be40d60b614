"""The hook contract between the core and provider plugins.

Every hook takes the provider name first and is ``firstresult``: a plugin answers for its own
provider and returns ``None`` for any other. That keeps pluggy's value (a third-party plugin can
wrap or override a provider's hook without forking it) while a call still yields one answer.
A plugin must implement ``describe_provider``, ``required_params``, ``build_request`` and
``map_job``; ``authenticate`` and ``error_message`` are needed by any real provider; the two
listing hooks make ``unci jobs list`` work for it.

Hooks receive keyword arguments only, and an implementation may accept any subset of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from unci.job import Job
    from unci.provider import Credentials, Page, Param, ProviderInfo, Request

hookspec = pluggy.HookspecMarker("unci")
hookimpl = pluggy.HookimplMarker("unci")


@hookspec(firstresult=True)
def describe_provider(provider: str) -> ProviderInfo | None:
    """Describe the provider: title, API root, credential variables, fields it fills.

    Stops at first non-None result.

    :param provider: the provider name asked for (the entry-point name, e.g. ``github``).
    :return: a :class:`unci.ProviderInfo`, or ``None`` when ``provider`` is not yours.
    """


@hookspec(firstresult=True)
def required_params(provider: str, operation: str) -> list[Param] | None:
    """The parameters the provider needs besides the job id, in the order users give them.

    The core checks them before any request and names every missing one in the error.

    Stops at first non-None result.

    :param provider: the provider name asked for.
    :param operation: ``"get"`` (one job by id) or ``"list"`` (the jobs of one build).
    :return: a list of :class:`unci.Param` (possibly empty), or ``None`` when not yours.
    """


@hookspec(firstresult=True)
def authenticate(provider: str, credentials: Credentials) -> dict[str, str] | None:
    """The headers that carry the credentials (``Authorization``, ``Circle-Token``...).

    Kept apart from ``build_request`` so the core can attach them to every request it makes
    for the provider (paging included) and redact exactly them in debug output.

    Stops at first non-None result.

    :param provider: the provider name asked for.
    :param credentials: the token and/or user name and password the user supplied; may be empty,
        in which case return ``{}`` (public data) or the headers the provider needs anyway.
    :return: a dict of header name to value, or ``None`` when not yours.
    """


@hookspec(firstresult=True)
def build_request(provider: str, job_id: str, params: Mapping[str, str]) -> Request | None:
    """The request that fetches one job: path under the API root, query, non-secret headers.

    Every value from the user that lands in the path must go through :func:`unci.segment`
    (or :func:`unci.segments` for a slash-separated path), so that an id of ``../../user``
    or ``1?x=y`` never reaches another endpoint or query.

    Stops at first non-None result.

    :param provider: the provider name asked for.
    :param job_id: the job id as the user gave it, already checked to be non-empty text without
        control characters.
    :param params: the provider's parameters, required ones present and checked.
    :return: a :class:`unci.Request`, or ``None`` when not yours.
    """


@hookspec(firstresult=True)
def map_job(provider: str, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job | None:
    """Turn the provider's response body into a unified :class:`unci.Job`.

    Decode with ``msgspec`` Structs that declare only the fields read, and keep the body as
    ``remote_data`` (``msgspec.Raw(payload)``; a provider that returns the job inside a parent
    keeps just the job's own object). Unknown status words pass through raw (``unci.translate``).
    Raise :class:`unci.DecodeError` naming the provider and the field when the body is not what
    the provider documents; the core turns msgspec's own errors into that too.

    Stops at first non-None result.

    :param provider: the provider name asked for.
    :param payload: the response body, bytes exactly as received.
    :param job_id: the id that was asked for; a provider whose response holds several jobs (a
        parent's timeline) picks this one out.
    :param params: the provider's parameters as given for the request.
    :return: a :class:`unci.Job`, or ``None`` when not yours.
    """


@hookspec(firstresult=True)
def error_message(provider: str, status_code: int, payload: bytes) -> str | None:
    """The provider's own message from an error body (CircleCI ``message``, Travis
    ``error_message``...). The core falls back to walking common keys when this returns ``None``.

    Stops at first non-None result.

    :param provider: the provider name asked for.
    :param status_code: the HTTP status of the error response.
    :param payload: the error response body.
    :return: the message, or ``None`` when not yours or when the body holds none.
    """


@hookspec(firstresult=True)
def build_list_request(provider: str, params: Mapping[str, str], limit: int | None) -> Request | None:
    """The request for the first page of the jobs of one build (run, workflow, pipeline).

    Stops at first non-None result.

    :param provider: the provider name asked for.
    :param params: the provider's list parameters (``build`` and the rest), checked.
    :param limit: how many jobs the caller wants per page, when it said; use it as the page
        size where the provider lets you choose one (clamped to the provider's maximum).
    :return: a :class:`unci.Request`, or ``None`` when not yours.
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

    Stops at first non-None result.

    :param provider: the provider name asked for.
    :param payload: the page's response body.
    :param headers: the page's response headers (lower-case names), for Link-header paging.
    :param params: the provider's list parameters.
    :param request: the request that fetched this page (to compute the next page number).
    :return: a :class:`unci.Page`, or ``None`` when not yours.
    """


@hookspec(firstresult=True)
def identity_request(provider: str, params: Mapping[str, str]) -> Request | None:
    """A cheap authenticated request that says who the credentials belong to (``/user``).

    Used by ``unci accounts test``. Stops at first non-None result.

    :param provider: the provider name asked for.
    :param params: the account's default parameters (Azure DevOps needs its organization);
        values are checked like any other parameter before they reach this hook.
    :return: a :class:`unci.Request`, or ``None`` when not yours or not supported.
    """


@hookspec(firstresult=True)
def read_identity(provider: str, payload: bytes) -> str | None:
    """Who the identity response names, for people (``octocat (The Octocat)``).

    Stops at first non-None result.

    :param provider: the provider name asked for.
    :param payload: the body of the ``identity_request`` response.
    :return: a short description of the user, or ``None`` when not yours.
    """
