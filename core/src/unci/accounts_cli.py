"""``unci accounts``: add, list, show, remove and test integrated accounts."""

from __future__ import annotations

import json
import sys

import click

from unci import accounts as store
from unci.errors import UsageError


@click.group("accounts")
def accounts_group() -> None:
    """Named accounts: provider, credentials, API root and default params.

    Stored in a TOML file (mode 0600) in the user's config folder, or at UNCI_CONFIG.
    """


@accounts_group.command("add")
@click.argument("name")
@click.option("--provider", "-P", required=True, help="Provider name (see `unci providers`).")
@click.option("--token-env", metavar="VAR", help="Read the token from this environment variable (preferred).")
@click.option("--token-stdin", is_flag=True, help="Read the token from standard input.")
@click.option(
    "--keyring",
    "use_keyring",
    is_flag=True,
    help="With --token-stdin: keep the token in the OS keyring, not in the file.",
)
@click.option("--username", default=None, help="User name, for Basic-auth providers.")
@click.option(
    "--password-env",
    metavar="VAR",
    default=None,
    help="Read the password / app password from this environment variable.",
)
@click.option("--base-url", default=None, metavar="URL", help="API root (self-hosted, EU...).")
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
    use_keyring: bool,
    username: str | None,
    password_env: str | None,
    base_url: str | None,
    params: tuple[str, ...],
    replace: bool,
) -> None:
    """Add an account. Prefer --token-env: the token then never touches the disk."""
    from unci.cli import parse_pairs
    from unci.plugins import registry

    store.check_name(name)
    if token_env and token_stdin:
        raise UsageError("give the token one way: --token-env VAR or --token-stdin, not both")
    if use_keyring and not token_stdin:
        raise UsageError("--keyring stores a token read with --token-stdin; add --token-stdin")
    registry().info(provider)  # an unknown or broken provider is an error now, not later
    existing = store.load()
    if name in existing and not replace:
        raise UsageError(f"an account named {name!r} exists; use --replace or another name")
    account = store.Account(
        name=name,
        provider=provider,
        token_env=token_env,
        username=username,
        password_env=password_env,
        base_url=base_url,
        params=dict(parse_pairs(params, "--param")),
    )
    if name in existing:
        account.id = existing[name].id
    if token_stdin:
        token = sys.stdin.readline().strip()
        if not token:
            raise UsageError("--token-stdin read an empty token")
        if use_keyring:
            store.store_in_keyring(account, token)
            account.token_store = "keyring"
        else:
            account.token = token
            click.echo(
                "note: the token is stored in the accounts file (mode 0600); "
                "--token-env or --keyring keep it out of the file",
                err=True,
            )
    existing[name] = account
    path = store.save(existing)
    click.echo(f"added account {name!r} ({provider}, id {account.id}) to {path}")


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
        table(
            [{**r, "params": ",".join(f"{k}={v}" for k, v in r["params"].items())} for r in rows],
            ["name", "provider", "id", "token", "base_url", "params"],
        ),
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
    existing = store.load()
    account = store.find(name)
    store.forget_keyring(account)
    del existing[account.name]
    store.save(existing)
    click.echo(f"removed account {account.name!r}")


@accounts_group.command("test")
@click.argument("name")
@click.option("--timeout", type=float, default=None, metavar="SECONDS")
def test(name: str, timeout: float | None) -> None:
    """Make one cheap authenticated call and say who the token belongs to."""
    from unci.identity import whoami

    account = store.find(name)
    who, where = whoami(account.name, timeout=timeout)
    click.echo(f"ok: account {account.name!r} ({account.provider}, {where}) authenticates as {who}")
