"""The server keeps each account's resolved credentials and the headers of its calls, yet a
change to the account, or to a variable it reads, is seen on the very next request."""

from __future__ import annotations

from serverkit import GH_SECRET, JOB_PATH, add_account

from localserver import LocalServer

URL = "/unified/ci-cd/jobs/399444496?integrated_account_id=gh"


def _sent_tokens(server: LocalServer) -> list[str]:
    return [
        seen.headers.get("Authorization", "").removeprefix("Bearer ")
        for seen in server.requests
        if seen.path == JOB_PATH
    ]


def test_a_changed_token_variable_is_used_on_the_next_request(api, gh, server, monkeypatch) -> None:
    assert api.get(URL).status_code == 200
    monkeypatch.setenv("GH_WORK_TOKEN", "ghp_ROTATED0123456789abcdef")
    assert api.get(URL).status_code == 200
    assert _sent_tokens(server) == [GH_SECRET, "ghp_ROTATED0123456789abcdef"]


def test_an_account_pointed_at_another_variable_is_used_on_the_next_request(
    api, gh, server, monkeypatch
) -> None:
    assert api.get(URL).status_code == 200
    monkeypatch.setenv("GH_OTHER_TOKEN", "ghp_OTHERACCOUNT0123456789")
    add_account("gh", "github", server.url, token_env="GH_OTHER_TOKEN", owner="octo-org", repo_id="octo-repo")
    assert api.get(URL).status_code == 200
    assert _sent_tokens(server) == [GH_SECRET, "ghp_OTHERACCOUNT0123456789"]


def test_an_unset_variable_is_an_error_on_the_next_request(api, gh, server, monkeypatch) -> None:
    assert api.get(URL).status_code == 200
    monkeypatch.delenv("GH_WORK_TOKEN")
    answer = api.get(URL)
    assert answer.status_code == 500 and "GH_WORK_TOKEN" in answer.json()["message"]
    assert len(_sent_tokens(server)) == 1


def test_a_removed_account_is_not_found_on_the_next_request(api, gh, server) -> None:
    from unci import accounts

    assert api.get(URL).status_code == 200
    with accounts.update() as stored:
        del stored["gh"]
    assert api.get(URL).status_code == 404
    assert len(_sent_tokens(server)) == 1
