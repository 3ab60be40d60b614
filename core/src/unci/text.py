"""Text as it arrives from outside (a provider's names, a caller's path, the bytes of an
argument) and as a person or a log is shown it: one place for what counts as a control
character and how it is written, for tables, watch lines, ``accounts test`` and the server's
access log alike."""

from __future__ import annotations

import re

#: What a terminal or a log reader acts on rather than shows: C0 and C1 controls (ESC, CR,
#: BS, NUL, the 8-bit CSI), the line and paragraph separators, and the marks that reorder text
#: (U+202E shows "evil" as "live"). None of them is printable to ``str.isprintable``.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\r": "\\r", "\t": "\\t"}


def printable(text: str, *, backslashes: bool = True, line_break: str = "\\n") -> str:
    """``text`` on one line, every control character written as its escape (``\\x1b``,
    ``\\u202e``), so that text anyone can choose (a branch name, a request's path) cannot set
    a terminal's title, write its clipboard, rewrite a line or add one to a log. A line break
    is written as ``line_break``; with ``backslashes``, a backslash is doubled too, so that an
    escape written by the sender cannot pass for one of ours."""
    if text.isprintable() and not (backslashes and "\\" in text):  # the common case, in C
        return text
    if backslashes:
        text = text.replace("\\", "\\\\")

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char == "\n":
            return line_break
        return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")

    return _CONTROLS.sub(escape, text)


def not_utf8(text: str) -> bool:
    """Does ``text`` hold a lone surrogate: the bytes of an argument, a variable or a file
    name that were not UTF-8, as Python keeps them? No request can carry it."""
    return any("\ud800" <= c <= "\udfff" for c in text)
