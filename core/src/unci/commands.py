"""What the CLI's job commands do once click has parsed them: fetch, render, write stdout."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from unci import formats
from unci.call import Who
from unci.client import Client, Fetched, PageChain
from unci.errors import UnciError, UsageError
from unci.job import Job
from unci.listing import JobPage
from unci.options import Rendering
from unci.output import columns, row_writer, select, stdout, write
from unci.redact import scrub, scrub_bytes


def encode_output(value: Any, secrets: Sequence[str], *, pretty: bool = False) -> bytes:
    """JSON for the CLI's stdout and the server's answers alike, with every credential the
    call carried scrubbed: a provider may echo the token back in a field (a webhook URL, an
    error, a debug dump). ``raw`` and ``stream`` are the provider's bytes and never pass here."""
    return scrub_bytes(formats.encode(value, pretty=pretty), secrets)


def scrub_row(row: dict[str, Any], secrets: Sequence[str]) -> dict[str, Any]:
    """A table or CSV row with every credential the call carried scrubbed from its text."""
    if not secrets:
        return row
    return {k: scrub(v, secrets) if isinstance(v, str) else v for k, v in row.items()}


def render(
    fetched: Fetched, fmt: str = "unified", *, ignore_remote_data: bool = False, exclude: Sequence[str] = ()
) -> Any:
    """The value to print for one fetched job in ``fmt`` (bytes for ``raw``)."""
    if fmt == "raw":
        return fetched.answer.body
    result = _job_value(
        fetched.job,
        fetched.call.provider,
        fmt,
        fetched.call.target.info.fields,
        ignore_remote_data=ignore_remote_data,
        exclude=exclude,
    )
    if fmt == "debug":
        return {"result": result, "debug": fetched.debug()}
    return result


def _value(fetched: Fetched, how: Rendering) -> Any:
    """What to print for one job: bytes for raw, a dict (fields selected) otherwise."""
    value = render(fetched, how.fmt, ignore_remote_data=how.ignore_remote_data, exclude=how.exclude)
    return value if isinstance(value, bytes) else select(value, how.fields)


def _row(job: Job, provider: str, how: Rendering) -> dict[str, Any]:
    return formats.normalized(job, provider, exclude=how.exclude)


def get_command(
    *,
    provider: str | None,
    job_ids: Sequence[str],
    params: Mapping[str, str],
    how: Rendering,
    remote_query: Iterable[tuple[str, str]],
    client: Mapping[str, Any],
    credentials: Who,
    concurrency: int = 8,
    on_error: Callable[[str, UnciError], None],
) -> int:
    """Fetch the jobs, print them in the order given; return the exit code.

    One id prints one JSON document (as before); several print JSON Lines, one job a line, in
    the order given while up to ``concurrency`` are fetched at once. A failed id is reported
    through ``on_error`` and the others still print; the exit code is the highest exit code
    among the failures (0 when none failed).
    """
    out = stdout()
    # One job in raw is the provider's bytes too: passed through like stream, never held whole.
    if how.fmt == "stream" or (how.fmt == "raw" and len(job_ids) == 1):
        if len(job_ids) > 1:
            raise UsageError(
                f"{provider or 'unci'}: --format stream passes one job's body "
                "through; give one id, or use --format raw"
            )
        with Client(**client) as http:
            for chunk in http.stream(
                provider, job_ids[0], params=params, remote_query=remote_query, **credentials
            ):
                write(out, chunk)
        return 0
    writer = (
        row_writer(how.output, out, columns(how.fields, how.exclude), how.fields is not None)
        if how.rows
        else None
    )
    worst = 0
    with Client(**client) as http:

        def one(job_id: str) -> Fetched | UnciError:
            try:
                return http.fetch(provider, job_id, params=params, remote_query=remote_query, **credentials)
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
                if writer is not None:
                    row = select(_row(result.job, result.call.provider, how), how.fields)
                    writer.rows([scrub_row(row, secrets)])
                    continue
                value = _value(result, how)
                if isinstance(value, bytes):
                    write(out, value if len(job_ids) == 1 or value.endswith(b"\n") else value + b"\n")
                else:
                    write(out, encode_output(value, secrets, pretty=len(job_ids) == 1) + b"\n")
    if writer is not None:
        writer.close()
    return worst


