"""The accounts file under pressure: concurrent writers, wrong types, things that are not
files, a keyring with no backend, and accounts that must not borrow another token.

``unci`` runs as real processes here, on a real file, against a real server on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import cassette_body, one_error_line, run_cli, run_unci
from localserver import Reply
from unci import accounts
from unci.call import resolve_target
from unci.plugins import registry

JOB = cassette_body("github", "get_job")
SECRET = "ghp_ACCOUNTFILE0123456789"
OTHER = "ghp_SOMEONEELSES0123456789"
GET = ["jobs", "get", "7", "-p", "owner=o", "-p", "repo_id=r", "--retries", "0"]


def config() -> Path:
    return Path(os.environ["UNCI_CONFIG"])


def write_accounts(text: str) -> Path:
    path = config()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


# --- concurrent writers --------------------------------------------------------------------


def test_twenty_concurrent_adds_keep_every_account() -> None:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "unci",
                "accounts",
                "add",
                f"acct{n}",
                "-P",
                "github",
                "--token-env",
                f"TOKEN_{n}",
                "-p",
                f"owner=org{n}",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(20)
    ]
    outcomes = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in processes]
    for p in processes:
        p.stdout.close()
        p.stderr.close()
    assert all(code == 0 for code, _, _ in outcomes), outcomes
    assert all("added account" in err and out == "" for _, out, err in outcomes)
    stored = accounts.load()
    assert sorted(stored) == sorted(f"acct{n}" for n in range(20))
    assert {stored[f"acct{n}"].params["owner"] for n in range(20)} == {f"org{n}" for n in range(20)}
    assert len({a.id for a in stored.values()}) == 20
    # no temporary file is left behind, only the file and its (empty) lock
    assert sorted(p.name for p in config().parent.iterdir()) == [".accounts.toml.lock", "accounts.toml"]


def test_concurrent_removes_and_adds_lose_nothing() -> None:
    for n in range(6):
        assert run_unci("accounts", "add", f"old{n}", "-P", "github").returncode == 0
    commands = [["accounts", "remove", f"old{n}"] for n in range(6)] + [
        ["accounts", "add", f"new{n}", "-P", "github"] for n in range(6)
    ]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "unci", *c], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        for c in commands
    ]
    errors = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    for p in processes:
        p.stderr.close()
    assert all(code == 0 for code, _ in errors), errors
    assert sorted(accounts.load()) == sorted(f"new{n}" for n in range(6))


# --- an account's credentials come from the account alone ---------------------------------


def test_unset_token_variable_never_falls_back_to_another_token(server) -> None:
    server.route("/repos/o/r/actions/jobs/7", Reply(body=JOB))
    added = run_unci(
        "accounts", "add", "x", "-P", "github", "--token-env", "NOPE_VAR", "--base-url", server.url
    )
    assert added.returncode == 0, added.stderr
    assert "NOPE_VAR (--token-env) is not set now" in added.stderr
    result = run_unci(
        *GET, "--account", "x", env={"GITHUB_TOKEN": OTHER, "UNCI_GITHUB_TOKEN": OTHER, "GH_TOKEN": OTHER}
    )
    assert result.returncode == 10, result.stderr
    line = one_error_line(result.stderr)
    assert "account 'x' takes its token from the environment variable NOPE_VAR" in line
    assert "not set" in line and OTHER not in result.stderr
    assert server.requests == []  # nothing was sent, least of all someone else's token


def test_unset_password_variable_is_an_error(server) -> None:
    added = run_unci(
        "accounts",
        "add",
        "j",
        "-P",
        "jenkins",
        "--username",
        "bot",
        "--password-env",
        "JENKINS_NOPE",
        "--base-url",
        server.url,
    )
    assert added.returncode == 0, added.stderr
    result = run_unci(
        "jobs",
        "get",
        "14",
        "--account",
        "j",
        "-p",
        "job=jobbb",
        "--retries",
        "0",
        env={"UNCI_JENKINS_PASSWORD": OTHER, "JENKINS_API_TOKEN": OTHER},
    )
    assert result.returncode == 10, result.stderr
    assert "account 'j' takes its password from the environment variable JENKINS_NOPE" in one_error_line(
        result.stderr
    )
    assert server.requests == []


def test_account_without_a_token_sends_none_of_the_environments(server) -> None:
    server.route("/repos/o/r/actions/jobs/7", Reply(body=JOB))
    assert run_unci("accounts", "add", "anon", "-P", "github", "--base-url", server.url).returncode == 0
    result = run_unci(*GET, "--account", "anon", env={"GITHUB_TOKEN": OTHER})
    assert result.returncode == 0, result.stderr
    assert "Authorization" not in server.requests[-1].headers


def test_account_without_a_base_url_uses_the_hosted_default(monkeypatch) -> None:
    # UNCI_GITHUB_BASE_URL is for calls without an account; an account's token never follows it.
    accounts.save({"gh": accounts.Account(name="gh", provider="github", token=SECRET)})
    monkeypatch.setenv("UNCI_GITHUB_BASE_URL", "http://127.0.0.1:9")
    target = resolve_target(None, account="gh")
    assert target.base_url == registry().info("github").base_url.rstrip("/")
    assert resolve_target("github").base_url == "http://127.0.0.1:9"


def test_add_checks_params_against_the_provider() -> None:
    result = run_unci("accounts", "add", "x", "-P", "github", "-p", "ownr=x")
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert "unknown parameter(s) 'ownr' (did you mean 'owner'?)" in line
    assert not config().exists()
    # a list-only param is a valid default, and required ones may be left for each call
    ok = run_unci("accounts", "add", "x", "-P", "github", "-p", "build=12")
    assert ok.returncode == 0, ok.stderr
    bad = run_unci("accounts", "add", "y", "-P", "github", "-p", "owner=")
    assert bad.returncode == 2 and "parameter 'owner' is empty" in one_error_line(bad.stderr)
    # A value every later call would refuse is refused now, as strictly as its path takes it.
    for pair in ("owner=..", "repo_id=.", "build=.."):
        dotted = run_unci("accounts", "add", "z", "-P", "github", "-p", "owner=o", "-p", pair)
        assert dotted.returncode == 2, (pair, dotted.stderr)
        assert "has an empty or dot ('.', '..') path part" in one_error_line(dotted.stderr)
    assert set(accounts.load()) == {"x"}


def test_add_refuses_a_variable_name_that_is_not_one() -> None:
    result = run_unci("accounts", "add", "x", "-P", "github", "--token-env", "$GITHUB_TOKEN")
    assert result.returncode == 2
    assert "--token-env takes the name of an environment variable" in one_error_line(result.stderr)


# --- a mistyped file -----------------------------------------------------------------------


MISTYPED = [
    ('accounts = "x"', "'accounts' must be a table of accounts", None),
    ("accounts = [1, 2]", "'accounts' must be a table of accounts", None),
    ('[accounts]\na = "x"', "account 'a'", "not a table"),
    ("[accounts]\na = 5", "account 'a'", "not a table"),
    ('[accounts.a]\nprovider = "github"\nparams = "owner=o"', "account 'a'", "params must be a table"),
    ('[accounts.a]\nprovider = "github"\nparams = ["o"]', "account 'a'", "params must be a table"),
    ('[accounts.a]\nprovider = "github"\nparams = {owner = ["o"]}', "account 'a'", "params.owner"),
    ('[accounts.a]\nprovider = "github"\nparams = {owner = {x = 1}}', "account 'a'", "params.owner"),
    ('[accounts.a]\nprovider = "github"\nparams = {owner = true}', "account 'a'", "params.owner"),
    ('[accounts.a]\nprovider = "github"\ntoken = 12345678', "account 'a'", "token must be a string"),
    ('[accounts.a]\nprovider = "github"\ntoken = {v = "12345678"}', "account 'a'", "token must be a string"),
    ('[accounts.a]\nprovider = "github"\ntoken_env = 5', "account 'a'", "token_env must be a string"),
    ("[accounts.a]\nprovider = 5", "account 'a'", "provider must be a string"),
    ('[accounts.a]\ntoken_env = "X"', "account 'a'", "has no provider"),
    ('[accounts.a]\nprovider = "github"\nusername = []', "account 'a'", "username must be a string"),
    ('[accounts.a]\nprovider = "github"\nbase_url = 1', "account 'a'", "base_url must be a string"),
    ('[accounts.a]\nprovider = "github"\nid = 1', "account 'a'", "id must be a string"),
    ('[accounts.a]\nprovider = "github"\ntoken_store = "vault"', "account 'a'", "token_store"),
    (
        '[accounts.a]\nprovider = "github"\ntokn_env = "X"',
        "account 'a'",
        "unknown key(s) 'tokn_env' (did you mean 'token_env'?)",
    ),
]


@pytest.mark.parametrize(("text", "names", "says"), MISTYPED, ids=[m[0] for m in MISTYPED])
def test_mistyped_file_is_a_config_error(text, names, says) -> None:
    path = write_accounts(text + "\n")
    listed = run_unci("accounts", "list")
    used = run_cli(*GET, "--account", "a")  # in-process: the same code, without a second start-up
    for code, stderr in ((listed.returncode, listed.stderr), (used.exit_code, used.stderr)):
        assert code == 10, stderr
        line = one_error_line(stderr)
        assert names in line and str(path) in line, line
        if says:
            assert says in line, line
        assert "12345678" not in line  # a mistyped token is named, never shown


def test_integer_param_values_are_read_as_text() -> None:
    write_accounts('[accounts.a]\nprovider = "github"\nparams = {build = 12}\n')
    assert accounts.load()["a"].params == {"build": "12"}


# --- not a regular file --------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_at_the_accounts_path_is_refused_without_blocking() -> None:
    config().parent.mkdir(parents=True)
    os.mkfifo(config(), 0o600)
    started = time.monotonic()
    for command in (["accounts", "list"], [*GET, "--account", "a"], ["accounts", "add", "a", "-P", "github"]):
        result = run_unci(*command, timeout=30)  # blocking on the FIFO would time out
        assert result.returncode == 10, result.stderr
        assert "is a named pipe (FIFO), not a regular file" in one_error_line(result.stderr)
    assert time.monotonic() - started < 30


def test_a_directory_at_the_accounts_path_is_refused() -> None:
    config().mkdir(parents=True)
    for command in (["accounts", "list"], ["accounts", "add", "a", "-P", "github"], [*GET, "--account", "a"]):
        result = run_unci(*command)
        assert result.returncode == 10, result.stderr
        assert "is a directory, not a regular file" in one_error_line(result.stderr)


def test_the_lock_folder_cannot_be_created(tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = run_unci(
        "accounts", "add", "a", "-P", "github", env={"UNCI_CONFIG": str(blocker / "accounts.toml")}
    )
    assert result.returncode == 10, result.stderr
    assert "accounts file" in one_error_line(result.stderr)


# --- a keyring with no backend -------------------------------------------------------------


NO_BACKEND = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def test_keyring_without_a_backend_on_add() -> None:
    pytest.importorskip("keyring")
    result = run_unci(
        "accounts",
        "add",
        "k",
        "-P",
        "github",
        "--token-stdin",
        "--keyring",
        input=SECRET + "\n",
        env=NO_BACKEND,
    )
    assert result.returncode == 10, result.stderr
    line = one_error_line(result.stderr)
    assert "no OS keyring backend is available" in line and "--token-env" in line
    assert not config().exists()


def test_keyring_without_a_backend_on_use() -> None:
    pytest.importorskip("keyring")
    write_accounts('[accounts.k]\nprovider = "github"\ntoken_store = "keyring"\n')
    result = run_unci(*GET, "--account", "k", env=NO_BACKEND)
    assert result.returncode == 10, result.stderr
    assert "cannot read the token of account 'k' in the OS keyring" in one_error_line(result.stderr)
    # removing the account still works: its keyring entry is gone with the keyring
    assert run_unci("accounts", "remove", "k", env=NO_BACKEND).returncode == 0
