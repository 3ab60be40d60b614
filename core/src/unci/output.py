"""Writing job records to stdout as they arrive: JSON, JSON Lines, a streamed table, CSV.

Every writer takes rows page by page and writes each page at once, so a long listing shows its
first rows while the later pages are still being fetched, in constant memory. A write that
fails (a full disk, a closed stdout) becomes an :class:`~unci.errors.OutputError`, one line.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO

from unci import formats
from unci.errors import OutputError
from unci.records import JOBS, Kind


def stdout() -> BinaryIO:
    """The binary stdout, or a clear error when there is none (started with ``>&-``)."""
    if sys.stdout is None:
        raise OutputError("cannot write the output: standard output is closed")
    return sys.stdout.buffer


def write(out: BinaryIO, data: bytes) -> None:
    """Write and flush; a full disk or a closed stdout is one clear error, not a traceback."""
    try:
        out.write(data)
        out.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise output_error(exc) from None


def output_error(exc: OSError) -> OutputError:
    reason = exc.strerror or type(exc).__name__
    return OutputError(
        f"cannot write the output: {reason}; free some space or write elsewhere"
        if exc.errno == errno.ENOSPC
        else f"cannot write the output: {reason}"
    )


def select(value: dict[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    """``value`` with only ``fields``, in that order (those the record has)."""
    if fields is None:
        return value
    return {f: value[f] for f in fields if f in value}


def columns(fields: Sequence[str] | None, exclude: Iterable[str], kind: Kind | None = None) -> list[str]:
    """The table/CSV columns: the chosen fields, or every normalized field of ``kind`` (default:
    jobs) not excluded."""
    drop = set(exclude)
    if fields is not None:
        return [f for f in fields if f not in drop]
    return formats.columns(drop, kind or JOBS)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return str(value).replace("\n", " ")


def terminal_width(out: BinaryIO) -> int | None:
    """The width to fit a table into: the terminal's, or ``COLUMNS``; None for a pipe or file
    (programs reading a table get every character)."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    try:
        if os.isatty(out.fileno()):
            return shutil.get_terminal_size().columns
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
    return None


#: Which default job columns a narrow terminal loses first (the chosen --fields are never
#: dropped); each kind of record has its own (:attr:`unci.records.Kind.drop_order`).
DROP_ORDER = JOBS.drop_order


class TableWriter:
    """Aligned columns, written page by page: the first page sets the widths. On a terminal too
    narrow for them, default columns are left out (``DROP_ORDER``, said once on stderr), then
    cells are shortened; later cells that do not fit end in an ellipsis."""

    GAP = 2

    def __init__(
        self,
        out: BinaryIO,
        columns: Sequence[str],
        width: int | None,
        chosen: bool = False,
        drop_order: Sequence[str] = DROP_ORDER,
    ) -> None:
        self.out, self.columns, self.width, self.chosen = out, list(columns), width, chosen
        self.drop_order = tuple(drop_order)
        self.widths: list[int] | None = None

    def _total(self, widths: Sequence[int]) -> int:
        return sum(widths) + self.GAP * (len(widths) - 1)

    def _drop(self, natural: list[int]) -> list[int]:
        """Leave out default columns until the rest fit the terminal at their full width."""
        if self.width is None or self.chosen:
            return natural
        dropped = []
        for name in self.drop_order:
            if self._total(natural) <= self.width:
                break
            if name in self.columns and len(self.columns) > 2:
                i = self.columns.index(name)
                del self.columns[i], natural[i]
                dropped.append(name)
        if dropped:
            sys.stderr.write(
                f"unci: the table is cut to {self.width} columns, leaving out "
                f"{', '.join(dropped)}; --fields picks the columns\n"
            )
        return natural

    def _fit(self, natural: list[int]) -> list[int]:
        widths = list(natural)
        if self.width is None:
            return widths
        floor = [min(w, max(len(c), 4)) for w, c in zip(natural, self.columns, strict=True)]
        while self._total(widths) > self.width:
            i = max(range(len(widths)), key=lambda k: widths[k] - floor[k])
            if widths[i] <= floor[i]:
                break  # as narrow as it gets: let the terminal wrap
            widths[i] -= 1
        return widths

    def _line(self, cells: Sequence[str]) -> str:
        assert self.widths is not None
        parts = []
        for cell, w in zip(cells, self.widths, strict=True):
            parts.append(cell if len(cell) <= w else cell[: max(w - 1, 0)] + "…")
        return (" " * self.GAP).join(p.ljust(w) for p, w in zip(parts, self.widths, strict=True)).rstrip()

    def rows(self, rows: Iterable[dict[str, Any]]) -> None:
        cells = [[_cell(row.get(c)) for c in self.columns] for row in rows]
        lines = []
        if self.widths is None:
            natural = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(self.columns)]
            keep = list(self.columns)
            natural = self._drop(natural)
            cells = [[r[keep.index(c)] for c in self.columns] for r in cells]
            self.widths = self._fit(natural)
            lines.append(self._line([c.upper() for c in self.columns]))
        lines += [self._line(r) for r in cells]
        if lines:
            write(self.out, ("\n".join(lines) + "\n").encode())

    def close(self) -> None:
        if self.widths is None:  # no rows at all: the header still says what would be there
            self.rows([])


class CsvWriter:
    """RFC 4180 CSV with a header row; an empty cell for null."""

    def __init__(self, out: BinaryIO, columns: Sequence[str]) -> None:
        self.out, self.columns = out, list(columns)
        self.started = False

    def rows(self, rows: Iterable[dict[str, Any]]) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if not self.started:
            writer.writerow(self.columns)
            self.started = True
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in self.columns])
        if buffer.tell():
            write(self.out, buffer.getvalue().encode())

    def close(self) -> None:
        if not self.started:
            self.rows([])


def row_writer(
    output: str, out: BinaryIO, cols: Sequence[str], chosen: bool = False, kind: Kind | None = None
) -> TableWriter | CsvWriter:
    """The writer for ``--output table|csv``; ``chosen``: the columns are the user's --fields."""
    if output == "csv":
        return CsvWriter(out, cols)
    return TableWriter(out, cols, terminal_width(out), chosen, (kind or JOBS).drop_order)
