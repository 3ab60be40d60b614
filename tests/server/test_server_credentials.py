"""The server's answers when an account's credentials or API root are unusable: a clear
envelope naming the account and the variable, never the value, and no request upstream."""

from __future__ import annotations

from urllib.parse import quote

from serverkit import GH_SECRET, add_account

GET = "/unified/ci-cd/jobs/399444496"


def test_token_variable_ending_in_cr_is_named_not_shown(api, gh, server, monkeypatch) -> None:
    # A Kubernetes secret made from a file saved with Windows line endings.
    monkeypatch.setenv("GH_WORK_TOKEN", GH_SECRET + "\r")
    response = api.get(GET, params={"integrated_account_id": "gh"})
    assert response.status_code == 500, response.text
    message = response.json()["message"]
    assert "environment variable GH_WORK_TOKEN" in message and "account 'gh'" in message
    assert "carriage return" in message
    for form in (GH_SECRET, quote(GH_SECRET)):
        assert form not in response.text
    assert server.requests == []


def test_token_variable_unset_is_named(api, gh, server, monkeypatch) -> None:
    monkeypatch.delenv("GH_WORK_TOKEN")
    monkeypatch.setenv("GITHUB_TOKEN", GH_SECRET)  # the server's own; never the account's
    response = api.get(GET, params={"integrated_account_id": "gh"})
    assert response.status_code == 500
    assert (
        "account 'gh' takes its token from the environment variable GH_WORK_TOKEN, which is not set"
    ) in response.json()["message"]
    assert server.requests == []


def test_userinfo_in_an_accounts_base_url_is_not_shown(api, gh, server) -> None:
    host = server.url.removeprefix("http://")
    add_account(
        "userinfo",
        "github",
        f"http://bot:hunter2pass@{host}",
        token_env="GH_WORK_TOKEN",
        owner="octo-org",
        repo_id="octo-repo",
    )
    response = api.get(GET, params={"integrated_account_id": "userinfo"})
    assert response.status_code == 500
    assert "holds a user name or password" in response.json()["message"]
    assert "hunter2pass" not in response.text
    assert server.requests == []
