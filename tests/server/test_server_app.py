"""The job endpoints through the ASGI app: Truto's query syntax, formats, errors, auth, listing.

The upstream is a real HTTP server on 127.0.0.1 standing in for GitHub's API root; the account
``gh`` points at it. Where the CLI does the same thing, its output is the expected answer.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from serverkit import API_TOKEN, GH_SECRET, JOB, JOB_PATH, LIST_PATH, PAGE2_PATH, add_account, test_client

from helpers import run_cli
from localserver import Reply

GET = "/unified/ci-cd/jobs/399444496"
LIST = "/unified/ci-cd/jobs"


def sent_query(server) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(server.requests[-1].path).query, keep_blank_values=True)


# --- one job --------------------------------------------------------------------------------


def test_unified_job_is_what_the_cli_prints(api, gh) -> None:
    response = api.get(GET, params={"integrated_account_id": "gh"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    cli = run_cli("jobs", "get", "399444496", "--account", "gh")
    assert cli.exit_code == 0, cli.output
    assert response.json() == json.loads(cli.stdout)
    assert response.json()["conclusion"] == "passed"


def test_account_uuid_works_like_its_name(api, gh) -> None:
    by_name = api.get(GET, params={"integrated_account_id": "gh"})
    by_id = api.get(GET, params={"integrated_account_id": gh.id})
    assert by_id.status_code == 200 and by_id.json() == by_name.json()


def test_provider_credentials_come_from_the_account(api, gh, server) -> None:
    api.get(GET, params={"integrated_account_id": "gh"})
    assert server.requests[-1].headers["Authorization"] == f"Bearer {GH_SECRET}"
    assert API_TOKEN not in str(server.requests[-1].headers)  # the server's token stays here


def test_per_provider_params_override_the_account_defaults(api, gh, server) -> None:
    server.route("/repos/other-org/other-repo/actions/jobs/399444496", Reply(body=JOB))
    response = api.get(
        GET, params={"integrated_account_id": "gh", "owner": "other-org", "repo_id": "other-repo"}
    )
    assert response.status_code == 200
    assert server.requests[-1].path.startswith("/repos/other-org/other-repo/")


def test_provider_without_account_uses_the_servers_environment(api, server, monkeypatch) -> None:
    monkeypatch.setenv("UNCI_GITHUB_TOKEN", "ghp_fromtheenvironment")
    monkeypatch.setenv("UNCI_GITHUB_BASE_URL", server.url)
    response = api.get(GET, params={"provider": "github", "owner": "octo-org", "repo_id": "octo-repo"})
    assert response.status_code == 200, response.text
    assert server.requests[-1].headers["Authorization"] == "Bearer ghp_fromtheenvironment"


@pytest.mark.parametrize(
    "query",
    [
        "truto_exclude_fields[]=name&truto_exclude_fields[]=branch",
        "truto_exclude_fields%5B%5D=name&truto_exclude_fields%5B%5D=branch",  # Truto's Python SDK
        "truto_exclude_fields%5B0%5D=name&truto_exclude_fields%5B1%5D=branch",  # qs.stringify
        "truto_exclude_fields=name,branch",
        "truto_exclude_fields=name&truto_exclude_fields=branch",
    ],
)
def test_exclude_fields_in_every_form_clients_send(api, gh, query) -> None:
    response = api.get(f"{GET}?integrated_account_id=gh&{query}")
    assert response.status_code == 200, response.text
    job = response.json()
    assert "name" not in job and "branch" not in job and job["id"] == "399444496"


@pytest.mark.parametrize(("value", "has_remote_data"), [("true", False), ("false", True), ("TRUE", False)])
def test_ignore_remote_data_boolean(api, gh, value, has_remote_data) -> None:
    job = api.get(GET, params={"integrated_account_id": "gh", "truto_ignore_remote_data": value}).json()
    assert ("remote_data" in job) is has_remote_data


def test_remote_query_reaches_the_provider_untouched(api, gh, server) -> None:
    response = api.get(
        f"{GET}?integrated_account_id=gh&remote_query[per_page]=5&remote_query%5Bfilter%5D%5Bstate%5D=open"
    )
    assert response.status_code == 200, response.text
    assert sent_query(server) == [("per_page", "5"), ("filter[state]", "open")]


def test_raw_is_the_providers_body_and_content_type(api, gh) -> None:
    response = api.get(GET, params={"integrated_account_id": "gh", "truto_response_format": "raw"})
    assert response.status_code == 200
    assert response.content == JOB
    assert response.headers["content-type"] == "application/json; charset=utf-8"


def test_stream_passes_the_body_through(api, gh) -> None:
    response = api.get(GET, params={"integrated_account_id": "gh", "truto_response_format": "stream"})
    assert response.status_code == 200
    assert response.content == JOB


def test_normalized_is_the_flat_row(api, gh) -> None:
    row = api.get(GET, params={"integrated_account_id": "gh", "truto_response_format": "normalized"}).json()
    assert row["provider"] == "github" and "remote_data" not in row
    assert row["attempts"] is None  # every column present, null when unknown


def test_debug_redacts_credentials(api, gh) -> None:
    response = api.get(GET, params={"integrated_account_id": "gh", "truto_response_format": "debug"})
    assert response.status_code == 200
    envelope = response.json()
    assert envelope["result"]["id"] == "399444496"
    assert envelope["debug"]["requestUrl"].endswith(JOB_PATH)
    assert envelope["debug"]["requestOptions"]["headers"]["Authorization"] == "[REDACTED]"
    assert envelope["debug"]["responseHeaders"]["ratelimit-remaining"] == "4999"
    assert GH_SECRET not in response.text and API_TOKEN not in response.text


def test_rate_limit_headers_are_forwarded_as_truto_names_them(api, gh) -> None:
    response = api.get(GET, params={"integrated_account_id": "gh"})
    assert response.headers["ratelimit-limit"] == "5000"
    assert response.headers["ratelimit-remaining"] == "4999"
    assert response.headers["ratelimit-reset"] == "60"


# --- errors ---------------------------------------------------------------------------------


def test_missing_provider_params_are_a_400_naming_each(api, server) -> None:
    add_account("bare", "github", server.url)
    response = api.get(GET, params={"integrated_account_id": "bare"})
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400 and body["error"] == "Bad Request"
    assert "owner (" in body["message"] and "repo_id (" in body["message"]
    assert "owner=...&repo_id=..." in body["message"] and "-p " not in body["message"]
    assert server.requests == []  # refused before any provider call


def test_provider_error_carries_its_status_and_body(api, gh, server) -> None:
    server.route(
        "/repos/octo-org/octo-repo/actions/jobs/1",
        Reply(404, b'{"message":"Not Found","documentation_url":"https://docs"}'),
    )
    response = api.get("/unified/ci-cd/jobs/1", params={"integrated_account_id": "gh"})
    assert response.status_code == 404
    body = response.json()
    assert body["truto_is_remote_error"] is True and body["remote_status"] == 404
    assert body["raw_response"] == {"message": "Not Found", "documentation_url": "https://docs"}
    assert body["error"] and "job '1' was not found" in body["message"]


def test_provider_echoing_the_credential_never_shows_it(api, gh, server) -> None:
    server.route(
        "/repos/octo-org/octo-repo/actions/jobs/2",
        Reply(401, json.dumps({"message": f"bad token {GH_SECRET}"}).encode()),
    )
    response = api.get("/unified/ci-cd/jobs/2", params={"integrated_account_id": "gh"})
    assert response.status_code == 401 and response.json()["truto_is_remote_error"] is True
    assert GH_SECRET not in response.text and "[REDACTED]" in response.text


def test_rate_limited_provider_is_a_429_with_its_reset(api, gh, server) -> None:
    server.route(
        "/repos/octo-org/octo-repo/actions/jobs/3",
        Reply(
            429,
            b'{"message":"slow down"}',
            {"Content-Type": "application/json", "Retry-After": "30", "x-ratelimit-remaining": "0"},
        ),
    )
    response = api.get("/unified/ci-cd/jobs/3", params={"integrated_account_id": "gh"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "30"
    assert response.headers["ratelimit-remaining"] == "0"


def test_stream_error_is_an_envelope_not_a_broken_200(api, gh, server) -> None:
    server.route("/repos/octo-org/octo-repo/actions/jobs/4", Reply(404, b'{"message":"Not Found"}'))
    response = api.get(
        "/unified/ci-cd/jobs/4", params={"integrated_account_id": "gh", "truto_response_format": "stream"}
    )
    assert response.status_code == 404 and response.json()["truto_is_remote_error"] is True


def test_unknown_account_is_a_404_that_lists_no_other_accounts(api, gh) -> None:
    response = api.get(GET, params={"integrated_account_id": "62f44730-dd91-461e-bd6a-aedd9e0ad79d"})
    assert response.status_code == 404
    assert "not found" in response.json()["message"] and "gh" not in response.json()["message"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("", "integrated_account_id is required"),
        ("integrated_account_id=gh&truto_response_format=xml", "unknown format 'xml'"),
        ("integrated_account_id=gh&truto_ignore_remote_data=maybe", "must be true or false"),
        ("integrated_account_id=gh&truto_exclude_fields[]=colour", "unknown field(s) to exclude: colour"),
        ("integrated_account_id=gh&truto_key_by=id", "'truto_key_by' is not supported"),
        ("integrated_account_id=gh&remote_query=x", "remote_query is an object"),
        ("integrated_account_id=gh&integrated_account_id=gh", "given more than once"),
        ("integrated_account_id=gh&owner[]=a", "takes one value"),
        ("integrated_account_id=gh&provider=circleci", "is a github account, not circleci"),
        ("integrated_account_id=gh&owner=..", "dot"),
    ],
)
def test_bad_input_is_a_400_that_says_what(api, gh, query, words) -> None:
    response = api.get(f"{GET}?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "Bad Request" and words in response.json()["message"]


def test_unknown_provider_is_a_404(api) -> None:
    response = api.get(GET, params={"provider": "nosuchci"})
    assert response.status_code == 404 and "unknown provider 'nosuchci'" in response.json()["message"]


def test_unknown_path_and_method_answer_in_the_envelope(api) -> None:
    missing = api.get("/unified/ci-cd/pipelines/1")
    assert missing.status_code == 404 and missing.json()["statusCode"] == 404
    wrong = api.post(GET)
    assert wrong.status_code == 405 and wrong.json()["error"] == "Method Not Allowed"


# --- auth -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token-0123456789", f"Basic {API_TOKEN}", "Bearer ", f"Bearer {API_TOKEN}x"]
)
def test_requests_without_a_valid_token_are_refused(api, gh, server, header) -> None:
    headers = {"Authorization": header} if header is not None else {}
    api.headers.pop("Authorization")
    response = api.get(GET, params={"integrated_account_id": "gh"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["statusCode"] == 401 and response.json()["error"] == "Unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert API_TOKEN not in response.text
    assert server.requests == []


def test_bearer_scheme_is_case_insensitive_and_any_configured_token_works(gh) -> None:
    from unci.server import ServerConfig, create_app

    other = "second-token-abcdefghijklmnop"
    with test_client(create_app(ServerConfig(tokens=[API_TOKEN, other]))) as client:
        for header in (f"bearer {API_TOKEN}", f"Bearer {other}"):
            response = client.get(
                GET, params={"integrated_account_id": "gh"}, headers={"Authorization": header}
            )
            assert response.status_code == 200, header


def test_health_and_openapi_need_no_token(api) -> None:
    api.headers.pop("Authorization")
    assert api.get("/healthz").json()["status"] == "ok"
    doc = api.get("/openapi.json").json()
    assert {"/unified/ci-cd/jobs/{id}", "/unified/ci-cd/jobs"} <= set(doc["paths"])


def test_an_app_that_checks_tokens_but_has_none_refuses_to_exist() -> None:
    from unci.errors import ConfigError
    from unci.server import ServerConfig, create_app

    with pytest.raises(ConfigError, match="no API token configured"):
        create_app(ServerConfig(tokens=[]))


# --- listing --------------------------------------------------------------------------------


def test_list_is_what_the_cli_prints(api, gh) -> None:
    response = api.get(LIST, params={"integrated_account_id": "gh", "build": "29679449"})
    assert response.status_code == 200, response.text
    cli = run_cli("jobs", "list", "--account", "gh", "-p", "build=29679449")
    assert cli.exit_code == 0, cli.output
    assert response.json() == json.loads(cli.stdout)
    assert set(response.json()) == {"result", "next_cursor"}


def test_list_follows_next_cursor_to_the_last_page(api, gh, server) -> None:
    params = {"integrated_account_id": "gh", "build": "29679449", "truto_ignore_remote_data": "true"}
    first = api.get(LIST, params=params).json()
    assert first["next_cursor"] and len(first["result"]) == 1
    second = api.get(LIST, params={**params, "next_cursor": first["next_cursor"]}).json()
    assert second["next_cursor"] is None and len(second["result"]) == 1
    assert server.requests[-1].path.startswith(PAGE2_PATH + "?")  # the provider's next link
    assert all("remote_data" not in job for job in first["result"] + second["result"])


def test_next_cursor_with_another_build_is_a_400_in_the_servers_words(api, gh, server) -> None:
    params = {"integrated_account_id": "gh", "build": "29679449"}
    first = api.get(LIST, params=params).json()
    asked = len(server.requests)
    response = api.get(LIST, params={**params, "build": "1", "next_cursor": first["next_cursor"]})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "github: the cursor continues the list of build '29679449', not build '1'; "
        "start again without next_cursor to list with build=1"
    )
    assert len(server.requests) == asked


def test_next_cursor_alone_follows_its_list(api, gh, server) -> None:
    """A client that sends only the cursor: the build is the cursor's (it was read as a
    cursor of the jobs found through builds, and refused as forged)."""
    params = {"integrated_account_id": "gh", "build": "29679449"}
    first = api.get(LIST, params=params).json()
    second = api.get(LIST, params={"integrated_account_id": "gh", "next_cursor": first["next_cursor"]})
    assert second.status_code == 200, second.text
    assert second.json()["next_cursor"] is None and len(second.json()["result"]) == 1
    assert server.requests[-1].path.startswith(PAGE2_PATH + "?")


def test_list_limit_reaches_the_provider(api, gh, server) -> None:
    response = api.get(LIST, params={"integrated_account_id": "gh", "build": "29679449", "limit": "1"})
    assert response.status_code == 200
    assert ("per_page", "1") in sent_query(server)


def test_list_debug_counts_and_redacts(api, gh) -> None:
    response = api.get(
        LIST, params={"integrated_account_id": "gh", "build": "29679449", "truto_response_format": "debug"}
    )
    body = response.json()
    assert body["debug"]["resultCount"] == len(body["result"]) == 1
    assert body["debug"]["nextCursor"] == body["next_cursor"]
    assert GH_SECRET not in response.text


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("truto_response_format=stream", 400, "stream is for one job"),
        ("limit=0", 400, "limit must be a whole number"),
        ("limit=ten", 400, "limit must be a whole number"),
        ("next_cursor=garbage!", 400, "not one unci handed out"),
    ],
)
def test_list_bad_input(api, gh, query, status, words) -> None:
    response = api.get(f"{LIST}?integrated_account_id=gh&build=29679449&{query}")
    assert response.status_code == status, response.text
    assert words in response.json()["message"]


def test_list_missing_build_names_it(api, gh, server) -> None:
    response = api.get(LIST, params={"integrated_account_id": "gh"})
    assert response.status_code == 400 and "build (" in response.json()["message"]
    assert server.requests == []


def test_list_path_of_a_sent_request(api, gh, server) -> None:
    api.get(LIST, params={"integrated_account_id": "gh", "build": "29679449"})
    assert urlsplit(server.requests[-1].path).path == LIST_PATH


def test_stream_cut_off_before_the_first_chunk_is_an_envelope(api, gh, server) -> None:
    server.route("/repos/octo-org/octo-repo/actions/jobs/6", Reply(body=JOB, truncate=True))
    response = api.get(
        "/unified/ci-cd/jobs/6", params={"integrated_account_id": "gh", "truto_response_format": "stream"}
    )
    assert response.status_code == 502 and "could not reach" in response.json()["message"]


def test_stream_cut_off_midway_breaks_the_connection_not_a_clean_end(api, gh, server) -> None:
    from unci.errors import NetworkError

    big = b'{"pad":"' + b"x" * 200_000 + b'"}'  # several chunks: the answer starts before the cut
    server.route("/repos/octo-org/octo-repo/actions/jobs/7", Reply(body=big, truncate=True))
    with pytest.raises(NetworkError):  # the test client surfaces the broken-off body as the error
        api.get(
            "/unified/ci-cd/jobs/7", params={"integrated_account_id": "gh", "truto_response_format": "stream"}
        )


# --- hardening: caller input, the provider's quota, the server's words -----------------------


def test_a_spent_github_quota_is_a_429_with_retry_after(api, gh, server) -> None:
    server.route(
        "/repos/octo-org/octo-repo/actions/jobs/8",
        Reply(
            403,
            b'{"message":"API rate limit exceeded for user ID 1."}',
            {
                "Content-Type": "application/json",
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": "4102444800",
            },
        ),
    )
    response = api.get("/unified/ci-cd/jobs/8", params={"integrated_account_id": "gh"})
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["statusCode"] == 429 and body["error"] == "Too Many Requests"
    assert body["remote_status"] == 403 and body["truto_is_remote_error"] is True
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["ratelimit-remaining"] == "0"


@pytest.mark.parametrize("limit", ["²", "٣", "9" * 5000, "1e3", "-1", "0"])
def test_a_bad_limit_is_a_400(api, gh, server, limit) -> None:
    response = api.get(LIST, params={"integrated_account_id": "gh", "build": "29679449", "limit": limit})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body == {"statusCode": 400, "error": "Bad Request", "message": body["message"]}
    assert body["message"].startswith("limit") and len(body["message"]) < 200
    assert server.requests == []


def _cursor(**fields) -> str:
    import base64

    data = {"v": 1, "provider": "github", "path": LIST_PATH, "query": [], "headers": {}, "skip": 0, **fields}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!***",
        "A" * 60_000,
        "é€😀",
        "\x00abc",
        _cursor(v=2),
        _cursor(skip=-1),
        _cursor(provider="gitlab"),
        _cursor(path="/x\x00y"),
        _cursor(path="/x\r\nHost: evil"),
        _cursor(headers={"X-Injected": "a\r\nb"}),
        _cursor(headers={"X": "é€"}),
        _cursor(path="http://elsewhere.example/x"),
    ],
    ids=lambda c: c[:12],
)
def test_any_cursor_problem_is_a_400(api, gh, cursor) -> None:
    response = api.get(
        LIST, params={"integrated_account_id": "gh", "build": "29679449", "next_cursor": cursor}
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["statusCode"] == 400 and body["error"] == "Bad Request"
    assert "--" not in body["message"]


CLI_FLAG = re.compile(r"(?:^|[\s(`'\"])--?[a-z][a-z-]*")


@pytest.mark.parametrize("case", ["missing", "unknown", "refused", "cursor", "other-provider"])
def test_error_messages_use_the_servers_words(api, gh, server, case) -> None:
    server.route("/repos/octo-org/octo-repo/actions/jobs/9", Reply(401, b'{"message":"Bad creds"}'))
    add_account("bare", "github", server.url)
    params = {
        "missing": (GET, {"integrated_account_id": "bare"}),
        "unknown": (GET, {"integrated_account_id": "gh", "per_page": "5"}),
        "refused": ("/unified/ci-cd/jobs/9", {"integrated_account_id": "gh"}),
        "cursor": (LIST, {"integrated_account_id": "gh", "build": "1", "next_cursor": "!!"}),
        "other-provider": (
            LIST,
            {"integrated_account_id": "gh", "build": "1", "next_cursor": _cursor(provider="gitlab")},
        ),
    }[case]
    message = api.get(params[0], params=params[1]).json()["message"]
    assert not CLI_FLAG.search(message), message
    expected = {
        "missing": "owner=...&repo_id=...",
        "unknown": "remote_query[KEY]=VALUE",
        "refused": "integrated account",
        "cursor": "without next_cursor",
        "other-provider": "gitlab integrated account",
    }[case]
    assert expected in message, message


def test_a_cookie_one_answer_sets_is_never_sent_on_later_calls(api, gh, server) -> None:
    server.route(
        JOB_PATH,
        Reply(body=JOB, headers={"Content-Type": "application/json", "Set-Cookie": "session=acct-a; Path=/"}),
    )
    for _ in range(2):
        assert (
            api.get(
                GET, params={"integrated_account_id": "gh", "owner": "octo-org", "repo_id": "octo-repo"}
            ).status_code
            == 200
        )
    # The server's pools serve every account of an origin: no cookie crosses between calls.
    assert all("Cookie" not in seen.headers and "cookie" not in seen.headers for seen in server.requests)
    assert server.requests[-1].path == JOB_PATH
