"""Integrated accounts, kept locally: named provider + credentials + API root + default params.

Truto keeps these server-side behind an ``integrated_account_id``; unci keeps them in a TOML
file in the user's config directory (``UNCI_CONFIG`` overrides the path). The file is written
atomically with mode 0600 and refused when others can read it. A reference to an environment
variable is preferred over a stored token; the OS keyring (when the ``keyring`` package is
installed) is the other way to keep a token out of the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import sys
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unci.errors import ConfigError, UsageError

KEYRING_SERVICE = "unci"
#: The last file parsed, keyed by path and stat (a rename on save changes the inode).
_CACHE: dict[tuple[object, ...], dict[str, Account]] = {}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class Account:
    name: str
    provider: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    token_env: str | None = None
    #: A literal token kept in the file (allowed, never printed).
    token: str | None = None
    #: ``"keyring"`` when the token lives in the OS keyring.
    token_store: str | None = None
    username: str | None = None
    password_env: str | None = None
    base_url: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    def resolve_token(self, environ: Mapping[str, str] | None = None) -> str | None:
        env = os.environ if environ is None else environ
        if self.token:
            return self.token
        if self.token_store == "keyring":
            return _keyring().get_password(KEYRING_SERVICE, self.id)
        if self.token_env:
            return env.get(self.token_env) or None
        return None

    def resolve_password(self, environ: Mapping[str, str] | None = None) -> str | None:
        env = os.environ if environ is None else environ
        return env.get(self.password_env) or None if self.password_env else None

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
        return {
            "name": self.name,
            "id": self.id,
            "provider": self.provider,
            "token": self.token_source(),
            "username": self.username,
            "password_env": self.password_env,
            "base_url": self.base_url,
            "params": dict(self.params),
        }


def config_path() -> Path:
    explicit = os.environ.get("UNCI_CONFIG")
    if explicit:
        return Path(explicit)
    import click

    return Path(click.get_app_dir("unci")) / "accounts.toml"


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


def load(path: Path | None = None) -> dict[str, Account]:
    """Every account in the file; a missing file is no accounts."""
    path = path or config_path()
    try:
        st = path.stat()
        mode = st.st_mode
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read the accounts file {path}: {exc.strerror}") from None
    if os.name == "posix" and stat.S_ISREG(mode) and mode & 0o077:
        raise ConfigError(
            f"the accounts file {path} can be read by other users (mode {stat.S_IMODE(mode):o}); "
            f"it may hold tokens, so unci refuses it. Fix it with: chmod 600 {path}"
        )
    key = (str(path), mode, st.st_ino, st.st_size, st.st_mtime_ns)
    if key in _CACHE:  # a server reads the file per request; parse it once per version
        return dict(_CACHE[key])
    try:
        data = _toml().loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"the accounts file {path} is not valid TOML: {exc}") from None
    accounts: dict[str, Account] = {}
    for name, raw in (data.get("accounts") or {}).items():
        if not isinstance(raw, dict) or not isinstance(raw.get("provider"), str):
            raise ConfigError(f"account {name!r} in {path} has no provider")
        known = {f: raw[f] for f in Account.__dataclass_fields__ if f in raw and f != "name"}
        params = known.pop("params", {}) or {}
        accounts[name] = Account(name=name, params={str(k): str(v) for k, v in params.items()}, **known)
    _CACHE.clear()
    _CACHE[key] = accounts
    return dict(accounts)


def _quote(value: str) -> str:
    # A JSON string is a valid TOML basic string for everything json.dumps emits.
    return json.dumps(value, ensure_ascii=False)


def dumps(accounts: Mapping[str, Account]) -> str:
    lines = ["# unci integrated accounts. Written by `unci accounts`; keep it mode 0600.", ""]
    for name in sorted(accounts):
        account = accounts[name]
        key = _quote(name)
        lines.append(f"[accounts.{key}]")
        for f in (
            "id",
            "provider",
            "token_env",
            "token",
            "token_store",
            "username",
            "password_env",
            "base_url",
        ):
            value = getattr(account, f)
            if value:
                lines.append(f"{f} = {_quote(value)}")
        if account.params:
            lines.append(f"[accounts.{key}.params]")
            lines.extend(f"{_quote(k)} = {_quote(v)}" for k, v in sorted(account.params.items()))
        lines.append("")
    return "\n".join(lines)


def save(accounts: Mapping[str, Account], path: Path | None = None) -> Path:
    """Write atomically: a temporary file (mode 0600) in the same folder, then a rename."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".accounts-", suffix=".toml", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(dumps(accounts))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"account name {name!r} is not valid: use letters, digits, '.', '_' and '-' "
            "(at most 64, starting with a letter or digit)"
        )
    return name


def find(name_or_id: str, path: Path | None = None) -> Account:
    """An account by name or by its UUID (Truto's integrated_account_id is a UUID)."""
    accounts = load(path)
    if name_or_id in accounts:
        return accounts[name_or_id]
    for account in accounts.values():
        if account.id == name_or_id:
            return account
    known = ", ".join(sorted(accounts)) or "none yet"
    raise UsageError(
        f"no account named {name_or_id!r} in {path or config_path()} (accounts: {known}); "
        "add one with: unci accounts add NAME --provider P --token-env VAR"
    )


def store_in_keyring(account: Account, token: str) -> None:
    _keyring().set_password(KEYRING_SERVICE, account.id, token)


def forget_keyring(account: Account) -> None:
    if account.token_store == "keyring":
        # Already gone is fine: the account goes anyway.
        with contextlib.suppress(Exception):
            _keyring().delete_password(KEYRING_SERVICE, account.id)
