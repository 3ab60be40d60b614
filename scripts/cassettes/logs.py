"""Write the job-log cassettes of every provider: ``plugins/<p>/cassettes/log*.yaml``.

Log bodies are constructed (a few lines in the form each provider documents: plain text with the
provider's own markers, Buddy's ``log`` array, CircleCI's output messages), except Buddy's
action log, which is the example of Buddy's "Get details and logs" reference page as published;
Buddy's paged logs are built from the fields its "Get action execution logs" page lists.
The index bodies (Azure DevOps' timeline, CircleCI's v1.1 build, Buddy's execution) carry only
the fields the log hooks read, named as the providers' references name them.

    python scripts/cassettes/logs.py
"""

from __future__ import annotations

import json

from functools import partial

from _lib import interaction
from _lib import write as _write

write = partial(_write, script="logs")

TEXT = {"Content-Type": "text/plain; charset=utf-8"}

write(
    "github",
    "log",
    "Constructed: GitHub's GET /repos/{owner}/{repo}/actions/jobs/{id}/logs answers 302 to a\n"
    "short-lived storage URL (docs.github.com, 'Download job logs for a workflow run'); the log\n"
    "is plain text, each line prefixed with its timestamp, as GitHub writes it.",
    [
        interaction(
            "https://api.github.com/repos/octo-org/octo-repo/actions/jobs/399444496/logs",
            "",
            status=302,
            message="Found",
            headers={
                "Location": "https://productionresultssa0.blob.core.windows.net/actions-results/"
                "a1/logs/job/job-logs.txt?rsct=text%2Fplain&se=2026-12-01T00%3A01%3A00Z&sig=REDACTED"
            },
        ),
        interaction(
            "https://productionresultssa0.blob.core.windows.net/actions-results/a1/logs/job/"
            "job-logs.txt?rsct=text%2Fplain&se=2026-12-01T00%3A01%3A00Z&sig=REDACTED",
            "2026-12-01T00:00:01.0000000Z ##[group]Run actions/checkout@v4\n"
            "2026-12-01T00:00:02.0000000Z \x1b[36;1mgit version\x1b[0m\n"
            "2026-12-01T00:00:03.0000000Z ##[endgroup]\n",
            headers=TEXT,
        ),
    ],
)
write(
    "gitlab",
    "log",
    "Constructed: GET /projects/:id/jobs/:job_id/trace answers the job log as plain text, with\n"
    "GitLab's section markers and colour escapes as the runner writes them.",
    [
        interaction(
            "https://gitlab.com/api/v4/projects/group%2Fapp/jobs/8/trace",
            "\x1b[0KRunning with gitlab-runner 17.5.0\n"
            "section_start:1733011200:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting \"step_script\" stage\x1b[0;m\n"
            "\x1b[32;1m$ make test\x1b[0;m\nok\n"
            "section_end:1733011260:step_script\r\x1b[0K\x1b[32;1mJob succeeded\x1b[0;m\n",
            headers=TEXT,
        )
    ],
)
write(
    "buildkite",
    "log",
    "Constructed: a job's raw_log_url (.../jobs/{id}/log.txt) answers its output as plain text;\n"
    "'~~~' and '---' open the groups Buildkite's agent prints.",
    [
        interaction(
            "https://api.buildkite.com/v2/organizations/my-great-org/pipelines/my-pipeline/builds/1/"
            "jobs/b63254c0-3271-4a98-8270-7cfbd6c2f14e/log.txt",
            "~~~ Preparing working directory\n--- :hammer: Running tests\n$ make test\nok\n",
            headers=TEXT,
        )
    ],
)
write(
    "travis",
    "log",
    "Constructed: GET /job/{id}/log.txt answers the job log as plain text, as Travis prints it.",
    [
        interaction(
            "https://api.travis-ci.com/job/4711/log.txt",
            "Worker information\n$ make test\nok\n\nDone. Your build exited with 0.\n",
            headers=TEXT,
        )
    ],
)
write(
    "bitbucket",
    "log",
    "Constructed: GET .../steps/{step_uuid}/log answers 307 to a pre-signed storage URL once the\n"
    "step has ended (Bitbucket's API reference, 'Get log file for a step'); the log is plain text.",
    [
        interaction(
            "https://api.bitbucket.org/2.0/repositories/acme/app/pipelines/%7Bp-1%7D/steps/%7Bs-1%7D/log",
            "",
            status=307,
            message="Temporary Redirect",
            headers={
                "Location": "https://bbuseruploads.s3.amazonaws.com/logs/s-1.txt?"
                "X-Amz-Expires=30&X-Amz-Signature=REDACTED"
            },
        ),
        interaction(
            "https://bbuseruploads.s3.amazonaws.com/logs/s-1.txt?X-Amz-Expires=30&X-Amz-Signature=REDACTED",
            "+ umask 000\n+ npm test\n\n  12 passing (40ms)\n",
            headers={"Content-Type": "application/octet-stream"},
        ),
    ],
)
JOB = "096e11e7-c8bb-5a90-1a73-4e639c9ea0f9"
TIMELINE = {
    "records": [
        {"id": JOB, "parentId": None, "type": "Job", "name": "Build", "state": "completed",
         "result": "failed", "order": 1, "log": {"id": 3}},
        {"id": "5e6d5dbf-ac69-5f56-8b85-8e9038703a8b", "parentId": JOB, "type": "Task",
         "name": "Invoke REST API", "state": "completed", "result": "succeeded", "order": 1,
         "log": {"id": 4}},
        {"id": "6f7e6ec0-bd7a-6a67-9c96-9f0149814b9c", "parentId": JOB, "type": "Task",
         "name": "Run tests", "state": "completed", "result": "failed", "order": 2, "log": {"id": 5}},
    ],
    "count": 3,
}
BASE = "https://dev.azure.com/fabrikam/web/_apis/build/builds/12"
write(
    "azure-devops",
    "log",
    "Constructed: the timeline's Task records (fields as in the Timeline - Get reference) point\n"
    "at their logs, GET _apis/build/builds/{id}/logs/{logId}, plain text lines with timestamps.",
    [
        interaction(f"{BASE}/timeline?api-version=7.1", json.dumps(TIMELINE, indent=2)),
        interaction(
            f"{BASE}/logs/4?api-version=7.1",
            "2022-12-02T09:33:15.1Z ##[section]Starting: Invoke REST API\n"
            "2022-12-02T09:37:37.8Z ##[section]Finishing: Invoke REST API\n",
            headers=TEXT,
        ),
        interaction(
            f"{BASE}/logs/5?api-version=7.1",
            "2022-12-02T09:37:38.0Z ##[section]Starting: Run tests\n"
            "2022-12-02T09:38:01.2Z ##[error]Bash exited with code '1'.\n",
            headers=TEXT,
        ),
    ],
)
OUT = "https://circle-production-action-output.s3.amazonaws.com/abc"
V1 = {
    "build_num": 42,
    "steps": [
        {"name": "Spin up environment", "actions": [
            {"name": "Spin up environment", "status": "success", "index": 0, "step": 0,
             "has_output": True, "output_url": f"{OUT}/0-0?X-Amz-Signature=REDACTED"}]},
        {"name": "make test", "actions": [
            {"name": "make test", "status": "failed", "failed": True, "index": 0, "step": 101,
             "has_output": True, "output_url": f"{OUT}/101-0?X-Amz-Signature=REDACTED"}]},
    ],
}
write(
    "circleci",
    "log",
    "Constructed: API v1.1's GET /project/:vcs-type/:username/:project/:build_num lists each\n"
    "step's actions with an output_url (CircleCI API v1.1 reference, 'Single Job'); each\n"
    "output_url answers a JSON array of {message, type, time}.",
    [
        interaction("https://circleci.com/api/v1.1/project/github/acme/app/42", json.dumps(V1, indent=2)),
        interaction(
            f"{OUT}/0-0?X-Amz-Signature=REDACTED",
            json.dumps([{"message": "Build-agent version 1.0.0\r\n", "time": "2026-12-01T00:00:00Z", "type": "out"}]),
        ),
        interaction(
            f"{OUT}/101-0?X-Amz-Signature=REDACTED",
            json.dumps([
                {"message": "FAIL: test_login\r\n", "time": "2026-12-01T00:00:05Z", "type": "out"},
                {"message": "Exited with code exit status 1\r\n", "time": "2026-12-01T00:00:06Z", "type": "err"},
            ]),
        ),
    ],
)
EXEC = "https://api.buddy.works/workspaces/buddy/projects/company-website/pipelines/2/executions/1"
# Buddy's "Get details and logs" sample response, as its reference page renders it.
ACTION = """{
  "status": "SUCCESSFUL",
  "progress": 100,
  "action": {
  "url": "https://api.buddy.works/workspaces/buddy/projects/company-website/pipelines/2/actions/2",
  "html_url": "https://app.buddy.works/buddy/company-website/pipelines/action/2/edit",
  "id": 2,
  "name": "Build application",
  "type": "BUILD",
  "trigger_time": "ON_EVERY_EXECUTION",
    "last_execution_status": "SUCCESSFUL",
    "disabled": false
  },
  "start_date": "2016-03-29T08:05:30.33Z",
  "finish_date": "2016-03-29T08:05:32.623Z",
  "log": [
    "Pulling image library/ubuntu:latest",
    "Executing command: echo 'Hello world!'",
    "'Hello world!'",
    "Build finished successfully!"
  ]
}
"""
write(
    "buddy",
    "log",
    "The action execution body is Buddy's 'Get details and logs' example (buddy.works/docs/api/\n"
    "pipelines/executions/get-details-and-logs) as published, its trailing spaces trimmed; the\n"
    "execution that lists it is constructed with the fields the log hooks read.",
    [
        interaction(
            EXEC,
            json.dumps({"id": 1, "status": "SUCCESSFUL", "action_executions": [
                {"status": "SUCCESSFUL", "action": {"id": 2, "name": "Build application"}}]}, indent=2),
        ),
        interaction(f"{EXEC}/action/2", ACTION),
    ],
)
# Buddy's "Get action execution logs" (buddy.works/docs/api/executions/get-action-execution-logs)
# documents the fields of its answer but shows no example: these pages are built from that
# list (url, html_url, offset, element_count, total_element_count, logs), 1,003 lines in two.
LOGS = f"{EXEC}/action_executions/68e49e0e0875a8847e0980da/logs"
LINES = [f"step {n}: ok" for n in range(1, 1004)]


def _page(offset: int, lines: list[str]) -> str:
    return json.dumps({
        "url": f"{LOGS}?offset={offset}&limit=1000",
        "html_url": "https://app.buddy.works/buddy/company-website/pipelines/pipeline/2/execution/1",
        "offset": offset,
        "element_count": len(lines),
        "total_element_count": len(LINES),
        "logs": lines,
    }, indent=2)


write(
    "buddy",
    "log_pages",
    "Buddy's 'Get action execution logs' (buddy.works/docs/api/executions/get-action-execution-\n"
    "logs) lists the fields of its answer but gives no example: the two pages here are built from\n"
    "that list, 1,003 lines at most 1,000 a page; the execution that lists the action execution\n"
    "is constructed with the fields the log hooks read.",
    [
        interaction(
            EXEC,
            json.dumps({"id": 1, "status": "FAILED", "action_executions": [
                {"status": "FAILED", "action_execution_id": "68e49e0e0875a8847e0980da",
                 "action": {"id": 2, "name": "Build application"}}]}, indent=2),
        ),
        interaction(f"{LOGS}?offset=0&limit=1000", _page(0, LINES[:1000])),
        interaction(f"{LOGS}?offset=1000&limit=1000", _page(1000, LINES[1000:])),
    ],
)
