"""Credentials checked where they enter: options, files, standard input, variables, accounts.

Each CLI case runs ``unci`` as a real process against a real HTTP server on 127.0.0.1, and
asserts on what a user sees: the exit code, one error line that names where the bad value came
from and never the value, and no request sent (so nothing to retry either).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from urllib.parse import quote

import pytest

import unci
from helpers import GITHUB_GET, cassette_body, one_error_line, run_cli, run_unci
from localserver import Reply
from unci import accounts
from unci.call import resolve_target
from unci.redact import REDACTED, scrub, scrub_bytes

JOB = cassette_body("github", "get_job")
TOKEN = "ghp_ENTRYCHECK0123456789"
GET = ["jobs", "get", "7", "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "--retries", "3"]


@pytest.fixture
def upstream(server):
    server.route("/repos/o/r/actions/jobs/7", Reply(body=JOB))
    return server


def write_accounts(text: str) -> Path:
    path = Path(os.environ["UNCI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def refused(result, code: int, *names: str, value: str = TOKEN) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    line = one_error_line(result.stderr)
    for name in names:
        assert name in line, line
    for form in (value, value.strip(), repr(value)[1:-1], quote(value, safe="")):
        assert form not in result.stderr and form not in result.stdout, result.stderr
    assert "retrying" not in result.stderr
    return line


# --- a token with a character HTTP cannot carry ------------------------------------------------


BAD = [
    ("\r", "a carriage return at the end"),
    ("\t", "a tab at the end"),
    ("\x1b", "U+001B at the end"),
    ("\n\n", "a line break at the end"),
]


@pytest.mark.parametrize(("tail", "said"), BAD, ids=["cr", "tab", "esc", "two-newlines"])
def test_token_option_with_a_control_character(upstream, tail, said) -> None:
    result = run_unci(*GET, "--base-url", upstream.url, "--token", TOKEN + tail)
    line = refused(result, 2, "--token", said, value=TOKEN + tail)
    assert "not shown" in line
    assert upstream.requests == []


@pytest.mark.parametrize("variable", ["UNCI_GITHUB_TOKEN", "GITHUB_TOKEN"])
def test_token_variable_from_a_crlf_file(upstream, variable) -> None:
    # TOKEN=$(cat token.txt) on a file with Windows line endings: the shell drops the \n only.
    result = run_unci(*GET, "--base-url", upstream.url, env={variable: TOKEN + "\r"})
    line = refused(result, 10, f"environment variable {variable}", "carriage return", value=TOKEN + "\r")
    assert "tr -d" in line
    assert upstream.requests == []


@pytest.mark.parametrize("tail", ["\n", "\r\n"])
def test_one_trailing_newline_is_forgiven(upstream, tail, tmp_path) -> None:
    # A Kubernetes secret made from a file keeps the file's last newline.
    result = run_unci(*GET, "--base-url", upstream.url, env={"GITHUB_TOKEN": TOKEN + tail})
    assert result.returncode == 0, result.stderr
    assert upstream.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_account_token_variable_with_a_control_character(upstream) -> None:
    write_accounts(f'[accounts.w]\nprovider = "github"\ntoken_env = "W_TOKEN"\nbase_url = "{upstream.url}"\n')
    result = run_unci(
        "jobs",
        "get",
        "7",
        "--account",
        "w",
        "-p",
        "owner=o",
        "-p",
        "repo_id=r",
        env={"W_TOKEN": TOKEN + "\r"},
    )
    refused(result, 10, "environment variable W_TOKEN", "account 'w'", value=TOKEN + "\r")
    assert upstream.requests == []


def test_stored_token_with_a_control_character(upstream) -> None:
    write_accounts(f'[accounts.w]\nprovider = "github"\ntoken = "{TOKEN}\\t"\nbase_url = "{upstream.url}"\n')
    result = run_unci("jobs", "get", "7", "--account", "w", "-p", "owner=o", "-p", "repo_id=r")
    refused(result, 10, "account 'w'", "the token in the accounts file", "a tab")
    assert upstream.requests == []


def test_non_ascii_token_is_a_clear_error(upstream) -> None:
    token = "ghp_\u201cquoted\u201d12345"  # pasted with typographic quotes
    result = run_unci(*GET, "--base-url", upstream.url, "--token", token)
    line = refused(result, 2, "--token", "non-ASCII", value=token)
    assert "position 5" in line
    assert upstream.requests == []


def test_non_ascii_password_is_sent_as_utf8_basic_auth(server) -> None:
    # Basic auth carries user:password base64-encoded, so any printable character is fine.
    server.route("/job/jobbb/14/api/json", Reply(body=cassette_body("jenkins", "get_job")))
    result = run_unci(
        "jobs",
        "get",
        "14",
        "-P",
        "jenkins",
        "-p",
        "job=jobbb",
        "--base-url",
        server.url,
        "--username",
        "bot",
        env={"UNCI_JENKINS_PASSWORD": "pässwörd"},
    )
    assert result.returncode == 0, result.stderr
    pair = base64.b64encode("bot:pässwörd".encode()).decode()
    assert server.requests[-1].headers["Authorization"] == f"Basic {pair}"


def test_python_api_names_the_argument() -> None:
    with pytest.raises(unci.UsageError, match=r"^the token= argument holds a carriage return"):
        unci.get_job(
            "github",
            "1",
            params={"owner": "o", "repo_id": "r"},
            token=TOKEN + "\r",
            base_url="http://127.0.0.1:9",
        )
    with pytest.raises(
        unci.UsageError, match=r"^the password= argument holds a line break at position 2 of 3"
    ):
        unci.get_job("jenkins", "1", params={"job": "j"}, username="u", password="p\nw", base_url="http://h")


def test_the_cli_names_its_option() -> None:
    result = run_cli(*GITHUB_GET, "--base-url", "http://127.0.0.1:9", "--token", TOKEN + "\r")
    assert result.exit_code == 2
    assert result.stderr.startswith("unci: error: --token holds a carriage return at the end")
    result = run_cli("jobs", "get", "1", "-P", "jenkins", "-p", "job=j", "--username", "a\tb")
    assert result.exit_code == 2
    assert result.stderr.startswith("unci: error: --username holds a tab at position 2 of 3")


# --- the token off the command line ------------------------------------------------------------


def test_token_stdin(upstream) -> None:
    result = run_unci(*GET, "--base-url", upstream.url, "--token-stdin", input=TOKEN + "\n")
    assert result.returncode == 0, result.stderr
    assert upstream.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_token_file(upstream, tmp_path) -> None:
    path = tmp_path / "token.txt"
    path.write_bytes(TOKEN.encode() + b"\r\n")  # saved on Windows
    result = run_unci(
        "jobs",
        "list",
        "-P",
        "github",
        "-p",
        "owner=o",
        "-p",
        "repo_id=r",
        "-p",
        "build=1",
        "--base-url",
        upstream.url,
        "--token-file",
        str(path),
    )
    assert upstream.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--token", TOKEN, "--token-stdin"], "give the token one way, not --token and --token-stdin"),
        (["--token-file", "."], "--token-file: . is not a file"),
        (["--token-file", "/nonexistent/token"], "--token-file: cannot read /nonexistent/token"),
    ],
)
def test_token_file_and_stdin_mistakes(upstream, args, said) -> None:
    result = run_unci(*GET, "--base-url", upstream.url, *args, input="")
    assert said in refused(result, 2)
    assert upstream.requests == []


def test_empty_token_stdin_is_refused(upstream) -> None:
    result = run_unci(*GET, "--base-url", upstream.url, "--token-stdin", input="\n")
    assert "--token-stdin is empty" in refused(result, 2)


def test_accounts_add_token_file_keeps_it_out_of_argv(upstream, tmp_path) -> None:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    added = run_unci(
        "accounts", "add", "f", "-P", "github", "--token-file", str(path), "--base-url", upstream.url
    )
    assert added.returncode == 0, added.stderr
    assert accounts.load()["f"].token == TOKEN
    got = run_unci("jobs", "get", "7", "--account", "f", "-p", "owner=o", "-p", "repo_id=r")
    assert got.returncode == 0, got.stderr
    assert upstream.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_accounts_add_refuses_a_bad_token_before_writing(tmp_path) -> None:
    result = run_unci("accounts", "add", "s", "-P", "github", "--token-stdin", input=TOKEN + "\r\n\r\n")
    refused(result, 2, "--token-stdin", "a carriage return")
    assert not Path(os.environ["UNCI_CONFIG"]).exists()


def test_repr_of_an_account_hides_its_token() -> None:
    account = accounts.Account(name="a", provider="github", token=TOKEN)
    assert TOKEN not in repr(account) and TOKEN not in str(account)


# --- user name and password in the base URL ---------------------------------------------------


def test_userinfo_in_base_url_option_is_refused(upstream) -> None:
    host = upstream.url.removeprefix("http://")
    result = run_unci(*GET, "--token", TOKEN, "--base-url", f"http://bot:hunter2pass@{host}")
    line = refused(result, 2, "base URL", "--base-url", "user name or password", value="hunter2pass")
    assert f"http://{REDACTED}@{host}" in line
    assert upstream.requests == []


@pytest.mark.parametrize("tail", ["?x=1", "/api?", "#frag"])
def test_a_base_url_with_a_query_or_fragment_is_refused(upstream, tail: str) -> None:
    """Paths are appended to the root: ``http://h?x=1`` asked for ``/?x=1%2Frepos...``, and the
    404 that came back read like a wrong id."""
    host = upstream.url.removeprefix("http://")
    result = run_unci(*GET, "--token", TOKEN, "--base-url", f"http://{host}{tail}")
    line = refused(result, 2, "(from --base-url) has a query or fragment", "e.g. https://api.github.com")
    result = run_unci(*GET, "--token", TOKEN, env={"UNCI_GITHUB_BASE_URL": f"http://{host}{tail}"})
    refused(result, 10, "(from environment variable UNCI_GITHUB_BASE_URL) has a query or fragment")
    added = run_unci(
        "accounts", "add", "q", "-P", "github", "--token-env", "T", "--base-url", f"http://{host}{tail}"
    )
    refused(added, 2, "has a query or fragment")
    assert "q" not in run_unci("accounts", "list", "--json").stdout
    assert upstream.requests == []
    assert "--remote-query" in line


def test_userinfo_in_base_url_variable_is_refused(upstream) -> None:
    host = upstream.url.removeprefix("http://")
    result = run_unci(*GET, env={"UNCI_GITHUB_BASE_URL": f"http://bot:hunter2pass@{host}"})
    refused(result, 10, "environment variable UNCI_GITHUB_BASE_URL", value="hunter2pass")
    assert upstream.requests == []


def test_userinfo_in_an_account(upstream) -> None:
    host = upstream.url.removeprefix("http://")
    added = run_unci("accounts", "add", "u", "-P", "github", "--base-url", f"http://bot:hunter2pass@{host}")
    refused(added, 2, "--base-url", value="hunter2pass")
    assert not Path(os.environ["UNCI_CONFIG"]).exists()
    # A file written by hand (or by an older unci) is never shown or used with it.
    write_accounts(f'[accounts.u]\nprovider = "github"\nbase_url = "http://bot:hunter2pass@{host}"\n')
    for command in (["accounts", "list"], ["accounts", "list", "--json"], ["accounts", "show", "u"]):
        shown = run_unci(*command)
        assert shown.returncode == 0 and "hunter2pass" not in shown.stdout, shown.stderr
    got = run_unci("jobs", "get", "7", "--account", "u", "-p", "owner=o", "-p", "repo_id=r")
    refused(got, 10, "account 'u': base_url", value="hunter2pass")
    assert upstream.requests == []


# --- the scrubber: every form a secret takes in text -------------------------------------------


SECRET = 'tok"en\\with/odd é chars'


@pytest.mark.parametrize(
    "form",
    [
        repr(SECRET)[1:-1],
        ascii(SECRET)[1:-1],
        repr(SECRET.encode())[2:-1],
        json.dumps(SECRET)[1:-1],
        json.dumps(SECRET, ensure_ascii=False)[1:-1],
        quote(SECRET, safe=""),
        quote(SECRET),
        quote(SECRET, safe="").lower(),
    ],
    ids=["repr", "ascii", "bytes-repr", "json", "json-utf8", "url", "url-path", "url-lower"],
)
def test_scrub_catches_escaped_forms(form) -> None:
    text = f"the server said: {form}!"
    assert scrub(text, [SECRET]) == f"the server said: {REDACTED}!"
    assert scrub_bytes(text.encode(), [SECRET]) == f"the server said: {REDACTED}!".encode()


CAPITALS = "Tok/En+Key=Z 9"


@pytest.mark.parametrize(
    "form",
    ["Tok%2FEn%2BKey%3DZ%209", "Tok%2fEn%2bKey%3dZ%209", "Tok/En%2bKey%3dZ%209", "Tok%2fEn%2bKey%3dZ+9"],
    ids=["url", "url-lower-hex", "url-path-lower-hex", "url-plus-lower-hex"],
)
def test_a_secret_with_capitals_is_caught_with_its_escapes_in_either_case(form) -> None:
    """Percent-escapes may come in lower case; the secret's own letters keep theirs."""
    assert scrub(f"GET /?token={form} 401", [CAPITALS]) == f"GET /?token={REDACTED} 401"
    assert scrub_bytes(f"token={form}".encode(), [CAPITALS]) == f"token={REDACTED}".encode()


def test_target_secrets_cover_the_basic_auth_pair() -> None:
    target = resolve_target("jenkins", username="bot", password="s3cret-pass", base_url="http://127.0.0.1:9")
    pair = base64.b64encode(b"bot:s3cret-pass").decode()
    assert scrub(f"echo: Basic {pair}", target.secrets) == f"echo: Basic {REDACTED}"


def test_an_echo_of_the_token_in_json_is_scrubbed_from_the_error(server) -> None:
    token = 'ghp_with"quote\\and/slash'
    # What a proxy or API echoes back: the token inside a JSON string, JSON-escaped.
    server.route(
        "/repos/o/r/actions/jobs/7",
        Reply(401, json.dumps({"message": "Bad credentials", "sent": token}).encode()),
    )
    result = run_unci(*GET, "--base-url", server.url, "--token", token, "--error-format", "json")
    assert result.returncode == 4, result.stderr
    envelope = json.loads(result.stderr)
    assert envelope["raw_response"]["sent"] == REDACTED
    assert token not in result.stderr and json.dumps(token)[1:-1] not in result.stderr
