"""A fake GitHub API on 127.0.0.1 for benchmarks: fixed latency, job, paged list, huge body.

Run as a separate process so the server's work never counts against the client measured:
  python benchmarks/upstream.py --latency 0.02      (prints "PORT <n>" when ready)
Routes:
  /repos/o/r/actions/jobs/<id>                     the GitHub job example with that id
  /repos/o/r/actions/runs/<pages>/jobs?page=N      <pages> pages of 100 jobs, Link headers
  /repos/o/r/actions/jobs/huge-<megabytes>         a valid job JSON of that size, streamed
  /repos/o/r/actions/jobs/<megabytes>/logs         302 to /storage/log-<megabytes>.txt, as GitHub
  /storage/log-<megabytes>.txt                     a plain-text log of that size, streamed
and a repository history for ``unci sync`` (``--builds``, ``--jobs-per-build``), under any
repository name of the owner ``ci`` (``--fail-repo NAME`` answers 404 for that one):
  /repos/ci/<repo>/actions/runs                    workflow runs, newest first, ``created`` filter
  /repos/ci/<repo>/actions/runs/<id>               one run
  /repos/ci/<repo>/actions/runs/<id>/jobs          its jobs (every attempt), paged
Run and job lists carry an ETag and answer ``If-None-Match`` with 304, as GitHub does.
POST /_control/finish (every run completes), /_control/rerun?id=ID (a new attempt),
/_control/add (a new newest run) change the history; GET /_control/requests lists what was
asked (path, If-None-Match and Authorization: the token is a test's), POST /_control/forget clears that list.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import re
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from helpers import cassette_body  # noqa: E402

JOB = json.loads(cassette_body("github", "get_job"))
#: Every job's steps, where ``--steps`` makes them more than the recorded job's ten.
STEPS: list[dict] = []
RUN = json.loads(cassette_body("github", "get_build"))
PER_PAGE = 100
#: The newest run's creation time: fixed, so two servers serve the same history.
NEWEST = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class History:
    """The runs of a repository and their jobs, as GitHub would list them; changed only
    through the control routes, under one lock."""

    def __init__(self, builds: int, jobs_per_build: int, unfinished: int, hours_apart: float) -> None:
        self.lock = threading.Lock()
        self.jobs_per_build = jobs_per_build
        self.hours_apart = hours_apart
        self.runs: list[dict] = []  # newest first
        for i in range(builds):
            self.runs.append(self._run(builds - i, NEWEST - timedelta(hours=i * hours_apart), i < unfinished))
        self.requests: list[dict] = []

    def _run(self, number: int, created: datetime, running: bool) -> dict:
        run_id = 700000 + number
        return {
            **RUN,
            "id": run_id,
            "run_number": number,
            "status": "in_progress" if running else "completed",
            "conclusion": None if running else "success",
            "created_at": _stamp(created),
            "run_started_at": _stamp(created),
            "updated_at": _stamp(created + timedelta(minutes=4)),
            "run_attempt": 1,
        }

    def jobs(self, run: dict) -> list[dict]:
        running = run["status"] != "completed"
        created = datetime.fromisoformat(run["run_started_at"].replace("Z", "+00:00"))
        found = []
        for attempt in range(1, run["run_attempt"] + 1):
            for j in range(self.jobs_per_build):
                started = created + timedelta(seconds=j)
                last = running and attempt == run["run_attempt"]
                found.append(
                    {
                        **JOB,
                        "id": run["id"] * 10000 + attempt * 1000 + j,
                        "run_id": run["id"],
                        "run_attempt": attempt,
                        "name": f"job {j}",
                        "head_branch": run["head_branch"],
                        "status": "in_progress" if last else "completed",
                        "conclusion": None if last else "success",
                        "started_at": _stamp(started),
                        "completed_at": None if last else _stamp(started + timedelta(minutes=3)),
                        **({"steps": STEPS} if STEPS else {}),
                    }
                )
        return found

    def finish(self) -> None:
        for run in self.runs:
            if run["status"] != "completed":
                run.update(
                    status="completed", conclusion="success", updated_at=_stamp(NEWEST + timedelta(hours=1))
                )

    def rerun(self, run_id: int) -> None:
        for run in self.runs:
            if run["id"] == run_id:
                run.update(run_attempt=run["run_attempt"] + 1, updated_at=_stamp(NEWEST + timedelta(hours=2)))

    def add(self) -> None:
        newest = (
            datetime.fromisoformat(self.runs[0]["created_at"].replace("Z", "+00:00")) if self.runs else NEWEST
        )
        self.runs.insert(
            0,
            self._run(self.runs[0]["run_number"] + 1 if self.runs else 1, newest + timedelta(hours=1), False),
        )


HISTORY = History(0, 0, 0, 1.0)
FAIL_REPO: str | None = None
#: A repository whose runs, jobs and steps are named after the caller's token (a provider that
#: echoes it: a workflow titled with a secret), for the tests of what a sync writes.
ECHO_REPO: str | None = None


def job_bytes(job_id: int) -> bytes:
    return json.dumps({**JOB, "id": job_id}).encode()


@functools.lru_cache(maxsize=256)
def _page(host: str, path: str, pages: int, page: int, numbered: bool) -> tuple[bytes, dict[str, str]]:
    """One page of a run's jobs, built once: the upstream's own CPU is not what is measured."""
    jobs = [{**JOB, "id": page * 100000 + i} for i in range(PER_PAGE)]
    headers = {}
    link = f"http://{host}{path}?filter=all&per_page={PER_PAGE}&page="
    links = []  # as GitHub writes them: next and last, then prev and first
    if page < pages:
        links += [f'<{link}{page + 1}>; rel="next"', f'<{link}{pages}>; rel="last"']
    if page > 1:
        links += [f'<{link}{page - 1}>; rel="prev"', f'<{link}1>; rel="first"']
    if links and not numbered:
        links = links[:1]  # a pager that names only the next page
    if links:
        headers["Link"] = ", ".join(links)
    return json.dumps({"total_count": pages * PER_PAGE, "jobs": jobs}).encode(), headers


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without this, a keep-alive response waits ~40 ms for the client's delayed ACK (Nagle),
    # and "20 ms of latency" would really be 60.
    disable_nagle_algorithm = True
    latency = 0.0
    #: Write rel="last" (and prev/first) as GitHub does; without, only rel="next".
    numbered_links = True

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

    def _json(self, data: object, headers: dict[str, str] | None = None) -> None:
        """A JSON answer with an ETag; 304 without a body when the client already has it."""
        body = json.dumps(data).encode()
        etag = f'W/"{hashlib.sha1(body).hexdigest()}"'
        status = 304 if self.headers.get("If-None-Match") == etag else 200
        with HISTORY.lock:
            HISTORY.requests.append(
                {
                    "path": self.path,
                    "if_none_match": self.headers.get("If-None-Match"),
                    "status": status,
                    "authorization": self.headers.get("Authorization"),
                }
            )
        if status == 304:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(body, {"ETag": etag, **(headers or {})})

    def _history(self, url: object, repo: str, rest: str) -> None:
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}  # type: ignore[attr-defined]
        if repo == FAIL_REPO:
            with HISTORY.lock:
                HISTORY.requests.append(
                    {
                        "path": self.path,
                        "if_none_match": None,
                        "status": 404,
                        "authorization": self.headers.get("Authorization"),
                    }
                )
            body = b'{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}'
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        size = min(int(query.get("per_page", 30)), PER_PAGE)
        page = int(query.get("page", 1))
        with HISTORY.lock:
            runs = [
                {**r, "repository": {**RUN["repository"], "full_name": f"ci/{repo}"}} for r in HISTORY.runs
            ]
        echo = (self.headers.get("Authorization") or "").rpartition(" ")[2] if repo == ECHO_REPO else ""
        if echo:
            runs = [{**r, "name": f"wf {echo}", "display_title": f"deploy {echo}"} for r in runs]
        if rest == "":
            created = query.get("created", "")
            if created.startswith(">="):
                runs = [r for r in runs if r["created_at"] >= created[2:]]
            items, link = self._page(url, query, runs, size, page)
            return self._json({"total_count": len(runs), "workflow_runs": items}, link)
        run = next((r for r in runs if str(r["id"]) == rest.split("/")[0]), None)
        if run is None:
            self.send_response(404)
            self.send_header("Content-Length", "23")
            self.end_headers()
            self.wfile.write(b'{"message":"Not Found"}')
            return
        if "/" not in rest:
            return self._json(run)
        with HISTORY.lock:
            jobs = HISTORY.jobs(run)
        if echo:
            jobs = [
                {**j, "name": f"job {echo}", "steps": [{**st, "name": f"step {echo}"} for st in j["steps"]]}
                for j in jobs
            ]
        items, link = self._page(url, query, jobs, size, page)
        return self._json({"total_count": len(jobs), "jobs": items}, link)

    def _page(self, url: object, query: dict, items: list, size: int, page: int) -> tuple[list, dict]:
        chosen = items[(page - 1) * size : page * size]
        if page * size >= len(items):
            return chosen, {}
        nxt = urlencode({**query, "per_page": size, "page": page + 1})
        return chosen, {"Link": f'<http://{self.headers["Host"]}{url.path}?{nxt}>; rel="next"'}  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with HISTORY.lock:
            if url.path == "/_control/finish":
                HISTORY.finish()
            elif url.path == "/_control/rerun":
                HISTORY.rerun(int(query["id"]))
            elif url.path == "/_control/add":
                HISTORY.add()
            elif url.path == "/_control/forget":
                HISTORY.requests.clear()
        self._send(b"{}")

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/_control/requests":
            with HISTORY.lock:
                return self._send(json.dumps(HISTORY.requests).encode())
        if self.latency:
            time.sleep(self.latency)
        if m := re.fullmatch(r"/repos/ci/([^/]+)/actions/runs/?(.*)", url.path):
            return self._history(url, m.group(1), m.group(2))
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
            return self._send(*_page(self.headers["Host"], url.path, pages, page, self.numbered_links))
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
    parser.add_argument("--builds", type=int, default=0, help="runs in each repository's history")
    parser.add_argument("--jobs-per-build", type=int, default=0)
    parser.add_argument("--unfinished", type=int, default=0, help="the newest runs still in progress")
    parser.add_argument("--hours-apart", type=float, default=1.0, help="between two runs' creation")
    parser.add_argument("--fail-repo", default=None, help="a repository name answered with 404")
    parser.add_argument("--next-only", action="store_true", help="Link headers name only the next page")
    parser.add_argument("--echo-repo", default=None, help="a repository that echoes the token in its names")
    parser.add_argument("--steps", type=int, default=0, help="steps per job (the recorded job's, repeated)")
    args = parser.parse_args()
    # Ends on SIGTERM even when started with SIGTERM ignored (a signal mask a CI runner passes on).
    import os
    import signal

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    global HISTORY, FAIL_REPO, ECHO_REPO, STEPS
    if args.steps:
        recorded = JOB["steps"]
        STEPS = [{**recorded[k % len(recorded)], "number": k + 1} for k in range(args.steps)]
    HISTORY = History(args.builds, args.jobs_per_build, args.unfinished, args.hours_apart)
    FAIL_REPO = args.fail_repo
    ECHO_REPO = args.echo_repo
    Handler.latency = args.latency
    Handler.numbered_links = not args.next_only
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
