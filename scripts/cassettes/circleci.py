"""CircleCI cassettes, from shared/reference/providers/circleci (see _lib.py for the method)."""

from _lib import interaction, reference, write

API = "https://circleci.com/api/v2"
SLUG = "gh/CircleCI-Public/api-preview-docs"
# "123" is the spec's example job-number; the docs example body itself says number 0.
JOB = f"{API}/project/{SLUG}/job/123"
WORKFLOW = "fda08377-fe7e-46b1-8992-3a7aaecac9c3"  # ours: the real list body names no workflow
TOKEN = "AARLwwV4dGVzdC1wYWdlLTI"  # ours: an opaque page token in CircleCI's style

JOB_BODY = reference("circleci", "job.json")
LIST_BODY = reference("circleci", "list.json")
assert '"next_page_token" : null,\n' in LIST_BODY

write(
    "circleci",
    "get_job",
    "Body: the official 'Get job details' example from CircleCI's API developer's guide\n"
    "(reference job.json), verbatim: illustrative values ('string' placeholders, number 0,\n"
    "status null), two leading spaces kept.",
    [interaction(JOB, JOB_BODY)],
)
write(
    "circleci",
    "get_job_server",
    "Body: the official job details example (reference job.json), served from a CircleCI\n"
    "server API root (https://circleci.example.com/api/v2).",
    [interaction(f"https://circleci.example.com/api/v2/project/{SLUG}/job/123", JOB_BODY)],
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
