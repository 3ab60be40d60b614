"""Who a request's calls go to: an integrated account resolved once per version of it.

Resolving an account (credentials checked where they enter, API root checked) cost about as
much as mapping the job, and a server resolves the same few accounts on every request. The
:class:`~unci.call.Target` is kept under everything it is made of: every field of the account as
the accounts file has it now (the file is still looked up on every request) and the values of
the environment variables it names. So an edited or removed account, a changed variable, is
seen on the next request, as before. An account whose token is in the OS keyring is resolved
on every request: the keyring can change behind the server's back.
"""

from __future__ import annotations

import os

from unci.accounts import Account
from unci.call import Target, resolve_target
from unci.plugins import registry

#: How many account versions keep their resolved target.
KEPT = 256

_kept: dict[tuple[object, ...], Target] = {}


def _key(account: Account) -> tuple[object, ...]:
    fields = dict(vars(account), params=tuple(account.params.items()))
    return (
        tuple(fields.items()),
        os.environ.get(account.token_env) if account.token_env else None,
        os.environ.get(account.password_env) if account.password_env else None,
        registry(),  # the providers loaded (tests swap them)
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
