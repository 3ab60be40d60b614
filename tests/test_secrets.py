"""A recognisable token, through every command, format and failure: it must surface nowhere.

For every provider, each CLI command runs against a local server with a canary token given by
flag, by unci's environment variable, by the provider's own variable and through an integrated
account (its token in an environment variable, or stored in the accounts file). The server
echoes the token back in error bodies and response headers, as misbehaving proxies and APIs do.
Neither the token nor the Basic-auth forms built from it (base64 of ``user:token``) may appear
in stdout, stderr, the records of the ``unci`` and ``httpx`` loggers, the accounts file (unless
the user asked to store the token there), or any file under ``cassettes/``.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import yaml

import unci
from helpers import cassette_body, run_cli
from localserver import LocalServer, Reply
from unci.call import prepare_get, resolve_target
from unci.listing import prepare_list
from unci.plugins import registry

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "uncicanaryTOKEN4d9f2a71"
USER = "canary-user"
BB = {"workspace_id": "likyh", "repo": "likyhphp", "build": "{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}"}
#: The job id, get params and list params that the cassette bodies belong to.
SAMPLES: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "github": (
        "399444496",
        {"owner": "octo-org", "repo_id": "octo-repo"},
        {"owner": "octo-org", "repo_id": "octo-repo", "build": "29679449"},
    ),
    "circleci": (
        "155",
        {"project_slug": "gh/LF-Engineering/da-ds"},
        {"build": "fda08377-fe7e-46b1-8992-3a7aaecac9c3"},
    ),
    "travis": ("351778875", {}, {"build": "351778872"}),
    "bitbucket": ("{9b079475-6fed-40bb-b591-711351c12f71}", BB, BB),
    "buddy": (
        "1",
        {"workspace": "buddy", "project": "company-website", "workflow": "2"},
        {"workspace": "buddy", "project": "company-website", "workflow": "2"},
    ),
    "gitlab": ("8", {"project": "1"}, {"project": "1", "build": "6"}),
    "buildkite": (
        "b63254c0-3271-4a98-8270-7cfbd6c2f14e",
        {"organization": "my-great-org", "pipeline": "my-pipeline", "build": "1"},
        {"organization": "my-great-org", "pipeline": "my-pipeline", "build": "1"},
    ),
    "jenkins": ("14", {"job": "jobbb"}, {"job": "jobbb"}),
    "azure-devops": (
        "cfa20e98-6997-523c-4233-f0a7302c929f",
        {"organization": "johndoe", "project": "test-project", "build": "12"},
        {"organization": "johndoe", "project": "test-project", "build": "12"},
    ),
}
PROVIDERS = sorted(SAMPLES)
#: Providers that want a user name with the token (Basic auth).
NEEDS_USER = {"jenkins"}
FORMATS = ["unified", "normalized", "raw", "stream", "debug"]


def canary_forms() -> list[str]:
    """The token and every way it travels: percent-encoded, and inside Basic credentials."""
    forms = {TOKEN, quote(TOKEN, safe="")}
    for user in ("", USER):
        pair = f"{user}:{TOKEN}".encode()
        forms |= {base64.b64encode(pair).decode(), base64.urlsafe_b64encode(pair).decode()}
    return sorted(forms)


FORMS = canary_forms()


def leaks(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return [form for form in FORMS if form in text]


# --- the server ------------------------------------------------------------------------------


def _list_body(provider: str) -> bytes:
    """The recorded list page, its next-page pointers removed so ``--all`` ends on it."""
    data = json.loads(cassette_body(provider, "list_jobs"))
    if isinstance(data, dict):
        data.pop("next", None)  # Bitbucket
        data.pop("@pagination", None)  # Travis
        if "next_page_token" in data:  # CircleCI
            data["next_page_token"] = None
        if isinstance(data.get("links"), dict):  # Buildkite
            data["links"].pop("next", None)
        if "total_page_count" in data:  # Buddy
            data["total_page_count"] = data.get("page") or 1
    return json.dumps(data).encode()


#: The Basic credentials each provider sends with ``--token`` (and ``--username``), which an
#: echoing server repeats: Jenkins sends user:token, Azure DevOps an empty user.
BASIC_SENT = {"jenkins": f"{USER}:{TOKEN}", "azure-devops": f":{TOKEN}"}


def echo(status: int, provider: str = "") -> Reply:
    """An error answer that repeats the credentials back, in the body and in a header."""
    sent = BASIC_SENT.get(provider)
    basic = f"Basic {base64.b64encode(sent.encode()).decode()}" if sent else ""
    said = f"credentials {TOKEN} {basic} refused"
    body = json.dumps(
        {
            "message": said,
            "error": said,
            "error_message": said,
            "errors": [{"message": said}],
            "error_description": said,
        }
    ).encode()
    kind = "application/json"
    if provider == "jenkins":  # Jetty's error page, whose title the plugin reads
        body, kind = f"<html><head><title>Error {status} {said}</title></head></html>".encode(), "text/html"
    headers = {
        "Content-Type": kind,
        "X-Echo": f"Bearer {TOKEN}",
        "WWW-Authenticate": f'Basic realm="{TOKEN}"',
    }
    if status == 429:
        headers["Retry-After"] = "3600"
    if status == 503:
        headers["Retry-After"] = "0"
    return Reply(status, body, headers)


def ok(body: bytes) -> Reply:
    """A good answer whose headers echo the token (the debug format shows response headers)."""
    return Reply(
        200,
        body,
        {"Content-Type": "application/json", "X-Echo": f"token {TOKEN}", "Set-Cookie": f"session={TOKEN}"},
    )


def _paths(provider: str, url: str) -> tuple[str, str]:
    job_id, get_params, list_params = SAMPLES[provider]
    target = resolve_target(provider, base_url=url)
    get_call = prepare_get(target, job_id, get_params)
    list_call, _ = prepare_list(target, list_params)
    return get_call.url[len(url) :], list_call.url[len(url) :]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- running everything ------------------------------------------------------------------------


class Runs:
    """Runs CLI commands and keeps everything they printed, by label."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.exits: dict[str, int] = {}

    def __call__(
        self, label: str, *args: str, env: dict[str, str] | None = None, input: str | None = None
    ) -> Any:
        result = run_cli(*args, env=env, input=input)
        self.seen.append((f"{label} stdout", result.stdout_bytes.decode("utf-8", "replace")))
        self.seen.append((f"{label} stderr", result.stderr_bytes.decode("utf-8", "replace")))
        self.exits[label] = result.exit_code
        return result


