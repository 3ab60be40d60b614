"""unci as a dlt source: resources ``builds``, ``jobs`` and ``steps`` (both made from the same
job rows, a transformer of builds), for any provider with the builds hooks, into any dlt
destination. A job's steps are stored once, as rows of ``steps``.

``pip install "unci[sync]"``. Rows merge on (provider, account, id, attempt) (steps on the
job's key and their position), so loading the same build twice changes nothing. What is fetched
is decided by :mod:`unci.syncstate`; the state itself is dlt's, stored with the data.

The pieces are usable on their own, as an orchestrator does::

    import dlt
    from unci.syncplan import Scope
    from unci.syncsource import source

    pipeline = dlt.pipeline("unci", destination="duckdb", dataset_name="unci")
    pipeline.run(source([Scope("work-gh", None, {"repo_id": "api"})]))
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

import dlt
import msgspec
import pyarrow as pa

from unci.build import Build
from unci.builds import build_param, prepare_builds, read_build_page, slice_builds
from unci.call import Answer, Call, Target, Who, resolve_target
from unci.client import Client
from unci.errors import NotFound, UnciError
from unci.job import Job
from unci.listing import prepare_list, read_page, slice_page
from unci.redact import REDACTED, scrub_bytes, text_forms
from unci.syncplan import DEFAULT_LOOKBACK, Scope, parse_lookback
from unci.syncstate import ScopeState, advance, finished, listed_entry, older_than
from unci.when import parse_when

#: Every row's identity; a re-run of a build is a new attempt, a new row. ``scope`` is part of
#: it because not every provider's ids are unique beyond what they were listed from (Jenkins
#: numbers builds per job).
KEY = ("provider", "account", "scope", "id", "attempt")
STEP_KEY = ("provider", "account", "scope", "job", "attempt", "position")
#: Job rows are handed to dlt in tables of about this many (memory stays flat with history).
CHUNK = 1000
DEFAULT_CONCURRENCY = 16

_TEXT, _INT, _TIME = pa.string(), pa.int64(), pa.timestamp("us", tz="UTC")
_OWN = [
    pa.field("provider", _TEXT, nullable=False),
    pa.field("account", _TEXT, nullable=False),
    pa.field("scope", _TEXT, nullable=False),
    pa.field("attempt", _INT, nullable=False),
]
BUILD_SCHEMA = pa.schema(
    [
        *_OWN,
        *[
            pa.field(
                name, _INT if name == "attempts" else _TIME if name.endswith("_at") else _TEXT, name != "id"
            )
            for name in Build.__struct_fields__
            if name != "provider"
        ],
    ]
)
JOB_SCHEMA = pa.schema(
    [
        *_OWN,
        *[
            pa.field(
                name, _INT if name == "attempts" else _TIME if name.endswith("_at") else _TEXT, name != "id"
            )
            for name in Job.__struct_fields__
            if name != "provider"
        ],
    ]
)
STEP_SCHEMA = pa.schema(
    [
        *_OWN[:3],
        pa.field("job", _TEXT, nullable=False),
        ("build", _TEXT),
        pa.field("attempt", _INT, nullable=False),
        pa.field("position", _INT, nullable=False),
        ("number", _INT),
        ("name", _TEXT),
        ("status", _TEXT),
        ("conclusion", _TEXT),
        ("started_at", _TIME),
        ("completed_at", _TIME),
    ]
)


def _json() -> Any:
    """A JSON column's hint, new each time: dlt writes the column's name into the dict."""
    return {"data_type": "json"}


@dataclass
class Tally:
    """What one scope's sync did, for progress lines and the summary."""

    scope: Scope
    builds: int = 0
    jobs: int = 0
    steps: int = 0
    requests: int = 0
    unchanged: int = 0
    error: UnciError | None = None
    #: The scope's resolved name (account defaults included), once its target is known.
    key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.key or self.scope.key,
            "account": self.scope.account or "",  # as the tables have it: empty without one
            "params": dict(self.scope.params),
            "builds": self.builds,
            "jobs": self.jobs,
            "steps": self.steps,
            "requests": self.requests,
            "unchanged": self.unchanged,
            "error": None if self.error is None else self.error.cli_message(),
            "exit_code": 0 if self.error is None else self.error.exit_code,
        }


