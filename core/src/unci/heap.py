"""The C library's heap in a process that is a sync's alone, kept from holding on to what the
sync has freed.

glibc's malloc moves its threshold for giving a large allocation a mapping of its own (and,
with it, for handing the top of the heap back) up to the largest block freed so far: after a
sync's first page bodies (over 128 KiB each), Arrow buffers and DuckDB blocks, the heap keeps
tens of MiB that nothing uses any more, more the longer the history (docs/performance.md,
"The C heap's threshold"). A threshold that is set stays where it is set. Nothing changes
where the user's environment already tunes malloc, or where the C library is not glibc.

Arrow's buffers go through the same malloc (:func:`arrow_on_c_heap`): the pool Arrow ships
(mimalloc or jemalloc) keeps what Arrow's C++ code frees, and writing the parquet files dlt
loads from is most of a sync's Arrow work.
"""

from __future__ import annotations

import os
import sys

#: glibc's ``M_TRIM_THRESHOLD`` and ``M_MMAP_THRESHOLD`` (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: Allocations of this size or more get a mapping of their own, unmapped when freed.
MMAP_THRESHOLD = 1 << 20
#: Free memory at the top of the heap beyond this is handed back (glibc's starting value).
TRIM_THRESHOLD = 128 << 10
#: The environment by which the user chooses Arrow's memory pool (read once, when Arrow's
#: C++ code first asks for its default pool).
_ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL"
#: The environment by which the user tunes glibc's malloc themselves.
_USERS_OWN = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES")


def glibc() -> bool:
    """Whether the process runs on glibc (not musl, not macOS or Windows)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (ValueError, OSError):
        return False


def keep_heap_small() -> bool:
    """Fix glibc's thresholds at :data:`TRIM_THRESHOLD` and :data:`MMAP_THRESHOLD`, which also
    stops them from rising (the trim threshold first: by the time a sync starts, its imports
    have raised it). For a process that is the sync's alone (``unci sync``), never for one it
    is a guest in: the setting is the whole process's. Whether it was set."""
    if not glibc() or any(name in os.environ for name in _USERS_OWN):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    trimmed = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return bool(trimmed) and bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def arrow_on_c_heap() -> bool:
    """Have Arrow take its memory from the C library's malloc, unless the user chose a pool.
    ``pyarrow.set_memory_pool`` reaches only what pyarrow's Python layer allocates; the C++
    side (parquet files, compute) reads :data:`_ARROW_POOL`, so this is set before pyarrow is
    imported. For a process that is the sync's alone, as :func:`keep_heap_small`. Whether it
    was set."""
    if _ARROW_POOL in os.environ:
        return False
    os.environ[_ARROW_POOL] = "system"
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:  # imported already: its Python layer at least
        pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    return True
