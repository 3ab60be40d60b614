"""Asking a provider who the credentials belong to (``unci accounts test``)."""

from __future__ import annotations

from unci.call import decoding, prepare, resolve_target
from unci.client import Client
from unci.errors import ConfigError, UsageError
from unci.plugins import registry
from unci.provider import check_value
from unci.redact import scrub
from unci.table import shown


def whoami(account: str, *, timeout: float | None = None) -> tuple[str, str]:
    """``(who, api root)`` for an account; raises the usual errors when the token is refused."""
    target = resolve_target(None, account=account)
    provider = target.provider
    params = {
        name: check_value(f"parameter {name!r}", value, provider=provider)
        for name, value in target.params.items()
    }
    request = registry().hooks(provider).identity_request(params)
    if request is None:
        raise UsageError(
            f"{provider}: the plugin cannot check credentials (no identity_request)", provider=provider
        )
    if not target.credentials:
        # Nothing was sent, so nothing was refused: the account is what to change (exit 10).
        raise ConfigError(
            f"{provider}: account {account!r} has no credentials to test",
            hint=f"give it some with: unci accounts add {account} -P {provider} --replace --token-env VAR "
            "(or --token-stdin)",
            provider=provider,
        )
    with Client(timeout=timeout) as http:
        call = prepare(target, request)
        answer = http.send(call)
    with decoding(provider, "the identity JSON"):
        who = registry().hooks(provider).read_identity(answer.body)
    if not who:
        return "an unnamed user", target.base_url
    # What the provider says is printed: a provider that echoes the token as the user's name
    # has it replaced, and a terminal escape in a name is shown, never acted on.
    return shown(scrub(who, call.secrets)), target.base_url
