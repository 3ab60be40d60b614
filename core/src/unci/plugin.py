"""Everything a provider author needs, in one import: ``from unci.plugin import ...``.

The contract (:class:`Provider` and its data types), the building blocks providers share
(authentication schemes, paging styles, identity), the unified records and vocabularies, and
the helpers every mapping uses (path encoding, status translation, timestamps, body readers).
Users of unci import from :mod:`unci` instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from unci.auth import Auth, Basic, Bearer, BearerOrBasic, TokenHeader, basic_auth
from unci.bodies import message_at, user_at
from unci.build import Build, BuildQuery, Trigger
from unci.contract import Identity, Provider, byte_range, read_byte_range
from unci.errors import DecodeError, InvalidParam, LogUnavailable, NotFound, Unsupported
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
    settle_steps,
    translate,
    utc,
    utc_stamp,
    word_tables,
)
from unci.paging import Cursor, LinkHeader, NextLink, Offset, PageNumber, Paging, link_pages, numbered
from unci.provider import (
    BuildPage,
    Credentials,
    LogPart,
    LogRange,
    Numbered,
    Page,
    Param,
    ProviderInfo,
    Request,
    segment,
    segments,
)

if TYPE_CHECKING:
    from unci.hookspecs import hookimpl


def __getattr__(name: str) -> Any:
    """``hookimpl`` on first use: it is pluggy's, and a provider that never wraps another's
    hook should not import pluggy."""
    if name == "hookimpl":
        from unci.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Auth",
    "Basic",
    "Bearer",
    "BearerOrBasic",
    "Build",
    "BuildPage",
    "BuildQuery",
    "Conclusion",
    "Credentials",
    "Cursor",
    "DecodeError",
    "Identity",
    "InvalidParam",
    "Job",
    "LinkHeader",
    "LogPart",
    "LogRange",
    "LogUnavailable",
    "NextLink",
    "NotFound",
    "Numbered",
    "Offset",
    "Page",
    "PageNumber",
    "Paging",
    "Param",
    "Provider",
    "ProviderInfo",
    "Request",
    "Status",
    "Step",
    "TokenHeader",
    "Trigger",
    "Unsupported",
    "as_str",
    "basic_auth",
    "byte_range",
    "from_epoch",
    "from_epoch_ms",
    "hookimpl",
    "latest",
    "link_pages",
    "message_at",
    "numbered",
    "outcome",
    "read_byte_range",
    "segment",
    "segments",
    "settle_steps",
    "translate",
    "user_at",
    "utc",
    "utc_stamp",
    "word_tables",
]
