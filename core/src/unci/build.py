"""The unified Build record (Truto's Builds resource) and the query that lists builds.

A build is the run that jobs belong to: a GitHub workflow run, a GitLab pipeline, a CircleCI
workflow, a Jenkins build. The unified ``build`` of a job is the unified ``id`` of its build.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import msgspec


class Trigger:
    """Unified words for what started a build; any other value is the provider's own."""

    PUSH: Final = "push"
    MERGE_REQUEST: Final = "merge_request"
    API: Final = "api"
    CRON: Final = "cron"
    WEB: Final = "web"


class Build(msgspec.Struct, kw_only=True):
    """One CI build (run, pipeline, workflow), whatever provider ran it."""

    id: str
    name: str | None = None
    number: str | None = None
    repo: str | None = None
    workflow: str | None = None
    trigger: str | None = None
    triggered_by: str | None = None
    triggered_by_type: str | None = None
    status: str | None = None
    conclusion: str | None = None
    commit: str | None = None
    branch: str | None = None
    attempts: int | None = None
    url: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None
    remote_data: msgspec.Raw | None = None
    provider: str | None = None

    def remote(self) -> Any:
        """``remote_data`` as parsed JSON, ``None`` when there is none."""
        return None if self.remote_data is None else msgspec.json.decode(self.remote_data)

    def to_dict(self) -> dict[str, Any]:
        """The build as plain Python, as the unified JSON has it (timestamps as a job's are)."""
        from unci.job import TIMESTAMPS, rfc3339

        data: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(self))
        for field in TIMESTAMPS:
            data[field] = rfc3339(getattr(self, field))
        return data


#: Every unified build field, in output order.
BUILD_FIELDS: Final[tuple[str, ...]] = tuple(f for f in Build.__struct_fields__ if f != "provider")


class BuildQuery(msgspec.Struct, frozen=True, kw_only=True):
    """What a caller asks of a build list. A provider sends what it can filter on itself; the
    core applies every filter again to what comes back, so a provider that filters less is
    slower, never wrong."""

    branch: str | None = None
    #: Unified status words (``queued``, ``in_progress``, ``completed``).
    status: str | None = None
    #: Unified conclusion words (``passed``, ``failed``...).
    conclusion: str | None = None
    since: datetime | None = None
    until: datetime | None = None
