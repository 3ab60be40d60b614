"""Buildkite cassettes, from the real example bodies of buildkite (see _lib.py for the method)."""

import json

from _lib import interaction, reference, write

API = "https://api.buildkite.com/v2"
BUILD = f"{API}/organizations/my-great-org/pipelines/my-pipeline/builds/1"
JOB_ID = "b63254c0-3271-4a98-8270-7cfbd6c2f14e"
JOB = f"{BUILD}/jobs/{JOB_ID}"
# Buildkite's REST rate-limit headers, as its rate-limits page lists them (Reset: seconds).
RATE = {
    "ratelimit-scope": "rest",
    "ratelimit-limit": "200",
    "ratelimit-remaining": "199",
    "ratelimit-reset": "42",
    "ratelimit-user-scope": "rest_user",
    "ratelimit-user-limit": "50",
    "ratelimit-user-remaining": "49",
    "ratelimit-user-reset": "42",
}
# Buildkite's 401 body for a missing or invalid token, as Buildkite's own Go clients quote it.
UNAUTHORIZED = ('{"message":"Authentication required. Please supply a valid API Access Token: '
                'https://buildkite.com/docs/apis/rest-api#authentication"}')
# The 429 body of Buildkite's rate-limits page (pages/apis/rest_api/rate_limits.md), verbatim.
RATE_LIMITED = """{
  "message": "You have exceeded your API rate limit. Please wait 42 seconds before making more requests.",
  "scope": "rest_user",
  "limit": 50,
  "current": 55,
  "reset": 42
}
"""
# The official example of "Get a build" (buildkite/docs pages/apis/rest_api/builds.md at
# 35cf0294c6ea68f41d90da114120d73278f6fc0b), verbatim: build 2 with its one job embedded.
GET_BUILD = """{
  "id": "f62a1b4d-10f9-4790-bc1c-e2c3a0c80983",
  "graphql_id": "QnVpbGQtLS1mYmQ2Zjk3OS0yOTRhLTQ3ZjItOTU0Ni1lNTk0M2VlMTAwNzE=",
  "url": "https://api.buildkite.com/v2/organizations/my-great-org/pipelines/my-pipeline/builds/2",
  "web_url": "https://buildkite.com/my-great-org/my-pipeline/builds/2",
  "number": 2,
  "state": "passed",
  "cancel_reason": null,
  "blocked": false,
  "message": "Bumping to version 0.2-beta.6",
  "commit": "abcd0b72a1e580e90712cdd9eb26d3fb41cd09c8",
  "branch": "main",
  "env": { },
  "source": "webhook",
  "creator": {
    "id": "3d3c3bf0-7d58-4afe-8fe7-b3017d5504de",
    "name": "Keith Pitt",
    "email": "keith@buildkite.com",
    "avatar_url": "https://www.gravatar.com/avatar/e14f55d3f939977cecbf51b64ff6f861",
    "created_at": "2015-05-22T12:36:45.309Z"
  },
  "jobs": [
    {
      "id": "b63254c0-3271-4a98-8270-7cfbd6c2f14e",
      "graphql_id": "VXNlci0tLThmNzFlOWI1LTczMDEtNDI4ZS1hMjQ1LWUwOWI0YzI0OWRiZg==",
      "type": "script",
      "name": "RSpec",
      "step_key": "rspec",
      "group_key": "tests",
      "step": {
        "id": "018c0f56-c87c-47e9-95ee-aa47397b4496",
        "signature": {
          "value": "eyJhbGciOiJFUzI1NiIsImtpZCI6InlvdSBzbHkgZG9nISB5b3UgY2F1Z2h0IG1lIG1vbm9sb2d1aW5nISJ9..m9LBvNgbzmO5JuZ4Bwoheyn7uqLf3TN1EdFwv_l_nMT2qh0_2EVs30SAEc-Ajjkq18MQk3cgU36AodLPl3_hBg",
          "algorithm": "EdDSA",
          "signed_fields": [
            "command",
            "env",
            "matrix",
            "plugins",
            "repository_url"
          ]
        }
      },
      "agent_query_rules": ["*"],
      "state": "passed",
      "web_url": "https://buildkite.com/my-great-org/my-pipeline/builds/2#b63254c0-3271-4a98-8270-7cfbd6c2f14e",
      "log_url": "https://api.buildkite.com/v2/organizations/my-great-org/pipelines/my-pipeline/builds/2/jobs/b63254c0-3271-4a98-8270-7cfbd6c2f14e/log",
      "raw_log_url": "https://api.buildkite.com/v2/organizations/my-great-org/pipelines/my-pipeline/builds/2/jobs/b63254c0-3271-4a98-8270-7cfbd6c2f14e/log.txt",
      "command": "bundle exec rspec",
      "soft_failed": false,
      "exit_status": 0,
      "artifact_paths": "",
      "agent": {
        "id": "0b461f65-e7be-4c80-888a-ef11d81fd971",
        "graphql_id": "QWdlbnQtLS1mOTBhNzliNC01YjJlLTQzNzEtYjYxZS03OTA4ZDAyNmUyN2E=",
        "url": "https://api.buildkite.com/v2/organizations/my-great-org/agents/my-agent",
        "web_url": "https://buildkite.com/organizations/my-great-org/agents/0b461f65-e7be-4c80-888a-ef11d81fd971",
        "name": "my-agent",
        "connection_state": "connected",
        "hostname": "localhost",
        "ip_address": "144.132.19.12",
        "user_agent": "buildkite-agent/1.0.0 (linux; amd64)",
        "creator": {
          "id": "3d3c3bf0-7d58-4afe-8fe7-b3017d5504de",
          "name": "Keith Pitt",
          "email": "keith@buildkite.com",
          "avatar_url": "https://www.gravatar.com/avatar/e14f55d3f939977cecbf51b64ff6f861",
          "created_at": "2015-05-09T21:05:59.874Z"
        },
        "created_at": "2015-05-09T21:05:59.874Z"
      },
      "created_at": "2015-05-09T21:05:59.874Z",
      "scheduled_at": "2015-05-09T21:05:59.874Z",
      "runnable_at": "2015-05-09T21:06:59.874Z",
      "started_at": "2015-05-09T21:07:59.874Z",
      "finished_at": "2015-05-09T21:08:59.874Z",
      "retried": false,
      "retried_in_job_id": null,
      "retries_count": 1,
      "retry_source": {
        "job_id": "0194b92a-4d74-46bb-a1bf-61c73c5642af",
        "retry_type": "manual"
      },
      "retry_type": null,
      "parallel_group_index": null,
      "parallel_group_total": null,
      "matrix": null,
      "cluster_id": null,
      "cluster_url": null,
      "cluster_queue_id": null,
      "cluster_queue_url": null
    }
  ],
  "job_state_counts": {
    "total": 1,
    "states": {
      "passed": 1
    }
  },
  "created_at": "2015-05-09T21:05:59.874Z",
  "scheduled_at": "2015-05-09T21:05:59.874Z",
  "started_at": "2015-05-09T21:05:59.874Z",
  "failing_at": null,
  "finished_at": "2015-05-09T21:08:59.874Z",
  "meta_data": { },
  "pull_request": { },
  "merge_queue": null,
  "rebuilt_from": {
    "id": "812135b3-eee7-408c-9f63-760538b96bd5",
    "number": 1,
    "url": "https://api.buildkite.com/v2/organizations/my-great-org/pipelines/my-pipeline/builds/1"
  },
  "pipeline": {
    "id": "849411f9-9e6d-4739-a0d8-e247088e9b52",
    "graphql_id": "UGlwZWxpbmUtLS1lOTM4ZGQxYy03MDgwLTQ4ZmQtOGQyMC0yNmQ4M2E0ZjNkNDg=",
    "url": "https://api.buildkite.com/v2/organizations/my-great-org/pipelines/my-pipeline",
    "name": "Great Pipeline",
    "slug": "great-pipeline",
    "repository": "git@github.com:my-great-org/my-pipeline",
    "provider": {
      "id": "github",
      "webhook_url": "https://webhook.buildkite.com/deliver/xxx"
    },
    "skip_queued_branch_builds": false,
    "skip_queued_branch_builds_filter": null,
    "cancel_running_branch_builds": false,
    "cancel_running_branch_builds_filter": null,
    "builds_url": "https://api.buildkite.com/v2/organizations/my-great-org/pipelines/my-pipeline/builds",
    "badge_url": "https://badge.buildkite.com/58b3da999635d0ad2daae5f784e56d264343eb02526f129bfb.svg",
    "created_at": "2013-09-03 13:24:38 UTC",
    "scheduled_builds_count": 0,
    "running_builds_count": 0,
    "scheduled_jobs_count": 0,
    "running_jobs_count": 0,
    "waiting_jobs_count": 0
  }
}
"""

