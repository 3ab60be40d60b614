"""A job whose log echoes the credential unci called with: the log reaches the user with every
form of it replaced, as everything else unci prints is, wherever the log's reads are cut.

The logs come from real HTTP servers on 127.0.0.1; the CLI runs as its own process.
"""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unci
from helpers import run_unci
from localserver import LocalServer, Reply
from unci.redact import REDACTED, StreamScrubber, _anchors, _byte_forms, _core_plan, forms, scrub_bytes

TOKEN = "ghp_Echoed/Token+0123456789abcdefXYZ"
BASIC = base64.b64encode(f":{TOKEN}".encode()).decode()
GH = ["-P", "github", "-p", "owner=o", "-p", "repo_id=r"]
LOG_PATH = "/repos/o/r/actions/jobs/7/logs"
TEXT = {"Content-Type": "text/plain"}
#: What a careless job prints: the token, the Basic header it built from it, a URL with it.
ECHO = (
    f"token={TOKEN}\n"
    f"Authorization: Basic {BASIC}\n"
    f"\x1b[31mclone https://x.test/?t={quote(TOKEN, safe='')}\x1b[0m\n"
    "done\n"
).encode()
SCRUBBED = (
    f"token={REDACTED}\nAuthorization: Basic {REDACTED}\n"
    f"\x1b[31mclone https://x.test/?t={REDACTED}\x1b[0m\ndone\n"
).encode()


def _assert_clean(out: bytes) -> None:
    for form in (TOKEN, BASIC, quote(TOKEN, safe=""), TOKEN[:-1], TOKEN[1:]):
        assert form.encode() not in out


def test_the_cli_replaces_the_token_its_basic_form_and_its_url_form(server: LocalServer) -> None:
    # drip: the answer arrives a few bytes a read, so the forms are cut at many places.
    server.route(LOG_PATH, Reply(200, ECHO, TEXT, drip=0.0005))
    result = run_unci("jobs", "logs", "7", *GH, "--base-url", server.url, "--token", TOKEN, "--color")
    assert result.returncode == 0, result.stderr
    assert result.stdout.encode() == SCRUBBED
    _assert_clean((result.stdout + result.stderr).encode())


