"""Integrated accounts, kept locally: named provider + credentials + API root + default params.

Truto keeps these server-side behind an ``integrated_account_id``; unci keeps them in a TOML
file in the user's config directory (``UNCI_CONFIG`` overrides the path). The file is changed
under a lock (concurrent ``unci accounts add`` runs each keep their account), written
atomically with mode 0600, and refused when others can read it, when it is not a regular file,
or when a value has the wrong type. A reference to an environment variable is preferred over a
stored token; the OS keyring (when the ``keyring`` package is installed) is the other way to
keep a token out of the file.

An account is self-contained: its credentials come from it alone. A variable it names that is
not set is an error, never a reason to send whatever token the environment happens to hold.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import stat
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unci.errors import ConfigError, UsageError

KEYRING_SERVICE = "unci"
#: The last file parsed, keyed by path and stat (a rename on save changes the inode).
_CACHE: dict[tuple[object, ...], dict[str, Account]] = {}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: The keys of an account that hold text; ``params`` is the one table.
_TEXT_KEYS = ("id", "provider", "token_env", "token", "token_store", "username", "password_env", "base_url")
#: How long a change to the file waits for another unci that is changing it.
LOCK_TIMEOUT = 30.0


@dataclass
class Account:
    name: str
    provider: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    token_env: str | None = None
    #: A literal token kept in the file (allowed, never printed, not in the repr).
    token: str | None = field(default=None, repr=False)
    #: ``"keyring"`` when the token lives in the OS keyring.
    token_store: str | None = None
    username: str | None = None
    password_env: str | None = None
    base_url: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    def resolve_token(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The account's token, checked; ``None`` when the account names no token at all."""
        from unci.credentials import clean

        env = os.environ if environ is None else environ
        if self.token:
            return clean(
                self.token, f"account {self.name!r}: the token in the accounts file", error=ConfigError
            )
        if self.token_store == "keyring":
            token = _keyring_call("read the token of", self, "get_password")
            if not token:
                raise ConfigError(
                    f"account {self.name!r} keeps its token in the OS keyring, but the keyring "
                    f"has none for it; store it again with: unci accounts add {self.name} "
                    f"-P {self.provider} --replace --keyring --token-stdin"
                )
            return clean(token, f"account {self.name!r}: the token in the OS keyring", error=ConfigError)
        if self.token_env:
            return self._from_env(env, self.token_env, "token", "--token-env")
        return None

    def resolve_username(self) -> str | None:
        from unci.credentials import clean

        if not self.username:
            return None
        return clean(self.username, f"account {self.name!r}: username", kind="username", error=ConfigError)

    def resolve_password(self, environ: Mapping[str, str] | None = None) -> str | None:
        env = os.environ if environ is None else environ
        if not self.password_env:
            return None
        return self._from_env(env, self.password_env, "password", "--password-env")

    def _from_env(self, env: Mapping[str, str], variable: str, kind: str, option: str) -> str:
        from unci.credentials import clean

        value = env.get(variable)
        if value:
            value = clean(
                value,
                f"environment variable {variable} (the {kind} of account {self.name!r})",
                kind=kind,
                error=ConfigError,
            )
        if not value:
            raise ConfigError(
                f"account {self.name!r} takes its {kind} from the environment variable "
                f"{variable}, which is {'empty' if variable in env else 'not set'}; set it, or "
                f"change the account with: unci accounts add {self.name} -P {self.provider} "
                f"--replace {option} VAR"
            )
        return value

    def token_source(self) -> str:
        """Where the token comes from, for people: never the token itself."""
        if self.token:
            return "stored in the accounts file (hidden)"
        if self.token_store == "keyring":
            return "OS keyring"
        if self.token_env:
            state = "set" if os.environ.get(self.token_env) else "NOT set"
            return f"environment variable {self.token_env} ({state})"
        return "none"

    def public(self) -> dict[str, Any]:
        """Everything about the account that may be shown."""
        from unci.redact import redact_url

        return {
            "name": self.name,
            "id": self.id,
            "provider": self.provider,
            "token": self.token_source(),
            "username": self.username,
            "password_env": self.password_env,
            "base_url": redact_url(self.base_url) if self.base_url else self.base_url,
            "params": dict(self.params),
        }


def config_path() -> Path:
    explicit = os.environ.get("UNCI_CONFIG")
    if explicit:
        return _path(explicit)
    import click

    return Path(click.get_app_dir("unci")) / "accounts.toml"


@functools.lru_cache(maxsize=8)
def _path(text: str) -> Path:
    """``Path(text)``, made once: a server asks for the accounts file on every request."""
    return Path(text)


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    return tomllib


def _keyring() -> Any:
    try:
        import keyring
    except ImportError:
        raise ConfigError("the OS keyring needs the keyring package: pip install keyring") from None
    return keyring


