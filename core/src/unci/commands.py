"""What the CLI's job and build commands do once click has parsed them: fetch, render, write
stdout. One code path for both kinds of record; the :class:`~unci.records.Kind` says which."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from unci import formats
from unci.build import Build
from unci.builds import BuildList, FetchedBuild, builds_ahead, cut_builds, discovers
from unci.call import RemoteQuery, Who, resolve_target
from unci.client import Client, Fetched, PageChain
from unci.errors import UnciError, UsageError
from unci.exit_status import outcome_code
from unci.job import Job
from unci.listing import JobPage
from unci.options import Rendering
from unci.output import columns, row_writer, select, stdout, write
from unci.pagelimit import pages_until
from unci.records import ANY_FIELDS, BUILDS, JOBS, kind_of
from unci.redact import scrub, scrub_bytes

#: A fetched job or build, and a page of either.
AnyFetched = Fetched | FetchedBuild
AnyPage = JobPage | BuildList


def encode_output(value: Any, secrets: Sequence[str], *, pretty: bool = False) -> bytes:
    """JSON for the CLI's stdout and the server's answers alike, with every credential the
    call carried scrubbed: a provider may echo the token back in a field (a webhook URL, an
    error, a debug dump). ``raw`` and ``stream`` are the provider's bytes and never pass here."""
    return scrub_bytes(formats.encode(value, pretty=pretty), secrets)


def scrub_row(row: dict[str, Any], secrets: Sequence[str]) -> dict[str, Any]:
    """A table or CSV row with every credential the call carried scrubbed from its text."""
    if not secrets:
        return row

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return scrub(value, secrets)
        if isinstance(value, list):  # steps: a provider may echo a credential in a name
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    return {k: clean(v) for k, v in row.items()}


def render(
    fetched: AnyFetched,
    fmt: str = "unified",
    *,
    ignore_remote_data: bool = False,
    exclude: Sequence[str] = (),
) -> Any:
    """The value to print for one fetched job or build in ``fmt`` (bytes for ``raw`` and
    ``stream``, the provider's body as it came). An unknown format or field to exclude is a
    :class:`~unci.UsageError`, as the CLI's options are; ``exclude`` may be one name. Each of
    them may be a field of a job or a build: one list's records may be of either (a job's
    ``steps`` leaves nothing out of a build)."""
    if fmt == "raw" or fmt == "stream":
        return fetched.answer.body
    formats.check_format(fmt)
    if exclude:
        exclude = formats.excluded_fields((exclude,) if isinstance(exclude, str) else exclude, ANY_FIELDS)
    return _rendered(fetched, fmt, ignore_remote_data, exclude)


def _rendered(fetched: AnyFetched, fmt: str, ignore_remote_data: bool, exclude: Sequence[str]) -> Any:
    """:func:`render` of a JSON format and fields already checked (by the CLI's options, the
    server's query or :func:`render` itself): nothing is checked again per record."""
    record = fetched.record
    result = _record_value(
        record,
        fetched.call.provider,
        fmt,
        kind_of(record).supported(fetched.call.target.info),
        ignore_remote_data=ignore_remote_data,
        exclude=exclude,
    )
    if fmt == "debug":
        return {"result": result, "debug": fetched.debug()}
    return result


def render_json(
    fetched: AnyFetched,
    fmt: str = "unified",
    *,
    ignore_remote_data: bool = False,
    exclude: Sequence[str] = (),
    fields: Sequence[str] | None = None,
    secrets: Sequence[str] = (),
    pretty: bool = False,
) -> bytes:
    """:func:`encode_output` of :func:`render` (``fields`` selected), byte for byte: what the
    CLI prints and the server answers for one record in a JSON format (``raw`` and ``stream``
    are the provider's bytes and never pass here).

    A unified or normalized record is written by :func:`record_json`; ``debug`` renders plain
    data first.
    """
    if fmt == "raw" or fmt == "stream":
        raise ValueError(f"render_json() writes JSON formats; {fmt} is the provider's bytes")
    if fmt in ("unified", "normalized"):
        record = fetched.record
        supported = kind_of(record).supported(fetched.call.target.info)
        data = record_json(
            record,
            fetched.call.provider,
            fmt,
            supported,
            ignore_remote_data=ignore_remote_data,
            exclude=exclude,
            fields=fields,
        )
        return scrub_bytes(formats.indented(data) if pretty else data, secrets)
    value = _rendered(fetched, fmt, ignore_remote_data, exclude)
    return encode_output(select(value, fields), secrets, pretty=pretty)


