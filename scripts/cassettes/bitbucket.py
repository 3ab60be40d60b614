"""Bitbucket cassettes (see _lib.py for the method).

The step bodies are real api.bitbucket.org answers recorded by Apache DevLake in its end-to-end
test data: ``backend/plugins/bitbucket/e2e/raw_tables/_raw_bitbucket_api_pipeline_steps.csv`` at
commit 269b69b0af438c88a041f9936c67f230cda6722d, rows 143-145, the three steps (Test, staging,
production) of pipeline {2d91d69f-d84b-423d-ae4d-c1d3f2c27166} of the public repository
likyh/likyhphp. DevLake stores each element of a ``GET .../steps/?fields=...`` page as one row;
the bodies below are those elements exactly as stored (its ``fields=`` filter left out links,
image and commands). Error bodies are quoted from Atlassian's own pages (each cassette names its
source); the request lines are ours.
"""

import json

from _lib import interaction, reference, write

API = "https://api.bitbucket.org/2.0"
REPO = f"{API}/repositories/likyh/likyhphp"
PIPELINE = "{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}"
STEPS = f"{REPO}/pipelines/%7B2d91d69f-d84b-423d-ae4d-c1d3f2c27166%7D/steps"
JOB = f"{STEPS}/%7B9b079475-6fed-40bb-b591-711351c12f71%7D"
SOURCE = ("apache/incubator-devlake, backend/plugins/bitbucket/e2e/raw_tables/\n"
          "_raw_bitbucket_api_pipeline_steps.csv at commit 269b69b0af438c88a041f9936c67f230cda6722d")
#: Rows 143, 144 and 145 of that file (its ``data`` column), unchanged.
STEP_BODIES = [
    '{"type": "pipeline_step", "pipeline": {"uuid": "{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}"}, '
    '"uuid": "{9b079475-6fed-40bb-b591-711351c12f71}", "name": "Test", "trigger": {"type": '
    '"pipeline_step_trigger_automatic"}, "state": {"name": "COMPLETED", "result": {"name": '
    '"SUCCESSFUL"}}, "maxTime": 120, "started_on": "2023-02-20T09:23:31.978093Z", "completed_on": '
    '"2023-02-20T09:23:36.923036Z", "duration_in_seconds": 5, "build_seconds_used": 4, '
    '"run_number": 1}',
    '{"type": "pipeline_step", "pipeline": {"uuid": "{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}"}, '
    '"uuid": "{1218e6e3-f34e-4ebc-a767-2a69285681ca}", "name": "staging", "trigger": {"type": '
    '"pipeline_step_trigger_automatic"}, "state": {"name": "COMPLETED", "result": {"name": '
    '"SUCCESSFUL"}}, "maxTime": 120, "started_on": "2023-02-20T09:23:50.41506Z", "completed_on": '
    '"2023-02-20T09:23:55.18038Z", "duration_in_seconds": 5, "build_seconds_used": 4, '
    '"run_number": 1}',
    '{"type": "pipeline_step", "pipeline": {"uuid": "{2d91d69f-d84b-423d-ae4d-c1d3f2c27166}"}, '
    '"uuid": "{74ceee44-533a-489b-8d9b-3c9c0ef57ff3}", "name": "production", "trigger": {"type": '
    '"pipeline_step_trigger_automatic"}, "state": {"name": "COMPLETED", "result": {"name": '
    '"SUCCESSFUL"}}, "maxTime": 120, "started_on": "2023-02-20T09:24:05.997267Z", "completed_on": '
    '"2023-02-20T09:24:12.269082Z", "duration_in_seconds": 6, "build_seconds_used": 6, '
    '"run_number": 1}',
]


def error(message: str, detail: str | None = None) -> str:
    body: dict = {"type": "error", "error": {"message": message}}
    if detail:
        body["error"]["detail"] = detail
    return json.dumps(body)


