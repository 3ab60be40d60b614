"""The incremental rules of ``unci sync``, without I/O and without dlt.

Per scope (account + repository) the state holds:

- ``newest``: the creation time of the newest build seen. The next sync lists builds created
  since ``newest - lookback``, so re-runs and late changes inside the window are seen again.
- ``seen``: a fingerprint (status, conclusion, attempts, update and end times) of each build
  inside that window; a listed build whose fingerprint is unchanged and finished is not fetched
  again, so a sync with nothing new costs one list request.
- ``pending``: builds not finished at the last sync, or whose jobs could not be fetched. They
  are fetched again, whether or not they are still inside the window, until they finish; with
  the ETag of their job list, so the provider can answer "unchanged" (304).
- ``list_etag``: the ETag of the build list, when it fit one page. With nothing pending, the
  next sync asks for the list with it, and a 304 means there is nothing to fetch at all.
- ``since``: the ``--since`` a sync was given, so later syncs without it never go before it
  either (a later ``--since`` replaces it; a full refresh forgets it).

The state is stored by dlt beside the data and only with a load that completed, so a sync that
dies leaves the previous state and data that a re-run merges over (rows merge on their key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from unci.build import Build
from unci.builds import when_of
from unci.job import Job, Status


def finished(item: Build | Job) -> bool:
    return item.status == Status.COMPLETED


def fingerprint(build: Build) -> str:
    """What changes when a build does: a new attempt, a new status, a later update."""
    parts = (build.status, build.conclusion, build.attempts, build.updated_at, build.completed_at)
    return "|".join("" if p is None else str(p) for p in parts)


def _time(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


@dataclass
class ScopeState:
    newest: datetime | None
    seen: dict[str, str]
    pending: dict[str, dict[str, Any]]
    list_etag: str | None = None
    #: The ``--since`` given to an earlier sync (see the module).
    floor: datetime | None = None

    @classmethod
    def load(cls, raw: Any) -> ScopeState:
        """The stored state, or an empty one (a first sync, or a full refresh)."""
        if not isinstance(raw, dict):
            return cls(None, {}, {})
        etag = raw.get("list_etag")
        return cls(
            _time(raw.get("newest")),
            dict(raw.get("seen") or {}),
            dict(raw.get("pending") or {}),
            etag if isinstance(etag, str) and etag else None,
            _time(raw.get("since")),
        )

    def list_since(self, lookback: timedelta, floor: datetime | None) -> datetime | None:
        """Where this sync's build list starts: ``lookback`` before the newest build seen, never
        before ``floor`` (``--since``); the whole history on a first sync without ``--since``."""
        start = None if self.newest is None else self.newest - lookback
        if floor is not None:
            start = floor if start is None else max(start, floor)
        return start

    def wants(self, build: Build) -> bool:
        """Must this listed build (and its jobs) be fetched and written again?"""
        return (
            build.id in self.pending or not finished(build) or self.seen.get(build.id) != fingerprint(build)
        )


def advance(
    old: ScopeState, listed: list[tuple[str, datetime | None, str]], lookback: timedelta
) -> dict[str, Any]:
    """The state after a listing that completed: ``listed`` holds (id, created, fingerprint) of
    every build the list returned. ``pending`` is left to the caller, which adds and removes
    entries as builds and their jobs are fetched."""
    times = [t for _, t, _ in listed if t is not None]
    newest = max([*times, *([old.newest] if old.newest else [])], default=None)
    window = None if newest is None else newest - lookback
    seen = {bid: fp for bid, t, fp in listed if window is None or (t is not None and t >= window)}
    return {"newest": newest.isoformat() if newest else None, "seen": seen}


def listed_entry(build: Build) -> tuple[str, datetime | None, str]:
    return build.id, when_of(build), fingerprint(build)


def older_than(build: Build, since: datetime | None) -> bool:
    """Is the build before the window (newest first: so is everything after it)?"""
    when = when_of(build)
    return since is not None and when is not None and when < since
