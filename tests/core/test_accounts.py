"""Integrated accounts: the store, the CLI, and using an account to fetch."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

import unci
from helpers import cassette_body, run_cli
from localserver import Reply
from unci import accounts

JOB = cassette_body("github", "get_job")
SECRET = "ghp_ACCOUNTSECRET123456"


def config() -> Path:
    return Path(os.environ["UNCI_CONFIG"])


def add(*args: str, input: str | None = None):
    return run_cli("accounts", "add", *args, input=input)


def test_token_env_account_fetches_with_its_params(server, monkeypatch) -> None:
    server.route("/repos/octo-org/octo-repo/actions/jobs/7", Reply(body=JOB))
    monkeypatch.setenv("WORK_GH", SECRET)
    result = add(
        "work",
        "-P",
        "github",
        "--token-env",
        "WORK_GH",
        "--base-url",
        server.url,
        "-p",
        "owner=octo-org",
        "-p",
        "repo_id=octo-repo",
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(config().stat().st_mode) == 0o600
    assert SECRET not in config().read_text()
    got = run_cli("jobs", "get", "7", "--account", "work")
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout)["id"] == "399444496"
    assert server.requests[-1].headers["Authorization"] == f"Bearer {SECRET}"
    # explicit options override the account
    run_cli("jobs", "get", "7", "--account", "work", "--token", "ghp_explicit")
    assert server.requests[-1].headers["Authorization"] == "Bearer ghp_explicit"


def test_literal_token_is_stored_but_never_shown(server) -> None:
    server.route("/repos/o/r/actions/jobs/1", Reply(body=JOB))
    result = add("lit", "-P", "github", "--token-stdin", "--base-url", server.url, input=SECRET + "\n")
    assert result.exit_code == 0
    assert "stored in the accounts file" in result.stderr
    assert SECRET in config().read_text()
    for command in (
        ["accounts", "show", "lit"],
        ["accounts", "show", "lit", "--json"],
        ["accounts", "list"],
        ["accounts", "list", "--json"],
    ):
        shown = run_cli(*command)
        assert shown.exit_code == 0 and SECRET not in shown.output
    assert "stored in the accounts file (hidden)" in run_cli("accounts", "show", "lit").stdout
    job = unci.get_job(None, "1", account="lit", params={"owner": "o", "repo_id": "r"})
    assert job.id == "399444496"
    assert server.requests[-1].headers["Authorization"] == f"Bearer {SECRET}"


def test_account_found_by_uuid(server) -> None:
    add("byid", "-P", "github", "--base-url", server.url)
    account_id = accounts.load()["byid"].id
    server.route("/repos/o/r/actions/jobs/1", Reply(body=JOB))
    result = run_cli("jobs", "get", "1", "--account", account_id, "-p", "owner=o", "-p", "repo_id=r")
    assert result.exit_code == 0, result.output


def test_readable_by_others_is_refused() -> None:
    add("a", "-P", "github", "--token-env", "X")
    config().chmod(0o644)
    result = run_cli("accounts", "list")
    assert result.exit_code == 10
    assert "can be read by other users (mode 644)" in result.stderr
    assert f"chmod 600 {config()}" in result.stderr


def test_write_is_atomic(monkeypatch) -> None:
    add("first", "-P", "github", "--token-env", "X")
    before = config().read_text()

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(unci.ConfigError, match=r"cannot write the accounts file .*: disk full"):
        accounts.save({**accounts.load(), "second": accounts.Account(name="second", provider="github")})
    assert config().read_text() == before
    left = sorted(p.name for p in config().parent.iterdir())
    assert left == [".accounts.toml.lock", "accounts.toml"]  # no temp file left


def test_unknown_account_lists_known_ones() -> None:
    add("known", "-P", "github", "--token-env", "X")
    result = run_cli("jobs", "get", "1", "--account", "nope")
    assert result.exit_code == 2
    assert "no account named 'nope'" in result.stderr and "(accounts: known)" in result.stderr


def test_provider_mismatch_and_bad_names() -> None:
    add("gh", "-P", "github", "--token-env", "X")
    result = run_cli("jobs", "get", "1", "--account", "gh", "-P", "travis")
    assert result.exit_code == 2 and "is a github account, not travis" in result.stderr
    assert add("bad name", "-P", "github").exit_code == 2
    # A trailing line break slipped past the name's pattern ("$" matches before one).
    refused = add("work\n", "-P", "github")
    assert refused.exit_code == 2 and "use ASCII letters, digits" in refused.stderr
    assert "work\n" not in accounts.load()
    assert add("x", "-P", "nosuchprovider").exit_code == 2
    assert add("gh", "-P", "github").exit_code == 2  # exists
    assert add("gh", "-P", "github", "--replace").exit_code == 0


def test_remove() -> None:
    add("gone", "-P", "github", "--token-env", "X")
    assert run_cli("accounts", "remove", "gone").exit_code == 0
    assert accounts.load() == {}


def test_accounts_test_reports_who(server, monkeypatch) -> None:
    server.route("/user", Reply(body=b'{"login":"octocat","name":"The Octocat","id":1}'))
    monkeypatch.setenv("GH_WORK", SECRET)
    add("w", "-P", "github", "--token-env", "GH_WORK", "--base-url", server.url)
    result = run_cli("accounts", "test", "w")
    assert result.exit_code == 0, result.output
    assert f"account 'w' (github, {server.url}) authenticates as octocat (The Octocat)" in result.stdout
    assert server.requests[-1].headers["Authorization"] == f"Bearer {SECRET}"


def test_accounts_test_with_a_refused_token(server, monkeypatch) -> None:
    server.route("/user", Reply(401, b'{"message":"Bad credentials"}'))
    monkeypatch.setenv("GH_WORK", SECRET)
    add("w", "-P", "github", "--token-env", "GH_WORK", "--base-url", server.url)
    result = run_cli("accounts", "test", "w")
    assert result.exit_code == 4
    assert "token was refused" in result.stderr and SECRET not in result.output
    # The account's own token is what to change: the provider's variables are never read for it.
    assert result.stderr.strip().endswith(
        "Supply a valid token with the account's own: unci accounts add w -P github --replace "
        "--token-env VAR (or --token-stdin)"
    )
    assert "GITHUB_TOKEN" not in result.stderr


def test_accounts_test_without_credentials(server) -> None:
    """Nothing is sent, so nothing was refused: a configuration error (10), not a 401's 4."""
    add("empty", "-P", "github", "--base-url", server.url)
    result = run_cli("accounts", "test", "empty")
    assert result.exit_code == 10
    assert result.stderr.strip() == (
        "unci: error: github: account 'empty' has no credentials to test; give it some with: "
        "unci accounts add empty -P github --replace --token-env VAR (or --token-stdin)"
    )
    assert server.requests == []


