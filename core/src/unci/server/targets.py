"""Who a request's calls go to: an integrated account resolved once per version of it.

Resolving an account (credentials checked where they enter, API root checked) cost about as
much as mapping the job, and a server resolves the same few accounts on every request. The
:class:`~unci.call.Target` is kept under everything it is made of: every field of the account as
the accounts file has it now (the file is still looked up on every request) and the values of
the environment variables it names. So an edited or removed account, a changed variable, is
seen on the next request, as before. An account whose token is in the OS keyring is resolved
on every request: the keyring can change behind the server's back.

:func:`resolve` keeps, per version of the accounts file (:func:`unci.accounts.version`: one
``stat`` per request) and name asked for, the account found and its target; what is checked on
each request is then only that version, the variables the account names and the providers
loaded, rather than the account's every field.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from unci import accounts
from unci.accounts import Account
from unci.call import Target, resolve_target
from unci.plugins import PluginRegistry, registry

#: How many account versions keep their resolved target.
KEPT = 256

_kept: dict[tuple[object, ...], Target] = {}


def _key(account: Account) -> tuple[object, ...]:
    fields = dict(vars(account), params=tuple(account.params.items()))
    return (
        tuple(fields.items()),
        *_variables(account),
        registry(),  # the providers loaded (tests swap them)
    )


def _variables(account: Account) -> tuple[str | None, str | None]:
    """The values of the environment variables the account names (its token, its password)."""
    return (
        os.environ.get(account.token_env) if account.token_env else None,
        os.environ.get(account.password_env) if account.password_env else None,
    )


def account_target(account: Account) -> Target:
    """``resolve_target(account=account)``, from what is kept when nothing it reads changed."""
    if account.token_store == "keyring":
        return resolve_target(None, account=account)
    key = _key(account)
    found = _kept.get(key)
    if found is None:
        found = resolve_target(None, account=account)
        if len(_kept) >= KEPT:
            del _kept[next(iter(_kept))]  # the oldest
        _kept[key] = found
    return found


class _Resolved(NamedTuple):
    account: Account
    variables: tuple[str | None, str | None]
    providers: PluginRegistry
    target: Target


_resolved: dict[tuple[tuple[object, ...], str], _Resolved] = {}


def resolve(name_or_id: str) -> tuple[Account, Target]:
    """The account named (by name or id, :func:`unci.accounts.find`) in the accounts file as
    it is now, and its target (:func:`account_target`); the account's ``UsageError`` when
    there is none. Kept per version of the file, and checked against the account's variables
    and the providers loaded on every call."""
    path = accounts.config_path()
    now = accounts.version(path)
    if now is not None:
        kept = _resolved.get((now, name_or_id))
        if kept is not None and kept.providers is registry() and kept.variables == _variables(kept.account):
            return kept.account, kept.target
    where, account = accounts.find_versioned(name_or_id, path)
    variables, providers = _variables(account), registry()  # read before they are used
    target = account_target(account)
    if where is not None and account.token_store != "keyring":
        if len(_resolved) >= KEPT:
            del _resolved[next(iter(_resolved))]  # the oldest
        _resolved[(where, name_or_id)] = _Resolved(account, variables, providers, target)
    return account, target
