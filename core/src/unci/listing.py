"""Listing without I/O: signed cursors over each provider's own paging, and page slicing.

A cursor is the next request a provider plugin asked for (its path and query only: never
credentials, never headers) plus how many jobs of that page were already handed out, as
base64url JSON, followed by an HMAC-SHA256 over it and over what it is bound to: the provider,
the integrated account (if any), the API root and the operation. Users treat it as opaque. unci
follows only a cursor it signed for that same provider, account and API root (the key:
:mod:`unci.cursor_key`), and rebuilds the headers from the provider plugin, so a cursor can
only resume what unci's own paging produced; anything else is a usage error before any request.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import msgspec

from unci.call import Answer, Call, RemoteQuery, Target, check_params, decoding, prepare
from unci.errors import UsageError
from unci.job import Job
from unci.numbers import is_count
from unci.paging import page_requests
from unci.plugins import PluginRegistry, registry
from unci.provider import Numbered, Page, Request

CURSOR_VERSION = 2
#: Longer than any cursor unci hands out (a next link of a few hundred characters, base64).
MAX_CURSOR = 16384
_MAC_BYTES = 16
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


class _Cursor(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    v: int
    provider: str
    path: str
    query: list[tuple[str, str]]
    skip: int = 0
    #: What the core filters on besides the provider (build lists: branch, status, since...),
    #: so that a resumed list keeps the filters, and the instants, it started with.
    filters: dict[str, str] = {}
    #: The parameters of the list (repository, build...): its path says them to the provider,
    #: so a cursor given with other ones would list what they do not name.
    params: dict[str, str] = {}


@dataclass
class JobPage:
    """One page of unified jobs and the cursor for the next (``None`` on the last page)."""

    result: list[Job]
    next_cursor: str | None
    calls: list[tuple[Call, Answer]] = field(default_factory=list)
    #: The provider pointed its next page at the page just read; unci stopped there.
    looping: bool = False
    #: How many jobs of the provider's page were handed out before (a cursor's resume point).
    skip: int = 0
    #: The pages after this one by number, when the provider says how many there are and this
    #: page was handed out to its end (so they can be fetched several at once).
    numbered: Numbered | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(target: Target, operation: str, payload: bytes) -> bytes:
    from unci.cursor_key import cursor_key

    signer = _signer(cursor_key(), target.provider, target.account or "", target.base_url, operation).copy()
    signer.update(payload)
    return signer.digest()[:_MAC_BYTES]


@functools.lru_cache(maxsize=64)
def _signer(key: bytes, provider: str, account: str, base_url: str, operation: str) -> hmac.HMAC:
    """The HMAC of what a cursor is bound to, ready for its payload: made once per key and
    binding (a listing signs and checks a cursor for every page), copied for each cursor."""
    bound = "\0".join(("unci-cursor", str(CURSOR_VERSION), provider, account, base_url, operation))
    return hmac.new(key, bound.encode() + b"\0", hashlib.sha256)


def encode_cursor(
    target: Target,
    request: Request,
    skip: int = 0,
    operation: str = "list",
    filters: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> str:
    """The signed cursor that resumes at ``request`` (its path and query), ``skip`` items in,
    for the list of ``params``.

    A cursor is readable base64, printed and handed to callers: a query value that holds a
    credential (a provider echoing the token into its next link) is left out of it, as the
    credentials go in the headers unci adds to every page; kept, it would be the token in
    base64, which the output's scrub then cut out, leaving a cursor that no longer resumes."""
    path, query = request.path, [(str(k), str(v)) for k, v in request.query]
    secrets = target.secrets if target.credentials else []
    if secrets:
        path, query = _without_secrets(path, secrets), [(k, v) for k, v in query if not _holds(v, secrets)]
    payload = msgspec.json.encode(
        _Cursor(
            CURSOR_VERSION,
            target.provider,
            path,
            query,
            skip,
            dict(filters or {}),
            dict(params or {}),
        )
    )
    return f"{_b64(payload)}.{_b64(_mac(target, operation, payload))}"


def _holds(value: str, secrets: list[str]) -> bool:
    return any(s == value or (len(s) >= 8 and s in value) for s in secrets)


def _without_secrets(path: str, secrets: list[str]) -> str:
    """``path`` without the pairs of its query (a next link's, kept in the path) that hold a
    credential."""
    base, mark, query = path.partition("?")
    if not mark or (not _holds(query, secrets) and not _holds(unquote(query), secrets)):
        return path
    kept = [
        pair for pair in query.split("&") if not _holds(pair, secrets) and not _holds(unquote(pair), secrets)
    ]
    return f"{base}?{'&'.join(kept)}" if kept else base


