"""`unci jobs logs` on every provider, against real HTTP servers on 127.0.0.1.

Each provider's API root is a local server answering at the provider's documented log
endpoint; a second server, reached as ``localhost``, stands in for the storage host of a
redirect or a pre-signed URL. The log bodies are constructed (a few lines in each provider's
documented form: plain text, Buddy's ``log`` array, CircleCI's output messages); the Buddy lines
are the ones of Buddy's own "Get details and logs" example.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

import pytest

import unci
from helpers import cassette_body, one_error_line, run_cli, with_fields
from localserver import LocalServer, Reply, serving
from unci import logs
from unci.provider import LogPart, Request

TEXT = {"Content-Type": "text/plain"}


def _logs(server: LocalServer, job: str, *args: str):
    return run_cli("jobs", "logs", job, "--base-url", server.url, *args)


def _range_start(server: LocalServer) -> int:
    """Where the request being answered asks to start (``Range: bytes=N-``), 0 without one."""
    asked = server.requests[-1].headers.get("Range", "")
    return int(asked.removeprefix("bytes=").rstrip("-")) if asked else 0


def _growing(server: LocalServer, log: bytes, sizes: list[int], *, honour_range: bool):
    """A running job's log that has ``sizes[i]`` bytes at the i-th read, then all of it."""
    reads = iter(sizes)

    def answer(_path: str) -> Reply:
        now = log[: next(reads, len(log))]
        start = _range_start(server)
        if honour_range and start:
            if start >= len(now):
                return Reply(416, b"", TEXT)
            return Reply(206, now[start:], {**TEXT, "Content-Range": f"bytes {start}-{len(now) - 1}/*"})
        return Reply(200, now, TEXT)

    return answer


# --- GitLab ---------------------------------------------------------------------------------

GL = ["-P", "gitlab", "-p", "project=group/app", "--token", "glpat-logsecret0123"]
GL_JOB = "/projects/group%2Fapp/jobs/8"


def _gitlab_job(status: str) -> bytes:
    return with_fields(cassette_body("gitlab", "get_job"), id=8, status=status)


def test_gitlab_trace(server: LocalServer) -> None:
    server.route(GL_JOB + "/trace", Reply(200, b"\x1b[32;1m$ make\x1b[0;m\nok\n", TEXT))
    result = _logs(server, "8", *GL)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "$ make\nok\n"
    assert server.requests[0].headers["PRIVATE-TOKEN"] == "glpat-logsecret0123"


