"""Aligned text tables of normalized rows, for people at a terminal, and how one cell reads.

:func:`cell` is the one rendering of a value in a table (``--output table``, ``accounts
list``, the demo): a person reads ``a, b`` or ``3 steps``, never Python's ``['a', 'b']``;
:func:`table` is :class:`~unci.output.TableWriter`'s layout, as a string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from unci.text import printable

_SCALARS = (str, int, float, datetime)


def shown(text: str) -> str:
    """A provider's text (a job's, a step's, a branch's name: anyone's who can name one) as a
    person's terminal shows it: a line break as a space, every other control character as its
    escape (:func:`unci.text.printable`)."""
    return printable(text, backslashes=False, line_break=" ")


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
    return shown(str(value))


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """``rows`` as ``--output table`` prints them (into a string, at their full width): columns
    padded to their widest cell, a job's steps as rows under it; an empty list still prints the
    header."""
    import io

    from unci.output import TableWriter

    if columns is None:
        columns = list(rows[0]) if rows else []
    out = io.BytesIO()
    writer = TableWriter(out, columns, width=None, chosen=True)
    writer.rows([dict(row) for row in rows])
    writer.close()
    return out.getvalue().decode()
