"""A kept-alive connection the server has since closed is never reused: the async client sees
the closed socket while the connection idles and opens a new one, so the next call succeeds
without a retry (the sockets are looked up once per connection, not on every check)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

import unci
from helpers import cassette_body
from unci.retry import RetryPolicy

BODY = cassette_body("github", "get_job")


class ClosingServer:
    """Answers one request per connection as HTTP/1.1 keep-alive would, then closes it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.accepted = 0
        self.closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(BODY)}\r\n\r\n".encode()
                conn.sendall(head + BODY)
            self.closed.set()


@pytest.fixture
def closing() -> Iterator[ClosingServer]:
    server = ClosingServer()
    yield server
    server.sock.close()


@pytest.mark.asyncio
async def test_a_connection_the_server_closed_is_not_reused(closing: ClosingServer) -> None:
    params = {"owner": "o", "repo_id": "r"}
    async with unci.AsyncClient(retry=RetryPolicy(retries=0)) as client:
        first = await client.get_job("github", "1", params=params, base_url=closing.url)
        assert closing.closed.wait(5)
        closing.closed.clear()
        second = await client.get_job("github", "2", params=params, base_url=closing.url)
    assert first.id == second.id  # the same body, twice
    assert closing.accepted == 2
