"""GitHub cassettes, from the real example bodies of github (see _lib.py for the method)."""

from _lib import interaction, reference, write

API = "https://api.github.com"
JOB = f"{API}/repos/octo-org/octo-repo/actions/jobs/399444496"
RATE = {
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-reset": "1579542159",
    "x-ratelimit-used": "1",
    "x-ratelimit-resource": "core",
    "x-github-api-version-selected": "2022-11-28",
}

write(
    "github",
    "get_job",
    "Body: the official example of 'Get a job for a workflow run' (reference job.json).",
    [interaction(JOB, reference("github", "job.json"), headers=RATE)],
)
write(
    "github",
    "get_job_ghes",
    "Body: the official example job (reference job.json), served from a GitHub Enterprise\n"
    "Server API root (https://ghe.example.com/api/v3).",
    [interaction("https://ghe.example.com/api/v3/repos/octo-org/octo-repo/actions/jobs/399444496",
                 reference("github", "job.json"), headers=RATE)],
)
write(
    "github",
    "not_found",
    "Body: a real 404 body recorded by PyGithub (reference error.json).",
    [interaction(f"{API}/repos/octo-org/octo-repo/actions/jobs/1", reference("github", "error.json"),
                 status=404, message="Not Found", headers=RATE)],
)
write(
    "github",
    "bad_credentials",
    "Body: GitHub's 401 body for an invalid token, as its docs describe it ('Bad credentials').",
    [interaction(JOB, '{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}',
                 status=401, message="Unauthorized")],
)
write(
    "github",
    "rate_limited",
    "Body: GitHub's primary rate-limit 403 message as documented; headers show remaining 0.",
    [interaction(JOB, '{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}',
                 status=403, message="Forbidden",
                 headers={**RATE, "x-ratelimit-remaining": "0", "x-ratelimit-used": "5000"})],
)
write(
    "github",
    "server_error",
    "Body: the 'Server Error' GitHub sends for a request cut off after 10 s (its docs).",
    [interaction(JOB, '{"message":"Server Error"}', status=500, message="Internal Server Error")],
)
write(
    "github",
    "not_json",
    "Body: an HTML page where JSON was expected (a proxy's error page); checks decode errors.",
    [interaction(JOB, "<html><body>502 Bad Gateway</body></html>", headers={"Content-Type": "text/html"})],
)
write(
    "github",
    "list_jobs",
    "Bodies: the official example of 'List jobs for a workflow run' (reference list.json);\n"
    "page 1 carries a Link header to page 2 as GitHub's pagination docs describe.",
    [
        interaction(f"{API}/repos/octo-org/octo-repo/actions/runs/29679449/jobs?filter=all&per_page=1",
                    reference("github", "list.json"),
                    headers={**RATE, "link": f'<{API}/repositories/1/actions/runs/29679449/jobs?filter=all&per_page=1&page=2>; rel="next", <{API}/repositories/1/actions/runs/29679449/jobs?filter=all&per_page=1&page=2>; rel="last"'}),
        interaction(f"{API}/repositories/1/actions/runs/29679449/jobs?filter=all&per_page=1&page=2",
                    reference("github", "list.json"),
                    headers={**RATE, "link": f'<{API}/repositories/1/actions/runs/29679449/jobs?filter=all&per_page=1&page=1>; rel="prev", <{API}/repositories/1/actions/runs/29679449/jobs?filter=all&per_page=1&page=1>; rel="first"'}),
        interaction(f"{API}/repos/octo-org/octo-repo/actions/runs/29679449/jobs?filter=all&per_page=100",
                    reference("github", "list.json"), headers=RATE),
    ],
)


def _discovery() -> None:
    """Jobs found through builds: the runs of list_builds.yaml that GitHub's own filters keep,
    then each kept run's jobs."""
    import json

    import yaml

    from _lib import PLUGINS

    runs_page = yaml.safe_load((PLUGINS / "github" / "cassettes" / "list_builds.yaml").read_text())
    runs = json.loads(runs_page["interactions"][0]["response"]["body"]["string"])["workflow_runs"]
    since = "2020-05-20T23:59:00Z"
    kept = [r for r in runs if r["head_branch"] == "master" and r["created_at"] >= since]
    job = json.loads(reference("github", "list.json"))["jobs"][0]
    repo = f"{API}/repos/PyGithub/PyGithub"
    interactions = [
        interaction(
            f"{repo}/actions/runs?branch=master&created=%3E%3D2020-05-20T23%3A59%3A00Z&per_page=100",
            json.dumps({"total_count": len(kept), "workflow_runs": kept}, separators=(",", ":")),
            headers=RATE,
        )
    ]
    for number, run in enumerate(kept):
        jobs = [
            {
                **job,
                "id": run["id"] * 10 + i,
                "run_id": run["id"],
                "run_url": run["url"],
                "head_sha": run["head_sha"],
                "html_url": f"{run['html_url']}/job/{run['id'] * 10 + i}",
                "name": name,
            }
            for i, name in enumerate(["build", "test"][: number + 1])
        ]
        interactions.append(
            interaction(
                f"{repo}/actions/runs/{run['id']}/jobs?filter=all&per_page=100",
                json.dumps({"total_count": len(jobs), "jobs": jobs}, separators=(",", ":")),
                headers=RATE,
            )
        )
    write(
        "github",
        "discover_jobs",
        "Bodies: GET .../actions/runs?branch=master&created=>=2020-05-20T23:59:00Z answered with the\n"
        "runs of list_builds.yaml (PyGithub's recording, May 2020) that those filters keep, field for\n"
        "field; then each kept run's jobs: the official 'List jobs for a workflow run' example job\n"
        "(reference list.json) with its id, run_id, run_url, head_sha, html_url and name set to\n"
        "the run's (one job for the newest run, two for the next).",
        interactions,
    )


_discovery()
