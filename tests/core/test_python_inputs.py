"""What a Python caller passes, as it would naturally pass it: a dict for ``remote_query``, a
number for an id. What would be sent wrong is refused before any request instead."""

from __future__ import annotations

import json

import pytest

import unci
from helpers import GITHUB_JOB_PATH, GITHUB_PARAMS, cassette_body
from localserver import LocalServer, Reply

JOB = cassette_body("github", "get_job")
LOG = GITHUB_JOB_PATH + "/logs"


@pytest.mark.parametrize(
    "remote_query",
    [{"ab": "1", "per_page": "2"}, [("ab", "1"), ("per_page", "2")], (("ab", "1"), ["per_page", "2"])],
)
def test_remote_query_is_a_mapping_or_pairs(server: LocalServer, remote_query) -> None:
    """A dict iterated as it is gives its keys: ``"ab"`` would unpack into the pair a=b."""
    server.route(GITHUB_JOB_PATH, Reply(body=JOB))
    server.route(LOG, Reply(body=b"line\n", headers={"Content-Type": "text/plain"}))
    unci.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url, remote_query=remote_query)
    log = b"".join(
        unci.iter_log("github", "1", params=GITHUB_PARAMS, base_url=server.url, remote_query=remote_query)
    )
    assert log == b"line\n"
    assert [r.path for r in server.requests] == [
        f"{GITHUB_JOB_PATH}?ab=1&per_page=2",
        f"{LOG}?ab=1&per_page=2",
    ]


@pytest.mark.parametrize("remote_query", ["ab", [("a", "b", "c")], ["ab"], [None]])
def test_remote_query_that_is_neither_is_refused(server: LocalServer, remote_query) -> None:
    with pytest.raises(
        unci.UsageError, match=r"^github: remote_query takes a mapping \({'per_page': '50'}\)"
    ):
        unci.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url, remote_query=remote_query)
    assert server.requests == []


def test_a_whole_number_id_is_written_out_and_none_is_refused(server: LocalServer) -> None:
    server.route(GITHUB_JOB_PATH, Reply(body=JOB))
    assert unci.get_job("github", 1, params=GITHUB_PARAMS, base_url=server.url).id == "399444496"  # type: ignore[arg-type]
    assert [r.path for r in server.requests] == [GITHUB_JOB_PATH]
    for bad in (None, True, 1.5, b"1"):
        with pytest.raises(
            unci.InvalidParam, match=rf"^github: job id must be text or a whole number, got {bad!r}"
        ):
            unci.get_job("github", bad, params=GITHUB_PARAMS, base_url=server.url)  # type: ignore[arg-type]
        with pytest.raises(unci.InvalidParam, match=r"^github: build id must be text or a whole number"):
            unci.get_build("github", bad, params=GITHUB_PARAMS, base_url=server.url)  # type: ignore[arg-type]
        with pytest.raises(unci.InvalidParam, match=r"^github: job id must be text or a whole number"):
            list(unci.iter_log("github", bad, params=GITHUB_PARAMS, base_url=server.url))  # type: ignore[arg-type]
    assert len(server.requests) == 1
    assert json.loads(JOB)["id"] == 399444496


@pytest.mark.parametrize("tail", [-1, "5", True, 2.0])
def test_a_tail_that_is_no_line_count_is_refused(server: LocalServer, tail) -> None:
    """``-1`` gave nothing at all, where the caller meant the last lines."""
    with pytest.raises(unci.UsageError, match=r"^tail is a number of lines, 0 or more, not "):
        list(unci.iter_log("github", "1", params=GITHUB_PARAMS, base_url=server.url, tail=tail))
    assert server.requests == []


def test_a_tail_of_zero_is_no_lines(server: LocalServer) -> None:
    server.route(LOG, Reply(body=b"a\nb\n", headers={"Content-Type": "text/plain"}))
    assert list(unci.iter_log("github", "1", params=GITHUB_PARAMS, base_url=server.url, tail=0)) == []
    assert b"".join(unci.iter_log("github", "1", params=GITHUB_PARAMS, base_url=server.url, tail=1)) == b"b\n"
