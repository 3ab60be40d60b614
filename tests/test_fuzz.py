"""Fuzzing every provider's mapping through the path users hit (``decode_job``, ``read_page``).

Whatever body a provider (or a proxy, or a broken cache in between) sends, unci either returns
a whole :class:`unci.Job` or raises its own documented :class:`unci.DecodeError` naming the
provider and, where the body has one, the field. Never another exception, never a job with a
field silently dropped because it had the wrong type.

Bodies come from the real payloads in ``cassettes/``: random JSON in their place, the payload
cut off at every length, every value the mapping reads replaced by one of the wrong type, and
random values anywhere in the job object. The examples are derandomized, so CI sees the same
ones every run; ``UNCI_FUZZ_EXAMPLES=5000`` digs deeper locally.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import unci
from helpers import cassette_body
from unci.call import Answer, Call, decode_job, prepare_get, resolve_target
from unci.listing import prepare_list, read_page
from unci.plugins import registry

EXAMPLES = int(os.environ.get("UNCI_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Spec:
    """One provider's sample payloads and what its mapping reads from them."""

    job_id: str
    get_params: dict[str, str]
    list_params: dict[str, str]
    #: Every value ``map_job`` reads, relative to the job object, and its JSON kind.
    reads: dict[Path, str]
    #: Where the job object sits in the ``get_job`` body (Azure DevOps: inside a timeline).
    root: Path = ()
    #: ``map_job`` picks the job out of a parent body, so "not in it" is a legitimate NotFound.
    picks: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


TIME = "time"
SPECS: dict[str, Spec] = {
    "github": Spec(
        "399444496",
        {"owner": "octo-org", "repo_id": "octo-repo"},
        {"owner": "octo-org", "repo_id": "octo-repo", "build": "29679449"},
        {
            ("id",): "int",
            ("name",): "str",
            ("run_id",): "int",
            ("head_sha",): "str",
            ("head_branch",): "str",
            ("run_attempt",): "int",
            ("status",): "str",
            ("conclusion",): "str",
            ("created_at",): TIME,
            ("started_at",): TIME,
            ("completed_at",): TIME,
            ("html_url",): "str",
            ("steps",): "array",
        },
    ),
    "circleci": Spec(
        "155",
        {"project_slug": "gh/LF-Engineering/da-ds"},
        {"build": "fda08377-fe7e-46b1-8992-3a7aaecac9c3"},
        {
            ("number",): "int",
            ("name",): "str",
            ("status",): "str",
            ("created_at",): TIME,
            ("started_at",): TIME,
            ("stopped_at",): TIME,
            ("latest_workflow",): "object",
            ("latest_workflow", "id"): "str",
            ("web_url",): "str",
            ("messages",): "array",
        },
    ),
    "travis": Spec(
        "351778875",
        {},
        {"build": "351778872"},
        {
            ("id",): "int",
            ("number",): "str",
            ("name",): "str",
            ("state",): "str",
            ("build",): "object",
            ("build", "id"): "int",
            ("build", "@href"): "str",
            ("commit",): "object",
            ("commit", "sha"): "str",
            ("commit", "ref"): "str",
            ("config",): "object",
            ("created_at",): TIME,
            ("started_at",): TIME,
            ("finished_at",): TIME,
            ("updated_at",): TIME,
        },
    ),
    "bitbucket": Spec(
        "{9b079475-6fed-40bb-b591-711351c12f71}",
        {"workspace_id": "likyh", "repo": "likyhphp", "build": "{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}"},
        {"workspace_id": "likyh", "repo": "likyhphp", "build": "{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}"},
        {
            ("uuid",): "str",
            ("name",): "str",
            ("pipeline",): "object",
            ("pipeline", "uuid"): "str",
            ("state",): "object",
            ("state", "name"): "str",
            ("state", "result"): "object",
            ("state", "result", "name"): "str",
            ("run_number",): "int",
            ("started_on",): TIME,
            ("completed_on",): TIME,
        },
    ),
    "buddy": Spec(
        "1",
        {"workspace": "buddy", "project": "company-website", "workflow": "2"},
        {"workspace": "buddy", "project": "company-website", "workflow": "2"},
        {
            ("id",): "int",
            ("status",): "str",
            ("comment",): "str",
            ("start_date",): TIME,
            ("finish_date",): TIME,
            ("branch",): "object",
            ("branch", "name"): "str",
            ("to_revision",): "object",
            ("to_revision", "revision"): "str",
            ("html_url",): "str",
            ("action_executions",): "array",
        },
    ),
    "gitlab": Spec(
        "8",
        {"project": "1"},
        {"project": "1", "build": "6"},
        {
            ("id",): "int",
            ("name",): "str",
            ("status",): "str",
            ("ref",): "str",
            ("tag",): "bool",
            ("pipeline",): "object",
            ("pipeline", "id"): "int",
            ("pipeline", "sha"): "str",
            ("commit",): "object",
            ("commit", "id"): "str",
            ("created_at",): TIME,
            ("started_at",): TIME,
            ("finished_at",): TIME,
            ("web_url",): "str",
            ("failure_reason",): "str",
        },
    ),
    "buildkite": Spec(
        "b63254c0-3271-4a98-8270-7cfbd6c2f14e",
        {"organization": "my-great-org", "pipeline": "my-pipeline", "build": "1"},
        {"organization": "my-great-org", "pipeline": "my-pipeline", "build": "1"},
        {
            ("id",): "str",
            ("type",): "str",
            ("name",): "str",
            ("label",): "str",
            ("state",): "str",
            ("created_at",): TIME,
            ("started_at",): TIME,
            ("finished_at",): TIME,
            ("web_url",): "str",
            ("exit_status",): "int",
            ("soft_failed",): "bool",
            ("signal_reason",): "str",
            ("broken_reason",): "str",
        },
        picks=True,
    ),
    "jenkins": Spec(
        "14",
        {"job": "jobbb"},
        {"job": "jobbb"},
        {
            ("number",): "int",
            ("fullDisplayName",): "str",
            ("displayName",): "str",
            ("url",): "str",
            ("building",): "bool",
            ("result",): "str",
            ("timestamp",): "int",
            ("duration",): "int",
            ("actions",): "array",
        },
    ),
    "azure-devops": Spec(
        "cfa20e98-6997-523c-4233-f0a7302c929f",
        {"organization": "johndoe", "project": "test-project", "build": "12"},
        {"organization": "johndoe", "project": "test-project", "build": "12"},
        {
            ("id",): "str",
            ("type",): "str",
            ("name",): "str",
            ("state",): "str",
            ("result",): "str",
            ("attempt",): "int",
            ("startTime",): TIME,
            ("finishTime",): TIME,
            ("parentId",): "str",
            ("order",): "int",
            ("issues",): "array",
        },
        root=("records", 0),
        picks=True,
    ),
}
PROVIDERS = sorted(SPECS)
JOB_BODIES = {name: cassette_body(name, "get_job") for name in PROVIDERS}
LIST_BODIES = {name: cassette_body(name, "list_jobs") for name in PROVIDERS}

