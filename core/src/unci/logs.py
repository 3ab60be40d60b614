"""Job logs without I/O: which requests to make, where a redirect may lead, and what to do
with the text on its way out (colour stripped across chunk boundaries, the last lines kept).

The clients (:mod:`unci.log_client`) send; the order of the requests of a read or a
``--follow`` is :mod:`unci.logrounds`; what each request is, and the rest, is decided here, once.

A redirect is followed to a storage host (GitHub's log redirect, Bitbucket's 307 to a
pre-signed URL) only as a *bare* request: no credentials, no provider header, no cookie. The
provider's credentials travel to the API root's origin and nowhere else.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import msgspec

from unci.call import USER_AGENT, Call, RemoteQuery, Target, check_params, prepare, query_pairs
from unci.errors import LogUnavailable, RemoteError, Unsupported, UsageError
from unci.job import Job, Status
from unci.numbers import is_count
from unci.plugins import PluginRegistry, registry
from unci.provider import LogPart, Request, check_id

#: Redirects followed for one log before giving up (GitHub and Bitbucket need one).
MAX_HOPS = 5
#: Seconds between two reads of a running job's log (``--interval``).
DEFAULT_INTERVAL = 3.0


# --- which requests ------------------------------------------------------------------------


def _checked(
    target: Target, job_id: str | int, params: Mapping[str, str] | None, reg: PluginRegistry
) -> tuple[str, dict[str, str]]:
    job_id = check_id("job id", job_id, provider=target.provider)
    return job_id, check_params(target, params or {}, "get", reg)


def _call(
    target: Target,
    request: Request,
    job_id: str,
    params: Mapping[str, str],
    reg: PluginRegistry,
    remote_query: RemoteQuery = (),
) -> Call:
    call = prepare(target, request, job_id=job_id, params=params, reg=reg, remote_query=remote_query)
    call.kind = "log of job"
    return call


@dataclass
class LogPlan:
    """How one job's log is read: whole, in ranges, or in parts found through an index."""

    target: Target
    job_id: str
    params: dict[str, str]
    #: ``"whole"`` (one request), ``"parts"`` (an index, then one request a step).
    way: str
    #: The provider can give the log from an offset (``--follow`` reads ranges).
    ranges: bool
    #: Passed to the provider's log request untouched.
    remote_query: list[tuple[str, str]] = field(default_factory=list)

    @property
    def provider(self) -> str:
        return self.target.provider

    def whole(self, reg: PluginRegistry | None = None) -> Call:
        reg = reg or registry()
        request = reg.hooks(self.provider).build_log_request(self.job_id, self.params)
        return _call(self.target, request, self.job_id, self.params, reg, self.remote_query)

    def index(self, reg: PluginRegistry | None = None) -> Call:
        reg = reg or registry()
        request = reg.hooks(self.provider).build_log_parts_request(self.job_id, self.params)
        call = _call(self.target, request, self.job_id, self.params, reg)
        call.kind = "job"
        return call

    def range(self, offset: int, reg: PluginRegistry | None = None) -> Call:
        reg = reg or registry()
        request = reg.hooks(self.provider).build_log_range_request(self.job_id, self.params, offset)
        return _call(self.target, request, self.job_id, self.params, reg, self.remote_query)

    def part(self, part: LogPart, reg: PluginRegistry | None = None) -> Call:
        """A step's log: on the API root with credentials, or a bare request to another host."""
        path = part.request.path
        if path.startswith(("http://", "https://")) and _origin(path) != _origin(self.target.base_url):
            return bare_call(self.target, path, self.job_id)
        return _call(self.target, part.request, self.job_id, self.params, reg or registry())


