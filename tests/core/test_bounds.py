"""Bounds a hostile provider cannot push unci past: body size (decompression included), time
(a slow drip under every per-read timeout), and a paging that never ends."""

from __future__ import annotations

import gzip
import json
import time
import zlib

import pytest

import unci
from helpers import GITHUB_GET, GITHUB_JOB_PATH, GITHUB_PARAMS, cassette_body, github_get, run_cli
from localserver import LocalServer, Reply

JOB = cassette_body("github", "get_job")
PATH = GITHUB_JOB_PATH
PARAMS = GITHUB_PARAMS
GET = [*GITHUB_GET, "--retries", "0"]
MIB = 1024 * 1024


def zipped(body: bytes, times: int = 1) -> bytes:
    for _ in range(times):
        body = gzip.compress(body, compresslevel=9)
    return body


# --- body size --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["unified", "raw", "stream", "debug"])
def test_a_gzip_bomb_stops_at_the_cap_naming_the_option(server: LocalServer, fmt: str) -> None:
    bomb = zipped(b" " * (200 * MIB))  # ~200 KB on the wire
    server.route(
        PATH, Reply(body=bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    )
    result = run_cli(*GET, "--base-url", server.url, "--format", fmt, "--max-body", "1MiB")
    assert result.exit_code == 9, result.output[:300]
    line = result.stderr.strip()
    if fmt == "debug":  # errors are Truto's JSON envelope in the debug format
        line = "unci: error: " + json.loads(line)["message"]
    assert line.startswith("unci: error: github: the response body from http://127.0.0.1:")
    assert "is larger than 1 MiB; raise --max-body" in line and "\n" not in line
    assert len(result.stdout_bytes) <= MIB


def test_layered_gzip_is_decoded_in_bounded_steps(server: LocalServer) -> None:
    """gzip of gzip: one 64 KiB chunk of the outer layer would be gigabytes decoded at once."""
    bomb = zipped(b"\0" * (1024 * MIB), times=2)
    server.route(PATH, Reply(body=bomb, headers={"Content-Encoding": "gzip, gzip"}))
    with unci.Client(max_body=2 * MIB) as http, pytest.raises(unci.DecodeError) as info:
        http.get_job("github", "1", params=PARAMS, base_url=server.url)
    assert "is larger than 2 MiB" in info.value.message


def test_a_plain_body_over_the_cap_is_refused_from_its_content_length(server) -> None:
    server.route(PATH, Reply(body=b"x" * (3 * MIB)))
    result = run_cli(*GET, "--base-url", server.url, "--max-body", "2MiB")
    assert result.exit_code == 9 and "(Content-Length 3145728)" in result.stderr


def test_unci_max_body_sets_the_default(server: LocalServer, monkeypatch) -> None:
    server.route(PATH, Reply(body=JOB))
    monkeypatch.setenv("UNCI_MAX_BODY", "1000")
    result = run_cli(*GET, "--base-url", server.url)
    assert result.exit_code == 9 and "larger than 1000 bytes" in result.stderr
    monkeypatch.setenv("UNCI_MAX_BODY", "lots")
    result = run_cli(*GET, "--base-url", server.url)
    # The environment's setting: configuration (exit 10), as a bad UNCI_<PROVIDER>_BASE_URL is.
    assert result.exit_code == 10 and "UNCI_MAX_BODY must be a size" in result.stderr


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "deflate-raw", "identity", ""])
@pytest.mark.parametrize("fmt", ["raw", "stream"])
def test_raw_and_stream_are_byte_for_byte(server: LocalServer, encoding: str, fmt: str) -> None:
    body = json.dumps({**json.loads(JOB), "pad": "é" * 300_000}).encode()  # several chunks
    sent = {
        "gzip": gzip.compress(body),
        "deflate": zlib.compress(body),
        "deflate-raw": zlib.compress(body)[2:-4],
    }.get(encoding, body)
    headers = {"Content-Encoding": encoding.replace("-raw", "")} if encoding else {}
    server.route(PATH, Reply(body=sent, headers=headers))
    result = run_cli(*GET, "--base-url", server.url, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == body


def test_an_encoding_unci_did_not_ask_for_is_refused(server: LocalServer) -> None:
    server.route(PATH, Reply(body=b"\x1b\x00", headers={"Content-Encoding": "br"}))
    result = run_cli(*GET, "--base-url", server.url)
    assert result.exit_code == 9 and "encoded as 'br', which unci did not ask for" in result.stderr
    assert server.requests[0].headers["Accept-Encoding"] == "gzip, deflate"


# --- time -------------------------------------------------------------------------------------


def test_a_slow_drip_is_cut_at_the_timeout(server: LocalServer) -> None:
    """Two bytes a second keeps every read under any per-read timeout; the whole is bounded."""
    server.route(PATH, Reply(body=JOB, drip=0.5))
    start = time.monotonic()
    result = run_cli(*GET, "--base-url", server.url, "--timeout", "1.5")
    took = time.monotonic() - start
    assert result.exit_code == 8, result.output
    assert "no answer from" in result.stderr and "in full within 1.5 s" in result.stderr
    assert took < 10  # the whole answer would take ~50 minutes at this pace


def test_the_deadline_bounds_retries_and_waits(server: LocalServer) -> None:
    server.route(PATH, Reply(body=JOB, drip=0.5))
    start = time.monotonic()
    result = run_cli(*github_get(server.url, "--timeout", "30", "--retries", "5", "--deadline", "1.5"))
    assert result.exit_code == 8, result.output
    assert "the deadline ran out" in result.stderr and "--deadline" in result.stderr
    assert time.monotonic() - start < 10 and len(server.requests) == 1


def test_library_clients_honour_the_timeout_as_a_whole(server: LocalServer) -> None:
    import asyncio

    server.route(PATH, Reply(body=JOB, drip=0.5))
    start = time.monotonic()
    with unci.Client(timeout=1, retry=unci.RetryPolicy(retries=0)) as http, pytest.raises(unci.Timeout):
        http.get_job("github", "1", params=PARAMS, base_url=server.url)

    async def fetch() -> None:
        async with unci.AsyncClient(timeout=30, deadline=1, retry=unci.RetryPolicy(retries=0)) as http:
            await http.get_job("github", "1", params=PARAMS, base_url=server.url)

    with pytest.raises(unci.Timeout):
        asyncio.run(fetch())
    assert time.monotonic() - start < 15


# --- paging -----------------------------------------------------------------------------------


LIST = [
    "jobs",
    "list",
    "-P",
    "github",
    "-p",
    "owner=o",
    "-p",
    "repo_id=r",
    "-p",
    "build=7",
    "--retries",
    "0",
    "--all",
]
LIST_PATH = "/repos/o/r/actions/runs/7/jobs"


def test_all_stops_on_endless_empty_pages(server: LocalServer) -> None:
    count = iter(range(2, 10_000))

    class Endless(Reply):  # every page points at the next number, forever
        @property
        def headers(self):  # type: ignore[override]
            return {
                "Content-Type": "application/json",
                "Link": f'<{server.url}{LIST_PATH}?page={next(count)}>; rel="next"',
            }

        @headers.setter
        def headers(self, value) -> None:
            pass

    server.route(LIST_PATH, Endless(body=b'{"total_count": 0, "jobs": []}'))
    result = run_cli(*LIST, "--base-url", server.url)
    assert result.exit_code == 6, result.output
    assert "the listing does not end: the provider sent 5 empty pages in a row" in result.stderr
    assert len(server.requests) == 5


def test_all_stops_when_a_page_comes_back(server: LocalServer) -> None:
    page = json.loads(cassette_body("github", "list_jobs", 0))
    a = f'<{server.url}/a?page=2>; rel="next"'
    b = f'<{server.url}{LIST_PATH}?page=3>; rel="next"'
    server.route(LIST_PATH, Reply(body=json.dumps(page).encode(), headers={"Link": a}))
    server.route("/a", Reply(body=json.dumps(page).encode(), headers={"Link": b}))
    server.route(f"{LIST_PATH}?page=3", Reply(body=json.dumps(page).encode(), headers={"Link": a}))
    result = run_cli(*LIST, "--base-url", server.url)
    assert result.exit_code == 6, result.output
    assert "asked for a page it had already sent" in result.stderr
    assert len(result.stdout.splitlines()) == 3  # the pages before it are printed
