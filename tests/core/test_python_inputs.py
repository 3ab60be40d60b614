"""What a Python caller passes, as it would naturally pass it: a dict for ``remote_query``, a
number for an id. What would be sent wrong is refused before any request instead."""

from __future__ import annotations

import json

import pytest

import unci
from helpers import GITHUB_JOB_PATH, GITHUB_PARAMS, cassette_body
from localserver import LocalServer, Reply

JOB = cassette_body("github", "get_job")
LOG = GITHUB_JOB_PATH + "/logs"


@pytest.mark.parametrize(
    "remote_query",
    [{"ab": "1", "per_page": "2"}, [("ab", "1"), ("per_page", "2")], (("ab", "1"), ["per_page", "2"])],
)
def test_remote_query_is_a_mapping_or_pairs(server: LocalServer, remote_query) -> None:
    """A dict iterated as it is gives its keys: ``"ab"`` would unpack into the pair a=b."""
    server.route(GITHUB_JOB_PATH, Reply(body=JOB))
    server.route(LOG, Reply(body=b"line\n", headers={"Content-Type": "text/plain"}))
    unci.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url, remote_query=remote_query)
    log = b"".join(
        unci.iter_log("github", "1", params=GITHUB_PARAMS, base_url=server.url, remote_query=remote_query)
    )
    assert log == b"line\n"
    assert [r.path for r in server.requests] == [
        f"{GITHUB_JOB_PATH}?ab=1&per_page=2",
        f"{LOG}?ab=1&per_page=2",
    ]


@pytest.mark.parametrize("remote_query", ["ab", [("a", "b", "c")], ["ab"], [None]])
def test_remote_query_that_is_neither_is_refused(server: LocalServer, remote_query) -> None:
    with pytest.raises(
        unci.UsageError, match=r"^github: remote_query takes a mapping \({'per_page': '50'}\)"
    ):
        unci.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url, remote_query=remote_query)
    assert server.requests == []


def test_a_whole_number_id_is_written_out_and_none_is_refused(server: LocalServer) -> None:
    server.route(GITHUB_JOB_PATH, Reply(body=JOB))
    assert unci.get_job("github", 1, params=GITHUB_PARAMS, base_url=server.url).id == "399444496"  # type: ignore[arg-type]
    assert [r.path for r in server.requests] == [GITHUB_JOB_PATH]
    for bad in (None, True, 1.5, b"1"):
        with pytest.raises(
            unci.InvalidParam, match=rf"^github: job id must be text or a whole number, got {bad!r}"
        ):
            unci.get_job("github", bad, params=GITHUB_PARAMS, base_url=server.url)  # type: ignore[arg-type]
        with pytest.raises(unci.InvalidParam, match=r"^github: build id must be text or a whole number"):
            unci.get_build("github", bad, params=GITHUB_PARAMS, base_url=server.url)  # type: ignore[arg-type]
        with pytest.raises(unci.InvalidParam, match=r"^github: job id must be text or a whole number"):
            list(unci.iter_log("github", bad, params=GITHUB_PARAMS, base_url=server.url))  # type: ignore[arg-type]
    assert len(server.requests) == 1
    assert json.loads(JOB)["id"] == 399444496


@pytest.mark.parametrize("tail", [-1, "5", True, 2.0])
def test_a_tail_that_is_no_line_count_is_refused(server: LocalServer, tail) -> None:
    """``-1`` gave nothing at all, where the caller meant the last lines."""
    with pytest.raises(unci.UsageError, match=r"^github: tail is a number of lines, 0 or more, not "):
        list(unci.iter_log("github", "1", params=GITHUB_PARAMS, base_url=server.url, tail=tail))
    assert server.requests == []


def test_a_tail_of_zero_is_no_lines(server: LocalServer) -> None:
    server.route(LOG, Reply(body=b"a\nb\n", headers={"Content-Type": "text/plain"}))
    assert list(unci.iter_log("github", "1", params=GITHUB_PARAMS, base_url=server.url, tail=0)) == []
    assert b"".join(unci.iter_log("github", "1", params=GITHUB_PARAMS, base_url=server.url, tail=1)) == b"b\n"


