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
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, BinaryIO

from unci import formats
from unci.errors import OutputError
from unci.records import JOBS, Kind
from unci.table import cell as _cell


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


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime) or value is None:
        return value
    try:  # a rendered row's RFC 3339 text; Python 3.10 reads no "Z"
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def seconds_between(started: Any, completed: Any) -> int | None:
    """Whole seconds from start to end; ``None`` unless both are known (a running step's
    length changes every second, so it is not shown)."""
    start, end = _moment(started), _moment(completed)
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds()))


def duration(started: Any, completed: Any) -> str | None:
    """How long something ran, for people: ``4s``, ``1m 03s``, ``2h 05m``."""
    seconds = seconds_between(started, completed)
    return None if seconds is None else span(seconds)


def span(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds // 60 % 60:02d}m"


def step_cells(step: Mapping[str, Any]) -> list[str]:
    """One step as a table shows it: number, name, status, conclusion, duration."""
    return [
        _cell(step.get("number")),
        _cell(step.get("name")),
        _cell(step.get("status")),
        _cell(step.get("conclusion")),
        duration(step.get("started_at"), step.get("completed_at")) or "-",
    ]


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


def note(message: str) -> None:
    """A line for the person on stderr, never at the cost of the output: a stderr that cannot
    be written (``2>/dev/full``) lost the whole table the note was about."""
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def cells_of(text: str) -> int:
    """How many terminal cells ``text`` takes: a wide character (CJK, most emoji) two, a
    combining mark or a zero-width one none; ``len`` counted code points, and a table of
    Japanese names was wider than the terminal it was fitted to."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(_cells(c, unicodedata) for c in text)


def _cells(char: str, unicodedata: Any) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells: whole, or shortened with an ellipsis (never a
    wide character or a mark's base cut in half)."""
    if cells_of(text) <= width:
        return text
    import unicodedata

    kept, used = [], 0
    for char in text:
        n = _cells(char, unicodedata)
        if used + n > width - 1:
            break
        kept.append(char)
        used += n
    return "".join(kept) + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cells_of(text))


class TableWriter:
    """Aligned columns, written page by page: the first page sets the widths. On a terminal too
    narrow for them, default columns are left out (``DROP_ORDER``, said once on stderr), then
    cells are shortened; later cells that do not fit end in an ellipsis.

    Steps are not a column (a list in a cell reads as noise): a job's steps are indented rows
    under it, aligned among themselves, with number, name, status, conclusion and duration.
    """

    GAP = 2
    STEP_INDENT = "    "

    def __init__(
        self,
        out: BinaryIO,
        columns: Sequence[str],
        width: int | None,
        chosen: bool = False,
        drop_order: Sequence[str] = DROP_ORDER,
    ) -> None:
        self.out, self.width, self.chosen = out, width, chosen
        self.columns = [c for c in columns if c != "steps"]
        self.steps = "steps" in columns
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
            note(
                f"unci: the table is cut to {self.width} columns, leaving out "
                f"{', '.join(dropped)}; --fields picks the columns"
            )
        return natural

    def _fit(self, natural: list[int]) -> list[int]:
        widths = list(natural)
        if self.width is None:
            return widths
        floor = [min(w, max(cells_of(c), 4)) for w, c in zip(natural, self.columns, strict=True)]
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
            parts.append(_cut(cell, w))
        return (" " * self.GAP).join(_pad(p, w) for p, w in zip(parts, self.widths, strict=True)).rstrip()

    def _step_lines(self, steps: Any) -> list[str]:
        if not self.steps or not isinstance(steps, list) or not steps:
            return []
        cells = [step_cells(step) for step in steps if isinstance(step, Mapping)]
        widths = [max(cells_of(r[i]) for r in cells) for i in range(5)]
        if self.width is not None:  # the name gives way first, down to a few characters
            room = self.width - len(self.STEP_INDENT) - sum(widths) - self.GAP * 4 + widths[1]
            widths[1] = max(min(widths[1], room), 4)
        lines = []
        for r in cells:
            parts = [_cut(c, w) for c, w in zip(r, widths, strict=True)]
            parts[0] = parts[0].rjust(widths[0])
            text = (" " * self.GAP).join(_pad(p, w) for p, w in zip(parts, widths, strict=True))
            lines.append(self.STEP_INDENT + text.rstrip())
        return lines

    def rows(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        cells = [[_cell(row.get(c), c) for c in self.columns] for row in rows]
        lines = []
        if self.widths is None:
            natural = [max([len(c), *(cells_of(r[i]) for r in cells)]) for i, c in enumerate(self.columns)]
            keep = list(self.columns)
            natural = self._drop(natural)
            cells = [[r[keep.index(c)] for c in self.columns] for r in cells]
            self.widths = self._fit(natural)
            if self.columns:
                lines.append(self._line([c.upper() for c in self.columns]))
        for row, r in zip(rows, cells, strict=True):
            if self.columns:
                lines.append(self._line(r))
            lines += self._step_lines(row.get("steps"))
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
        # A carriage return is no special character to csv with "\n" lines, and went out bare:
        # a reader split the row there. A row holding one is written with every field quoted.
        quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
        if not self.started:
            writer.writerow(self.columns)
            self.started = True
        for row in rows:
            values = [_csv_cell(row.get(c)) for c in self.columns]
            bare_cr = any(isinstance(v, str) and "\r" in v for v in values)
            (quoted if bare_cr else writer).writerow(values)
        if buffer.tell():
            write(self.out, buffer.getvalue().encode())

    def close(self) -> None:
        if not self.started:
            self.rows([])


def _csv_cell(value: Any) -> Any:
    """Empty for null; a list (a job's steps) as compact JSON, which a spreadsheet keeps in one
    cell and a program can read back, instead of Python's repr."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return formats.encode(value).decode()
    return value


def row_writer(
    output: str, out: BinaryIO, cols: Sequence[str], chosen: bool = False, kind: Kind | None = None
) -> TableWriter | CsvWriter:
    """The writer for ``--output table|csv``; ``chosen``: the columns are the user's --fields."""
    if output == "csv":
        return CsvWriter(out, cols)
    return TableWriter(out, cols, terminal_width(out), chosen, (kind or JOBS).drop_order)
