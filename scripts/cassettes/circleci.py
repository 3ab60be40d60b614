"""CircleCI cassettes, from the real example bodies of circleci (see _lib.py for the method)."""

import json

import yaml
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

# Builds. Real answers pasted in LF-Engineering/da-ds circlci/README.md (commit
# 368879e724390c2aee34a41948afb8e035131024): 'GET /project/gh/LF-Engineering/da-ds/pipeline'
# (one pipeline, number 154) and 'GET /pipeline/98b1071e-.../workflow' (its one workflow,
# 9552b8fe-..., the latest_workflow of job 155 above), the README's list indentation removed.
README = ("LF-Engineering/da-ds, circlci/README.md at commit\n"
          "368879e724390c2aee34a41948afb8e035131024")
PIPELINE = "98b1071e-c364-4b39-91b9-820b8588e2ae"
WORKFLOW_ID = "9552b8fe-f5b7-4f7b-92a3-8bedc0ee35ca"
PIPELINES_TOKEN = ("AARLwwWYCXtgaRy9oukzlxti_r-78HgZD223Cke0LMjnGlP6LEy_GDsUMrtL41rfJdhIy-dGJrJku8MSfU1r2Sb"
                   "uPRA4zEUNmHS9vsOH-eyx8az1VnFuNdDykYnOhPRdXKZlo3W-inRI")
PIPELINES_BODY = """{
  "next_page_token" : "%s",
  "items" : [ {
    "id" : "98b1071e-c364-4b39-91b9-820b8588e2ae",
    "errors" : [ ],
    "project_slug" : "gh/LF-Engineering/da-ds",
    "updated_at" : "2020-12-24T12:59:23.906Z",
    "number" : 154,
    "state" : "created",
    "created_at" : "2020-12-24T12:59:23.906Z",
    "trigger" : {
      "received_at" : "2020-12-24T12:59:23.721Z",
      "type" : "webhook",
      "actor" : {
        "login" : "lukaszgryglicki",
        "avatar_url" : "https://avatars2.githubusercontent.com/u/2469783?v=4"
      }
    },
    "vcs" : {
      "origin_repository_url" : "https://github.com/LF-Engineering/da-ds",
      "target_repository_url" : "https://github.com/LF-Engineering/da-ds",
      "revision" : "db4e4736effbf25d0b48f9027dd81660fc114cb4",
      "provider_name" : "GitHub",
      "commit" : {
        "body" : "Signed-off-by: Łukasz Gryglicki <lukaszgryglicki@o2.pl>",
        "subject" : "Confirmed - no more needed"
      },
      "branch" : "master"
    }
  }
  ]
}""" % PIPELINES_TOKEN
WORKFLOWS_BODY = """{
    "next_page_token" : null,
    "items" : [ {
        "pipeline_id" : "98b1071e-c364-4b39-91b9-820b8588e2ae",
        "id" : "9552b8fe-f5b7-4f7b-92a3-8bedc0ee35ca",
        "name" : "workflow",
        "project_slug" : "gh/LF-Engineering/da-ds",
        "status" : "success",
        "started_by" : "fb72a952-6ec3-49ae-97df-b3f7e12f6093",
        "pipeline_number" : 154,
        "created_at" : "2020-12-24T12:59:23Z",
        "stopped_at" : "2020-12-24T13:00:08Z"
    } ]
}"""
WORKFLOW_BODY = json.dumps(json.loads(WORKFLOWS_BODY)["items"][0], indent=2)
PIPELINES = f"{API}/project/{SLUG}/pipeline"
write(
    "circleci",
    "list_builds",
    "Bodies: real answers pasted in " + README + ":\n"
    "1) GET /project/gh/LF-Engineering/da-ds/pipeline (one pipeline; its next_page_token as\n"
    "pasted), 2) GET /pipeline/98b1071e-.../workflow (its one workflow); 3) the next pipeline\n"
    "page is constructed: the real list shape with no items and a null token (the README shows\n"
    "no second page). The branch-filtered request gets the same first page. Request lines ours.",
    [
        interaction(PIPELINES, PIPELINES_BODY),
        interaction(f"{PIPELINES}?branch=master", PIPELINES_BODY),
        interaction(f"{API}/pipeline/{PIPELINE}/workflow", WORKFLOWS_BODY),
        interaction(f"{PIPELINES}?page-token={PIPELINES_TOKEN}", '{"next_page_token":null,"items":[]}'),
    ],
)
PIPELINE_BODY = json.dumps(json.loads(PIPELINES_BODY)["items"][0], indent=2, ensure_ascii=False)
write(
    "circleci",
    "get_build",
    "Bodies: constructed from real answers pasted in " + README + ":\n"
    "1) the one workflow of GET /pipeline/98b1071e-.../workflow, as 'GET /workflow/{id}'\n"
    "answers it (the same Workflow schema), re-indented; 2) the one pipeline of\n"
    "GET /project/gh/LF-Engineering/da-ds/pipeline, as 'GET /pipeline/{id}' answers it (the\n"
    "same Pipeline schema), re-indented: what the workflow lacks (number, trigger, actor, commit,\n"
    "branch). Request lines ours.",
    [
        interaction(f"{API}/workflow/{WORKFLOW_ID}", WORKFLOW_BODY),
        interaction(f"{API}/pipeline/{PIPELINE}", PIPELINE_BODY),
    ],
)

# Steps: a real API v1.1 'Single Job' answer (build 140 of github/mtchavez/circleci, recorded
# in July 2016) from mtchavez/circleci's VCR cassette, saved unchanged under the reference folder
# as circleci/mtchavez_get_build.yml (spec/cassettes/CircleCi_Build/get/successfully/build/
# has_metadata.yml, commit 1b1e833).
V11 = yaml.safe_load(reference("circleci", "mtchavez_get_build.yml"))["http_interactions"][0]
write(
    "circleci",
    "steps",
    "Body: a real recorded answer of GET /api/v1.1/project/github/mtchavez/circleci/140 (16 steps),\n"
    "from mtchavez/circleci at commit 1b1e833, spec/cassettes/CircleCi_Build/get/successfully/\n"
    "build/has_metadata.yml, verbatim. Request line ours (the recording sent the token in the\n"
    "query; unci sends the Circle-Token header).",
    [interaction("https://circleci.com/api/v1.1/project/github/mtchavez/circleci/140",
                 V11["response"]["body"]["string"])],
)
