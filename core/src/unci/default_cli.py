"""``unci accounts default``: the account used when ``--account`` is left out."""

from __future__ import annotations

import os

import click

from unci import defaults
from unci.errors import UsageError
from unci.options import ACCOUNT_ENV, complete_account


@click.command("default")
@click.argument("name", required=False, shell_complete=complete_account)
@click.option("--clear", is_flag=True, help="Forget the default account.")
def default_command(name: str | None, clear: bool) -> None:
    """Set, show or clear the default account (UNCI_ACCOUNT overrides it).

    With a default account, `unci jobs get ID` needs neither --account nor --provider; an
    explicit --provider of another provider leaves the default out.
    """
    from unci import accounts

    if clear and name:
        raise UsageError("give a NAME to set the default, or --clear to forget it, not both")
    if clear:
        defaults.set_default(None)
        click.echo("no default account now", err=True)
        return
    if name:
        account = accounts.find(name)  # an unknown name fails here, listing the known ones
        where = defaults.set_default(account.name)
        click.echo(f"default account: {account.name!r} ({account.provider}), kept in {where}", err=True)
        return
    from_env = os.environ.get(ACCOUNT_ENV)
    stored = defaults.get_default()
    named = from_env or stored
    missing = ""
    if named:
        known = accounts.load()
        if named not in known and all(a.id != named for a in known.values()):
            missing = "; no such account exists (see 'unci accounts list')"
    if from_env:
        click.echo(f"{from_env} (from {ACCOUNT_ENV}){missing}")
    elif stored:
        click.echo(f"{stored} (set with `unci accounts default`, in {defaults.path()}){missing}")
    else:
        click.echo("no default account; set one with: unci accounts default NAME")
