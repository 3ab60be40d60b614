"""The server's small parts on their own: query parsing, tokens, the `unci serve` command."""

from __future__ import annotations

import json
import os
import sys
from urllib.parse import quote_plus, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from serverkit import API_TOKEN

from helpers import run_cli
from unci.errors import ConfigError, UsageError
from unci.job import FIELDS
from unci.server.auth import TokenChecker, load_tokens, tokens_from_file
from unci.server.query import parse

# --- query ----------------------------------------------------------------------------------


def brackets(data: dict) -> str:
    """Nested dicts and lists as bracketed pairs, the convention Truto's docs and SDKs use."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}[{k}]", v)
        elif isinstance(value, list):
            for v in value:
                walk(f"{prefix}[]", v)
        elif isinstance(value, bool):
            pairs.append((prefix, str(value).lower()))
        else:
            pairs.append((prefix, str(value)))

    for key, value in data.items():
        walk(key, value)
    return urlencode(pairs, quote_via=quote_plus)


def test_a_full_truto_query_is_sorted_out() -> None:
    query = parse(
        brackets(
            {
                "integrated_account_id": "62f44730-dd91-461e-bd6a-aedd9e0ad79d",
                "truto_response_format": "normalized",
                "truto_ignore_remote_data": True,
                "truto_exclude_fields": ["name", "branch"],
                "remote_query": {"per_page": 5, "filter": {"state": "open"}},
                "owner": "octo-org",
                "repo_id": "octo-repo",
            }
        ),
        operation="get",
    )
    assert query.account == "62f44730-dd91-461e-bd6a-aedd9e0ad79d" and query.provider is None
    assert query.fmt == "normalized" and query.ignore_remote_data is True
    assert query.exclude == ("name", "branch")
    assert query.remote_query == [("per_page", "5"), ("filter[state]", "open")]
    assert query.params == {"owner": "octo-org", "repo_id": "octo-repo"}


def test_list_params_only_count_when_listing() -> None:
    raw = "limit=20&next_cursor=abc&build=7"
    listed = parse(raw, operation="list")
    assert (listed.limit, listed.cursor, listed.params) == (20, "abc", {"build": "7"})
    got = parse(raw, operation="get")
    assert (got.limit, got.cursor, got.params) == (None, None, {"build": "7"})


def test_defaults() -> None:
    query = parse("", operation="get")
    assert (query.fmt, query.ignore_remote_data, query.exclude, query.remote_query) == (
        "unified",
        False,
        (),
        [],
    )


def test_an_empty_exclude_value_excludes_nothing() -> None:
    assert parse("truto_exclude_fields=", operation="get").exclude == ()


@given(
    excluded=st.lists(st.sampled_from(FIELDS), max_size=4),
    remote=st.dictionaries(
        st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8),
        st.text(min_size=0, max_size=12),
        max_size=4,
    ),
    ignore=st.booleans(),
)
def test_whatever_a_truto_client_encodes_comes_back(excluded, remote, ignore) -> None:
    query = parse(
        brackets(
            {"truto_exclude_fields": excluded, "remote_query": remote, "truto_ignore_remote_data": ignore}
        ),
        operation="get",
    )
    assert query.exclude == tuple(dict.fromkeys(excluded))
    assert query.remote_query == list(remote.items())
    assert query.ignore_remote_data is ignore


@pytest.mark.parametrize(
    "raw",
    [
        "truto_exclude_fields[a]=id",
        "truto_exclude_fields[][]=id",
        "truto_response_format[]=raw",
        "remote_query[]=x",
        "truto_super_query=1",
        "owner=a&owner=b",
    ],
)
def test_forms_unci_cannot_honour_are_refused(raw) -> None:
    with pytest.raises(UsageError):
        parse(raw, operation="get")


# --- tokens ---------------------------------------------------------------------------------


def test_checker_accepts_only_known_bearer_tokens() -> None:
    checker = TokenChecker([API_TOKEN, "another-token-0123456789"])
    assert checker.problem(f"Bearer {API_TOKEN}") is None
    assert checker.problem("Bearer another-token-0123456789") is None
    assert checker.problem(f"Bearer {API_TOKEN[:-1]}") == "the API token is not valid"
    assert "no API token" in checker.problem(None)
    assert "not a Bearer token" in checker.problem(API_TOKEN)
    assert API_TOKEN not in repr(checker)


def test_tokens_from_env_and_file(tmp_path) -> None:
    path = tmp_path / "tokens"
    path.write_text("# ops team\nfile-token-aaaaaaaaaaaaaaaa\n\n  file-token-bbbbbbbbbbbbbbbb  \n")
    path.chmod(0o600)
    env = {"UNCI_SERVER_TOKENS": "env-token-cccccccccccccccc, env-token-dddddddddddddddd"}
    assert load_tokens(path, env) == [
        "env-token-cccccccccccccccc",
        "env-token-dddddddddddddddd",
        "file-token-aaaaaaaaaaaaaaaa",
        "file-token-bbbbbbbbbbbbbbbb",
    ]
    assert load_tokens(None, {**env, "UNCI_SERVER_TOKENS_FILE": str(path)})[-1] == (
        "file-token-bbbbbbbbbbbbbbbb"
    )


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_tokens_file_others_can_read_is_refused(tmp_path) -> None:
    path = tmp_path / "tokens"
    path.write_text("file-token-aaaaaaaaaaaaaaaa\n")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        tokens_from_file(path)


def test_short_tokens_are_refused() -> None:
    with pytest.raises(ConfigError, match="shorter than 16"):
        load_tokens(None, {"UNCI_SERVER_TOKENS": "secret"})


# --- the command ----------------------------------------------------------------------------


@pytest.fixture
def uvicorn_runs(monkeypatch):
    """Capture what `unci serve` would hand uvicorn, instead of serving."""
    import uvicorn

    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append((a, kw)))
    return calls


def test_serve_refuses_to_start_without_a_token(uvicorn_runs) -> None:
    result = run_cli("serve")
    assert result.exit_code == 2
    assert "no API token configured" in result.stderr and "UNCI_SERVER_TOKENS" in result.stderr
    assert uvicorn_runs == []


def test_serve_on_an_address_in_use_or_not_this_machines_is_one_line_and_exit_2(uvicorn_runs) -> None:
    """Before the line that says where it serves: uvicorn logged its error among its own lines
    and exited 3, unci's code for a broken plugin."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run_cli("serve", "--no-auth", "--port", port)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"unci: error: cannot listen on 127.0.0.1:{port}: Address already in use; another program "
        "listens there; choose another --port (--port 0 takes a free one)\n"
    )
    for host in ("256.1.1.1", "nosuchhost.invalid"):
        bad = run_cli("serve", "--host", host, env={"UNCI_SERVER_TOKENS": API_TOKEN})
        assert bad.exit_code == 2, bad.output
        assert bad.stderr.startswith(f"unci: error: --host {host!r} is no address to listen on (")
        assert "serving" not in bad.stderr and len(bad.stderr.splitlines()) == 1
    assert uvicorn_runs == []


