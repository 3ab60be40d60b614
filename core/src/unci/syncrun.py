"""Running the sync source in a dlt pipeline: choosing the destination, reporting its failures.

The pipeline's working folder is a fresh temporary one on every run, so everything a sync
knows comes from the destination (state and schema), as dlt restores them: a worker keeps
nothing, deleting the database is a full refresh, and a run killed half-way leaves nothing
behind that the next run would trust.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unci.call import Who
from unci.client import Client
from unci.errors import ConfigError, DestinationError, UnciError, UsageError
from unci.syncplan import Scope

if TYPE_CHECKING:
    from unci.syncduckdb import DuckDbFile
    from unci.syncsource import Report

DEFAULT_FILE = "unci.duckdb"
#: Not "unci": DuckDB cannot tell a dataset from a database file of the same name.
DEFAULT_DATASET = "ci"
DEFAULT_PIPELINE = "unci"
INSTALL_HINT = 'pip install "unci[sync]"'


_USERINFO = re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@", re.IGNORECASE)
_PASSWORD = re.compile(r"(password\s*=\s*)\S+", re.IGNORECASE)


def _scrub(text: str) -> str:
    """A destination's message without the password of a DSN it may quote."""
    return _PASSWORD.sub(r"\1***", _USERINFO.sub(r"\1***@", text))


def _last_line(exc: BaseException) -> str:
    """The innermost cause's first line: what the database said, not dlt's wrapping."""
    seen = exc
    while seen.__cause__ is not None or getattr(seen, "exception", None) is not None:
        inner = seen.__cause__ or getattr(seen, "exception", None)
        if inner is None or inner is seen:
            break
        seen = inner
    text = str(seen)
    # dlt wraps the database's words in a paragraph of its own advice.
    text = text.rpartition("The actual reason given is:")[2] or text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return _scrub(lines[0] if lines else type(seen).__name__)[:400]


def _duckdb_file(path: str | None) -> Path:
    """The DuckDB file, checked before anything is fetched: a folder that exists and can be
    written, and no folder or read-only file in the file's place."""
    file = Path(path or DEFAULT_FILE).expanduser()
    folder = file.parent if str(file.parent) else Path(".")
    if file.is_dir():
        raise DestinationError(f"duckdb: {file} is a folder; give a file name such as {file / DEFAULT_FILE}")
    if not folder.is_dir():
        raise DestinationError(f"duckdb: cannot create {file}: the folder {folder} does not exist")
    if file.exists() and not os.access(file, os.W_OK):
        raise DestinationError(f"duckdb: cannot write {file}: permission denied")
    if not file.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise DestinationError(f"duckdb: cannot create {file}: the folder {folder} is not writable")
    return file


def destination_named(name: str | None) -> str:
    """The destination a ``--destination`` value names, as :func:`destination` reads it."""
    return (name or "duckdb").strip()


def destination(name: str | None, duckdb_file: str | None = None) -> tuple[Any, str]:
    """The dlt destination named (default: a DuckDB file) and how messages name it. A DuckDB
    file is given as its checked path: :func:`unci.syncduckdb.duckdb_destination` opens it,
    once the sync holds the file's lock."""
    try:
        from dlt.common.destination import Destination
    except ImportError:
        raise ConfigError(f"unci sync needs dlt: {INSTALL_HINT}") from None
    name = destination_named(name)
    if name == "duckdb":
        file = _duckdb_file(duckdb_file)
        return file, f"duckdb {file}"
    if duckdb_file:
        raise UsageError(f"--duckdb names a DuckDB file; it does not go with --destination {name}")
    try:
        return Destination.from_reference(name), name
    except Exception:  # noqa: BLE001 - dlt raises several types for a name it does not know
        raise UsageError(
            f"unknown destination {name!r}: name one dlt supports (duckdb, postgres, bigquery, "
            "snowflake, clickhouse, mssql, motherduck, filesystem...), installed with its extra "
            '(pip install "dlt[postgres]")'
        ) from None


def check_pipeline_name(name: str) -> None:
    """A pipeline name dlt takes (it names a folder and the state): ``a/b`` or an empty name
    was an internal error inside dlt."""
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}", name or ""):
        raise UsageError(
            f"--pipeline-name {name!r} is not a name dlt takes; use ASCII letters, digits, _ . and -"
            " (at most 64, not starting with . or -)"
        )


