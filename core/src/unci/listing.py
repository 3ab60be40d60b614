"""Listing without I/O: opaque cursors over each provider's own paging, and page slicing.

A cursor is the next request a provider plugin asked for (path and query, never credentials)
plus how many jobs of that page were already handed out, base64url-encoded JSON. Users treat it
as opaque; unci checks that it belongs to the provider it is given to and that it points at the
provider's API root before following it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from unci.call import Answer, Call, Target, check_params, decoding, prepare
from unci.errors import DecodeError, UsageError
from unci.job import Job
from unci.plugins import PluginRegistry, registry
from unci.provider import Page, Request

CURSOR_VERSION = 1


class _Cursor(msgspec.Struct):
    v: int
    provider: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    skip: int = 0


@dataclass
class JobPage:
    """One page of unified jobs and the cursor for the next (``None`` on the last page)."""

    result: list[Job]
    next_cursor: str | None
    calls: list[tuple[Call, Answer]] = field(default_factory=list)
    #: The provider pointed its next page at the page just read; unci stopped there.
    looping: bool = False


def encode_cursor(provider: str, request: Request, skip: int = 0) -> str:
    data = msgspec.json.encode(_Cursor(CURSOR_VERSION, provider, request.path,
                                       [tuple(q) for q in request.query], dict(request.headers),
                                       skip))
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_cursor(provider: str, cursor: str) -> tuple[Request, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = msgspec.json.decode(raw, type=_Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise UsageError(
            f"{provider}: the cursor is not one unci handed out (corrupted or truncated); "
            "start again without --cursor",
            provider=provider,
        ) from None
    if data.provider != provider:
        raise UsageError(
            f"{provider}: this cursor belongs to provider {data.provider!r}; use it with "
            f"--provider {data.provider}",
            provider=provider,
        )
    if data.v != CURSOR_VERSION or data.skip < 0:
        raise UsageError(f"{provider}: unsupported cursor; start again without --cursor",
                         provider=provider)
    return Request(path=data.path, query=[(k, v) for k, v in data.query],
                   headers=data.headers), data.skip


def prepare_list(
    target: Target,
    params: Mapping[str, str] | None,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    remote_query: Iterable[tuple[str, str]] = (),
    reg: PluginRegistry | None = None,
) -> tuple[Call, int]:
    """The call for the page a cursor (or none: the first page) points at, and the skip."""
    reg = reg or registry()
    provider = target.provider
    if limit is not None and limit < 1:
        raise UsageError(f"{provider}: --limit must be at least 1, got {limit}", provider=provider)
    checked = check_params(target, params or {}, "list", reg)
    if cursor:
        request, skip = decode_cursor(provider, cursor)
        return prepare(target, request, params=checked, reg=reg), skip
    request = reg.hook.build_list_request(provider=provider, params=checked, limit=limit)
    if request is None:
        raise UsageError(f"{provider}: this provider does not support listing jobs",
                         provider=provider)
    return prepare(target, request, remote_query=remote_query, params=checked, reg=reg), 0


def read_page(call: Call, answer: Answer, reg: PluginRegistry | None = None) -> Page:
    """Run the plugin's ``map_job_page``; a body it cannot read is a :class:`DecodeError`."""
    reg = reg or registry()
    provider = call.provider
    sent = Request(path=call.url, method=call.method, query=list(call.query),
                   headers={k: v for k, v in call.headers.items()
                            if k not in call.auth_header_names})
    with decoding(provider, "the list JSON"):
        page = reg.hook.map_job_page(provider=provider, payload=answer.body,
                                     headers=answer.headers, params=call.params, request=sent)
    if not isinstance(page, Page):
        raise DecodeError(f"{provider}: the plugin read no page from the list response",
                          provider=provider)
    return page


def slice_page(call: Call, page: Page, skip: int, limit: int | None) -> tuple[list[Job], str | None]:
    """The jobs to hand out from this page, and the cursor that resumes right after them.

    A provider whose next page is the page just read (a paging bug seen in the wild) ends the
    list here rather than looping forever; :func:`is_looping` tells.
    """
    provider = call.provider
    end = len(page.jobs) if limit is None else min(len(page.jobs), skip + limit)
    jobs = page.jobs[skip:end]
    if end < len(page.jobs):
        here = Request(path=call.url, method=call.method, query=list(call.query),
                       headers=_plain_headers(call))
        return jobs, encode_cursor(provider, here, end)
    nxt = page.next
    if nxt is None or _same(call, nxt):
        return jobs, None  # the last page, or a provider pointing at the page we just read
    return jobs, encode_cursor(provider, nxt)


def is_looping(call: Call, page: Page) -> bool:
    return page.next is not None and _same(call, page.next)


def _plain_headers(call: Call) -> dict[str, str]:
    skip = {n.lower() for n in call.auth_header_names} | {"user-agent"}
    return {k: v for k, v in call.headers.items() if k.lower() not in skip}


def _same(call: Call, request: Request) -> bool:
    """Would ``request`` fetch exactly what ``call`` fetched? (A query may ride in the path.)"""
    url = request.path if request.path.startswith(("http://", "https://")) else (
        call.target.base_url + request.path)
    url, _, embedded = url.partition("?")
    query = parse_qsl(embedded, keep_blank_values=True) + [tuple(q) for q in request.query]
    return url == call.url and sorted(query) == sorted(tuple(q) for q in call.query)


def page_result(jobs: list[Job], next_cursor: str | None) -> dict[str, Any]:
    return {"result": jobs, "next_cursor": next_cursor}
