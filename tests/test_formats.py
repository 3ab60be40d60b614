"""Every response format and option, on every provider, through the CLI and the cassettes."""

from __future__ import annotations

import json

import pytest
from cases import CASES, Case

from helpers import cassette_body, run_cli
from unci.formats import NORMALIZED_FIELDS
from unci.job import FIELDS
from unci.plugins import registry

IDS = [c.provider for c in CASES]


def supported(case: Case) -> set[str]:
    return set(registry().info(case.provider).fields)


def get(case: Case, *extra: str):
    with_cassette = pytest.importorskip("vcr").VCR(record_mode="none", cassette_library_dir="plugins")
    with with_cassette.use_cassette(case.get_cassette, allow_playback_repeats=True):
        return run_cli(*case.get_args, *extra)


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers import ROOT

    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_unified_leaves_out_only_unsupported_fields(case: Case) -> None:
    result = get(case)
    assert result.exit_code == 0, result.output
    job = json.loads(result.stdout)
    expected = {"id", "remote_data"} | supported(case)
    from unci.plugins import registry

    if registry().hooks(case.provider).supports("build_steps_request"):
        expected.discard("steps")  # a request of their own: only with --steps
    elif "steps" not in job:  # absent, not empty, where this job's payload has none (Buddy's sample)
        expected.discard("steps")
    assert set(job) == expected
    assert isinstance(job["id"], str) and isinstance(job["remote_data"], (dict, list))
    for name in ("created_at", "started_at", "completed_at", "updated_at"):
        if job.get(name) is not None:
            assert job[name].endswith("Z"), (name, job[name])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_normalized_has_a_fixed_shape(case: Case) -> None:
    result = get(case, "--format", "normalized")
    row = json.loads(result.stdout)
    assert list(row) == list(NORMALIZED_FIELDS)
    assert row["provider"] == case.provider and "remote_data" not in row


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("fmt", ["raw", "stream"])
def test_raw_and_stream_are_the_body_byte_for_byte(case: Case, fmt: str) -> None:
    result = get(case, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == cassette_body(case.provider, "get_job")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_debug_envelope_is_redacted(case: Case) -> None:
    secret = "tok_SECRET_" + case.provider.replace("-", "_")
    user = ["--username", "admin"] if case.provider == "jenkins" else []  # Basic needs a pair
    result = get(case, "--format", "debug", "--token", secret, *user)
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    value = json.loads(result.stdout)
    unified = json.loads(get(case).stdout)
    assert value["result"] == unified
    debug = value["debug"]
    assert set(debug) == {"requestUrl", "requestOptions", "data", "responseHeaders"}
    assert debug["requestOptions"]["method"] == "GET"
    assert debug["data"] == json.loads(cassette_body(case.provider, "get_job"))
    assert "[REDACTED]" in json.dumps(debug["requestOptions"]["headers"])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_ignore_remote_data_and_exclude_fields(case: Case) -> None:
    job = json.loads(get(case, "--ignore-remote-data").stdout)
    assert "remote_data" not in job and "id" in job
    drop = sorted(supported(case) - {"id"})[:2]
    job = json.loads(get(case, "--exclude-field", ",".join(drop), "--exclude-field", "id").stdout)
    assert not set(drop) & set(job) and "id" not in job and "remote_data" in job


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_unknown_exclude_field_lists_valid_ones(case: Case) -> None:
    result = get(case, "--exclude-field", "status,colour")
    assert result.exit_code == 2
    assert "unknown field(s) to exclude: colour; valid fields are " + ", ".join(FIELDS) in result.stderr


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_table_output(case: Case) -> None:
    result = get(case, "--output", "table")
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["PROVIDER", "ID", "NAME"]
    assert lines[1].startswith(case.provider)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_remote_query_reaches_the_provider_encoded(case: Case, server) -> None:
    base = ["--base-url", server.url] if not case.base_url else []
    args = [a for a in case.get_args]
    result = run_cli(
        *args, *base, "--remote-query", "filter=all", "--remote-query", "q=a b&c", "--retries", "0"
    )
    assert result.exit_code == 5  # the test server has no such route; what matters is what was sent
    path = server.requests[-1].path
    assert "filter=all" in path and "q=a+b%26c" in path


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_errors_as_json_envelope(case: Case, server) -> None:
    result = run_cli(*case.get_args, "--base-url", server.url, "--error-format", "json", "--retries", "0")
    assert result.exit_code == 5
    envelope = json.loads(result.stderr)
    assert envelope["statusCode"] == 404 and envelope["error"] == "Not Found"
    assert envelope["remote_error"] is True and envelope["remote_status"] == 404
    assert envelope["raw_response"] == {"message": "no such route in the test server"}
    assert envelope["message"].startswith(f"{case.provider}: ")


def test_debug_normalises_rate_limit_headers(server) -> None:
    from localserver import Reply

    server.route(
        "/repos/o/r/actions/jobs/1",
        Reply(
            body=cassette_body("github", "get_job"),
            headers={
                "Content-Type": "application/json",
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": "17",
                "X-RateLimit-Reset": "9999999999",
            },
        ),
    )
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
        "--format",
        "debug",
    )
    headers = json.loads(result.stdout)["debug"]["responseHeaders"]
    assert headers["ratelimit-limit"] == "5000" and headers["ratelimit-remaining"] == "17"
    assert int(headers["ratelimit-reset"]) > 10**9 // 2  # seconds from now, not an epoch
    assert int(headers["ratelimit-reset"]) < 9999999999


