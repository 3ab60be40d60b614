"""The server's own shortcuts on the way out: the rendered record's answer built without
Starlette's general constructor, and the access line escaped in one piece. Each must give
exactly what the general way gives, for any headers and any request."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.responses import Response

from unci.server.accesslog import _shown_query, access_line, printable
from unci.server.app import JSON, Rendered

_NAMES = st.sampled_from(["ratelimit-limit", "RateLimit-Reset", "content-type", "Content-Length", "x-a"])
_LATIN = st.text(st.characters(max_codepoint=0xFF), max_size=8)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=40), headers=st.dictionaries(_NAMES | _LATIN, _LATIN, max_size=4))
def test_a_rendered_answer_is_the_general_response(body: bytes, headers: dict[str, str]) -> None:
    want = Response(body, media_type=JSON, headers=headers)
    got = Rendered(body, headers)
    assert (got.status_code, got.raw_headers, got.body) == (want.status_code, want.raw_headers, want.body)
    assert got.headers == want.headers and got.background is None


def test_a_rendered_answer_gives_its_length_and_type_after_the_rate_limits() -> None:
    got = Rendered(b'{"id":"1"}', {"ratelimit-limit": "5000"})
    assert got.raw_headers == [
        (b"ratelimit-limit", b"5000"),
        (b"content-length", b"10"),
        (b"content-type", b"application/json"),
    ]


def line_before(scope: dict, status: int, start: float) -> str:
    """The access line as it was: each caller-given part escaped on its own."""
    client = scope.get("client")
    who = f"{client[0]}:{client[1]}" if client else "-"
    return (
        f'{printable(who)} "{printable(scope["method"])} '
        f'{printable(scope["path"])}{_shown_query(scope.get("query_string", b""))}"'
        f" {status} {(time.perf_counter() - start) * 1000:.1f}ms"
    )


_CHARS = st.sampled_from(["\\", "\n", "\r", "\x1b", "\x85", "\u2028", '"', " ", "a", "é"])
_TEXT = st.text(_CHARS | st.characters())


@settings(max_examples=500, deadline=None)
@given(
    host=_TEXT,
    port=st.integers(0, 65535),
    method=_TEXT,
    path=_TEXT,
    query=st.binary(max_size=20),
    client=st.booleans(),
)
def test_the_access_line_is_escaped_as_each_part_was(
    host: str, port: int, method: str, path: str, query: bytes, client: bool
) -> None:
    scope: dict[str, object] = {"method": method, "path": path, "query_string": query}
    if client:
        scope["client"] = (host, port)
    start = time.perf_counter() + 3600.0  # far off: the time shown does not tick over between calls
    got, want = access_line(scope, 200, start), line_before(scope, 200, start)
    assert got.rpartition('" 200 ')[0] == want.rpartition('" 200 ')[0]
    assert got.endswith("ms") and "\n" not in got and "\x1b" not in got
