"""Reading an error page for its message: linear in the page's size, and capped.

A page of unclosed ``<title>`` tags is what made the old backtracking regex quadratic (28 KB:
1.3 s, 112 KB: 23 s). Here the message of such pages, and of ordinary ones, is read through the
core's path (``parse_body`` then ``find_message``) at 28 KB and 112 KB; the time ratio between
the two sizes is what to read: about 4 is linear, 16 quadratic, and 1 means the size no longer
matters (the title is only looked for in the first 64 KiB). The old regex runs as the baseline
at 7 KB and 28 KB only (larger takes minutes). Run: python benchmarks/bench_bodies.py
"""

from __future__ import annotations

import re
import time

from unci.bodies import find_message, parse_body

OLD_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def hostile(size: int) -> bytes:
    return b"<html><head>" + b"<title>" * (size // 7) + b"</head></html>"


def ordinary(size: int) -> bytes:
    filler = b"<p>" + b"x" * 70 + b"</p>\n"
    return (
        b"<html><head><title>Error 502 Bad Gateway</title></head><body>"
        + filler * (size // len(filler))
        + b"</body></html>"
    )


def best(work, *args, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    print("message of an error page, best of 5 (ratio 112 KB / 28 KB: 4 linear, 16 quadratic)")
    for name, page in (("hostile", hostile), ("ordinary", ordinary)):
        small, large = (best(lambda b: find_message(parse_body(b)), page(kb * 1024)) for kb in (28, 112))
        print(
            f"  unci, {name:8} 28 KB {small * 1e3:8.3f} ms   112 KB {large * 1e3:8.3f} ms   "
            f"ratio {large / small:5.1f}"
        )
    small, large = (
        best(lambda t: OLD_TITLE.search(t), hostile(kb * 1024).decode(), repeat=1) for kb in (7, 28)
    )
    print(
        f"  old regex, hostile 7 KB {small * 1e3:8.1f} ms   28 KB {large * 1e3:8.1f} ms   "
        f"ratio {large / small:5.1f} (for 4x the size)"
    )


if __name__ == "__main__":
    main()