#: Values of the wrong JSON kind for each kind the mappings read.
WRONG: dict[str, list[Any]] = {
    "str": [12345, 1.5, True, [], {"a": 1}],
    "int": ["12", 1.5, True, [], {"a": 1}],
    TIME: [12345, True, "yesterday", "2020-13-45T99:00:00Z", [], {}],
    "bool": ["true", 1, [], {}],
    "object": ["x", 5, [1], True],
    "array": ["x", 5, {"a": 1}, True],
}


# --- running the pipeline ------------------------------------------------------------------


_CALLS: dict[tuple[str, str], Call] = {}


def _call(provider: str, operation: str) -> Call:
    """The call a client would send (prepared once: only the answer varies)."""
    registry().load(provider)  # each test starts with a fresh registry (conftest)
    key = (provider, operation)
    if key not in _CALLS:
        spec = SPECS[provider]
        target = resolve_target(provider, base_url="http://127.0.0.1:9")
        _CALLS[key] = (
            prepare_get(target, spec.job_id, spec.get_params)
            if operation == "get"
            else prepare_list(target, spec.list_params)[0]
        )
    return _CALLS[key]


def decode(provider: str, body: bytes) -> unci.Job:
    """``decode_job`` exactly as the clients call it."""
    return decode_job(_call(provider, "get"), Answer(200, {"content-type": "application/json"}, body))


def page(provider: str, body: bytes, headers: dict[str, str] | None = None) -> unci.Page:
    """``read_page`` exactly as the clients call it, for the first page of a listing."""
    return read_page(
        _call(provider, "list"), Answer(200, {"content-type": "application/json", **(headers or {})}, body)
    )


