"""`unci sync`'s process hands the memory it frees back to the system (unci.heap), where glibc's
malloc left alone keeps it once a large block has been freed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from unci.heap import glibc, keep_heap_small

pytestmark = pytest.mark.skipif(not glibc(), reason="glibc's malloc only")

# A 16 MiB buffer freed first, as a sync's first page bodies, Arrow tables and DuckDB blocks
# are: glibc then keeps up to 32 MiB freed at the top of its heap. 30 MiB of 512 KiB blocks
# are then made and freed; the figure is how much of it the process still holds.
_HELD_AFTER_FREE = """
import sys
from unci.heap import keep_heap_small

def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) // 1024

if sys.argv[1] == "kept":
    assert keep_heap_small()
big = b"x" * (16 << 20)
del big
blocks = [b""] * 60
before = rss()
for i in range(60):
    blocks[i] = b"x" * (512 << 10)
del blocks
print(rss() - before)
"""


def _held_mib(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}
    done = subprocess.run(
        [sys.executable, "-c", _HELD_AFTER_FREE, mode], env=env, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def test_memory_freed_is_handed_back_where_glibc_would_keep_it() -> None:
    assert _held_mib("default") >= 25  # what the sync process is kept from doing
    assert _held_mib("kept") <= 5


def test_a_users_own_malloc_tuning_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "8388608")
    assert keep_heap_small() is False


_ARROW_POOL_USED = """
from unci.heap import arrow_on_c_heap

print(arrow_on_c_heap())
import io

import pyarrow
import pyarrow.parquet

# The pool Arrow's C++ side takes its memory from (a parquet file written, as a sync's are).
print(pyarrow.default_memory_pool().backend_name)
pyarrow.parquet.write_table(pyarrow.table({"x": list(range(1000))}), io.BytesIO())
print(pyarrow.default_memory_pool().max_memory() > 0)
"""


def _arrow_pool(env_pool: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if env_pool is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = env_pool
    done = subprocess.run(
        [sys.executable, "-c", _ARROW_POOL_USED], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_arrow_takes_its_memory_from_malloc_in_the_syncs_process() -> None:
    pytest.importorskip("pyarrow")
    assert _arrow_pool(None) == ["True", "system", "True"]


def test_a_users_own_arrow_pool_is_left_as_it_is() -> None:
    pytest.importorskip("pyarrow")
    assert _arrow_pool("mimalloc") == ["False", "mimalloc", "True"]