write(
    "bitbucket",
    "get_job",
    "Body: a real step as api.bitbucket.org answered it (step 'Test' of pipeline\n"
    "{2d91d69f-...} of likyh/likyhphp), recorded by DevLake: row 143 of " + SOURCE + ".\n"
    "DevLake's fields= filter left out links, image and commands; nothing else changed.",
    [interaction(JOB, STEP_BODIES[0])],
)
write(
    "bitbucket",
    "not_found",
    "Body: quoted from Atlassian's KB 'Pipelines API Error: The value provided is not a valid\n"
    "uuid' (a step id without its braces); the HTTP status 404 is assumed from its message.",
    [interaction(f"{STEPS}/1",
                 '{"error": {"message": "Not found", "detail": "The value provided is not a valid uuid."}}',
                 status=404, message="Not Found")],
)
write(
    "bitbucket",
    "repo_not_found",
    "Body: the 404 body an Atlassian engineer shows for an unknown or inaccessible repository\n"
    "(community.atlassian.com, 'API call to repository details fails with UUID').",
    [interaction(f"{API}/repositories/likyh/nosuchrepo/pipelines/%7B2d91d69f-d84b-423d-ae4d-c1d3f2c27166%7D/steps/%7B9b079475-6fed-40bb-b591-711351c12f71%7D",
                 error("The requested repository either does not exist or you do not have access. "
                       "If you believe this repository exists and you have access, make sure you're "
                       "authenticated."),
                 status=404, message="Not Found")],
)
write(
    "bitbucket",
    "bad_credentials",
    "Body: the 401 body api.bitbucket.org returns for a token it does not accept, as quoted on\n"
    "community.developer.atlassian.com ('API Tokens at Account Level Not Working').",
    [interaction(JOB, error("Token is invalid, expired, or not supported for this endpoint."),
                 status=401, message="Unauthorized",
                 headers={"WWW-Authenticate": "BitbucketCustom realm=Bitbucket.org HTTP"})],
)
write(
    "bitbucket",
    "bad_request",
    "Body: the 'Standardized error responses' example of the Bitbucket Cloud REST API docs\n"
    "(reference error.json), served for a step request to show message + detail.",
    [interaction(JOB, reference("bitbucket", "error.json"), status=400, message="Bad Request")],
)
write(
    "bitbucket",
    "rate_limited",
    "Body: constructed in the standard error shape; the message is the one Atlassian's KB\n"
    "'Bitbucket Cloud rate limit troubleshooting' quotes for HTTP 429.",
    [interaction(JOB, error("Rate limit for this resource has been exceeded"), status=429,
                 message="Too Many Requests")],
)

# Listing. The real page held the three steps; it is served whole for pagelen=100 in the envelope
# DevLake asked for (page, pagelen, size, values). The pagelen=1 walk puts one step on each of three
# pages with the next/previous URLs Bitbucket's pagination docs describe: envelopes constructed,
# steps real.
values = [json.loads(b) for b in STEP_BODIES]
WHOLE = {"page": 1, "pagelen": 100, "size": 3, "values": values}
PAGES = []
for number, step in enumerate(values, start=1):
    page = {"page": number, "pagelen": 1, "size": 3, "values": [step]}
    if number < len(values):
        page["next"] = f"{STEPS}?page={number + 1}&pagelen=1"
    if number > 1:
        page["previous"] = f"{STEPS}?page={number - 1}&pagelen=1"
    PAGES.append(page)
write(
    "bitbucket",
    "list_jobs",
    "Bodies: the three real steps of pipeline {2d91d69f-...} of likyh/likyhphp, rows 143-145 of\n"
    + SOURCE + ".\nThe pagelen=1 pages are constructed around them: one step a page, with the\n"
    "next/previous URLs of Bitbucket's paginated envelope. The pagelen=100 page holds all three.",
    [
        interaction(f"{STEPS}?pagelen=1", json.dumps(PAGES[0], indent=4)),
        interaction(f"{STEPS}?page=2&pagelen=1", json.dumps(PAGES[1], indent=4)),
        interaction(f"{STEPS}?page=3&pagelen=1", json.dumps(PAGES[2], indent=4)),
        interaction(f"{STEPS}?pagelen=100", json.dumps(WHOLE, indent=4)),
    ],
)
write(
    "bitbucket",
    "list_empty",
    "Body: constructed, Bitbucket's paginated envelope with no values (a pipeline without steps).",
    [interaction(f"{STEPS}?pagelen=100", '{"page": 1, "pagelen": 100, "size": 0, "values": []}')],
)
