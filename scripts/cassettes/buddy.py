"""Buddy cassettes, from the real example bodies of buddy and Buddy's API reference pages.

No recorded Buddy API response exists in public, and the reference job.json
is an *action* execution, while unci's Buddy job is a pipeline *execution* (Truto's params address
one). So the execution bodies are constructed from the sample response of Buddy's 'Get pipeline
execution' page, copied as published up to where every stored copy of the page is cut off
(inside ``to_revision.author``): the fields after ``to_revision.committer`` are left out rather
than invented. Response headers are the ones the sample shows.
"""

import json

from _lib import interaction, reference, write

API = "https://api.buddy.works"
PIPELINE = "/workspaces/buddy/projects/company-website/pipelines/2/executions"
RATE = {"X-Rate-Limit-Limit": "1", "X-Rate-Limit-Remaining": "999"}

# https://buddy.works/docs/api/pipelines/executions/get (and .../docs/api/runs/get), as far as
# the stored copies go.
EXECUTION = """{
  "url": "https://api.buddy.works/workspaces/buddy/projects/company-website/pipelines/2/executions/1",
  "html_url": "https://app.buddy.works/buddy/company-website/pipelines/pipeline/2/execution/56fa374a99f1e10c105fb382",
  "id": 1,
  "start_date": "2016-03-29T08:05:30.33Z",
  "finish_date": "2016-03-29T08:05:32.623Z",
  "triggeredOn": "CLICK",
  "priority": "NORMAL",
  "refresh": false,
  "status": "SUCCESSFUL",
  "comment": "hotfix",
  "branch": {
    "url": "https://api.buddy.works/workspaces/buddy/projects/company-website/repository/branches/master",
    "html_url": "https://app.buddy.works/buddy/company-website/repository/branch/master",
    "name": "master",
    "default": true
  },
  "to_revision": {
    "url": "https://api.buddy.works/workspaces/buddy/projects/company-website/repository/commits/506a3963507943d6908154f4bc9646e829128a08",
    "html_url": "https://app.buddy.works/buddy/company-website/repository/commit/506a3963507943d6908154f4bc9646e829128a08",
    "revision": "506a3963507943d6908154f4bc9646e829128a08",
    "author_date": "2016-01-19T12:36:33Z",
    "commit_date": "2016-01-19T12:36:33Z",
    "message": "init repo\\n",
    "committer": {
      "url": "https://api.buddy.works/workspaces/buddy/member/1",
      "html_url": "https://app.buddy.works/buddy/profile/1",
      "id": 1,
      "name": "Mike Benson",
      "avatar_url": "https://app.buddy.works/image-server/user/0/0/0/0/0/0/1/d643744fbe5ebf2906a4d075a5b97110/w/32/32/AVATAR.png"
    }
  }
}
"""
json.loads(EXECUTION)  # it must stay valid JSON

# https://buddy.works/docs/api/pipelines/executions/list: the list element as published up to
# where the stored copies are cut (inside to_revision, after its url); "revision" is the commit
# named by that url, as in the get sample.
SUMMARY = {
    "url": "https://api.buddy.works/workspaces/buddy/projects/company-website/pipelines/2/executions/1",
    "html_url": "https://app.buddy.works/buddy/company-website/pipelines/pipeline/2/execution/56fa2a981faaf061c7c9e0a0",
    "id": 1,
    "start_date": "2016-03-29T07:11:20.278Z",
    "finish_date": "2016-03-29T07:11:22.527Z",
    "priority": "NORMAL",
    "triggeredOn": "CLICK",
    "refresh": False,
    "status": "SUCCESSFUL",
    "comment": "",
    "branch": {
        "url": "https://api.buddy.works/workspaces/buddy/projects/company-website/repository/branches/master",
        "html_url": "https://app.buddy.works/buddy/company-website/repository/branch/master",
        "name": "master",
        "default": True,
    },
    "to_revision": {
        "url": "https://api.buddy.works/workspaces/buddy/projects/company-website/repository/commits/506a3963507943d6908154f4bc9646e829128a08",
        "revision": "506a3963507943d6908154f4bc9646e829128a08",
    },
}


