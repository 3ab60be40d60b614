"""HTTPS stays verified: plain-HTTP calls skip loading the certificate bundle, https calls do not.

A real TLS server on 127.0.0.1 with a self-signed certificate: unci refuses it as untrusted,
and accepts it once the certificate is trusted through ``SSL_CERT_FILE``, as httpx's own
default transport does.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import unci
from helpers import GITHUB_PARAMS, cassette_body
from localserver import LocalServer, Reply
from unci.errors import NetworkError
from unci.retry import RetryPolicy

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")

JOB = cassette_body("github", "get_job")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(JOB)))
        self.end_headers()
        self.wfile.write(JOB)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}", cert
    finally:
        httpd.shutdown()
        httpd.server_close()


PARAMS = GITHUB_PARAMS


UNTRUSTED = "CERTIFICATE_VERIFY_FAILED|certificate verify failed"


def _fresh_tls_contexts() -> None:
    """The suite builds httpx's TLS context once (conftest); these tests change what it trusts."""
    import httpx._transports.default as transports

    getattr(transports.create_ssl_context, "cache_clear", lambda: None)()


def test_an_untrusted_certificate_is_refused(tls_server: tuple[str, Path]) -> None:
    url, _ = tls_server
    with unci.Client(retry=RetryPolicy(retries=0)) as client, pytest.raises(NetworkError, match=UNTRUSTED):
        client.get_job("github", "5", params=PARAMS, base_url=url, token="t0ken")


def test_a_trusted_certificate_is_accepted(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    _fresh_tls_contexts()
    job = unci.get_job("github", "5", params=PARAMS, base_url=url, token="t0ken")
    assert job.id == str(json.loads(JOB)["id"])
    _fresh_tls_contexts()


@pytest.mark.asyncio
async def test_the_async_client_verifies_too(tls_server: tuple[str, Path]) -> None:
    url, _ = tls_server
    async with unci.AsyncClient(retry=RetryPolicy(retries=0)) as client:
        with pytest.raises(NetworkError, match=UNTRUSTED):
            await client.get_job("github", "5", params=PARAMS, base_url=url, token="t0ken")


def test_one_client_talks_plain_http_and_verified_https(
    tls_server: tuple[str, Path], server: LocalServer
) -> None:
    """Each scheme has its own pool: the plain one does not make https trust anything less."""
    url, _ = tls_server
    server.route("/repos/o/r/actions/jobs/5", Reply(body=JOB))
    with unci.Client(retry=RetryPolicy(retries=0)) as client:
        assert client.get_job("github", "5", params=PARAMS, base_url=server.url, token="t0ken").id
        with pytest.raises(NetworkError, match=UNTRUSTED):
            client.get_job("github", "5", params=PARAMS, base_url=url, token="t0ken")
        assert client.get_job("github", "5", params=PARAMS, base_url=server.url, token="t0ken").id
