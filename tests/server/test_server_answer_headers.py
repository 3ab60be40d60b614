"""The server reads a provider answer's headers straight from the raw pairs aiohttp parsed;
what the core sees must be exactly what httpx would have made of them (names lower-cased,
repeated headers joined, httpx's choice of encoding for anything not ASCII)."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from unci.client import header_dict
from unci.server.client import read_headers

NAMES = [b"Content-Type", b"content-type", b"X-RateLimit-Remaining", b"Set-Cookie", b"set-cookie", b"Link"]


def httpx_reads(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return header_dict(httpx.Headers(raw))


def test_an_ordinary_answer_reads_as_httpx_reads_it() -> None:
    raw = [
        (b"Content-Type", b"application/json; charset=utf-8"),
        (b"X-RateLimit-Limit", b"5000"),
        (b"Set-Cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"Content-Length", b"3213"),
    ]
    got = read_headers(tuple(raw))
    assert got == httpx_reads(raw)
    assert got["set-cookie"] == "a=1, b=2" and got["content-type"] == "application/json; charset=utf-8"


def test_headers_that_are_not_ascii_are_decoded_as_httpx_decodes_them() -> None:
    utf8 = [(b"X-Name", "caf\u00e9".encode()), (b"X-Other", b"plain")]
    latin1 = [(b"X-Name", b"caf\xe9"), (b"X-Other", b"plain")]
    assert read_headers(tuple(utf8)) == httpx_reads(utf8) == {"x-name": "caf\u00e9", "x-other": "plain"}
    assert read_headers(tuple(latin1)) == httpx_reads(latin1) == {"x-name": "caf\u00e9", "x-other": "plain"}


@given(
    st.lists(
        st.tuples(
            st.sampled_from([*NAMES, b"X-Caf\xc3\xa9", b"X-\xff"]),
            st.binary(max_size=12) | st.sampled_from([b"", b"\xe9", b"\xc3\xa9", b"a, b"]),
        ),
        max_size=8,
    )
)
def test_any_raw_headers_read_as_httpx_reads_them(raw: list[tuple[bytes, bytes]]) -> None:
    assert read_headers(tuple(raw)) == httpx_reads(raw)
