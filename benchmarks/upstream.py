"""A fake GitHub API on 127.0.0.1 for benchmarks: fixed latency, job, paged list, huge body.

Run as a separate process so the server's work never counts against the client measured:
  python benchmarks/upstream.py --latency 0.02      (prints "PORT <n>" when ready)
Routes:
  /repos/o/r/actions/jobs/<id>                     the GitHub job example with that id
  /repos/o/r/actions/runs/<pages>/jobs?page=N      <pages> pages of 100 jobs, Link headers
  /repos/o/r/actions/jobs/huge-<megabytes>         a valid job JSON of that size, streamed
  /repos/o/r/actions/jobs/<megabytes>/logs         302 to /storage/log-<megabytes>.txt, as GitHub
  /storage/log-<megabytes>.txt                     a plain-text log of that size, streamed
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from helpers import cassette_body  # noqa: E402

JOB = json.loads(cassette_body("github", "get_job"))
PER_PAGE = 100


def job_bytes(job_id: int) -> bytes:
    return json.dumps({**JOB, "id": job_id}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without this, a keep-alive response waits ~40 ms for the client's delayed ACK (Nagle),
    # and "20 ms of latency" would really be 60.
    disable_nagle_algorithm = True
    latency = 0.0

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.latency:
            time.sleep(self.latency)
        url = urlsplit(self.path)
        if m := re.fullmatch(r"/repos/o/r/actions/jobs/huge-(\d+)", url.path):
            return self._huge(int(m.group(1)))
        if m := re.fullmatch(r"/repos/o/r/actions/jobs/(\d+)/logs", url.path):
            self.send_response(302)
            self.send_header("Location", f"/storage/log-{m.group(1)}.txt?sig=bench")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if m := re.fullmatch(r"/storage/log-(\d+)\.txt", url.path):
            return self._log(int(m.group(1)))
        if m := re.fullmatch(r"/repos/o/r/actions/jobs/(\d+)", url.path):
            return self._send(job_bytes(int(m.group(1))))
        if m := re.fullmatch(r"/repos/o/r/actions/runs/(\d+)/jobs", url.path):
            pages = int(m.group(1))
            page = int(parse_qs(url.query).get("page", ["1"])[0])
            jobs = [{**JOB, "id": page * 100000 + i} for i in range(PER_PAGE)]
            headers = {}
            if page < pages:
                host = self.headers["Host"]
                headers["Link"] = (
                    f'<http://{host}{url.path}?filter=all&per_page={PER_PAGE}&page={page + 1}>; rel="next"'
                )
            return self._send(json.dumps({"total_count": pages * PER_PAGE, "jobs": jobs}).encode(), headers)
        self.send_response(404)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def _log(self, megabytes: int) -> None:
        """A log of ``megabytes``, GitHub-shaped lines (timestamp, text), 64 KiB at a time."""
        line = b"2026-12-01T00:00:00.0000000Z \x1b[36mstep\x1b[0m compiling module 0123456789\n"
        chunk = line * (65536 // len(line))
        total = megabytes * 1024 * 1024
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        left = total
        while left > 0:
            piece = chunk if left >= len(chunk) else chunk[:left]
            self.wfile.write(piece)
            left -= len(piece)

    def _huge(self, megabytes: int) -> None:
        """A job whose steps array makes it ``megabytes`` long, written 64 KiB at a time."""
        head = json.dumps({**JOB, "steps": None}).encode()
        head = head[: head.rindex(b"null")] + b"["
        step = json.dumps(JOB["steps"][0]).encode() + b","
        total = megabytes * 1024 * 1024
        count = max(1, (total - len(head) - 2) // len(step))
        tail = json.dumps(JOB["steps"][0]).encode() + b"]" + head[len(head) :] + b"}"
        length = len(head) + len(step) * (count - 1) + len(tail)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(head)
        chunk = step * max(1, 65536 // len(step))
        per = len(chunk) // len(step)
        left = count - 1
        while left > 0:
            n = min(per, left)
            self.wfile.write(chunk if n == per else step * n)
            left -= n
        self.wfile.write(tail)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    Handler.latency = args.latency
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
