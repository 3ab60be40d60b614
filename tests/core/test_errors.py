"""The error hierarchy as library users and scripts meet it: classes, exit codes, envelopes."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest

import unci
from helpers import github_get, run_cli
from localserver import Reply
from unci import errors

#: Every error class, its exit code and the HTTP status of its Truto envelope. A new class in
#: unci.errors that is missing here fails test_the_table_covers_every_class.
TABLE: dict[type[unci.UnciError], tuple[int, int]] = {
    unci.UnciError: (1, 500),
    unci.UsageError: (2, 400),
    unci.UnknownProvider: (2, 404),
    unci.MissingParams: (2, 400),
    unci.InvalidParam: (2, 400),
    unci.PluginError: (3, 500),
    unci.PluginLoadError: (3, 500),
    unci.DuplicateProvider: (3, 500),
    unci.AuthError: (4, 401),
    unci.NotFound: (5, 404),
    unci.RemoteError: (6, 418),
    unci.RateLimited: (7, 429),
    unci.NetworkError: (8, 502),
    unci.Timeout: (8, 504),
    unci.DecodeError: (9, 502),
    unci.ConfigError: (10, 500),
    unci.Unsupported: (11, 501),
    unci.OutputError: (12, 500),
    unci.LogUnavailable: (13, 409),
    unci.DestinationError: (14, 500),
}
#: The HTTP status each remote error is built with below (its envelope repeats it).
REMOTE_STATUS = {unci.RemoteError: 418, unci.AuthError: 401, unci.NotFound: 404, unci.RateLimited: 429}
#: The family a script can catch each class by: the direct parent below UnciError.
FAMILY = {
    unci.UnknownProvider: unci.UsageError,
    unci.MissingParams: unci.UsageError,
    unci.InvalidParam: unci.UsageError,
    unci.PluginLoadError: unci.PluginError,
    unci.DuplicateProvider: unci.PluginError,
    unci.AuthError: unci.RemoteError,
    unci.NotFound: unci.RemoteError,
    unci.RateLimited: unci.RemoteError,
    unci.Timeout: unci.NetworkError,
}


def make(cls: type[unci.UnciError], message: str = "github: it went wrong") -> unci.UnciError:
    """An instance with whatever keyword arguments the class requires."""
    kw: dict[str, Any] = {"provider": "github"}
    if issubclass(cls, unci.RemoteError):
        kw.update(
            remote_status=REMOTE_STATUS[cls],
            remote_body=b'{"message":"nope"}',
            remote_headers={"x-request-id": "1"},
        )
    if cls is unci.MissingParams:
        kw["missing"] = ["owner", "repo_id"]
    if cls is unci.PluginLoadError:
        kw["distribution"] = "unci-github"
    if cls is unci.DuplicateProvider:
        kw["distributions"] = ["unci-github", "unci-github-fork"]
    return cls(message, **kw)


def test_the_table_covers_every_class() -> None:
    defined = {
        obj for _, obj in inspect.getmembers(errors, inspect.isclass) if issubclass(obj, unci.UnciError)
    }
    assert defined == set(TABLE)
    exported = {getattr(unci, name) for name in unci.__all__}
    assert set(TABLE) <= exported  # every class is reachable as unci.<Name>


@pytest.mark.parametrize("cls", list(TABLE), ids=lambda c: c.__name__)
def test_exit_code_and_status(cls: type[unci.UnciError]) -> None:
    exit_code, status = TABLE[cls]
    exc = make(cls)
    assert exc.exit_code == exit_code
    assert unci.error_envelope(exc)["statusCode"] == status
    if cls is not unci.UnciError:
        assert exit_code == errors.EXIT_CODES[_family_name(cls)]


def _family_name(cls: type[unci.UnciError]) -> str:
    for name, base in (
        ("usage", unci.UsageError),
        ("plugin", unci.PluginError),
        ("auth", unci.AuthError),
        ("not_found", unci.NotFound),
        ("rate_limit", unci.RateLimited),
        ("remote", unci.RemoteError),
        ("network", unci.NetworkError),
        ("decode", unci.DecodeError),
        ("config", unci.ConfigError),
        ("unsupported", unci.Unsupported),
        ("output", unci.OutputError),
        ("no_log", unci.LogUnavailable),
        ("destination", unci.DestinationError),
    ):
        if issubclass(cls, base):
            return name
    raise AssertionError(cls)


def test_exit_codes_are_distinct_per_family_and_documented() -> None:
    """Scripts branch on them: one code per family, none of them Python's own 1, all in --help."""
    codes = list(errors.EXIT_CODES.values())
    assert len(codes) == len(set(codes)) and 1 not in codes and 0 not in codes
    result = run_cli("--help")
    assert result.exit_code == 0
    for code in codes:
        assert f" {code} " in " ".join(result.stdout.split()), code


