"""What the CLI's job commands do once click has parsed them: fetch, render, write stdout."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, BinaryIO

from unci import formats
from unci.client import Client, Fetched
from unci.errors import UsageError
from unci.job import Job
from unci.listing import JobPage
from unci.redact import scrub, scrub_bytes


def _out() -> BinaryIO:
    return sys.stdout.buffer


def encode_output(value: Any, secrets: Sequence[str], *, pretty: bool = False) -> bytes:
    """JSON for the CLI's stdout and the server's answers alike, with every credential the
    call carried scrubbed: a provider may echo the token back in a field (a webhook URL, an
    error, a debug dump). ``raw`` and ``stream`` are the provider's bytes and never pass here."""
    return scrub_bytes(formats.encode(value, pretty=pretty), secrets)


def _table(rows: list[dict[str, Any]], excluded: Sequence[str], secrets: Sequence[str]) -> bytes:
    from unci.table import table

    return scrub(table(rows, formats.columns(excluded)), secrets).encode()


def render(fetched: Fetched, fmt: str = "unified", *, ignore_remote_data: bool = False,
           exclude: Sequence[str] = ()) -> Any:
    """The value to print for one fetched job in ``fmt`` (bytes for ``raw``)."""
    if fmt == "raw":
        return fetched.answer.body
    result = _job_value(fetched.job, fetched.call.provider, fmt, fetched.call.target.info.fields,
                        ignore_remote_data=ignore_remote_data, exclude=exclude)
    if fmt == "debug":
        return {"result": result, "debug": fetched.debug()}
    return result


def get_command(
    *,
    provider: str | None,
    job_id: str,
    params: Mapping[str, str],
    fmt: str,
    output: str,
    ignore_remote_data: bool,
    exclude: Sequence[str],
    remote_query: Iterable[tuple[str, str]],
    client: Mapping[str, Any],
    credentials: Mapping[str, str | None],
) -> None:
    excluded = formats.parse_exclude(exclude)
    out = _out()
    with Client(**client) as http:
        if fmt == "stream":
            for chunk in http.stream(provider, job_id, params=params,
                                       remote_query=remote_query, **credentials):
                out.write(chunk)
            out.flush()
            return
        fetched = http.fetch(provider, job_id, params=params, remote_query=remote_query,
                             **credentials)
    value = render(fetched, fmt, ignore_remote_data=ignore_remote_data, exclude=excluded)
    secrets = fetched.call.secrets
    if isinstance(value, bytes):
        out.write(value)
    elif output == "table":
        row = formats.normalized(fetched.job, fetched.call.provider, exclude=excluded)
        out.write(_table([row], excluded, secrets))
    else:
        out.write(encode_output(value, secrets, pretty=True) + b"\n")
    out.flush()


def _job_value(job: Job, provider: str, fmt: str, supported: Sequence[str], *,
               ignore_remote_data: bool, exclude: Sequence[str]) -> dict[str, Any]:
    if fmt == "normalized":
        return formats.normalized(job, provider, exclude=exclude)
    return formats.unified(job, supported, ignore_remote_data=ignore_remote_data, exclude=exclude)


def render_page(page: JobPage, fmt: str, *, ignore_remote_data: bool,
                exclude: Sequence[str]) -> Any:
    """The value to print for one page of jobs in ``fmt`` (bytes for ``raw``): the CLI's
    ``jobs list`` and the server's list endpoint both answer with it."""
    call, answer = page.calls[-1]
    if fmt == "raw":
        return answer.body
    name = call.provider
    supported = call.target.info.fields
    value: dict[str, Any] = {
        "result": [_job_value(j, name, fmt, supported, ignore_remote_data=ignore_remote_data,
                              exclude=exclude)
                   for j in page.result],
        "next_cursor": page.next_cursor,
    }
    if fmt == "debug":
        from unci.call import debug_envelope

        value["debug"] = {**debug_envelope(call, answer), "nextCursor": page.next_cursor,
                          "isLooping": page.looping, "isEmptyResult": not page.result,
                          "resultCount": len(page.result)}
    return value


def list_command(
    *,
    provider: str | None,
    params: Mapping[str, str],
    fmt: str,
    output: str,
    ignore_remote_data: bool,
    exclude: Sequence[str],
    remote_query: Iterable[tuple[str, str]],
    client: Mapping[str, Any],
    credentials: Mapping[str, str | None],
    limit: int | None,
    cursor: str | None,
    follow_all: bool,
) -> None:
    if fmt == "stream":
        raise UsageError(f"{provider}: --format stream is for one job; list with raw, unified, "
                         "normalized or debug")
    excluded = formats.parse_exclude(exclude)
    out = _out()
    kw: dict[str, Any] = dict(params=params, limit=limit, cursor=cursor,
                              remote_query=remote_query, **credentials)
    with Client(**client) as http:
        if not follow_all:
            page = http.list_jobs(provider, **kw)
            call = page.calls[-1][0]
            if output == "table" and fmt != "raw":
                rows = [formats.normalized(j, call.provider, exclude=excluded)
                        for j in page.result]
                out.write(_table(rows, excluded, call.secrets))
                if page.next_cursor:
                    sys.stderr.write(f"next cursor: {page.next_cursor}\n")
            else:
                value = render_page(page, fmt, ignore_remote_data=ignore_remote_data,
                                    exclude=excluded)
                out.write(value if isinstance(value, bytes)
                          else encode_output(value, call.secrets, pretty=True) + b"\n")
            out.flush()
            return
        _follow_all(http, provider, kw, fmt, output, out, ignore_remote_data, excluded)


def _follow_all(client: Client, provider: str | None, kw: dict[str, Any], fmt: str, output: str,
                out: BinaryIO, ignore_remote_data: bool, excluded: Sequence[str]) -> None:
    """Every page, written as it arrives: JSON Lines (one job a line), raw pages or a table."""
    progress = sys.stderr.isatty()
    count = 0
    rows: list[dict[str, Any]] = []
    secrets: list[str] = []
    for number, page in enumerate(client.iter_pages(provider, **kw), start=1):
        call, answer = page.calls[-1]
        secrets = call.secrets
        name = call.provider
        supported = call.target.info.fields
        if fmt == "raw":
            out.write(answer.body.rstrip(b"\n") + b"\n")
        elif output == "table":
            rows.extend(formats.normalized(j, name, exclude=excluded) for j in page.result)
        else:
            for job in page.result:
                value = _job_value(job, name, fmt, supported,
                                   ignore_remote_data=ignore_remote_data, exclude=excluded)
                out.write(encode_output(value, call.secrets) + b"\n")
        out.flush()
        count += len(page.result)
        if progress:
            sys.stderr.write(f"\runci: {count} jobs, {number} page(s)")
            sys.stderr.flush()
    if progress:
        sys.stderr.write("\n")
    if output == "table" and fmt != "raw":
        out.write(_table(rows, excluded, secrets))
        out.flush()