def assert_whole(job: Any) -> None:
    """A job unci presents is whole: an id, text where text belongs, UTC times, JSON remote data."""
    assert isinstance(job, unci.Job)
    assert isinstance(job.id, str) and job.id.strip(), job
    for name in ("name", "build", "status", "conclusion", "commit", "branch"):
        assert getattr(job, name) is None or isinstance(getattr(job, name), str), (name, job)
    assert job.attempts is None or (type(job.attempts) is int), job
    for name in ("created_at", "started_at", "completed_at", "updated_at"):
        value = getattr(job, name)
        assert value is None or (isinstance(value, datetime) and value.utcoffset() == timedelta(0)), (
            name,
            job,
        )
    assert isinstance(job.remote_data, msgspec.Raw)
    msgspec.json.decode(job.remote_data)  # the provider's object, still JSON
    msgspec.json.encode(job)  # and it renders: output must not be the first place it breaks


def outcome(provider: str, run: Callable[[], Any]) -> Any:
    """The job (or page) when the body is acceptable, ``None`` when unci refused it properly."""
    try:
        result = run()
    except unci.DecodeError as exc:
        assert exc.provider == provider, exc.message
        assert exc.message.startswith(f"{provider}: "), exc.message
        assert exc.exit_code == 9 and unci.error_envelope(exc)["statusCode"] == 502
        # The core's last resort: a bug in the plugin, with the Python exception in the message.
        assert "could not map" not in exc.message and "could not read" not in exc.message, exc.message
        return None
    except unci.NotFound as exc:
        # Only a provider that picks the job out of a parent may say "not in there".
        assert SPECS[provider].picks, exc.message
        assert exc.provider == provider and exc.message.startswith(f"{provider}: ")
        return None
    if isinstance(result, unci.Page):
        for job in result.jobs:
            assert_whole(job)
    else:
        assert_whole(result)
    return result


# --- building bodies -------------------------------------------------------------------------


#: Any JSON value: scalars of every kind (timestamps at the edges of the calendar among them),
#: arrays and objects of them.
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "2020-01-20T17:42:40Z",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "",
            "null",
            "Mystery",
        ]
    ),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=12,
)


def get_at(data: Any, path: Path) -> Any:
    for key in path:
        data = data[key]
    return data


def set_at(data: Any, path: Path, value: Any) -> Any:
    parent = get_at(data, path[:-1])
    parent[path[-1]] = value
    return data


