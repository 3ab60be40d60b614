"""Authentication schemes as data: a provider names its scheme, the core builds the headers.

Kept apart from the request so the core attaches the same headers to every request it makes for
the provider (paging included) and redacts exactly them in debug output.
"""

from __future__ import annotations

import base64
from typing import ClassVar

import msgspec

from unci.provider import Credentials


class Auth(msgspec.Struct, frozen=True):
    """No credentials at all: public APIs, and the base of the schemes below."""

    #: The credentials the scheme sends; ``None`` where it does not say (nothing given is then
    #: refused as unsent). A user name and password given to a scheme that sends a token alone
    #: is refused where they are given, rather than dropped for a 401 that blames the token.
    takes: ClassVar[frozenset[str] | None] = None

    def headers(self, credentials: Credentials) -> dict[str, str]:
        return {}


class Bearer(Auth, frozen=True):
    """``Authorization: Bearer <token>`` (GitHub, GitLab, Buildkite, Buddy)."""

    takes: ClassVar[frozenset[str] | None] = frozenset({"token"})

    def headers(self, credentials: Credentials) -> dict[str, str]:
        return {"Authorization": f"Bearer {credentials.token}"} if credentials.token else {}


class TokenHeader(Auth, frozen=True):
    """The token in a header of the provider's choosing, in its template.

    ``TokenHeader("Circle-Token")`` sends the bare token; ``TokenHeader("Authorization",
    "token {token}")`` is Travis CI's form.
    """

    takes: ClassVar[frozenset[str] | None] = frozenset({"token"})
    header: str
    template: str = "{token}"

    def headers(self, credentials: Credentials) -> dict[str, str]:
        if not credentials.token:
            return {}
        return {self.header: self.template.replace("{token}", credentials.token)}


def basic_auth(username: str | None, secret: str) -> dict[str, str]:
    """The ``Authorization: Basic`` header for a user name (may be empty) and a secret."""
    pair = base64.b64encode(f"{username or ''}:{secret}".encode()).decode("ascii")
    return {"Authorization": f"Basic {pair}"}


class Basic(Auth, frozen=True):
    """``Authorization: Basic`` from a user name and a password or token.

    The secret is the password when one is given, else the token (Jenkins' API token, Azure
    DevOps' PAT with an empty user name).
    """

    def headers(self, credentials: Credentials) -> dict[str, str]:
        secret = credentials.password or credentials.token
        return basic_auth(credentials.username, secret) if secret else {}


class BearerOrBasic(Auth, frozen=True):
    """Basic when a user name comes with a password, else Bearer (Bitbucket Cloud)."""

    def headers(self, credentials: Credentials) -> dict[str, str]:
        if credentials.username and credentials.password:
            return basic_auth(credentials.username, credentials.password)
        return Bearer().headers(credentials)
