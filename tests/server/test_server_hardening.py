"""What a real `unci serve` process withstands: hostile error pages, a hung provider, and
connections that never finish a request. Everything stays on 127.0.0.1; every wait is bounded.

No assertion here is on speed: each test checks that something *was* answered (or closed)
within a bound that a healthy server meets by orders of magnitude and the faults these tests
were written for miss by as much.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests
from serverkit import API_TOKEN, GH_SECRET, JOB, JOB_PATH, unci_serve

from localserver import Reply, serving
from unci import accounts

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
ENV = {"GH_WORK_TOKEN": GH_SECRET}


def github(name: str, base_url: str) -> accounts.Account:
    return accounts.Account(
        name=name,
        provider="github",
        token_env="GH_WORK_TOKEN",
        base_url=base_url,
        params={"owner": "octo-org", "repo_id": "octo-repo"},
    )


def job_url(served, account: str, job_id: str = "399444496") -> tuple[str, dict[str, str]]:
    return f"{served.url}/unified/ci-cd/jobs/{job_id}", {"integrated_account_id": account}


def hostile_page(size: int) -> bytes:
    """An error page of unclosed <title> tags: a backtracking title regex is quadratic on it."""
    return b"<html><head>" + b"<title>" * (size // 7) + b"</head></html>"


def test_a_hostile_error_page_does_not_hold_up_other_requests(tmp_path) -> None:
    page = hostile_page(112 * 1024)
    with serving() as upstream:
        upstream.route(JOB_PATH, Reply(404, page, headers={"Content-Type": "text/html"}))
        with unci_serve(tmp_path, [github("gh", upstream.url)], "--retries", "0", env=ENV) as served:
            answers: list[requests.Response] = []
            url, params = job_url(served, "gh")
            bad = threading.Thread(
                target=lambda: answers.append(requests.get(url, params=params, headers=AUTH, timeout=120))
            )
            bad.start()
            deadline = time.monotonic() + 30
            while not upstream.requests:  # the provider has answered (or is answering) it
                assert time.monotonic() < deadline, "the hostile call never reached the upstream"
                time.sleep(0.01)
            # A server that parses the page on its event loop cannot answer this for ~20 s.
            health = requests.get(f"{served.url}/healthz", timeout=8)
            assert health.status_code == 200 and health.json()["status"] == "ok"
            bad.join(timeout=120)
    assert answers and answers[0].status_code == 404
    body = answers[0].json()
    assert body["statusCode"] == 404 and body["truto_is_remote_error"] is True
    assert len(body["message"]) < 2000  # the page is not pasted into the message


def test_a_hung_provider_fails_alone_with_503_and_504(tmp_path) -> None:
    with serving() as hung, serving() as healthy:
        hung.route(JOB_PATH, Reply(body=JOB, delay=6))
        healthy.route(JOB_PATH, Reply(body=JOB))
        with unci_serve(
            tmp_path,
            [github("stuck", hung.url), github("fine", healthy.url)],
            "--retries",
            "0",
            "--timeout",
            "2",
            "--pool-size",
            "3",
            "--pool-wait",
            "0.5",
            env=ENV,
        ) as served:
            results: list[requests.Response] = []
            url, params = job_url(served, "stuck")

            def call() -> None:
                results.append(requests.get(url, params=params, headers=AUTH, timeout=30))

            callers = [threading.Thread(target=call) for _ in range(5)]
            for caller in callers:
                caller.start()
            deadline = time.monotonic() + 10
            while len(hung.requests) < 3:  # the hung origin's pool is full
                assert time.monotonic() < deadline, "the hung provider never got 3 calls"
                time.sleep(0.01)
            url_ok, params_ok = job_url(served, "fine")
            ok = requests.get(url_ok, params=params_ok, headers=AUTH, timeout=10)
            assert ok.status_code == 200 and ok.json()["id"] == "399444496"
            assert any(caller.is_alive() for caller in callers)  # answered while they hang
            for caller in callers:
                caller.join(timeout=30)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [503, 503, 504, 504, 504], [r.text for r in results]
    busy = next(r for r in results if r.status_code == 503)
    body = busy.json()
    assert body["statusCode"] == 503 and body["error"] == "Service Unavailable"
    assert hung.url in body["message"] and "not affected" in body["message"]
    assert busy.headers["retry-after"] == "1"
    timed_out = next(r for r in results if r.status_code == 504).json()
    assert timed_out["error"] == "Gateway Timeout" and "--timeout" not in timed_out["message"]
    assert len(hung.requests) == 3  # the two refused calls never reached the provider


def test_a_stream_that_breaks_off_is_one_warning_line_not_a_traceback(tmp_path) -> None:
    """uvicorn logged a documented event (the provider closed its end mid-body) as an ERROR
    with a 30-line traceback, which sets off alerting; and every retry twice."""
    big = b'{"pad":"' + b"x" * 300_000 + b'"}'
    with serving() as upstream:
        upstream.route(JOB_PATH, Reply(body=big, truncate=True))
        with unci_serve(tmp_path, [github("cut", upstream.url)], "--retries", "0", env=ENV) as served:
            url, params = job_url(served, "cut")
            with pytest.raises(requests.exceptions.RequestException):
                requests.get(
                    url, params={**params, "truto_response_format": "stream"}, headers=AUTH, timeout=30
                )
            deadline = time.monotonic() + 5
            while not any("broke off" in line for line in served.log) and time.monotonic() < deadline:
                time.sleep(0.05)
            log = list(served.log)
    assert sum("broke off" in line for line in log) == 1, log
    assert not any("Traceback" in line or "Exception in ASGI" in line for line in log), log


def test_deadline_bounds_a_provider_call_as_a_whole(tmp_path) -> None:
    """Without it, a provider that never answers holds a request for every attempt's timeout
    plus the waits between them (3 minutes by default), past a proxy's read timeout."""
    with serving() as hung:
        hung.route(JOB_PATH, Reply(body=JOB, delay=8))
        args = ("--retries", "3", "--timeout", "1", "--deadline", "2.5")
        with unci_serve(tmp_path, [github("stuck", hung.url)], *args, env=ENV) as served:
            url, params = job_url(served, "stuck")
            started = time.monotonic()
            answer = requests.get(url, params=params, headers=AUTH, timeout=30)
            took = time.monotonic() - started
    assert answer.status_code == 504, answer.text
    message = answer.json()["message"]
    assert "the deadline ran out" in message or "attempts)" in message, message
    # Three attempts at most fit in 2.5 s; without the deadline four, and 4 s or more.
    assert took < 4 and len(hung.requests) <= 3, (took, len(hung.requests))