def test_accounts_test_with_its_variable_unset() -> None:
    add("unset", "-P", "github", "--token-env", "NOT_SET_ANYWHERE")
    result = run_cli("accounts", "test", "unset")
    assert result.exit_code == 10
    assert (
        "account 'unset' takes its token from the environment variable NOT_SET_ANYWHERE, which is not set"
    ) in result.stderr


def test_keyring_store(server) -> None:
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1
        store: dict = {}

        def get_password(self, service, username):
            return self.store.get((service, username))

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def delete_password(self, service, username):
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        result = add(
            "kr", "-P", "github", "--token-stdin", "--keyring", "--base-url", server.url, input=SECRET
        )
        assert result.exit_code == 0, result.output
        assert SECRET not in config().read_text()
        assert "OS keyring" in run_cli("accounts", "show", "kr").stdout
        server.route("/repos/o/r/actions/jobs/1", Reply(body=JOB))
        unci.get_job(None, "1", account="kr", params={"owner": "o", "repo_id": "r"})
        assert server.requests[-1].headers["Authorization"] == f"Bearer {SECRET}"
        run_cli("accounts", "remove", "kr")
        assert Memory.store == {}
    finally:
        keyring.set_keyring(previous)


# provider, path the server sees, documented answer shape, who unci reports, extra add options
IDENTITIES = [
    ("github", "/user", {"login": "octocat", "name": "The Octocat"}, "octocat (The Octocat)", []),
    ("circleci", "/me", {"id": "1", "login": "octocat", "name": "Octo Cat"}, "octocat (Octo Cat)", []),
    (
        "travis",
        "/user",
        {"@type": "user", "id": 1, "login": "danielpclark", "name": "Daniel P. Clark"},
        "danielpclark (Daniel P. Clark)",
        [],
    ),
    (
        "bitbucket",
        "/user",
        {"type": "user", "display_name": "Jo Dev", "nickname": "jodev"},
        "jodev (Jo Dev)",
        [],
    ),
    (
        "buddy",
        "/user",
        {"id": 1, "name": "Mike Benson", "email": "mike@example.com"},
        "mike@example.com (Mike Benson)",
        [],
    ),
    (
        "gitlab",
        "/user",
        {"id": 1, "username": "john_smith", "name": "John Smith"},
        "john_smith (John Smith)",
        [],
    ),
    (
        "buildkite",
        "/user",
        {"id": "abc", "name": "Keith Pitt", "email": "keith@example.com"},
        "keith@example.com (Keith Pitt)",
        [],
    ),
    (
        "jenkins",
        "/me/api/json",
        {"_class": "hudson.model.User", "id": "admin", "fullName": "Jenkins Admin"},
        "admin (Jenkins Admin)",
        ["--username", "admin"],
    ),
    (
        "azure-devops",
        "/contoso/_apis/connectionData",
        {"authenticatedUser": {"providerDisplayName": "Jamal Hartnett", "uniqueName": "jamal@contoso.com"}},
        "jamal@contoso.com (Jamal Hartnett)",
        ["-p", "organization=contoso"],
    ),
]