def test_gitlab_follow_asks_for_the_rest_with_range_until_the_job_ends(server: LocalServer) -> None:
    log = b"".join(b"line %d\n" % i for i in range(12))
    # Read 1 sees 14 bytes; read 2 nothing new (416) while the job still runs; once it has
    # ended, read 3 gets the rest.
    server.handle(GL_JOB + "/trace", _growing(server, log, [14, 14], honour_range=True))
    server.route(GL_JOB, Reply(200, _gitlab_job("running")), Reply(200, _gitlab_job("success")))
    result = _logs(server, "8", *GL, "--follow", "--interval", "0.01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == log
    ranges = [r.headers.get("Range") for r in server.requests if r.path.endswith("/trace")]
    assert ranges == [None, "bytes=14-", "bytes=14-"]


@pytest.mark.parametrize("how", ["cli", "python"])
def test_no_color_strips_an_escape_the_first_follow_read_cut(server: LocalServer, how: str) -> None:
    """The first read ended in ``\x1b[3``: its start went out as text, the next read's ``1m``
    made ``\x1b[31m`` whole again, and the colour reached a --no-color output."""
    log = b"one\n\x1b[31mred\x1b[0m\ndone\n"
    server.handle(GL_JOB + "/trace", _growing(server, log, [7, 7], honour_range=True))
    server.route(GL_JOB, Reply(200, _gitlab_job("running")), Reply(200, _gitlab_job("success")))
    if how == "cli":
        result = _logs(server, "8", *GL, "-f", "--interval", "0.01", "--no-color")
        assert result.exit_code == 0, result.stderr
        out = result.stdout_bytes
    else:
        out = b"".join(
            unci.iter_log(
                "gitlab", "8", params={"project": "group/app"}, base_url=server.url, token="glpat-x0123456",
                follow=True, color=False, interval=0.01,
            )
        )  # fmt: skip
    assert out == b"one\nred\ndone\n"


def test_gitlab_follow_when_range_is_ignored_skips_what_was_shown(server: LocalServer) -> None:
    log = b"".join(b"line %d\n" % i for i in range(12))
    server.handle(GL_JOB + "/trace", _growing(server, log, [14, 30], honour_range=False))
    server.route(GL_JOB, Reply(200, _gitlab_job("running")), Reply(200, _gitlab_job("success")))
    result = _logs(server, "8", *GL, "-f", "--interval", "0.01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == log


def test_gitlab_follow_waits_for_a_job_that_has_no_trace_yet(server: LocalServer) -> None:
    server.route(GL_JOB + "/trace", Reply(404, b'{"message":"404 Not Found"}'), Reply(200, b"hi\n", TEXT))
    server.route(GL_JOB, Reply(200, _gitlab_job("pending")), Reply(200, _gitlab_job("success")))
    result = _logs(server, "8", *GL, "-f", "--interval", "0.01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "hi\n"
    assert "has no log yet, waiting" in result.stderr


# --- Buildkite, Travis: plain text --------------------------------------------------------

BK = ["-P", "buildkite", "-p", "organization=acme", "-p", "pipeline=app", "-p", "build=3"]


def test_buildkite_raw_log(server: LocalServer) -> None:
    path = "/organizations/acme/pipelines/app/builds/3/jobs/b63254c0/log.txt"
    server.route(path, Reply(200, b"~~~ Running commands\n$ make test\n", TEXT))
    result = _logs(server, "b63254c0", *BK, "--token", "bkua_logsecret0123")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "~~~ Running commands\n$ make test\n"
    assert server.requests[0].headers["Accept"] == "text/plain"


def test_travis_log_txt(server: LocalServer) -> None:
    server.route(
        "/job/4711/log.txt", Reply(200, b"Worker information\nDone. Your build exited with 0.\n", TEXT)
    )
    result = _logs(server, "4711", "-P", "travis", "--token", "travis-logsecret0123")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("Done. Your build exited with 0.\n")
    assert server.requests[0].headers["Travis-API-Version"] == "3"


# --- Bitbucket: 307 to a pre-signed URL --------------------------------------------------

BB = ["-P", "bitbucket", "-p", "workspace_id=acme", "-p", "repo=app", "-p", "build={p-1}"]


def test_bitbucket_step_log_redirect_drops_the_basic_credentials(server: LocalServer) -> None:
    with serving() as storage:
        storage.route("/logs/step.txt", Reply(200, b"+ npm test\npassing\n", TEXT))
        where = storage.url.replace("127.0.0.1", "localhost")
        server.route(
            "/repositories/acme/app/pipelines/%7Bp-1%7D/steps/%7Bs-1%7D/log",
            Reply(307, b"", {"Location": f"{where}/logs/step.txt?X-Amz-Signature=abc"}),
        )
        result = _logs(server, "{s-1}", *BB, "--username", "ann", "--password", "bb-app-password-123")
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "+ npm test\npassing\n"
        assert server.requests[0].headers["Authorization"].startswith("Basic ")
        [seen] = storage.requests
        assert "Authorization" not in seen.headers
        assert "bb-app-password-123" not in json.dumps(seen.headers)


# --- Azure DevOps: a log per task -----------------------------------------------------------

AZ = ["-P", "azure-devops", "-p", "organization=fabrikam", "-p", "project=web", "-p", "build=12"]
AZ_BUILD = "/fabrikam/web/_apis/build/builds/12"
JOB_ID = "096e11e7-c8bb-5a90-1a73-4e639c9ea0f9"


def _record(rid: str, kind: str, name: str, order: int, **kw: object) -> dict:
    return {
        "id": rid,
        "parentId": kw.pop("parent", None),
        "type": kind,
        "name": name,
        "order": order,
        "state": kw.pop("state", "completed"),
        "result": kw.pop("result", "succeeded"),
        "log": kw.pop("log", None),
        **kw,
    }


def _timeline(job_state: str = "completed", second_state: str = "completed") -> bytes:
    records = [
        _record(
            JOB_ID, "Job", "Build", 1, state=job_state, result="failed" if job_state == "completed" else None
        ),
        _record("t-2", "Task", "Test", 2, parent=JOB_ID, result="failed", log={"id": 5}, state=second_state),
        _record("t-1", "Task", "Checkout", 1, parent=JOB_ID, log={"id": 4}),
        _record("t-3", "Task", "Publish", 3, parent=JOB_ID, result="skipped", state="pending"),
        _record("other", "Task", "Elsewhere", 1, parent="another-job", log={"id": 9}),
    ]
    return json.dumps({"records": records, "count": len(records)}).encode()


def test_azure_devops_prints_each_task_log_in_order(server: LocalServer) -> None:
    server.route(AZ_BUILD + "/timeline", Reply(200, _timeline()))
    server.route(AZ_BUILD + "/logs/4", Reply(200, b"Syncing repository\n", TEXT))
    server.route(AZ_BUILD + "/logs/5", Reply(200, b"##[error]1 test failed\n", TEXT))
    result = _logs(server, JOB_ID, *AZ, "--token", "azure-pat-logsecret")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "==> Checkout <==\nSyncing repository\n==> Test (failed) <==\n##[error]1 test failed\n"
    )
    assert all(r.headers["Authorization"].startswith("Basic ") for r in server.requests)


def test_azure_devops_failed_prints_only_the_failed_tasks(server: LocalServer) -> None:
    server.route(AZ_BUILD + "/timeline", Reply(200, _timeline()))
    server.route(AZ_BUILD + "/logs/5", Reply(200, b"##[error]1 test failed\n", TEXT))
    result = _logs(server, JOB_ID, *AZ, "--failed", "--tail", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "##[error]1 test failed\n"
    assert not any(r.path.startswith(AZ_BUILD + "/logs/4") for r in server.requests)


def test_azure_devops_follow_prints_tasks_as_they_complete(server: LocalServer) -> None:
    server.route(
        AZ_BUILD + "/timeline",
        Reply(200, _timeline("inProgress", "inProgress")),
        Reply(200, _timeline("inProgress", "inProgress")),
        Reply(200, _timeline()),
    )
    server.route(AZ_BUILD + "/logs/4", Reply(200, b"Syncing repository\n", TEXT))
    # Azure DevOps answers startLine=N with the lines from N on: the running task's line is
    # shown once, while it runs, and not again when it has ended.
    server.handle(
        AZ_BUILD + "/logs/5", lambda path: Reply(200, b"done\n" if _start(path) == 1 else b"", TEXT)
    )
    result = _logs(server, JOB_ID, *AZ, "-f", "--interval", "0.01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "==> Checkout <==\nSyncing repository\n==> Test (failed) <==\ndone\n"
    assert [r.path.split("?")[0] for r in server.requests].count(AZ_BUILD + "/logs/4") == 1


def _start(path: str) -> int:
    return int(parse_qs(urlsplit(path).query).get("startLine", ["1"])[0])


def _running_task_timeline(state: str) -> bytes:
    records = [
        _record(JOB_ID, "Job", "Build", 1, state=state, result=None if state != "completed" else "succeeded"),
        _record("t-1", "Task", "Checkout", 1, parent=JOB_ID, log={"id": 4}),
        _record(
            "t-2",
            "Task",
            "Test",
            2,
            parent=JOB_ID,
            log={"id": 5},
            state=state,
            result=None if state != "completed" else "succeeded",
        ),
    ]
    return json.dumps({"records": records, "count": len(records)}).encode()


#: The Test task's log at its first, second and third read: each read finds a line still
#: being written, finished by the next; the task has ended by the third.
STAGES = [
    [b"collecting\n", b"test 1 ok\n", b"test 2 o"],
    [b"collecting\n", b"test 1 ok\n", b"test 2 ok\n", b"test 3 o"],
    [b"collecting\n", b"test 1 ok\n", b"test 2 ok\n", b"test 3 ok\n", b"done\n"],
]


def _growing_task(server: LocalServer, first: int) -> None:
    """A running task whose log grows between reads, answered as Azure DevOps answers
    ``startLine=N``: the lines from line N on, the first line being numbered ``first``. Neither
    Microsoft's reference ("The start line.") nor its examples say which number the first line
    has, so the follow must be right under both."""

    def reads() -> int:
        return sum(r.path.startswith(AZ_BUILD + "/logs/5") for r in server.requests)

    def task_log(path: str) -> Reply:
        lines = STAGES[min(reads() - 1, 2)]
        asked = parse_qs(urlsplit(path).query).get("startLine")
        skip = max(0, int(asked[0]) - first) if asked else 0
        return Reply(200, b"".join(lines[skip:]), TEXT)

    def timeline(path: str) -> Reply:
        return Reply(200, _running_task_timeline("inProgress" if reads() < 2 else "completed"))

    server.handle(AZ_BUILD + "/timeline", timeline)
    server.route(AZ_BUILD + "/logs/4", Reply(200, b"Syncing repository\n", TEXT))
    server.handle(AZ_BUILD + "/logs/5", task_log)


GROWN = (
    "==> Checkout <==\nSyncing repository\n==> Test <==\ncollecting\ntest 1 ok\ntest 2 ok\ntest 3 ok\ndone\n"
)


def _task_reads(server: LocalServer) -> list[list[str]]:
    paths = [r.path for r in server.requests if r.path.startswith(AZ_BUILD + "/logs/5")]
    return [parse_qs(urlsplit(p).query).get("startLine", []) for p in paths]


@pytest.mark.parametrize("first", [1, 0], ids=["lines-from-1", "lines-from-0"])
def test_azure_devops_follow_prints_a_running_tasks_lines_as_they_come(
    server: LocalServer, first: int
) -> None:
    """The first read takes the whole log; each later one asks from the last line shown, so
    that line (counting from 1) or the next (counting from 0) comes first: every line is
    shown once, none is lost, and a line still being written waits for its end."""
    _growing_task(server, first)
    result = _logs(server, JOB_ID, *AZ, "-f", "--interval", "0.01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == GROWN
    assert _task_reads(server) == [[], ["2"], ["3"]]


@pytest.mark.parametrize("first", [1, 0], ids=["lines-from-1", "lines-from-0"])
def test_azure_devops_aiter_log_follows_a_running_task_by_lines(server: LocalServer, first: int) -> None:
    _growing_task(server, first)
    kw = {"params": {"organization": "fabrikam", "project": "web", "build": "12"}, "base_url": server.url}

    async def collect() -> bytes:
        chunks = unci.aiter_log("azure-devops", JOB_ID, follow=True, interval=0.01, token="pat", **kw)
        return b"".join([c async for c in chunks])

    assert asyncio.run(collect()).decode() == GROWN
    assert _task_reads(server) == [[], ["2"], ["3"]]


def test_a_line_repeated_across_two_reads_is_shown_twice() -> None:
    """Counting from 1, the answer to ``startLine=N`` starts with the line already shown; only
    that one is dropped, not a later line that happens to be the same."""
    lines = logs.Lines()
    part = LogPart(request=Request(path="/log"), lines="startLine")
    assert lines.part(part).request.query == []
    assert lines.feed(b"a\n") == b"a\n"
    assert lines.part(part).request.query == [("startLine", "1")]
    assert lines.feed(b"a\na\nb\n") == b"a\nb\n"
    assert lines.end(complete=True) == b""
    assert lines.shown == 3


def test_azure_devops_a_record_that_is_not_in_the_timeline_is_not_found(server: LocalServer) -> None:
    server.route(AZ_BUILD + "/timeline", Reply(200, _timeline()))
    result = _logs(server, "no-such-job", *AZ)
    assert result.exit_code == 5
    assert "is not in the timeline" in one_error_line(result.stderr)


# --- CircleCI: v1.1 steps, output on a storage host ---------------------------------------

CC = ["-P", "circleci", "-p", "project_slug=gh/acme/app", "--token", "circle-logsecret0123"]


def test_circleci_reads_v1_1_steps_and_their_output_urls_without_the_token(server: LocalServer) -> None:
    with serving() as storage:
        where = storage.url.replace("127.0.0.1", "localhost")
        build = {
            "build_num": 42,
            "steps": [
                {
                    "name": "Spin up environment",
                    "actions": [
                        {
                            "name": "Spin up environment",
                            "status": "success",
                            "index": 0,
                            "output_url": f"{where}/o/1?Signature=s",
                        }
                    ],
                },
                {
                    "name": "make test",
                    "actions": [
                        {
                            "name": "make test",
                            "status": "failed",
                            "failed": True,
                            "index": 0,
                            "output_url": f"{where}/o/2",
                        },
                        {"name": "make test", "status": "success", "index": 1, "output_url": f"{where}/o/3"},
                    ],
                },
                {"name": "no output", "actions": [{"name": "no output", "status": "success", "index": 0}]},
            ],
        }
        server.route("/api/v1.1/project/github/acme/app/42", Reply(200, json.dumps(build).encode()))
        storage.route("/o/1", Reply(200, b'[{"message":"Build-agent version 1.0\\r\\n","type":"out"}]'))
        storage.route(
            "/o/2",
            Reply(200, b'[{"message":"FAIL: test_x\\n","type":"out"},{"message":"exit 1\\n","type":"err"}]'),
        )
        storage.route("/o/3", Reply(200, b'[{"message":"ok\\n","type":"out"}]'))
        result = run_cli("jobs", "logs", "42", *CC, "--base-url", server.url + "/api/v2")
        assert result.exit_code == 0, result.stderr
        assert result.stdout_bytes == (
            b"==> Spin up environment <==\nBuild-agent version 1.0\r\n"
            b"==> make test (container 0) (failed) <==\nFAIL: test_x\nexit 1\n"
            b"==> make test (container 1) <==\nok\n"
        )
        assert server.requests[0].headers["Circle-Token"] == "circle-logsecret0123"
        assert all("Circle-Token" not in r.headers for r in storage.requests)
        failed = run_cli("jobs", "logs", "42", *CC, "--base-url", server.url + "/api/v2", "--failed")
        assert failed.stdout == "==> make test (container 0) (failed) <==\nFAIL: test_x\nexit 1\n"


def test_circleci_logs_of_a_github_app_project_are_not_offered(server: LocalServer) -> None:
    """``circleci/<org-id>/<project-id>`` (GitHub App, GitLab, Bitbucket Data Center) is a v2
    slug; v2 has no logs and v1.1 documents only github and bitbucket: one line, exit 11, and
    no request that would answer with a 404 reading like a wrong job number."""
    for slug in ("circleci/org-id/proj-id", "CIRCLECI/org-id/proj-id", "gitlab/acme/app"):
        result = run_cli(
            "jobs", "logs", "42", "-P", "circleci", "-p", f"project_slug={slug}",
            "--base-url", server.url + "/api/v2", "--token", "circle-logsecret0123",
        )  # fmt: skip
        assert result.exit_code == 11, slug
        line = one_error_line(result.stderr)
        assert "API v2 has no job logs" in line and "only gh/ and bb/" in line, line
        assert "CircleCI web app" in line
    job = cassette_body("circleci", "get_job")
    server.route("/api/v2/project/circleci/org-id/proj-id/job/42", Reply(200, job))
    steps = run_cli(
        "jobs", "get", "42", "-P", "circleci", "-p", "project_slug=circleci/org-id/proj-id", "--steps",
        "--base-url", server.url + "/api/v2", "--token", "circle-logsecret0123",
    )  # fmt: skip
    assert steps.exit_code == 11
    assert "API v2 has no job steps" in one_error_line(steps.stderr)
    assert not any("v1.1" in r.path for r in server.requests)


def test_circleci_full_vcs_names_reach_v1_1_as_abbreviations_do(server: LocalServer) -> None:
    build = {"build_num": 42, "steps": []}
    server.route("/api/v1.1/project/bitbucket/acme/app/42", Reply(200, json.dumps(build).encode()))
    for slug in ("bb/acme/app", "bitbucket/acme/app", "BB/acme/app"):
        result = run_cli(
            "jobs", "logs", "42", "-P", "circleci", "-p", f"project_slug={slug}",
            "--base-url", server.url + "/api/v2", "--token", "circle-logsecret0123",
        )  # fmt: skip
        assert result.exit_code == 0, (slug, result.stderr)
        assert result.stdout == ""


def test_circleci_v1_1_beside_a_root_without_a_path_is_refused_not_sent_to_a_host_v1_1(
    server: LocalServer,
) -> None:
    """v1.1 replaces the API root's last path segment; a root with no path has none, and cutting
    at its last ``/`` made ``http://v1.1/...``: the token sent to a host named ``v1.1`` (which a
    DNS search domain may resolve). Refused before any request, in one line."""
    server.route("/project/gh/acme/app/job/42", Reply(200, cassette_body("circleci", "get_job")))
    for args in (["jobs", "logs", "42"], ["jobs", "get", "42", "--steps"]):
        result = run_cli(*args, *CC, "--base-url", server.url)
        assert result.exit_code == 2, result.output
        line = one_error_line(result.stderr)
        assert f"the API root {server.url} has no path" in line and "https://HOST/api/v2" in line, line
    # Only the v2 job itself (on the API root, for --steps), nothing beside it.
    assert [r.path for r in server.requests] == ["/project/gh/acme/app/job/42"]
    server.requests.clear()
    with pytest.raises(unci.InvalidParam, match="has no path"):
        list(
            unci.iter_log("circleci", "42", params={"project_slug": "gh/acme/app"}, base_url=server.url + "/")
        )
    # One segment is enough to have a sibling: /v2 -> /v1.1.
    server.route(
        "/v1.1/project/github/acme/app/42", Reply(200, json.dumps({"build_num": 42, "steps": []}).encode())
    )
    result = run_cli("jobs", "logs", "42", *CC, "--base-url", server.url + "/v2")
    assert result.exit_code == 0, result.stderr
    assert [r.path for r in server.requests] == ["/v1.1/project/github/acme/app/42"]


# --- Buddy: a log array per action execution ------------------------------------------------

BD = ["-P", "buddy", "-p", "workspace=buddy", "-p", "project=company-website", "-p", "workflow=2"]
BD_EXEC = "/workspaces/buddy/projects/company-website/pipelines/2/executions/17"


def test_buddy_prints_each_action_executions_log(server: LocalServer) -> None:
    execution = {
        "id": 17,
        "status": "FAILED",
        "action_executions": [
            {"status": "SUCCESSFUL", "action": {"id": 2, "name": "Build application"}},
            {"status": "FAILED", "action": {"id": 3, "name": "Deploy"}},
            {"status": "NOT_EXECUTED", "action": {"id": 4, "name": "Notify"}},
        ],
    }
    server.route(BD_EXEC, Reply(200, json.dumps(execution).encode()))
    # Buddy's own "Get details and logs" example, as its reference page shows it.
    server.route(BD_EXEC + "/action/2", Reply(200, cassette_free_buddy_sample()))
    server.route(BD_EXEC + "/action/3", Reply(200, b'{"status":"FAILED","log":["Permission denied"]}'))
    result = _logs(server, "17", *BD, "--token", "buddy-logsecret0123")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "==> Build application <==\nPulling image library/ubuntu:latest\n"
        "Executing command: echo 'Hello world!'\n'Hello world!'\nBuild finished successfully!\n"
        "==> Deploy (failed) <==\nPermission denied\n"
    )
    assert not any(r.path.endswith("/4") for r in server.requests)


def cassette_free_buddy_sample() -> bytes:
    return json.dumps(
        {
            "status": "SUCCESSFUL",
            "action": {"id": 2, "name": "Build application", "type": "BUILD"},
            "log": [
                "Pulling image library/ubuntu:latest",
                "Executing command: echo 'Hello world!'",
                "'Hello world!'",
                "Build finished successfully!",
            ],
        }
    ).encode()


def _buddy_paged(server: LocalServer, page_size: int, honour_offset: bool = True) -> list[str]:
    """An execution whose one action execution has an ``action_execution_id``, its log served
    by "Get action execution logs": ``page_size`` lines a page from ``offset`` (or, a server
    that ignores it, always the first page)."""
    lines = [f"line {n}" for n in range(1, 8)]
    execution = {
        "id": 17,
        "status": "SUCCESSFUL",
        "action_executions": [
            {"status": "SUCCESSFUL", "action_execution_id": "ae-1", "action": {"id": 2, "name": "Build"}}
        ],
    }
    server.route(BD_EXEC, Reply(200, json.dumps(execution).encode()))

    def logs_page(path: str) -> Reply:
        asked = parse_qs(urlsplit(path).query)
        offset = int(asked["offset"][0]) if honour_offset else 0
        page = lines[offset : offset + min(page_size, int(asked["limit"][0]))]
        body = {"offset": offset, "element_count": len(page), "total_element_count": len(lines), "logs": page}
        return Reply(200, json.dumps(body).encode())

    server.handle(BD_EXEC + "/action_executions/ae-1/logs", logs_page)
    return lines


def _offsets(server: LocalServer) -> list[str]:
    return [parse_qs(urlsplit(r.path).query)["offset"][0] for r in server.requests if "/logs" in r.path]


def test_buddy_reads_an_action_log_page_by_page(server: LocalServer) -> None:
    lines = _buddy_paged(server, page_size=3)
    result = _logs(server, "17", *BD, "--token", "buddy-logsecret0123")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "==> Build <==\n" + "".join(f"{line}\n" for line in lines)
    assert _offsets(server) == ["0", "3", "6"]
    assert all(r.headers["Authorization"] == "Bearer buddy-logsecret0123" for r in server.requests)


def test_buddy_a_server_that_ignores_offset_is_not_asked_forever(server: LocalServer) -> None:
    _buddy_paged(server, page_size=3, honour_offset=False)
    result = _logs(server, "17", *BD, "--token", "buddy-logsecret0123")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "==> Build <==\nline 1\nline 2\nline 3\n"
    assert _offsets(server) == ["0", "3"]


# --- the asyncio client reads a log every way the sync one does ---------------------------
# Both run the same rounds (unci.logrounds); these check each kind of step through each driver.


def _read(way: str, provider: str, job_id: str, **kw: object) -> bytes:
    if way == "sync":
        return b"".join(unci.iter_log(provider, job_id, **kw))

    async def collect() -> bytes:
        return b"".join([c async for c in unci.aiter_log(provider, job_id, **kw)])

    return asyncio.run(collect())


BOTH = pytest.mark.parametrize("way", ["sync", "async"])


@BOTH
def test_follow_waits_for_a_job_whose_provider_gives_its_log_only_whole(
    server: LocalServer, way: str
) -> None:
    job = cassette_body("github", "get_job")
    server.route(
        "/repos/o/r/actions/jobs/7",
        Reply(200, with_fields(job, status="in_progress", conclusion=None)),
        Reply(200, with_fields(job, status="in_progress", conclusion=None)),
        Reply(200, with_fields(job, status="completed", conclusion="success")),
    )
    server.route("/repos/o/r/actions/jobs/7/logs", Reply(200, b"built\n", TEXT))
    notices: list[str] = []
    kw = {"params": {"owner": "o", "repo_id": "r"}, "base_url": server.url, "token": "ghp_x0123"}
    out = _read(way, "github", "7", follow=True, interval=0.01, on_notice=notices.append, **kw)
    assert out == b"built\n"
    assert len(notices) == 1 and "gives its log once it has finished, waiting" in notices[0]
    assert [r.path for r in server.requests] == ["/repos/o/r/actions/jobs/7"] * 3 + [
        "/repos/o/r/actions/jobs/7/logs"
    ]


@BOTH
def test_follow_waits_for_a_trace_that_is_not_there_yet(server: LocalServer, way: str) -> None:
    server.route(GL_JOB + "/trace", Reply(404, b'{"message":"404 Not Found"}'), Reply(200, b"hi\n", TEXT))
    server.route(GL_JOB, Reply(200, _gitlab_job("pending")), Reply(200, _gitlab_job("success")))
    notices: list[str] = []
    kw = {"params": {"project": "group/app"}, "base_url": server.url, "token": "glpat-logsecret0123"}
    out = _read(way, "gitlab", "8", follow=True, interval=0.01, on_notice=notices.append, **kw)
    assert out == b"hi\n"
    assert notices == ["unci: gitlab: job 8 has no log yet, waiting"]


@BOTH
def test_a_step_log_in_pages_is_read_page_by_page(server: LocalServer, way: str) -> None:
    lines = _buddy_paged(server, page_size=3)
    params = {"workspace": "buddy", "project": "company-website", "workflow": "2"}
    out = _read(way, "buddy", "17", params=params, base_url=server.url, token="buddy-logsecret0123")
    assert out == b"==> Build <==\n" + "".join(f"{line}\n" for line in lines).encode()
    assert _offsets(server) == ["0", "3", "6"]


# --- a job with no log at first -------------------------------------------------------------


def _queued_timeline() -> bytes:
    records = [_record(JOB_ID, "Job", "Build", 1, state="pending", result=None)]
    return json.dumps({"records": records, "count": 1}).encode()


def test_azure_devops_a_queued_job_has_no_log_yet_exit_13(server: LocalServer) -> None:
    """It printed nothing and exited 0, as if the log were empty."""
    server.route(AZ_BUILD + "/timeline", Reply(200, _queued_timeline()))
    result = _logs(server, JOB_ID, *AZ)
    assert result.exit_code == 13, result.stderr
    assert "is queued and Azure DevOps has no log for it yet" in one_error_line(result.stderr)
    with pytest.raises(unci.LogUnavailable) as info:
        list(
            unci.iter_log(
                "azure-devops", JOB_ID, params=dict(p.split("=") for p in AZ[3::2]), base_url=server.url
            )
        )
    assert info.value.pending


def test_azure_devops_follow_waits_for_a_queued_job_and_says_so(server: LocalServer) -> None:
    server.route(
        AZ_BUILD + "/timeline",
        Reply(200, _queued_timeline()),
        Reply(200, _queued_timeline()),
        Reply(200, _timeline()),
    )
    server.route(AZ_BUILD + "/logs/4", Reply(200, b"Syncing repository\n", TEXT))
    server.route(AZ_BUILD + "/logs/5", Reply(200, b"##[error]1 test failed\n", TEXT))
    result = _logs(server, JOB_ID, *AZ, "-f", "--interval", "0.01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("==> Checkout <==\nSyncing repository\n")
    assert result.stderr.count("has no log yet, waiting") == 1


def test_follow_with_tail_shows_every_line_of_a_log_that_was_not_there_at_first(server: LocalServer) -> None:
    """``--tail N`` cuts what is there at first; nothing was, so each later line is shown as it
    comes. It held the whole follow and printed only the last N lines once the job had ended."""
    grow = _growing(server, b"one\ntwo\nthree\n", [4, 8], honour_range=True)
    calls = iter([Reply(404, b'{"message":"404 Not Found"}')])
    server.handle(GL_JOB + "/trace", lambda path: next(calls, None) or grow(path))
    server.route(
        GL_JOB,
        Reply(200, _gitlab_job("pending")),
        Reply(200, _gitlab_job("running")),
        Reply(200, _gitlab_job("running")),
        Reply(200, _gitlab_job("success")),
    )
    result = _logs(server, "8", *GL, "-f", "--tail", "1", "--interval", "0.01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "one\ntwo\nthree\n"
