"""The default account: which integrated account to use when ``--account`` is left out.

It lives in a one-line file beside the accounts file (``default-account``), not inside it, so
setting it never rewrites the accounts (and their tokens). ``UNCI_ACCOUNT`` overrides it.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_NAME = "default-account"


def path() -> Path:
    from unci.accounts import config_path

    return config_path().with_name(FILE_NAME)


def get_default() -> str | None:
    """The stored default account's name, or None."""
    try:
        name = path().read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name or None


def set_default(name: str | None) -> Path:
    """Store ``name`` as the default (None clears it); return the file written."""
    where = path()
    if name is None:
        where.unlink(missing_ok=True)
        return where
    where.parent.mkdir(parents=True, exist_ok=True)
    tmp = where.with_name(f".{FILE_NAME}.{os.getpid()}")
    tmp.write_text(name + "\n", encoding="utf-8")
    os.replace(tmp, where)
    return where