def record_json(
    record: Job | Build,
    provider: str,
    fmt: str,
    supported: Sequence[str],
    *,
    ignore_remote_data: bool,
    exclude: Sequence[str],
    fields: Sequence[str] | None,
) -> bytes:
    """Compact JSON of one record in ``fmt`` (``fields`` selected), unscrubbed: byte for byte
    the encode of its plain data, and, with every field, in one encode
    (:func:`unci.formats.unified_json` / :func:`~unci.formats.normalized_json`), with no
    plain-data copy in between. ``jobs get``, ``jobs list --all`` and the server's gets all
    write records through it."""
    if fields is None:
        if fmt == "normalized":
            return formats.normalized_json(record, provider, exclude=exclude)
        return formats.unified_json(record, supported, ignore_remote_data=ignore_remote_data, exclude=exclude)
    value = _record_value(
        record, provider, fmt, supported, ignore_remote_data=ignore_remote_data, exclude=exclude
    )
    return formats.encode(select(value, fields))


def _row(record: Job | Build, provider: str, how: Rendering) -> dict[str, Any]:
    return formats.normalized(record, provider, exclude=how.exclude)


def _writer(how: Rendering, out: Any) -> Any:
    """The table or CSV writer, when the output is rows."""
    if not how.rows:
        return None
    kind = how.kind or JOBS
    return row_writer(how.output, out, columns(how.fields, how.exclude, kind), how.fields is not None, kind)


