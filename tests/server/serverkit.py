"""What the server tests share: tokens, the GitHub job and its paths, adding an account."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from helpers import cassette_body, ctrl_c_reaches_child
from unci import accounts

#: The server's own API token (what a Truto client sends as its Bearer token).
API_TOKEN = "unci-server-test-token-0123456789"
#: The provider credential the account resolves to; it must never reach a response or a log.
GH_SECRET = "ghp_PROVIDERSECRET0123456789"
JOB = cassette_body("github", "get_job")
JOB_PATH = "/repos/octo-org/octo-repo/actions/jobs/399444496"
LIST_PATH = "/repos/octo-org/octo-repo/actions/runs/29679449/jobs"
PAGE2_PATH = "/repositories/1/actions/runs/29679449/jobs"


def add_account(
    name: str, provider: str, base_url: str, *, token_env: str | None = None, **params: str
) -> accounts.Account:
    """Store an account the way `unci accounts add` does and return it (with its UUID)."""
    stored = accounts.load()
    account = accounts.Account(
        name=name, provider=provider, token_env=token_env, base_url=base_url, params=params
    )
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


class Served:
    """A real `unci serve` process on 127.0.0.1: its URL and every line it logged so far."""

    def __init__(self, process: subprocess.Popen, url: str, log: list[str]) -> None:
        self.process, self.url, self.log = process, url, log

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


@contextmanager
def unci_serve(
    home: Path, serve_accounts: list[accounts.Account], *args: str, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """Run ``unci serve --port 0 ARGS`` with these accounts until the block ends (SIGINT, and
    a clean exit is asserted)."""
    config = home / "accounts.toml"
    accounts.save({a.name: a for a in serve_accounts}, config)
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "UNCI_CONFIG": str(config),
        "UNCI_SERVER_TOKENS": API_TOKEN,
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "unci", "serve", "--port", "0", *args],
        preexec_fn=ctrl_c_reaches_child,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stderr:  # type: ignore[union-attr]
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    log: list[str] = []
    url = None
    deadline = time.monotonic() + 20
    while url is None and time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        log.append(line)
        if "Uvicorn running on http://" in line:
            url = line.split("Uvicorn running on ")[1].split()[0]
    if url is None:
        process.kill()
        raise AssertionError("unci serve did not start:\n" + "\n".join(log))

    def drain() -> None:
        while True:
            log.append(lines.get())

    threading.Thread(target=drain, daemon=True).start()
    try:
        yield Served(process, url, log)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        assert code == 0, "\n".join(log)
