"""Turning a provider's error body into something a person or a program can read, and an
error into Truto's JSON envelope (the server's error answers, the CLI's ``--error-format json``)."""

from __future__ import annotations

import html
from typing import Any

import msgspec

from unci.errors import DecodeError, RemoteError, UnciError

_MESSAGE_KEYS = (
    "message",
    "error_message",
    "msg",
    "errorMessage",
    "description",
    "detail",
    "error_description",
    "error",
)


def parse_body(body: bytes) -> Any:
    """The body as JSON when it is JSON, else as text (Truto's ``raw_response``)."""
    if not body:
        return None
    try:
        return msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):  # not JSON, or nested past Python's stack
        return body.decode("utf-8", "replace")


#: An error page's ``<title>`` is in its head; nothing past this many bytes is read for it.
TITLE_WINDOW = 65536


def page_title(page: str | bytes) -> str | None:
    """The ``<title>`` of an HTML page (a proxy's, a servlet container's error page), unescaped
    and on one line; ``None`` when the first :data:`TITLE_WINDOW` bytes hold no whole one.

    Plain searches over a bounded prefix, so the cost is linear and capped whatever the page:
    the regular expression this replaces took quadratic time on a page of unclosed tags (23 s
    for 112 KB), on the server's event loop.
    """
    head = page[:TITLE_WINDOW]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    lower = head.lower()  # ASCII only, so offsets stay those of ``head``
    start = lower.find(b"<title")
    opened = lower.find(b">", start) if start >= 0 else -1
    end = lower.find(b"</title>", opened) if opened >= 0 else -1
    if end < 0:
        return None
    title = head[opened + 1 : end].decode("utf-8", "replace")
    return " ".join(html.unescape(title).split()) or None


def find_message(data: Any, depth: int = 0) -> str | None:
    """Walk the common error keys, as Truto does, for providers whose plugin gives no message.

    An HTML error page (a proxy's, a servlet container's) gives its ``<title>``.
    """
    if depth > 3:
        return None
    if isinstance(data, str):
        title = page_title(data) if "<" in data else None
        return title or data.strip() or None
    if isinstance(data, list):
        for item in data:
            found = find_message(item, depth + 1)
            if found:
                return found
        return None
    if isinstance(data, dict):
        for key in _MESSAGE_KEYS:
            if key in data:
                found = find_message(data[key], depth + 1)
                if found:
                    return found
        for key in ("errors",):
            if key in data:
                return find_message(data[key], depth + 1)
    return None


def message_at(payload: bytes, key: str) -> str | None:
    """The non-empty string at top-level ``key`` of a JSON error body (``message``,
    ``error_message``...), stripped; ``None`` when the body is not such JSON."""
    try:
        data = msgspec.json.decode(payload)
    except (msgspec.DecodeError, RecursionError):
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return (value.strip() or None) if isinstance(value, str) else None


def user_at(
    payload: bytes, handle: str, name: str, *, within: str | None = None, required: bool = False
) -> str | None:
    """Who an identity answer (``/user``, ``/me``...) names: ``"handle (Full Name)"``.

    Reads the string fields ``handle`` and ``name`` of the JSON object (of its ``within``
    member, when given). A body that is no object is msgspec's error; a field of another type,
    or a missing ``handle`` when ``required``, a :class:`DecodeError` naming it. The core's
    ``decoding`` guard turns both into one error naming the provider.
    """

    # Typed as an object, so anything else fails at its first byte, never deep inside it.
    data: Any = msgspec.json.decode(payload, type=dict[str, Any])
    where = "$"
    if within is not None:
        data = data.get(within) if isinstance(data, dict) else None
        where = f"$.{within}"
    if not isinstance(data, dict):
        raise DecodeError(f"the identity answer has no object at `{where}`")
    found: list[str | None] = []
    for key in (handle, name):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise DecodeError(f"expected `str`, got `{type(value).__name__}` - at `{where}.{key}`")
        found.append(value or None)
    who, full = found
    if required and who is None:
        raise DecodeError(f"object missing required field `{handle}` - at `{where}`")
    return f"{who} ({full})" if who and full and full != who else who or full


def error_envelope(exc: UnciError, message: str | None = None) -> dict[str, Any]:
    """Truto's error envelope, ``{"statusCode", "error", "message"}``; an error the provider
    answered adds ``remote_error``, ``truto_is_remote_error``, ``remote_status`` and its body as
    ``raw_response``. ``message`` replaces the error's own words (the server gives the HTTP
    ones, :meth:`~unci.UnciError.http_message`)."""
    data: dict[str, Any] = {
        "statusCode": exc.status_code,
        "error": exc.error,
        "message": exc.message if message is None else message,
    }
    if isinstance(exc, RemoteError):
        data["remote_error"] = True
        data["truto_is_remote_error"] = True
        data["remote_status"] = exc.remote_status
        data["raw_response"] = parse_body(exc.remote_body)
    return data
