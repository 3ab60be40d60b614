"""`unci jobs logs` and `unci.iter_log` against real HTTP servers on 127.0.0.1.

The storage host of a redirect is a second server, addressed by another name (``localhost``)
or another port, so what it receives is exactly what unci would send to another company's
host: the tests assert that none of the provider's credentials, headers or cookies arrive.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

import unci
from helpers import ctrl_c_reaches_child, one_error_line, run_cli
from localserver import LocalServer, Reply, serving

TOKEN = "ghp_logsecret0123456789"
GH = ["-P", "github", "-p", "owner=o", "-p", "repo_id=r"]
LOG_PATH = "/repos/o/r/actions/jobs/7/logs"
JOB_PATH = "/repos/o/r/actions/jobs/7"
TEXT = {"Content-Type": "text/plain"}


def _job(status: str, conclusion: str | None = None) -> bytes:
    return json.dumps(
        {"id": 7, "run_id": 1, "name": "build", "status": status, "conclusion": conclusion, "steps": []}
    ).encode()


def _logs(server: LocalServer, *args: str, env: dict[str, str] | None = None):
    return run_cli("jobs", "logs", "7", *GH, "--base-url", server.url, "--token", TOKEN, *args, env=env)


def _localhost(url: str) -> str:
    return url.replace("127.0.0.1", "localhost")


def test_the_redirect_to_storage_carries_no_credential_header_or_cookie(server: LocalServer) -> None:
    with serving() as storage:
        signed = f"{_localhost(storage.url)}/blob/job-7.txt?sv=2024&sig=a%2Fb%2Bc%3D&se=2026"
        storage.route("/blob/job-7.txt", Reply(200, b"line 1\nline 2\n", TEXT))
        server.route(
            LOG_PATH,
            Reply(302, b"", {"Location": signed, "Set-Cookie": "session=s3cret; Path=/"}),
        )
        result = _logs(server)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "line 1\nline 2\n"
        api = server.requests[0]
        assert api.headers["Authorization"] == f"Bearer {TOKEN}"
        [seen] = storage.requests
        # The signature arrives byte for byte: re-encoding it would break it.
        assert seen.path == "/blob/job-7.txt?sv=2024&sig=a%2Fb%2Bc%3D&se=2026"
        sent = {k.lower(): v for k, v in seen.headers.items()}
        assert "authorization" not in sent and "cookie" not in sent
        assert not any(k.startswith("x-github") for k in sent)
        assert TOKEN not in json.dumps(seen.headers)


def test_a_storage_host_refusing_its_link_is_not_blamed_on_the_token(server: LocalServer) -> None:
    """An expired signed link answers 403: it read "the token lacks access. Supply a valid
    token" (exit 4), though the token was never sent there, and a user rotated a good one."""
    with serving() as storage:
        signed = f"{_localhost(storage.url)}/blob/job-7.txt?sig=abc&se=2020"
        expired = (
            b'<?xml version="1.0"?><Error><Code>AuthenticationFailed</Code>'
            b"<Message>Signature not valid in the specified time frame</Message></Error>"
        )
        storage.route("/blob/job-7.txt", Reply(403, expired, {"Content-Type": "application/xml"}))
        server.route(LOG_PATH, Reply(302, b"", {"Location": signed}))
        result = _logs(server)
    assert result.exit_code == 6, result.stderr
    line = one_error_line(result.stderr)
    assert "HTTP 403 from " in line and "/blob/job-7.txt, the storage host" in line
    assert "the link may have expired" in line and "run the command again" in line
    assert "token lacks access" not in line and "sig=abc" not in line


def test_a_storage_host_on_another_port_of_the_same_address_is_another_host(server: LocalServer) -> None:
    with serving() as storage:
        storage.route("/b", Reply(200, b"from storage\n", TEXT))
        server.route(LOG_PATH, Reply(307, b"", {"Location": f"{storage.url}/b"}))
        result = _logs(server)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "from storage\n"
        assert "Authorization" not in storage.requests[0].headers


