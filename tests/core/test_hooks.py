"""One test per hook (test_docs checks each exists), on the GitHub provider, plus the pluggy
property the design relies on: a third-party plugin can wrap or override a provider's hook."""

from __future__ import annotations

import itertools
import types
from datetime import datetime, timedelta, timezone

import msgspec
import pytest

import unci
from helpers import cassette_body
from unci.plugins import registry

JOB = cassette_body("github", "get_job")
PARAMS = {"owner": "octo-org", "repo_id": "octo-repo", "build": "29679449"}
_T0 = datetime(2026, 11, 24, tzinfo=timezone.utc)


def hook() -> unci.plugin.Provider:
    """The GitHub provider object itself: its hooks are its methods."""
    return registry().load("github")


def test_hook_describe_provider() -> None:
    info = hook().describe_provider()
    assert info.name == "github" and "commit" in info.fields


def test_hook_required_params() -> None:
    assert [p.name for p in hook().required_params("get")] == ["owner", "repo_id"]
    assert [p.name for p in hook().required_params("list")] == ["owner", "repo_id", "build"]


def test_hook_authenticate() -> None:
    assert hook().authenticate(unci.Credentials("t0k")) == {"Authorization": "Bearer t0k"}
    assert hook().authenticate(unci.Credentials()) == {}


def test_hook_build_request() -> None:
    request = hook().build_request("a/b", PARAMS)
    assert request.path == "/repos/octo-org/octo-repo/actions/jobs/a%2Fb"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_hook_map_job() -> None:
    job = hook().map_job(JOB, "399444496", PARAMS)
    assert isinstance(job, unci.Job) and job.id == "399444496"


def test_hook_error_message() -> None:
    assert hook().error_message(404, b'{"message":"Not Found"}') == "Not Found"
    assert hook().error_message(502, b"<html>") is None


def test_hook_build_list_request() -> None:
    request = hook().build_list_request(PARAMS, 500)
    assert request.path.endswith("/actions/runs/29679449/jobs")
    assert ("per_page", "100") in request.query and ("filter", "all") in request.query


def test_hook_map_job_page() -> None:
    body = cassette_body("github", "list_jobs")
    page = hook().map_job_page(
        body, {"link": '<https://api.github.com/x?page=2>; rel="next"'}, PARAMS, unci.Request(path="/x")
    )
    assert [j.id for j in page.jobs] == ["399444496"]
    assert page.next.path == "https://api.github.com/x?page=2"


def test_hook_identity_request() -> None:
    assert hook().identity_request({}).path == "/user"


def test_hook_read_identity() -> None:
    assert hook().read_identity(b'{"login":"octocat"}') == "octocat"


UNOFFERED = [
    ("build_builds_request", (PARAMS, unci.BuildQuery(), None)),
    ("map_build_page", (b"{}", {}, PARAMS, unci.Request(path="/"))),
    ("build_build_request", ("1", PARAMS)),
    ("map_build", (b"{}", "1", PARAMS)),
    ("build_steps_request", ("1", PARAMS)),
    ("map_steps", (b"{}", "1", PARAMS)),
    ("build_log_request", ("1", PARAMS)),
    ("build_log_parts_request", ("1", PARAMS)),
    ("map_log_parts", (b"{}", "1", PARAMS)),
    ("build_log_range_request", ("1", PARAMS, 0)),
]


class _Minimal(unci.Provider):
    """A provider with only the two hooks every provider must write."""

    info = unci.ProviderInfo(name="minimal", title="Minimal CI", base_url="http://127.0.0.1:9")

    def build_request(self, job_id, params):
        return self.request(f"/jobs/{unci.segment(job_id)}")

    def map_job(self, payload, job_id, params):
        return unci.Job(id=job_id)


@pytest.mark.parametrize(("name", "args"), UNOFFERED, ids=[n for n, _ in UNOFFERED])
def test_a_hook_a_provider_leaves_out_says_the_api_does_not_offer_it(name, args) -> None:
    with pytest.raises(unci.Unsupported) as info:
        getattr(_Minimal(), name)(*args)
    assert info.value.exit_code == 11 and info.value.message.startswith("minimal: Minimal CI does not")


def test_hook_build_builds_request() -> None:
    query = unci.BuildQuery(
        branch="main", status="completed", since=_T0, until=_T0 + timedelta(days=1, microseconds=5)
    )
    request = hook().build_builds_request(PARAMS, query, 20)
    assert request.path == "/repos/octo-org/octo-repo/actions/runs"
    assert request.query == [
        ("branch", "main"),
        ("status", "completed"),
        ("created", "2026-11-24T00:00:00Z..2026-11-25T00:00:01Z"),
        ("per_page", "20"),
    ]
    # queued also covers GitHub's waiting/requested/pending: sending it would lose runs.
    assert [
        k for k, _ in hook().build_builds_request(PARAMS, unci.BuildQuery(status="queued"), None).query
    ] == ["per_page"]