def test_debug_format_prints_errors_as_json(server) -> None:
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
        "--format",
        "debug",
    )
    assert json.loads(result.stderr)["statusCode"] == 404


def test_python_render_of_every_format() -> None:
    import vcr

    import unci
    from unci.commands import render

    case = CASES[0]
    with (
        vcr.VCR(record_mode="none", cassette_library_dir="plugins").use_cassette(case.get_cassette),
        unci.Client() as client,
    ):
        fetched = client.fetch(case.provider, case.job_id, params=case.params)
    assert render(fetched, "raw", ignore_remote_data=False, exclude=()) == cassette_body("github", "get_job")
    assert render(fetched, "normalized", ignore_remote_data=False, exclude=())["provider"] == "github"
    assert "remote_data" not in render(fetched, "unified", ignore_remote_data=True, exclude=())
    assert set(render(fetched, "debug", ignore_remote_data=False, exclude=())) == {"result", "debug"}


def test_render_defaults_and_to_dict_agree_on_timestamps() -> None:
    """``unci.render(fetched, "normalized")`` needs no keywords, and every path that turns a job
    into JSON writes its timestamps the same one way."""
    import vcr

    import unci

    player = vcr.VCR(record_mode="none", cassette_library_dir="plugins")
    for case in CASES:
        with player.use_cassette(case.get_cassette), unci.Client() as client:
            fetched = client.fetch(case.provider, case.job_id, params=case.params)
        row = unci.render(fetched, "normalized")
        unified = unci.render(fetched)
        as_dict = fetched.job.to_dict()
        for field in ("created_at", "started_at", "completed_at", "updated_at"):
            assert row[field] == as_dict[field], (case.provider, field)
            if field in unified:
                assert unified[field] == as_dict[field], (case.provider, field)
        printed = json.loads(get(case, "--format", "normalized").stdout)
        assert {k: printed[k] for k in row} == row, case.provider


