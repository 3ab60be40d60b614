"""What ``unci sync`` copies: accounts and the repositories (pipelines, projects) of each.

Declared once, either as options (``--account work-gh -p repo_id=api -p repo_id=web``) or in a
small TOML file (docs/sync.md). Nothing here imports dlt: a bad plan is reported before any
database is touched.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from unci.errors import ConfigError, UsageError
from unci.when import parse_when

#: How far back before the newest build each sync looks again, to catch re-runs and late
#: changes; GitHub lets a run be re-run for 30 days, most re-runs come within hours.
DEFAULT_LOOKBACK = "3d"
#: The keys of a ``[[sync]]`` table that are not provider parameters.
_OWN_KEYS = ("account", "provider")
_FILE_KEYS = ("lookback", "since", "sync")


@dataclass(frozen=True)
class Scope:
    """One thing whose builds are synced: an account (or a provider with credentials from the
    environment) and the parameters that name the repository or pipeline."""

    account: str | None
    provider: str | None
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The scope as asked for (the sync names it in the state by :meth:`resolved`)."""
        return self.resolved(self.params)

    def resolved(self, params: Mapping[str, str]) -> str:
        """The scope's name in the state and in every row's ``scope`` column, from every
        parameter in force (the account's defaults too), so two spellings of one repository
        are one scope."""
        who = self.account or self.provider or ""
        pairs = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
        return f"{who}:{pairs}"

    @property
    def label(self) -> str:
        """How progress lines and errors name it: the account and the parameter values."""
        values = "/".join(v for _, v in sorted(self.params.items())) or "(account defaults)"
        return f"{self.account or self.provider}: {values}"


@dataclass
class Plan:
    scopes: list[Scope]
    lookback: timedelta
    since: str | None = None


def expand(account: str | None, provider: str | None, params: Mapping[str, Sequence[str]]) -> list[Scope]:
    """One scope per combination of the values given for each parameter (a parameter given
    twice names two repositories; the others are shared)."""
    names = sorted(params)
    combos = itertools.product(*(list(dict.fromkeys(params[n])) for n in names)) if names else [()]
    return [Scope(account, provider, dict(zip(names, values, strict=True))) for values in combos]


def parse_lookback(value: str | None, what: str = "--lookback") -> timedelta:
    """A duration (``3d``, ``12h``, ``1w``); ``0`` turns the look-back off."""
    text = (value if value is not None else DEFAULT_LOOKBACK).strip()
    if text in ("0", ""):
        return timedelta(0)
    from datetime import datetime, timezone

    now = datetime(2000, 1, 1, tzinfo=timezone.utc)
    try:
        start = parse_when(text, what.lstrip("-"), now=now)
    except UsageError:
        start = None
    if start is None or start > now or not text[:1].isdigit() or "-" in text:
        raise UsageError(f"{what} {value!r} is not a duration: give one like 3d, 12h or 1w (0 for none)")
    return now - start


def from_options(
    accounts: Sequence[str], provider: str | None, pairs: Iterable[tuple[str, str]]
) -> list[Scope]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    if not accounts and not provider:
        raise UsageError(
            "nothing to sync: name an account (--account NAME, see 'unci accounts list') and "
            "the repository with -p, or give a plan with --config FILE"
        )
    if accounts:
        return [s for a in dict.fromkeys(accounts) for s in expand(a, provider, grouped)]
    return expand(None, provider, grouped)


def _strings(value: Any, where: str, key: str) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
        raise ConfigError(f"{where}: {key} must be a string or a list of strings, not {value!r}")
    return [str(v) for v in values]


def _check_keys(where: str, account: str | None, provider: str | None, params: Mapping[str, Any]) -> None:
    """Each parameter key is one the provider takes, before anything is fetched: a typo
    (``reop``) would otherwise fail that repository only once the sync had begun. An account
    or provider that cannot be found is left to fail its repositories as ``--account`` does."""
    from unci.call import every_param
    from unci.errors import UnciError
    from unci.plugins import registry

    try:
        name = provider
        if account:
            from unci.accounts import find

            name = find(account).provider
        known = list(every_param(registry().hooks(name or "")))
    except UnciError:
        return
    unknown = [k for k in params if k not in known]
    if unknown:
        from unci.suggest import with_guesses

        raise ConfigError(
            f"{where}: unknown key(s) {with_guesses(unknown, known)}; besides account and provider, "
            f"a [[sync]] table holds {name}'s parameters: {', '.join(known)}"
        )


def read(path: str | Path) -> Plan:
    """The plan in a TOML file: optional ``lookback`` and ``since``, and one ``[[sync]]`` table
    per account with its parameters (a list value: one repository per item)."""
    from unci.accounts import _toml

    file = Path(path)
    try:
        data = _toml().loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"sync plan {file}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"sync plan {file}: cannot be read ({exc})") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise ConfigError(f"sync plan {file}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - set(_FILE_KEYS))
    if unknown:
        raise ConfigError(
            f"sync plan {file}: unknown key(s) {', '.join(unknown)}; the file holds lookback, "
            "since and [[sync]] tables"
        )
    tables = data.get("sync")
    if not isinstance(tables, list) or not tables:
        raise ConfigError(
            f'sync plan {file}: no [[sync]] table; add one per account, e.g. [[sync]] account = "work-gh" '
            'repo_id = ["api", "web"]'
        )
    scopes: list[Scope] = []
    for number, table in enumerate(tables, 1):
        where = f"sync plan {file}, [[sync]] #{number}"
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: must be a table")
        account, provider = table.get("account"), table.get("provider")
        if not account and not provider:
            raise ConfigError(f'{where}: name an account (account = "NAME") or a provider')
        for key in _OWN_KEYS:
            if key in table and not isinstance(table[key], str):
                raise ConfigError(f"{where}: {key} must be a string")
        params = {k: _strings(v, where, k) for k, v in table.items() if k not in _OWN_KEYS}
        _check_keys(where, account, provider, params)
        scopes += expand(account, provider, params)
    from datetime import date

    if isinstance(data.get("since"), date):  # TOML's own date or time (since = 2026-11-01)
        data = {**data, "since": data["since"].isoformat()}
    for key in ("lookback", "since"):
        if key in data and not isinstance(data[key], str):
            raise ConfigError(f'sync plan {file}: {key} must be a string such as "3d"')
    try:
        lookback = parse_lookback(data.get("lookback"), "lookback")
    except UsageError as exc:
        raise ConfigError(f"sync plan {file}: {exc.cli_message()}") from None
    return Plan(scopes, lookback, data.get("since"))
