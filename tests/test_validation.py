"""Ids and parameters that could steer a request elsewhere, for every provider, through the CLI.

Each hostile value, given as the job id or as any parameter a provider declares for ``jobs get``
or ``jobs list``, is either refused before any request (exit 2, the provider and the parameter
named) or sent percent-encoded inside the one path segment it belongs to: the local server sees
exactly the path it would see for a harmless value, with only that segment changed. The test
asserts on what the server received, not on how unci built it.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

import unci
from helpers import run_cli
from localserver import LocalServer
from unci.client import Client
from unci.plugins import registry
from unci.retry import RetryPolicy

PROVIDERS = [
    "azure-devops",
    "bitbucket",
    "buddy",
    "buildkite",
    "circleci",
    "github",
    "gitlab",
    "jenkins",
    "travis",
]
HOSTILE = [
    "../x",
    "..",
    ".",
    "",
    "  ",
    "a\nb",
    "a\x00b",
    "x" * 1025,
    "1?x=y",
    "a#b",
    "%2e%2e",
    "a/b",
    "a\\b",
    "\u00e9\u202e",
    "x" * 1024,
]
#: Stand-ins for a harmless value, to learn the path a value lands in; the first one a provider
#: accepts is used (Azure DevOps wants a numeric build).
SENTINELS = ("UnciSentinel7", "987654321")
#: Harmless values for every parameter, and a job id each provider accepts.
VALID = {
    "organization": "org",
    "project": "proj",
    "build": "12",
    "owner": "octo",
    "repo_id": "repo",
    "project_slug": "gh/org/repo",
    "workspace_id": "ws",
    "repo": "repo",
    "workspace": "ws",
    "workflow": "2",
    "pipeline": "pipe",
    "job": "team/api",
}
CREDENTIALS = {"token": "t0ken-for-tests", "username": "unci-user"}


def _declared(provider: str, operation: str) -> list:
    reg = registry()
    reg.load(provider)
    return reg.hooks(provider).required_params(operation=operation)


def _send(
    http: Client, server: LocalServer, provider: str, operation: str, job_id: str, params: dict[str, str]
) -> tuple[unci.UnciError | None, list[str]]:
    """Make the call; return its error (None when it got an answer) and the paths sent."""
    before = len(server.requests)
    try:
        if operation == "get":
            http.fetch(provider, job_id, params=params, base_url=server.url, **CREDENTIALS)
        else:
            http.list_jobs(provider, params=params, base_url=server.url, **CREDENTIALS)
        error = None
    except unci.NotFound:  # the test server knows no routes: every request it sees is a 404
        error = None
    except unci.UnciError as exc:
        error = exc
    return error, [seen.path for seen in server.requests[before:]]


def _inputs(provider: str, operation: str) -> list[tuple[str, str, str]]:
    """(what the error must name, the param or "" for the job id, its value with a {} slot)."""
    inputs = [("job id", "", "{}")] if operation == "get" else []
    for param in _declared(provider, operation):
        inputs.append((param.name, param.name, "{}"))
        if param.kind == "path":  # also as one part of a slash-separated path
            parts = VALID[param.name].split("/")
            parts[1] = "{}"
            inputs.append((param.name, param.name, "/".join(parts)))
    return inputs


@pytest.mark.parametrize("operation", ["get", "list"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_hostile_values_are_refused_or_stay_in_their_segment(
    server: LocalServer, provider: str, operation: str
) -> None:
    declared = {p.name: p for p in _declared(provider, operation)}
    valid = {name: VALID[name] for name in declared}
    problems: list[str] = []
    outcomes = {"refused": 0, "sent": 0}
    with Client(retry=RetryPolicy(retries=0)) as http:
        for label, param, template in _inputs(provider, operation):

            def call(value: str, param: str = param, template: str = template):
                filled = template.replace("{}", value)
                params = {**valid, **({param: filled} if param else {})}
                return _send(http, server, provider, operation, filled if not param else "1", params)

            # The path a harmless value lands in; None when the provider wants another form.
            base = next(((s, paths[0]) for s in SENTINELS for _, paths in [call(s)] if paths), None)
            for value in HOSTILE:
                if value == "a/b" and param and declared[param].kind == "path":
                    continue  # the documented folder form (Jenkins team/api): its own tests
                error, paths = call(value)
                what = f"{operation} {label}={value[:30]!r}"
                if not paths:
                    outcomes["refused"] += 1
                    if not isinstance(error, unci.UsageError) or error.exit_code != 2:
                        problems.append(f"{what}: nothing sent, but {error!r}")
                    elif not error.message.startswith(f"{provider}: ") or label not in error.message:
                        problems.append(
                            f"{what}: the error does not name {provider} and {label}: {error.message}"
                        )
                    continue
                outcomes["sent"] += 1
                if error is not None or len(paths) > 1:
                    problems.append(f"{what}: {error!r}, {len(paths)} requests")
                elif base is None:
                    problems.append(f"{what}: sent {paths[0]}, though no harmless value was")
                elif base[0] not in base[1]:  # the value never goes into the URL (Azure's job id)
                    if paths[0] != base[1]:
                        problems.append(f"{what}: sent {paths[0]}, expected {base[1]}")
                elif paths[0] != base[1].replace(base[0], quote(value, safe="")):
                    problems.append(
                        f"{what}: sent {paths[0]}, expected {base[1].replace(base[0], quote(value, safe=''))}"
                    )
    assert problems == []
    assert outcomes["refused"] and outcomes["sent"], outcomes  # the matrix tests both outcomes


@pytest.mark.parametrize("provider", PROVIDERS)
def test_values_that_must_be_refused_are(server: LocalServer, provider: str) -> None:
    """No provider sends these anywhere: dot segments, empty, blank, control characters,
    over-long."""
    must = ["..", ".", "", "  ", "a\nb", "a\x00b", "a\tb", "a\x7fb", "x" * 1025]
    problems = []
    with Client(retry=RetryPolicy(retries=0)) as http:
        for operation in ("get", "list"):
            params = {p.name: VALID[p.name] for p in _declared(provider, operation)}
            targets = [("job id", None)] if operation == "get" else []
            targets += [(name, name) for name in params]
            for value in must:
                for label, param in targets:
                    given = {**params, **({param: value} if param else {})}
                    error, paths = _send(
                        http, server, provider, operation, value if param is None else "1", given
                    )
                    if paths or error is None or error.exit_code != 2 or label not in error.message:
                        problems.append((operation, label, value, paths, error))
    assert problems == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_cli_refuses_with_exit_2_naming_provider_and_param(server: LocalServer, provider: str) -> None:
    """What the matrix above checks through the API, once per parameter on the command line."""
    params = [p.name for p in _declared(provider, "get")]
    for bad in ["job id", *params]:
        args = [a for name in params for a in ("-p", f"{name}={'..' if name == bad else VALID[name]}")]
        result = run_cli(
            "jobs",
            "get",
            ".." if bad == "job id" else "1",
            "-P",
            provider,
            "--base-url",
            server.url,
            "--token",
            "t0ken-for-tests",
            "--username",
            "unci-user",
            *args,
        )
        assert result.exit_code == 2, result.stderr
        assert result.stderr.startswith(f"unci: error: {provider}: ") and bad in result.stderr
    assert server.requests == []


def test_remote_query_values_stay_one_query_parameter(server: LocalServer) -> None:
    """--remote-query passes a value through, but never as extra parameters or a fragment."""
    result = run_cli(
        "jobs",
        "get",
        "1",
        "-P",
        "github",
        "-p",
        "owner=o",
        "-p",
        "repo_id=r",
        "--base-url",
        server.url,
        "--retries",
        "0",
        "--remote-query",
        "q=1&admin=true#frag",
        "--remote-query",
        "x=a b/c?d",
    )
    assert result.exit_code == 5  # the test server has no such route: it answers 404
    (sent,) = [r.path for r in server.requests]
    path, _, query = sent.partition("?")
    assert path == "/repos/o/r/actions/jobs/1"
    assert query == "q=1%26admin%3Dtrue%23frag&x=a+b%2Fc%3Fd"


@pytest.mark.parametrize(
    "base_url", ["ftp://example.com", "http://[::1", "example.com", "http://", "javascript:alert(1)", " "]
)
def test_a_base_url_that_is_not_http_is_refused(base_url: str) -> None:
    result = run_cli(
        "jobs", "get", "1", "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "--base-url", base_url
    )
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("unci: error: github: base URL"), result.stderr


def _cursor(**fields: object) -> str:
    data = {
        "v": 1,
        "provider": "github",
        "path": "/repos/o/r/actions/runs/1/jobs",
        "query": [["page", "2"]],
        "headers": {},
        "skip": 0,
        **fields,
    }
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("cursor", "says"),
    [
        ("not a cursor!", "not one unci handed out"),
        (_cursor()[:-5], "not one unci handed out"),
        (_cursor(provider="gitlab"), "belongs to provider 'gitlab'"),
        (_cursor(v=99), "not one unci handed out"),
        (_cursor(skip=-1), "not one unci handed out"),
        (_cursor(path="http://evil.example/steal"), "not one unci handed out"),
        (_cursor(path="https://[::1/x"), "not one unci handed out"),
    ],
)
def test_a_forged_cursor_is_refused_before_any_request(server: LocalServer, cursor: str, says: str) -> None:
    """A cursor is the user's input too: it never sends the token to another origin."""
    result = run_cli(
        "jobs",
        "list",
        "-P",
        "github",
        "-p",
        "owner=o",
        "-p",
        "repo_id=r",
        "-p",
        "build=1",
        "--base-url",
        server.url,
        "--token",
        "t0ken-for-tests",
        "--cursor",
        cursor,
    )
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("unci: error: github: ") and says in result.stderr
    assert server.requests == []