def plan(
    target: Target,
    job_id: str | int,
    params: Mapping[str, str] | None = None,
    *,
    failed: bool = False,
    remote_query: RemoteQuery = (),
    reg: PluginRegistry | None = None,
) -> LogPlan:
    """Check the input and pick the provider's way of giving logs (one line when it has none)."""
    reg = reg or registry()
    job_id, checked = _checked(target, job_id, params, reg)
    hooks = reg.hooks(target.provider)
    title = target.info.title
    if hooks.supports("map_log_parts"):
        way = "parts"
    elif hooks.supports("build_log_request"):
        way = "whole"
    else:
        raise Unsupported(f"{target.provider}: {title} offers no job logs", provider=target.provider)
    if failed and way != "parts":
        refused = Unsupported(
            f"{target.provider}: {title} gives a job's log in one piece, not a log per step, so "
            "the failed steps cannot be picked out of it",
            hint="leave --failed out for the whole log",
            py_hint="leave failed=True out for the whole log",
            http_hint="leave failed_only out for the whole log",
            provider=target.provider,
        )
        # Over HTTP it is the caller's option that does not fit this provider: a 400.
        refused.status_code, refused.error = 400, "Bad Request"
        raise refused
    return LogPlan(
        target,
        job_id,
        checked,
        way,
        hooks.supports("build_log_range_request"),
        query_pairs(target.provider, remote_query),
    )


# --- redirects -----------------------------------------------------------------------------