def _keyring_call(what: str, account: Account, method: str, *args: str) -> Any:
    """One keyring call. A keyring without a backend (servers, containers) or one that fails
    is a :class:`ConfigError` that says what to do instead, never a traceback."""
    keyring = _keyring()
    try:
        return getattr(keyring, method)(KEYRING_SERVICE, account.id, *args)
    except Exception as exc:  # noqa: BLE001 - backends raise their own types (D-Bus, Keychain...)
        from unci.redact import scrub

        if type(exc).__name__ == "NoKeyringError":
            reason = "no OS keyring backend is available here"
        else:
            reason = " ".join(scrub(str(exc), args).split()) or type(exc).__name__
        raise ConfigError(
            f"cannot {what} account {account.name!r} in the OS keyring: {reason}. Keep the "
            "token in an environment variable instead (--token-env VAR)"
        ) from None


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def _refuse_unless_regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "something else")
        raise ConfigError(
            f"the accounts file {path} is {kind}, not a regular file; remove it, or point "
            "UNCI_CONFIG at the accounts file"
        )


def _key(path: Path, st: os.stat_result) -> tuple[object, ...]:
    return (str(path), st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns)


def _read(path: Path) -> tuple[tuple[object, ...], bytes | None] | None:
    """The file's cache key and bytes (``None`` when the cache holds this version), or
    ``None`` when there is no file.

    Anything but a regular file is refused before it is opened, and the open cannot block: a
    FIFO swapped in between is opened non-blocking and caught by the second check. A version
    the cache holds (same inode, mode, size and modification time) is not opened again: it
    passed every check when it was read, and a server looks the file up on every request.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        st = path.stat()
        _refuse_unless_regular(path, st.st_mode)
        if (known := _key(path, st)) in _CACHE:
            return known, None
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read the accounts file {path}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        _refuse_unless_regular(path, st.st_mode)
        if os.name == "posix" and st.st_mode & 0o077:
            raise ConfigError(
                f"the accounts file {path} can be read by other users (mode "
                f"{stat.S_IMODE(st.st_mode):o}); it may hold tokens, so unci refuses it. Fix it "
                f"with: chmod 600 {path}"
            )
        key = _key(path, st)
        if key in _CACHE:
            return key, None
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return key, b"".join(chunks)
    except OSError as exc:
        raise ConfigError(f"cannot read the accounts file {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def version(path: Path) -> tuple[object, ...] | None:
    """The file's version when it is one already read (same path, inode, mode, size and
    modification time: it passed every check then), else ``None`` (a new version, no file or
    one unci refuses: :func:`find_versioned` reads it and says what is wrong). One ``stat``,
    no open: a server asks on every request."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = _key(path, st)
    return key if key in _CACHE else None


def _type(value: object) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        dict: "a table",
        list: "an array",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _account(name: str, raw: object, path: Path) -> Account:
    """One ``[accounts.NAME]`` table with every key of the right type, or an error naming the
    account and the key (never a value: it may be a token)."""
    where = f"account {name!r} in {path}"
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{where} is {_type(raw)}, not a table; write it as "
            f'[accounts.{_quote(name)}] with provider = "..."'
        )
    allowed = (*_TEXT_KEYS, "params")
    unknown = [key for key in raw if key not in allowed]
    if unknown:
        from unci.suggest import with_guesses

        raise ConfigError(
            f"{where} has unknown key(s) {with_guesses(unknown, allowed)}; an account takes "
            f"{', '.join(allowed)}"
        )
    for key in _TEXT_KEYS:
        if key in raw and not isinstance(raw[key], str):
            raise ConfigError(f"{where}: {key} must be a string (text in quotes), not {_type(raw[key])}")
    if not raw.get("provider"):
        raise ConfigError(f'{where} has no provider; add provider = "NAME" (see unci providers)')
    if raw.get("token_store") not in (None, "keyring"):
        raise ConfigError(f'{where}: token_store must be "keyring" or left out')
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError(
            f"{where}: params must be a table ([accounts.{_quote(name)}.params] "
            f'with NAME = "value" lines), not {_type(params)}'
        )
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ConfigError(f"{where}: params.{key} must be a string, not {_type(value)}")
    known = {k: v for k, v in raw.items() if k in _TEXT_KEYS}
    return Account(name=name, params={str(k): str(v) for k, v in params.items()}, **known)


def load(path: Path | None = None) -> dict[str, Account]:
    """Every account in the file; a missing file is no accounts."""
    return dict(_load(path or config_path())[1])


