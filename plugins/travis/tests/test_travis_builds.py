"""Travis CI builds as unified Builds (docs/mapping.md revision 2), through the public API."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import unci
from helpers import cassette_body, with_fields
from unci.plugins import registry

BUILD = cassette_body("travis", "get_build")
REPO = {"repo": "danielpclark/trav3"}


def build(payload: bytes) -> unci.Build:
    return registry().load("travis").map_build(payload, "", {})


def test_fields_of_a_real_build() -> None:
    b = build(BUILD)
    assert (b.id, b.number, b.repo) == ("351778872", "6", "danielpclark/trav3")
    assert (b.status, b.conclusion) == ("in_progress", None)  # state "started"
    assert (b.trigger, b.triggered_by, b.triggered_by_type) == ("push", "danielpclark", "user")
    assert b.commit == "784bf4de64ac4bdf7afadbc63927d421703d6fe3" and b.branch == "master"
    assert b.started_at == datetime(2019, 1, 11, 21, 14, 15, tzinfo=timezone.utc)
    assert b.completed_at is None
    assert b.updated_at == datetime(2019, 1, 11, 21, 14, 15, 245000, tzinfo=timezone.utc)
    # Travis builds carry no created_at, name, workflow, attempts or web URL.
    assert b.created_at is None and b.name is None and b.attempts is None and b.url is None


@pytest.mark.parametrize(
    ("state", "status", "conclusion"),
    [
        ("created", "queued", None),
        ("received", "queued", None),
        ("started", "in_progress", None),
        ("passed", "completed", "passed"),
        ("failed", "completed", "failed"),
        ("errored", "completed", "failed"),
        ("canceled", "completed", "cancelled"),
        ("booting", "booting", "booting"),
    ],
)
def test_state_rows(state: str, status: str, conclusion: str | None) -> None:
    b = build(with_fields(BUILD, state=state))
    assert (b.status, b.conclusion) == (status, conclusion)


@pytest.mark.parametrize(
    ("event", "trigger"),
    [("push", "push"), ("pull_request", "merge_request"), ("cron", "cron"), ("api", "api"), ("x", "x")],
)
def test_trigger_rows(event: str, trigger: str) -> None:
    assert build(with_fields(BUILD, event_type=event)).trigger == trigger


def test_created_by_may_be_null_or_an_organization() -> None:
    b = build(with_fields(BUILD, created_by=None))
    assert b.triggered_by is None and b.triggered_by_type is None
    org = {"@type": "organization", "login": "travis-ci"}
    assert build(with_fields(BUILD, created_by=org)).triggered_by_type == "organization"


def test_pull_request_and_tag_builds_have_no_branch() -> None:
    pr = with_fields(BUILD, event_type="pull_request", commit={"sha": "ef77", "ref": "refs/pull/3/merge"})
    assert build(pr).branch is None  # Travis's branch.name is the target branch
    tag = with_fields(
        BUILD,
        tag={"name": "v0.1.1"},
        branch={"name": "v0.1.1"},
        commit={"sha": "a", "ref": "refs/tags/v0.1.1"},
    )
    assert build(tag).branch is None
    cron = with_fields(BUILD, event_type="cron", commit={"sha": "a", "ref": None})
    assert build(cron).branch == "master"  # no ref: the build's branch


def test_absent_keys_are_null() -> None:
    b = build(b'{"id": 7}')
    assert b.id == "7" and b.status is None and b.commit is None and b.started_at is None


@pytest.mark.vcr("travis/cassettes/get_build.yaml")
def test_get_build_through_the_api() -> None:
    b = unci.get_build("travis", "351778872")
    assert b.provider == "travis" and b.number == "6" and b.status == "in_progress"


@pytest.mark.vcr("travis/cassettes/list_builds.yaml")
def test_list_builds_pages_with_limit_and_offset() -> None:
    page = unci.list_builds("travis", params=REPO, limit=25)
    assert len(page.result) == 25 and page.result[0].number == "41" and page.next_cursor
    rest = unci.list_builds("travis", params=REPO, limit=25, cursor=page.next_cursor)
    assert [b.number for b in rest.result][-1] == "1" and rest.next_cursor is None


@pytest.mark.vcr("travis/cassettes/list_builds.yaml")
def test_iter_builds_reads_every_page_newest_first() -> None:
    builds = list(unci.iter_builds("travis", params=REPO))
    assert len(builds) == 41 and [b.number for b in builds[:3]] == ["41", "40", "39"]
    tags = [b for b in builds if b.remote()["tag"] is not None]
    assert tags and all(b.branch is None for b in tags)
    assert {b.conclusion for b in builds} == {"passed", "failed"}  # errored is failed


@pytest.mark.vcr("travis/cassettes/list_builds.yaml")
def test_since_stops_at_the_first_page_wholly_before_it() -> None:
    # Build 6 was restarted in January 2019, so page 2 is not wholly before the window: it is
    # read, and build 6 is the one it gives.
    page = unci.list_builds("travis", params=REPO, since="2019-01-11T21:00:00Z")
    assert [b.number for b in page.result] == ["41", "40", "39", "38", "37", "36", "35"]
    assert page.next_cursor
    more = unci.list_builds("travis", params=REPO, cursor=page.next_cursor)
    assert [b.number for b in more.result] == ["6"] and more.next_cursor is None


@pytest.mark.vcr("travis/cassettes/list_builds_filtered.yaml")
def test_branch_and_state_are_sent_and_filtered_again() -> None:
    page = unci.list_builds("travis", params=REPO, branch="master", conclusion="passed")
    numbers = [b.number for b in page.result]
    assert numbers == ["15", "12", "9", "8", "6", "4", "3", "1"]
    assert all(b.branch == "master" and b.conclusion == "passed" for b in page.result)


def test_failed_is_not_sent_as_a_state_since_errored_is_failed_too() -> None:
    travis = registry().load("travis")
    request = travis.build_builds_request(REPO, unci.BuildQuery(conclusion="failed"), None)
    assert request.path == "/repo/danielpclark%2Ftrav3/builds" and request.query == []
    started = travis.build_builds_request(REPO, unci.BuildQuery(status="in_progress"), 500)
    assert started.query == [("state", "started"), ("limit", "100")]