@pytest.mark.parametrize("name", ["../x", "a/b", "", ".hidden", "a b", "x" * 65, "a\nb", "-flag"])
def test_account_names_are_checked(name: str) -> None:
    result = run_cli("accounts", "add", name, "-P", "github", "--token-env", "GH")
    assert result.exit_code == 2, result.output
    assert "account name" in result.stderr or "No such option" in result.stderr
    assert len(result.stderr.splitlines()) == 1  # one line, never click's usage text


@given(st.text(max_size=20) | st.sampled_from(["399444496", "octo-org", "a.b_c~d-e", "caf\u00e9", "a/b"]))
def test_a_segment_is_percent_encoded_as_quote_encodes_it(value: str) -> None:
    from unci.provider import segment

    if value in ("", ".", ".."):
        return
    assert segment(value) == quote(value, safe="")


def test_an_argument_that_is_not_utf8_is_one_line_and_exit_2(server: LocalServer) -> None:
    """``jobs get $'\\xff'`` read "provider 'github' is broken ... reinstall it" (exit 3), and a
    branch of such bytes an internal error (exit 1)."""
    import os

    from helpers import run_unci

    bad = os.fsdecode(b"b\xff")  # the bytes as Python hands them over, as a shell passes them
    for args in (["jobs", "get", bad], ["jobs", "list", "-p", "build=1", "--branch", bad]):
        result = run_unci(*args, "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "--base-url", server.url)
        assert result.returncode == 2, result.stderr
        assert (
            result.stderr
            == "unci: error: the argument 'b\\xff' holds bytes that are not UTF-8; give it in UTF-8\n"
        )
    assert server.requests == []


def test_non_ascii_arguments_work_in_a_c_locale(server: LocalServer) -> None:
    """Under LC_ALL=C every non-ASCII argument arrived as lone surrogates and failed."""
    from helpers import run_unci
    from localserver import Reply

    server.route("/repos/o/r/actions/runs", Reply(body=b'{"total_count": 0, "workflow_runs": []}'))
    env = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    result = run_unci(
        "builds", "list", "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "--branch", "ブランチ",
        "--base-url", server.url, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert server.requests[-1].path.startswith(
        "/repos/o/r/actions/runs?branch=%E3%83%96%E3%83%A9%E3%83%B3%E3%83%81"
    )


def test_python_values_that_are_not_utf8_are_refused_before_any_request(server: LocalServer) -> None:
    with pytest.raises(unci.InvalidParam, match="job id '1\\\\udcff' holds bytes that are not UTF-8"):
        unci.get_job("github", "1\udcff", params={"owner": "o", "repo_id": "r"}, base_url=server.url)
    with pytest.raises(unci.UsageError, match="remote_query a='\\\\udcff' holds bytes that are not UTF-8"):
        unci.get_job(
            "github",
            "1",
            params={"owner": "o", "repo_id": "r"},
            base_url=server.url,
            remote_query={"a": "\udcff"},
        )
    with pytest.raises(unci.InvalidParam, match="holds bytes that are not UTF-8"):
        unci.get_job("github", "1", params={"owner": "o", "repo_id": "r"}, base_url=server.url + "/\udcff")
    assert server.requests == []