@pytest.mark.parametrize(
    ("provider", "path", "body", "who", "extra"), IDENTITIES, ids=[i[0] for i in IDENTITIES]
)
def test_accounts_test_on_every_provider(server, monkeypatch, provider, path, body, who, extra) -> None:
    server.route(path, Reply(body=json.dumps(body).encode()))
    monkeypatch.setenv("ACCOUNT_SECRET", SECRET)
    added = add("acct", "-P", provider, "--token-env", "ACCOUNT_SECRET", "--base-url", server.url, *extra)
    assert added.exit_code == 0, added.output
    result = run_cli("accounts", "test", "acct")
    assert result.exit_code == 0, result.output
    assert f"authenticates as {who}" in result.stdout
    assert server.requests[-1].path == path
    assert SECRET not in result.output


def test_azure_devops_identity_needs_the_organization(monkeypatch) -> None:
    monkeypatch.setenv("ACCOUNT_SECRET", SECRET)
    add("az", "-P", "azure-devops", "--token-env", "ACCOUNT_SECRET")
    result = run_cli("accounts", "test", "az")
    assert result.exit_code == 2 and "needs the account's organization" in result.stderr


def test_identity_answer_that_is_not_json_is_a_decode_error(server, monkeypatch) -> None:
    server.route("/user", Reply(body=b"<html>login page</html>"))
    monkeypatch.setenv("ACCOUNT_SECRET", SECRET)
    add("gl", "-P", "gitlab", "--token-env", "ACCOUNT_SECRET", "--base-url", server.url)
    result = run_cli("accounts", "test", "gl")
    assert result.exit_code == 9 and result.stderr.startswith("unci: error: gitlab: ")
