"""Travis CI cassettes, from the real example bodies of travis (see _lib.py for the method)."""

import json

from _lib import interaction, reference, write

COM = "https://api.travis-ci.com"
ORG = "https://api.travis-ci.org"
JOB_BODY = reference("travis", "job.json")
LIST_BODY = reference("travis", "list.json")
V3 = {"Travis-API-Version": "3"}

write(
    "travis",
    "get_job",
    "Body: a real recorded 'GET /job/351778875' response (trav3's VCR cassette, reference\n"
    "job.json), verbatim; recorded at api.travis-ci.org, served here from api.travis-ci.com.",
    [interaction(f"{COM}/job/351778875", JOB_BODY, request_headers=V3)],
)
write(
    "travis",
    "get_job_org",
    "Body: a real recorded 'GET https://api.travis-ci.org/job/351778875' response (trav3's VCR\n"
    "cassette, reference job.json), verbatim, from the host it was recorded on.",
    [interaction(f"{ORG}/job/351778875", JOB_BODY, request_headers=V3)],
)
write(
    "travis",
    "not_found",
    "Bodies: 1) for GET /job/1, constructed in the shape of Travis's official error example with\n"
    "the message and resource_type travis-api's code (lib/travis/api/v3.rb, NotFound template\n"
    "'%s not found (or insufficient access)') gives a job; 2) the official example itself\n"
    "(reference error.json, 'GET /repo/1000000000'), verbatim.",
    [
        interaction(f"{COM}/job/1",
                    '{\n  "@type": "error",\n  "error_type": "not_found",\n'
                    '  "error_message": "job not found (or insufficient access)",\n'
                    '  "resource_type": "job"\n}',
                    status=404, message="Not Found"),
        interaction(f"{COM}/repo/1000000000", reference("travis", "error.json"),
                    status=404, message="Not Found"),
    ],
)
write(
    "travis",
    "bad_credentials",
    "Body: constructed in the shape of Travis's official error example with the type and message\n"
    "travis-api's code gives a refused token (WrongCredentials: 'access denied', HTTP 403).",
    [interaction(f"{COM}/job/351778875",
                 '{\n  "@type": "error",\n  "error_type": "wrong_credentials",\n'
                 '  "error_message": "access denied"\n}',
                 status=403, message="Forbidden")],
)


def page(jobs: list, offset: int, limit: int, count: int) -> str:
    """A jobs page with @pagination as Travis's pagination docs and paginator code describe it."""
    href = "/build/351778872/jobs"

    def link(at: int) -> dict:
        return {"@href": f"{href}?limit={limit}&offset={at}", "offset": at, "limit": limit}

    last = (count - 1) // limit * limit
    return json.dumps({
        "@type": "jobs",
        "@href": f"{href}?limit={limit}" + (f"&offset={offset}" if offset else ""),
        "@representation": "standard",
        "@pagination": {
            "limit": limit, "offset": offset, "count": count,
            "is_first": offset == 0, "is_last": offset + limit >= count,
            "next": link(offset + limit) if offset + limit < count else None,
            "prev": link(max(offset - limit, 0)) if offset else None,
            "first": link(0), "last": link(last),
        },
        "jobs": jobs,
    }, indent=2)


JOBS = json.loads(LIST_BODY)["jobs"]
write(
    "travis",
    "list_jobs",
    "Bodies: pages 1 and 2 are CONSTRUCTED from the real 'GET /build/351778872/jobs' response\n"
    "(trav3's VCR cassette, reference list.json): its three jobs split 2 + 1, with an\n"
    "@pagination object shaped as Travis's pagination docs and paginator code describe it (the\n"
    "real response of this endpoint has none). The third interaction is the real body verbatim.",
    [
        interaction(f"{COM}/build/351778872/jobs?limit=2", page(JOBS[:2], 0, 2, 3), request_headers=V3),
        interaction(f"{COM}/build/351778872/jobs?limit=2&offset=2", page(JOBS[2:], 2, 2, 3),
                    request_headers=V3),
        interaction(f"{COM}/build/351778872/jobs", LIST_BODY, request_headers=V3),
    ],
)
write(
    "travis",
    "list_empty",
    "Body: constructed in the real jobs-collection shape (reference list.json) with no jobs.",
    [interaction(f"{COM}/build/1/jobs",
                 '{\n  "@type": "jobs",\n  "@href": "/build/1/jobs",\n  "@representation": "standard",\n'
                 '  "jobs": []\n}', request_headers=V3)],
)

# Builds: real recorded V3 answers from trav3's VCR cassettes (danielpclark/trav3, commit
# e92ca1fee2ed044bcd5584372b67fb95269d5848), saved unchanged under the reference folder as
# travis/trav3_builds.yml (spec/fixtures/vcr_cassettes/Trav3_Travis/_builds.yml) and
# travis/trav3_build.yml (.../_build/gets_build_info.yml).
import yaml  # noqa: E402

TRAV3 = ("danielpclark/trav3 at commit e92ca1fee2ed044bcd5584372b67fb95269d5848,\n"
         "spec/fixtures/vcr_cassettes/Trav3_Travis/")


def trav3(name: str) -> list[str]:
    data = yaml.safe_load(reference("travis", name))
    return [i["response"]["body"]["string"] for i in data["http_interactions"]]


BUILDS = trav3("trav3_builds.yml")
REPO = f"{COM}/repo/danielpclark%2Ftrav3/builds"
write(
    "travis",
    "list_builds",
    "Bodies: real recorded answers of GET /repo/danielpclark%2Ftrav3/builds?limit=25 and\n"
    "...&offset=25 (41 builds in two pages, @pagination as Travis sent it), from " + TRAV3 +
    "_builds.yml, verbatim; recorded at api.travis-ci.org, served here from api.travis-ci.com.\n"
    "The first page also answers the request without a limit (Travis's default page is 25).",
    [
        interaction(REPO, BUILDS[0], request_headers=V3),
        interaction(f"{REPO}?limit=25", BUILDS[0], request_headers=V3),
        interaction(f"{REPO}?limit=25&offset=25", BUILDS[1], request_headers=V3),
    ],
)
write(
    "travis",
    "list_builds_filtered",
    "Body: the real second page of trav3's recording (" + TRAV3 + "_builds.yml), verbatim,\n"
    "as the answer to a request filtered by branch.name=master and state=passed. Constructed:\n"
    "Travis itself would have left out the builds of other branches and states; this cassette\n"
    "shows that the filters are sent and that unci's own filter keeps only what matches.",
    [interaction(f"{REPO}?branch.name=master&state=passed", BUILDS[1], request_headers=V3)],
)
write(
    "travis",
    "get_build",
    "Body: a real recorded 'GET /build/351778872' response (a restarted build, still running),\n"
    "from " + TRAV3 + "_build/gets_build_info.yml, verbatim; recorded at api.travis-ci.org,\n"
    "served here from api.travis-ci.com.",
    [interaction(f"{COM}/build/351778872", trav3("trav3_build.yml")[0], request_headers=V3)],
)
