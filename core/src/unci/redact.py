"""Keeping credentials out of everything unci prints, logs or returns."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
_SENSITIVE_WORDS = (
    "authorization",
    "cookie",
    "token",
    "secret",
    "password",
    "passwd",
    "apikey",
    "api-key",
    "api_key",
    "private",
    "signature",
    "session",
    "credential",
    "key",
)
#: Shorter values are too likely to occur by chance to be replaced everywhere.
MIN_SECRET_LENGTH = 3
#: ``scheme://user:password@``, up to the last ``@`` before the path.
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def _lower_hex(encoded: str) -> str:
    """``encoded`` with its percent-escapes in lower case (``%2f``, as some encoders write them)
    and the secret's own letters as they are: lower-casing the whole form instead missed a
    secret with capitals written that way."""
    return _ESCAPE.sub(lambda m: m.group().lower(), encoded)


def sensitive_name(name: str) -> bool:
    """Header and query names that carry credentials by convention, whatever their value."""
    lowered = name.lower()
    return any(word in lowered for word in _SENSITIVE_WORDS)


@functools.lru_cache(maxsize=512)
def forms(secret: str) -> tuple[str, ...]:
    """Every way a secret shows up in text, longest first.

    An error rarely quotes a secret plainly: an HTTP library quotes the header's bytes
    (``b'Bearer abc\\r'``), a JSON body escapes it, a URL percent-encodes it. Each of those is
    the secret too, and each is replaced.
    """
    found = {
        secret,
        repr(secret)[1:-1],  # Python's str repr: \r, \t, \\, quotes
        ascii(secret)[1:-1],  # ...with non-ASCII as \xe9 / \u2019
        repr(secret.encode("utf-8", "surrogateescape"))[2:-1],  # bytes repr: b'...'
        json.dumps(secret)[1:-1],  # JSON, non-ASCII as \u00e9
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),  # URL-encoded, as a query value or path segment
        quote(secret),
        quote_plus(secret),
        *map(_lower_hex, (quote(secret, safe=""), quote(secret), quote_plus(secret))),
        quote(secret, safe="").lower(),  # all in lower case, as a case-blind echo writes it
    }
    return tuple(sorted((f for f in found if f), key=len, reverse=True))


@functools.lru_cache(maxsize=512)
def _all_forms(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """The forms of every secret, longest first (a call's secrets repeat for every answer and
    every line printed, so they are worked out once)."""
    out: dict[str, None] = {}
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            out.update(dict.fromkeys(forms(secret)))
    return tuple(sorted(out, key=len, reverse=True))


@functools.lru_cache(maxsize=512)
def _byte_forms(secrets: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(form.encode("utf-8", "surrogateescape") for form in _all_forms(secrets))


def text_forms(secrets: Iterable[str]) -> tuple[str, ...]:
    """Every form of every secret, longest first, then their base64 cores, for a scrub done
    elsewhere in that order (a column of a database table, replaced in C)."""
    found = tuple(secrets)
    return _all_forms(found) + _core_forms(found)


#: A base64 core shorter than this is too likely to occur by chance to be replaced everywhere.
_MIN_CORE = 12


def base64_cores(secret: str) -> list[str]:
    """What every base64 text that holds ``secret`` holds, whatever comes before and after it
    (git's ``x-access-token:TOKEN`` header, the token alone, any prefix): the secret lands at
    one of three offsets in base64's 3-byte groups, and at each the characters made of its
    bytes alone are the same. Found by encoding it between fillers that differ in every bit:
    what both encodings share is what no neighbour can change."""
    import base64

    data = secret.encode("utf-8", "surrogateescape")
    cores = []
    for offset in range(3):
        low = base64.b64encode(b"\x00" * offset + data + b"\x00\x00").decode()
        high = base64.b64encode(b"\xff" * offset + data + b"\xff\xff").decode()
        same = [a == b for a, b in zip(low, high, strict=True)]
        start = same.index(True) if True in same else len(same)
        end = start
        while end < len(same) and same[end]:
            end += 1
        if end - start >= _MIN_CORE:
            core = low[start:end]
            cores += [core, core.replace("+", "-").replace("/", "_")]
    return cores


@functools.lru_cache(maxsize=512)
def _cores(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """The second round of a scrub: the base64 cores of the secrets (a log that prints the
    base64 of ``x-access-token:TOKEN`` or of the token alone, which no first-round form is),
    replaced after the whole forms, so a Basic pair unci knows is replaced whole."""
    known = set(_all_forms(secrets))
    found: dict[str, None] = {}
    for secret in secrets:
        if not _derived(secret, secrets):
            found.update(dict.fromkeys(c for c in base64_cores(secret) if c not in known))
    return tuple(found)


@functools.lru_cache(maxsize=512)
def _core_forms(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """The cores as text shows them: as they are, and percent-encoded (a core's ``+`` and
    ``/`` in a URL). Not :func:`forms`' other twins: a lower-cased base64 text is no one's."""
    found: dict[str, None] = {}
    for core in _cores(secrets):
        encoded = quote(core, safe="")
        found.update(dict.fromkeys((core, encoded, _lower_hex(encoded))))
    return tuple(sorted(found, key=len, reverse=True))


@functools.lru_cache(maxsize=512)
def _core_plan(secrets: tuple[str, ...]) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    forms = tuple(form.encode() for form in _core_forms(secrets))
    return forms, _anchors(forms)


def _derived(secret: str, secrets: tuple[str, ...]) -> bool:
    """Is ``secret`` made from another of ``secrets`` (a header value ``Bearer TOKEN``, the
    base64 of a Basic pair)? The other's cores stand for it: each core is one more scan of
    every answer and every chunk of a log."""
    others = [other for other in secrets if other != secret and len(other) >= 3]
    if any(other in secret for other in others):
        return True
    import base64
    import binascii

    text = secret.encode("ascii", "replace")
    for alt in (None, b"-_"):
        try:
            plain = base64.b64decode(text + b"=" * (-len(text) % 4), altchars=alt, validate=True)
        except (binascii.Error, ValueError):
            continue
        if any(other.encode("utf-8", "surrogateescape") in plain for other in others):
            return True
    return False


_REDACTED_BYTES = REDACTED.encode()


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a secret, in any of its :func:`forms` and then of its
    :func:`base64_cores`, in ``text`` (error messages, URLs, bodies)."""
    found = tuple(secrets)
    for form in _all_forms(found) + _core_forms(found):
        text = text.replace(form, REDACTED)
    return text


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """:func:`scrub` for a body kept as bytes (an error answer that echoes the credentials,
    every JSON answer and record printed): the forms, then the base64 cores (two rounds)."""
    found = tuple(secrets)
    data = _scrub_round(data, _byte_plan(found))
    cores = _core_plan(found)
    return _scrub_round(data, cores) if cores[0] else data


def _scrub_round(data: bytes, plan: tuple[tuple[bytes, ...], tuple[bytes, ...]]) -> bytes:
    """One round: ``data`` is scanned for the forms' :func:`_anchors` first, fewer scans than
    one ``bytes.replace`` per form, and every form is replaced, as before, only when one is
    there: a text without any anchor holds no form, so the result is the same bytes."""
    forms, anchors = plan
    for anchor in anchors:
        if data.find(anchor) != -1:  # ``in`` first tries the bytes as an int, and raises
            for form in forms:
                data = data.replace(form, _REDACTED_BYTES)
            break
    return data


@functools.lru_cache(maxsize=512)
def _byte_plan(secrets: tuple[str, ...]) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """The byte forms of ``secrets`` and their anchors, in one look-up per scrub."""
    forms = _byte_forms(secrets)
    return forms, _anchors(forms)


#: A run of bytes shorter than this is too likely to occur by chance to stand for its forms.
_MIN_ANCHOR = 8


def _shared_run(members: list[bytes]) -> bytes:
    """The longest run of positions at which forms of the same length all have the same byte."""
    first = members[0]
    best = (0, 0)
    start = 0
    for i in range(len(first) + 1):
        if i < len(first) and all(m[i] == first[i] for m in members):
            continue
        if i - start > best[1] - best[0]:
            best = (start, i)
        start = i + 1
    return first[best[0] : best[1]]


@functools.lru_cache(maxsize=512)
def _anchors(forms: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """Byte strings of which any text that holds a form holds at least one, cheaper to look
    for than the forms: a chunk of a log is scanned for these, and replaced in only on a hit.

    :func:`forms` gives a secret with upper-case letters a lower-cased twin, and the two agree
    on most of their bytes: the longest run they agree on stands for both when one scan for it
    costs less than one for each (a scan skips ahead by about the length of what it looks for,
    so its cost goes as one over that length). A GitHub token and its twin become one anchor:
    three scans of a chunk instead of four.

    Then anchors that begin alike are looked for by their shared beginning, under the same
    rule: the base64 of a Basic pair and its URL-encoded twins (``...=``, ``...%3D``,
    ``...%3d``) differ only in their last bytes, and one scan for what they share stands for
    all three. Any other form stands for itself.
    """
    twins: dict[bytes, list[bytes]] = {}
    for form in forms:
        twins.setdefault(form.lower(), []).append(form)
    found: list[bytes] = []
    for members in twins.values():
        run = _shared_run(members) if len(members) > 1 else b""
        if len(run) >= _MIN_ANCHOR and 1 / len(run) < sum(1 / len(m) for m in members):
            found.append(run)
        else:
            found.extend(members)
    found = _by_beginning(found)
    # One anchor inside another: a text that holds the longer holds the shorter.
    unique = set(found)
    return tuple(sorted(a for a in unique if not any(b != a and b in a for b in unique)))


def _by_beginning(anchors: list[bytes]) -> list[bytes]:
    """``anchors`` with those that share a beginning of at least :data:`_MIN_ANCHOR` bytes
    replaced by it, where one scan for it costs less than one for each (a text that holds an
    anchor holds its beginning)."""
    found: list[bytes] = []
    group: list[bytes] = []
    shared = b""
    for anchor in sorted(set(anchors)):
        if group:
            common = _common_start(shared, anchor)
            cost = sum(1 / len(m) for m in group) + 1 / len(anchor)
            if len(common) >= _MIN_ANCHOR and 1 / len(common) < cost:
                group.append(anchor)
                shared = common
                continue
            found.append(shared if len(group) > 1 else group[0])
        group, shared = [anchor], anchor
    if group:
        found.append(shared if len(group) > 1 else group[0])
    return found


def _common_start(one: bytes, other: bytes) -> bytes:
    """The longest beginning ``one`` and ``other`` share."""
    n = 0
    for a, b in zip(one, other, strict=False):  # up to the shorter one
        if a != b:
            break
        n += 1
    return one[:n]


class StreamScrubber:
    """:func:`scrub_bytes` for a stream read in chunks (a job's log), in constant memory.

    A secret cut in two by a chunk boundary must still be caught, so the end of each chunk that
    could be the start of a form (at most the longest form less one byte) is held back and
    looked at again with the next chunk, or given out by :meth:`flush` at the end. Only such an
    end is held: a log line that ends in anything else goes out at once, so ``--follow`` shows
    it without waiting for the next read.

    A chunk is first scanned for the forms' :func:`_anchors`, in C, and replaced in only when
    one is there (a log almost never holds the token; when it does, every form is replaced as
    :func:`scrub_bytes` would).

    Two rounds, as :func:`scrub_bytes` makes them (the forms, then the base64 cores), each a
    stream of its own: the second reads what the first gives out.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        found = tuple(secrets)
        cores = _core_plan(found)
        self._rounds = [_Round(_byte_plan(found)), *([_Round(cores)] if cores[0] else [])]

    @property
    def _held(self) -> bytes:
        return b"".join(r._held for r in self._rounds)

    def feed(self, chunk: bytes) -> bytes:
        for round_ in self._rounds:
            chunk = round_.feed(chunk)
        return chunk

    def flush(self) -> bytes:
        """What was held back: the stream has ended, so it cannot be the start of a secret."""
        out = b""
        for round_ in self._rounds:
            out = round_.feed(out) + round_.flush() if out else round_.flush()
        return out


class _Round:
    """One round of :class:`StreamScrubber`: a chunk's end that could begin a form (at most
    the longest form less one byte) is held back and looked at again with the next chunk."""

    def __init__(self, plan: tuple[tuple[bytes, ...], tuple[bytes, ...]]) -> None:
        self._plan = plan
        self._forms = plan[0]
        self._keep = max(map(len, self._forms), default=1) - 1
        self._starts = frozenset(form[0] for form in self._forms)
        self._held = b""

    def feed(self, chunk: bytes) -> bytes:
        if not self._forms:
            return chunk
        data = _scrub_round(self._held + chunk if self._held else chunk, self._plan)
        cut = self._cut(data)
        self._held = data[cut:]
        return data[:cut]

    def flush(self) -> bytes:
        """What was held back: the stream has ended, so it cannot be the start of a secret."""
        rest, self._held = self._held, b""
        return rest

    def _cut(self, data: bytes) -> int:
        """Where the longest end of ``data`` that begins some form starts (``len(data)`` if
        none does)."""
        end = len(data)
        for i in range(max(0, end - self._keep), end):
            if data[i] in self._starts:
                rest = data[i:]
                if any(form.startswith(rest) for form in self._forms):
                    return i
        return end


def redact_url(url: str) -> str:
    """``url`` with any user name and password replaced, and the values of query parameters
    named like credentials (``access_token=``), for messages and listings."""
    url = _USERINFO.sub(rf"\1{REDACTED}@", url)
    head, mark, query = url.partition("?")
    if not mark:
        return url
    query, hash_mark, fragment = query.partition("#")
    pairs = []
    for pair in query.split("&"):
        name, eq, _value = pair.partition("=")
        pairs.append(f"{name}={REDACTED}" if eq and sensitive_name(name) else pair)
    return f"{head}?{'&'.join(pairs)}{hash_mark}{fragment}"


def redact_headers(
    headers: Mapping[str, str], secrets: Iterable[str] = (), secret_names: Iterable[str] = ()
) -> dict[str, str]:
    names = {n.lower() for n in secret_names}
    secrets = list(secrets)
    return {
        k: (REDACTED if k.lower() in names or sensitive_name(k) else scrub(v, secrets))
        for k, v in headers.items()
    }


def redact_query(query: Iterable[tuple[str, str]], secrets: Iterable[str] = ()) -> list[tuple[str, str]]:
    secrets = list(secrets)
    return [(k, REDACTED if sensitive_name(k) else scrub(v, secrets)) for k, v in query]