def test_hook_map_build_page() -> None:
    body = cassette_body("github", "list_builds")
    page = hook().map_build_page(
        body, {"link": '<https://api.github.com/x?page=2>; rel="next"'}, PARAMS, unci.Request(path="/x")
    )
    assert [b.id for b in page.builds][:2] == ["110932306", "110932159"]
    assert page.next.path == "https://api.github.com/x?page=2"


def test_hook_build_build_request() -> None:
    assert (
        hook().build_build_request("3881497935", PARAMS).path
        == "/repos/octo-org/octo-repo/actions/runs/3881497935"
    )


def test_hook_map_build() -> None:
    build = hook().map_build(cassette_body("github", "get_build"), "3881497935", PARAMS)
    assert isinstance(build, unci.Build) and build.id == "3881497935" and build.number == "930"


def test_hook_build_build_context_request() -> None:
    # A GitHub run is whole: nothing more is asked for it.
    run = hook().map_build(cassette_body("github", "get_build"), "3881497935", PARAMS)
    assert hook().build_build_context_request(run, PARAMS) is None
    # A CircleCI workflow lacks what its pipeline has.
    circleci = registry().load("circleci")
    workflow = circleci.map_build(cassette_body("circleci", "get_build"), "", {})
    assert circleci.build_build_context_request(workflow, {}).path.endswith(
        "/pipeline/98b1071e-c364-4b39-91b9-820b8588e2ae"
    )


def test_hook_map_build_context() -> None:
    with pytest.raises(unci.Unsupported):
        hook().map_build_context(b"{}", unci.Build(id="1"), PARAMS)
    circleci = registry().load("circleci")
    context = circleci.map_build_context(cassette_body("circleci", "get_build", 1), unci.Build(id="w"), {})
    assert (context.branch, context.trigger, context.number) == ("master", "push", "154")


def test_hook_build_steps_request() -> None:
    test_a_hook_a_provider_leaves_out_says_the_api_does_not_offer_it(*UNOFFERED[4])
    # GitHub's steps ride in the job payload (map_job), so it has no steps endpoint.
    with pytest.raises(unci.Unsupported):
        hook().build_steps_request("1", PARAMS)


def test_hook_map_steps() -> None:
    test_a_hook_a_provider_leaves_out_says_the_api_does_not_offer_it(*UNOFFERED[5])
    with pytest.raises(unci.Unsupported):
        hook().map_steps(b"{}", "1", PARAMS)


def test_hook_build_log_request() -> None:
    test_a_hook_a_provider_leaves_out_says_the_api_does_not_offer_it(*UNOFFERED[6])
    # GitHub's log endpoint answers with a redirect to storage, which the core follows bare.
    assert hook().build_log_request("1", PARAMS).path == "/repos/octo-org/octo-repo/actions/jobs/1/logs"


def test_hook_build_log_parts_request() -> None:
    test_a_hook_a_provider_leaves_out_says_the_api_does_not_offer_it(*UNOFFERED[7])
    with pytest.raises(unci.Unsupported):  # GitHub has no per-step logs
        hook().build_log_parts_request("1", PARAMS)


def test_hook_map_log_parts() -> None:
    test_a_hook_a_provider_leaves_out_says_the_api_does_not_offer_it(*UNOFFERED[8])


def test_hook_read_log_part() -> None:
    """By default a part's body is its text."""
    part = unci.LogPart(request=unci.Request(path="/x"))
    assert _Minimal().read_log_part(b"text\n", part) == b"text\n"


def test_hook_next_log_part() -> None:
    """By default a part is whole in one answer: no page follows."""
    part = unci.LogPart(request=unci.Request(path="/x"), body="json")
    assert _Minimal().next_log_part(b"[]", part) is None


def test_hook_build_log_range_request() -> None:
    test_a_hook_a_provider_leaves_out_says_the_api_does_not_offer_it(*UNOFFERED[9])
    ranged = unci.byte_range(unci.Request(path="/trace", headers={"Accept": "text/plain"}), 120)
    assert ranged.headers == {"Accept": "text/plain", "Range": "bytes=120-"}
    assert unci.byte_range(unci.Request(path="/trace"), 0).headers == {}


def test_hook_read_log_range() -> None:
    """The default reads a byte range: a 206 is only the new bytes, a 200 the whole log."""
    assert _Minimal().read_log_range(206, {}, 120) == unci.LogRange(skip=0)
    assert _Minimal().read_log_range(200, {}, 120) == unci.LogRange(skip=120)