@pytest.mark.parametrize("cls", list(TABLE), ids=lambda c: c.__name__)
def test_catchable_at_every_level(cls: type[unci.UnciError]) -> None:
    """``except UnciError``, ``except <family>`` and ``except <class>`` all catch it."""
    levels = [c for c in cls.__mro__ if isinstance(c, type) and issubclass(c, Exception)]
    assert unci.UnciError in levels and Exception in levels
    if cls in FAMILY:
        assert FAMILY[cls] in levels
    for level in levels:
        with pytest.raises(level) as info:
            raise make(cls)
        assert type(info.value) is cls


@pytest.mark.parametrize("cls", list(TABLE), ids=lambda c: c.__name__)
def test_siblings_do_not_catch_each_other(cls: type[unci.UnciError]) -> None:
    """``except NotFound`` must not swallow an AuthError: each family is its own branch."""
    for other in TABLE:
        if other is cls or issubclass(cls, other):
            continue
        try:
            raise make(cls)
        except other:
            pytest.fail(f"except {other.__name__} caught a {cls.__name__}")
        except unci.UnciError:
            pass


@pytest.mark.parametrize("cls", list(TABLE), ids=lambda c: c.__name__)
def test_message_and_provider(cls: type[unci.UnciError]) -> None:
    exc = make(cls, "github: the token was refused")
    assert str(exc) == exc.message == "github: the token was refused"
    assert exc.provider == "github"


@pytest.mark.parametrize(
    "cls", [c for c in TABLE if not issubclass(c, unci.RemoteError)], ids=lambda c: c.__name__
)
def test_error_envelope_is_trutos(cls: type[unci.UnciError]) -> None:
    exc = make(cls)
    data = unci.error_envelope(exc)
    assert list(data) == ["statusCode", "error", "message"]
    assert data["message"] == "github: it went wrong"
    assert isinstance(data["error"], str) and data["error"]
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize(
    "cls", [c for c in TABLE if issubclass(c, unci.RemoteError)], ids=lambda c: c.__name__
)
def test_remote_error_envelope_carries_the_providers_answer(cls: type[unci.UnciError]) -> None:
    exc = make(cls)
    data = unci.error_envelope(exc)
    assert list(data) == [
        "statusCode",
        "error",
        "message",
        "remote_error",
        "truto_is_remote_error",
        "remote_status",
        "raw_response",
    ]
    assert data["remote_error"] is True and data["truto_is_remote_error"] is True
    assert data["remote_status"] == data["statusCode"] == REMOTE_STATUS[cls]
    assert data["raw_response"] == {"message": "nope"}
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize(
    ("status", "expected"), [(404, 404), (503, 503), (302, 502), (200, 502), (600, 502), (399, 502)]
)
def test_remote_status_outside_4xx_5xx_is_a_bad_gateway(status: int, expected: int) -> None:
    exc = unci.RemoteError("x", provider="github", remote_status=status)
    assert (
        unci.error_envelope(exc)["statusCode"] == expected
        and unci.error_envelope(exc)["remote_status"] == status
    )


@pytest.mark.parametrize(
    ("body", "raw"),
    [
        (b"", None),
        (b"<html><title>Bad gateway</title></html>", "<html><title>Bad gateway</title></html>"),
        (b'[1, "two"]', [1, "two"]),
        (b"\xff\xfe not utf-8", "\ufffd\ufffd not utf-8"),
    ],
)
def test_raw_response_is_json_or_text(body: bytes, raw: Any) -> None:
    exc = unci.RemoteError("x", provider="github", remote_status=500, remote_body=body)
    assert unci.error_envelope(exc)["raw_response"] == raw


def test_raw_response_of_deeply_nested_json_never_raises() -> None:
    """Nested past Python's stack on 3.10-3.12 (then kept as text); 3.13 decodes it."""
    body = b"[" * 5000 + b"]" * 5000
    raw = unci.error_envelope(unci.RemoteError("x", provider="github", remote_status=500, remote_body=body))[
        "raw_response"
    ]
    assert raw == body.decode() or isinstance(raw, list)


def test_extra_attributes_ride_along() -> None:
    assert make(unci.MissingParams).missing == ["owner", "repo_id"]
    assert make(unci.PluginLoadError).distribution == "unci-github"
    assert make(unci.DuplicateProvider).distributions == ["unci-github", "unci-github-fork"]
    limited = unci.RateLimited("slow down", provider="github", remote_status=429, reset_after=30.0)
    assert limited.reset_after == 30.0 and limited.remote_headers == {}
    remote = make(unci.NotFound)
    assert remote.remote_body == b'{"message":"nope"}' and remote.remote_headers == {"x-request-id": "1"}
    assert unci.UnciError("no provider").provider is None