def test_redirect_hops_are_limited(server: LocalServer) -> None:
    server.route(LOG_PATH, Reply(302, b"", {"Location": LOG_PATH}))
    result = _logs(server)
    assert result.exit_code == 6
    assert "redirected more than 5 times" in one_error_line(result.stderr)


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "ftp://example.com/log", "javascript:alert(1)", "http://[::1"]
)
def test_a_redirect_to_anything_but_http_is_refused(server: LocalServer, location: str) -> None:
    server.route(LOG_PATH, Reply(302, b"", {"Location": location}))
    result = _logs(server)
    assert result.exit_code == 6
    assert "unci follows only http and https" in one_error_line(result.stderr)


def test_no_log_yet_is_its_own_exit_code_not_a_wrong_id(server: LocalServer) -> None:
    server.route(LOG_PATH, Reply(404, b'{"message":"Not Found"}'))
    server.route(JOB_PATH, Reply(200, _job("in_progress")))
    result = _logs(server)
    assert result.exit_code == 13
    line = one_error_line(result.stderr)
    assert "job '7' is in_progress" in line and "no log for it yet" in line and "--follow" in line


def test_a_finished_job_without_a_log_says_so(server: LocalServer) -> None:
    server.route(LOG_PATH, Reply(410, b'{"message":"Gone"}'))
    server.route(JOB_PATH, Reply(200, _job("completed", "skipped")))
    result = _logs(server)
    assert result.exit_code == 13
    assert "has finished (skipped) but GitHub Actions has no log" in one_error_line(result.stderr)


def test_a_wrong_id_is_still_not_found(server: LocalServer) -> None:
    server.route(LOG_PATH, Reply(404, b'{"message":"Not Found"}'))
    server.route(JOB_PATH, Reply(404, b'{"message":"Not Found"}'))
    result = _logs(server)
    assert result.exit_code == 5
    assert "job '7' was not found" in one_error_line(result.stderr)


COLOURED = b"\x1b[1;31mred\x1b[0m plain \x1b]8;;http://x\x07link\x1b]8;;\x07\n"


def test_colour_is_stripped_when_piped_and_kept_on_request(server: LocalServer) -> None:
    server.route(LOG_PATH, Reply(200, COLOURED, TEXT))
    piped = _logs(server)
    assert piped.stdout_bytes == b"red plain link\n"
    kept = _logs(server, "--color")
    assert kept.stdout_bytes == COLOURED
    assert _logs(server, "--no-color").stdout_bytes == b"red plain link\n"


def _on_a_terminal(*args: str) -> bytes:
    """What ``unci ARGS`` writes to a real terminal (a pseudo-terminal), as a person sees it."""
    import os
    import pty
    import subprocess
    import sys

    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "unci", *args], stdout=child, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    os.close(child)
    out = b""
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        out += data
    os.close(main)
    proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    return out.replace(b"\r\n", b"\n")  # the terminal's line discipline


def test_on_a_terminal_a_log_cannot_set_the_title_or_write_the_clipboard(server: LocalServer) -> None:
    """Colour, cursor codes and hyperlinks reach the terminal; a title (OSC 0), a clipboard
    write (OSC 52), a DCS string and a reset (ESC c) from the log did too. Piped, with --color,
    the log is the provider's bytes as they are (those escapes do nothing in a file)."""
    log = (
        b"\x1b[31mred\x1b[0m \x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x07\x1bPq#0\x1b\\"
        b"\x1b]8;;https://x.test\x1b\\link\x1b]8;;\x1b\\\x1bc done\n"
    )
    server.route(LOG_PATH, Reply(200, log, TEXT, drip=0.0005))  # cut at many places
    shown = _on_a_terminal("jobs", "logs", "7", *GH, "--base-url", server.url, "--token", TOKEN)
    assert shown == b"\x1b[31mred\x1b[0m \x1b]8;;https://x.test\x1b\\link\x1b]8;;\x1b\\ done\n"
    assert _logs(server, "--color").stdout_bytes == log


