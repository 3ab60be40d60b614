"""The pipeline without I/O: check input, build the request, judge the response, map the job.

Sync and async clients differ only in how they send; everything they decide is decided here,
once, so the two can never drift apart.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import parse_qsl, urlsplit

import msgspec

from unci import __version__
from unci.bodies import find_message, parse_body
from unci.credentials import clean, from_environment
from unci.errors import (
    AuthError,
    ConfigError,
    DecodeError,
    InvalidParam,
    MissingParams,
    NotFound,
    RateLimited,
    RemoteError,
    UnciError,
    UsageError,
)
from unci.job import Job
from unci.plugins import PluginRegistry, registry
from unci.provider import (
    Credentials,
    Param,
    ProviderInfo,
    Request,
    check_id,
    check_number,
    check_value,
    env_name,
    segment,
)
from unci.ratelimit import describe_wait, retry_after
from unci.ratelimit import normalize as normalize_ratelimit
from unci.redact import redact_headers, redact_query, redact_url, scrub, scrub_bytes
from unci.text import not_utf8

if TYPE_CHECKING:
    from unci.accounts import Account
    from unci.hooks import Hooks

#: The operations a provider declares parameters for (``Provider.params``).
OPERATIONS = ("get", "list", "builds", "build")
USER_AGENT = f"unci/{__version__} (+https://github.com/unci-dev/unci)"

#: Query parameters for the provider itself, passed to it untouched: a mapping, or (key, value)
#: pairs where a key is to be sent more than once.
RemoteQuery = Mapping[str, str] | Iterable[tuple[str, str]]


class Who(TypedDict, total=False):
    """Who to ask, as the CLI gathers it from its options: the keywords of :func:`resolve_target`
    (and of the clients' calls) that name an account or carry credentials."""

    account: str | None
    token: str | None
    username: str | None
    password: str | None
    base_url: str | None


@dataclass
class Target:
    """Who to ask and with what: provider, API root, credentials, default params."""

    provider: str
    info: ProviderInfo
    base_url: str
    credentials: Credentials
    params: dict[str, str] = field(default_factory=dict)
    #: The integrated account's name, when one was used (list cursors are bound to it).
    account: str | None = None
    #: The credentials were the caller's own (``token=``, ``--token``), over the account's.
    given: bool = False

    @property
    def secrets(self) -> list[str]:
        """The token and password, and the Basic-auth pairs built from them (a server that
        echoes the ``Authorization`` header back shows the base64, not the token)."""
        credentials = self.credentials
        return list(_secret_forms(credentials.username, credentials.token, credentials.password))


@functools.lru_cache(maxsize=256)
def _secret_forms(user: str | None, token: str | None, password: str | None) -> tuple[str, ...]:
    """:func:`_basic_forms` of a credentials' values (:meth:`Credentials.secrets`), looked up
    by the values themselves: every answer is scrubbed of them, and building the list and the
    tuple to look them up by cost more than the look-up."""
    return _basic_forms(user or "", tuple(Credentials(token, user, password).secrets()))


@functools.lru_cache(maxsize=256)
def _basic_forms(user: str, secrets: tuple[str, ...]) -> tuple[str, ...]:
    """The secrets and their Basic-auth pairs in base64 (worked out once per credentials: every
    answer and every line printed is scrubbed of them)."""
    found = list(secrets)
    for secret in secrets:
        for pair in {f"{user}:{secret}", f":{secret}"}:
            data = pair.encode("utf-8", "surrogateescape")
            found += [base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()]
    return tuple(dict.fromkeys(found))


@dataclass
class Call:
    """One prepared HTTP call and everything needed to judge and render its answer."""

    target: Target
    method: str
    url: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    auth_header_names: tuple[str, ...]
    job_id: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    request: Request | None = None
    #: What is fetched, for messages: ``job``, ``build``, ``build list``.
    kind: str = "job"
    #: The URL exactly as to be sent, when ``url`` and ``query`` are only for showing (a
    #: pre-signed storage URL, whose signature must not be re-encoded nor printed).
    raw_url: str | None = None
    #: A request to a host that is not the API root's: it carries nothing of the provider's.
    bare: bool = False

    @property
    def provider(self) -> str:
        return self.target.provider

    @property
    def secrets(self) -> list[str]:
        """Every credential this call carries: the token and password, and the values of the
        headers that carry them, whole and without their scheme (a Basic header's base64 is
        the token in disguise, and a server may echo it back)."""
        found = [*self.target.secrets]
        for name in self.auth_header_names:
            value = self.headers.get(name, "")
            found += [value, value.rpartition(" ")[2]]
        return [s for s in dict.fromkeys(found) if s]

    def __repr__(self) -> str:
        # The headers hold the credentials: a printed Fetched or JobPage must not show them.
        return f"Call(provider={self.provider!r}, method={self.method!r}, url={self.redacted_url()!r})"

    def redacted_url(self) -> str:
        from urllib.parse import urlencode

        query = redact_query(self.query, self.secrets)
        url = scrub(self.url, self.secrets)
        return f"{url}?{urlencode(query)}" if query else url

    def redacted_options(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "headers": redact_headers(self.headers, self.secrets, self.auth_header_names),
        }


@dataclass
class Answer:
    """What came back: status, headers (lower-case names) and the whole body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def __repr__(self) -> str:
        # Headers (Set-Cookie...) and body are the provider's, shown whole only on purpose.
        return f"Answer(status={self.status}, headers=[{len(self.headers)}], body=[{len(self.body)} bytes])"


# --- resolving who to ask ------------------------------------------------------------------


def resolve_target(
    provider: str | None,
    *,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
    params: Mapping[str, str] | None = None,
    account: str | Account | None = None,
    reg: PluginRegistry | None = None,
    environ: Mapping[str, str] | None = None,
) -> Target:
    """Load the provider and settle its credentials and API root.

    Precedence: explicit arguments, then the named integrated account, then the provider's
    environment variables, then the provider's hosted default. An account is self-contained:
    what it does not say is never filled in from the provider's variables, so its calls can
    carry no other token and go to no other host than its own (or the hosted default).
    Every credential is checked here, where it enters (see :mod:`unci.credentials`).
    ``account`` is an account's name or id, or the :class:`~unci.accounts.Account` itself.
    """
    reg = reg or registry()
    env = os.environ if environ is None else environ
    acct = None
    if account:
        from unci.accounts import Account, find

        acct = account if isinstance(account, Account) else find(account)
        if provider and provider != acct.provider:
            raise UsageError(
                f"account {acct.name!r} is a {acct.provider} account, not {provider}",
                hint="drop --provider or use another account",
                py_hint="leave the provider out or use another account",
                http_hint="use another integrated account",
            )
        provider = acct.provider
    if not provider:
        raise UsageError(
            "no provider given",
            hint="use --provider NAME (or --account NAME)",
            py_hint='name it ("github"), or an account with account=NAME',
        )
    info = reg.info(provider)
    # Named as Python's arguments: the CLI checks its options first, by their own names.
    token = clean(token, "the token= argument") if token else None
    username = clean(username, "the username= argument", kind="username") if username else None
    password = clean(password, "the password= argument", kind="password") if password else None

    if acct is not None:
        creds = Credentials(
            token=token or acct.resolve_token(env),
            username=username or acct.resolve_username(),
            password=password or acct.resolve_password(env),
        )
        root, where = (
            (base_url, "base_url=")
            if base_url
            else (acct.base_url, f"account {acct.name!r}: base_url")
            if acct.base_url
            else (info.base_url, f"{provider}'s hosted default")
        )
    else:
        creds = Credentials(
            token=token or _from_env(env, (env_name(provider, "TOKEN"), *info.token_env), "token"),
            username=username
            or _from_env(env, (env_name(provider, "USERNAME"), *info.username_env), "username"),
            password=password
            or _from_env(env, (env_name(provider, "PASSWORD"), *info.password_env), "password"),
        )
        variable = env_name(provider, "BASE_URL")
        root, where = (
            (base_url, "base_url=")
            if base_url
            else (env[variable], f"environment variable {variable}")
            if env.get(variable)
            else (info.base_url, f"{provider}'s hosted default")
        )
    if (username or password) and not creds.token:
        check_sent(reg, provider, username, password)
    if not root:
        raise _no_hosted_default(provider, info)
    root = check_base_url(
        provider,
        info,
        info.base_urls.get(root, root),
        where,
        explicit=bool(base_url),
        secrets=creds.secrets(),  # a token pasted into the URL too is not shown back
    )
    defaults = dict(acct.params) if acct else {}
    defaults.update(params or {})
    given = bool(token or username or password)
    return Target(provider, info, root.rstrip("/"), creds, defaults, acct.name if acct else None, given)


def check_sent(reg: PluginRegistry, provider: str, username: object, password: object) -> None:
    """A user name or password given to a provider whose scheme sends a token alone, with no
    token, is refused here: dropped, they left the request without credentials, and the 401
    blamed the token. (Beside a token they change nothing, as before.) Only where the
    provider's scheme says what it sends and nothing wraps or replaces it."""
    from unci.contract import Provider

    hooks = reg.hooks(provider)
    plugin = hooks.provider
    if hooks.pm is not None or getattr(type(plugin), "authenticate", None) is not Provider.authenticate:
        return
    takes = getattr(getattr(plugin, "auth", None), "takes", None)
    given = [name for name, value in (("username", username), ("password", password)) if value]
    if takes is None or all(name in takes for name in given):
        return
    name = hooks.name
    words = " and ".join("a user name" if n == "username" else "a password" for n in given)
    variable = env_name(name, "TOKEN")
    raise UsageError(
        f"{name}: authenticates with a token alone; {words} would not be sent",
        hint=f"give only a token (--token, or {variable}) and leave the user name and password out",
        py_hint=f"give only a token (token=, or {variable}) and leave username= and password= out",
        provider=name,
    )


def _no_hosted_default(provider: str, info: ProviderInfo) -> ConfigError:
    """A provider that is self-hosted only (``base_url=""``: no hosted service to default to)
    asked for with no API root given."""
    example = f" ({info.self_hosted})" if info.self_hosted else ""
    variable = env_name(provider, "BASE_URL")
    return ConfigError(
        f"{provider}: {info.title} has no hosted service; unci needs your server's API root{example}",
        hint=f"give it with --base-url URL, {variable}, or an account's --base-url",
        py_hint=f"give it as base_url=, in {variable}, or in an account",
        http_hint=f"give the server {variable}, or an account with its base_url",
        provider=provider,
    )


def _from_env(env: Mapping[str, str], names: Iterable[str], kind: str) -> str | None:
    """The first of ``names`` that is set, its value checked (see :mod:`unci.credentials`)."""
    for name in names:
        value = from_environment(name, env.get(name), kind=kind)
        if value:
            return value
    return None


def check_base_url(
    provider: str, info: ProviderInfo, root: str, where: str, *, explicit: bool, secrets: Iterable[str] = ()
) -> str:
    """An http(s) API root with a host and no user name or password in it.

    Credentials in a URL would be shown wherever the URL is (errors, ``accounts list``, server
    messages) and sent by the HTTP library as Basic auth behind the plugin's back; unci takes
    credentials only from the options, variables and accounts made for them.
    """
    error: type[UnciError] = InvalidParam if explicit else ConfigError
    # Given by the caller, it is an argument to Python and an option to the CLI.
    cli_where = "--base-url" if where == "base_url=" else where

    def refused(why: str, **hints: str) -> UnciError:
        """The error, naming where the root came from as the library and the CLI each call it."""

        def said(source: str) -> str:
            return f"{provider}: base URL {scrub(redact_url(root), secrets)!r} (from {source}) {why}"

        return error(said(where), cli_fact=said(cli_where), provider=provider, **hints)

    try:
        parts = urlsplit(root)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:  # "http://[::1": a bracket that never closes
        parts = urlsplit("")
    if not_utf8(root):
        raise refused("holds bytes that are not UTF-8; give it in UTF-8")
    if "@" in parts.netloc:
        raise refused(
            "holds a user name or password; unci never takes credentials from a URL",
            hint="Give the URL without them and the credentials with --username / --password, "
            "--token-file, or an account's --username / --password-env / --token-env",
            py_hint="Give the URL without them and the credentials as username= and password= "
            "(or token=), or in an account",
        )
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise refused(f"is not an http(s) URL; give the API root, e.g. {info.base_url}")
    if "?" in root or "#" in root:
        # Paths are appended to the root: a query or fragment in it would swallow them
        # (``http://h?x=1`` + ``/repos/...`` asks the host's root for ``x=1/repos/...``).
        raise refused(
            f"has a query or fragment; an API root is a scheme, host and path alone, e.g. {info.base_url}",
            hint="leave the query out (jobs and builds commands take the provider's query "
            "parameters as --remote-query KEY=VALUE)",
            py_hint="Query parameters for the provider go in remote_query={KEY: VALUE}",
        )
    return root


# --- preparing -----------------------------------------------------------------------------


def check_params(
    target: Target, params: Mapping[str, str], operation: str, reg: PluginRegistry | None = None
) -> dict[str, str]:
    """Every required param present and every value safe, or one error naming all missing."""
    reg = reg or registry()
    provider = target.provider
    hooks = reg.hooks(provider)
    # No params given (the usual server call, the account's own): a copy, not a comprehension.
    merged = (
        {**target.params, **{k: v for k, v in params.items() if v is not None}}
        if params
        else dict(target.params)
    )
    key: tuple[object, ...] | None = (operation, *merged.items())
    try:
        done = hooks.checked.get(key) if key is not None else None
    except TypeError:  # a value that is no string (nor hashable): checked, never remembered
        done = key = None
    if done is not None:
        return dict(done)
    declared: list[Param] = hooks.required_params(operation)
    kinds = {p.name: p.kind for p in declared}
    known = list(kinds)
    for other in OPERATIONS:
        known += [p.name for p in hooks.required_params(other) if p.name not in known]
    unknown = [name for name in merged if name not in known]
    if unknown:
        from unci.suggest import with_guesses

        takes = ", ".join(known) or "no parameters"
        raise InvalidParam(
            f"{provider}: unknown parameter(s) {with_guesses(unknown, known)}; {provider} takes {takes}",
            hint="Query parameters for the provider itself go in --remote-query KEY=VALUE",
            py_hint="Query parameters for the provider itself go in remote_query={KEY: VALUE}",
            http_hint="Query parameters for the provider itself go in remote_query[KEY]=VALUE",
            provider=provider,
        )
    missing = [p for p in declared if p.required and not merged.get(p.name)]
    if missing:
        lines = "; ".join(f"{p.name} ({p.description})" for p in missing)
        flags = " ".join(f"-p {p.name}=..." for p in missing)
        # Only the build is missing from a job list: the jobs of recent builds need none.
        found = operation == "list" and bool(target.info.build_fields)
        if found:
            for_builds = {p.name for p in hooks.required_params("builds") if p.required}
            found = not any(p.name in for_builds for p in missing)
        cli_more = ", or list the jobs of recent builds with --since 7d (and --branch NAME)" if found else ""
        py_more = ", or pass since='7d' (and branch=) for the jobs of recent builds" if found else ""
        http_more = ", or since=7d (and branch=) for the jobs of recent builds" if found else ""
        raise MissingParams(
            f"{provider}: missing required parameter(s): {lines}",
            hint=f"Give them as {flags}{cli_more}",
            py_hint="Give them as params={" + ", ".join(f"{p.name!r}: ..." for p in missing) + "}" + py_more,
            http_hint="Add them to the query string: "
            + "&".join(f"{p.name}=..." for p in missing)
            + http_more,
            provider=provider,
            missing=[p.name for p in missing],
        )
    for name, value in merged.items():
        check_value(f"parameter {name!r}", value, provider=provider, kind=kinds.get(name, "query"))
    for param in declared:
        if param.name in merged:
            check_number(param, merged[param.name], provider=provider)
    if key is not None and len(hooks.checked) < _CHECKED_KEPT:
        hooks.checked[key] = dict(merged)
    return merged


#: How many sets of checked parameters a provider's hooks remember.
_CHECKED_KEPT = 256


def every_param(hooks: Hooks) -> dict[str, Param]:
    """Each parameter any operation of the provider takes, in the order of :data:`OPERATIONS`,
    as the strictest of them takes it (a path segment over a query value)."""
    declared: dict[str, Param] = {}
    for operation in OPERATIONS:
        for param in hooks.required_params(operation):
            known = declared.get(param.name)
            if known is None or known.kind == "query":
                declared[param.name] = param
    return declared


def check_account_params(
    provider: str, params: Mapping[str, str], reg: PluginRegistry | None = None
) -> dict[str, str]:
    """An account's default params, checked when the account is added, as a call would check
    them: each one the provider declares (a did-you-mean otherwise) and each value safe. A
    required one may be left out: it can come with each call."""
    reg = reg or registry()
    target = Target(provider, reg.info(provider), "", Credentials(), {})
    # Unknown names are refused first; a missing one can come with each call.
    with contextlib.suppress(MissingParams):
        check_params(target, params, "get", reg)
    # Each value as strictly as any operation that takes it: an account's owner ".." is as
    # unusable in a build list's path as in a job's.
    declared = every_param(reg.hooks(provider))
    for name, value in params.items():
        takes = declared.get(name)
        check_value(f"parameter {name!r}", value, provider=provider, kind=takes.kind if takes else "query")
        if takes is not None:
            check_number(takes, value, provider=provider)
    return dict(params)


def prepare(
    target: Target,
    request: Request,
    *,
    remote_query: RemoteQuery = (),
    job_id: str | None = None,
    params: Mapping[str, str] | None = None,
    reg: PluginRegistry | None = None,
) -> Call:
    """Turn a plugin's request into a full call: API root, auth, user agent, remote query."""
    reg = reg or registry()
    provider = target.provider
    auth = reg.hooks(provider).authenticate(target.credentials)
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    headers.update(request.headers)
    headers.update(auth)
    _check_headers(provider, headers)
    if request.path.startswith(("http://", "https://")):
        url = request.path
        if _origin(url) != _origin(target.base_url):
            raise InvalidParam(
                f"{provider}: refusing to follow {scrub(url, target.secrets)!r}, which is not on "
                f"the API root {target.base_url}",
                provider=provider,
            )
    else:
        base = target.base_url
        if request.root:
            base = _sibling(provider, base, request.root)
        url = base + ("" if request.path.startswith("/") else "/") + request.path
    query = list(request.query)
    if remote_query:  # an empty list or tuple adds nothing; anything else is read as before
        given = query_pairs(provider, remote_query)
        # A name unci sends too (``per_page``, GitHub's ``filter``) is the caller's: sent twice,
        # which one the provider took was its own choice.
        names = {name for name, _ in given}
        query = [pair for pair in query if pair[0] not in names] + given
    if "?" in url:  # a next link carries its own query; keep it as pairs so nothing is lost
        url, _, embedded = url.partition("?")
        query = parse_qsl(embedded, keep_blank_values=True) + query
    return Call(
        target=target,
        method=request.method,
        url=url,
        query=query,
        headers=headers,
        auth_header_names=tuple(auth),
        job_id=job_id,
        params=dict(params or {}),
        request=request,
    )


#: What HTTP cannot carry in a header value: control characters but the tab.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


def _check_headers(provider: str, headers: Mapping[str, str]) -> None:
    """Refuse a header value HTTP cannot carry, naming the header, never the value.

    Credentials are checked where they enter; this is the net under every other header. Sent,
    such a value makes the HTTP library raise an error that quotes the header whole (token and
    all), and that error would be taken for a network failure and retried.
    """
    for name, value in headers.items():
        if value.isascii() and value.isprintable() and value == value.strip(" "):
            continue  # printable ASCII with no tab and no space at either end: the usual value
        if not value.isascii() or value != value.strip(" \t") or _CONTROL.search(value):
            raise InvalidParam(
                f"{provider}: the request's {name} header would hold a character HTTP cannot "
                "carry (a control character, a non-ASCII character or a space at either end; "
                "the value is not shown); check the credentials and parameters",
                provider=provider,
            )


def prepare_get(
    target: Target,
    job_id: str | int,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    reg: PluginRegistry | None = None,
) -> Call:
    reg = reg or registry()
    provider = target.provider
    job_id = check_id("job id", job_id, provider=provider)
    hooks = reg.hooks(provider)
    if isinstance(hooks.provider.job_id, Param):
        check_number(hooks.provider.job_id, job_id, provider=provider)
    checked = check_params(target, params or {}, "get", reg)
    request = hooks.build_request(job_id, checked)
    return prepare(target, request, remote_query=remote_query, job_id=job_id, params=checked, reg=reg)


def _origin(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all: on no origin, so never followed
        return "", url
    return parts.scheme.lower(), parts.netloc.lower()


# --- judging the answer --------------------------------------------------------------------


def raise_for_status(call: Call, answer: Answer, reg: PluginRegistry | None = None) -> None:
    """Turn an HTTP error into the matching :class:`RemoteError`, with the provider's message."""
    status = answer.status
    if status < 300:
        return
    if status == 304 and "If-None-Match" in call.headers:
        return  # a conditional request answered "unchanged": the caller asked for exactly this
    if status < 400:
        raise _redirected(call, answer)
    reg = reg or registry()
    provider = call.provider
    secrets = call.secrets
    try:
        own = reg.hooks(provider).error_message(status, answer.body)
    except Exception:  # noqa: BLE001 - a message extractor must never hide the real error
        own = None
    said = own or find_message(parse_body(answer.body)) or ""
    said = scrub(said.strip(), secrets)[:500]
    quoted = f": {said!r}" if said else ""
    where = call.redacted_url()
    # The answer rides along in the error, so what it echoes of the credentials is scrubbed.
    kw: dict[str, Any] = {
        "provider": provider,
        "remote_status": status,
        "remote_body": scrub_bytes(answer.body, secrets),
        "remote_headers": redact_headers(answer.headers, secrets),
    }
    limit = normalize_ratelimit(answer.headers)
    exhausted = limit.get("ratelimit-remaining") == "0"
    if status == 429 or (status == 403 and (exhausted or "rate limit" in said.lower())):
        reset = retry_after(answer.headers)
        if reset is None and "ratelimit-reset" in limit:
            reset = float(limit["ratelimit-reset"])
        raise RateLimited(
            f"{provider}: rate limit reached (HTTP {status}){quoted}{describe_wait(reset)}. "
            "Wait, or use a token with a larger quota",
            reset_after=reset,
            **kw,
        )
    if status in (401, 403) and call.bare:
        # A storage host's signed link (GitHub's log redirect, Bitbucket's), sent nothing of
        # the credentials: its refusal is the link's (expired, most likely), not the token's.
        raise RemoteError(
            f"{provider}: HTTP {status} from {where}, the storage host the log was sent to"
            f"{quoted}; such links are signed for minutes, so the link may have expired",
            hint="run the command again for a new link (the token was not sent there)",
            **kw,
        )
    if status in (401, 403):
        creds = call.target.credentials
        if not creds:
            supplied = "no credentials were given"
        elif creds.username and not creds.token:  # a user name and password are no token
            supplied = f"the user name and password {'were refused' if status == 401 else 'lack access'}"
        else:
            supplied = "the token was refused" if status == 401 else "the token lacks access"
        account = call.target.account
        if account is not None and not call.target.given:
            # An account's credentials come from the account alone: the variables would not help.
            token_hint = py_token_hint = (
                f"the account's own: unci accounts add {account} -P {provider} --replace "
                "--token-env VAR (or --token-stdin)"
            )
        else:
            token_hint, py_token_hint = _token_hints(provider, call.target.info)
        raise AuthError(
            f"{provider}: HTTP {status}, {supplied}{quoted}",
            hint=f"Supply a valid token with {token_hint}",
            py_hint=f"Supply a valid token with {py_token_hint}",
            http_hint="Give the integrated account (or the server's environment) credentials "
            "the provider accepts",
            **kw,
        )
    if status == 404:
        what = f"{call.kind} {call.job_id!r}" if call.job_id is not None else "the resource"
        raise NotFound(
            f"{provider}: {what} was not found at {where} (HTTP 404){quoted}. Check the id and "
            "parameters; private resources also answer 404 without a token that can see them",
            **kw,
        )
    raise RemoteError(f"{provider}: HTTP {status} from {where}{quoted}", **kw)


def _token_hints(provider: str, info: ProviderInfo) -> tuple[str, str]:
    """Where a token (or a Basic pair) comes from, in the CLI's and in Python's words: for a
    refusal only, not built for every error answer."""
    variables = " / ".join((env_name(provider, "TOKEN"), *info.token_env))
    cli, py = f"--token or {variables}", f"token= or {variables}"
    if info.username_env or info.password_env:
        users = " / ".join((env_name(provider, "USERNAME"), *info.username_env))
        passwords = " / ".join((env_name(provider, "PASSWORD"), *info.password_env))
        cli += f", or a user name and password with --username / {users} and --password / {passwords}"
        py += f", or a user name and password with username= and password= (or {users} and {passwords})"
    return cli, py


def _redirected(call: Call, answer: Answer) -> RemoteError:
    """A 3xx is never the answer: unci follows no redirect for an API call (it would carry the
    credentials to wherever the provider, or someone in between, points). A redirect is most
    often a login page (a proxy, SSO, a Jenkins without credentials) or a wrong base URL."""
    secrets = call.secrets
    location = answer.headers.get("location", "")
    where = _redacted_location(location, call.url, secrets) if location.strip() else "nowhere"
    return RemoteError(
        f"{call.provider}: HTTP {answer.status} from {call.redacted_url()}: redirected to "
        f"{where}; unci does not follow redirects for API calls",
        hint="Check the base URL (--base-url) and the credentials",
        py_hint="Check the base URL (base_url=) and the credentials",
        http_hint="Check the integrated account's base URL and credentials",
        provider=call.provider,
        remote_status=answer.status,
        remote_body=scrub_bytes(answer.body, secrets),
        remote_headers=redact_headers(answer.headers, secrets),
    )


def query_pairs(provider: str, remote_query: RemoteQuery) -> list[tuple[str, str]]:
    """``remote_query`` as pairs. A mapping is read by its items: iterated as it is, a dict
    gives its keys, and a two-letter key would unpack into a key and a value unnoticed."""
    items: Iterable[Any] = remote_query.items() if isinstance(remote_query, Mapping) else remote_query
    pairs = []
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise UsageError(
                f"{provider}: remote_query takes a mapping ({{'per_page': '50'}}) or (key, value) "
                f"pairs, not {item!r}",
                provider=provider,
            )
        key, value = str(item[0]), str(item[1])
        if not_utf8(key) or not_utf8(value):
            raise UsageError(
                f"{provider}: remote_query {key}={value!r} holds bytes that are not UTF-8; give it in UTF-8",
                provider=provider,
            )
        pairs.append((key, value))
    return pairs


def _sibling(provider: str, base: str, root: str) -> str:
    """The API root with its last path segment replaced by ``root`` (CircleCI's v1.1 beside
    v2). A root with no path has no segment to replace: cutting at its last ``/`` would cut the
    host away and send the credentials to a host named ``root``, so it is refused."""
    parts = urlsplit(base)
    path = parts.path.rstrip("/")
    if not path:
        raise InvalidParam(
            f"{provider}: this call goes to {root!r} in place of the API root's last path segment "
            f"(/api/{root} beside /api/v2), and the API root {redact_url(base)} has no path; give "
            "it with its path, e.g. https://HOST/api/v2",
            provider=provider,
        )
    return f"{parts.scheme}://{parts.netloc}{path.rpartition('/')[0]}/{segment(root)}"


def _redacted_location(location: str, base: str, secrets: list[str]) -> str:
    """A ``Location`` fit to print: resolved, no user info, credential-like query values and
    the credentials themselves redacted, control characters dropped, at most 200 characters."""
    from urllib.parse import urlencode, urljoin

    text = "".join(ch for ch in location.strip() if ch.isprintable())[:2000]
    try:
        parts = urlsplit(urljoin(base, text))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return repr(scrub(text, secrets)[:200])
    query = urlencode(redact_query(parse_qsl(parts.query, keep_blank_values=True), secrets))
    shown = f"{parts.scheme}://{host}{port}{parts.path}" + (f"?{query}" if query else "")
    shown = scrub(shown, secrets)
    return shown if len(shown) <= 200 else shown[:200] + "..."


def decoding(provider: str, what: str) -> _Decoding:
    """Whatever goes wrong while a plugin reads a body becomes one :class:`DecodeError` that
    names the provider (and the field, when msgspec or a shared helper knows it).

    :param what: the body's description, e.g. ``"the job JSON"`` or ``"the list JSON"``.
    """
    return _Decoding(provider, what)


class _Decoding:
    """The guard of :func:`decoding`. A class rather than a ``@contextmanager`` generator, and
    the message worded only on failure: it wraps every body read, and the generator's set-up
    was a tenth of mapping one job."""

    __slots__ = ("provider", "what")

    def __init__(self, provider: str, what: str) -> None:
        self.provider = provider
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None or not isinstance(exc, Exception):
            return None  # no error, or KeyboardInterrupt and the like: not the body's fault
        _reword(self.provider, self.what, exc)


def _reword(provider: str, what: str, exc: Exception) -> None:
    """The :class:`DecodeError` :func:`decoding` raises for ``exc``, raised; returns when
    ``exc`` is to go through as it is (unci's own, already naming the provider)."""
    body = f"the response body is not {what} {provider} documents"
    if isinstance(exc, DecodeError):
        if exc.provider is not None:
            return None
        # From a shared helper (``utc``) that names the field but cannot know the provider.
        raise DecodeError(f"{provider}: {body}: {exc.message}", provider=provider) from None
    if isinstance(exc, UnciError):
        return None
    if isinstance(exc, (msgspec.ValidationError, msgspec.DecodeError)):
        raise DecodeError(f"{provider}: {body}: {exc}", provider=provider) from None
    if isinstance(exc, RecursionError):  # msgspec's answer to JSON nested deeper than the stack
        raise DecodeError(
            f"{provider}: the response body is nested too deeply to be {what} {provider} documents",
            provider=provider,
        ) from None
    # A field the plugin reads is missing, null or of another type in this body, or the plugin
    # has a bug: only the body can tell which, so the words leave it open and name the plugin
    # and its line; the cause is kept (``UNCI_TRACEBACK=1`` prints it), never a traceback.
    raise DecodeError(
        f"{provider}: could not read {what} ({type(exc).__name__}: {exc}{_raised_at(provider, exc)}); "
        f"if the response is what {provider} documents, the provider plugin has a bug: "
        "report it to its authors",
        provider=provider,
    ) from exc


def _raised_at(provider: str, exc: BaseException) -> str:
    """`` at unci_drone line 52 (unci-drone 0.1.0)``: the plugin's innermost line in the
    traceback of ``exc`` and the distribution it came from; nothing when none is the plugin's."""
    try:
        hooks = registry().hooks(provider)
        package = type(hooks.provider).__module__.partition(".")[0]
    except Exception:  # noqa: BLE001 - only the words of an error already being raised
        return ""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.partition(".")[0] == package:
            line = f"{module} line {tb.tb_lineno}"
        tb = tb.tb_next
    if line is None:
        return ""
    return f", at {line}" + (f" ({hooks.distribution})" if hooks.distribution else "")


def decode_job(call: Call, answer: Answer, reg: PluginRegistry | None = None) -> Job:
    """Run the plugin's ``map_job``; anything but a whole Job is a :class:`DecodeError`."""
    reg = reg or registry()
    provider = call.target.provider
    # decoding()'s guard as a plain try: one job is read for every get and every answer the
    # server gives, and a guard object's set-up and two calls cost more than the try's nothing.
    try:
        return reg.hooks(provider).map_job(answer.body, call.job_id or "", call.params)
    except Exception as exc:
        _reword(provider, "the job JSON", exc)
        raise


def debug_envelope(call: Call, answer: Answer) -> dict[str, Any]:
    """Truto's ``debug`` object, with every credential redacted."""
    secrets = call.secrets
    headers = redact_headers(answer.headers, secrets)
    headers.update(normalize_ratelimit(answer.headers))
    return {
        "requestUrl": call.redacted_url(),
        "requestOptions": call.redacted_options(),
        "data": parse_body(answer.body),
        "responseHeaders": headers,
    }
