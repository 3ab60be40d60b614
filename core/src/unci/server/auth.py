"""The server's own API tokens: where they come from and how a request's token is checked.

Tokens come from ``UNCI_SERVER_TOKENS`` (comma- or space-separated) and/or a tokens file (one a
line, ``#`` comments), which is refused when other users can read it, as the accounts file is.
A request's ``Authorization: Bearer`` token is hashed and compared with every known token's hash
with :func:`hmac.compare_digest`, always against all of them, so neither the position of a
matching token nor the length of the tokens shows in the time a check takes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from unci.errors import ConfigError

ENV_TOKENS = "UNCI_SERVER_TOKENS"
ENV_TOKENS_FILE = "UNCI_SERVER_TOKENS_FILE"
#: Shorter tokens are refused: they can be guessed.
MIN_TOKEN_LENGTH = 16
GENERATE_HINT = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'


def _check(tokens: list[str], where: str) -> list[str]:
    for number, token in enumerate(tokens, start=1):
        if len(token) < MIN_TOKEN_LENGTH:
            raise ConfigError(
                f"API token {number} from {where} is shorter than {MIN_TOKEN_LENGTH} characters; "
                f"{GENERATE_HINT}"
            )
    return tokens


def tokens_from_env(environ: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if environ is None else environ
    raw = env.get(ENV_TOKENS, "")
    return _check(raw.replace(",", " ").split(), ENV_TOKENS)


def tokens_from_file(path: str | Path) -> list[str]:
    path = Path(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the tokens file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"the tokens file {path} is not UTF-8 text") from None
    if os.name == "posix" and mode & 0o077:
        raise ConfigError(
            f"the tokens file {path} can be read by other users (mode {stat.S_IMODE(mode):o}); "
            f"fix it with: chmod 600 {path}"
        )
    tokens = [
        line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    return _check(tokens, str(path))


def load_tokens(tokens_file: str | Path | None, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every configured token: the environment's, then the file's (given or from the env)."""
    env = os.environ if environ is None else environ
    tokens = tokens_from_env(env)
    path = tokens_file or env.get(ENV_TOKENS_FILE)
    if path:
        tokens += tokens_from_file(path)
    return list(dict.fromkeys(tokens))


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


class TokenChecker:
    """Holds only the tokens' hashes; answers whether an ``Authorization`` header is good."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self._digests = [_digest(t) for t in tokens]

    def __bool__(self) -> bool:
        return bool(self._digests)

    def __repr__(self) -> str:
        return f"TokenChecker({len(self._digests)} token(s))"

    def problem(self, authorization: str | None) -> str | None:
        """``None`` when the header carries a known token, else what is wrong (never the token)."""
        if not authorization:
            return "no API token: send the header Authorization: Bearer <token>"
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return "the Authorization header is not a Bearer token: send Authorization: Bearer <token>"
        digest = _digest(value.strip())
        matched = False
        for known in self._digests:
            matched |= hmac.compare_digest(digest, known)
        return None if matched else "the API token is not valid"
