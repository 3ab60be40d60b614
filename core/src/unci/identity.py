"""Asking a provider who the credentials belong to (``unci accounts test``)."""

from __future__ import annotations

from unci.call import prepare, resolve_target
from unci.client import Client
from unci.errors import AuthError, DecodeError, UnciError, UsageError
from unci.plugins import registry


def whoami(account: str, *, timeout: float | None = None) -> tuple[str, str]:
    """``(who, api root)`` for an account; raises the usual errors when the token is refused."""
    target = resolve_target(None, account=account)
    provider = target.provider
    request = registry().hook.identity_request(provider=provider)
    if request is None:
        raise UsageError(f"{provider}: the plugin cannot check credentials (no identity_request)",
                         provider=provider)
    if not target.credentials:
        raise AuthError(
            f"{provider}: account {account!r} has no credentials to test (its token source is "
            "empty); set the environment variable it names or add a token",
            provider=provider, remote_status=401,
        )
    with Client(timeout=timeout) as http:
        call = prepare(target, request)
        answer = http.send(call)
    try:
        who = registry().hook.read_identity(provider=provider, payload=answer.body)
    except UnciError:
        raise
    except Exception as exc:  # noqa: BLE001 - msgspec's errors, or a plugin bug: never a traceback
        raise DecodeError(f"{provider}: the identity answer is not the JSON {provider} documents: "
                          f"{exc}", provider=provider) from None
    return who or "an unnamed user", target.base_url
