"""Each surface words what to do in its own terms: a Python caller is told of arguments
(``params={...}``, ``token=``, ``Client(timeout=...)``), never of the CLI's options, which it
does not have; the CLI keeps its options; the server its query parameters.

Every error here is raised by a real call against a real server on 127.0.0.1, as a library
user meets it; its CLI and server wordings are read off the same error (the CLI prints
:meth:`~unci.UnciError.cli_message`, as its own tests check end to end).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

import unci
from helpers import GITHUB_JOB_PATH, GITHUB_PARAMS, cassette_body, github_get, run_cli
from localserver import LocalServer, Reply
from unci.retry import RetryPolicy

JOB = cassette_body("github", "get_job")
NO_RETRY = RetryPolicy(retries=0)
#: A CLI option or parameter flag as a message would name it: ``--token``, ``-p owner=``.
CLI_WORDS = re.compile(r"(?<![\w-])(--[a-z][\w-]*|-[pP] \w)")


def _client(**kw: Any) -> unci.Client:
    return unci.Client(retry=kw.pop("retry", NO_RETRY), **kw)


def _raised(call: Callable[[], Any]) -> unci.UnciError:
    with pytest.raises(unci.UnciError) as info:
        result = call()
        if hasattr(result, "__next__"):
            list(result)
    return info.value


def _missing(server: LocalServer) -> Any:
    return unci.get_job("github", "1", base_url=server.url)


def _unknown(server: LocalServer) -> Any:
    return unci.get_job("github", "1", params={**GITHUB_PARAMS, "per_pag": "2"}, base_url=server.url)


def _no_provider(server: LocalServer) -> Any:
    return unci.get_job(None, "1", params=GITHUB_PARAMS, base_url=server.url)


def _user_in_url(server: LocalServer) -> Any:
    return unci.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url.replace("//", "//me:pw@"))


def _refused(server: LocalServer) -> Any:
    server.route(GITHUB_JOB_PATH, Reply(401, b'{"message":"Bad credentials"}'))
    with _client() as c:
        return c.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url, token="ghp_wrong")


def _redirect(server: LocalServer) -> Any:
    server.route(GITHUB_JOB_PATH, Reply(302, b"", {"Location": "https://login.example/"}))
    with _client() as c:
        return c.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url)


def _slow(server: LocalServer) -> Any:
    server.route(GITHUB_JOB_PATH, Reply(body=JOB, delay=2))
    with _client(timeout=0.3) as c:
        return c.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url)


def _deadline(server: LocalServer) -> Any:
    server.route(GITHUB_JOB_PATH, Reply(body=JOB, drip=0.5))
    with _client(timeout=30, deadline=0.5) as c:
        return c.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url)


def _too_large(server: LocalServer) -> Any:
    server.route(GITHUB_JOB_PATH, Reply(body=JOB))
    with _client(max_body=100) as c:
        return c.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url)


def _quota_spent(server: LocalServer) -> Any:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9999999999"}
    server.route(GITHUB_JOB_PATH, Reply(403, b'{"message":"API rate limit exceeded"}', headers))
    with _client(retry=RetryPolicy(max_wait=1)) as c:
        return c.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url)


def _bad_since(server: LocalServer) -> Any:
    return unci.list_builds("github", params=GITHUB_PARAMS, base_url=server.url, since="yesterday")


def _forged_cursor(server: LocalServer) -> Any:
    return unci.list_jobs(
        "github", params={**GITHUB_PARAMS, "build": "1"}, base_url=server.url, cursor="abc.def"
    )


def _log_not_yet(server: LocalServer) -> Any:
    job = {"id": 1, "run_id": 1, "name": "build", "status": "in_progress", "conclusion": None, "steps": []}
    server.route(GITHUB_JOB_PATH + "/logs", Reply(404, b'{"message":"Not Found"}'))
    server.route(GITHUB_JOB_PATH, Reply(200, json.dumps(job).encode()))
    return unci.iter_log("github", "1", params=GITHUB_PARAMS, base_url=server.url, token="ghp_x")


def _jenkins_half_pair(server: LocalServer) -> Any:
    return unci.get_job("jenkins", "1", params={"job": "x"}, base_url=server.url, username="me")


def _bitbucket_half_pair(server: LocalServer) -> Any:
    params = {"workspace_id": "w", "repo": "r", "build": "1"}
    return unci.get_job("bitbucket", "1", params=params, base_url=server.url, password="secret")


def _no_build(server: LocalServer) -> Any:
    return unci.list_jobs("github", params=GITHUB_PARAMS, base_url=server.url)


def _token_only(server: LocalServer) -> Any:
    return unci.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url, username="me")


#: (the call, what the library says, what the CLI says of the same error)
CASES: dict[str, tuple[Callable[[LocalServer], Any], str, str]] = {
    "missing params": (
        _missing,
        "Give them as params={'owner': ..., 'repo_id': ...}",
        "-p owner=... -p repo_id=...",
    ),
    "no build": (
        _no_build,
        "params={'build': ...}, or pass since='7d' (and branch=) for the jobs of recent builds",
        "-p build=..., or list the jobs of recent builds with --since 7d (and --branch NAME)",
    ),
    "token only": (
        _token_only,
        "give only a token (token=, or UNCI_GITHUB_TOKEN)",
        "(--token, or UNCI_GITHUB",
    ),
    "unknown param": (_unknown, "go in remote_query={KEY: VALUE}", "go in --remote-query KEY=VALUE"),
    "no provider": (_no_provider, "no provider given; name it", "use --provider NAME (or --account NAME)"),
    "user in the URL": (
        _user_in_url,
        "as username= and password= (or token=)",
        "with --username / --password",
    ),
    "refused token": (_refused, "Supply a valid token with token= or UNCI_GITHUB_TOKEN", "with --token or"),
    "redirect": (_redirect, "Check the base URL (base_url=)", "Check the base URL (--base-url)"),
    "timeout": (_slow, "raise Client(timeout=...) or try again later", "raise --timeout or"),
    "deadline": (_deadline, "raise Client(deadline=...) or try again later", "raise --deadline or"),
    "body too large": (
        _too_large,
        "raise Client(max_body=...) (or UNCI_MAX_BODY",
        "raise --max-body (or UNCI",
    ),
    "quota spent": (
        _quota_spent,
        "raise Client(retry=RetryPolicy(max_wait=...))",
        "raise --max-wait to wait",
    ),
    "bad since": (_bad_since, "github: since 'yesterday' is not a time", "github: --since 'yesterday'"),
    "forged cursor": (_forged_cursor, "start again without cursor=", "start again without --cursor"),
    "log not yet": (_log_not_yet, "wait for it with follow=True", "wait for it with --follow"),
    "jenkins half pair": (_jenkins_half_pair, "with token= or UNCI_JENKINS_TOKEN", "with --token or UNCI_"),
    "bitbucket half pair": (_bitbucket_half_pair, "give it with username= or", "give it with --username or"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_library_errors_name_arguments_and_the_cli_its_options(server: LocalServer, case: str) -> None:
    call, said, cli_said = CASES[case]
    exc = _raised(lambda: call(server))
    assert said in str(exc) and str(exc) == exc.message, exc.message
    assert not CLI_WORDS.search(exc.message), exc.message
    assert exc.message.startswith(("github: ", "jenkins: ", "bitbucket: ", "no provider")), exc.message
    if case != "bad since":  # the CLI checks its filters itself, before the library is called
        assert cli_said in exc.cli_message(), exc.cli_message()
    # The server's words name neither Python's arguments nor the CLI's options, bar its own.
    http = exc.http_message().replace("the server's --max-wait", "")
    assert not CLI_WORDS.search(http) and "=...)" not in http and "params={" not in http, http


def test_the_cli_prints_its_own_wording_of_the_same_error(server: LocalServer) -> None:
    server.route(GITHUB_JOB_PATH, Reply(body=JOB, delay=2))
    result = run_cli(*github_get(server.url, "--timeout", "0.3", "--retries", "0"))
    assert result.exit_code == 8
    assert result.stderr.strip().endswith("(ReadTimeout); raise --timeout or try again later")
    missing = run_cli("jobs", "get", "1", "-P", "github", "--base-url", server.url)
    assert missing.exit_code == 2
    assert missing.stderr.strip().endswith("Give them as -p owner=... -p repo_id=...")
    assert "params=" not in missing.stderr


def test_an_unknown_provider_is_worded_for_each_surface() -> None:
    """Python callers were told to run `unci providers`, a command."""
    exc = _raised(lambda: unci.get_job("githb", "1"))
    assert isinstance(exc, unci.UnknownProvider)
    assert "Did you mean 'github'? Each provider is a package of its own: pip install unci-" in str(exc)
    assert "`unci providers`" not in str(exc)
    assert exc.cli_message().endswith(
        "Did you mean 'github'? `unci providers` lists them with their install commands"
    )
    assert "`unci providers`" not in exc.http_message()
