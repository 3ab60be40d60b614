"""A running `unci serve` keeps each account it resolved per version of the accounts file; an
edit to the file, the token a caller sends and the credential an answer must not show are
still seen request by request. Run as a real process on 127.0.0.1, the file edited from here.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from serverkit import API_TOKEN, JOB, JOB_PATH, unci_serve

from localserver import LocalServer, Reply, Seen, serving
from unci import accounts

FIRST = "ghp_FIRSTSECRET0123456789abcdef"
SECOND = "ghp_SECONDSECRET0123456789abcde"
OTHER_API_TOKEN = "unci-server-other-token-987654321"
ENV = {"GH_FIRST": FIRST, "GH_SECOND": SECOND, "UNCI_SERVER_TOKENS": f"{API_TOKEN},{OTHER_API_TOKEN}"}
JOB_URL = "/unified/ci-cd/jobs/399444496"


def _account(base_url: str, token_env: str, **fields: str) -> accounts.Account:
    return accounts.Account(
        name="gh",
        provider="github",
        token_env=token_env,
        base_url=base_url,
        params={"owner": "octo-org", "repo_id": "octo-repo"},
        **fields,
    )


def _sent(upstream: LocalServer) -> list[str]:
    return [seen.headers.get("Authorization", "") for seen in upstream.requests if seen.path == JOB_PATH]


def _get(url: str, account: str = "gh", token: str = API_TOKEN) -> httpx.Response:
    return httpx.get(
        url + JOB_URL,
        params={"integrated_account_id": account},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_edits_to_the_accounts_file_are_seen_on_the_next_request(tmp_path: Path) -> None:
    config = tmp_path / "accounts.toml"
    with serving() as upstream:
        upstream.route(JOB_PATH, Reply(body=JOB))
        first = _account(upstream.url, "GH_FIRST")
        with unci_serve(tmp_path, [first], "--retries", "0", env=ENV) as served:
            assert [_get(served.url).status_code for _ in range(3)] == [200, 200, 200]
            assert _get(served.url, account=first.id).status_code == 200  # by its id too
            assert _sent(upstream) == [f"Bearer {FIRST}"] * 4

            accounts.save({"gh": _account(upstream.url, "GH_SECOND")}, config)
            assert _get(served.url).status_code == 200
            assert _sent(upstream)[-1] == f"Bearer {SECOND}"
            assert _get(served.url, account=first.id).status_code == 404  # the new account's id is new

            accounts.save(
                {"gh": _account(upstream.url, "GH_FIRST", token="ghp_LITERAL0123456789abcdef")}, config
            )
            assert _get(served.url).status_code == 200
            assert _sent(upstream)[-1] == "Bearer ghp_LITERAL0123456789abcdef"  # the file's own token

            accounts.save({}, config)
            gone = _get(served.url)
            assert gone.status_code == 404 and "integrated account 'gh' not found" in gone.json()["message"]

            config.unlink()
            assert _get(served.url).status_code == 404

            accounts.save({"gh": first}, config)
            assert _get(served.url).status_code == 200
            assert _sent(upstream)[-1] == f"Bearer {FIRST}"
            assert len(_sent(upstream)) == 7  # no call for an account that was not there


def test_each_request_is_checked_against_its_own_api_token(tmp_path: Path) -> None:
    with serving() as upstream:
        upstream.route(JOB_PATH, Reply(body=JOB))
        with unci_serve(tmp_path, [_account(upstream.url, "GH_FIRST")], "--retries", "0", env=ENV) as served:
            tokens = [
                API_TOKEN,
                OTHER_API_TOKEN,
                "not-a-token-of-this-server",
                API_TOKEN,
                API_TOKEN + "x",
                OTHER_API_TOKEN,
            ]
            statuses = [_get(served.url, token=token).status_code for token in tokens]
            assert statuses == [200, 200, 401, 200, 401, 200]
            no_header = httpx.get(served.url + JOB_URL, params={"integrated_account_id": "gh"}, timeout=30)
            assert no_header.status_code == 401
            assert len(_sent(upstream)) == 4


def test_every_answer_hides_the_credential_its_call_used(tmp_path: Path) -> None:
    """The provider echoes the token it was sent into its error; every answer, before and
    after the account's token changes, shows neither token."""
    config = tmp_path / "accounts.toml"

    def echo(seen: Seen) -> Reply:
        token = seen.headers.get("Authorization", "").removeprefix("Bearer ")
        return Reply(401, json.dumps({"message": f"Bad credentials {token}"}).encode())

    with serving() as upstream:
        upstream.handle_request(JOB_PATH, echo)
        with unci_serve(tmp_path, [_account(upstream.url, "GH_FIRST")], "--retries", "0", env=ENV) as served:
            answers = [_get(served.url) for _ in range(3)]
            accounts.save({"gh": _account(upstream.url, "GH_SECOND")}, config)
            answers += [_get(served.url) for _ in range(3)]
            for answer in answers:
                assert answer.status_code == 401
                assert FIRST not in answer.text and SECOND not in answer.text
                assert "[REDACTED]" in answer.text
            assert _sent(upstream) == [f"Bearer {FIRST}"] * 3 + [f"Bearer {SECOND}"] * 3
            assert not any(FIRST in line or SECOND in line for line in served.log)
