"""Naming what a caller got wrong with the nearest name it could have meant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def with_guesses(names: Iterable[str], known: Sequence[str], *, fold_case: bool = False) -> str:
    """``'ownr' (did you mean 'owner'?), 'x'``: each name, quoted, with the closest known one.

    difflib is imported here, for the message only: never on a command's start-up path.
    """
    import difflib

    said = []
    for name in names:
        close = difflib.get_close_matches(name.lower() if fold_case else name, known, n=1)
        said.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return ", ".join(said)