def check_dataset(name: str) -> None:
    """A dataset name dlt keeps as it is: one it normalizes (``bad name!`` into ``bad_namex``)
    would put the tables where the summary does not say and a query of the name finds none."""
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    if not name.strip():
        raise UsageError("--dataset is empty; name the dataset (schema) the tables go into, e.g. ci")
    kept = NamingConvention().normalize_identifier(name)
    if kept != name:
        raise UsageError(
            f"--dataset {name!r} is not a name the destination keeps as it is (it would become "
            f"{kept!r}); use lower-case letters, digits and _, not starting with a digit"
        )


def run(
    scopes: Sequence[Scope],
    *,
    destination_name: str | None = None,
    duckdb_file: str | None = None,
    dataset: str = DEFAULT_DATASET,
    pipeline_name: str = DEFAULT_PIPELINE,
    lookback: timedelta | str | None = None,
    since: datetime | str | None = None,
    full_refresh: bool = False,
    concurrency: int | None = None,
    client: Client | None = None,
    on_change: Callable[[Any], None] | None = None,
    who: Who | None = None,
) -> tuple[Any, str]:
    """Sync ``scopes`` into the destination; the :class:`~unci.syncsource.Report` and the
    destination's name. Failures of single scopes are in the report; a failure of the
    destination, or of dlt, raises."""
    from unci.syncplan import DEFAULT_LOOKBACK, parse_lookback
    from unci.when import parse_when

    window = lookback if isinstance(lookback, timedelta) else parse_lookback(lookback or DEFAULT_LOOKBACK)
    floor = since if isinstance(since, datetime) else parse_when(since, "since")
    # dlt's anonymous usage telemetry is dlt's to ask for, not unci's to send: a sync talks
    # to the provider and the destination only, unless RUNTIME__DLTHUB_TELEMETRY says so.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    check_dataset(dataset)
    check_pipeline_name(pipeline_name)
    dest, label = destination(destination_name, duckdb_file)
    duckdb_path = dest if isinstance(dest, Path) else None
    if duckdb_path is not None and duckdb_path.stem == dataset:
        raise UsageError(
            f"the DuckDB file {duckdb_path} and the dataset {dataset!r} have the same name, "
            "which DuckDB cannot tell apart; choose another --dataset or file name"
        )

    import dlt
    from dlt.pipeline.exceptions import PipelineStepFailed

    # dlt's warnings (schema hints merged, names normalized) are for dlt's authors, not for
    # the person syncing; errors still surface, as unci's one line.
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "CRITICAL")

    from unci.syncsource import CHUNK, DEFAULT_CONCURRENCY, Report, source

    # dlt's extraction, unless the environment says otherwise. One page of builds' jobs at a
    # time ("fifo"): dlt's default takes turns between the jobs of every page of builds
    # listed, each with its fetching threads and tables in flight. Each chunk of jobs written
    # out as it comes, not held until dlt's 5,000 rows. Together they took the Arrow memory of
    # a 10,000-job sync from 39 to 16 MiB at its peak (docs/performance.md).
    os.environ.setdefault("EXTRACT__NEXT_ITEM_MODE", "fifo")
    os.environ.setdefault("DATA_WRITER__BUFFER_MAX_ITEMS", str(CHUNK))
    # DuckDB's insert on one thread: a sync's load is a few files, one per table, so more
    # threads bought no time and held more memory (10,000 jobs: peak 419-431 MiB against
    # 441-473, docs/performance.md). Its memory cap is unci.syncduckdb's. A
    # DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG of the user's own replaces this one.
    os.environ.setdefault("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG", '{"threads": 1}')

    report = Report(on_change=on_change)
    own = client is None
    client = client or Client()
    try:
        from unci.cursor_key import cursors_stay_here

        # A sync's cursors never leave it (its state keeps no cursor): no key on disk needed.
        with (
            _only_sync(duckdb_path, label),
            cursors_stay_here(),
            tempfile.TemporaryDirectory(prefix="unci-sync-") as workdir,
            ExitStack() as opened,
        ):
            file = None
            if duckdb_path is not None:  # opened once the file is the sync's own (the lock)
                from unci.syncduckdb import duckdb_destination

                file = opened.enter_context(duckdb_destination(duckdb_path))
                dest = file.destination
            pipeline = dlt.pipeline(
                pipeline_name=pipeline_name, pipelines_dir=workdir, destination=dest, dataset_name=dataset
            )
            data = source(
                list(scopes),
                lookback=window,
                since=floor,
                full_refresh=full_refresh,
                concurrency=concurrency or DEFAULT_CONCURRENCY,
                client=client,
                report=report,
                who=who,
            )
            for name in _absent_tables(pipeline, list(data.selected_resources)):
                # Nothing to merge with: rows go straight into the new table, without dlt's
                # staging copy and delete-insert (the source writes each key once per sync).
                data.resources[name].apply_hints(write_disposition="append")
            if duckdb_path is not None:  # DuckDB's peak is lowest with the jobs loaded first
                from unci.syncorder import jobs_first

                opened.enter_context(jobs_first(workdir))
            try:
                with _loading_env(duckdb=duckdb_path is not None):
                    _run(pipeline, data, file, report, label)
            except PipelineStepFailed as exc:
                _reraise_interrupt(exc)
                raise _failure(exc, label) from None
            except Exception as exc:  # noqa: BLE001 - credentials missing, connection refused...
                _reraise_interrupt(exc)
                raise _failure(exc, label) from None
    finally:
        if own:
            client.close()
    return report, label