def _origin(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").lower() + f":{parts.port or ''}"
    except ValueError:
        return "", url


def bare_call(target: Target, url: str, job_id: str | None = None) -> Call:
    """A GET of ``url`` carrying nothing of the provider's: only unci's user agent.

    The URL is sent exactly as given (a pre-signed URL's signature must not be re-encoded);
    messages show it without its query, which is where such URLs keep their signature.
    """
    parts = urlsplit(url)
    shown = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
    return Call(
        target=target,
        method="GET",
        url=shown,
        query=[],
        headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
        auth_header_names=(),
        job_id=job_id,
        kind="log of job",
        raw_url=url,
        bare=True,
    )


def raw_url(call: Call) -> str:
    """The URL to send for ``call``: its exact URL when it has one, else its own."""
    return call.raw_url or call.url


def next_hop(call: Call, status: int, headers: Mapping[str, str], hops: int) -> Call:
    """The call a redirect answer leads to, or the error that ends the log.

    A hop to the API root's origin, from a call that never left it, keeps its credentials;
    any other hop is bare, and so is every hop after it.
    """
    provider = call.provider
    location = "".join(ch for ch in headers.get("location", "").strip() if ch.isprintable())
    if not location:
        raise RemoteError(
            f"{provider}: HTTP {status} from {call.redacted_url()} redirected nowhere (no Location)",
            provider=provider,
            remote_status=status,
        )
    if hops >= MAX_HOPS:
        raise RemoteError(
            f"{provider}: the log of job {call.job_id!r} redirected more than {MAX_HOPS} times; "
            "stopped (a redirect loop at the provider or a proxy)",
            provider=provider,
            remote_status=status,
        )
    url = urljoin(raw_url(call), location)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        scheme = parts.scheme or "no scheme"
        raise RemoteError(
            f"{provider}: the log of job {call.job_id!r} redirected to a {scheme!r} URL; unci "
            "follows only http and https",
            provider=provider,
            remote_status=status,
        )
    if "@" in parts.netloc:
        raise RemoteError(
            f"{provider}: the log of job {call.job_id!r} redirected to a URL with a user name "
            "or password in it; not followed",
            provider=provider,
            remote_status=status,
        )
    same = _origin(url) == _origin(call.target.base_url)
    if same and not call.bare:
        return Call(
            target=call.target,
            method="GET",
            url=url.partition("?")[0],
            query=[],
            headers=dict(call.headers),
            auth_header_names=call.auth_header_names,
            job_id=call.job_id,
            params=call.params,
            kind=call.kind,
            raw_url=url,
        )
    return bare_call(call.target, url, call.job_id)


def bad_location(call: Call) -> RemoteError:
    """httpx refuses a redirect's ``Location`` before unci sees it (``javascript:x``)."""
    return RemoteError(
        f"{call.provider}: the log of job {call.job_id!r} redirected to a URL that is not "
        "http(s) or not valid; unci follows only http and https",
        provider=call.provider,
        remote_status=302,
    )


# --- when there is no log -------------------------------------------------------------------


def unavailable(target: Target, job: Job, title: str) -> LogUnavailable:
    """The job was found but its log was not: not yet, or not at all."""
    provider = target.provider
    if running(job):
        state = job.status or "not finished"
        return LogUnavailable(
            f"{provider}: job {job.id!r} is {state} and {title} has no log for it yet",
            hint="ask again when it has finished, or wait for it with --follow",
            py_hint="ask again when it has finished, or wait for it with follow=True",
            http_hint="ask again when it has finished, or wait for it with follow=true",
            provider=provider,
            pending=True,
        )
    outcome = f" ({job.conclusion})" if job.conclusion else ""
    return LogUnavailable(
        f"{provider}: job {job.id!r} has finished{outcome} but {title} has no log for it "
        "(skipped, expired or erased)",
        provider=provider,
    )


def running(job: Job) -> bool:
    """Queued or running: its log may still come or grow. A status the provider left out or
    spelled its own way counts as ended, so nothing waits forever on a word it cannot read."""
    return job.status in (Status.QUEUED, Status.IN_PROGRESS)


# --- the text on its way out ----------------------------------------------------------------

#: Every escape (ECMA-48): a CSI; an OSC, DCS, SOS, PM or APC string, up to its terminator
#: (BEL or ST) or, left open, up to the end of its line; an escape with intermediate bytes
#: (``ESC ( 0``: a character set, ``ESC # 8``); a two-byte one (``ESC c``: a reset).
_ANSI = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[ -/]+[0-~]|[0-~])")
#: The CSI kept with colour on a terminal: colour (SGR) and moving or erasing on the screen,
#: without a private marker. Others make the terminal answer (``ESC[6n`` types the cursor's
#: place into the shell's input) or switch its modes (``ESC[?1049h``, the alternate screen).
_DRAWING_CSI = rb"\[[0-9;:]*[ABCDEFGHJKSTfmsu]"
#: A whole OSC 8 hyperlink (of at most 4,000 bytes: a longer one is dropped), kept with colour.
_HYPERLINK = rb"\]8;[^\x07\x1b\n]{0,4000}(?:\x07|\x1b\\)"
#: Everything a terminal does more with than draw: every escape but a drawing CSI and a whole
#: hyperlink; a string's terminator (ESC \) alone does nothing and is kept with its hyperlink.
_NOT_CSI = re.compile(
    rb"\x1b(?:\](?!"
    + _HYPERLINK[2:]
    + rb")[^\x07\x1b\n]*(?:\x07|\x1b\\)?|[PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)?"
    rb"|\[(?!" + _DRAWING_CSI[2:] + rb")[0-?]*[ -/]*[@-~]|[ -/]+[0-~]|[0-Z^-~])"
)
#: Any escape but a drawing CSI or a hyperlink: where a chunk with colour kept has nothing to
#: drop, the one scan.
_ANY_NOT_CSI = re.compile(rb"\x1b(?!" + _DRAWING_CSI + rb"|" + _HYPERLINK + rb"|\\)")
#: An escape begun and not ended at the end of the data: ESC alone, a CSI without its final
#: byte, an escape without the byte after its intermediates, a string whose line has not ended
#: without its terminator or with half of ST. Each try ends at the next ESC, BEL or line end.
_PARTIAL = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*|[\]PX^_][^\x07\x1b\n]*\x1b?|[ -/]+)?\Z")
#: A CSI (or a hyperlink being kept) this long that has not ended is dropped, not held.
_LONGEST_ESCAPE = 4096