def all_paths(data: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every key and index under ``data``, parents before children."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from all_paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield (*prefix, index)
            yield from all_paths(value, (*prefix, index))


def job_object(provider: str) -> dict[str, Any]:
    return get_at(json.loads(JOB_BODIES[provider]), SPECS[provider].root)


def with_job(provider: str, job: Any) -> bytes:
    """The sample ``get_job`` body with its job object replaced."""
    spec = SPECS[provider]
    if not spec.root:
        return json.dumps(job).encode()
    return json.dumps(set_at(json.loads(JOB_BODIES[provider]), spec.root, job)).encode()


def reads_touch(provider: str, path: Path) -> bool:
    """Whether a change at ``path`` can change what the mapping reads."""
    return any(path[: len(r)] == r or r[: len(path)] == path for r in SPECS[provider].reads)


def named(message: str, path: Path) -> bool:
    """Whether msgspec's ``- at `$.a.b``` (or a plugin's own wording) names the field."""
    last = str(path[-1])
    return bool(
        re.search(rf"`\$[^`]*\.{re.escape(last)}`", message)
        or f"'{last}'" in message
        or f"`{last}`" in message
    )


# --- the sample payloads are what the rest builds on -------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_samples_map_to_whole_jobs(provider: str) -> None:
    """Sanity for everything below: the untouched payloads are accepted."""
    job = outcome(provider, lambda: decode(provider, JOB_BODIES[provider]))
    assert job is not None and job.id
    listed = outcome(provider, lambda: page(provider, LIST_BODIES[provider]))
    assert listed is not None and listed.jobs


# --- random bodies ---------------------------------------------------------------------------
# A random body is nobody's job, so one example is tried on every provider: each provider sees
# every example, at a ninth of hypothesis's cost per example.


@FUZZ
@given(value=JSON)
def test_random_json_never_crashes(value: Any) -> None:
    body = json.dumps(value).encode()
    for provider in PROVIDERS:
        outcome(provider, lambda provider=provider: decode(provider, body))
        outcome(provider, lambda provider=provider: page(provider, body))


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes_never_crash(data: bytes) -> None:
    for provider in PROVIDERS:
        outcome(provider, lambda provider=provider: decode(provider, data))
        outcome(provider, lambda provider=provider: page(provider, data))


@FUZZ
@given(
    link=st.text(max_size=60)
    | st.sampled_from(
        [
            '<http://[::1/x>; rel="next"',
            '<http://[x?page=2>; rel="next"',
            '<>; rel="next"',
            '<https://api.example.com/x?page=%ZZ&page=>; rel="next"',
            "<?page=²>; rel=next",
        ]
    ),
    next_page=st.text(max_size=10),
)
def test_random_paging_headers_never_crash(link: str, next_page: str) -> None:
    """Link and x-next-page headers (GitHub, GitLab) are read from the answer: anything goes."""
    for provider in PROVIDERS:
        outcome(
            provider,
            lambda provider=provider: page(
                provider, LIST_BODIES[provider], {"link": link, "x-next-page": next_page}
            ),
        )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_truncation_is_refused(provider: str) -> None:
    """A body cut off anywhere is never read as a (smaller) job: always a DecodeError."""
    for body, run in ((JOB_BODIES[provider], decode), (LIST_BODIES[provider], page)):
        whole = body.rstrip()
        for end in range(1, len(whole)):  # (an empty body is Azure's "no timeline yet")
            try:
                result = run(provider, whole[:end])
            except unci.DecodeError as exc:
                assert exc.message.startswith(f"{provider}: "), exc.message
                continue
            raise AssertionError(f"{provider}: {end} of {len(whole)} bytes gave {result!r}")


# --- the fields the mapping reads ----------------------------------------------------------------


def refused(provider: str, path: Path, run: Callable[[], Any]) -> str | None:
    """``None`` when ``run`` raised a DecodeError naming the provider and ``path``; else why not."""
    try:
        result = run()
    except unci.DecodeError as exc:
        message = exc.message
        if not message.startswith(f"{provider}: ") or not named(message, path):
            return f"{path}: the error does not name the field: {message}"
        if "could not map" in message or "could not read" in message:
            return f"{path}: a plugin bug, not a decode error: {message}"
        return None
    except Exception as exc:  # noqa: BLE001 - reported as the failure it is
        return f"{path}: {type(exc).__name__}: {exc}"
    return f"{path}: accepted as {result!r}"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_read_field_of_the_wrong_type_is_named(provider: str) -> None:
    """The right id but, say, a status of the wrong type: a DecodeError naming the field, never
    a job with that field silently null."""
    problems = []
    for path, kind in SPECS[provider].reads.items():
        for value in WRONG[kind]:
            job = job_object(provider)
            if len(path) > 1 and not isinstance(job.get(path[0]), dict):
                job[path[0]] = {}  # the sample left the parent out; give it one to hold the value
            set_at(job, path, value)
            body = with_job(provider, job)
            problems.append(refused(provider, path, lambda body=body: decode(provider, body)))
    assert [p for p in problems if p] == []


def _list_items(provider: str, body: Any) -> list[Any]:
    if isinstance(body, list):
        return body
    for key in ("jobs", "items", "values", "executions", "allBuilds", "records"):
        if isinstance(body.get(key), list):
            return body[key]
    raise AssertionError(f"{provider}: no job list in the list sample")


#: List items read differently from the single job: CircleCI's list has its own shape.
LISTED_READS: dict[str, dict[Path, str]] = {
    "circleci": {
        ("id",): "str",
        ("job_number",): "int",
        ("name",): "str",
        ("status",): "str",
        ("started_at",): TIME,
        ("stopped_at",): TIME,
        ("project_slug",): "str",
    },
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_listed_job_with_a_wrong_field_is_named(provider: str) -> None:
    """The same for a job on a list page: the page is refused, the field named."""
    problems = []
    for path, kind in LISTED_READS.get(provider, SPECS[provider].reads).items():
        for value in WRONG[kind]:
            body = json.loads(LIST_BODIES[provider])
            items = _list_items(provider, body)
            item = next(i for i in items if provider != "azure-devops" or i.get("type") == "Job")
            if len(path) > 1 and not isinstance(item.get(path[0]), dict):
                item[path[0]] = {}
            set_at(item, path, value)
            raw = json.dumps(body).encode()
            problems.append(refused(provider, path, lambda raw=raw: page(provider, raw)))
    assert [p for p in problems if p] == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_empty_id_is_no_id(provider: str) -> None:
    """``"id": ""`` has the right type and is still no job: refused, on its own and in a list."""
    id_field = next(p for p in SPECS[provider].reads if p[0] in ("id", "uuid", "number"))
    job = job_object(provider)
    set_at(job, id_field, "")
    body = with_job(provider, job)
    if SPECS[provider].picks:  # found by its id, so a job with an empty one is not there at all
        with pytest.raises((unci.DecodeError, unci.NotFound)):
            decode(provider, body)
    else:
        assert refused(provider, id_field, lambda: decode(provider, body)) is None
    listed = json.loads(LIST_BODIES[provider])
    item = _list_items(provider, listed)[0]
    listed_id = "id" if provider == "circleci" else id_field[0]
    item[listed_id] = ""
    item.pop("job_number", None)  # CircleCI: a listed job is known by its number, else its id
    raw = json.dumps(listed).encode()
    assert refused(provider, (listed_id,), lambda: page(provider, raw)) is None


@functools.cache
def _sample(provider: str) -> tuple[unci.Job, list[Path], list[Path]]:
    """The sample job without its remote data, every path in its job object and every path in
    the sample list page."""
    job = msgspec.structs.replace(decode(provider, JOB_BODIES[provider]), remote_data=None)
    return job, list(all_paths(job_object(provider))), list(all_paths(json.loads(LIST_BODIES[provider])))


def _mutate(data: st.DataObject, body: Any, paths: list[Path]) -> Path:
    """Replace or drop the value at one of ``paths``; return which."""
    path = data.draw(st.sampled_from(paths), label="path")
    if data.draw(st.booleans(), label="drop"):
        del get_at(body, path[:-1])[path[-1]]
    else:
        set_at(body, path, data.draw(JSON, label="value"))
    return path


@pytest.mark.parametrize("provider", PROVIDERS)
@FUZZ
@given(data=st.data())
def test_random_values_anywhere_in_a_job_or_a_page(provider: str, data: st.DataObject) -> None:
    """Replace or drop any value of the job object, and of the list page; a value the mapping
    does not read changes nothing but ``remote_data``."""
    original, job_paths, list_paths = _sample(provider)
    job = job_object(provider)
    path = _mutate(data, job, job_paths)
    got = outcome(provider, lambda: decode(provider, with_job(provider, job)))
    if not reads_touch(provider, path):
        assert got is not None, path
        assert msgspec.structs.replace(got, remote_data=None) == original, path
    listed = json.loads(LIST_BODIES[provider])
    _mutate(data, listed, list_paths)
    outcome(provider, lambda: page(provider, json.dumps(listed).encode()))


# --- timestamps --------------------------------------------------------------------------------


def _offsets() -> st.SearchStrategy[timezone]:
    return st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-23 * 60 - 59, 23 * 60 + 59))


