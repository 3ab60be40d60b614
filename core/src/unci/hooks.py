"""Calling one provider's hooks: directly when nobody wraps them, through pluggy when someone does.

This is the one place the core calls a provider, so it is where a broken provider is contained:
an exception that is not unci's own, or an answer of the wrong type, becomes a
:class:`~unci.PluginError` naming the provider and its distribution, never a traceback and never
a wrong answer. Hooks that read a provider's body let msgspec's and unci's errors through, so the
core's decoding guard can name the field that was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from unci.build import Build, BuildQuery
from unci.errors import PluginError, UnciError
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

if TYPE_CHECKING:
    import pluggy

    from unci.contract import Provider

T = TypeVar("T")
#: What a body reader may raise for the decoding guard to word: the body is not what the
#: plugin reads (a field missing, null or of another type), or the plugin has a bug, which the
#: guard's words leave open, naming the plugin and its line.
_READING = (
    UnciError,
    msgspec.ValidationError,
    msgspec.DecodeError,
    RecursionError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
)
#: What a value read out of JSON is: an attribute missing on one of these is the body's shape
#: (``None.get``: a field was null); on anything else (a Struct the plugin decoded into, its
#: own object) it is the plugin's own mistake (``build.aftr``).
_JSON_VALUES = (type(None), str, int, float, bool, list)


def plugins_fault(exc: BaseException) -> bool:
    """Is ``exc``, raised while a plugin read a body, certainly the plugin's own bug?"""
    return isinstance(exc, AttributeError) and not isinstance(getattr(exc, "obj", None), _JSON_VALUES)


