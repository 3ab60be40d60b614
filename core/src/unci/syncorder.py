"""The order in which dlt loads a sync's files into DuckDB: the jobs table's first.

dlt loads a package's files in the order the file system lists them, which on most file
systems is the order of a hash of their names, and their names carry a random part: so from
one sync to the next, the jobs table was loaded first, between the others or last. Into
DuckDB the jobs' insert is the sync's peak (their rows, with the provider's JSON, are the
widest), and it peaked 8-10 MiB higher after the builds' and steps' inserts than before them:
what those leave in DuckDB (its cached blocks, its allocator's memory) was still held. So a
10,000-job sync peaked at 212-215 MiB or at 221-223 MiB by chance (docs/performance.md, "The
jobs table loaded first").

dlt has no setting for the order, so the sync orders the list its loader reads
(``PackageStorage.list_new_jobs``), and only for the packages in a folder the sync named
(:func:`jobs_first`): any other dlt pipeline in the same process keeps dlt's own order. Any
order is one dlt may take: loading a package does not depend on it, and a package whose load
was cut off is resumed from what is left, whatever came first.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

#: The table whose files are loaded before the others.
FIRST = "jobs"

#: The folders (as dlt's storage resolves them) whose packages load jobs first, with how many
#: syncs running in this process use each.
_folders: dict[str, int] = {}
_lock = threading.Lock()
_installed = False


@contextmanager
def jobs_first(folder: str) -> Iterator[None]:
    """While in the block, the packages of the pipelines under ``folder`` load the jobs
    table's files first and the rest in the order of their names."""
    root = os.path.join(os.path.realpath(folder), "")
    with _lock:
        _install()
        _folders[root] = _folders.get(root, 0) + 1
    try:
        yield
    finally:
        with _lock:
            _folders[root] -= 1
            if not _folders[root]:
                del _folders[root]


def ordered(names: Sequence[str]) -> list[str]:
    """``names`` (paths of a package's job files, ``TABLE.ID.RETRY.FORMAT``: dlt's names, whose
    table part holds no dot) with the jobs table's first, then by name."""

    def key(name: str) -> tuple[bool, str]:
        base = os.path.basename(name)
        return base.split(".", 1)[0] != FIRST, base

    return sorted(names, key=key)


def _install() -> None:
    """Wrap dlt's listing of a package's new jobs, once per process. A dlt without it (a
    later version that moved it) keeps its own order: the sync still loads everything, only
    its peak is left to chance again, which ``tests/sync/test_sync_order.py`` would report."""
    global _installed
    if _installed:
        return
    _installed = True
    try:
        from dlt.common.storages.load_package import PackageStorage
    except ImportError:
        return
    listed = getattr(PackageStorage, "list_new_jobs", None)
    if listed is None:
        return

    def list_new_jobs(self: Any, load_id: str) -> Sequence[str]:
        names: Sequence[str] = listed(self, load_id)
        path = getattr(getattr(self, "storage", None), "storage_path", None)
        if _folders and isinstance(path, str) and _ours(path):
            return ordered(names)
        return names

    PackageStorage.list_new_jobs = list_new_jobs  # type: ignore[method-assign]


def _ours(path: str) -> bool:
    inside = os.path.join(path, "")
    return any(inside.startswith(root) for root in list(_folders))