def test_one_string_of_ids_is_refused_not_read_a_character_at_a_time(server: LocalServer) -> None:
    with pytest.raises(unci.UsageError, match=r"^job_ids is a list of ids, not one string: give \['123'\]"):
        unci.get_jobs("github", "123", params=GITHUB_PARAMS, base_url=server.url)
    assert server.requests == []


@pytest.mark.parametrize("limit", [0, -1, True, 2.5, "5"])
def test_a_limit_that_is_no_count_is_refused_before_any_request(server: LocalServer, limit) -> None:
    with pytest.raises(
        unci.UsageError, match=r"^github: the limit must be a whole number of at least 1, got "
    ):
        unci.list_jobs("github", params={**GITHUB_PARAMS, "build": "1"}, base_url=server.url, limit=limit)
    with pytest.raises(
        unci.UsageError, match=r"^github: the limit must be a whole number of at least 1, got "
    ):
        unci.list_builds("github", params=GITHUB_PARAMS, base_url=server.url, limit=limit)
    with pytest.raises(unci.UsageError, match=r"^github: a cursor is the text a page's next_cursor holds"):
        unci.list_jobs("github", params={**GITHUB_PARAMS, "build": "1"}, base_url=server.url, cursor=5)
    assert server.requests == []


@pytest.mark.parametrize(
    ("given", "name"),
    [({"timeout": "30"}, "timeout"), ({"timeout": -1}, "timeout"), ({"deadline": 0}, "deadline")],
)
def test_seconds_that_are_none_are_refused_before_any_request(server: LocalServer, given, name: str) -> None:
    """``timeout=-1`` was sent, and came back as a network timeout "within -1 s"."""
    with pytest.raises(unci.UsageError, match=rf"^{name} must be a number of seconds more than 0") as raised:
        unci.Client(**given)
    assert "at most 31536000 seconds (a year), got" in str(raised.value)  # not 3.1536e+07
    assert server.requests == []


def test_max_body_takes_a_size_as_the_variable_does(server: LocalServer) -> None:
    assert unci.Client(max_body="1KiB").max_body == 1024
    for bad in (0, True, "lots"):
        with pytest.raises(unci.UsageError, match="max_body must be"):
            unci.Client(max_body=bad)


def test_watch_intervals_are_named_as_the_arguments(server: LocalServer) -> None:
    for kw, name in (({"interval": 0}, "interval"), ({"max_interval": "3"}, "max_interval")):
        with pytest.raises(unci.UsageError, match=rf"^{name} must be a number of seconds more than 0"):
            next(unci.watch_job("github", "1", params=GITHUB_PARAMS, base_url=server.url, **kw))
    assert server.requests == []


def test_render_refuses_what_the_cli_refuses(server: LocalServer) -> None:
    server.route(GITHUB_JOB_PATH, Reply(body=JOB))
    with unci.Client() as client:
        fetched = client.fetch("github", "1", params=GITHUB_PARAMS, base_url=server.url)
    with pytest.raises(unci.UsageError, match=r"^unknown format 'bogus'"):
        unci.render(fetched, "bogus")
    assert unci.render(fetched, "stream") == unci.render(fetched, "raw") == JOB
    assert "name" not in unci.render(fetched, "unified", exclude="name")
    with pytest.raises(unci.UsageError, match=r"^unknown field\(s\) to exclude: nope"):
        unci.render(fetched, "unified", exclude=["nope"])


def test_a_refused_token_given_with_an_account_is_blamed_on_the_token(
    server: LocalServer, monkeypatch
) -> None:
    from unci import accounts

    server.route(
        GITHUB_JOB_PATH,
        Reply(401, b'{"message":"Bad credentials"}'),
        Reply(401, b'{"message":"Bad credentials"}'),
    )
    monkeypatch.setenv("GH_T", "ghp_accounttoken")
    accounts.save(
        {
            "w": accounts.Account(
                name="w", provider="github", token_env="GH_T", base_url=server.url, params=dict(GITHUB_PARAMS)
            )
        }
    )
    with pytest.raises(unci.AuthError) as own:
        unci.get_job(None, "1", account="w")
    assert "Supply a valid token with the account's own: unci accounts add w" in str(own.value)
    with pytest.raises(unci.AuthError) as given:
        unci.get_job(None, "1", account="w", token="ghp_given")
    assert "Supply a valid token with token= or UNCI_GITHUB_TOKEN" in str(given.value)