def test_a_wrapper_plugin_can_add_to_another_providers_mapping() -> None:
    """The contract's firstresult hooks let a third party wrap a provider without forking it."""
    wrapper = types.ModuleType("unci_github_extra")

    @unci.hookimpl(wrapper=True)
    def map_job(provider: str):
        job = yield
        if provider == "github" and job is not None:
            job.name = f"{job.name} (wrapped)"
        return job

    wrapper.map_job = map_job
    registry().register(wrapper, "github-extra")
    try:
        job = registry().hooks("github").map_job(JOB, "1", PARAMS)
        assert job.name == "build (wrapped)"
        with unci.Client(transport=_serve(JOB)) as client:  # and through the public API
            assert client.get_job("github", "399444496", params=PARAMS).name == "build (wrapped)"
    finally:
        registry().unregister("github-extra")
    assert registry().hooks("github").map_job(JOB, "1", PARAMS).name == "build"


def _serve(body: bytes):
    import httpx

    return httpx.MockTransport(lambda request: httpx.Response(200, content=body))


def test_job_to_dict_is_the_unified_json_as_python() -> None:
    job = registry().hooks("github").map_job(JOB, "1", PARAMS)
    data = job.to_dict()
    assert data["started_at"] == "2020-01-20T17:42:40Z" and data["remote_data"]["run_id"] == 29679449
    assert list(data)[:3] == ["id", "name", "build"]


def test_user_at_reads_who_an_identity_answer_names() -> None:
    from unci import DecodeError, user_at

    assert user_at(b'{"login": "octocat", "name": "The Octocat"}', "login", "name") == "octocat (The Octocat)"
    assert user_at(b'{"login": "octocat", "name": "octocat"}', "login", "name") == "octocat"
    assert user_at(b'{"name": "Only Name"}', "login", "name") == "Only Name"
    assert user_at(b'{"u": {"id": "x"}}', "id", "full", within="u") == "x"
    for body, where in (
        (b'{"login": 5}', "$.login"),
        (b"[]", "got `array`"),
        (b'{"u": 1}', "$.u"),
        (b"{}", "`login`"),
    ):
        with pytest.raises((DecodeError, msgspec.ValidationError)) as info:
            user_at(body, "login", "name", within="u" if body.startswith(b'{"u"') else None, required=True)
        assert where in str(info.value)


def test_every_hookspec_is_a_provider_method_in_the_docs_order() -> None:
    """The hook names come from the hookspecs alone: a new spec is a method every provider has
    (with a default) and a heading of the hook reference, in the same order."""
    import re
    from pathlib import Path

    from unci import hookspecs

    assert hookspecs.HOOKS[:4] == ("describe_provider", "required_params", "authenticate", "build_request")
    assert all(callable(getattr(unci.Provider, name, None)) for name in hookspecs.HOOKS)
    guide = (Path(__file__).parents[2] / "docs" / "writing-a-provider.md").read_text()
    assert tuple(re.findall(r"^### `(\w+)\(", guide, flags=re.M)) == hookspecs.HOOKS


def test_outcome_reads_one_word_for_status_and_conclusion() -> None:
    status = {"running": "in_progress", "success": "completed", "declined": "completed"}
    conclusion = {"success": "passed"}
    assert unci.outcome("Success", status, conclusion) == ("completed", "passed")
    assert unci.outcome("running", status, conclusion) == ("in_progress", None)
    assert unci.outcome("declined", status, conclusion) == ("completed", "declined")  # raw
    assert unci.outcome("Mystery", status, conclusion) == ("Mystery", None)  # nothing says it ended
    assert unci.outcome(None, status, conclusion) == (None, None)


def test_from_epoch_reads_unix_seconds_and_names_a_field_out_of_range() -> None:
    assert unci.from_epoch(1735732800) == datetime(2025, 1, 1, 12, tzinfo=timezone.utc)
    assert unci.from_epoch(0) is None and unci.from_epoch(None) is None  # "not yet"
    with pytest.raises(unci.DecodeError, match=r"\$\.started"):
        unci.from_epoch(10**20, "started")


def test_a_provider_says_a_job_is_not_in_the_answer_with_its_name_and_404() -> None:
    from unci.plugin import ProviderInfo

    class Example(unci.Provider):
        info = ProviderInfo(name="example", title="Example CI", base_url="https://ci.example.com")

    error = Example().not_found("build 8 has no job 42; its jobs are 1, 2")
    assert isinstance(error, unci.NotFound) and error.remote_status == 404 and error.exit_code == 5
    assert error.message == "example: build 8 has no job 42; its jobs are 1, 2"


def test_word_tables_group_a_providers_words_by_meaning_for_outcome() -> None:
    from unci.plugin import word_tables

    status, conclusion = word_tables(
        queued=("Pending",), in_progress=("running",), completed=("declined",), passed=("success",)
    )
    assert unci.outcome("SUCCESS", status, conclusion) == ("completed", "passed")
    assert unci.outcome("pending", status, conclusion) == ("queued", None)
    assert unci.outcome("declined", status, conclusion) == ("completed", "declined")  # raw
    with pytest.raises(TypeError, match="not \\['green'\\]"):
        word_tables(green=("success",))