@pytest.mark.parametrize(
    ("provider", "field", "text"),
    [
        ("github", "started_at", "2020-01-20T17:42:40Z"),  # whole seconds: no fraction invented
        ("travis", "created_at", "2018-03-10T19:33:37.336Z"),  # milliseconds stay milliseconds
        ("bitbucket", "started_at", "2023-02-20T09:23:31.978093Z"),  # microseconds kept
        ("circleci", "stopped_at", "2020-12-24T13:00:08.894Z"),
    ],
)
def test_timestamps_keep_exactly_the_precision_given(provider: str, field: str, text: str) -> None:
    case = next(c for c in CASES if c.provider == provider)
    job = json.loads(get(case).stdout)
    unified = {"stopped_at": "completed_at"}.get(field, field)
    assert job[unified] == text
    assert text in json.dumps(job["remote_data"])  # what the provider sent, unchanged


def test_rfc3339_rule() -> None:
    from datetime import datetime, timedelta, timezone

    from unci.job import rfc3339

    utc = timezone.utc
    assert rfc3339(datetime(2020, 1, 2, 3, 4, 5, tzinfo=utc)) == "2020-01-02T03:04:05Z"
    assert rfc3339(datetime(2020, 1, 2, 3, 4, 5, 120000, tzinfo=utc)) == "2020-01-02T03:04:05.12Z"
    assert rfc3339(datetime(2020, 1, 2, 3, 4, 5, 1, tzinfo=utc)) == "2020-01-02T03:04:05.000001Z"
    plus2 = timezone(timedelta(hours=2))
    assert rfc3339(datetime(2020, 1, 2, 5, 4, 5, tzinfo=plus2)) == "2020-01-02T03:04:05Z"
    assert rfc3339(datetime(1, 1, 1, tzinfo=utc)) == "0001-01-01T00:00:00Z"
    assert rfc3339(None) is None


def test_a_page_written_at_once_is_each_record_as_written_alone() -> None:
    """``jobs list --all`` writes a page of records in one encode (``unified_lines``): byte for
    byte what each record written alone gives, with every option, including records written
    the slower way (times msgspec does not write as unci does, steps not fetched) and a
    plugin's broken record, which is that plugin's error either way."""
    from datetime import datetime, timedelta, timezone

    import msgspec
    import vcr

    import unci
    from unci.errors import PluginError
    from unci.formats import unified_json, unified_lines
    from unci.job import Job, Step

    case = next(c for c in CASES if c.provider == "github")
    player = vcr.VCR(record_mode="none", cassette_library_dir="plugins")
    with player.use_cassette(case.get_cassette), unci.Client() as client:
        fetched = client.fetch(case.provider, case.job_id, params=case.params).job
    utc, plus2 = timezone.utc, timezone(timedelta(hours=2))
    page = [
        fetched,
        Job(id="2", name="naive", started_at=datetime(2026, 1, 2, 3, 4, 5), provider="github"),
        Job(id="3", completed_at=datetime(2026, 1, 2, 5, 4, 5, tzinfo=plus2), provider="github"),
        Job(id="4", updated_at=datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=utc), provider="github"),
        Job(
            id="5",
            steps=[Step(number=1, name="é ✓", started_at=datetime(2026, 1, 2, tzinfo=utc))],
            remote_data=msgspec.Raw(b'{"id": 5}'),
            provider="github",
        ),
        Job(id="6", steps=[], provider="github"),
        fetched,
    ]
    kept = registry().info("github").fields
    for options in (
        {},
        {"ignore_remote_data": True},
        {"exclude": ("steps", "name")},
        {"exclude": ("remote_data",), "ignore_remote_data": True},
    ):
        alone = b"".join(unified_json(r, kept, **options) + b"\n" for r in page)  # type: ignore[arg-type]
        assert unified_lines(page, kept, **options) == alone, options  # type: ignore[arg-type]
    assert unified_lines([], kept) == b""
    broken = Job(id="7", started_at="2026-01-02", provider="github")  # type: ignore[arg-type]
    with pytest.raises(PluginError) as alone_error:
        unified_json(broken, kept)
    with pytest.raises(PluginError) as page_error:
        unified_lines([fetched, broken], kept)
    assert str(page_error.value) == str(alone_error.value)