def test_a_closed_client_says_so(server: LocalServer) -> None:
    """httpx's "Cannot send a request" RuntimeError read like a fault inside unci."""
    server.route(GITHUB_JOB_PATH, Reply(body=JOB))
    server.route(LOG, Reply(body=b"line\n", headers={"Content-Type": "text/plain"}))
    with unci.Client() as client:
        assert client.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url).id
    for call in (
        lambda: client.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url),
        lambda: b"".join(client.iter_log("github", "1", params=GITHUB_PARAMS, base_url=server.url)),
        lambda: list(client.stream("github", "1", params=GITHUB_PARAMS, base_url=server.url)),
    ):
        with pytest.raises(unci.UsageError, match=r"^github: this unci client is closed"):
            call()
    assert len(server.requests) == 1


async def test_a_closed_async_client_says_so(server: LocalServer) -> None:
    server.route(GITHUB_JOB_PATH, Reply(body=JOB))
    async with unci.AsyncClient() as client:
        await client.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url)
    with pytest.raises(unci.UsageError, match=r"^github: this unci client is closed"):
        await client.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url)
    with pytest.raises(unci.UsageError, match=r"^github: this unci client is closed"):
        async for _ in client.iter_log("github", "1", params=GITHUB_PARAMS, base_url=server.url):
            pass


@pytest.mark.parametrize(
    ("given", "word"),
    [
        ({"retries": "3"}, "retries"),
        ({"retries": -1}, "retries"),
        ({"backoff": -0.5}, "backoff"),
        ({"max_wait": "60"}, "max_wait"),
        ({"max_backoff": float("nan")}, "max_backoff"),
    ],
)
def test_a_retry_policy_is_checked_when_made(given: dict[str, object], word: str) -> None:
    with pytest.raises(unci.UsageError, match=f"^RetryPolicy: {word} must be"):
        unci.RetryPolicy(**given)  # type: ignore[arg-type]
    assert unci.RetryPolicy(retries=0, backoff=0).retries == 0


@pytest.mark.parametrize("how", ["get", "list", "watch"])
def test_include_steps_is_true_or_false(server: LocalServer, how: str) -> None:
    """``include_steps="no"`` is true to Python: it fetched the steps it meant to leave out."""
    params = {"job": "pipe"}
    with pytest.raises(unci.UsageError, match=r"^jenkins: include_steps is True or False, got 'no'"):
        if how == "get":
            unci.get_job("jenkins", "16", params=params, base_url=server.url, include_steps="no")
        elif how == "list":
            unci.list_jobs("jenkins", params=params, base_url=server.url, include_steps="no")
        else:
            next(
                iter(unci.watch_job("jenkins", "16", params=params, base_url=server.url, include_steps="no"))
            )
    assert server.requests == []


@pytest.mark.parametrize(
    "given", [{"username": "me"}, {"password": "pw"}, {"username": "me", "password": "pw"}]
)
def test_a_user_name_or_password_a_token_provider_would_not_send_is_refused(
    server: LocalServer, given: dict[str, str]
) -> None:
    """Dropped, they left the request without credentials and the 401 blamed the token."""
    with pytest.raises(unci.UsageError, match=r"^github: authenticates with a token alone; a "):
        unci.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url, **given)
    assert server.requests == []
    # Beside a token they change nothing, as before: the token is sent.
    server.route(GITHUB_JOB_PATH, Reply(body=JOB))
    unci.get_job("github", "1", params=GITHUB_PARAMS, base_url=server.url, token="ghp_tok", **given)
    assert {k.lower(): v for k, v in server.requests[0].headers.items()}["authorization"] == "Bearer ghp_tok"


