"""What ``unci providers`` showed for each provider, kept until anything it came from changes.

A provider's description (title, params, fields, credentials) is static data, but reading it
means importing the provider, and with it msgspec, the contract and the provider's Structs:
three quarters of ``unci providers``' start-up with nine providers installed. So each row is
kept in a file, under a key made of everything that could change it:

- the entry point and its distribution: name, target, distribution name, version and folder,
  and the size and modification time of the distribution's ``RECORD`` (what an install or
  upgrade rewrites);
- the size and modification time of every file of the entry point's top-level package (what an
  edit of an editable install changes), found without importing it;
- the same for every ``unci.extensions`` entry point that wraps the provider, and for unci's own
  package, the interpreter and unci's version.

A row is reused only when its whole key matches. A provider that failed to load or describe is
never kept, so a broken one is imported, and reported, every time. ``unci providers --check``
reads no row: a plugin can break without a file of its own changing (a dependency removed), and
the check imports every provider to find out.

The file is ``$UNCI_CACHE_DIR/providers-<environment>.json`` (default ``$XDG_CACHE_HOME/unci``,
else ``~/.cache/unci``); deleting it is always safe. One that cannot be read is ignored, one
that cannot be written is not written: the command never fails because of its cache.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import zlib
from typing import TYPE_CHECKING, Any

import unci

if TYPE_CHECKING:
    from unci.entrypoints import EntryPoint

FORMAT = 1
#: The keys of a row (:func:`unci.catalog.describe`); a stored row without exactly these is
#: not used.
ROW_KEYS = frozenset(
    {
        "name",
        "distribution",
        "title",
        "params",
        "list_params",
        "fields",
        "base_url",
        "base_urls",
        "self_hosted",
        "token_env",
        "auth",
        "docs_url",
        "error",
    }
)

Key = list[Any]


def cache_dir() -> str:
    found = os.environ.get("UNCI_CACHE_DIR")
    if found:
        return found
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "unci")


def _stat(path: str) -> list[Any]:
    try:
        st = os.stat(path)
    except OSError:
        return [path, None]
    return [path, st.st_size, st.st_mtime_ns]


def _tree(path: str, into: list[list[Any]]) -> None:
    """Every file under ``path`` (``__pycache__`` left out: it follows the sources)."""
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError:
        into.append([path, None])
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name != "__pycache__":
                _tree(entry.path, into)
        else:
            try:
                st = entry.stat()
            except OSError:
                into.append([entry.path, None])
            else:
                into.append([entry.path, st.st_size, st.st_mtime_ns])


def _module_files(module: str) -> list[list[Any]] | None:
    """The files of ``module``'s top-level package (or its one file), found the way ``import``
    would find it, without importing it; None when it cannot be told (then nothing is kept)."""
    top = module.strip().partition(".")[0]
    spec = None
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        try:
            spec = find_spec(top, None)
        except Exception:  # noqa: BLE001 - a finder that fails: no key, so no cached row
            return None
        if spec is not None:
            break
    if spec is None:
        return None
    files: list[list[Any]] = []
    if spec.submodule_search_locations:
        for location in list(spec.submodule_search_locations):
            _tree(location, files)
    elif spec.origin and os.path.isfile(spec.origin):
        files.append(_stat(spec.origin))
    else:
        return None
    return files


def entry_point_key(ep: EntryPoint) -> Key | None:
    files = _module_files(ep.value.partition(":")[0])
    if files is None:
        return None
    record = _stat(os.path.join(ep.dist_path, "RECORD"))
    return [ep.name, ep.value, ep.dist_name, ep.dist_version, ep.dist_path, record, files]


def _core_key() -> Key:
    files: list[list[Any]] = []
    _tree(os.path.dirname(unci.__file__), files)
    return [FORMAT, sys.prefix, sys.version, unci.__version__, files]


class DescribeCache:
    """The stored rows of this environment; :meth:`get` before, :meth:`put` after describing."""

    def __init__(self, path: str, core: Key, rows: dict[str, Any]) -> None:
        self.path = path
        self.core = core
        self.rows = rows
        self.keys: dict[str, Key] = {}
        self.changed = False

    @classmethod
    def open(cls) -> DescribeCache:
        where = sys.prefix.encode(errors="surrogateescape")
        path = os.path.join(cache_dir(), f"providers-{zlib.crc32(where):08x}.json")
        core = _core_key()
        rows: dict[str, Any] = {}
        try:
            with open(path, encoding="utf-8") as f:
                stored = json.load(f)
            if (
                isinstance(stored, dict)
                and stored.get("core") == core
                and isinstance(stored.get("rows"), dict)
            ):
                rows = stored["rows"]
        except (OSError, ValueError):
            pass
        return cls(path, core, rows)

    def get(self, name: str, eps: list[EntryPoint], extensions: list[EntryPoint]) -> dict[str, Any] | None:
        """The stored row of provider ``name`` if nothing it came from has changed."""
        if len(eps) != 1:
            return None  # claimed twice (an error to report) or registered in-process
        keys = [entry_point_key(ep) for ep in (*eps, *extensions)]
        if any(k is None for k in keys):
            return None
        self.keys[name] = keys
        stored = self.rows.get(name)
        if not isinstance(stored, dict) or stored.get("key") != keys:
            return None
        row = stored.get("row")
        if (
            not isinstance(row, dict)
            or set(row) != ROW_KEYS
            or row["name"] != name
            or row["error"] is not None
        ):
            return None
        return row

    def put(self, name: str, row: dict[str, Any]) -> None:
        """Keep a row that described a working provider (never a broken one)."""
        key = self.keys.get(name)
        if key is None or row.get("error") is not None or set(row) != ROW_KEYS:
            return
        self.rows[name] = {"key": key, "row": row}
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({"core": self.core, "rows": self.rows}, f)
            os.replace(tmp, self.path)  # readers see the old file or the new one, never half
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
