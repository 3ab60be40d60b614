"""GitLab cassettes, from the real example bodies of gitlab (see _lib.py for the method)."""

from _lib import interaction, reference, write

API = "https://gitlab.com/api/v4"
JOB = f"{API}/projects/1/jobs/8"
# GitLab's rate-limit headers as its "user and IP rate limits" page lists them (Reset: Unix time).
RATE = {
    "ratelimit-name": "throttle_authenticated_api",
    "ratelimit-limit": "2000",
    "ratelimit-observed": "1",
    "ratelimit-remaining": "1999",
    "ratelimit-reset": "1609844400",
    "ratelimit-resettime": "Tue, 05 Jan 2021 11:00:00 GMT",
}
# The 403 body of a token without the needed scope, from GitLab's REST authentication docs.
INSUFFICIENT_SCOPE = (
    '{"error":"insufficient_scope","error_description":"The request requires higher privileges '
    'than provided by the access token.","scope":"api read_api"}'
)
LIST = f"{API}/projects/1/pipelines/6/jobs"


def paging(page: int, per_page: int, total: int, next_page: str) -> dict[str, str]:
    """GitLab's offset-paging headers (REST pagination docs), Link built the same way."""
    last = max(1, -(-total // per_page))
    base = f"{LIST}?include_retried=true&per_page={per_page}"
    links = [f'<{base}&page={next_page}>; rel="next"'] if next_page else []
    links += [f'<{base}&page=1>; rel="first"', f'<{base}&page={last}>; rel="last"']
    return {**RATE, "x-page": str(page), "x-per-page": str(per_page), "x-next-page": next_page,
            "x-prev-page": str(page - 1) if page > 1 else "", "x-total": str(total),
            "x-total-pages": str(last), "link": ", ".join(links)}


write(
    "gitlab",
    "get_job",
    "Body: the official example of 'Get a single job' (reference job.json).",
    [interaction(JOB, reference("gitlab", "job.json"), headers=RATE)],
)
write(
    "gitlab",
    "get_job_by_path",
    "Body: the official example job (reference job.json), asked for by the project's\n"
    "namespace/name path sent as one URL-encoded segment (gitlab-org%2Fgitlab).",
    [interaction(f"{API}/projects/gitlab-org%2Fgitlab/jobs/8", reference("gitlab", "job.json"),
                 headers=RATE)],
)
write(
    "gitlab",
    "get_job_self_managed",
    "Body: the official example job (reference job.json), served by a self-managed instance\n"
    "(API root https://gitlab.example.com/api/v4).",
    [interaction("https://gitlab.example.com/api/v4/projects/1/jobs/8", reference("gitlab", "job.json"))],
)
write(
    "gitlab",
    "not_found",
    "Body: GitLab's 404 for a project the token cannot see or that does not exist, as a real\n"
    "gitlab.freedesktop.org answer shows it ({\"message\":\"404 Project Not Found\"}).",
    [interaction(f"{API}/projects/404/jobs/8", '{"message":"404 Project Not Found"}',
                 status=404, message="Not Found", headers=RATE)],
)
write(
    "gitlab",
    "unauthorized",
    "Body: GitLab's 401 for a missing or invalid token (reference error.json).",
    [interaction(JOB, reference("gitlab", "error.json"), status=401, message="Unauthorized")],
)
write(
    "gitlab",
    "insufficient_scope",
    "Body: GitLab's 403 for a token that lacks the scope, as its REST authentication docs show\n"
    "it; the scope value is ours (the docs' example names 'sudo').",
    [interaction(JOB, INSUFFICIENT_SCOPE, status=403, message="Forbidden", headers=RATE)],
)
write(
    "gitlab",
    "rate_limited",
    "Body: the plain-text 'Retry later' GitLab's throttle sends with HTTP 429 (as clients\n"
    "report it); headers per GitLab's rate-limit docs, remaining 0.",
    [interaction(JOB, "Retry later\n", status=429, message="Too Many Requests",
                 headers={**RATE, "content-type": "text/plain", "retry-after": "60",
                          "ratelimit-observed": "2000", "ratelimit-remaining": "0"})],
)
write(
    "gitlab",
    "list_jobs",
    "Bodies: page 1 is the official example of 'List pipeline jobs' (reference list.json, jobs 6\n"
    "and 7 of pipeline 6); page 2 is constructed: the official 'Get a single job' example (job 8\n"
    "of the same pipeline, reference job.json) in a one-item array. Paging headers per GitLab's\n"
    "REST pagination docs (x-next-page empty on the last page).",
    [
        interaction(f"{LIST}?include_retried=true&per_page=2", reference("gitlab", "list.json"),
                    headers=paging(1, 2, 3, "2")),
        interaction(f"{LIST}?include_retried=true&per_page=2&page=2",
                    "[\n" + reference("gitlab", "job.json").rstrip("\n") + "\n]\n",
                    headers=paging(2, 2, 3, "")),
    ],
)
write(
    "gitlab",
    "list_jobs_empty",
    "Body: constructed: the empty array GitLab returns for a pipeline without jobs (or a page\n"
    "past the end); no real example exists in the reference.",
    [interaction(f"{API}/projects/1/pipelines/7/jobs?include_retried=true&per_page=100", "[]",
                 headers={**RATE, "x-page": "1", "x-per-page": "100", "x-next-page": "",
                          "x-prev-page": "", "x-total": "0", "x-total-pages": "1"})],
)