def test_stripping_colour_and_tail_still_scrub(server: LocalServer) -> None:
    server.route(LOG_PATH, Reply(200, ECHO, TEXT))
    result = run_unci("jobs", "logs", "7", *GH, "--base-url", server.url, "--token", TOKEN, "--tail", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"clone https://x.test/?t={REDACTED}\ndone\n"


def test_a_log_without_the_token_passes_byte_for_byte(server: LocalServer) -> None:
    # The start of the token at the very end is held back, then given out at the end, unchanged.
    body = b"\x1b[32mok\x1b[0m\nnearly: " + TOKEN[:-1].encode()
    server.route(LOG_PATH, Reply(200, body, TEXT))
    kw = {"params": {"owner": "o", "repo_id": "r"}, "base_url": server.url, "token": TOKEN}
    assert b"".join(unci.iter_log("github", "7", **kw)) == body


@pytest.mark.parametrize("prefix", ["", "x-access-token:", "a", "ab", "user:", "oauth2:"])
def test_the_base64_of_the_token_after_any_prefix_is_replaced(server: LocalServer, prefix: str) -> None:
    """Only ``user:TOKEN`` and ``:TOKEN`` were known: the base64 of the token alone, or of
    ``x-access-token:TOKEN`` (the header git is given by actions/checkout), came through."""
    encoded = base64.b64encode(f"{prefix}{TOKEN}".encode()).decode()
    body = f"AUTHORIZATION: basic {encoded}\nb64 {encoded}==\ndone\n".encode()
    server.route(LOG_PATH, Reply(200, body, TEXT, drip=0.0002))
    result = run_unci("jobs", "logs", "7", *GH, "--base-url", server.url, "--token", TOKEN)
    assert result.returncode == 0, result.stderr
    assert REDACTED in result.stdout and result.stdout.endswith("done\n")
    # What is left is the prefix's own base64 and a few characters at each end, which share
    # bits with the neighbours: none of the token's.
    own = len(base64.b64encode(prefix.encode()))
    for line in result.stdout.splitlines()[:2]:
        left = line.split(" ", 2)[-1].replace(REDACTED, "")
        assert len(left) <= own + 6, line


# --- cut by the provider's reads: Jenkins progressive text, --follow ------------------------

JENKINS_TOKEN = "11aa22bb33cc44dd55ee66ff77aa88bb99"
JK = {"params": {"job": "team/app"}, "username": "ann", "token": JENKINS_TOKEN}
PROGRESSIVE = "/job/team/job/app/9/logText/progressiveText"
JENKINS_LOG = f"+ echo {JENKINS_TOKEN}\n{JENKINS_TOKEN}\nFinished: SUCCESS\n".encode()
JENKINS_SCRUBBED = f"+ echo {REDACTED}\n{REDACTED}\nFinished: SUCCESS\n".encode()
START = JENKINS_LOG.index(JENKINS_TOKEN.encode())


def _growing(server: LocalServer, cut: int) -> None:
    """A running build whose first read ends ``cut`` bytes into the token."""
    reads = iter([START + cut])

    def answer(path: str) -> Reply:
        start = int(path.split("start=")[1])
        end = next(reads, len(JENKINS_LOG))
        headers = {**TEXT, "X-Text-Size": str(end)}
        if end < len(JENKINS_LOG):
            headers["X-More-Data"] = "true"
        return Reply(200, JENKINS_LOG[start:end], headers)

    server.handle(PROGRESSIVE, answer)


def test_follow_scrubs_a_token_cut_between_two_reads_at_every_offset(server: LocalServer) -> None:
    for cut in range(1, len(JENKINS_TOKEN)):
        _growing(server, cut)
        chunks = list(unci.iter_log("jenkins", "9", base_url=server.url, follow=True, interval=0.001, **JK))
        assert b"".join(chunks) == JENKINS_SCRUBBED, cut


def test_aiter_log_follow_scrubs_a_token_cut_between_two_reads(server: LocalServer) -> None:
    async def collect() -> bytes:
        it = unci.aiter_log("jenkins", "9", base_url=server.url, follow=True, interval=0.001, **JK)
        return b"".join([c async for c in it])

    for cut in (1, len(JENKINS_TOKEN) // 2, len(JENKINS_TOKEN) - 1):
        _growing(server, cut)
        assert asyncio.run(collect()) == JENKINS_SCRUBBED, cut


def test_the_cli_follow_scrubs_the_token_and_its_basic_form(server: LocalServer) -> None:
    basic = base64.b64encode(f"ann:{JENKINS_TOKEN}".encode()).decode()
    log = JENKINS_LOG + f"Authorization: Basic {basic}\n".encode()
    cut = START + 5
    reads = iter([cut, len(log) - 9])

    def answer(path: str) -> Reply:
        start = int(path.split("start=")[1])
        end = next(reads, len(log))
        headers = {**TEXT, "X-Text-Size": str(end)}
        if end < len(log):
            headers["X-More-Data"] = "true"
        return Reply(200, log[start:end], headers)

    server.handle(PROGRESSIVE, answer)
    result = run_unci(
        "jobs", "logs", "9", "-P", "jenkins", "-p", "job=team/app", "--username", "ann",
        "--token", JENKINS_TOKEN, "--base-url", server.url, "-f", "--interval", "0.01",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.encode() == JENKINS_SCRUBBED + f"Authorization: Basic {REDACTED}\n".encode()
    assert JENKINS_TOKEN not in result.stdout + result.stderr and basic not in result.stdout


# --- the scrubber itself -------------------------------------------------------------------


@pytest.mark.parametrize("size", range(1, len(ECHO) + 1, 3))
def test_the_scrubber_at_every_chunk_size_holds_at_most_the_longest_form(size: int) -> None:
    from unci.call import _basic_forms
    from unci.redact import _byte_forms

    secrets = list(_basic_forms("", (TOKEN,)))
    longest = max(map(len, _byte_forms(tuple(secrets))))
    scrubber = StreamScrubber(secrets)
    out = b""
    for i in range(0, len(ECHO), size):
        piece = ECHO[i : i + size]
        out += scrubber.feed(piece)
        assert len(scrubber._held) < longest
    out += scrubber.flush()
    assert out == SCRUBBED


def test_no_credentials_means_no_work() -> None:
    scrubber = StreamScrubber([])
    chunk = b"anything\n"
    assert scrubber.feed(chunk) is chunk and scrubber.flush() == b""


# --- whatever the secret and wherever the reads cut, the stream is scrubbed as a whole is ----

#: Letters of both cases (a lower-cased twin), and what the URL, JSON and repr forms escape.
_SECRET_CHARS = 'aZbYcX09_-.~/+=%&"\\ é\t'
_secrets = st.lists(st.text(_SECRET_CHARS, min_size=8, max_size=30), min_size=1, max_size=2)


#: The secrets, a log with their forms (whole and cut short) in it, where its reads end.
_Case = tuple[list[str], bytes, list[int]]


@st.composite
def _log_and_cuts(draw: st.DrawFn) -> _Case:
    secrets = draw(_secrets)
    every = [f.encode("utf-8", "surrogateescape") for s in secrets for f in forms(s)]
    piece = st.one_of(
        st.binary(max_size=12),
        st.sampled_from(every),
        st.sampled_from(every).flatmap(lambda f: st.integers(1, len(f) - 1).map(lambda n: f[:n])),
    )
    log = b"".join(draw(st.lists(piece, max_size=12)))
    cuts = sorted(draw(st.lists(st.integers(0, len(log)), max_size=6)))
    return secrets, log, cuts


@settings(max_examples=300, derandomize=True, database=None)
@given(_log_and_cuts())
def test_a_log_cut_anywhere_is_scrubbed_as_the_whole_would_be(case: _Case) -> None:
    secrets, log, cuts = case
    scrubber = StreamScrubber(secrets)
    out = b""
    for start, end in zip([0, *cuts], [*cuts, len(log)], strict=True):
        out += scrubber.feed(log[start:end])
    out += scrubber.flush()
    assert out == scrub_bytes(log, secrets)


def test_a_token_and_its_lower_cased_twin_are_both_replaced_though_looked_for_once() -> None:
    # The twins share "ghp_benchmarktoken0123456789abcdef": a chunk is scanned for that, and
    # on a hit both forms are replaced, wherever they sit across two reads.
    token = "ghp_benchmarktoken0123456789abcdefABCD"
    log = f"a {token} b {token.lower()} c".encode()
    for cut in range(len(log) + 1):
        scrubber = StreamScrubber([token])
        out = scrubber.feed(log[:cut]) + scrubber.feed(log[cut:]) + scrubber.flush()
        assert out == f"a {REDACTED} b {REDACTED} c".encode(), cut


# --- scrub_bytes looks for a few anchors first: the bytes are those of a replace per form ----


@st.composite
def _text_with_forms(draw: st.DrawFn) -> tuple[list[str], bytes]:
    """Secrets as a call carries them (a token, and the base64 of its Basic pair, whose
    URL-encoded forms share all but their last bytes), and a text with their forms in it."""
    secrets = draw(_secrets)
    if draw(st.booleans()):
        secrets += [base64.b64encode(f":{s}".encode()).decode() for s in secrets]
    every = [f.encode("utf-8", "surrogateescape") for s in secrets for f in forms(s)]
    piece = st.one_of(
        st.binary(max_size=12),
        st.sampled_from(every),
        st.sampled_from(every).flatmap(lambda f: st.integers(1, len(f) - 1).map(lambda n: f[:n])),
    )
    return secrets, b"".join(draw(st.lists(piece, max_size=12)))


@settings(max_examples=400, derandomize=True, database=None)
@given(_text_with_forms())
def test_scrub_bytes_gives_the_bytes_of_replacing_every_form_and_leaves_none(
    case: tuple[list[str], bytes],
) -> None:
    secrets, text = case
    expected = text
    # What scrub_bytes did before it looked for anchors, in its two rounds: the forms, then the
    # base64 cores of the secrets.
    for form in _byte_forms(tuple(secrets)) + _core_plan(tuple(secrets))[0]:
        expected = expected.replace(form, REDACTED.encode())
    out = scrub_bytes(text, secrets)
    assert out == expected
    # No form is left (none can be made anew around "[REDACTED]": these secrets hold no bracket).
    assert not [f for s in secrets for f in forms(s) if f.encode() in out]


def test_the_base64_of_a_basic_pair_and_its_url_forms_are_looked_for_once() -> None:
    token = "ghp_" + "Ab1" * 12
    basic = base64.b64encode(f":{token}".encode()).decode()
    anchors = _anchors(_byte_forms((token, basic)))
    # The base64 ends in "=": it, "%3D" and "%3d" are one scan for what they share.
    assert basic.rstrip("=").encode() in anchors and len(anchors) < len(_byte_forms((token, basic)))
    text = f"{basic} {quote(basic, safe='')} {quote(basic, safe='').lower()} {token}".encode()
    assert scrub_bytes(text, [token, basic]) == f"{REDACTED} {REDACTED} {REDACTED} {REDACTED}".encode()