def _creds(provider: str, how: str) -> tuple[list[str], dict[str, str]]:
    """CLI arguments and environment that carry the canary token in one of the ways."""
    info = registry().info(provider)
    user = provider in NEEDS_USER
    if how == "flag":
        return ["--token", TOKEN, *(["--username", USER] if user else [])], {}
    if how == "unci-env":
        name = provider.upper().replace("-", "_")
        env = {f"UNCI_{name}_TOKEN": TOKEN}
        if user:
            env[f"UNCI_{name}_USERNAME"] = USER
        return [], env
    if how == "own-env":
        env = {info.token_env[0]: TOKEN}
        if user:
            env[info.username_env[0]] = USER
        return [], env
    if how == "basic":  # a user name and the token as the password
        return ["--username", USER, "--password", TOKEN], {}
    raise AssertionError(how)


def _param_args(params: dict[str, str]) -> list[str]:
    return [a for k, v in params.items() for a in ("-p", f"{k}={v}")]


def run_everything(provider: str, server: LocalServer) -> Runs:
    job_id, get_params, list_params = SAMPLES[provider]
    get_path, list_path = _paths(provider, server.url)
    job_body, list_body = cassette_body(provider, "get_job"), _list_body(provider)
    runs = Runs()
    common = ["-P", provider, "--base-url", server.url, "--retries", "0"]
    get = ["jobs", "get", job_id, *common, *_param_args(get_params)]
    listing = ["jobs", "list", *common, *_param_args(list_params)]

    def serve(get_reply: Reply | None = None, list_reply: Reply | None = None) -> None:
        server.route(get_path, get_reply or ok(job_body))
        server.route(list_path, list_reply or ok(list_body))

    serve()
    server.route("/user", ok(b'{"login": "octocat", "name": "The Octocat"}'))  # GitHub's identity
    flag, _ = _creds(provider, "flag")
    # jobs get: every format and output
    for fmt in FORMATS:
        runs(f"get --format {fmt}", *get, *flag, "--format", fmt)
    runs("get --output table", *get, *flag, "--output", "table")
    runs("get --ignore-remote-data", *get, *flag, "--ignore-remote-data", "--exclude-field", "name")
    # every other way to give the token
    ways = ["unci-env", "own-env", *(["basic"] if registry().info(provider).password_env else [])]
    for how in ways:
        args, env = _creds(provider, how)
        runs(f"get {how} --format debug", *get, *args, "--format", "debug", env=env)
        runs(f"list {how} --format debug", *listing, *args, "--format", "debug", env=env)
    # jobs list: pages, every page, formats, cursors
    for extra in (
        ["--format", "debug"],
        ["--format", "raw"],
        ["--format", "normalized"],
        ["--output", "table"],
        ["--all"],
        ["--all", "--output", "table"],
        ["--all", "--format", "raw"],
    ):
        runs(f"list {' '.join(extra)}", *listing, *flag, *extra)
    first = runs("list --limit 1", *listing, *flag, "--limit", "1", "--format", "debug")
    cursor = json.loads(first.stdout)["next_cursor"] if first.exit_code == 0 else None
    if cursor:
        for part in cursor.split("."):  # the payload and its signature
            assert not leaks(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        runs("list --cursor", *listing, *flag, "--cursor", cursor, "--format", "debug")
    # the provider says no, or is not there
    for status in (401, 403, 404, 429, 500, 503):
        serve(get_reply=echo(status, provider), list_reply=echo(status, provider))
        for extra in ([], ["--error-format", "json"], ["--format", "debug"]):
            if extra and status in (403, 503):  # the same path as 401 and 500 from here on
                continue
            runs(f"get HTTP {status} {extra}", *get, *flag, "--max-wait", "0", *extra)
        if status in (401, 404, 500):
            runs(f"list HTTP {status}", *listing, *flag, "--error-format", "json")
            runs(f"stream HTTP {status}", *get, *flag, "--format", "stream", "--error-format", "json")
    server.route(get_path, echo(503, provider), ok(job_body))  # a retry, and its log line
    runs("get retried 503", *get, *flag, "--retries", "1")
    serve()
    dead = ["--base-url", f"http://127.0.0.1:{_closed_port()}"]
    for extra in ([], ["--error-format", "json"], ["--format", "debug"]):
        runs(f"get refused {extra}", *get, *flag, *dead, *extra)
    runs("list refused", *listing, *flag, *dead, "--error-format", "json")
    serve(get_reply=Reply(200, job_body, delay=1.0), list_reply=Reply(200, list_body, delay=1.0))
    for extra in ([], ["--error-format", "json"]):
        runs(f"get timeout {extra}", *get, *flag, "--timeout", "0.05", *extra)
    runs("list timeout", *listing, *flag, "--timeout", "0.05", "--error-format", "json")
    serve()
    # integrated accounts: the token in an environment variable, or stored in the file
    user = ["--username", USER] if provider in NEEDS_USER else []
    account = ["--base-url", server.url, *_param_args(get_params)]
    env = {"CANARY_TOKEN": TOKEN}
    runs(
        "accounts add",
        "accounts",
        "add",
        "canary",
        "-P",
        provider,
        "--token-env",
        "CANARY_TOKEN",
        *user,
        *account,
        env=env,
    )
    runs(
        "accounts add stored",
        "accounts",
        "add",
        "stored",
        "-P",
        provider,
        "--token-stdin",
        *user,
        *account,
        input=TOKEN + "\n",
    )
    for name in ("canary", "stored"):
        runs(
            f"get -a {name}",
            "jobs",
            "get",
            job_id,
            "-a",
            name,
            "--format",
            "debug",
            "--retries",
            "0",
            env=env,
        )
        runs(
            f"list -a {name}",
            "jobs",
            "list",
            "-a",
            name,
            *_param_args(list_params),
            "--format",
            "debug",
            "--retries",
            "0",
            env=env,
        )
        runs(f"accounts show {name}", "accounts", "show", name, env=env)
        runs(f"accounts show {name} --json", "accounts", "show", name, "--json", env=env)
        runs(f"accounts test {name}", "accounts", "test", name, env=env)
    runs("accounts list", "accounts", "list", env=env)
    runs("accounts list --json", "accounts", "list", "--json", env=env)
    for identity in ("/user", "/me", "/me/api/json", "/johndoe/_apis/connectionData"):
        server.route(identity, echo(401, provider))  # every provider's "who am I" path
    serve(get_reply=echo(401, provider))
    runs("accounts test 401", "accounts", "test", "canary", env=env)
    runs("get -a canary 401", "jobs", "get", job_id, "-a", "canary", "--error-format", "json", env=env)
    runs("accounts remove", "accounts", "remove", "stored")
    runs("providers", "providers")
    runs("providers --json", "providers", "--json", env=env)
    return runs


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_token_appears_nowhere(
    server: LocalServer, provider: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG, logger="unci")
    caplog.set_level(logging.INFO, logger="httpx")
    runs = run_everything(provider, server)
    found = [(label, leaks(text)) for label, text in runs.seen if leaks(text)]
    assert {"unci", "httpx"} <= {r.name for r in caplog.records}  # both had things to say
    for record in caplog.records:
        if record.name.startswith(("unci", "httpx")) and leaks(record.getMessage()):
            found.append((f"log {record.name}", leaks(record.getMessage())))
    accounts = tmp_path / "config" / "accounts.toml"
    assert accounts.exists()  # the account kept after `remove stored` reads its token from the env
    if leaks(accounts.read_text()):
        found.append(("accounts file", leaks(accounts.read_text())))
    assert found == []
    # The runs did what they say: successes succeeded, failures failed as themselves.
    exits = runs.exits
    assert [
        label for label, code in exits.items() if label.startswith(("get --", "list --")) and code != 0
    ] == []
    assert exits["get HTTP 401 []"] == 4 and exits["get HTTP 404 []"] == 5
    assert exits["get HTTP 500 []"] == 6 and exits["get HTTP 429 []"] == 7
    assert exits["get refused []"] == 8 and exits["get timeout []"] == 8
    assert exits["get -a canary"] == exits["get -a stored"] == exits["get retried 503"] == 0
    assert exits["accounts test 401"] in (2, 4)  # 2: the account lacks what the check needs
    # The server really got the token each time: otherwise there was nothing to leak.
    sent = [r.headers for r in server.requests]
    assert sent and all(any(leaks(v) for v in h.values()) for h in sent)


def test_a_token_stored_by_request_stays_in_the_accounts_file_only(tmp_path: Path) -> None:
    """--token-stdin without --keyring puts the token in the file, on purpose, mode 0600."""
    result = run_cli("accounts", "add", "kept", "-P", "github", "--token-stdin", input=TOKEN + "\n")
    assert result.exit_code == 0 and not leaks(result.output)
    accounts = tmp_path / "config" / "accounts.toml"
    assert TOKEN in accounts.read_text() and accounts.stat().st_mode & 0o777 == 0o600
    for args in (["accounts", "show", "kept"], ["accounts", "list", "--json"]):
        shown = run_cli(*args)
        assert shown.exit_code == 0 and not leaks(shown.output)


# --- the Python API --------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_objects_a_library_user_prints_hold_no_token(server: LocalServer, provider: str) -> None:
    """repr() of what the API returns and raises: notebooks and log lines print these."""
    from unci.client import Client
    from unci.retry import RetryPolicy

    job_id, get_params, list_params = SAMPLES[provider]
    get_path, list_path = _paths(provider, server.url)
    server.route(get_path, ok(cassette_body(provider, "get_job")))
    server.route(list_path, ok(_list_body(provider)))
    creds = {"token": TOKEN, **({"username": USER} if provider in NEEDS_USER else {})}
    shown: list[str] = []
    with Client(retry=RetryPolicy(retries=0)) as http:
        fetched = http.fetch(provider, job_id, params=get_params, base_url=server.url, **creds)
        page = http.list_jobs(provider, params=list_params, base_url=server.url, **creds)
        shown += [
            repr(fetched),
            str(fetched),
            repr(fetched.call),
            repr(fetched.call.target),
            repr(page),
            json.dumps(fetched.debug(), default=str),
        ]
        server.route(get_path, echo(401, provider))
        with pytest.raises(unci.AuthError) as info:
            http.get_job(provider, job_id, params=get_params, base_url=server.url, **creds)
        shown += [
            str(info.value),
            repr(info.value),
            json.dumps(unci.error_envelope(info.value)),
            info.value.remote_body.decode(),
            json.dumps(info.value.remote_headers),
        ]
        with pytest.raises(unci.NetworkError) as down:
            http.get_job(
                provider, job_id, params=get_params, base_url=f"http://127.0.0.1:{_closed_port()}", **creds
            )
        shown += [str(down.value), repr(down.value), json.dumps(unci.error_envelope(down.value))]
    assert [(i, text[:300]) for i, text in enumerate(shown) if leaks(text)] == []


# --- cassettes -------------------------------------------------------------------------------


def _cassettes() -> Iterator[Path]:
    yield from sorted((ROOT / "plugins").glob("*/cassettes/**/*"))


def test_no_cassette_holds_the_canary() -> None:
    """Nothing in this module (or any other) may record the canary into a cassette."""
    files = [p for p in _cassettes() if p.is_file()]
    assert files
    assert [str(p) for p in files if leaks(p.read_bytes())] == []


def test_no_cassette_holds_any_credential() -> None:
    """Whatever token recorded them, no request in a cassette carries a credential."""
    from helpers import SECRET_HEADERS

    secret_query = {"circle-token", "private_token", "access_token", "token", "api_key", "key"}
    found = []
    for path in _cassettes():
        if path.suffix != ".yaml":
            continue
        for interaction in yaml.safe_load(path.read_text())["interactions"]:
            request = interaction["request"]
            headers = {k.lower() for k in (request.get("headers") or {})}
            query = {k.lower() for k, _ in parse_qsl(urlsplit(request["uri"]).query)}
            found += [(path.name, h) for h in headers & {h.lower() for h in SECRET_HEADERS}]
            found += [(path.name, q) for q in query & secret_query]
    assert found == []