def page(number: int, size: int, pages: int, executions: list) -> str:
    """The list envelope of the same page (url, page, page_size, counts, executions)."""
    total = len(executions) if pages <= 1 else pages * size
    return json.dumps({
        "url": f"{API}{PIPELINE}",
        "page": number,
        "page_size": size,
        "total_page_count": pages,
        "element_count": len(executions),
        "total_element_count": total,
        "executions": executions,
    }, indent=2)


write(
    "buddy",
    "get_job",
    "Body: constructed from the sample response of Buddy's 'Get pipeline execution' docs page,\n"
    "copied up to where its stored copies are cut (fields after to_revision.committer left out).",
    [interaction(f"{API}{PIPELINE}/1", EXECUTION, headers=RATE)],
)
write(
    "buddy",
    "get_job_eu",
    "Body: the same constructed execution as get_job.yaml, served from the EU API root\n"
    "(https://api.eu.buddy.works) that Buddy documents for eu.buddy.works accounts.",
    [interaction(f"https://api.eu.buddy.works{PIPELINE}/1", EXECUTION, headers=RATE)],
)
write(
    "buddy",
    "not_found",
    "Body: Buddy's error envelope as the official PHP SDK's test fixture has it (reference\n"
    "error.json; the format is real, the message text 'test' is the fixture's placeholder).",
    [interaction(f"{API}{PIPELINE}/999", reference("buddy", "error.json"), status=404,
                 message="Not Found", headers=RATE)],
)
write(
    "buddy",
    "bad_credentials",
    "Body: reference error.json again (real format, placeholder message), for a refused token.",
    [interaction(f"{API}{PIPELINE}/1", reference("buddy", "error.json"), status=401,
                 message="Unauthorized")],
)
write(
    "buddy",
    "api_disabled",
    "Body: constructed, Buddy's errors[] envelope holding the message its API FAQ quotes\n"
    "('API is disabled in this workspace'); the HTTP status 403 is assumed.",
    [interaction(f"{API}{PIPELINE}/1", '{"errors":[{"message":"API is disabled in this workspace"}]}',
                 status=403, message="Forbidden")],
)
write(
    "buddy",
    "list_jobs",
    "Bodies: constructed. The list envelope and its element follow the sample of Buddy's 'List\n"
    "pipeline executions' docs page as far as its stored copies go (cut inside to_revision:\n"
    "'revision' is the commit its url names). per_page=1 walks two pages; both carry the one\n"
    "documented execution, as no second one is published. per_page=100 is one page.",
    [
        interaction(f"{API}{PIPELINE}?page=1&per_page=1", page(1, 1, 2, [SUMMARY]), headers=RATE),
        interaction(f"{API}{PIPELINE}?page=2&per_page=1", page(2, 1, 2, [SUMMARY]), headers=RATE),
        interaction(f"{API}{PIPELINE}?page=1&per_page=100", page(1, 100, 1, [SUMMARY]), headers=RATE),
    ],
)
write(
    "buddy",
    "list_empty",
    "Body: constructed, the list envelope with no executions (a pipeline never run).",
    [interaction(f"{API}{PIPELINE}?page=1&per_page=100", page(1, 100, 0, []), headers=RATE)],
)

# An execution with its action executions (the steps). Constructed: the execution is the 'Get
# pipeline execution' sample above; its "action_executions" array (which that page names but
# every stored copy cuts off) holds the one action execution Buddy publishes, the 'Get details
# and logs' sample (reference job.json), without its "log" lines, which only that endpoint has.
ACTION = json.loads(reference("buddy", "job.json"))
ACTION.pop("log")
WITH_STEPS = json.dumps({**json.loads(EXECUTION), "action_executions": [ACTION]}, indent=2)
write(
    "buddy",
    "get_job_steps",
    "Body: constructed. The 'Get pipeline execution' sample of get_job.yaml with an\n"
    "action_executions array holding the one published action execution (the 'Get details and\n"
    "logs' sample, its log lines left out), since every stored copy of the execution page is\n"
    "cut before that array.",
    [interaction(f"{API}{PIPELINE}/1", WITH_STEPS, headers=RATE)],
)