# --- what the CLI makes of them ----------------------------------------------------------------


def _cli_cases(url: str) -> list[tuple[list[str], type[unci.UnciError]]]:
    gh = github_get(url, "--retries", "0")
    return [
        (["jobs", "get", "1", "-P", "nope"], unci.UnknownProvider),
        (["jobs", "get", "1", "-P", "github"], unci.MissingParams),
        (["jobs", "get", "..", "-P", "github", "-p", "owner=o", "-p", "repo_id=r"], unci.InvalidParam),
        ([*gh, "--token", "t-401"], unci.AuthError),
        ([*gh[:2], "404", *gh[3:]], unci.NotFound),
        ([*gh[:2], "500", *gh[3:]], unci.RemoteError),
        ([*gh[:2], "429", *gh[3:], "--max-wait", "0"], unci.RateLimited),
        ([*gh[:2], "900", *gh[3:]], unci.DecodeError),
        (github_get("http://127.0.0.1:9", "--retries", "0"), unci.NetworkError),
        (["jobs", "get", "1", "-a", "missing-account"], unci.UsageError),
    ]


def test_cli_exit_codes_and_json_envelopes(server) -> None:
    """Each family's exit code reaches the shell, and --error-format json prints its envelope."""
    base = "/repos/o/r/actions/jobs/"
    server.route(base + "1", Reply(401, b'{"message":"Bad credentials"}'))
    server.route(base + "404", Reply(404, b'{"message":"Not Found"}'))
    server.route(base + "500", Reply(500, b'{"message":"boom"}'))
    server.route(base + "429", Reply(429, b'{"message":"slow"}', {"Retry-After": "60"}))
    server.route(base + "900", Reply(200, b'{"id": "not a number"}'))
    for args, cls in _cli_cases(server.url):
        text = run_cli(*args)
        assert text.exit_code == TABLE[cls][0], (args, text.stderr)
        assert text.stderr.startswith("unci: error: ") and text.stdout == "", (args, text.stderr)
        assert "Traceback" not in text.stderr
        as_json = run_cli(*args, "--error-format", "json")
        assert as_json.exit_code == text.exit_code
        envelope = json.loads(as_json.stderr)
        assert envelope["message"] in text.stderr
        if issubclass(cls, unci.RemoteError):
            assert envelope["statusCode"] == envelope["remote_status"] >= 400, envelope
            assert envelope["raw_response"]["message"], envelope
        else:
            assert envelope["statusCode"] == TABLE[cls][1] and "raw_response" not in envelope


def test_every_error_survives_pickling_for_process_pools() -> None:
    import pickle

    from unci import errors

    samples = [
        errors.UsageError("bad", provider="github"),
        errors.MissingParams("missing", provider="github", missing=["owner"]),
        errors.PluginLoadError("broken", provider="x", distribution="unci-x 1"),
        errors.DuplicateProvider("twice", provider="x", distributions=["a 1", "b 2"]),
        errors.NotFound("gone", provider="github", remote_status=404, remote_body=b'{"m":1}'),
        errors.RateLimited("slow", provider="github", remote_status=429, reset_after=3.0),
        errors.Timeout("late", provider="github"),
    ]
    for error in samples:
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and str(again) == str(error)
        assert unci.error_envelope(again) == unci.error_envelope(error) and again.exit_code == error.exit_code
    assert pickle.loads(pickle.dumps(samples[1])).missing == ["owner"]
    assert pickle.loads(pickle.dumps(samples[5])).reset_after == 3.0


def test_errors_is_a_leaf_module() -> None:
    """Errors carry fields; whoever renders one (the CLI, the server) builds its envelope, so
    any module can raise without importing the rest of unci (and no import cycle starts here)."""
    import ast
    from pathlib import Path

    from unci import errors

    tree = ast.parse(Path(errors.__file__).read_text())
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    ]
    assert not [name for name in imported if name and name.split(".")[0] == "unci"]


def test_every_public_asyncclient_method_says_what_it_is() -> None:
    """``help(unci.AsyncClient.get_job)`` said nothing for most of them."""
    import inspect

    bare = [
        name
        for name, method in inspect.getmembers(unci.AsyncClient, predicate=inspect.isfunction)
        if not name.startswith("_") and not (method.__doc__ or "").strip()
    ]
    assert bare == []
