"""``unci accounts``: add, list, show, remove and test integrated accounts."""

from __future__ import annotations

import json
import os
import re

import click

from unci import accounts as store
from unci.errors import UsageError
from unci.options import seconds_type


@click.group("accounts")
def accounts_group() -> None:
    """Named accounts: provider, credentials, API root and default params.

    Stored in a TOML file (mode 0600) in the user's config folder, or at UNCI_CONFIG.
    """


_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@accounts_group.command("add")
@click.argument("name")
@click.option("--provider", "-P", required=True, help="Provider name (see `unci providers`).")
@click.option("--token-env", metavar="VAR", help="Read the token from this environment variable (preferred).")
@click.option(
    "--token-stdin",
    is_flag=True,
    help="Read the token from standard input (kept out of `ps` and shell history).",
)
@click.option(
    "--token-file",
    metavar="PATH",
    default=None,
    help="Read the token from this file (one trailing newline is ignored).",
)
@click.option(
    "--keyring",
    "use_keyring",
    is_flag=True,
    help="With --token-stdin or --token-file: keep the token in the OS keyring, not in the file.",
)
@click.option("--username", default=None, help="User name, for Basic-auth providers.")
@click.option(
    "--password-env",
    metavar="VAR",
    default=None,
    help="Read the password / app password from this environment variable.",
)
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="API root (self-hosted, EU...); without a user name or password in it.",
)
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A default provider parameter; repeatable.",
)
@click.option("--replace", is_flag=True, help="Replace an account of the same name.")
def add(
    name: str,
    provider: str,
    token_env: str | None,
    token_stdin: bool,
    token_file: str | None,
    use_keyring: bool,
    username: str | None,
    password_env: str | None,
    base_url: str | None,
    params: tuple[str, ...],
    replace: bool,
) -> None:
    """Add an account. Prefer --token-env: the token then never touches the disk.

    Never pass a token as an argument: every local user can read arguments in `ps`. Use
    --token-env, --token-stdin or --token-file.
    """
    from unci.call import check_account_params, check_base_url, check_sent
    from unci.cli import parse_pairs
    from unci.credentials import clean, read_file, read_stdin
    from unci.plugins import registry

    store.check_name(name)
    given = [
        flag
        for flag, used in (
            ("--token-env", token_env),
            ("--token-stdin", token_stdin),
            ("--token-file", token_file),
        )
        if used
    ]
    if len(given) > 1:
        raise UsageError(f"give the token one way, not {' and '.join(given)}")
    if use_keyring and not (token_stdin or token_file):
        raise UsageError("--keyring stores a token read with --token-stdin or --token-file; add one of them")
    for option, variable in (("--token-env", token_env), ("--password-env", password_env)):
        if variable is not None and not _VARIABLE.match(variable):
            raise UsageError(
                f"{option} takes the name of an environment variable (letters, "
                f"digits and '_'), not {variable!r}"
            )
    info = registry().info(provider)  # an unknown or broken provider is an error now, not later
    if username is not None:
        username = clean(username, "--username", kind="username")
    # A user name or password its provider would never send, and no token, is refused now,
    # not found out at the first 401.
    if not (token_env or token_stdin or token_file):
        check_sent(registry(), provider, username, password_env)
    if base_url is not None:
        check_base_url(provider, info, info.base_urls.get(base_url, base_url), "--base-url", explicit=True)
    defaults = check_account_params(provider, dict(parse_pairs(params, "--param")))
    token = (
        read_stdin("--token-stdin")
        if token_stdin
        else read_file(token_file, "--token-file")
        if token_file
        else None
    )
    with store.update() as existing:
        if name in existing and not replace:
            raise UsageError(f"an account named {name!r} exists; use --replace or another name")
        account = store.Account(
            name=name,
            provider=provider,
            token_env=token_env,
            username=username,
            password_env=password_env,
            base_url=base_url,
            params=defaults,
        )
        if name in existing:
            account.id = existing[name].id
        if token and use_keyring:
            store.store_in_keyring(account, token)
            account.token_store = "keyring"
        elif token:
            account.token = token
        existing[name] = account
    path = store.config_path()
    if token and not use_keyring:
        click.echo(
            "note: the token is stored in the accounts file (mode 0600); "
            "--token-env or --keyring keep it out of the file",
            err=True,
        )
    for option, variable in (("--token-env", token_env), ("--password-env", password_env)):
        if variable and not os.environ.get(variable):
            click.echo(
                f"note: {variable} ({option}) is not set now; the account fails with exit 10 until it is",
                err=True,
            )
    click.echo(f"added account {name!r} ({provider}, id {account.id}) to {path}", err=True)


@accounts_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_accounts(as_json: bool) -> None:
    """List accounts (tokens are never shown)."""
    rows = [a.public() for a in store.load().values()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(
            f"No accounts in {store.config_path()}. Add one with: "
            "unci accounts add NAME --provider P --token-env VAR"
        )
        return
    from unci.table import table

    click.echo(
        table(rows, ["name", "provider", "id", "token", "base_url", "params"]),
        nl=False,
    )


@accounts_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(name: str, as_json: bool) -> None:
    """Show one account; a stored token is masked."""
    public = store.find(name).public()
    if as_json:
        click.echo(json.dumps(public, indent=2))
        return
    for key, value in public.items():
        if key == "params":
            value = ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
        click.echo(f"{key + ':':<14}{value if value not in (None, '') else '-'}")


@accounts_group.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove an account (and its keyring entry)."""
    from unci import defaults

    with store.update() as existing:
        account = store.find(name)
        store.forget_keyring(account)
        del existing[account.name]
    click.echo(f"removed account {account.name!r}", err=True)
    if defaults.get_default() == account.name:
        # A default naming no account would fail every later command without an --account.
        defaults.set_default(None)
        click.echo(f"{account.name!r} was the default account: there is none now", err=True)


@accounts_group.command("test")
@click.argument("name")
@click.option(
    "--timeout",
    type=seconds_type(positive=True),
    default=None,
    metavar="SECONDS",
    help="Bound on the request as a whole (default 30 s).",
)
def test(name: str, timeout: float | None) -> None:
    """Make one cheap authenticated call and say who the token belongs to."""
    from unci.identity import whoami

    account = store.find(name)
    who, where = whoami(account.name, timeout=timeout)
    click.echo(f"ok: account {account.name!r} ({account.provider}, {where}) authenticates as {who}")
