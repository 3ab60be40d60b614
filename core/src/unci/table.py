"""Aligned text tables of normalized rows, for people at a terminal, and how one cell reads.

:func:`cell` is the one rendering of a value in a table (``--output table``, ``accounts
list``, the demo): a person reads ``a, b`` or ``3 steps``, never Python's ``['a', 'b']``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

_SCALARS = (str, int, float, datetime)


def _count(n: int, column: str) -> str:
    noun = column or "item"
    if n == 1 and noun.endswith("s"):
        noun = noun[:-1]
    elif n != 1 and not noun.endswith("s"):
        noun += "s"
    return f"{n} {noun}"


def cell(value: Any, column: str = "") -> str:
    """``value`` as one line of a table cell: ``-`` for null, a list of scalars comma-joined,
    a list of records (a job's steps) as a count named for the ``column`` (``3 steps``), a
    mapping as ``key=value`` pairs."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        if not all(v is None or isinstance(v, _SCALARS) for v in value):
            return _count(len(value), column)
        return ", ".join(cell(v) for v in value) or "-"
    return str(value).replace("\n", " ")


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Columns padded to their widest cell; an empty list still prints the header."""
    if columns is None:
        columns = list(rows[0]) if rows else []
    cells = [[cell(row.get(c), c) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=False)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"
