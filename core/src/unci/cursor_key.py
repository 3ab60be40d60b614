"""The key that signs list cursors: ``UNCI_CURSOR_KEY``, else a random key kept in a file.

A cursor leaves the process (printed by ``unci jobs list``, answered by ``unci serve``) and
comes back as caller input, so unci signs it and follows only cursors it signed. The key must
be the same for every process that may see a cursor again: the next CLI command, every worker
of ``unci serve``, the server after a restart. Hence a key kept on disk, next to the accounts
file (``cursor.key``, mode 0600, created on first use), or one given in the environment (the
way to share it between replicas).
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from unci.errors import ConfigError

ENV = "UNCI_CURSOR_KEY"
MIN_LENGTH = 32
FILENAME = "cursor.key"


def key_path() -> Path:
    env = os.environ
    where = ("UNCI_CONFIG", "XDG_CONFIG_HOME", "HOME", "USERPROFILE", "APPDATA", "LOCALAPPDATA")
    return _key_path(tuple(env.get(name) for name in where))


@functools.lru_cache(maxsize=8)
def _key_path(where: tuple[str | None, ...]) -> Path:
    """The key file beside the accounts file, worked out once per value of the variables the
    accounts file's place depends on (``where``): a listing signs a cursor for every page."""
    from unci.accounts import config_path

    return config_path().with_name(FILENAME)


def cursor_key() -> bytes:
    """The signing key; :class:`ConfigError` when it can be neither read nor created."""
    given = os.environ.get(ENV)
    if given is not None:
        if len(given.strip()) < MIN_LENGTH:
            raise ConfigError(
                f"{ENV} must be at least {MIN_LENGTH} characters (it signs list "
                'cursors); generate one with: python -c "import secrets; '
                'print(secrets.token_urlsafe(32))"'
            )
        return given.strip().encode()
    try:
        return _file_key(str(key_path()))
    except ConfigError:
        if _in_process_only:
            return _process_key()
        raise


#: Set while cursors are made and read within this process alone (``jobs list --all``,
#: ``unci sync``: the walk signs each page's cursor and reads it back, printing none).
_in_process_only = False


@contextlib.contextmanager
def cursors_stay_here() -> Iterator[None]:
    """While it runs, a key that cannot be kept on disk (a read-only config folder, a
    container's) is one of this process alone, instead of an error: no cursor made with it
    leaves the process, so no other needs it. Process-wide, as the walk's page threads sign
    cursors too."""
    global _in_process_only
    before, _in_process_only = _in_process_only, True
    try:
        yield
    finally:
        _in_process_only = before


@functools.lru_cache(maxsize=1)
def _process_key() -> bytes:
    return secrets.token_urlsafe(32).encode()


def _problem(path: Path, what: str) -> ConfigError:
    return ConfigError(
        f"cannot keep the cursor key in {path}: {what}; set {ENV} to a random "
        f"string of at least {MIN_LENGTH} characters instead"
    )


@functools.lru_cache(maxsize=8)
def _file_key(where: str) -> bytes:
    path = Path(where)
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _problem(path, exc.strerror or type(exc).__name__) from None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".cursor-", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)  # atomic, and never replaces a key another worker just made
        finally:
            os.unlink(tmp)
        return _read(path)
    except OSError as exc:
        raise _problem(path, exc.strerror or type(exc).__name__) from None


def _read(path: Path) -> bytes:
    st = path.stat()
    if os.name == "posix" and stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
        raise ConfigError(
            f"the cursor key {path} can be read by other users (mode "
            f"{stat.S_IMODE(st.st_mode):o}); fix it with: chmod 600 {path}"
        )
    text = path.read_text(encoding="ascii", errors="replace").strip()
    if len(text) < MIN_LENGTH:
        raise _problem(path, f"the file holds no key (fewer than {MIN_LENGTH} characters)")
    return text.encode()
