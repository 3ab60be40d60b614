"""What the standard checks inspect: requests built, jobs mapped, secrets, overrides.

Kept apart from :mod:`unci.testing.conformance` so the checks there read as a list of rules.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import msgspec
import pytest

from unci import formats
from unci.call import Call, Target, prepare_get
from unci.hookspecs import HOOKS
from unci.job import FIELDS, TIMESTAMPS, Conclusion, Job, Status
from unci.listing import prepare_list
from unci.plugins import PluginRegistry
from unci.provider import Credentials, ProviderInfo, Request

#: Characters that may stand raw in a URL path without being percent-encoded.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _fail(message: str) -> NoReturn:
    """Fail the check with just the message: what is wrong and what to do, no kit internals."""
    __tracebackhide__ = True
    pytest.fail(message, pytrace=False)


def _normalize(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _implemented(reg: PluginRegistry, provider: str) -> set[str]:
    """The hooks the provider writes itself (not the base class's defaults or refusals)."""
    hooks = reg.hooks(provider)
    return {name for name in HOOKS if hooks.supports(name)}


def _prepare_list(
    target: Target, params: Mapping[str, str], reg: PluginRegistry, limit: int | None = None
) -> Call:
    return prepare_list(target, params, limit=limit, reg=reg)[0]


def _builder(operation: str, job_id: str) -> Callable[[Target, Mapping[str, str], PluginRegistry], Call]:
    """What builds the request of ``operation``: prepare_get for one job id, or prepare_list."""
    if operation == "list":
        return _prepare_list

    def build(target: Target, params: Mapping[str, str], reg: PluginRegistry) -> Call:
        return prepare_get(target, job_id, params, reg=reg)

    return build


def _request(
    build: Callable[[Target, Mapping[str, str], PluginRegistry], Call],
    target: Target,
    params: Mapping[str, str],
    reg: PluginRegistry,
) -> Request | BaseException:
    try:
        call = build(target, params, reg)
    except Exception as exc:  # noqa: BLE001 - the caller judges the exception
        return exc
    assert call.request is not None
    return call.request


def _segments(path: str) -> list[str]:
    return urlsplit(path).path.split("/") if path.startswith(("http://", "https://")) else path.split("/")


def _steering(benign: Request, hostile: Request, value: str, kind: str, base_url: str) -> list[str]:
    """How a request built from a hostile value differs from the benign one in ways that steer."""
    problems = []
    path = hostile.path
    if path.startswith(("http://", "https://")) and urlsplit(path)[:2] != urlsplit(base_url)[:2]:
        problems.append(f"the request goes to another host: {path}")
    for char, name in (("?", "starts a query"), ("#", "starts a fragment")):
        if char in path:
            problems.append(f"the path {path!r} holds a raw {char!r}, which {name}")
    if sorted(k for k, _ in hostile.query) != sorted(k for k, _ in benign.query):
        problems.append(
            f"the query keys changed from {sorted(k for k, _ in benign.query)} to "
            f"{sorted(k for k, _ in hostile.query)}"
        )
    parts = _segments(path.split("?")[0].split("#")[0])
    if kind != "path" and len(parts) != len(_segments(benign.path)):
        problems.append(
            f"the path {path!r} has {len(parts)} segments where {benign.path!r} has "
            f"{len(_segments(benign.path))}: a '/' went through unencoded"
        )
    if any(unquote(p) in (".", "..") for p in parts):
        problems.append(f"the path {path!r} has a dot segment, which climbs to another endpoint")
    raw = sorted(
        {
            c
            for c in value
            if c not in _UNRESERVED
            and c != "%"
            and (kind != "path" or c != "/")
            and path.count(c) > benign.path.count(c)
        }
    )
    if raw and not problems:
        problems.append(f"the path {path!r} holds {''.join(raw)!r} unencoded")
    return problems


def _job_problems(job: Job, payload: bytes, info: ProviderInfo) -> list[str]:
    """Everything wrong with one mapped Job, in words the plugin author can act on."""
    problems = []
    if not isinstance(job.id, str) or not job.id.strip():
        problems.append(f"id is {job.id!r}; it must be a non-empty string (unci.as_str)")
    for name in ("name", "build", "commit", "branch"):
        value = getattr(job, name)
        if value is not None and not isinstance(value, str):
            problems.append(f"{name} is {type(value).__name__} {value!r}; it must be a string")
    if job.attempts is not None and (
        isinstance(job.attempts, bool) or not isinstance(job.attempts, int) or job.attempts < 1
    ):
        problems.append(f"attempts is {job.attempts!r}; it must be an int, 1 for the first run")
    for name, vocabulary in (("status", Status.ALL), ("conclusion", Conclusion.ALL)):
        value = getattr(job, name)
        if value is None or value in vocabulary:
            continue
        if not isinstance(value, str) or msgspec.json.encode(value) not in payload:
            problems.append(
                f"{name} {value!r} is neither a unified word ({', '.join(vocabulary)}) "
                "nor the provider's own word from the body (unci.translate passes "
                "unknown words through as spelled)"
            )
    if job.status in (Status.QUEUED, Status.IN_PROGRESS) and job.conclusion is not None:
        problems.append(
            f"conclusion is {job.conclusion!r} while status is {job.status!r}; it is "
            "null until the job has completed"
        )
    if job.conclusion in Conclusion.ALL and job.status != Status.COMPLETED:
        problems.append(
            f"status is {job.status!r} with conclusion {job.conclusion!r}; a job that ended is 'completed'"
        )
    for name in TIMESTAMPS:
        value = getattr(job, name)
        if value is None:
            continue
        if not isinstance(value, datetime):
            problems.append(f"{name} is {type(value).__name__} {value!r}; it must be a datetime")
        elif value.tzinfo is None or value.utcoffset() is None:
            problems.append(f"{name} {value.isoformat()} is naive; make it timezone-aware UTC (unci.utc)")
        elif value.utcoffset() != timedelta(0):
            problems.append(f"{name} {value.isoformat()} is not in UTC (unci.utc converts it)")
    raw = job.remote_data
    if not isinstance(raw, msgspec.Raw) or not bytes(raw).strip():
        problems.append(
            f"remote_data is {_short(raw)}; keep the provider's object as "
            "msgspec.Raw(payload) (or the job's own object inside it)"
        )
    else:
        try:
            data = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            data = None
        if not isinstance(data, dict):
            problems.append("remote_data is not a JSON object")
        elif bytes(raw) not in payload:
            problems.append(
                "remote_data is not the provider's object unchanged (its bytes are not in the response body)"
            )
    if not problems:
        problems += _render_problems(job, info)
    return problems


def _render_problems(job: Job, info: ProviderInfo) -> list[str]:
    """The job renders as unified JSON: remote_data kept unless ignored, timestamps with Z."""
    try:
        full = msgspec.json.decode(formats.encode(formats.unified(job, info.fields)))
        bare = formats.unified(job, info.fields, ignore_remote_data=True)
    except Exception as exc:  # noqa: BLE001 - reported
        return [f"the job does not render as JSON: {type(exc).__name__}: {exc}"]
    problems = []
    if "remote_data" not in full or "remote_data" in bare:
        problems.append("remote_data is not kept in unified output (or not dropped when ignored)")
    for name in TIMESTAMPS:
        value = full.get(name)
        if isinstance(value, str) and not value.endswith("Z"):
            problems.append(f"{name} renders as {value!r}, not RFC 3339 UTC with 'Z'")
    return problems


def _filled(job: Job) -> set[str]:
    return {
        f for f in FIELDS if f not in ("id", "remote_data") and getattr(job, f) not in (None, msgspec.UNSET)
    }


def _full_url(call: Call) -> str:
    from urllib.parse import urlencode

    return call.url + (f"?{urlencode(call.query)}" if call.query else "")


def _same_url(built: str, recorded: str) -> bool:
    a, b = urlsplit(built), urlsplit(recorded)
    return (a.scheme, a.netloc.lower(), a.path) == (b.scheme, b.netloc.lower(), b.path) and sorted(
        parse_qsl(a.query, keep_blank_values=True)
    ) == sorted(parse_qsl(b.query, keep_blank_values=True))


def _secret_forms(creds: Credentials) -> dict[str, str]:
    """Each secret as it could travel: raw, URL-encoded, base64 alone and in a Basic pair."""
    forms: dict[str, str] = {}
    for label, secret in (("the token", creds.token), ("the password", creds.password)):
        if not secret:
            continue
        forms[label] = secret
        forms[f"{label}, URL-encoded"] = quote(secret, safe="")
        forms[f"{label}, base64"] = base64.b64encode(secret.encode()).decode()
        for user in dict.fromkeys([creds.username or "", ""]):
            pair = base64.b64encode(f"{user}:{secret}".encode()).decode()
            forms[f"{label} in a Basic pair with user {user!r}"] = pair
    return forms


def _record_text(record: logging.LogRecord) -> str:
    try:
        text = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string is still text to search
        text = f"{record.msg} {record.args}"
    return text + (repr(record.exc_info[1]) if record.exc_info else "")


def _has_reasoned_mark(func: Any) -> bool:
    for mark in getattr(func, "pytestmark", []):
        if mark.name in ("skip", "xfail"):
            reason = mark.kwargs.get("reason") or (
                mark.args[0] if mark.name == "skip" and mark.args else None
            )
            if isinstance(reason, str) and reason.strip():
                return True
    return False