def carried_params(data: _Cursor, given: Mapping[str, str], provider: str) -> dict[str, str]:
    """The parameters of the list a cursor resumes: the caller's, with what the caller left
    out taken from the cursor (a follow-up may send the cursor alone). A parameter given
    otherwise (another repository) is refused: the cursor's path lists the first one, so the
    page would not be of what was asked for. ``given`` is what the caller said, never an
    account's defaults, which the cursor's list may have overridden when it began."""
    for name, theirs in data.params.items():
        mine = given.get(name)
        if mine is None or mine == theirs:
            continue
        raise UsageError(
            f"{provider}: the cursor continues the list of {name} {theirs!r}, not {name} {mine!r}",
            hint=f"start again without --cursor to list with -p {name}={mine}",
            py_hint=f"start again without cursor= to list with {name}={mine!r}",
            http_hint=f"start again without next_cursor to list with {name}={mine}",
            provider=provider,
        )
    return {**data.params, **{k: v for k, v in given.items() if v is not None}}


def read_cursor(target: Target, cursor: str, operation: str = "list") -> _Cursor:
    """The whole content of a cursor unci signed for this target and operation."""
    provider = target.provider
    bad = UsageError(
        f"{provider}: the cursor is not one unci handed out for this provider, account and API "
        "root (forged, altered, truncated, or signed with another key)",
        hint="start again without --cursor",
        py_hint="start again without cursor=",
        http_hint="start again without next_cursor",
        provider=provider,
    )
    if len(cursor) > MAX_CURSOR or not cursor.isascii():
        raise bad
    body, dot, mac = cursor.partition(".")
    try:
        payload, signature = _unb64(body), _unb64(mac)
    except (binascii.Error, ValueError):
        raise bad from None
    if _b64(payload) != body or _b64(signature) != mac:
        # base64 leaves the last character's low bits unread: a cursor changed there would
        # decode to the same bytes. Only the text unci wrote is taken.
        raise bad
    if not dot or not hmac.compare_digest(signature, _mac(target, operation, payload)):
        claimed = _claimed_provider(payload)
        if claimed and claimed != provider:
            raise UsageError(
                f"{provider}: this cursor belongs to provider {claimed!r}",
                hint=f"use it with --provider {claimed}",
                py_hint=f"use it with provider {claimed!r}",
                http_hint=f"use it with a {claimed} integrated account",
                provider=provider,
            ) from None
        if dot:
            for other, (what, cli, py, http) in _KINDS.items():
                if other != operation and hmac.compare_digest(signature, _mac(target, other, payload)):
                    asked = _KINDS.get(operation, (operation, "", "", ""))[0]
                    raise UsageError(
                        f"{provider}: this is the cursor of {what}, not of {asked}",
                        hint=f"give it to {cli}",
                        py_hint=f"give it to {py}",
                        http_hint=f"give it as next_cursor to {http}",
                        provider=provider,
                    ) from None
        raise bad
    try:
        data = msgspec.json.decode(payload, type=_Cursor)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise bad from None
    if data.v != CURSOR_VERSION or data.skip < 0 or data.provider != provider:
        raise bad
    return data


#: The lists a cursor can be of (its operation), and where each is resumed, for a cursor given
#: to another kind of list: it is genuine, and "forged" would send its caller looking elsewhere.
_KINDS = {
    "list": ("a build's job list", "unci jobs list --cursor", "list_jobs(cursor=...)", "/unified/ci-cd/jobs"),
    "builds": (
        "a build list",
        "unci builds list --cursor",
        "list_builds(cursor=...)",
        "/unified/ci-cd/builds",
    ),
    "build jobs": (
        "the jobs of the builds that match",
        "unci jobs list --cursor",
        "iter_jobs(cursor=...) or iter_build_job_pages(cursor=...)",
        "/unified/ci-cd/jobs",
    ),
}


def _claimed_provider(payload: bytes) -> str | None:
    """The provider an unverified cursor names, only to say so in the error (never trusted)."""
    try:
        claimed = msgspec.json.decode(payload, type=dict).get("provider")
    except (msgspec.DecodeError, msgspec.ValidationError, AttributeError):
        return None
    return claimed if isinstance(claimed, str) and _NAME.fullmatch(claimed) else None


def check_limit(provider: str, limit: object, name: str = "limit") -> None:
    """A limit is a whole number of at least 1 (``True`` is no count, ``2.5`` no number of
    jobs), refused before any request."""
    if limit is not None and not is_count(limit, 1):
        raise UsageError(
            f"{provider}: the {name} must be a whole number of at least 1, got {limit!r}", provider=provider
        )


def check_cursor(provider: str, cursor: object) -> None:
    if cursor is not None and not isinstance(cursor, str):
        raise UsageError(
            f"{provider}: a cursor is the text a page's next_cursor holds, not {type(cursor).__name__}",
            provider=provider,
        )


def prepare_list(
    target: Target,
    params: Mapping[str, str] | None,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    remote_query: RemoteQuery = (),
    reg: PluginRegistry | None = None,
) -> tuple[Call, int]:
    """The call for the page a cursor (or none: the first page) points at, and the skip."""
    reg = reg or registry()
    provider = target.provider
    check_limit(provider, limit)
    check_cursor(provider, cursor)
    data = read_cursor(target, cursor, "list") if cursor else None
    if data is not None:
        params = carried_params(data, params or {}, provider)
    checked = check_params(target, params or {}, "list", reg)
    request = reg.hooks(provider).build_list_request(checked, limit)
    if data is not None:
        # Only the path and query come from the cursor; method and headers from the provider.
        nxt = Request(
            path=data.path, method=request.method, query=list(data.query), headers=dict(request.headers)
        )
        return prepare(target, nxt, params=checked, reg=reg), data.skip
    return prepare(target, request, remote_query=remote_query, params=checked, reg=reg), 0