def get_command(
    *,
    provider: str | None,
    job_ids: Sequence[str],
    params: Mapping[str, str],
    how: Rendering,
    remote_query: RemoteQuery,
    client: Mapping[str, Any],
    credentials: Who,
    concurrency: int = 8,
    on_error: Callable[[str, UnciError], None],
    include_steps: bool = False,
    exit_status: bool = False,
) -> int:
    """Fetch the jobs (or builds: ``how.kind``), print them in the order given; return the
    exit code.

    One id prints one JSON document (as before); several print JSON Lines, one record a line,
    in the order given while up to ``concurrency`` are fetched at once. A failed id is reported
    through ``on_error`` and the others still print; the exit code is the highest exit code
    among the failures (0 when none failed).
    """
    kind = how.kind or JOBS
    out = stdout()
    if how.fmt in ("raw", "stream") and (include_steps or exit_status):
        flag = "--steps" if include_steps else "--exit-status"
        raise UsageError(
            f"{flag} --format {how.fmt} does nothing: --format {how.fmt} prints the provider's "
            "body unchanged; use --format unified or normalized"
        )
    # One record in raw is the provider's bytes too: passed through like stream, never held whole.
    if how.fmt == "stream" or (how.fmt == "raw" and len(job_ids) == 1):
        if len(job_ids) > 1:
            raise UsageError(
                f"{provider or 'unci'}: --format stream passes one {kind.noun}'s body "
                "through; give one id, or use --format raw"
            )
        with Client(**client) as http:
            streaming = http.stream if kind is JOBS else http.stream_build
            for chunk in streaming(
                provider, job_ids[0], params=params, remote_query=remote_query, **credentials
            ):
                write(out, chunk)
        return 0
    writer = _writer(how, out)
    worst = outcome = 0
    with Client(**client) as http:
        fetch: Callable[..., AnyFetched] = http.fetch if kind is JOBS else http.fetch_build

        def one(job_id: str) -> AnyFetched | UnciError:
            try:
                if kind is JOBS:
                    return http.fetch(
                        provider,
                        job_id,
                        params=params,
                        remote_query=remote_query,
                        include_steps=include_steps,
                        **credentials,
                    )
                return fetch(provider, job_id, params=params, remote_query=remote_query, **credentials)
            except UnciError as exc:
                return exc

        from concurrent.futures import ThreadPoolExecutor

        workers = max(1, min(concurrency, len(job_ids)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for job_id, result in zip(job_ids, pool.map(one, job_ids), strict=True):
                if isinstance(result, UnciError):
                    on_error(job_id, result)
                    worst = max(worst, result.exit_code)
                    continue
                secrets = result.call.secrets
                outcome = max(outcome, outcome_code(result.record))
                if writer is not None:
                    row = select(_row(result.record, result.call.provider, how), how.fields)
                    writer.rows([scrub_row(row, secrets)])
                    continue
                if how.fmt == "raw":
                    value = result.answer.body
                    write(out, value if len(job_ids) == 1 or value.endswith(b"\n") else value + b"\n")
                    continue
                data = render_json(
                    result,
                    how.fmt,
                    ignore_remote_data=how.ignore_remote_data,
                    exclude=how.exclude,
                    fields=how.fields,
                    secrets=secrets,
                    pretty=len(job_ids) == 1,
                )
                write(out, data + b"\n")
    if writer is not None:
        writer.close()
    return worst or (outcome if exit_status else 0)


def _record_value(
    record: Job | Build,
    provider: str,
    fmt: str,
    supported: Sequence[str],
    *,
    ignore_remote_data: bool,
    exclude: Sequence[str],
) -> dict[str, Any]:
    if fmt == "normalized":
        return formats.normalized(record, provider, exclude=exclude)
    return formats.unified(record, supported, ignore_remote_data=ignore_remote_data, exclude=exclude)


def render_page(page: AnyPage, fmt: str, *, ignore_remote_data: bool, exclude: Sequence[str]) -> Any:
    """The value to print for one page of jobs or builds in ``fmt`` (bytes for ``raw``): the
    CLI's ``jobs list`` / ``builds list`` and the server's list endpoints all answer with it."""
    call, answer = page.calls[-1]
    if fmt == "raw":
        return answer.body
    name = call.provider
    kind = BUILDS if isinstance(page, BuildList) else JOBS
    supported = kind.supported(call.target.info)
    value: dict[str, Any] = {
        "result": [
            _record_value(r, name, fmt, supported, ignore_remote_data=ignore_remote_data, exclude=exclude)
            for r in page.result
        ],
        "next_cursor": page.next_cursor,
    }
    if fmt == "debug":
        from unci.call import debug_envelope

        value["debug"] = {
            **debug_envelope(call, answer),
            "nextCursor": page.next_cursor,
            "isLooping": page.looping,
            "isEmptyResult": not page.result,
            "resultCount": len(page.result),
        }
    return value


def _any_pages(pages: Iterator[AnyPage]) -> Iterator[AnyPage]:
    """Widened for the one loop over either kind (mypy joins two narrowed iterators to
    ``Iterator[object]``)."""
    return pages


def list_command(
    *,
    provider: str | None,
    params: Mapping[str, str],
    how: Rendering,
    remote_query: RemoteQuery,
    client: Mapping[str, Any],
    credentials: Who,
    limit: int | None,
    page_size: int | None,
    cursor: str | None,
    follow_all: bool,
    filters: Mapping[str, Any] | None = None,
    concurrency: int | None = None,
    include_steps: bool = False,
) -> None:
    """``jobs list`` and ``builds list``: pages of ``how.kind`` records; for jobs with
    ``filters`` (branch, status, since...) and no build, the jobs of the builds that match,
    ``concurrency`` builds' jobs fetched at once."""
    kind = how.kind or JOBS
    filters = {k: v for k, v in (filters or {}).items() if v is not None and v != ""}
    if include_steps and how.fmt == "raw":
        raise UsageError(
            "--steps --format raw does nothing: --format raw prints the provider's page "
            "unchanged; use --format unified or normalized"
        )
    if how.fmt == "stream":
        raise UsageError(
            f"{provider}: --format stream is for one {kind.noun}; list with raw, unified, normalized or debug"
        )
    if how.fmt == "debug" and follow_all:
        # --all writes one record a line; the envelope of each page's request had no place.
        raise UsageError(
            f"{provider}: --format debug shows one page with its request and answer, and --all "
            f"prints one {kind.noun} a line; leave --all out (with --cursor for the next page), "
            "or use --format unified or normalized"
        )
    out = stdout()
    # On the terminal the records go to as well, a progress line would run into them.
    progress = follow_all and sys.stderr.isatty() and not out.isatty()
    writer = _writer(how, out)
    collected: list[Any] = []
    collected_debug: Any = None
    last: AnyPage | None = None
    count = 0
    walking = False  # jobs found through builds: many job lists, each its own body
    from unci.cursor_key import cursors_stay_here

    # --all prints no cursor: the walk's own need no key kept on disk.
    with cursors_stay_here() if follow_all else contextlib.nullcontext(), Client(**client) as http:
        pages: Iterator[AnyPage]
        if kind is BUILDS:

            def builds(size: int | None, at: str | None) -> BuildList:
                return http.list_builds(
                    provider,
                    params=params,
                    limit=size,
                    cursor=at,
                    remote_query=remote_query,
                    **filters,
                    **credentials,
                )

            build_pages: Iterator[BuildList] = pages_until(
                builds,
                total=limit,
                page_size=page_size,
                cursor=cursor,
                every=follow_all,
                cut=cut_builds,
                check=PageChain(max_empty=None).check,
                # With a limit and filters, one by one: how many builds a page keeps is known
                # only once read. Without filters every build is kept, so the pages the limit
                # needs are known from the first.
                ahead=builds_ahead if limit is None or not filters else None,
                width=http.concurrency,
                capped=not filters,
            )
            pages = _any_pages(build_pages)
        elif discovers(resolve_target(provider, **credentials), params, filters, cursor):
            if how.fmt == "raw":
                # As the server refuses it: the provider bodies of many job lists, one after
                # another, are no one document a reader could parse.
                raise UsageError(
                    f"{provider}: --format raw prints one provider body, and the jobs of the builds "
                    "that match come from one job list per build; use --format unified, normalized "
                    "or debug"
                )
            walking = True
            pages = http.iter_build_job_pages(
                provider,
                params=params,
                limit=limit,
                cursor=cursor,
                page_size=page_size,
                build_pages=None if (follow_all or limit) else 1,
                remote_query=remote_query,
                concurrency=concurrency,
                include_steps=include_steps,
                **filters,
                **credentials,
            )
        elif follow_all or limit is not None:
            # The library's walk, so --limit and limit= count alike.
            pages = _any_pages(
                http.iter_pages(
                    provider,
                    params=params,
                    limit=limit,
                    page_size=page_size,
                    cursor=cursor,
                    remote_query=remote_query,
                    include_steps=include_steps,
                    **credentials,
                )
            )
        else:
            one = http.list_jobs(
                provider,
                params=params,
                limit=page_size,
                cursor=cursor,
                remote_query=remote_query,
                include_steps=include_steps,
                **credentials,
            )
            pages = iter([one])
        for number, page in enumerate(pages, start=1):
            call, answer = page.calls[-1]
            name = call.provider
            secrets = call.secrets
            if writer is not None:
                writer.rows([scrub_row(select(_row(r, name, how), how.fields), secrets) for r in page.result])
            elif how.fmt == "raw":
                if kind is JOBS and call.kind == "build list":
                    pass  # a page of builds that matched nothing: no job list was asked for
                else:
                    whole = not (follow_all or walking) and limit is None  # one page: byte for byte
                    write(out, answer.body if whole else answer.body.rstrip(b"\n") + b"\n")
            elif follow_all:
                kept = kind.supported(call.target.info)
                # One page of JSON Lines, scrubbed and written once (not once per record).
                fmt, fields, bare, drop = how.fmt, how.fields, how.ignore_remote_data, how.exclude
                if fmt == "unified" and fields is None:
                    lines = formats.unified_lines(page.result, kept, ignore_remote_data=bare, exclude=drop)
                else:
                    lines = b"".join(
                        record_json(r, name, fmt, kept, ignore_remote_data=bare, exclude=drop, fields=fields)
                        + b"\n"
                        for r in page.result
                    )
                write(out, scrub_bytes(lines, secrets))
            else:
                value = render_page(
                    page, how.fmt, ignore_remote_data=how.ignore_remote_data, exclude=how.exclude
                )
                collected.extend(select(v, how.fields) for v in value["result"])
                if how.fmt == "debug":
                    collected_debug = value["debug"]
            last = page
            count += len(page.result)
            if progress:
                sys.stderr.write(f"\runci: {count} {kind.plural}, {number} page(s)")
                sys.stderr.flush()
    if progress:
        sys.stderr.write("\n")
    if writer is not None:
        writer.close()
        if last is not None and last.next_cursor and not follow_all:
            sys.stderr.write(f"next cursor: {last.next_cursor}\n")
    elif how.fmt != "raw" and not follow_all and last is not None:
        envelope: dict[str, Any] = {"result": collected, "next_cursor": last.next_cursor}
        if how.fmt == "debug":
            envelope["debug"] = collected_debug
        write(out, encode_output(envelope, last.calls[-1][0].secrets, pretty=True) + b"\n")
