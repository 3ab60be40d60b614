"""How a sync opens its DuckDB file, so that its memory stays flat however much it loads.

DuckDB holds the rows of an insert in memory until a row group of them is full, and a row
group is 122,880 rows by default: every row of a sync's load, then, at once (10,000 jobs took
DuckDB's insert 110 MiB above where it started, 100,000 jobs about 1 GiB). Row groups of 2,048
rows, each written out as soon as it is full, hold about one row group at a time; that makes a
memory cap safe, which DuckDB's default could not take (a 100,000-job load failed under 128 MB).
The row group size is an option of ``ATTACH`` only, so the file is attached to an in-memory
DuckDB of the sync's own, made the database of every session dlt opens from it, and dlt is
given that connection. Figures in docs/performance.md ("Sync into a database").

One row group of wide rows can need more than the cap (2,048 jobs of 100 steps each, about
20 KB a row, did not fit in 128 MB): the cap is where a sync starts, and a load that does not
fit is tried again under a higher one (:meth:`DuckDbFile.more_memory`, ``unci.syncrun``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The catalog the file is attached as inside the sync's connection.
STORE = "unci_store"
#: Rows per row group of what a sync writes (DuckDB takes multiples of 2,048).
ROW_GROUP = 2048
#: DuckDB's memory for the sync's load, unless the user's DuckDB settings say otherwise.
MEMORY_LIMIT = "128MB"
#: The caps a load that did not fit is tried again under, in turn (``None``: DuckDB's own
#: default, 80 % of the machine's memory). 128 MB holds rows of GitHub's jobs many times
#: over; rows of 100 KB each (a build that embeds its jobs) need about 512 MB.
MORE_MEMORY: tuple[str | None, ...] = ("512MB", None)
#: A free of more than this in one go hands DuckDB's allocator caches back to the system
#: (DuckDB's default, 512 MiB, is more than a sync's whole load, so they were kept).
BULK_FLUSH = "1MB"


@dataclass
class DuckDbFile:
    """The destination a sync loads ``file`` through, and its DuckDB, whose cap
    :meth:`more_memory` raises when a load did not fit in it."""

    destination: Any
    conn: Any = None
    #: The cap as DuckDB reads it back, while it is the one this sync set.
    cap: str | None = None
    #: The caps still to try, in turn, once the current one proved too small.
    higher: tuple[str | None, ...] = MORE_MEMORY

    def __post_init__(self) -> None:
        if self.conn is not None:
            self.cap = self._current()

    def more_memory(self) -> str | None:
        """Raise DuckDB's cap to the next of :data:`MORE_MEMORY`, and say to what (as DuckDB
        writes it); ``None`` where there is no next one, or where the cap is no longer the
        sync's own (a ``memory_limit`` of the user's, which dlt sets again on every load)."""
        if self.conn is None or not self.higher or self._current() != self.cap:
            return None
        step, self.higher = self.higher[0], self.higher[1:]
        self.conn.execute("RESET memory_limit" if step is None else f"SET memory_limit = '{step}'")
        self.cap = self._current()
        return self.cap

    def _current(self) -> str | None:
        row = self.conn.execute("SELECT current_setting('memory_limit')").fetchone()
        return None if row is None else str(row[0])


@contextmanager
def duckdb_destination(file: Path) -> Iterator[DuckDbFile]:
    """dlt's DuckDB destination writing ``file`` in small row groups, the connection closed
    (and the file checkpointed) at the end. Where the installed DuckDB lacks the options
    (before 1.2), or cannot attach the file, the file's path as dlt opens it: the load then
    runs, or fails with DuckDB's own message, as it did before."""
    import dlt

    conn = _opened(file)
    if conn is None:
        yield DuckDbFile(dlt.destinations.duckdb(str(file)))
        return
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    try:
        # A query over two seconds could draw DuckDB's progress bar on stdout, amid the summary.
        credentials = DuckDbCredentials(conn, local_config={"enable_progress_bar": False})
        yield DuckDbFile(dlt.destinations.duckdb(credentials), conn)
    finally:
        conn.close()


def _opened(file: Path) -> Any:
    """The sync's in-memory DuckDB with ``file`` attached as its every session's database, or
    ``None`` (nothing left open: DuckDB opens a file once per process) where it cannot be."""
    import duckdb

    try:
        conn = duckdb.connect(
            ":memory:",
            config={
                "write_buffer_row_group_count": "1",
                "memory_limit": MEMORY_LIMIT,
                # Beside the file, where DuckDB puts a file database's spill; an in-memory
                # database would spill into the current folder.
                "temp_directory": f"{file}.tmp",
            },
        )
    except duckdb.Error:
        return None
    with suppress(duckdb.Error):  # a DuckDB without the setting keeps them, as before
        conn.execute(f"SET GLOBAL allocator_bulk_deallocation_flush_threshold = '{BULK_FLUSH}'")
    if not _attached(conn, file):
        conn.close()
        return None
    return conn


def _attached(conn: Any, file: Path) -> bool:
    """``file`` attached with small row groups and made the database of every session cloned
    from ``conn`` (dlt clones one per job): ``USE`` alone sets it for ``conn``'s own session,
    and once the in-memory database it was opened with is detached, the file is the default
    of the clones too. Checked on a clone, so that no DuckDB where this works otherwise can
    put the rows anywhere but in the file."""
    import duckdb

    quoted = str(file).replace("'", "''")
    try:
        conn.execute(f"ATTACH '{quoted}' AS {STORE} (ROW_GROUP_SIZE {ROW_GROUP})")
        conn.execute(f"USE {STORE}")
        conn.execute("DETACH memory")
        clone = conn.duplicate()
        try:
            row = clone.execute("SELECT current_database()").fetchone()
        finally:
            clone.close()
    except duckdb.Error:
        return False
    return row is not None and row[0] == STORE