#: Escapes the stripper once let through: ESC c (a reset), a character set, ESC # 8, ESC 7 and
#: ESC 8, a DCS string, a query the terminal answers into the shell's input, the alternate
#: screen, a clipboard write longer than the 4 KiB once looked back over, and a title never
#: ended (the terminal took the lines after it as the title).
HOSTILE = (
    b"a\x1bc reset\n\x1b(0lqqk\x1b(B charset\n\x1b#8 decaln\n\x1b7save\x1b8restore\n"
    b"\x1bPqDCS payload\x1b\\ dcs\n\x1b[6n dsr\n\x1b[?1049h alt\n\x1b[31mred\x1b[0m\n"
    b"before \x1b]52;c;" + b"QUJD" * 50_000 + b"\x07after\n\x1b]0;never ended\nnext line\n"
)
#: What is left of it: with colour kept, the colour alone; stripped, the text.
KEPT = (
    b"a reset\nlqqk charset\n decaln\nsaverestore\n dcs\n dsr\n alt\n\x1b[31mred\x1b[0m\n"
    b"before after\n\nnext line\n"
)


@pytest.mark.parametrize("keep", [True, False])
def test_no_escape_but_colour_survives_however_the_log_is_cut(keep: bool) -> None:
    from unci.logs import strip_ansi

    want = KEPT if keep else KEPT.replace(b"\x1b[31m", b"").replace(b"\x1b[0m", b"")
    for size in (1, 7, 4096, 65536, len(HOSTILE)):
        pieces = [HOSTILE[i : i + size] for i in range(0, len(HOSTILE), size)]
        assert b"".join(strip_ansi(pieces, keep_csi=keep)) == want, size


def test_no_color_on_a_terminal_strips_every_escape(server: LocalServer) -> None:
    """``--no-color`` on a terminal let ``ESC c`` and a DCS payload reach it: asking for no
    colour was less safe than the default."""
    server.route(LOG_PATH, Reply(200, HOSTILE, TEXT))
    shown = _on_a_terminal("jobs", "logs", "7", *GH, "--base-url", server.url, "--token", TOKEN, "--no-color")
    assert b"\x1b" not in shown
    assert shown == KEPT.replace(b"\x1b[31m", b"").replace(b"\x1b[0m", b"")


def test_no_color_wins_over_a_terminal() -> None:
    from unci.logs_cli import keep_color

    assert keep_color(None, True, {}) is True
    assert keep_color(None, True, {"NO_COLOR": "1"}) is False
    assert keep_color(None, False, {}) is False
    assert keep_color(True, False, {"NO_COLOR": "1"}) is True


def test_the_stripper_holds_an_escape_cut_at_any_chunk_boundary() -> None:
    from unci.logs import strip_ansi

    for cut in range(len(COLOURED) + 1):
        for second in range(cut, len(COLOURED) + 1):
            pieces = [COLOURED[:cut], COLOURED[cut:second], COLOURED[second:]]
            assert b"".join(strip_ansi(pieces)) == b"red plain link\n", (cut, second)


def test_tail_prints_the_last_lines(server: LocalServer) -> None:
    body = b"".join(b"line %d\n" % i for i in range(1, 1001))
    server.route(LOG_PATH, Reply(200, body, TEXT))
    assert _logs(server, "--tail", "3").stdout == "line 998\nline 999\nline 1000\n"
    assert _logs(server, "--tail", "0").stdout == ""


def test_tail_keeps_a_last_line_without_newline() -> None:
    from unci.logs import Tail

    tail = Tail(2)
    for piece in (b"a\nb", b"\nc\nd", b"e"):
        tail.feed(piece)
    assert tail.result() == b"c\nde"


def test_failed_is_refused_where_the_log_is_one_piece(server: LocalServer) -> None:
    result = _logs(server, "--failed")
    assert result.exit_code == 11
    assert "not a log per step" in one_error_line(result.stderr)
    assert server.requests == []


