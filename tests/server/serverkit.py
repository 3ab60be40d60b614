"""What the server tests share: tokens, the GitHub job and its paths, adding an account."""

from __future__ import annotations

from typing import Any

from helpers import cassette_body
from unci import accounts

#: The server's own API token (what a Truto client sends as its Bearer token).
API_TOKEN = "unci-server-test-token-0123456789"
#: The provider credential the account resolves to; it must never reach a response or a log.
GH_SECRET = "ghp_PROVIDERSECRET0123456789"
JOB = cassette_body("github", "get_job")
JOB_PATH = "/repos/octo-org/octo-repo/actions/jobs/399444496"
LIST_PATH = "/repos/octo-org/octo-repo/actions/runs/29679449/jobs"
PAGE2_PATH = "/repositories/1/actions/runs/29679449/jobs"


def add_account(name: str, provider: str, base_url: str, *, token_env: str | None = None,
                **params: str) -> accounts.Account:
    """Store an account the way `unci accounts add` does and return it (with its UUID)."""
    stored = accounts.load()
    account = accounts.Account(name=name, provider=provider, token_env=token_env,
                               base_url=base_url, params=params)
    stored[name] = account
    accounts.save(stored)
    return account


def test_client(app: Any, **kw: Any) -> Any:
    """Starlette's TestClient (lifespan runs inside ``with``), without its nudge to swap HTTP
    packages: httpx is what unci itself uses."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        return TestClient(app, **kw)


test_client.__test__ = False  # a helper, not a test
