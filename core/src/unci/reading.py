"""Reading a response body within a size cap: no body unci reads grows past ``max_body``.

httpx decodes ``Content-Encoding`` one network chunk at a time, and a 64 KiB chunk of gzip can
be 64 MiB once decoded (layered encodings, ``gzip, gzip``, multiply that again), so counting
what ``iter_bytes`` yields would come too late. unci reads the raw bytes and decodes them
itself, in steps of at most 64 KiB of output (:func:`decoded`), counting as it goes; it asks
providers only for the encodings it can decode this way (``Accept-Encoding: gzip, deflate``).
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable, Iterator

#: The largest body unci reads by default, decoded: far above any job or page of jobs.
DEFAULT_MAX_BODY = 64 * 1024 * 1024
ENV = "UNCI_MAX_BODY"
ACCEPT_ENCODING = "gzip, deflate"
STEP = 64 * 1024
_DECODABLE = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class BodyError(Exception):
    """The body cannot be read within the rules; ``why`` completes "the response body ...".

    The clients turn it into a :class:`unci.errors.DecodeError` naming the provider and URL.
    """

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def max_body(given: int | str | None) -> int:
    """``given``, else ``UNCI_MAX_BODY`` (``64MiB``, ``100000000``...), else 64 MiB."""
    if given is not None:
        from unci.numbers import is_count, size

        if isinstance(given, str):  # as UNCI_MAX_BODY takes it: "64MiB"
            return size(given, "max_body")
        if not is_count(given, 1):
            from unci.errors import UsageError

            raise UsageError(
                f"max_body must be a number of bytes of at least 1 (or a size such as '64MiB'), got {given!r}"
            )
        return given
    text = os.environ.get(ENV)
    if not text:
        return DEFAULT_MAX_BODY
    from unci.errors import ConfigError, UsageError
    from unci.numbers import size

    try:
        return size(text, ENV)
    except UsageError as exc:  # the environment's setting: configuration (exit 10), not usage
        raise ConfigError(exc.message, hint="set it to a size such as 64MiB, or unset it") from None


def mib(n: int) -> str:
    return f"{n / 1048576:g} MiB" if n % 1024 == 0 or n > 1048576 else f"{n} bytes"


def _encodings(header: str | None) -> list[str]:
    if not header:  # a plain body, as most are
        return []
    names = [n.strip().lower() for n in header.split(",")]
    names = [n for n in names if n and n != "identity"]
    unknown = [n for n in names if n not in _DECODABLE]
    if unknown:
        raise BodyError(
            f"is encoded as {', '.join(map(repr, unknown))}, which unci did not ask "
            f"for (it accepts {ACCEPT_ENCODING})"
        )
    return names


class _Inflater:
    """One layer of gzip or deflate, fed raw bytes, giving at most 64 KiB per step."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._d = zlib.decompressobj(_DECODABLE[name])
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        d = self._d
        while data and not d.eof:
            try:
                out = d.decompress(data, STEP)
            except zlib.error as exc:
                if self.name == "deflate" and not self._started:  # raw deflate, no zlib header
                    d = self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._started = True
                    continue
                raise BodyError(f"is not valid {self.name} ({exc})") from None
            self._started = True
            data = d.unconsumed_tail
            if out:
                yield out
            while len(out) == STEP and not data and not d.eof:  # output still pending
                out = d.decompress(b"", STEP)
                if out:
                    yield out


def _through(layer: _Inflater, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from layer.feed(piece)


class Decoder:
    """Raw body bytes in (:meth:`feed`, as they arrive), decoded and counted pieces out.

    Works the same under the sync and the async client, which only differ in how they read.
    """

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        # The encodings are listed in the order they were applied: undo the last one first.
        self._layers = [_Inflater(n) for n in reversed(_encodings(content_encoding))]
        self.limit = limit
        self.total = 0

    def feed(self, data: bytes) -> Iterator[bytes]:
        pieces: Iterable[bytes] = (data,)
        for layer in self._layers:
            pieces = _through(layer, pieces)
        for piece in pieces:
            self.total += len(piece)
            if self.total > self.limit:
                raise BodyError(f"is larger than {mib(self.limit)}")
            yield piece


def declared_too_large(content_length: str | None, content_encoding: str | None, limit: int) -> bool:
    """A plain body whose ``Content-Length`` is already over the cap is refused unread."""
    if _encodings(content_encoding) or not content_length or not content_length.isascii():
        return False
    return content_length.strip().isdigit() and int(content_length.strip()[:20]) > limit
