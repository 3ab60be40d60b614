"""unci: one call, one record, for CI jobs from any provider.

Every public name is resolved on first use, so ``import unci`` (and ``unci --help``) costs
almost nothing, and the HTTP stack (httpx) is imported only when a request is made.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_WHERE = {
    # the unified record
    "Job": "job",
    "Status": "job",
    "Conclusion": "job",
    "translate": "job",
    "utc": "job",
    "latest": "job",
    "as_str": "job",
    "from_epoch": "job",
    "from_epoch_ms": "job",
    "outcome": "job",
    "settle_steps": "job",
    # the plugin contract
    "hookimpl": "hookspecs",
    "Param": "provider",
    "ProviderInfo": "provider",
    "Credentials": "provider",
    "Request": "provider",
    "Page": "provider",
    "segment": "provider",
    "segments": "provider",
    "basic_auth": "auth",
    "Provider": "contract",
    "Build": "build",
    "Step": "job",
    "Unsupported": "errors",
    "BuildPage": "provider",
    "BuildQuery": "build",
    "message_at": "bodies",
    "error_envelope": "bodies",
    "page_title": "bodies",
    "user_at": "bodies",
    # errors
    "UnciError": "errors",
    "UsageError": "errors",
    "UnknownProvider": "errors",
    "MissingParams": "errors",
    "InvalidParam": "errors",
    "PluginError": "errors",
    "PluginLoadError": "errors",
    "DuplicateProvider": "errors",
    "ConfigError": "errors",
    "OutputError": "errors",
    "DestinationError": "errors",
    "RemoteError": "errors",
    "AuthError": "errors",
    "NotFound": "errors",
    "RateLimited": "errors",
    "NetworkError": "errors",
    "Timeout": "errors",
    "DecodeError": "errors",
    # fetching
    "Client": "client",
    "AsyncClient": "client",
    "Fetched": "client",
    "get_job": "client",
    "aget_job": "client",
    "get_jobs": "client",
    "aget_jobs": "client",
    "iter_jobs": "client",
    "aiter_jobs": "client",
    "list_jobs": "client",
    "alist_jobs": "client",
    "JobPage": "listing",
    "RetryPolicy": "retry",
    "render": "commands",
    "get_build": "build_client",
    "aget_build": "build_client",
    "list_builds": "build_client",
    "alist_builds": "build_client",
    "iter_builds": "build_client",
    "aiter_builds": "build_client",
    "BuildList": "builds",
    "FetchedBuild": "builds",
    "Trigger": "build",
    "iter_log": "log_client",
    "aiter_log": "log_client",
    "LogPart": "provider",
    "LogRange": "provider",
    "LogUnavailable": "errors",
    "byte_range": "contract",
    "read_byte_range": "contract",
    "watch_job": "watch",
    "awatch_job": "watch",
    "watch_build": "watch",
    "awatch_build": "watch",
    "BuildState": "watch",
}

if TYPE_CHECKING:
    from unci.auth import basic_auth
    from unci.bodies import error_envelope, message_at, page_title, user_at
    from unci.build import Build, BuildQuery, Trigger
    from unci.build_client import (
        aget_build,
        aiter_builds,
        alist_builds,
        get_build,
        iter_builds,
        list_builds,
    )
    from unci.builds import BuildList, FetchedBuild
    from unci.client import (
        AsyncClient,
        Client,
        Fetched,
        aget_job,
        aget_jobs,
        aiter_jobs,
        alist_jobs,
        get_job,
        get_jobs,
        iter_jobs,
        list_jobs,
    )
    from unci.commands import render
    from unci.contract import Provider, byte_range, read_byte_range
    from unci.errors import (
        AuthError,
        ConfigError,
        DecodeError,
        DestinationError,
        DuplicateProvider,
        InvalidParam,
        LogUnavailable,
        MissingParams,
        NetworkError,
        NotFound,
        OutputError,
        PluginError,
        PluginLoadError,
        RateLimited,
        RemoteError,
        Timeout,
        UnciError,
        UnknownProvider,
        Unsupported,
        UsageError,
    )
    from unci.hookspecs import hookimpl
    from unci.job import (
        Conclusion,
        Job,
        Status,
        Step,
        as_str,
        from_epoch,
        from_epoch_ms,
        latest,
        outcome,
        translate,
        utc,
    )
    from unci.listing import JobPage
    from unci.log_client import aiter_log, iter_log
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
    from unci.retry import RetryPolicy
    from unci.watch import BuildState, awatch_build, awatch_job, watch_build, watch_job


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'unci' has no attribute {name!r}")
    value = getattr(import_module(f"unci.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*_WHERE, "__version__"])


__all__ = [
    "AsyncClient",
    "AuthError",
    "Build",
    "BuildList",
    "BuildPage",
    "BuildQuery",
    "BuildState",
    "Client",
    "Conclusion",
    "ConfigError",
    "Credentials",
    "DecodeError",
    "DestinationError",
    "DuplicateProvider",
    "Fetched",
    "FetchedBuild",
    "InvalidParam",
    "Job",
    "JobPage",
    "LogPart",
    "LogRange",
    "LogUnavailable",
    "MissingParams",
    "NetworkError",
    "NotFound",
    "OutputError",
    "Page",
    "Param",
    "PluginError",
    "PluginLoadError",
    "Provider",
    "ProviderInfo",
    "RateLimited",
    "RemoteError",
    "Request",
    "RetryPolicy",
    "Status",
    "Step",
    "Timeout",
    "Trigger",
    "UnciError",
    "UnknownProvider",
    "Unsupported",
    "UsageError",
    "__version__",
    "aget_build",
    "aget_job",
    "aget_jobs",
    "aiter_builds",
    "aiter_jobs",
    "aiter_log",
    "alist_builds",
    "alist_jobs",
    "as_str",
    "awatch_build",
    "awatch_job",
    "basic_auth",
    "byte_range",
    "error_envelope",
    "from_epoch",
    "from_epoch_ms",
    "get_build",
    "get_job",
    "get_jobs",
    "hookimpl",
    "iter_builds",
    "iter_jobs",
    "iter_log",
    "latest",
    "list_builds",
    "list_jobs",
    "message_at",
    "outcome",
    "page_title",
    "read_byte_range",
    "render",
    "segment",
    "segments",
    "settle_steps",
    "translate",
    "user_at",
    "utc",
    "watch_build",
    "watch_job",
]
