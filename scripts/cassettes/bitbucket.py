"""Bitbucket cassettes, from shared/reference/providers/bitbucket (see _lib.py for the method).

The step bodies are the atlassian-python-api recordings of api.bitbucket.org (reference job.json,
list.json), byte for byte where a cassette serves them whole. Error bodies are quoted from
Atlassian's own pages (each cassette names its source); the request lines are ours.
"""

import json

from _lib import interaction, reference, write

API = "https://api.bitbucket.org/2.0"
REPO = f"{API}/repositories/TestWorkspace1/testrepository1"
STEPS = f"{REPO}/pipelines/%7BPipelineUuid%7D/steps"
JOB = f"{STEPS}/%7BPipelineStep1Uuid%7D"


def error(message: str, detail: str | None = None) -> str:
    body: dict = {"type": "error", "error": {"message": message}}
    if detail:
        body["error"]["detail"] = detail
    return json.dumps(body)


write(
    "bitbucket",
    "get_job",
    "Body: atlassian-python-api's recording of 'Get a step of a pipeline' (reference job.json).",
    [interaction(JOB, reference("bitbucket", "job.json"))],
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
    [interaction(f"{API}/repositories/TestWorkspace1/nosuchrepo/pipelines/%7BPipelineUuid%7D/steps/%7BPipelineStep1Uuid%7D",
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

# Listing. The reference list.json (2 steps, no "next") is served whole for pagelen=100. The
# two-page walk splits its two steps over two pages of pagelen 1 and adds the "next" /
# "previous" URLs Bitbucket's pagination docs describe: those envelopes are constructed.
listing = json.loads(reference("bitbucket", "list.json"))
first, second = listing["values"]
PAGE1 = {"page": 1, "pagelen": 1, "size": 2, "values": [first],
         "next": f"{STEPS}?page=2&pagelen=1"}
PAGE2 = {"page": 2, "pagelen": 1, "size": 2, "values": [second],
         "previous": f"{STEPS}?page=1&pagelen=1"}
write(
    "bitbucket",
    "list_jobs",
    "Bodies: atlassian-python-api's recording of 'List steps for a pipeline' (reference\n"
    "list.json). The pagelen=1 pages are constructed: its two steps split over two pages, with\n"
    "the next/previous URLs of Bitbucket's paginated envelope. The pagelen=100 page is list.json\n"
    "byte for byte.",
    [
        interaction(f"{STEPS}?pagelen=1", json.dumps(PAGE1, indent=4)),
        interaction(f"{STEPS}?page=2&pagelen=1", json.dumps(PAGE2, indent=4)),
        interaction(f"{STEPS}?pagelen=100", reference("bitbucket", "list.json")),
    ],
)
write(
    "bitbucket",
    "list_empty",
    "Body: constructed, Bitbucket's paginated envelope with no values (a pipeline without steps).",
    [interaction(f"{STEPS}?pagelen=100", '{"page": 1, "pagelen": 100, "size": 0, "values": []}')],
)