def _times() -> list[tuple[str, Path]]:
    return [(p, path) for p in PROVIDERS for path, kind in SPECS[p].reads.items() if kind == TIME]


@FUZZ
@given(when=st.datetimes(timezones=_offsets()), where=st.sampled_from(_times()))
def test_any_timestamp_with_an_offset_is_utc_or_named(when: datetime, where: tuple[str, Path]) -> None:
    """Whatever the offset, the job carries the same instant in UTC, or the field is named."""
    provider, path = where
    job = job_object(provider)
    set_at(job, path, when.isoformat())
    body = with_job(provider, job)
    try:
        got = decode(provider, body)
    except unci.DecodeError:
        assert refused(provider, path, lambda: decode(provider, body)) is None
        return
    assert_whole(got)
    assert any(
        when == t for t in (got.created_at, got.started_at, got.completed_at, got.updated_at) if t is not None
    )


@pytest.mark.parametrize("provider", sorted({p for p, _ in _times()}))
def test_timestamps_without_a_utc_form_are_named(provider: str) -> None:
    """Valid RFC 3339 at the calendar's edges, which no UTC ``datetime`` can hold."""
    problems = []
    for path, kind in SPECS[provider].reads.items():
        for edge in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:30") if kind == TIME else ():
            job = job_object(provider)
            set_at(job, path, edge)
            body = with_job(provider, job)
            problems.append(refused(provider, path, lambda body=body: decode(provider, body)))
            try:
                decode(provider, body)
            except unci.DecodeError as exc:
                assert edge in exc.message  # the value too, to find it in the raw body
    assert [p for p in problems if p] == []


def test_jenkins_epoch_milliseconds_out_of_range_are_named() -> None:
    problems = []
    for name, value in [
        ("timestamp", 10**20),
        ("timestamp", -(10**20)),
        ("duration", 10**20),
        ("timestamp", 10**400),
    ]:
        job = job_object("jenkins")
        job[name] = value
        body = with_job("jenkins", job)
        problems.append(refused("jenkins", (name,), lambda body=body: decode("jenkins", body)))
    assert [p for p in problems if p] == []


