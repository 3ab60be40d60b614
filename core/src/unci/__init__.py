"""unci: one call, one record, for CI jobs from any provider.

Importing ``unci`` is cheap: the HTTP stack (httpx) is imported only when a request is made,
through the lazily resolved names below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from unci.errors import (
    AuthError,
    ConfigError,
    DecodeError,
    DuplicateProvider,
    InvalidParam,
    MissingParams,
    NetworkError,
    NotFound,
    PluginError,
    PluginLoadError,
    RateLimited,
    RemoteError,
    Timeout,
    UnciError,
    UnknownProvider,
    UsageError,
)
from unci.hookspecs import hookimpl
from unci.job import Conclusion, Job, Status, as_str, from_epoch_ms, latest, translate, utc
from unci.provider import (
    Credentials,
    Page,
    Param,
    ProviderInfo,
    Request,
    segment,
    segments,
)

if TYPE_CHECKING:
    from unci.client import (
        AsyncClient,
        Client,
        Fetched,
        aget_job,
        aget_jobs,
        aiter_jobs,
        get_job,
        get_jobs,
        iter_jobs,
        list_jobs,
    )
    from unci.listing import JobPage

_LAZY = {"Client", "AsyncClient", "Fetched", "get_job", "aget_job", "get_jobs", "aget_jobs",
         "iter_jobs", "aiter_jobs", "list_jobs"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from unci import client

        return getattr(client, name)
    if name == "JobPage":
        from unci.listing import JobPage

        return JobPage
    raise AttributeError(f"module 'unci' has no attribute {name!r}")


__all__ = [
    "AsyncClient",
    "AuthError",
    "Client",
    "Conclusion",
    "ConfigError",
    "Credentials",
    "DecodeError",
    "DuplicateProvider",
    "Fetched",
    "InvalidParam",
    "Job",
    "JobPage",
    "MissingParams",
    "NetworkError",
    "NotFound",
    "Page",
    "Param",
    "PluginError",
    "PluginLoadError",
    "ProviderInfo",
    "RateLimited",
    "RemoteError",
    "Request",
    "Status",
    "Timeout",
    "UnciError",
    "UnknownProvider",
    "UsageError",
    "__version__",
    "aget_job",
    "aget_jobs",
    "aiter_jobs",
    "as_str",
    "from_epoch_ms",
    "get_job",
    "get_jobs",
    "hookimpl",
    "iter_jobs",
    "latest",
    "list_jobs",
    "segment",
    "segments",
    "translate",
    "utc",
]