def _last_escapes(data: bytes) -> int:
    """Where an escape left open at the end can begin: at the last ESC, or at the one before
    when the last is the data's final byte (the first half of a string's ST). Earlier ones
    have ended: a string ends at the next ESC, a CSI before it. Searching from there, not from
    the start, keeps a chunk of colour from being scanned twice."""
    last = data.rfind(b"\x1b")
    if last == len(data) - 1 and last > 0:
        before = data.rfind(b"\x1b", 0, last)
        return before if before != -1 else last
    return max(last, 0)


class AnsiStripper:
    """Strips terminal escapes from a stream of chunks. An escape cut by a chunk boundary is
    held until the next chunk completes it, so nothing of it leaks; a string (an OSC 52
    clipboard write, a title, a DCS) that has begun is dropped up to its terminator (or the
    end of its line) however long it runs and however many chunks it spans.
    With ``keep_csi``, colour, cursor codes and hyperlinks stay and only the rest goes: a job's
    log (a pull request's, anyone's) could otherwise set the terminal's title, write to its
    clipboard, reset it or make it type into the shell."""

    def __init__(self, keep_csi: bool = False) -> None:
        self._held = b""
        #: Inside a string whose bytes are dropped until its terminator.
        self._dropping = False
        self._drop = _NOT_CSI if keep_csi else _ANSI
        self._keep_csi = keep_csi

    def feed(self, chunk: bytes) -> bytes:
        if not self._held and not self._dropping:
            if self._keep_csi:
                # Every ESC begins a drawing CSI (one scan, in C): nothing to drop.
                if not _ANY_NOT_CSI.search(chunk) and not chunk.endswith(b"\x1b"):
                    return chunk
            elif b"\x1b" not in chunk:
                return chunk
        data = self._held + chunk
        self._held = b""
        if self._dropping:
            data = self._skip_string(data)
            if self._dropping:
                return b""
        # The earliest escape that has begun and not ended by the end of the data (not only
        # the last ESC: that may be the ESC of the string terminator of an OSC begun before).
        cut = _PARTIAL.search(data, _last_escapes(data))
        if cut is not None:
            data, rest = data[: cut.start()], data[cut.start() :]
            # A hyperlink (or what may yet become one: ``ESC ]`` cut before its ``8;``) is held
            # to be kept whole; any other string is dropped as it comes.
            link = rest.startswith(b"\x1b]8;") or b"\x1b]8;".startswith(rest)
            if rest[1:2] in (b"]", b"P", b"X", b"^", b"_") and not (
                self._keep_csi and link and len(rest) < _LONGEST_ESCAPE
            ):
                self._dropping = True  # its bytes so far are dropped; the rest as they come
                self._held = b"\x1b" if rest.endswith(b"\x1b") else b""
            elif len(rest) < _LONGEST_ESCAPE:
                self._held = rest
        return self._drop.sub(b"", data)

    def _skip_string(self, data: bytes) -> bytes:
        """``data`` after the terminator of the string being dropped, or from the end of its
        line: the terminal never saw the string begin, so the next line is text to it, and a
        string left open loses no more of the log than the rest of its line. Nothing when
        neither has come yet; then an ESC at the very end is held, the first half of ST."""
        bell, st, line = data.find(b"\x07"), data.find(b"\x1b\\"), data.find(b"\n")
        ends = [i + n for i, n in ((bell, 1), (st, 2), (line, 0)) if i != -1]
        if not ends:
            self._held = b"\x1b" if data.endswith(b"\x1b") else b""
            return b""
        self._dropping = False
        return data[min(ends) :]

    def flush(self) -> bytes:
        """What is held at the end is an escape that never ended: never shown."""
        self._held, self._dropping = b"", False
        return b""


def strip_ansi(chunks: Iterable[bytes], keep_csi: bool = False) -> Iterator[bytes]:
    stripper = AnsiStripper(keep_csi)
    for chunk in chunks:
        out = stripper.feed(chunk)
        if out:
            yield out
    rest = stripper.flush()
    if rest:
        yield rest