def _job_value(
    job: Job,
    provider: str,
    fmt: str,
    supported: Sequence[str],
    *,
    ignore_remote_data: bool,
    exclude: Sequence[str],
) -> dict[str, Any]:
    if fmt == "normalized":
        return formats.normalized(job, provider, exclude=exclude)
    return formats.unified(job, supported, ignore_remote_data=ignore_remote_data, exclude=exclude)


def render_page(page: JobPage, fmt: str, *, ignore_remote_data: bool, exclude: Sequence[str]) -> Any:
    """The value to print for one page of jobs in ``fmt`` (bytes for ``raw``): the CLI's
    ``jobs list`` and the server's list endpoint both answer with it."""
    call, answer = page.calls[-1]
    if fmt == "raw":
        return answer.body
    name = call.provider
    supported = call.target.info.fields
    value: dict[str, Any] = {
        "result": [
            _job_value(j, name, fmt, supported, ignore_remote_data=ignore_remote_data, exclude=exclude)
            for j in page.result
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


def _pages(
    http: Client,
    provider: str | None,
    kw: dict[str, Any],
    *,
    total: int | None,
    page_size: int | None,
    cursor: str | None,
    follow_all: bool,
) -> Iterator[JobPage]:
    """Pages until ``total`` jobs (each request asks for no more than are still wanted, so the
    last cursor resumes exactly after the last job printed), every page with ``follow_all``,
    else one page."""
    remaining = total
    chain = PageChain()
    while True:
        size = page_size if remaining is None else min(page_size or remaining, remaining)
        page = http.list_jobs(provider, limit=size, cursor=cursor, **kw)
        chain.check(page)
        yield page
        if remaining is not None:
            remaining -= len(page.result)
            if remaining <= 0:
                return
        if page.next_cursor is None or (total is None and not follow_all):
            return
        cursor = page.next_cursor


def list_command(
    *,
    provider: str | None,
    params: Mapping[str, str],
    how: Rendering,
    remote_query: Iterable[tuple[str, str]],
    client: Mapping[str, Any],
    credentials: Who,
    limit: int | None,
    page_size: int | None,
    cursor: str | None,
    follow_all: bool,
) -> None:
    if how.fmt == "stream":
        raise UsageError(
            f"{provider}: --format stream is for one job; list with raw, unified, normalized or debug"
        )
    out = stdout()
    kw: dict[str, Any] = dict(params=params, remote_query=remote_query, **credentials)
    progress = follow_all and sys.stderr.isatty()
    writer = (
        row_writer(how.output, out, columns(how.fields, how.exclude), how.fields is not None)
        if how.rows
        else None
    )
    collected: list[Any] = []
    collected_debug: Any = None
    last: JobPage | None = None
    count = 0
    with Client(**client) as http:
        pages = _pages(
            http, provider, kw, total=limit, page_size=page_size, cursor=cursor, follow_all=follow_all
        )
        for number, page in enumerate(pages, start=1):
            call, answer = page.calls[-1]
            name = call.provider
            secrets = call.secrets
            if writer is not None:
                writer.rows(
                    [
                        scrub_row(
                            select(formats.normalized(j, name, exclude=how.exclude), how.fields), secrets
                        )
                        for j in page.result
                    ]
                )
            elif how.fmt == "raw":
                whole = not follow_all and limit is None  # one page: the body, byte for byte
                write(out, answer.body if whole else answer.body.rstrip(b"\n") + b"\n")
            elif follow_all:
                supported = call.target.info.fields
                write(
                    out,
                    b"".join(
                        encode_output(
                            select(
                                _job_value(
                                    j,
                                    name,
                                    how.fmt,
                                    supported,
                                    ignore_remote_data=how.ignore_remote_data,
                                    exclude=how.exclude,
                                ),
                                how.fields,
                            ),
                            secrets,
                        )
                        + b"\n"
                        for j in page.result
                    ),
                )
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
                sys.stderr.write(f"\runci: {count} jobs, {number} page(s)")
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