def test_serve_refuses_no_auth_off_loopback(uvicorn_runs) -> None:
    for host in ("0.0.0.0", "192.168.1.10", "::"):
        result = run_cli("serve", "--no-auth", "--host", host)
        assert result.exit_code == 2 and "only allowed on a loopback address" in result.stderr
    assert uvicorn_runs == []


@pytest.mark.parametrize(
    "option", ["--timeout", "--max-wait", "--pool-wait", "--header-timeout", "--keep-alive"]
)
@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "-1"])
def test_serve_seconds_are_read_as_every_command_reads_them(uvicorn_runs, option: str, value: str) -> None:
    result = run_cli("serve", "--no-auth", option, value)
    assert result.exit_code == 2, result.output
    assert "must be" in result.stderr and "Traceback" not in result.output
    assert uvicorn_runs == []


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_serve_no_auth_on_loopback_starts(uvicorn_runs, host) -> None:
    import socket

    if host == "::1":
        try:
            with socket.socket(socket.AF_INET6) as probe:
                probe.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 here: serve checks that it can listen before it starts")
    result = run_cli("serve", "--no-auth", "--host", host)
    assert result.exit_code == 0, result.output
    (_app,), options = uvicorn_runs[0]
    assert options["host"] == host and options["access_log"] is False


def test_serve_binds_loopback_by_default_and_logs_no_token(uvicorn_runs) -> None:
    result = run_cli("serve", env={"UNCI_SERVER_TOKENS": API_TOKEN})
    assert result.exit_code == 0, result.output
    (_app,), options = uvicorn_runs[0]
    assert (options["host"], options["port"]) == ("127.0.0.1", 8000)
    assert "1 API token(s)" in result.stderr and API_TOKEN not in result.output


