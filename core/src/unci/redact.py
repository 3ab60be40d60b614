"""Keeping credentials out of everything unci prints, logs or returns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

REDACTED = "[REDACTED]"
_SENSITIVE_WORDS = (
    "authorization",
    "cookie",
    "token",
    "secret",
    "password",
    "passwd",
    "apikey",
    "api-key",
    "api_key",
    "private",
    "signature",
    "session",
    "credential",
    "key",
)


def sensitive_name(name: str) -> bool:
    """Header and query names that carry credentials by convention, whatever their value."""
    lowered = name.lower()
    return any(word in lowered for word in _SENSITIVE_WORDS)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a secret in ``text`` (error messages, URLs, bodies)."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, REDACTED)
    return text


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """:func:`scrub` for a body kept as bytes (an error answer that echoes the credentials)."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            data = data.replace(secret.encode(), REDACTED.encode())
    return data


def redact_headers(
    headers: Mapping[str, str], secrets: Iterable[str] = (), secret_names: Iterable[str] = ()
) -> dict[str, str]:
    names = {n.lower() for n in secret_names}
    secrets = list(secrets)
    return {
        k: (REDACTED if k.lower() in names or sensitive_name(k) else scrub(v, secrets))
        for k, v in headers.items()
    }


def redact_query(query: Iterable[tuple[str, str]], secrets: Iterable[str] = ()) -> list[tuple[str, str]]:
    secrets = list(secrets)
    return [(k, REDACTED if sensitive_name(k) else scrub(v, secrets)) for k, v in query]