def test_follow_waits_for_a_whole_log_provider_to_finish(server: LocalServer) -> None:
    server.route(
        JOB_PATH,
        Reply(200, _job("queued")),
        Reply(200, _job("in_progress")),
        Reply(200, _job("completed", "success")),
    )
    server.route(LOG_PATH, Reply(200, b"done\n", TEXT))
    result = _logs(server, "--follow", "--interval", "0.01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "done\n"
    assert "waiting" in result.stderr
    assert [r.path for r in server.requests].count(JOB_PATH) == 3


def test_a_deadline_while_following_says_the_job_had_not_ended(server: LocalServer) -> None:
    """It read "the deadline ran out before URL answered in whole", blaming a server that
    answered every request at once."""
    server.route(JOB_PATH, Reply(200, _job("queued")))
    started = time.monotonic()
    result = _logs(server, "--follow", "--interval", "0.3", "--deadline", "1")
    assert result.exit_code == 8, result.output
    assert time.monotonic() - started < 10
    assert one_error_line(result.stderr.splitlines()[-1] + "\n") == (
        "unci: error: github: job 7's log had not ended when the deadline ran out; raise --deadline, "
        "or leave it out to follow the log to its end"
    )


def test_follow_asks_again_when_the_log_lags_the_finished_status(server: LocalServer) -> None:
    """GitHub can say "completed" a moment before the log is there: a follow that waited the
    whole run ended with exit 13, "expired or erased"."""
    server.route(JOB_PATH, Reply(200, _job("in_progress")), Reply(200, _job("completed", "success")))
    server.route(LOG_PATH, Reply(404, b'{"message":"Not Found"}'), Reply(200, b"done\n", TEXT))
    result = _logs(server, "--follow", "--interval", "0.01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "done\n"


def test_follow_still_says_a_finished_job_has_no_log_after_asking_again(server: LocalServer) -> None:
    server.route(JOB_PATH, Reply(200, _job("completed", "success")))
    server.route(LOG_PATH, Reply(404, b'{"message":"Not Found"}'))
    result = _logs(server, "--follow", "--interval", "0.01")
    assert result.exit_code == 13
    assert "has no log for it" in one_error_line(result.stderr)
    assert [r.path for r in server.requests].count(LOG_PATH) == 3


def test_iter_log_and_aiter_log_yield_bytes(server: LocalServer) -> None:
    with serving() as storage:
        storage.route("/b", Reply(200, b"x" * 200_000, TEXT))
        server.route(LOG_PATH, Reply(302, b"", {"Location": f"{_localhost(storage.url)}/b"}))
        kw = {"params": {"owner": "o", "repo_id": "r"}, "base_url": server.url, "token": TOKEN}
        chunks = list(unci.iter_log("github", "7", **kw))
        assert all(isinstance(c, bytes) for c in chunks) and b"".join(chunks) == b"x" * 200_000

        async def collect() -> bytes:
            return b"".join([c async for c in unci.aiter_log("github", "7", **kw)])

        assert asyncio.run(collect()) == b"x" * 200_000
        assert all("Authorization" not in r.headers for r in storage.requests)


# --- Jenkins: consoleText and progressive text ---------------------------------------------

JK = ["-P", "jenkins", "-p", "job=team/app", "--username", "ann", "--token", "jenkins-api-tok"]
CONSOLE = "/job/team/job/app/9/consoleText"
PROGRESSIVE = "/job/team/job/app/9/logText/progressiveText"


def test_jenkins_console_text(server: LocalServer) -> None:
    server.route(CONSOLE, Reply(200, b"Started by user ann\nFinished: SUCCESS\n", TEXT))
    result = run_cli("jobs", "logs", "9", *JK, "--base-url", server.url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Started by user ann\nFinished: SUCCESS\n"


def _growing(log: bytes, steps: list[int]):
    """A running build's progressive text: each read sees more of it, until the last."""
    reads = iter(steps)

    def answer(path: str) -> Reply:
        start = int(path.split("start=")[1])
        end = next(reads, len(log))
        more = end < len(log)
        headers = {**TEXT, "X-Text-Size": str(end)}
        if more:
            headers["X-More-Data"] = "true"
        return Reply(200, log[start:end], headers)

    return answer


def test_jenkins_follow_reads_progressive_text_until_no_more_data(server: LocalServer) -> None:
    log = b"".join(b"step %d\n" % i for i in range(10))
    server.handle(PROGRESSIVE, _growing(log, [7, 21, 49]))
    result = run_cli("jobs", "logs", "9", *JK, "--base-url", server.url, "-f", "--interval", "0.01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == log
    starts = [r.path.split("start=")[1] for r in server.requests]
    assert starts == ["0", "7", "21", "49"]


def test_jenkins_follow_with_tail_starts_from_the_last_lines(server: LocalServer) -> None:
    log = b"".join(b"step %d\n" % i for i in range(10))
    server.handle(PROGRESSIVE, _growing(log, [35]))
    result = run_cli(
        "jobs", "logs", "9", *JK, "--base-url", server.url, "-f", "--tail", "1", "--interval", "0.01"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == b"step 4\n" + log[35:]


def test_tail_across_chunks_of_every_size() -> None:
    from unci.logs import Tail

    text = b"".join(b"l%d\n" % i for i in range(50)) + b"last"
    for size in (1, 2, 3, 7, 64, 1000):
        for n in (0, 1, 2, 5, 51, 60):
            tail = Tail(n)
            for i in range(0, len(text), size):
                tail.feed(text[i : i + size])
            expected = b"".join(text.splitlines(keepends=True)[-n:]) if n else b""
            assert tail.result() == expected, (size, n)


def test_ctrl_c_while_following_ends_cleanly_with_130(server: LocalServer) -> None:
    import signal
    import subprocess
    import sys
    import time

    server.route(JOB_PATH, Reply(200, _job("in_progress")))
    proc = subprocess.Popen(
        [sys.executable, "-m", "unci", "jobs", "logs", "7", *GH, "--base-url", server.url, "-f"],
        preexec_fn=ctrl_c_reaches_child,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not any(r.path == JOB_PATH for r in server.requests) and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "unci: interrupted"
    assert "Traceback" not in err


def test_a_gzipped_log_from_storage_is_decoded(server: LocalServer) -> None:
    import gzip

    body = b"".join(b"line %d\n" % i for i in range(5000))
    with serving() as storage:
        storage.route("/g", Reply(200, gzip.compress(body), {**TEXT, "Content-Encoding": "gzip"}))
        server.route(LOG_PATH, Reply(302, b"", {"Location": f"{_localhost(storage.url)}/g"}))
        result = _logs(server)
        assert result.exit_code == 0, result.stderr
        assert result.stdout_bytes == body


def test_a_503_before_the_first_byte_is_retried(server: LocalServer) -> None:
    server.route(LOG_PATH, Reply(503, b'{"message":"busy"}', {"Retry-After": "0"}), Reply(200, b"ok\n", TEXT))
    result = _logs(server)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "ok\n"
    assert len(server.requests) == 2


def test_once_a_redirect_left_the_api_host_no_later_hop_gets_the_credentials(server: LocalServer) -> None:
    """storage -> back to the API host's address under another name -> storage: bare throughout."""
    with serving() as storage:
        storage.route("/first", Reply(302, b"", {"Location": f"{server.url}/bounce"}))
        server.route("/bounce", Reply(302, b"", {"Location": f"{_localhost(storage.url)}/last"}))
        storage.route("/last", Reply(200, b"there\n", TEXT))
        server.route(LOG_PATH, Reply(302, b"", {"Location": f"{_localhost(storage.url)}/first"}))
        result = _logs(server)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "there\n"
        bounce = next(r for r in server.requests if r.path == "/bounce")
        assert "Authorization" not in bounce.headers
        assert all("Authorization" not in r.headers for r in storage.requests)


def test_a_reader_that_goes_away_ends_a_follow_that_waits(server: LocalServer) -> None:
    """``logs --follow | head`` of a log that stopped growing (here: a job that never starts)
    waited for a write that never came."""
    import subprocess
    import sys

    server.route(JOB_PATH, Reply(200, _job("queued")))
    args = [
        "jobs",
        "logs",
        "7",
        *GH,
        "--base-url",
        server.url,
        "--token",
        TOKEN,
        "--follow",
        "--interval",
        "0.5",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "unci", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while not any(r.path == JOB_PATH for r in server.requests) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.stdout is not None
        proc.stdout.close()  # the reader leaves, as `| head` does
        closed = time.monotonic()
        assert proc.wait(timeout=30) == 0
        assert time.monotonic() - closed < 10
    finally:
        proc.kill()
    assert proc.stderr is not None and b"Traceback" not in proc.stderr.read()