def read_page(call: Call, answer: Answer, reg: PluginRegistry | None = None) -> Page:
    """Run the plugin's ``map_job_page``; a body it cannot read is a :class:`DecodeError`."""
    reg = reg or registry()
    provider = call.provider
    sent = Request(
        path=call.url,
        method=call.method,
        query=list(call.query),
        headers={k: v for k, v in call.headers.items() if k not in call.auth_header_names},
    )
    hooks = reg.hooks(provider)
    with decoding(provider, "the list JSON"):
        page = hooks.map_job_page(answer.body, answer.headers, call.params, sent)
    page.numbered = checked_numbered(hooks.provider, sent, answer.headers, page.next, page.numbered)
    return page


def checked_numbered(
    provider: object, sent: Request, headers: Mapping[str, str], nxt: Request | None, given: Numbered | None
) -> Numbered | None:
    """The numbered pages after this one: as the provider's mapping said, else as its paging
    style reads them from the headers (GitHub's ``rel="last"``); kept only where the first of
    them is exactly the next page the provider named, so numbering never skips or repeats."""
    if nxt is None:
        return None
    found = given
    if found is None:
        paging = getattr(provider, "paging", None)
        reader = getattr(paging, "numbered", None)
        found = reader(sent, headers=headers) if reader is not None else None
    if not isinstance(found, Numbered) or not _same_request(nxt, found.request):
        return None
    return found


def _same_request(a: Request, b: Request) -> bool:
    def key(r: Request) -> tuple[str, list[tuple[str, str]]]:
        path, _, embedded = r.path.partition("?")
        query = parse_qsl(embedded, keep_blank_values=True) + [(str(k), str(v)) for k, v in r.query]
        return path, sorted(query)

    return key(a) == key(b)


def ahead(call: Call, page: Page, skip: int, limit: int | None) -> Numbered | None:
    """The page's numbered followers, when the page was handed out to its end."""
    whole = limit is None or skip + limit >= len(page.jobs)
    return page.numbered if whole and not is_looping(call, page) else None


def numbered_cursors(
    call: Call, pages: Numbered, operation: str = "list", filters: Mapping[str, str] | None = None
) -> Iterator[str]:
    """The cursor of each numbered page after ``call``'s, in order, made as they are wanted:
    fetching a page by its cursor goes through the same checks as resuming any list."""
    for request in page_requests(pages):
        yield encode_cursor(call.target, request, 0, operation, filters, call.params)


def cut(page: JobPage, keep: int) -> JobPage:
    """``page`` with only its first ``keep`` jobs, its cursor resuming right after them (a walk
    that fetched a whole page ahead when the caller wanted only part of it)."""
    if keep >= len(page.result):
        return page
    call = page.calls[-1][0]
    here = Request(path=call.url, method=call.method, query=list(call.query))
    return JobPage(
        page.result[:keep],
        encode_cursor(call.target, here, page.skip + keep, params=call.params),
        page.calls,
        False,
        page.skip,
    )


def slice_page(call: Call, page: Page, skip: int, limit: int | None) -> tuple[list[Job], str | None]:
    """The jobs to hand out from this page, and the cursor that resumes right after them.

    A provider whose next page is the page just read (a paging bug seen in the wild) ends the
    list here rather than looping forever; :func:`is_looping` tells.
    """
    end = len(page.jobs) if limit is None else min(len(page.jobs), skip + limit)
    jobs = page.jobs[skip:end]
    if end < len(page.jobs):
        here = Request(path=call.url, method=call.method, query=list(call.query))
        return jobs, encode_cursor(call.target, here, end, params=call.params)
    nxt = page.next
    if nxt is None or _same(call, nxt):
        return jobs, None  # the last page, or a provider pointing at the page we just read
    return jobs, encode_cursor(call.target, nxt, params=call.params)


def is_looping(call: Call, page: Page) -> bool:
    return page.next is not None and _same(call, page.next)


def _same(call: Call, request: Request) -> bool:
    """Would ``request`` fetch exactly what ``call`` fetched? (A query may ride in the path.)"""
    url = (
        request.path
        if request.path.startswith(("http://", "https://"))
        else (call.target.base_url + request.path)
    )
    url, _, embedded = url.partition("?")
    query = parse_qsl(embedded, keep_blank_values=True) + [tuple(q) for q in request.query]
    return url == call.url and sorted(query) == sorted(tuple(q) for q in call.query)


def page_result(jobs: list[Job], next_cursor: str | None) -> dict[str, Any]:
    return {"result": jobs, "next_cursor": next_cursor}
