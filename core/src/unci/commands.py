"""What the CLI's job commands do once click has parsed them: fetch, render, write stdout."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, BinaryIO

from unci import formats
from unci.client import Client, Fetched


def _out() -> BinaryIO:
    return sys.stdout.buffer


def render(fetched: Fetched, fmt: str, *, ignore_remote_data: bool,
           exclude: Sequence[str]) -> Any:
    """The value to print for one fetched job in ``fmt`` (bytes for ``raw``)."""
    if fmt == "raw":
        return fetched.answer.body
    info = fetched.call.target.info
    if fmt == "normalized":
        return formats.normalized(fetched.job, fetched.call.provider, exclude=exclude)
    result = formats.unified(fetched.job, info.fields, ignore_remote_data=ignore_remote_data,
                             exclude=exclude)
    if fmt == "debug":
        return {"result": result, "debug": fetched.debug()}
    return result


def get_command(
    *,
    provider: str,
    job_id: str,
    params: Mapping[str, str],
    fmt: str,
    output: str,
    ignore_remote_data: bool,
    exclude: Sequence[str],
    remote_query: Iterable[tuple[str, str]],
    timeout: float | None,
    credentials: Mapping[str, str | None],
) -> None:
    excluded = formats.parse_exclude(exclude)
    out = _out()
    with Client(timeout=timeout) as client:
        if fmt == "stream":
            for chunk in client.stream(provider, job_id, params=params,
                                       remote_query=remote_query, **credentials):
                out.write(chunk)
            out.flush()
            return
        fetched = client.fetch(provider, job_id, params=params, remote_query=remote_query,
                               **credentials)
    value = render(fetched, fmt, ignore_remote_data=ignore_remote_data, exclude=excluded)
    if isinstance(value, bytes):
        out.write(value)
    elif output == "table":
        from unci.table import table

        row = formats.normalized(fetched.job, provider, exclude=excluded)
        out.write(table([row]).encode())
    else:
        out.write(formats.encode(value, pretty=True) + b"\n")
    out.flush()