def test_serve_with_workers_passes_options_but_no_token(uvicorn_runs, monkeypatch) -> None:
    monkeypatch.delenv("UNCI_SERVER_OPTIONS", raising=False)
    result = run_cli("serve", "--workers", "3", "--retries", "1", env={"UNCI_SERVER_TOKENS": API_TOKEN})
    assert result.exit_code == 0, result.output
    (target,), options = uvicorn_runs[0]
    assert target == "unci.server.app:create_app_from_env"
    assert options["factory"] is True and options["workers"] == 3
    written = os.environ["UNCI_SERVER_OPTIONS"]
    assert API_TOKEN not in written and json.loads(written)["retries"] == 1
    from unci.server.app import create_app_from_env

    monkeypatch.setenv("UNCI_SERVER_TOKENS", API_TOKEN)
    assert create_app_from_env().state.tokens  # each worker reads the tokens again


def test_serve_without_the_extra_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn -> ImportError
    result = run_cli("serve", "--no-auth")
    assert result.exit_code == 2
    assert 'pip install "unci[server]"' in result.stderr and "Traceback" not in result.output


def test_worker_listener_gets_nodelay_connections() -> None:
    """With --workers, uvicorn binds the socket; ours must still give TCP_NODELAY connections
    (without it each keep-alive response waits for a delayed ACK)."""
    import asyncio
    import socket

    from unci.serve_cli import tcp_listener

    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn binds it
    raw.bind(("127.0.0.1", 0))
    listener = tcp_listener(raw)
    assert listener.proto == socket.IPPROTO_TCP

    async def accepted_nodelay() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=listener)
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        result = await asyncio.wait_for(seen, 5)
        writer.close()
        server.close()
        await server.wait_closed()
        return result

    assert asyncio.run(accepted_nodelay()) != 0


# --- error pages and log lines --------------------------------------------------------------


def test_page_title_reads_an_error_pages_title() -> None:
    from unci.bodies import find_message, page_title

    jetty = b"<html><head>\n<TITLE>Error 401 Invalid password/token for user: x</TITLE></head>"
    assert page_title(jetty) == "Error 401 Invalid password/token for user: x"
    assert page_title("<title lang='en'>\n  Bad &amp; gone </title>") == "Bad & gone"
    assert page_title("<html><title>caf\u00e9 \u2013 502</title>") == "caf\u00e9 \u2013 502"
    assert find_message("<html><title>Service Unavailable</title></html>") == "Service Unavailable"
    # Unclosed, or past the first 64 KiB: no title (and the page's text is the message).
    assert page_title(b"<title>" * 20000) is None
    assert page_title(b" " * 70000 + b"<title>late</title>") is None
    assert page_title(b"<title>never closed") is None and page_title(b"<title") is None


def test_jenkins_reads_its_error_page_through_the_core() -> None:
    from unci_jenkins import provider

    page = b"<html><head><title>Error 401 Invalid password/token for user: x</title></head>"
    assert provider.error_message(401, page) == "Invalid password/token for user: x"
    assert provider.error_message(401, b"<title>" * 20000) is None


def test_log_lines_escape_control_characters() -> None:
    import logging

    from unci.server.accesslog import EscapeControls, printable

    assert printable("/x\r\nINFO: forged") == "/x\\r\\nINFO: forged"
    assert printable("a\x1b[31m\u2028\x85b\\") == "a\\x1b[31m\\u2028\\x85b\\\\"
    assert printable("/unified/ci-cd/jobs/1 é") == "/unified/ci-cd/jobs/1 é"
    record = logging.LogRecord("unci", logging.INFO, __file__, 1, "on %s: %s", ("/x\r\ny", "z"), None)
    assert EscapeControls().filter(record) and record.getMessage() == "on /x\\r\\ny: z"
    trace = logging.LogRecord(
        "unci", logging.ERROR, __file__, 1, "%s", ("Traceback:\n  line\r\nINFO: forged",), None
    )
    trace.multiline = True
    EscapeControls().filter(trace)
    assert trace.getMessage() == "Traceback:\n      line\\r\n    INFO: forged"