def _run(pipeline: Any, data: Any, file: DuckDbFile | None, report: Report, label: str) -> None:
    """``pipeline.run(data)``; where DuckDB had too little memory for a load, its cap raised a
    step (:meth:`~unci.syncduckdb.DuckDbFile.more_memory`) and the pending load finished, as
    often as there is a step. What was loaded before stays loaded; the load that failed was
    rolled back by DuckDB, so it is written once, whole (dlt keeps its package until it is)."""
    from dlt.pipeline.exceptions import PipelineStepFailed

    try:
        pipeline.run(data)
        return
    except PipelineStepFailed as exc:
        failed = exc
    while failed.step == "load" and file is not None and _out_of_memory(failed):
        before = file.cap
        cap = file.more_memory()
        if cap is None:
            break
        report.notes.append(
            f"{label}: a load did not fit in DuckDB's memory cap of {before}; it was raised to "
            f"{cap} (choose one with memory_limit in DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG)"
        )
        try:
            pipeline.load()
            return
        except PipelineStepFailed as exc:
            failed = exc
    raise failed


def _out_of_memory(exc: BaseException) -> bool:
    """Whether DuckDB ran out of its memory somewhere in ``exc``'s chain (by the exception's
    type, or by its words where dlt rewrapped it)."""
    return any(type(e).__name__ == "OutOfMemoryException" for e in _chain(exc)) or _last_line(exc).startswith(
        "Out of Memory Error"
    )


@contextmanager
def _only_sync(duckdb_path: Path | None, label: str) -> Iterator[None]:
    """One sync at a time into a DuckDB file, told before anything is fetched: two that overlap
    (a slow cron run and the next) both fetched the whole history, and the first lost it at
    its load to DuckDB's own lock, reported as a failed destination. A lock file beside the
    database (``unci.duckdb.lock``), held while the sync runs."""
    if duckdb_path is None:
        yield
        return
    from filelock import FileLock, Timeout

    path = f"{duckdb_path}.lock"
    try:  # filelock takes a lock file it cannot create for one held by another process
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))
    except OSError:  # (a folder that is not writable): DuckDB's own lock and message, then
        yield
        return
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise DestinationError(
            f"{label}: another unci sync is writing this file",
            hint="let it finish (or stop it) and run again, or sync into another --duckdb file",
        ) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _loading_env(*, duckdb: bool) -> Iterator[None]:
    """dlt's load settings for this run only, unless the environment gives its own. Into
    DuckDB, one table's file at a time: dlt's parallel load jobs each held an insert's memory
    in DuckDB at once (10,000 jobs: peak 348-352 MiB against 384-387, 1,000 jobs: 252 against
    258-264, docs/performance.md). Other destinations keep dlt's parallel jobs: their inserts
    wait on the network, not on this process's memory.

    Into DuckDB, too, a load that failed is not tried again by dlt (five times, by default)
    before the sync hears of it: what fails a DuckDB load (its memory cap, a full disk, a
    file it cannot write) fails it again the same way, and the cap is what :func:`_run`
    raises before the next try."""
    settings = {"LOAD__WORKERS": "1", "LOAD__RAISE_ON_MAX_RETRIES": "1"} if duckdb else {}
    ours = [name for name in settings if name not in os.environ]
    for name in ours:
        os.environ[name] = settings[name]
    try:
        yield
    finally:
        for name in ours:
            os.environ.pop(name, None)