def _load(path: Path) -> tuple[tuple[object, ...] | None, dict[str, Account]]:
    """The file's version (its cache key; ``None`` when there is no file) and its accounts,
    the cache's own dict (not to be changed: :func:`load` hands out copies)."""
    read = _read(path)
    if read is None:
        return None, {}
    key, data = read
    if data is None:  # a server reads the file per request; parse it once per version
        return key, _CACHE[key]
    try:
        parsed = _toml().loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"the accounts file {path} is not valid TOML: {exc}") from None
    table = parsed.get("accounts", {})
    if not isinstance(table, dict):
        raise ConfigError(
            f"the accounts file {path}: 'accounts' must be a table of accounts "
            f"([accounts.NAME] sections), not {_type(table)}"
        )
    accounts = {name: _account(name, raw, path) for name, raw in table.items()}
    _CACHE.clear()
    _CACHE[key] = accounts
    return key, accounts


def _quote(value: str) -> str:
    # A JSON string is a valid TOML basic string for everything json.dumps emits.
    return json.dumps(value, ensure_ascii=False)


def dumps(accounts: Mapping[str, Account]) -> str:
    lines = ["# unci integrated accounts. Written by `unci accounts`; keep it mode 0600.", ""]
    for name in sorted(accounts):
        account = accounts[name]
        key = _quote(name)
        lines.append(f"[accounts.{key}]")
        for f in _TEXT_KEYS:
            value = getattr(account, f)
            if value:
                lines.append(f"{f} = {_quote(value)}")
        if account.params:
            lines.append(f"[accounts.{key}.params]")
            lines.extend(f"{_quote(k)} = {_quote(v)}" for k, v in sorted(account.params.items()))
        lines.append("")
    return "\n".join(lines)


def save(accounts: Mapping[str, Account], path: Path | None = None) -> Path:
    """Write atomically: a temporary file (mode 0600) in the same folder, flushed, then renamed
    over the old one, so a crash leaves the old file whole. To change the file, use
    :func:`update`, which also holds the lock."""
    path = path or config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileNotFoundError):
            _refuse_unless_regular(path, path.stat().st_mode)
        fd, tmp = tempfile.mkstemp(prefix=".accounts-", suffix=".toml", dir=path.parent)  # 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(dumps(accounts))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _sync_folder(path.parent)
    except OSError as exc:
        raise ConfigError(f"cannot write the accounts file {path}: {exc.strerror or exc}") from None
    return path


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a folder that cannot be synced is left be."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def update(path: Path | None = None) -> Iterator[dict[str, Account]]:
    """The accounts, to change in place; written back when the block ends without an error.

    The whole read-modify-write holds an exclusive lock on a file next to the accounts file
    (``.accounts.toml.lock``), so two ``unci accounts add`` at once cannot both read the old
    file and the second write drop the first one's account. The lock is the operating
    system's (``flock``): a process that dies releases it.
    """
    from filelock import FileLock, Timeout

    path = path or config_path()
    lock_path = path.with_name(f".{path.name}.lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = FileLock(lock_path, mode=0o600, timeout=LOCK_TIMEOUT)
        lock.acquire()
    except Timeout:
        raise ConfigError(
            f"the accounts file {path} is being changed by another unci (it has held "
            f"{lock_path} for over {LOCK_TIMEOUT:g} s); try again"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot lock the accounts file {path} ({lock_path}): {exc.strerror or exc}"
        ) from None
    try:
        _CACHE.clear()  # read what is on disk now, under the lock
        accounts = load(path)
        yield accounts
        save(accounts, path)
    finally:
        lock.release()


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):  # fullmatch: "$" alone let a trailing line break through
        raise UsageError(
            f"account name {name!r} is not valid: use ASCII letters, digits, '.', '_' and '-' "
            "(at most 64, starting with a letter or digit)"
        )
    return name


def find(name_or_id: str, path: Path | None = None) -> Account:
    """An account by name or by its UUID (Truto's integrated_account_id is a UUID)."""
    return find_versioned(name_or_id, path)[1]


def find_versioned(name_or_id: str, path: Path | None = None) -> tuple[tuple[object, ...] | None, Account]:
    """:func:`find`, and the version of the file it was found in (:func:`version` says
    whether the file is still that version): what a server keeps per account is kept per
    version of the file, read once."""
    where, accounts = _load(path or config_path())
    if name_or_id in accounts:
        return where, accounts[name_or_id]
    for account in accounts.values():
        if account.id == name_or_id:
            return where, account
    known = ", ".join(sorted(accounts)) or "none yet"
    raise UsageError(
        f"no account named {name_or_id!r} in {path or config_path()} (accounts: {known})",
        hint="add one with: unci accounts add NAME --provider P --token-env VAR",
        py_hint="add one with the command `unci accounts add NAME --provider P --token-env VAR`, "
        "or pass the provider and token= instead of account=",
        http_hint="add it to the server's accounts file (unci accounts add on its host)",
    )


def store_in_keyring(account: Account, token: str) -> None:
    _keyring_call("store the token of", account, "set_password", token)


def forget_keyring(account: Account) -> None:
    if account.token_store == "keyring":
        # Already gone, or no keyring at all, is fine: the account goes anyway.
        with contextlib.suppress(ConfigError):
            _keyring_call("remove the token of", account, "delete_password")