class Hooks:
    """One provider's hooks, typed. ``pm`` is set only when an extension wraps the provider,
    so the common call costs one method call."""

    __slots__ = ("checked", "distribution", "name", "pm", "provider")

    def __init__(
        self, name: str, provider: Provider, pm: pluggy.PluginManager | None, distribution: str | None = None
    ) -> None:
        self.name = name
        self.provider = provider
        self.pm = pm
        self.distribution = distribution
        #: Parameters already checked (:func:`unci.call.check_params`), by operation and
        #: values: a warm client asks with the same ones call after call. It lives as long as
        #: these hooks do (the registry makes new ones when a plugin comes or goes).
        self.checked: dict[tuple[object, ...], dict[str, str]] = {}

    def _call(
        self,
        hook: str,
        expect: type[T] | tuple[type, ...],
        kw: dict[str, Any],
        *,
        reads_body: bool = False,
        optional: bool = False,
    ) -> Any:
        passes = _READING if reads_body else (UnciError,)
        try:
            if self.pm is None:
                result = getattr(self.provider, hook)(**kw)
            else:
                result = getattr(self.pm.hook, hook)(provider=self.name, **kw)
        except passes as exc:
            if plugins_fault(exc):
                raise self.failed(hook, exc) from exc
            raise
        except Exception as exc:
            # The cause is kept for the conformance kit (which names a KeyError's parameter);
            # the CLI and the server show only the message.
            raise self.failed(hook, exc) from exc
        if result is None and optional:
            return None
        if not isinstance(result, expect):
            wanted = expect.__name__ if isinstance(expect, type) else "/".join(t.__name__ for t in expect)
            raise self.broken(f"{hook} returned {type(result).__name__}, not {wanted}")
        return result

    def _claim(self, hook: str, record: Job | Build) -> None:
        """A record ``hook`` returned, marked as this provider's, once its id is checked to be
        its non-empty text (``as_str`` of a provider's number)."""
        if type(record.id) is not str or not record.id:
            noun = "build" if isinstance(record, Build) else "job"
            raise self.broken(f"{hook} returned a {noun} whose id is {record.id!r}, not its id as text")
        record.provider = self.name

    def failed(self, hook: str, exc: BaseException) -> PluginError:
        """The plugin's own exception in ``hook``, as its :class:`PluginError`."""
        return self.broken(f"failed in {hook}: {type(exc).__name__}: {exc}")

    def broken(self, what: str) -> PluginError:
        where = f" ({self.distribution})" if self.distribution else ""
        return PluginError(
            f"provider {self.name!r}{where} is broken: {what}. Upgrade or "
            "reinstall it, or report it to its authors",
            provider=self.name,
        )

    # --- the hooks, typed -------------------------------------------------------------------

    def describe_provider(self) -> ProviderInfo:
        info: ProviderInfo = self._call("describe_provider", ProviderInfo, {})
        return info

    def required_params(self, operation: str) -> list[Param]:
        found: list[Param] = (
            self._call("required_params", list, {"operation": operation}, optional=True) or []
        )
        if not all(isinstance(p, Param) for p in found):
            raise self.broken("required_params returned something that is not a unci.Param")
        return found

    def authenticate(self, credentials: Credentials) -> dict[str, str]:
        if self.pm is not None:
            headers: dict[str, str] = (
                self._call("authenticate", dict, {"credentials": credentials}, optional=True) or {}
            )
            return headers
        # What _call does, written out (as for map_job): every request is authenticated.
        try:
            found: dict[str, str] | None = self.provider.authenticate(credentials=credentials)
        except UnciError:
            raise
        except Exception as exc:
            raise self.failed("authenticate", exc) from exc
        if found is None:  # a provider that sends no credentials at all
            return {}
        if not isinstance(found, dict):
            raise self.broken(f"authenticate returned {type(found).__name__}, not dict")
        return found or {}

    def error_message(self, status_code: int, payload: bytes) -> str | None:
        message: str | None = self._call(
            "error_message",
            str,
            {"status_code": status_code, "payload": payload},
            reads_body=True,
            optional=True,
        )
        return message

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        if self.pm is not None:
            return self._request("build_request", {"job_id": job_id, "params": params})
        # What _call does, written out (as for map_job): every get builds a request.
        try:
            request = self.provider.build_request(job_id=job_id, params=params)
        except UnciError:
            raise
        except Exception as exc:
            raise self.failed("build_request", exc) from exc
        if not isinstance(request, Request):
            raise self.broken(f"build_request returned {type(request).__name__}, not Request")
        return request

    def map_job(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> Job:
        if self.pm is not None:
            job: Job = self._call(
                "map_job", Job, {"payload": payload, "job_id": job_id, "params": params}, reads_body=True
            )
        else:
            # What _call does, written out: every get and every answer of the server reads a
            # job, and the generic call's keyword dict, getattr and frame were a tenth of the
            # core's own work around the provider's.
            try:
                job = self.provider.map_job(payload=payload, job_id=job_id, params=params)
            except _READING as exc:
                if plugins_fault(exc):
                    raise self.failed("map_job", exc) from exc
                raise
            except Exception as exc:
                raise self.failed("map_job", exc) from exc
            if not isinstance(job, Job):
                raise self.broken(f"map_job returned {type(job).__name__}, not Job")
        self._claim("map_job", job)
        return job

    def build_list_request(self, params: Mapping[str, str], limit: int | None) -> Request:
        return self._request("build_list_request", {"params": params, "limit": limit})

    def map_job_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> Page:
        page: Page = self._call(
            "map_job_page",
            Page,
            {"payload": payload, "headers": headers, "params": params, "request": request},
            reads_body=True,
        )
        for job in page.jobs:
            self._claim("map_job_page", job)
        return page

    def build_builds_request(
        self, params: Mapping[str, str], query: BuildQuery, limit: int | None
    ) -> Request:
        return self._request("build_builds_request", {"params": params, "query": query, "limit": limit})

    def map_build_page(
        self, payload: bytes, headers: Mapping[str, str], params: Mapping[str, str], request: Request
    ) -> BuildPage:
        page: BuildPage = self._call(
            "map_build_page",
            BuildPage,
            {"payload": payload, "headers": headers, "params": params, "request": request},
            reads_body=True,
        )
        for build in page.builds:
            self._claim("map_build_page", build)
        return page

    def build_build_request(self, build_id: str, params: Mapping[str, str]) -> Request:
        return self._request("build_build_request", {"build_id": build_id, "params": params})

    def map_build(self, payload: bytes, build_id: str, params: Mapping[str, str]) -> Build:
        build: Build = self._call(
            "map_build", Build, {"payload": payload, "build_id": build_id, "params": params}, reads_body=True
        )
        self._claim("map_build", build)
        return build

    def build_build_context_request(self, build: Build, params: Mapping[str, str]) -> Request | None:
        request: Request | None = self._call(
            "build_build_context_request", Request, {"build": build, "params": params}, optional=True
        )
        return request

    def map_build_context(self, payload: bytes, build: Build, params: Mapping[str, str]) -> Build:
        context: Build = self._call(
            "map_build_context",
            Build,
            {"payload": payload, "build": build, "params": params},
            reads_body=True,
        )
        return context

    def build_steps_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self._request("build_steps_request", {"job_id": job_id, "params": params})

    def map_steps(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> list[Step]:
        steps: list[Step] = self._call(
            "map_steps", list, {"payload": payload, "job_id": job_id, "params": params}, reads_body=True
        )
        return steps

    def build_log_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self._request("build_log_request", {"job_id": job_id, "params": params})

    def build_log_parts_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        return self._request("build_log_parts_request", {"job_id": job_id, "params": params})

    def map_log_parts(self, payload: bytes, job_id: str, params: Mapping[str, str]) -> list[LogPart]:
        parts: list[LogPart] = self._call(
            "map_log_parts", list, {"payload": payload, "job_id": job_id, "params": params}, reads_body=True
        )
        if not all(isinstance(p, LogPart) for p in parts):
            raise self.broken("map_log_parts returned something that is not a unci.LogPart")
        return parts

    def read_log_part(self, payload: bytes, part: LogPart) -> bytes:
        text: bytes = self._call("read_log_part", bytes, {"payload": payload, "part": part}, reads_body=True)
        return text

    def next_log_part(self, payload: bytes, part: LogPart) -> LogPart | None:
        after: LogPart | None = self._call(
            "next_log_part", LogPart, {"payload": payload, "part": part}, reads_body=True, optional=True
        )
        return after

    def build_log_range_request(self, job_id: str, params: Mapping[str, str], offset: int) -> Request:
        return self._request(
            "build_log_range_request", {"job_id": job_id, "params": params, "offset": offset}
        )

    def read_log_range(self, status_code: int, headers: Mapping[str, str], offset: int) -> LogRange:
        found: LogRange = self._call(
            "read_log_range",
            LogRange,
            {"status_code": status_code, "headers": headers, "offset": offset},
            reads_body=True,
        )
        return found

    def identity_request(self, params: Mapping[str, str]) -> Request | None:
        request: Request | None = self._call("identity_request", Request, {"params": params}, optional=True)
        return request

    def read_identity(self, payload: bytes) -> str | None:
        who: str | None = self._call(
            "read_identity", str, {"payload": payload}, reads_body=True, optional=True
        )
        return who

    def _request(self, hook: str, kw: dict[str, Any]) -> Request:
        request: Request = self._call(hook, Request, kw)
        return request

    def supports(self, hook: str) -> bool:
        """Whether the provider implements ``hook`` itself or declares the data the base's
        default builds it from (``job_path``, ``list_path``, ``map_jobs``), rather than
        leaving only the base's refusal."""
        from unci.contract import Provider

        kind = type(self.provider)
        declared = {
            "build_request": kind.job_path is not None,
            "build_list_request": kind.list_path is not None,
            "map_job_page": kind.map_jobs is not Provider.map_jobs,
        }
        return declared.get(hook, False) or getattr(kind, hook) is not getattr(Provider, hook)