def _example() -> unci.Provider:
    from unci.plugin import ProviderInfo

    class Example(unci.Provider):
        info = ProviderInfo(name="example", title="Example CI", base_url="https://ci.example.com")

    return Example()


def test_pick_finds_a_job_by_id_or_names_the_ones_there_are() -> None:
    found = [(str(n), f"job{n}", n * 10) for n in range(1, 13)]
    assert _example().pick("3", found, "build 8") == 30
    with pytest.raises(unci.NotFound) as info:
        _example().pick("42", found, "build 8")
    assert info.value.message == (
        "example: build 8 has no job 42; its jobs are 1 (job1), 2 (job2), 3 (job3), 4 (job4), "
        "5 (job5), 6 (job6), 7 (job7), 8 (job8), 9 (job9), 10 (job10) and 2 more"
    )
    with pytest.raises(unci.NotFound, match=r"build 9 has no step 1; it has no steps yet$"):
        _example().pick("1", [], "build 9", "step")


def test_number_takes_digits_and_named_words_and_refuses_the_rest_with_a_hint() -> None:
    assert _example().number("build", "8", "give its number") == "8"
    assert _example().number("build", "latest", "give its number", "latest") == "latest"
    for wrong in ("main", "²", "8/../9", ""):
        with pytest.raises(unci.InvalidParam) as info:
            _example().number("build", wrong, "give its number")
        assert info.value.message == f"example: build {wrong!r} is not a number; give its number"


def test_settle_steps_makes_steps_decoded_as_step_unified_in_place() -> None:
    steps = msgspec.json.decode(
        b'[{"number": 1, "status": "Completed", "conclusion": "neutral",'
        b' "started_at": "2020-01-20T09:42:40-08:00", "completed_at": "2020-01-20T17:42:41"},'
        b' {"number": 2, "status": "queued"}]',
        type=list[unci.Step],
    )
    settled = unci.settle_steps(steps, {"completed": "completed", "queued": "queued"}, {"success": "passed"})
    assert settled is steps
    first, second = steps
    assert (first.status, first.conclusion) == ("completed", "neutral")  # case-insensitive; raw
    assert first.started_at == datetime(2020, 1, 20, 17, 42, 40, tzinfo=timezone.utc)
    assert first.started_at.tzinfo is timezone.utc and first.completed_at.tzinfo is timezone.utc
    assert (second.status, second.conclusion, second.started_at) == ("queued", None, None)


def test_settle_steps_converts_every_offset_and_mix_of_them_as_astimezone_does() -> None:
    """Times of one offset are converted from the first one's UTC form: across midnight, the
    year's end and a change of offset in the middle, each is the instant astimezone gives."""
    times = [
        "2020-12-31T23:59:59.5-08:00", "2021-01-01T00:00:01-08:00", "2021-01-01T08:00:00Z",
        "2021-01-01T09:30:00+05:30", "2021-01-01T09:30:00+05:30", "2021-01-01T16:00:00-08:00",
        "2021-01-01T16:00:00", "2021-01-02T00:00:00.000001-08:00", "2021-01-01T10:00:00+05:30",
    ]  # fmt: skip
    body = b"[" + b",".join(
        b'{"started_at": "%s", "completed_at": "%s"}' % (a.encode(), b.encode())
        for a, b in itertools.pairwise(times)
    ) + b"]"  # fmt: skip
    original = msgspec.json.decode(body, type=list[unci.Step])
    settled = unci.settle_steps(msgspec.json.decode(body, type=list[unci.Step]), {}, {})
    for before, after in zip(original, settled, strict=True):
        for field in ("started_at", "completed_at"):
            was, now = getattr(before, field), getattr(after, field)
            utc = timezone.utc
            expected = was.replace(tzinfo=utc) if was.tzinfo is None else was.astimezone(utc)
            assert now.isoformat() == expected.isoformat() and now.tzinfo is utc, (field, was, now)


def test_a_step_time_without_a_utc_form_is_named_with_its_field() -> None:
    from unci.call import Answer, decode_job, prepare_get, resolve_target

    body = JOB.replace(b'"2020-01-20T09:42:41.000-08:00"', b'"0001-01-01T00:00:00+01:00"', 1)
    assert body != JOB
    call = prepare_get(resolve_target("github", environ={}), "399444496", PARAMS)
    with pytest.raises(
        unci.DecodeError, match=r"0001-01-01T00:00:00\+01:00.*\$\.steps\.(started|completed)_at"
    ):
        decode_job(call, Answer(200, {}, body))