class Lines:
    """A running step's log read again and again from the last line shown: only whole lines
    go out, so a line still being written is read again, whole, next time.

    Each read after the first starts at line number ``shown``. Where the provider counts from 1
    (the first line is ``startLine=1``) that is the last line already shown, and it is dropped;
    where it counts from 0, it is the first new line, kept. Which one it is need not be known:
    the first line of the answer is compared with the last one shown, and one answer that
    differs proves counting from 0, after which nothing is compared. The first read asks for
    the whole log, the same under either count.
    """

    def __init__(self) -> None:
        self.shown = 0
        self._rest = b""
        #: A digest of the last line shown (constant memory, however long the line).
        self._last = b""
        #: The answer being read starts with a line that may be the last one shown.
        self._check = False
        #: An answer proved the provider counts lines from 0.
        self._from_zero = False

    def part(self, part: LogPart) -> LogPart:
        """``part``'s request from the last line shown on (the whole log at first)."""
        assert part.lines is not None
        self._check = bool(self.shown) and not self._from_zero
        if not self.shown:
            return part
        query = [*part.request.query, (part.lines, str(self.shown))]
        return msgspec.structs.replace(part, request=msgspec.structs.replace(part.request, query=query))

    def feed(self, piece: bytes) -> bytes:
        data = self._rest + piece
        if self._check:
            first = data.find(b"\n") + 1
            if not first:
                self._rest = data
                return b""
            self._check = False
            if _digest(data[:first]) == self._last:
                data = data[first:]
            else:
                self._from_zero = True
        cut = data.rfind(b"\n") + 1
        self._rest = data[cut:]
        if cut:
            self.shown += data.count(b"\n", 0, cut)
            self._last = _digest(data[data.rfind(b"\n", 0, cut - 1) + 1 : cut])
        return data[:cut]

    def end(self, complete: bool) -> bytes:
        """What is left of this read: the last line if the step has ended, else nothing."""
        rest, self._rest = self._rest, b""
        self._check = False
        return rest if complete else b""


def _digest(line: bytes) -> bytes:
    return hashlib.blake2b(line, digest_size=16).digest()


def check_tail(tail: object, provider: str) -> None:
    """A line count, refused before any request when it is none: ``-1`` would give nothing
    (and ``"100"`` fail midway) where the caller meant the last lines."""
    if tail is not None and not is_count(tail, 0):
        raise UsageError(f"{provider}: tail is a number of lines, 0 or more, not {tail!r}", provider=provider)


class Tail:
    """The last ``n`` lines of a stream, holding only the chunks those lines are in.

    Chunks are kept whole and dropped from the front once the later ones hold more than ``n``
    line ends, so the cost is a count per chunk, not work per line.
    """

    def __init__(self, n: int) -> None:
        self.n = max(0, n)
        self._chunks: deque[tuple[bytes, int]] = deque()
        self._ends = 0

    def feed(self, chunk: bytes) -> None:
        if not self.n or not chunk:
            return
        ends = chunk.count(b"\n")
        self._chunks.append((chunk, ends))
        self._ends += ends
        while len(self._chunks) > 1 and self._ends - self._chunks[0][1] > self.n:
            self._ends -= self._chunks.popleft()[1]

    def result(self) -> bytes:
        data = b"".join(c for c, _ in self._chunks)
        self._chunks.clear()
        self._ends = 0
        if not self.n:
            return b""
        # A last line without its line end is a line too.
        pos = len(data) - 1 if data.endswith(b"\n") else len(data)
        for _ in range(self.n):
            pos = data.rfind(b"\n", 0, pos)
            if pos == -1:
                return data
        return data[pos + 1 :]


def header(part: LogPart, number: int) -> bytes:
    """The line above a step's part of the log."""
    name = part.name or f"step {number}"
    mark = " (failed)" if part.failed else ""
    return f"==> {name}{mark} <==\n".encode()