def test_the_cli_and_accounts_refuse_them_too(server: LocalServer, tmp_path) -> None:
    from helpers import one_error_line, run_cli

    got = run_cli(
        "jobs", "get", "1", "-P", "github", "-p", "owner=o", "-p", "repo_id=r",
        "--base-url", server.url, "--username", "me", "--password", "pw",
    )  # fmt: skip
    assert got.exit_code == 2
    line = one_error_line(got.stderr)
    assert "github: authenticates with a token alone; a user name and a password would not be sent" in line
    assert "(--token, or UNCI_GITHUB_TOKEN)" in line
    env = {"UNCI_CONFIG": str(tmp_path / "accounts.toml")}
    added = run_cli("accounts", "add", "w", "-P", "gitlab", "--username", "me", env=env)
    assert added.exit_code == 2 and "gitlab: authenticates with a token alone" in one_error_line(added.stderr)
    assert not (tmp_path / "accounts.toml").exists()
    # Where the scheme sends them (Basic), they are taken as before.
    ok = run_cli(
        "accounts", "add", "b", "-P", "bitbucket", "--username", "me", "--password-env", "P", env=env
    )
    assert ok.exit_code == 0, ok.stderr
    assert server.requests == []


async def test_get_jobs_raises_a_shared_mistake_once(server: LocalServer) -> None:
    """A param every id lacks is one error, not the same error once per id in the list."""
    with pytest.raises(unci.MissingParams, match=r"^github: missing required param"):
        unci.get_jobs("github", ["1", "2", "3"], params={"owner": "o"}, base_url=server.url)
    with pytest.raises(unci.MissingParams, match=r"^github: missing required param"):
        await unci.aget_jobs("github", ["1", "2", "3"], params={"owner": "o"}, base_url=server.url)
    with pytest.raises(unci.UsageError, match=r"^github: include_steps is True or False"):
        unci.get_jobs("github", ["1"], params=GITHUB_PARAMS, base_url=server.url, include_steps=1)
    assert server.requests == []
    # A mistake of one id stays that id's, in its place.
    server.route(GITHUB_JOB_PATH, Reply(body=JOB))
    got = unci.get_jobs("github", ["1", ""], params=GITHUB_PARAMS, base_url=server.url)
    assert isinstance(got[0], unci.Job) and isinstance(got[1], unci.UsageError), got


@pytest.mark.parametrize("query", ["access_token=SECRET-in-url-0123", "q=ghp_GivenToken0123456789"])
def test_a_base_url_with_a_query_shows_no_credential(query: str) -> None:
    """The refusal quoted the URL as given: a token in its query (named as one, or the very
    token given with token=) was printed back."""
    with pytest.raises(unci.InvalidParam) as info:
        unci.get_job(
            "github", "1", params=GITHUB_PARAMS, token="ghp_GivenToken0123456789",
            base_url=f"http://127.0.0.1:9/?{query}",
        )  # fmt: skip
    for text in (str(info.value), info.value.cli_message(), info.value.http_message()):
        assert "has a query or fragment" in text
        assert "SECRET-in-url" not in text and "ghp_GivenToken" not in text, text


def test_a_remote_query_name_unci_sends_too_replaces_it(server: LocalServer) -> None:
    """``per_page`` and GitHub's ``filter`` were sent twice, unci's and the caller's: which the
    provider took was its own choice."""
    path = "/repos/o/r/actions/runs/9/jobs"
    server.route(path, Reply(body=b'{"total_count":0,"jobs":[]}'))
    unci.list_jobs(
        "github", params={**GITHUB_PARAMS, "build": "9"}, limit=2, base_url=server.url,
        remote_query={"filter": "latest", "per_page": "50"},
    )  # fmt: skip
    assert server.requests[0].path == f"{path}?filter=latest&per_page=50"


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "8"])
def test_concurrency_is_a_whole_number_of_at_least_1(server: LocalServer, bad: object) -> None:
    """0, -1 and True ran one request at a time, 1.5 two, and nothing said so."""
    for call in (
        lambda: unci.Client(concurrency=bad),  # type: ignore[arg-type]
        lambda: unci.get_jobs("github", ["1"], params=GITHUB_PARAMS, base_url=server.url, concurrency=bad),
        lambda: list(
            unci.iter_jobs("github", params=GITHUB_PARAMS, since="1d", base_url=server.url, concurrency=bad)
        ),
    ):
        with pytest.raises(unci.UsageError, match="concurrency must be a whole number of at least 1"):
            call()
    assert server.requests == []