LIST = reference("buildkite", "list.json")
page2 = json.loads(LIST)
page2["links"] = {"self": f"{BUILD}/jobs?after=...&per_page=30"}
EMPTY = f"{API}/organizations/my-great-org/pipelines/my-pipeline/builds/3/jobs?per_page=100"

write(
    "buildkite",
    "get_job",
    "Body: the official example of 'Get a job' (reference job.json).",
    [interaction(JOB, reference("buildkite", "job.json"), headers=RATE)],
)
write(
    "buildkite",
    "not_found",
    "Body: the 404 body 'Get a job' documents (reference error.json).",
    [interaction(f"{BUILD}/jobs/00000000-0000-0000-0000-000000000000", reference("buildkite", "error.json"),
                 status=404, message="Not Found", headers=RATE)],
)
write(
    "buildkite",
    "unauthorized",
    "Body: Buildkite's 401 for a missing or invalid token, as Buildkite's own clients quote it.",
    [interaction(JOB, UNAUTHORIZED, status=401, message="Unauthorized")],
)
write(
    "buildkite",
    "rate_limited",
    "Body: the 429 example of Buildkite's rate-limits page (the per-user limit exceeded), verbatim;\n"
    "headers per the same page, with the per-user quota at 0 and its warning header.",
    [interaction(JOB, RATE_LIMITED, status=429, message="Too Many Requests",
                 headers={**RATE, "ratelimit-user-remaining": "0",
                          "ratelimit-user-warning": "You have exceeded your API rate limit."})],
)
write(
    "buildkite",
    "get_build",
    "Body: the official example of 'Get a build' (buildkite/docs builds.md), a build with its\n"
    "jobs embedded: the parent payload a plugin picks one job out of by id.",
    [interaction(f"{API}/organizations/my-great-org/pipelines/my-pipeline/builds/2", GET_BUILD,
                 headers=RATE)],
)
write(
    "buildkite",
    "list_jobs",
    "Bodies: page 1 is the official example of 'List jobs' (reference list.json; its next link\n"
    "carries the docs' placeholder cursor 'after=...'); page 2 is constructed: the same page\n"
    "with links.next removed (the last page), self pointing at it.",
    [
        interaction(f"{BUILD}/jobs?per_page=30", LIST, headers=RATE),
        interaction(f"{BUILD}/jobs?after=...&per_page=30", json.dumps(page2, indent=2) + "\n",
                    headers=RATE),
    ],
)
write(
    "buildkite",
    "list_jobs_empty",
    "Body: constructed: 'List jobs' for a build without jobs, {items: [], links: {self}}; no\n"
    "real example exists in the reference.",
    [interaction(EMPTY, json.dumps({"items": [], "links": {"self": EMPTY}}, indent=2) + "\n",
                 headers=RATE)],
)
