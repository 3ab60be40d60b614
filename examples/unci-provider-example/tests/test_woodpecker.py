"""The Woodpecker provider's tests: unci's conformance kit, then what is Woodpecker's own.

Run them with ``pip install -e '.[test]'`` and ``pytest``. Nothing here touches the network:
the kit replays the cassettes, and the rest maps their bodies.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import unci
from unci.testing import Cassette, ProviderConformance, Sample

HERE = Path(__file__).parent
PIPELINE = HERE / "cassettes" / "get_job.yaml"


def pipeline_body() -> bytes:
    """The pipeline body of the get_job cassette (the kit reads cassettes the same way)."""
    import yaml

    data = yaml.safe_load(PIPELINE.read_text())
    return data["interactions"][0]["response"]["body"]["string"].encode()


def with_pipeline(**changes: object) -> bytes:
    data = json.loads(pipeline_body())
    data.update(changes)
    return json.dumps(data).encode()


class TestWoodpecker(ProviderConformance):
    """Every standard check of unci's kit, against the installed plugin."""

    provider = "woodpecker"
    distribution = "unci-woodpecker"
    params = {"repo_id": "1", "build": "8"}
    job_id = "6"  # the failed `lint` step of the `lint` workflow
    cassettes = [
        "cassettes/get_job.yaml",
        "cassettes/unauthorized.yaml",
        Cassette("cassettes/not_found.yaml", params={"repo_id": "1", "build": "99"}),
        Cassette("cassettes/get_job.yaml", job_id="1"),
    ]  # a workflow, not a step
    list_cassettes = ["cassettes/get_job.yaml"]  # listing reads the same pipeline
    samples = [
        Sample(
            with_pipeline(event="pull_request", branch="main", refspec="fix-lint:main"),
            name="pull request pipeline (constructed from get_job)",
        )
    ]


@pytest.fixture
def woodpecker(unci_registry):
    """The plugin loaded through its entry point into a registry of the test's own."""
    unci_registry.load("woodpecker")
    return unci_registry


def map_job(reg, payload: bytes, job_id: str) -> unci.Job:
    """Call the provider object's hook directly, as the core does."""
    return reg.load("woodpecker").map_job(payload, job_id, {"repo_id": "1", "build": "8"})


@pytest.mark.parametrize(
    ("state", "status", "conclusion"),
    [
        ("created", "queued", None),
        ("pending", "queued", None),
        ("blocked", "queued", None),
        ("running", "in_progress", None),
        ("success", "completed", "passed"),
        ("failure", "completed", "failed"),
        ("error", "completed", "failed"),
        ("killed", "completed", "cancelled"),
        ("canceled", "completed", "cancelled"),
        ("skipped", "completed", "skipped"),
        ("declined", "completed", "declined"),
        ("Mystery", "Mystery", None),
    ],
)
def test_state_rows(woodpecker, state: str, status: str, conclusion: str | None) -> None:
    payload = pipeline_body().replace(
        b'"name":"lint","state":"failure"', f'"name":"lint","state":"{state}"'.encode()
    )
    job = map_job(woodpecker, payload, "6")
    assert (job.status, job.conclusion) == (status, conclusion)


def test_a_step_is_picked_out_of_its_pipeline(woodpecker) -> None:
    job = map_job(woodpecker, pipeline_body(), "6")
    assert (job.id, job.name, job.build) == ("6", "lint", "8")
    assert job.commit == "3f6c2b9e8d1a4c7f0e5b2a9d8c7e6f5a4b3c2d1e" and job.branch == "main"
    assert job.started_at.isoformat() == "2025-01-01T12:00:11+00:00"
    assert job.completed_at.isoformat() == "2025-01-01T12:02:50+00:00"
    assert json.loads(bytes(job.remote_data))["uuid"] == "c3e8b1f7-9d4a-4f2e-a5b6-7e1d0c9b8a43"


def test_a_workflow_is_a_job_too_and_unstarted_steps_have_no_times(woodpecker) -> None:
    workflow = map_job(woodpecker, pipeline_body(), "4")
    assert (workflow.name, workflow.conclusion) == ("lint", "failed")
    assert len(json.loads(bytes(workflow.remote_data))["children"]) == 3
    skipped = map_job(woodpecker, pipeline_body(), "7")
    assert skipped.conclusion == "skipped" and skipped.started_at is None


def test_an_unknown_step_names_the_ones_there_are(woodpecker) -> None:
    with pytest.raises(unci.NotFound) as info:
        map_job(woodpecker, pipeline_body(), "42")
    assert "pipeline 8 of repository 1 has no step 42" in str(info.value)
    assert "6 (lint)" in str(info.value)


def test_names_where_numbers_belong_are_refused_with_a_hint(woodpecker) -> None:
    from unci.call import prepare_get, resolve_target

    target = resolve_target("woodpecker", reg=woodpecker, environ={})
    with pytest.raises(unci.InvalidParam, match="GET /api/repos/lookup/"):
        prepare_get(target, "6", {"repo_id": "octocat/hello-world", "build": "8"}, reg=woodpecker)
    call = prepare_get(target, "6", {"repo_id": "1", "build": "latest"}, reg=woodpecker)
    assert call.url == "https://ci.codeberg.org/api/repos/1/pipelines/latest"


def test_pull_request_branch_is_the_head_branch(woodpecker) -> None:
    payload = with_pipeline(event="pull_request", branch="main", refspec="fix-lint:main")
    assert map_job(woodpecker, payload, "6").branch == "fix-lint"
    assert map_job(woodpecker, with_pipeline(event="tag", branch=""), "6").branch is None