def _closed_within(sock: socket.socket, seconds: float, dribble: bytes = b"") -> bool:
    """Whether the server closes ``sock`` within ``seconds``, sending ``dribble`` a byte at a
    time meanwhile (a request head that never ends)."""
    sock.settimeout(0.25)
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline:
        try:
            if sent < len(dribble):
                sock.sendall(dribble[sent : sent + 1])
                sent += 1
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def test_connections_that_never_finish_a_request_are_closed(tmp_path) -> None:
    with unci_serve(tmp_path, [], "--no-auth", "--header-timeout", "1") as served:
        idle = socket.create_connection(("127.0.0.1", served.port))
        dribbling = socket.create_connection(("127.0.0.1", served.port))
        try:
            head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200
            results: dict[str, bool] = {}
            worker = threading.Thread(
                target=lambda: results.update(dribbling=_closed_within(dribbling, 10, head))
            )
            worker.start()
            results["idle"] = _closed_within(idle, 10)
            worker.join(timeout=15)
        finally:
            idle.close()
            dribbling.close()
        assert results == {"idle": True, "dribbling": True}
        # A connection that does send its request in time is served as usual, keep-alive too.
        with requests.Session() as session:
            for _ in range(2):
                assert session.get(f"{served.url}/healthz", timeout=10).status_code == 200


def test_connections_past_the_limit_are_refused_with_503(tmp_path) -> None:
    with unci_serve(
        tmp_path, [], "--no-auth", "--limit-concurrency", "10", "--header-timeout", "2"
    ) as served:
        held = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(10)]
        try:
            time.sleep(0.2)  # accepted by the server
            extra = socket.create_connection(("127.0.0.1", served.port))
            extra.settimeout(10)
            answer = b""
            while chunk := extra.recv(4096):
                answer += chunk
            extra.close()
        finally:
            for sock in held:
                sock.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503"), answer
        envelope = json.loads(body)
        assert envelope["statusCode"] == 503 and envelope["error"] == "Service Unavailable"
        assert "10 connections" in envelope["message"]
        deadline = time.monotonic() + 10  # the held ones are gone: served again
        while True:
            try:
                if requests.get(f"{served.url}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the server did not recover"
            time.sleep(0.1)


@pytest.mark.parametrize("path", ["/x%0d%0aINFO:%20%20forged%20line", "/x%1b[31mred%e2%80%a8y"])
def test_the_log_cannot_be_forged_through_the_path(tmp_path, path) -> None:
    with unci_serve(tmp_path, [], "--no-auth") as served:
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            while sock.recv(4096):
                pass
        deadline = time.monotonic() + 5
        while not any('"GET /x' in line for line in served.log):
            assert time.monotonic() < deadline, "no access log line"
            time.sleep(0.02)
        line = next(line for line in served.log if '"GET /x' in line)
        assert not any(
            line.lstrip().startswith("INFO:  forged") or ("forged line" in line and '"GET /x' not in line)
            for line in served.log
        )
        assert "\x1b" not in "\n".join(served.log) and "\u2028" not in "\n".join(served.log)
        assert ("\\r\\nINFO:  forged line" in line) or ("\\x1b[31mred\\u2028y" in line), line


H11_SERVER = """
import asyncio, sys, uvicorn
from unci.server.connections import GuardedH11Protocol

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), http=GuardedH11Protocol,
            log_level="warning", lifespan="off")
"""


def test_the_header_timeout_holds_on_uvicorns_h11_protocol_too(tmp_path) -> None:
    """unci serve uses httptools when installed (the server extra has it), else h11."""
    import os
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "UNCI_SERVER_OPTIONS": json.dumps({"header_timeout": 1})}
    process = subprocess.Popen(
        [sys.executable, "-c", H11_SERVER, str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).text == "ok"
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and process.poll() is None, "no h11 server"
                time.sleep(0.1)
        with socket.create_connection(("127.0.0.1", port)) as idle:
            assert _closed_within(idle, 10)
    finally:
        process.terminate()
        process.wait(timeout=10)
