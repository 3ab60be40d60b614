"""Checking a token, user name or password where it enters unci, before it reaches a request.

A credential that HTTP cannot carry (a carriage return left by a file with Windows line
endings, a tab, a non-ASCII character pasted with the token) used to travel as far as the HTTP
library, whose error quoted the whole header, token and all, and was then taken for a network
failure and retried. Here it is refused at once, with a message that names where it came from
(the option, the environment variable, the account) and never shows the value.

The one thing forgiven is a single trailing line break (``\\n`` or ``\\r\\n``): files, here-docs
and Kubernetes secrets made from files end with one, and people expect it to be ignored.
"""

from __future__ import annotations

import os
import stat
import sys
import unicodedata
from typing import TextIO

from unci.errors import ConfigError, UnciError, UsageError

#: Far above any real token; a bigger "token file" is the wrong file (or /dev/zero).
MAX_SECRET_BYTES = 16384

_NAMES = {"\r": "a carriage return", "\n": "a line break", "\t": "a tab", "\x00": "a NUL byte"}


def _describe(char: str) -> str:
    return _NAMES.get(char) or f"the control character U+{ord(char):04X}"


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def clean(value: str, what: str, *, kind: str = "token", error: type[UnciError] = UsageError) -> str:
    """``value`` without one trailing line break, or ``error`` saying what is wrong with it.

    :param what: where the value came from, for the message: ``"--token"``, ``"environment
        variable GITHUB_TOKEN"``, ``"account 'work': token in the accounts file"``.
    :param kind: ``"token"`` travels in an HTTP header as it is, so it must also be ASCII with
        no space at either end; a ``"username"`` or ``"password"`` is sent base64-encoded
        (Basic auth, as UTF-8) and may hold any printable character.
    """
    if not isinstance(value, str):
        raise error(f"{what} must be text, not {type(value).__name__}")
    if value.endswith("\r\n"):
        value = value[:-2]
    elif value.endswith("\n"):
        value = value[:-1]
    # A printable value holds no control character: the per-character walk (in Python) is only
    # for the rare value that could, to say where.
    for position, char in enumerate("" if value.isprintable() else value, start=1):
        if _is_control(char):
            where = "at the end" if position == len(value) else f"at position {position} of {len(value)}"
            hint = (
                "; a file saved with Windows line endings? Remove it, e.g. with tr -d '\\r'"
                if char == "\r"
                else "; remove it"
            )
            raise error(
                f"{what} holds {_describe(char)} {where}, which HTTP cannot carry (the "
                f"{kind} is not shown){hint}"
            )
    if kind == "token":
        if not value.isascii():
            position = next(i for i, c in enumerate(value, start=1) if not c.isascii())
            raise error(
                f"{what} holds a non-ASCII character at position {position} of "
                f"{len(value)} (the token is not shown); tokens are ASCII, so this is "
                "likely a pasted quote or space: copy the token again"
            )
        if value != value.strip():
            raise error(f"{what} begins or ends with a space (the token is not shown); remove it")
    return value


def read_stdin(what: str, stream: TextIO | None = None) -> str:
    """A secret given on standard input (``--token-stdin``): the whole input, one trailing
    line break dropped, so it never shows in ``ps`` or the shell's history."""
    stream = sys.stdin if stream is None else stream
    if stream is None:  # the shell closed it (`<&-`)
        raise UsageError(f"{what}: standard input is closed; pipe the token in (or use --token-file)")
    if stream.isatty():
        # Typed at a terminal: not echoed, so it stays out of the scrollback and recordings.
        import getpass

        try:
            text = getpass.getpass(f"unci: {what}: type or paste the token (not shown), then Enter: ")
        except EOFError:
            text = ""
        return _checked(text, what)
    text = stream.read(MAX_SECRET_BYTES + 1)
    return _checked(text, what)


def read_file(path: str, what: str) -> str:
    """A secret kept in a file (``--token-file PATH``): a regular file, or a pipe such as
    ``<(pass show ci/token)``; never a directory or a device that never ends."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise UsageError(f"{what}: cannot read {path}: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise UsageError(f"{what}: {path} is not a file; give the file that holds the token")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{what}: cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{what}: {path} is not UTF-8 text") from None
    return _checked(text, what)


def _checked(text: str, what: str) -> str:
    if len(text.encode("utf-8", "surrogateescape")) > MAX_SECRET_BYTES:
        raise UsageError(f"{what} is over {MAX_SECRET_BYTES} bytes long; that is not a token")
    value = clean(text, what)
    if not value:
        raise UsageError(f"{what} is empty")
    return value


def from_environment(name: str, value: str | None, *, kind: str = "token") -> str | None:
    """A variable's value, checked; unset or empty (after its trailing line break) is None."""
    if not value:
        return None
    return clean(value, f"environment variable {name}", kind=kind, error=ConfigError) or None