def _absent_tables(pipeline: Any, names: list[str]) -> list[str]:
    """Which of the tables do not exist in the destination yet (a first sync into it). Where
    that cannot be told (a destination without tables, an error), none: merging is always
    right, appending only into a table that did not exist before this load. A sync killed
    after its first load created the tables finds them, with or without state, and merges."""
    try:
        from dlt.destinations.job_client_impl import SqlJobClientBase

        with pipeline.destination_client() as client:
            if not isinstance(client, SqlJobClientBase):
                return []
            return [name for name, columns in client.get_storage_tables(names) if not columns]
    except Exception:  # noqa: BLE001 - the load reports an unreachable destination, in unci's words
        return []


def _reraise_interrupt(exc: BaseException) -> None:
    """Ctrl-C as Ctrl-C (exit 130), not as a destination that failed (exit 14): dlt catches
    the signal itself and fails the step it was in with it."""
    import signal

    for seen in _chain(exc):
        if isinstance(seen, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        if type(seen).__name__ == "SignalReceivedException":
            code = getattr(seen, "signal_code", signal.SIGINT)
            if code == signal.SIGINT:
                raise KeyboardInterrupt from None
            raise SystemExit(128 + int(code))


#: Connection strings as dlt takes them, for the destinations that take one.
_DSN_EXAMPLES = {
    "postgres": "postgresql://user:password@host:5432/database",
    "redshift": "redshift://user:password@host:5439/database",
    "mssql": "mssql://user:password@host:1433/database",
    "clickhouse": "clickhouse://user:password@host:9000/database",
    "motherduck": "md:database?motherduck_token=TOKEN",
}


def _failure(exc: BaseException, label: str) -> UnciError:
    """One line for what went wrong with the destination (or an unci error raised inside)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, UnciError):
            return seen
        seen = seen.__cause__ or getattr(seen, "exception", None) or seen.__context__
    text = _last_line(exc)
    names = " ".join(type(e).__name__ for e in _chain(exc))
    kind = label.split()[0]
    if "MissingDependencyException" in names:
        return ConfigError(
            f"{kind}: dlt needs packages for this destination that are not installed",
            hint=f'pip install "dlt[{kind}]"',
        )
    if "ConfigFieldMissingException" in names:
        if kind == "filesystem":
            return ConfigError(
                "filesystem: no bucket for the destination: set DESTINATION__FILESYSTEM__BUCKET_URL "
                "(e.g. file:///srv/ci or s3://bucket/ci) or put bucket_url in .dlt/config.toml "
                "under [destination.filesystem]"
            )
        example = _DSN_EXAMPLES.get(kind)
        shown = f" (e.g. {example})" if example else ""
        return ConfigError(
            f"{kind}: no credentials for the destination: set DESTINATION__{kind.upper()}__CREDENTIALS"
            f"{shown} or put them in .dlt/secrets.toml under [destination.{kind}.credentials]"
        )
    if "InvalidNativeValue" in names or "InvalidConnectionString" in names:
        example = _DSN_EXAMPLES.get(kind, "the form dlt's page for the destination gives")
        return ConfigError(
            f"{kind}: the destination's credentials cannot be read as a connection string",
            hint=f"write them as {example} (a password with @ : / in it percent-encoded)",
        )
    if label.startswith("duckdb ") and _out_of_memory(exc):
        # The file is fine; DuckDB's memory cap is what a load did not fit in.
        check = (
            "give DuckDB more memory, e.g. DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG="
            """'{"threads": 1, "memory_limit": "4GB"}'"""
        )
    elif label.startswith("duckdb "):
        check = "check that the file is a DuckDB database (or give a new file name) and is writable"
    else:
        check = "check that it is running, reachable and writable, and the credentials"
    return DestinationError(
        f"{label}: the destination failed: {text}",
        hint=f"{check}; nothing was recorded as synced, so running the same command again repairs it",
    )


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in found:
        found.append(seen)
        seen = seen.__cause__ or getattr(seen, "exception", None) or seen.__context__
    return found
