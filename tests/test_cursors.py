"""Cursors are signed: only what unci's own paging produced is followed, with headers from the
provider plugin. Once, a caller could send the account's token with headers of their choosing
to any path on the provider's origin by writing a cursor by hand."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys

import pytest

from helpers import cassette_body, run_cli
from localserver import LocalServer, Reply
from unci.cursor_key import ENV, key_path

PAGE1 = cassette_body("github", "list_jobs", 0)
PAGE2 = cassette_body("github", "list_jobs", 1)
LIST_PATH = "/repos/o/r/actions/runs/7/jobs"
TOKEN = "ghp_CURSORTOKEN0123456789"
ARGS = [
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
    "--token",
    TOKEN,
    "--retries",
    "0",
]


def _two_pages(server: LocalServer, next_query: str = "page=2") -> LocalServer:
    """A two-page job list whose first page links the second with ``next_query``."""
    link = f'<{server.url}/next/page?{next_query}>; rel="next"'
    server.route(LIST_PATH, Reply(body=PAGE1, headers={"Content-Type": "application/json", "Link": link}))
    server.route("/next/page", Reply(body=PAGE2))
    return server


@pytest.fixture
def paged(server: LocalServer) -> LocalServer:
    return _two_pages(server)


def first_cursor(server: LocalServer, *extra: str) -> str:
    result = run_cli(*ARGS, "--base-url", server.url, *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["next_cursor"]


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_a_cursor_changed_in_its_last_character_is_refused(paged: LocalServer) -> None:
    """base64 leaves the last character's low bits unread: a cursor ending in ``A`` changed to
    ``B`` decoded to the same bytes and was taken, though the docs say an altered one is not."""
    cursor = first_cursor(paged)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    changed = [cursor[:-1] + c for c in alphabet if c != cursor[-1]]
    del paged.requests[:]
    for forged in changed:
        result = run_cli(*ARGS, "--base-url", paged.url, "--cursor", forged)
        assert result.exit_code == 2, (forged, result.output)
    assert paged.requests == []


def test_a_cursor_resumes_with_the_providers_headers(paged: LocalServer) -> None:
    cursor = first_cursor(paged)
    result = run_cli(*ARGS, "--base-url", paged.url, "--cursor", cursor)
    assert result.exit_code == 0, result.output
    first, second = paged.requests
    assert second.path == "/next/page?page=2"
    assert second.headers == {**first.headers}  # the same headers, rebuilt by the plugin
    assert TOKEN not in cursor and TOKEN.encode() not in unb64(cursor.split(".")[0])


def test_a_next_link_that_echoes_the_token_still_gives_a_cursor_that_resumes(server: LocalServer) -> None:
    """The token in the next link's query went into the cursor's base64, which the scrub then
    cut into: the printed cursor was refused as altered (exit 0, then exit 2)."""
    _two_pages(server, f"page=2&access_token={TOKEN}")
    cursor = first_cursor(server)
    assert "[REDACTED]" not in cursor and TOKEN.encode() not in unb64(cursor.split(".")[0])
    result = run_cli(*ARGS, "--base-url", server.url, "--cursor", cursor)
    assert result.exit_code == 0, result.output
    assert server.requests[-1].path == "/next/page?page=2"  # the token goes in the header only
    assert server.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(result.stdout)["result"]


@pytest.mark.parametrize(
    "change",
    [
        {"path": "/user"},
        {"path": "/next/page", "query": [["page", "3"]]},
        {"skip": 1},
        {"headers": {"Host": "other.example", "X-HTTP-Method-Override": "DELETE"}},
    ],
)
def test_an_altered_cursor_is_refused_before_any_request(paged: LocalServer, change) -> None:
    body, _, mac = first_cursor(paged).partition(".")
    forged = b64(json.dumps({**json.loads(unb64(body)), **change}).encode()) + "." + mac
    del paged.requests[:]
    result = run_cli(*ARGS, "--base-url", paged.url, "--cursor", forged)
    assert result.exit_code == 2, result.output
    assert "the cursor is not one unci handed out" in result.stderr
    assert paged.requests == []


def test_a_cursor_resumes_only_the_build_it_was_made_for(paged: LocalServer) -> None:
    cursor = first_cursor(paged)
    del paged.requests[:]
    other = [a if a != "build=7" else "build=8" for a in ARGS]
    result = run_cli(*other, "--base-url", paged.url, "--cursor", cursor)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        "unci: error: github: the cursor continues the list of build '7', not build '8'; "
        "start again without --cursor to list with -p build=8"
    )
    assert paged.requests == []
    same = run_cli(*ARGS, "--base-url", paged.url, "--cursor", cursor)
    assert same.exit_code == 0, same.output


def test_an_unsigned_cursor_with_headers_is_refused(paged: LocalServer) -> None:
    """The old form: path, query and headers in plain base64 JSON."""
    old = b64(
        json.dumps(
            {
                "v": 1,
                "provider": "github",
                "path": "/user",
                "query": [],
                "headers": {"Host": "intranet.example"},
                "skip": 0,
            }
        ).encode()
    )
    result = run_cli(*ARGS, "--base-url", paged.url, "--cursor", old)
    assert result.exit_code == 2 and paged.requests == []


def test_a_cursor_is_bound_to_its_api_root(paged: LocalServer) -> None:
    cursor = first_cursor(paged)
    with __import__("localserver").serving() as other:
        result = run_cli(*ARGS, "--base-url", other.url, "--cursor", cursor)
        assert result.exit_code == 2 and other.requests == []


def test_a_cursor_is_bound_to_its_account(paged: LocalServer) -> None:
    for name in ("a", "b"):
        added = run_cli(
            "accounts",
            "add",
            name,
            "-P",
            "github",
            "--token-env",
            "GH_T",
            "--base-url",
            paged.url,
            "-p",
            "owner=o",
            "-p",
            "repo_id=r",
        )
        assert added.exit_code == 0, added.output
    env = {"GH_T": TOKEN}
    listing = ["jobs", "list", "-p", "build=7", "--retries", "0"]
    page = run_cli(*listing, "--account", "a", env=env)
    cursor = json.loads(page.stdout)["next_cursor"]
    assert run_cli(*listing, "--account", "a", "--cursor", cursor, env=env).exit_code == 0
    requests = len(paged.requests)
    other = run_cli(*listing, "--account", "b", "--cursor", cursor, env=env)
    assert other.exit_code == 2 and "not one unci handed out" in other.stderr
    assert len(paged.requests) == requests


@pytest.mark.parametrize(
    "cursor", ["x" * 100_000, "é" * 50, "\x00", ".", "..", "a.b", "=" * 9, "e30.e30", "%ff", "😀.😀"]
)
def test_odd_cursors_are_usage_errors(paged: LocalServer, cursor: str) -> None:
    result = run_cli(*ARGS, "--base-url", paged.url, "--cursor", cursor)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("unci: error: github: the cursor is not one unci handed out")
    assert paged.requests == []


# --- the key ---------------------------------------------------------------------------------


def test_the_key_is_kept_0600_next_to_the_accounts_file(paged: LocalServer) -> None:
    cursor = first_cursor(paged)
    path = key_path()
    assert path.parent == __import__("unci.accounts").accounts.config_path().parent
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Another process (a later command) follows it: the key is the file's, not the process's.
    env = {**os.environ, "UNCI_PLUGINS": "github"}
    done = subprocess.run(
        [sys.executable, "-m", "unci", *ARGS, "--base-url", paged.url, "--cursor", cursor],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert paged.requests[-1].path == "/next/page?page=2"


def test_unci_cursor_key_signs_instead(paged: LocalServer, monkeypatch) -> None:
    monkeypatch.setenv(ENV, "k" * 40)
    cursor = first_cursor(paged)
    assert not key_path().exists()
    monkeypatch.setenv(ENV, "j" * 40)
    result = run_cli(*ARGS, "--base-url", paged.url, "--cursor", cursor)
    assert result.exit_code == 2 and "signed with another key" in result.stderr


def test_a_short_cursor_key_is_a_configuration_error(paged: LocalServer, monkeypatch) -> None:
    monkeypatch.setenv(ENV, "short")
    result = run_cli(*ARGS, "--base-url", paged.url)
    assert result.exit_code == 10, result.output
    assert f"{ENV} must be at least 32 characters" in result.stderr


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_key_file_others_can_read_is_refused(paged: LocalServer) -> None:
    path = key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("z" * 64)
    path.chmod(0o644)
    result = run_cli(*ARGS, "--base-url", paged.url)
    assert result.exit_code == 10, result.output
    assert "can be read by other users" in result.stderr and "chmod 600" in result.stderr


def test_all_needs_no_key_on_disk_where_one_page_with_its_cursor_does(paged: LocalServer, tmp_path) -> None:
    """A read-only config folder (a container's) made ``jobs list --all`` exit 10 for the
    cursor key, though it prints no cursor: the walk's cursors never leave the process."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {"UNCI_CONFIG": str(blocker / "accounts.toml")}  # its folder is a file: no key there
    every = run_cli(*ARGS, "--base-url", paged.url, "--all", "--ignore-remote-data", env=env)
    assert every.exit_code == 0, every.output
    assert len(every.stdout.splitlines()) == len(json.loads(PAGE1)["jobs"]) + len(json.loads(PAGE2)["jobs"])
    one = run_cli(*ARGS, "--base-url", paged.url, env=env)  # prints a cursor: it must resume later
    assert one.exit_code == 10 and "cannot keep the cursor key in" in one.stderr
