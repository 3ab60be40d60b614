"""A real HTTP server on 127.0.0.1 for tests that need a socket (subprocess CLI, retries, paging).

Routes map a path (with its query string, exactly as the client sends it, or without one) to a
list of responses served in turn; the last one repeats. Every request is recorded so tests can
assert on what unci actually sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0
    #: Declare a longer Content-Length than the body and close early (a body cut off mid-way).
    truncate: bool = False
    #: Seconds between each byte of the whole answer, status line and headers included (a
    #: slow-drip server that keeps every read under any per-read timeout).
    drip: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    #: The status the server answered with (set once the answer is chosen).
    status: int = 0


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        #: The answer to a path no route names (default: a 404).
        self.fallback: Reply | None = None
        self.requests: list[Seen] = []
        #: Paths answered by a function of the whole request path (query included).
        self.handlers: dict[str, Callable[[str], Reply]] = {}
        #: Paths answered by a function of the whole request (its headers too: ETags).
        self.request_handlers: dict[str, Callable[[Seen], Reply]] = {}
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def handle(self, path: str, answer: Callable[[str], Reply]) -> None:
        """Answer ``path`` (any query) with ``answer(path_with_query)``: an upstream that reads
        its query (pages, page sizes), where a fixed list of replies cannot."""
        self.handlers[path] = answer

    def handle_request(self, path: str, answer: Callable[[Seen], Reply]) -> None:
        """Answer ``path`` (any query) with ``answer(seen)``: an upstream that reads the
        request's headers (``If-None-Match``) as well as its path."""
        self.request_handlers[path] = answer

    def _next(self, path: str, seen: Seen | None = None) -> Reply:
        by_request = self.request_handlers.get(path.split("?", 1)[0])
        if by_request is not None and seen is not None:
            return by_request(seen)
        handler = self.handlers.get(path.split("?", 1)[0])
        if handler is not None:
            return handler(path)
        replies = self.routes.get(path) or self.routes.get(path.split("?", 1)[0])
        if not replies:
            return self.fallback or Reply(404, b'{"message":"no such route in the test server"}')
        return replies.pop(0) if len(replies) > 1 else replies[0]

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the body waits for the
            # client's delayed ACK (40 ms a request on Linux).
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                seen = Seen(self.command, self.path, dict(self.headers.items()))
                server.requests.append(seen)
                reply = server._next(self.path, seen)
                seen.status = reply.status
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drip:
                    return self._drip(reply)
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                length = len(reply.body) * 2 + 10 if reply.truncate else len(reply.body)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                try:
                    self.wfile.write(reply.body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                if reply.truncate:
                    self.close_connection = True

            def _drip(self, reply: Reply) -> None:
                head = [
                    f"HTTP/1.1 {reply.status} X",
                    f"Content-Length: {len(reply.body)}",
                    *(f"{k}: {v}" for k, v in reply.headers.items()),
                ]
                whole = ("\r\n".join(head) + "\r\n\r\n").encode() + reply.body
                self.close_connection = True
                for i in range(len(whole)):
                    try:
                        self.wfile.write(whole[i : i + 1])
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(reply.drip)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # A client that hangs up early (a size cap, a timeout) is expected, not worth a traceback.
        self._httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


@contextmanager
def serving() -> Iterator[LocalServer]:
    server = LocalServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
