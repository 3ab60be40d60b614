"""CircleCI cassettes, from the real example bodies of circleci (see _lib.py for the method)."""

from _lib import interaction, reference, write

API = "https://circleci.com/api/v2"
SLUG = "gh/LF-Engineering/da-ds"
JOB = f"{API}/project/{SLUG}/job/155"
WORKFLOW = "fda08377-fe7e-46b1-8992-3a7aaecac9c3"  # ours: the real list body names no workflow
TOKEN = "AARLwwV4dGVzdC1wYWdlLTI"  # ours: an opaque page token in CircleCI's style

# A real "Get job details" answer for job 155 of gh/LF-Engineering/da-ds, as pasted in that
# repository's circlci/README.md (commit b616b610fde6fdadf9dfbcbe4221646a6536a325, lines
# 158-194), the README's list indentation removed. CircleCI's docs publish only a placeholder
# example ("string", 0) for this endpoint, which the demo used to print.
JOB_SOURCE = ("LF-Engineering/da-ds, circlci/README.md at commit\n"
              "b616b610fde6fdadf9dfbcbe4221646a6536a325 (lines 158-194): a real response of\n"
              "GET /project/github/LF-Engineering/da-ds/job/155 pasted there by its authors, the\n"
              "README's four-space list indentation removed; nothing secret in it, nothing changed.")
JOB_BODY = """{
    "web_url" : "https://circleci.com/gh/LF-Engineering/da-ds/155",
    "project" : {
        "external_url" : "https://github.com/LF-Engineering/da-ds",
        "slug" : "gh/LF-Engineering/da-ds",
        "name" : "da-ds"
    },
    "parallel_runs" : [ {
        "index" : 0,
        "status" : "success"
    } ],
    "started_at" : "2020-12-24T12:59:27.236Z",
    "latest_workflow" : {
        "name" : "workflow",
        "id" : "9552b8fe-f5b7-4f7b-92a3-8bedc0ee35ca"
    },
    "name" : "build",
    "executor" : {
        "resource_class" : "medium",
        "type" : "docker"
    },
    "parallelism" : 1,
    "status" : "success",
    "number" : 155,
    "pipeline" : {
        "id" : "98b1071e-c364-4b39-91b9-820b8588e2ae"
    },
    "duration" : 41658,
    "created_at" : "2020-12-24T12:59:24.233Z",
    "messages" : [ ],
    "contexts" : [ ],
    "organization" : {
        "name" : "LF-Engineering"
    },
    "queued_at" : "2020-12-24T12:59:24.256Z",
    "stopped_at" : "2020-12-24T13:00:08.894Z"
    }
"""
LIST_BODY = reference("circleci", "list.json")
assert '"next_page_token" : null,\n' in LIST_BODY

write(
    "circleci",
    "get_job",
    "Body: a real recorded response, from " + JOB_SOURCE,
    [interaction(JOB, JOB_BODY)],
)
write(
    "circleci",
    "get_job_server",
    "Body: the real job 155 response of get_job.yaml, served from a CircleCI server API root\n"
    "(https://circleci.example.com/api/v2, ours). Source: " + JOB_SOURCE,
    [interaction(f"https://circleci.example.com/api/v2/project/{SLUG}/job/155", JOB_BODY)],
)
write(
    "circleci",
    "not_found",
    "Body: the spec's 404 example for a project that does not exist (reference error.json).",
    [interaction(f"{API}/project/gh/acme/missing/job/1", reference("circleci", "error.json"),
                 status=404, message="Not Found")],
)
write(
    "circleci",
    "bad_credentials",
    "Body: constructed in the documented error shape {\"message\": ...} with the spec's 401\n"
    "example text 'Invalid token provided.' (no full 401 body is published).",
    [interaction(JOB, '{"message":"Invalid token provided."}', status=401, message="Unauthorized")],
)
write(
    "circleci",
    "rate_limited",
    "Body: constructed from the spec's 429_rate_limit_exceeded component (message 'Rate limit\n"
    "exceeded.'); Retry-After as the API developer's guide describes it.",
    [interaction(JOB, '{"message":"Rate limit exceeded."}', status=429, message="Too Many Requests",
                 headers={"Retry-After": "30"})],
)
write(
    "circleci",
    "list_jobs",
    "Bodies: the real 'GET /workflow/{id}/job' response pasted in LF-Engineering/da-ds\n"
    "(reference list.json), edited for paging: page 1 has next_page_token set to a token of ours;\n"
    "page 2 has the next_page_token line removed (the key ABSENT, as pycircleci#36 reports for\n"
    "real last pages). Request lines and the workflow id are ours.",
    [
        interaction(f"{API}/workflow/{WORKFLOW}/job",
                    LIST_BODY.replace('"next_page_token" : null,', f'"next_page_token" : "{TOKEN}",')),
        interaction(f"{API}/workflow/{WORKFLOW}/job?page-token={TOKEN}",
                    LIST_BODY.replace('        "next_page_token" : null,\n', "")),
    ],
)
write(
    "circleci",
    "list_jobs_one_page",
    "Body: the real 'GET /workflow/{id}/job' response (reference list.json), verbatim:\n"
    "one page, next_page_token null.",
    [interaction(f"{API}/workflow/{WORKFLOW}/job", LIST_BODY)],
)
write(
    "circleci",
    "list_empty",
    "Body: constructed in the real list shape (reference list.json) with no items: a workflow\n"
    "whose jobs have not been created yet.",
    [interaction(f"{API}/workflow/{WORKFLOW}/job", '{"next_page_token":null,"items":[]}')],
)