@dataclass
class Report:
    """Shared by the resources and whoever shows progress."""

    tallies: dict[str, Tally] = field(default_factory=dict)
    #: What the sync did that the user should know of, though nothing failed.
    notes: list[str] = field(default_factory=list)
    on_change: Callable[[Report], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tally(self, scope: Scope) -> Tally:
        return self.tallies.setdefault(scope.key, Tally(scope))

    def changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def fail(self, scope: Scope, exc: UnciError) -> None:
        tally = self.tally(scope)
        if tally.error is None:
            tally.error = exc
        self.changed()


def _attempt(value: int | None) -> int:
    """The row key's attempt: the provider's, or 1 where it counts none."""
    return value if value is not None else 1


#: The unified fields each row takes from its Build or Job (``provider`` is the row's own).
_BUILD_FIELDS = [name for name in Build.__struct_fields__ if name != "provider"]
_JOB_FIELDS = [name for name in Job.__struct_fields__ if name not in ("provider", "steps", "remote_data")]
_STEP_FIELDS = ("number", "name", "status", "conclusion", "started_at", "completed_at")


class _StepRow(msgspec.Struct):
    """A step as the jobs table stores it (JSON), its times kept as the text they are: Arrow
    parses a column of them in one C loop, four times cheaper than ``datetime`` objects."""

    number: int | None = None
    name: str | None = None
    status: str | None = None
    conclusion: str | None = None
    started_at: str | None = None
    completed_at: str | None = None


#: Every job's steps of a table at once: one decode for the table, not one per job.
_STEPS = msgspec.json.Decoder(list[list[_StepRow]])


def _arrow(columns: dict[str, Any], schema: pa.Schema, secrets: Sequence[str] = ()) -> pa.Table:
    """Column lists (or ready arrays) to a table: one C loop per column instead of a dict per
    row, which is what ``from_pylist`` builds, a large part of a sync's CPU time before.

    The text columns are scrubbed of ``secrets`` (the call's credentials, in every form), as
    everything else unci writes is: a provider that echoes the token (a run named after it)
    would otherwise put it in the database, the output most widely read of all."""
    arrays = [
        a if isinstance(a, pa.Array) else pa.array(a, f.type)
        for a, f in zip([columns[f.name] for f in schema], schema, strict=True)
    ]
    forms = text_forms(secrets) if secrets else ()
    if forms:
        import pyarrow.compute as pc

        for i, (array, f) in enumerate(zip(arrays, schema, strict=True)):
            if f.type != _TEXT or f.name in _SCRUBBED_AS_BYTES:
                continue
            for form in forms:
                if pc.any(pc.match_substring(array, form)).as_py():
                    array = pc.replace_substring(array, form, REDACTED)
            arrays[i] = array
    return pa.Table.from_arrays(arrays, schema=schema)


#: Columns built from bytes, scrubbed before they are joined (:func:`_text`).
_SCRUBBED_AS_BYTES = frozenset({"remote_data", "steps"})


def _text(values: list[Any], secrets: Sequence[str] = ()) -> pa.Array:
    """Bytes (``msgspec.Raw``, encoded JSON; ``None`` for none) as a text column: joined into
    one buffer and checked as UTF-8 by Arrow in C, with no Python ``str`` made of each.

    Not through ``pa.array`` of ``memoryview`` objects: pyarrow 26 never releases a buffer it
    reads from one, so every page body a ``msgspec.Raw`` points into stayed alive until the
    process ended (about 5 MiB per 1,000 jobs, docs/performance.md)."""
    if secrets:
        values = [None if v is None else scrub_bytes(bytes(v), secrets) for v in values]
    lengths = [0 if v is None else len(v) for v in values]
    offsets = list(itertools.accumulate(lengths, initial=0))
    if offsets[-1] >= 2**31:  # beyond a string column's 32-bit offsets: Arrow splits it
        return pa.array([None if v is None else bytes(v) for v in values], pa.binary()).cast(_TEXT)
    data = pa.py_buffer(b"".join([v for v in values if v is not None]))
    nulls = sum(v is None for v in values)
    valid = pa.array([v is not None for v in values], pa.bool_()).buffers()[1] if nulls else None
    binary = pa.Array.from_buffers(
        pa.binary(), len(values), [valid, pa.array(offsets, pa.int32()).buffers()[1], data], null_count=nulls
    )
    return binary.cast(_TEXT)


def _times(values: list[str | None]) -> pa.Array:
    """RFC 3339 texts as a UTC timestamp column. A time without an offset (none of unci's
    providers writes one: their steps go through :func:`unci.utc`) is taken to be UTC, as
    :func:`unci.utc` takes it."""
    try:
        return pa.array(values, _TEXT).cast(_TIME)
    except pa.ArrowInvalid:
        from datetime import datetime as _dt

        return pa.array([None if v is None else _dt.fromisoformat(v) for v in values], _TIME)


def _own(columns: dict[str, Any], count: int, scope: Scope, provider: str, key: str) -> None:
    """The identity columns every row carries besides the unified fields."""
    columns["provider"] = [provider] * count
    columns["account"] = [scope.account or ""] * count
    columns["scope"] = [key] * count
    columns["attempt"] = [_attempt(a) for a in columns["attempts"]]


def build_table(
    builds: Sequence[Build], scope: Scope, provider: str, key: str, secrets: Sequence[str] = ()
) -> pa.Table:
    """The builds' rows (:data:`BUILD_SCHEMA`), scrubbed of ``secrets``."""
    columns: dict[str, Any] = {name: [getattr(b, name) for b in builds] for name in _BUILD_FIELDS}
    _own(columns, len(builds), scope, provider, key)
    columns["remote_data"] = _text(columns["remote_data"], secrets)
    return _arrow(columns, BUILD_SCHEMA, secrets)


def job_table(
    jobs: Sequence[tuple[Job, str]], scope: Scope, provider: str, key: str, secrets: Sequence[str] = ()
) -> pa.Table:
    """The rows of ``jobs``, each given with the id of the build it was listed from (the
    job's own ``build`` wins where the provider names it) (:data:`JOB_SCHEMA`), scrubbed of
    ``secrets`` (the steps table, made from their ``steps``, is then too)."""
    columns: dict[str, Any] = {name: [getattr(j, name) for j, _ in jobs] for name in _JOB_FIELDS}
    _own(columns, len(jobs), scope, provider, key)
    columns["build"] = [own or bid for own, (_, bid) in zip(columns["build"], jobs, strict=True)]
    columns["remote_data"] = _text([j.remote_data for j, _ in jobs], secrets)
    steps = [None if j.steps is msgspec.UNSET else _encode(j.steps) for j, _ in jobs]
    columns["steps"] = _text(steps, secrets)
    return _arrow(columns, JOB_SCHEMA, secrets)


_encode = msgspec.json.Encoder().encode


def step_table(jobs: pa.Table) -> pa.Table | None:
    """The steps of a table of job rows, one row each, from the jobs' ``steps`` JSON;
    ``None`` when no job has any (:data:`STEP_SCHEMA`)."""
    texts = jobs.column("steps").to_pylist()
    steps = _STEPS.decode("[" + ",".join(t or "[]" for t in texts) + "]")
    counts = [len(s) for s in steps]
    total = sum(counts)
    if not total:
        return None
    # Which job each step belongs to, as indices into the jobs table: its identity columns
    # are then taken from there in C. (Imported here: a sync that writes no rows, whose
    # start-up is all it costs, never needs it; dlt imports it for the first rows anyway.)
    import pyarrow.compute as pc

    offsets = pa.array(itertools.accumulate(counts, initial=0), pa.int32())
    parents = pc.list_parent_indices(pa.ListArray.from_arrays(offsets, pa.nulls(total)))
    names = ("provider", "account", "scope", "id", "build", "attempt")
    taken = jobs.select(list(names)).take(parents)
    own: dict[str, Any] = {name: taken.column(name).combine_chunks() for name in names}
    own["job"] = own.pop("id")
    own["position"] = [p for n in counts for p in range(1, n + 1)]
    flat = list(itertools.chain.from_iterable(steps))
    for name in _STEP_FIELDS:
        own[name] = list(map(attrgetter(name), flat))
    own["started_at"] = _times(own["started_at"])
    own["completed_at"] = _times(own["completed_at"])
    return _arrow(own, STEP_SCHEMA)


@dataclass
class Listing:
    """How one scope's build list went: the pages asked for, the ETag of the first, and
    whether the provider answered that it is unchanged (304)."""

    pages: int = 0
    etag: str | None = None
    unchanged: bool = False


class _Fetcher:
    """The HTTP side of one sync: one client for every scope, requests counted per scope."""

    def __init__(self, client: Client, report: Report, who: Who | None = None) -> None:
        self.client = client
        self.report = report
        #: Credentials and API root given for every scope (``unci sync --token/--base-url``):
        #: they override an account's as in every command, and are never part of a scope's
        #: name, as the provider's variables that they stand for are not.
        self.who: Who = who or {}
        self.targets: dict[str, tuple[Target, dict[str, str]]] = {}
        #: Scopes by their resolved name (the rows' ``scope``).
        self.by_key: dict[str, Scope] = {}

    def target(self, scope: Scope) -> tuple[Target, dict[str, str]]:
        if scope.key not in self.targets:
            who = self.who
            target = resolve_target(
                scope.provider,
                account=scope.account,
                token=who.get("token"),
                username=who.get("username"),
                password=who.get("password"),
                base_url=who.get("base_url"),
            )
            params = {**target.params, **scope.params}
            self.targets[scope.key] = (target, params)
            key = scope.resolved(params)
            self.by_key[key] = scope
            self.report.tally(scope).key = key
        return self.targets[scope.key]

    def key(self, scope: Scope) -> str:
        return scope.resolved(self.target(scope)[1])

    def secrets(self, scope: Scope) -> list[str]:
        return self.target(scope)[0].secrets

    def send(self, scope: Scope, call: Call) -> Answer:
        tally = self.report.tally(scope)
        try:
            answer = self.client.send(call)
        finally:
            with self.report.lock:
                tally.requests += 1
        if answer.status == 304:
            with self.report.lock:
                tally.unchanged += 1
        return answer

    def build_pages(
        self, scope: Scope, since: datetime | None, listing: Listing, etag: str | None = None
    ) -> Iterator[list[Build]]:
        """The scope's builds created since ``since``, a page at a time, newest first; the
        first page asked for with ``If-None-Match: etag`` when given (nothing is yielded when
        the provider answers that it is unchanged)."""
        from unci.builds import build_query

        target, params = self.target(scope)
        query = build_query(since=since, provider=target.provider)
        cursor: str | None = None
        while True:
            call, skip, query = prepare_builds(target, params, query, cursor=cursor)
            if etag and cursor is None:
                call.headers["If-None-Match"] = etag
            answer = self.send(scope, call)
            listing.pages += 1
            if answer.status == 304 and cursor is None and etag:
                listing.unchanged, listing.etag = True, etag
                return
            if cursor is None:
                listing.etag = answer.headers.get("etag")
            raw = read_build_page(call, answer)
            page = slice_builds(call, answer, raw, query, skip, None)
            yield page.result
            if page.next_cursor is None or (raw.builds and older_than(raw.builds[-1], since)):
                return
            cursor = page.next_cursor

    def build(self, scope: Scope, build_id: str) -> Build:
        target, params = self.target(scope)
        return self.client.fetch_build(None, build_id, params=params, target=target).build

    def jobs(self, scope: Scope, build_id: str, etag: str | None) -> tuple[list[Job] | None, str | None]:
        """The build's jobs and the ETag of their list (``None`` when it took several pages);
        ``None`` for the jobs when the provider answered that the list is unchanged."""
        target, params = self.target(scope)
        name = build_param(target)
        if name is None:  # the build is its own job (Jenkins)
            call = _job_call(target, build_id, params)
            answer = self.send(scope, call)
            from unci.call import decode_job

            return [decode_job(call, answer)], None
        asked = {**params, name: build_id}
        call, skip = prepare_list(target, asked)
        if etag:
            call.headers["If-None-Match"] = etag
        answer = self.send(scope, call)
        if answer.status == 304:
            return None, etag
        found, cursor = slice_page(call, read_page(call, answer), skip, None)
        new_etag = answer.headers.get("etag")
        pages = 1
        while cursor:
            new_etag = None  # only a one-page list is asked for again conditionally
            pages += 1
            if pages > 10_000:
                raise UnciError(f"{target.provider}: the job list of build {build_id} does not end")
            call, skip = prepare_list(target, asked, cursor=cursor)
            answer = self.send(scope, call)
            more, cursor = slice_page(call, read_page(call, answer), skip, None)
            found = [*found, *more]
        return list(found), new_etag


def _job_call(target: Target, job_id: str, params: dict[str, str]) -> Call:
    from unci.call import prepare_get

    return prepare_get(target, job_id, params)


def _scope_state(scopes_state: dict[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = scopes_state.setdefault(key, {"newest": None, "seen": {}, "pending": {}})
    return found


@dlt.source(name="unci", max_table_nesting=0)
def source(
    scopes: Sequence[Scope],
    lookback: timedelta | str = DEFAULT_LOOKBACK,
    since: datetime | str | None = None,
    full_refresh: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    client: Client | None = None,
    report: Report | None = None,
    who: Who | None = None,
) -> Any:
    """The builds, jobs and steps of ``scopes`` since the last sync (see module docs);
    ``who`` (token, username, password, base_url) is used for every scope, over its account's."""
    window = lookback if isinstance(lookback, timedelta) else parse_lookback(lookback)
    floor = parse_when(since, "since") if since is not None and not isinstance(since, datetime) else since
    report = report if report is not None else Report()
    fetcher = _Fetcher(client or Client(), report, who)

    # What this sync has written, by key: a list that shifts while it is paged (a new build
    # arriving pushes one onto the next page) gives a row twice, and a first sync appends
    # (syncrun) where dlt would otherwise have deduplicated while merging.
    written: set[tuple[str, str, int]] = set()

    def fresh(key: str, item: Build | Job) -> bool:
        mark = (key, item.id, _attempt(item.attempts))
        if mark in written:
            return False
        written.add(mark)
        return True

    def state() -> dict[str, Any]:
        found: dict[str, Any] = dlt.current.source_state().setdefault("scopes", {})
        return found

    @dlt.resource(name="builds", write_disposition="merge", primary_key=KEY, columns={"remote_data": _json()})
    def builds() -> Iterator[pa.Table]:
        stored = state()
        for scope in scopes:
            tally = report.tally(scope)
            try:
                provider, key = fetcher.target(scope)[0].provider, fetcher.key(scope)
            except UnciError as exc:
                report.fail(scope, exc)
                continue
            if full_refresh:
                stored[key] = {"newest": None, "seen": {}, "pending": {}}
            old = ScopeState.load(stored.get(key))
            floor_here = floor if floor is not None else old.floor
            since_here = old.list_since(window, floor_here)
            # Asked conditionally only with nothing pending: an unchanged list then means
            # nothing to fetch, and the state stays as it is.
            listing = Listing()
            etag = old.list_etag if not old.pending else None
            try:
                listed: list[tuple[str, datetime | None, str]] = []
                running: list[Build] = []
                for page in fetcher.build_pages(scope, since_here, listing, etag):
                    listed += [listed_entry(b) for b in page]
                    chosen = [b for b in page if old.wants(b) and fresh(key, b)]
                    running += [b for b in chosen if not finished(b)]
                    if chosen:
                        tally.builds += len(chosen)
                        report.changed()
                        yield build_table(chosen, scope, provider, key, fetcher.secrets(scope))
                seen_ids = {bid for bid, _, _ in listed}
                again: list[Build] = []
                for bid in [b for b in old.pending if b not in seen_ids]:
                    try:
                        again.append(fetcher.build(scope, bid))
                    except NotFound:
                        _scope_state(stored, key)["pending"].pop(bid, None)  # deleted upstream
                running += [b for b in again if not finished(b)]
                if again:
                    tally.builds += len(again)
                    report.changed()
                    yield build_table(again, scope, provider, key, fetcher.secrets(scope))
            except UnciError as exc:
                report.fail(scope, exc)
                continue
            if listing.unchanged:
                continue
            here = _scope_state(stored, key)
            here.update(advance(old, listed, window))
            here["since"] = floor_here.isoformat() if floor_here else None
            # Only a list that fit one page is covered by its ETag.
            here["list_etag"] = listing.etag if listing.pages == 1 else None
            for b in running:
                entry = here["pending"].setdefault(b.id, {"etag": None})
                entry["created"] = b.created_at.isoformat() if b.created_at else None

    # The jobs' rows with their steps as JSON, for the two tables made of them; loaded as
    # neither (dlt runs a parent that is not selected for its transformers).
    @dlt.transformer(name="job_rows", data_from=builds, selected=False)
    def job_rows(batch: pa.Table) -> Iterator[pa.Table]:
        stored = state()
        wanted = [
            (k, bid, status)
            for k, bid, status in zip(
                batch.column("scope").to_pylist(),
                batch.column("id").to_pylist(),
                batch.column("status").to_pylist(),
                strict=True,
            )
        ]
        held: list[tuple[Job, str]] = []
        held_key: str | None = None

        def flush() -> pa.Table:
            assert held_key is not None
            scope = fetcher.by_key[held_key]
            target = fetcher.target(scope)[0]
            table = job_table(held, scope, target.provider, held_key, target.secrets)
            held.clear()
            return table

        for (key, bid, status), outcome in _in_order(
            wanted, lambda w: _fetch_jobs(fetcher, stored, w), concurrency
        ):
            scope = fetcher.by_key[key]
            here = _scope_state(stored, key)
            tally = report.tally(scope)
            if isinstance(outcome, UnciError):
                here["pending"][bid] = {"etag": None, "failed": True}
                report.fail(scope, outcome)
                continue
            found, etag = outcome
            if found is not None:
                if held and key != held_key:
                    yield flush()
                held_key = key
                # One mark text per build, not one per job: the marks live as long as the sync.
                marked = f"{key}\njobs"
                new = [(j, bid) for j in found if fresh(marked, j)]
                held += new
                tally.jobs += len(new)
                report.changed()
            done = status == "completed" and (found is None or all(finished(j) for j in found))
            if done and (found is not None or bid in here["pending"]):
                here["pending"].pop(bid, None)
            elif not done:
                here["pending"][bid] = {**here["pending"].get(bid, {}), "etag": etag}
            if len(held) >= CHUNK:
                yield flush()
        if held:
            yield flush()

    @dlt.transformer(
        name="jobs",
        data_from=job_rows,
        write_disposition="merge",
        primary_key=KEY,
        columns={"remote_data": _json()},
    )
    def jobs(batch: pa.Table) -> pa.Table:
        # Without the steps: they are the steps table's rows, and a second copy of them made a
        # job's row a third wider, which DuckDB holds a row group of while it inserts.
        return batch.drop_columns(["steps"])

    @dlt.transformer(name="steps", data_from=job_rows, write_disposition="merge", primary_key=STEP_KEY)
    def steps(batch: pa.Table) -> pa.Table | None:
        # Returned, not yielded: dlt runs it as each table of job rows arrives, so those tables are
        # not held in a queue of generators waiting their turn.
        table = step_table(batch)
        if table is None:
            return None
        counts: dict[str, int] = {}
        for key in table.column("scope").to_pylist():
            counts[key] = counts.get(key, 0) + 1
        for key, count in counts.items():
            if key in fetcher.by_key:
                report.tally(fetcher.by_key[key]).steps += count
        report.changed()
        return table

    return builds, job_rows, jobs, steps


def _fetch_jobs(
    fetcher: _Fetcher, stored: dict[str, Any], wanted: tuple[str, str, str]
) -> tuple[list[Job] | None, str | None] | UnciError:
    key, bid, _ = wanted
    pending = stored.get(key, {}).get("pending", {}).get(bid) or {}
    try:
        return fetcher.jobs(fetcher.by_key[key], bid, pending.get("etag"))
    except UnciError as exc:
        return exc


def _in_order(items: list[Any], work: Callable[[Any], Any], width: int) -> Iterator[tuple[Any, Any]]:
    """``(item, work(item))`` in the items' order, ``width`` at a time, holding at most about
    twice ``width`` results (memory does not grow with the number of builds)."""
    if not items:
        return
    with ThreadPoolExecutor(max_workers=max(1, width)) as pool:
        queue: deque[tuple[Any, Future[Any]]] = deque()
        it = iter(items)
        for item in it:
            queue.append((item, pool.submit(work, item)))
            if len(queue) >= 2 * width:
                break
        while queue:
            item, future = queue.popleft()
            result = future.result()
            nxt = next(it, None)
            if nxt is not None:
                queue.append((nxt, pool.submit(work, nxt)))
            yield item, result


__all__ = ["KEY", "Report", "Tally", "build_table", "job_table", "source", "step_table"]