# --- sizes and depths ------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_huge_strings_are_kept_whole(provider: str) -> None:
    """Half a megabyte in a text field and in a field nobody reads: accepted, nothing cut."""
    job = job_object(provider)
    text_field = next(n for n in ("name", "fullDisplayName", "comment") if (n,) in SPECS[provider].reads)
    huge = "é" * 250_000
    job[text_field] = huge
    job["unci_fuzz_padding"] = huge
    got = outcome(provider, lambda: decode(provider, with_job(provider, job)))
    assert got is not None and got.name == huge


@pytest.mark.parametrize("provider", PROVIDERS)
def test_deep_nesting_is_refused_or_read(provider: str) -> None:
    """Arrays nested thousands deep, where nobody reads and as the whole body: Python's stack
    is not the limit a provider's body may reach."""
    for depth in (50, 5_000, 200_000):
        nested = b"[" * depth + b"]" * depth
        body = with_job(provider, {**job_object(provider), "unci_fuzz_deep": None}).replace(
            b'"unci_fuzz_deep": null', b'"unci_fuzz_deep": ' + nested
        )
        got = outcome(provider, lambda body=body: decode(provider, body))
        if depth <= 50:
            assert got is not None  # shallow nesting in an unread field is just data
        for whole in (nested, b'{"a":' * depth + b"1" + b"}" * depth):
            outcome(provider, lambda whole=whole: decode(provider, whole))
            outcome(provider, lambda whole=whole: page(provider, whole))


# --- what a user runs ------------------------------------------------------------------------

#: Where each provider's list answer says where the next page is, made unusable.
BAD_NEXT: dict[str, tuple[Path | None, Any, dict[str, str]]] = {
    "github": (None, None, {"Link": '<http://[::1/x?page=2>; rel="next"'}),
    "gitlab": (None, None, {"Link": '<http://[::1/x?page=2>; rel="next"'}),
    "bitbucket": (("next",), "http://[::1/x?page=2", {}),
    "buildkite": (("links", "next"), "http://[::1/x?after=2", {}),
    "travis": (("@pagination", "next"), {"@href": "http://[::1/x?offset=\u00b2&limit=\u00b2"}, {}),
    "circleci": (("next_page_token",), "]%[\u00b2", {}),
}


@pytest.mark.parametrize("provider", sorted(BAD_NEXT))
def test_a_broken_next_link_is_an_error_not_a_crash(server, provider: str) -> None:
    """``jobs list --all`` against an answer whose next-page link is not a URL."""
    from helpers import run_cli
    from localserver import Reply

    path, value, headers = BAD_NEXT[provider]
    body = json.loads(LIST_BODIES[provider])
    if path is not None:
        set_at(body, path, value)
    target = resolve_target(provider, base_url=server.url)
    call, _ = prepare_list(target, SPECS[provider].list_params)
    first = call.url[len(server.url) :]
    server.route(
        first, Reply(body=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers})
    )
    args = [a for k, v in SPECS[provider].list_params.items() for a in ("-p", f"{k}={v}")]
    result = run_cli(
        "jobs", "list", "-P", provider, *args, "--base-url", server.url, "--all", "--retries", "0"
    )
    assert "internal error" not in result.stderr and "Traceback" not in result.output
    assert "could not read" not in result.stderr, result.stderr  # a plugin bug, caught late
    assert result.exit_code in (0, 9), result.stderr
    if result.exit_code:
        assert result.stderr.startswith(f"unci: error: {provider}: "), result.stderr


@pytest.mark.parametrize("body", [b"", b"<html>", b"[]", b'{"login": 5}', b"[" * 5000])
def test_a_broken_identity_answer_is_a_decode_error(server, body: bytes) -> None:
    """``accounts test`` reads the provider's /user answer: the same rule holds there."""
    from helpers import run_cli
    from localserver import Reply

    server.route("/user", Reply(body=body))
    added = run_cli(
        "accounts", "add", "gh", "-P", "github", "--token-env", "GH_CANARY", "--base-url", server.url
    )
    assert added.exit_code == 0, added.stderr
    result = run_cli("accounts", "test", "gh", env={"GH_CANARY": "t0ken"})
    assert result.exit_code == 9, result.stderr
    assert result.stderr.startswith("unci: error: github: the response body is not the identity JSON")
