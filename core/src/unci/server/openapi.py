"""``/openapi.json``: the job and build endpoints as this server answers them.

Built from the installed providers (their per-operation params become the per-provider query
params, as on Truto's reference pages), so the document never lists a provider the server cannot
serve. A test checks real responses against it with schemathesis and against each component.
"""

from __future__ import annotations

from typing import Any

from unci import __version__
from unci.formats import FORMATS, NORMALIZED_FIELDS
from unci.job import FIELDS, TIMESTAMPS
from unci.plugins import PluginRegistry, registry

JSON = "application/json"
_NULLABLE_STRING = {"type": ["string", "null"]}
#: A value unci accepts: not empty (an empty value is a missing one).
_TEXT = {"type": "string", "minLength": 1}


def _field_schema(name: str) -> dict[str, Any]:
    if name == "remote_data":
        return {"description": "The provider's response object, unchanged."}
    if name == "attempts":
        return {"type": ["integer", "null"]}
    if name == "steps":
        stamp = {"type": ["string", "null"], "format": "date-time"}
        return {
            "type": "array",
            "description": "The job's steps, where the provider has them.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "number": {"type": ["integer", "null"]},
                    "name": _NULLABLE_STRING,
                    "status": _NULLABLE_STRING,
                    "conclusion": _NULLABLE_STRING,
                    "started_at": stamp,
                    "completed_at": stamp,
                },
            },
        }
    if name in TIMESTAMPS:
        return {"type": ["string", "null"], "format": "date-time"}
    return dict(_NULLABLE_STRING)


def _build_components() -> dict[str, Any]:
    """Build, NormalizedBuild, BuildDebug and BuildList: the job components' shapes over the
    build fields."""
    from unci.records import BUILDS

    return {
        "Build": {
            "type": "object",
            "description": "A unified build (workflow run, pipeline). Fields the provider cannot "
            "fill are left out; supported fields without a value are null.",
            "properties": {f: ({"type": "string"} if f == "id" else _field_schema(f)) for f in BUILDS.fields},
            "additionalProperties": False,
        },
        "NormalizedBuild": {
            "type": "object",
            "description": "One flat row of fixed shape (truto_response_format=normalized).",
            "properties": {
                "provider": {"type": "string"},
                **{f: _field_schema(f) for f in BUILDS.normalized[1:]},
            },
            "additionalProperties": False,
        },
        "BuildDebug": {
            "type": "object",
            "properties": {"result": _ref("Build"), "debug": _ref("Debug")},
            "required": ["result", "debug"],
            "additionalProperties": False,
        },
        "BuildList": {
            "type": "object",
            "properties": {
                "result": {"type": "array", "items": {"anyOf": [_ref("Build"), _ref("NormalizedBuild")]}},
                "next_cursor": {
                    **_NULLABLE_STRING,
                    "description": "Pass back as next_cursor for the next page (it keeps the "
                    "filters); null on the last page.",
                },
                "debug": _ref("Debug"),
            },
            "required": ["result", "next_cursor"],
            "additionalProperties": False,
        },
    }


_WHEN = (
    "a duration back from now (7d, 12h, 30m), a date (2026-11-24) or an ISO 8601 time (2026-11-24T10:00:00Z)"
)


def _filter_params(jobs: bool = False) -> list[dict[str, Any]]:
    """The build filters: sent to the provider where it applies them itself, applied again by
    unci to every page either way. On the jobs list (``jobs``) they choose the builds whose
    jobs are listed, in place of ``build``."""
    from unci.job import Status

    whose = " (the jobs of the builds that match; give no build)" if jobs else ""

    def param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "schema": schema,
            "description": description + whose,
        }

    return [
        param("branch", _TEXT, "Only builds of this branch."),
        param("status", {"type": "string", "enum": list(Status.ALL)}, "Only builds in this state."),
        param(
            "conclusion",
            _TEXT,
            "Only builds with this outcome: passed, failed, cancelled, timeout, skipped, "
            "retried, partial, or the provider's own word.",
        ),
        param("since", _TEXT, f"Only builds created at or after this: {_WHEN}."),
        param("until", _TEXT, f"Only builds created at or before this: {_WHEN}; a date counts to its end."),
    ]


def _components() -> dict[str, Any]:
    job = {
        "type": "object",
        "description": "A unified job. Fields the provider cannot fill are left out; supported "
        "fields without a value are null.",
        "properties": {f: ({"type": "string"} if f == "id" else _field_schema(f)) for f in FIELDS},
        "additionalProperties": False,
    }
    normalized = {
        "type": "object",
        "description": "One flat row of fixed shape (truto_response_format=normalized).",
        "properties": {
            "provider": {"type": "string"},
            **{f: _field_schema(f) for f in NORMALIZED_FIELDS[1:]},
        },
        "additionalProperties": False,
    }
    debug = {
        "type": "object",
        "description": "The provider call behind the result, credentials redacted.",
        "properties": {
            "requestUrl": {"type": "string"},
            "requestOptions": {
                "type": "object",
                "properties": {
                    "method": {"type": "string"},
                    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "data": {"description": "The provider's response body."},
            "responseHeaders": {"type": "object", "additionalProperties": {"type": "string"}},
            "nextCursor": _NULLABLE_STRING,
            "resultCount": {"type": "integer"},
        },
        "required": ["requestUrl", "requestOptions", "data", "responseHeaders"],
    }
    return {
        "Job": job,
        "NormalizedJob": normalized,
        "Debug": debug,
        "JobDebug": {
            "type": "object",
            "properties": {
                "result": {"$ref": "#/components/schemas/Job"},
                "debug": {"$ref": "#/components/schemas/Debug"},
            },
            "required": ["result", "debug"],
            "additionalProperties": False,
        },
        "ProviderBody": {
            "description": "The provider's own response body, unchanged (raw and stream).",
        },
        "JobList": {
            "type": "object",
            "properties": {
                "result": {
                    "type": "array",
                    "items": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/Job"},
                            {"$ref": "#/components/schemas/NormalizedJob"},
                        ]
                    },
                },
                "next_cursor": {
                    **_NULLABLE_STRING,
                    "description": "Pass back as next_cursor for the next page; null on the last page.",
                },
                "debug": {"$ref": "#/components/schemas/Debug"},
            },
            "required": ["result", "next_cursor"],
            "additionalProperties": False,
        },
        "Error": {
            "type": "object",
            "description": "Truto's error envelope. Errors the provider returned add "
            "truto_is_remote_error, its status and its body.",
            "properties": {
                "statusCode": {"type": "integer"},
                "error": {"type": "string"},
                "message": {"type": "string"},
                "truto_is_remote_error": {"type": "boolean"},
                "remote_error": {"type": "boolean"},
                "remote_status": {"type": "integer"},
                "raw_response": {"description": "The provider's body, JSON-parsed when it is JSON."},
            },
            "required": ["statusCode", "error", "message"],
        },
        "Health": {
            "type": "object",
            "properties": {"status": {"type": "string", "enum": ["ok"]}, "version": {"type": "string"}},
            "required": ["status", "version"],
        },
    }


def _provider_params(reg: PluginRegistry, names: list[str], operation: str) -> list[dict[str, Any]]:
    """One query parameter per name any provider uses, saying which providers need it."""
    by_name: dict[str, list[str]] = {}
    for provider in names:
        title = reg.info(provider).title
        for p in reg.hooks(provider).required_params(operation):
            need = "required" if p.required else "optional"
            by_name.setdefault(p.name, []).append(f"{title} ({need}): {p.description}")
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": _TEXT,
            "description": "Per-provider parameter. " + "; ".join(uses),
        }
        for name, uses in sorted(by_name.items())
    ]


#: unci's own job parameter: steps that cost a request of their own.
_INCLUDE_STEPS: dict[str, Any] = {
    "name": "include_steps",
    "in": "query",
    "required": False,
    "schema": {"type": "boolean", "default": False},
    "description": "unci only: also fetch each job's steps where they cost a request of "
    "their own (Jenkins stages); GitHub and Azure DevOps jobs always carry theirs. Not "
    "with raw or stream.",
}


def _common_params(
    names: list[str], formats: list[str], fields: tuple[str, ...] = FIELDS
) -> list[dict[str, Any]]:
    jobs = fields == FIELDS
    return [
        {
            "name": "integrated_account_id",
            "in": "query",
            "required": False,
            "schema": _TEXT,
            "description": "A local integrated account (`unci accounts list`): its name or its "
            "UUID. It gives the provider, credentials, API root and default params.",
        },
        {
            "name": "provider",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": names},
            "description": "unci only: the provider, for calls without an integrated account "
            "(credentials then come from the server's environment).",
        },
        {
            "name": "truto_response_format",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": formats, "default": "unified"},
        },
        {
            "name": "truto_ignore_remote_data",
            "in": "query",
            "required": False,
            "schema": {"type": "boolean"},
            "description": "Leave out remote_data.",
        },
        {
            "name": "truto_exclude_fields[]",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": True,
            "schema": {"type": "array", "items": {"type": "string", "enum": list(fields)}},
            "description": "Fields to leave out; `truto_exclude_fields[]=id&truto_exclude_fields[]="
            "name`, indexed brackets and comma lists are accepted too.",
        },
        *([_INCLUDE_STEPS] if jobs else []),
        {
            "name": "remote_query",
            "in": "query",
            "required": False,
            "style": "deepObject",
            "explode": True,
            "schema": {"type": "object", "additionalProperties": {"type": "string"}},
            "description": "Passed to the provider's query string untouched: remote_query[foo]=bar "
            "sends foo=bar.",
        },
    ]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_LOG_PARAMS: list[dict[str, Any]] = [
    {
        "name": "follow",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": False},
        "description": "While the job runs, keep the response open and stream the log as it "
        "grows, until the job ends.",
    },
    {
        "name": "tail",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 0},
        "description": "Only the last N lines (with follow: of what is there at first).",
    },
    {
        "name": "failed_only",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": False},
        "description": "Only the failed steps' part (providers with a log per step; elsewhere a 400).",
    },
    {
        "name": "color",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": True},
        "description": "false strips terminal colour escapes.",
    },
]


def _log_responses() -> dict[str, Any]:
    responses = _responses({"type": "string"}, "")
    responses["200"] = {
        "description": "The log, streamed. A redirect to the provider's storage was followed "
        "without its credentials.",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
    responses["409"] = {
        "description": "The job exists but has no log: not yet (it has not finished; ask again "
        "or use follow=true) or not at all.",
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    responses["501"] = {
        "description": "The provider offers no job logs.",
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    return responses


def _responses(ok: dict[str, Any], ok_description: str) -> dict[str, Any]:
    error = {"content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "200": {"description": ok_description, "content": {JSON: {"schema": ok}}},
        "400": {
            "description": "Bad input: a missing provider param (each one named), an unknown "
            "format or field.",
            **error,
        },
        "401": {
            "description": "No valid API token (or the provider refused its credentials: "
            "then truto_is_remote_error is true).",
            **error,
        },
        "404": {"description": "No such integrated account, provider or job.", **error},
        "4XX": {"description": "An error the provider returned, with its status.", **error},
        "5XX": {
            "description": "The provider failed, could not be reached, or answered with a "
            "body that is not the job it documents.",
            **error,
        },
    }


def document(reg: PluginRegistry | None = None, *, auth: bool = True) -> dict[str, Any]:
    """The OpenAPI 3.1 document for the installed providers."""
    reg = reg or registry()
    loaded, _failed = reg.load_all()
    names = sorted(loaded)
    get_params = [
        {
            "name": "id",
            "in": "path",
            "required": True,
            "schema": _TEXT,
            "description": "The job id, as the provider writes it.",
        },
        *_common_params(names, list(FORMATS)),
        *_provider_params(reg, names, "get"),
    ]
    list_params = [
        *_common_params(names, [f for f in FORMATS if f != "stream"]),
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1},
            "description": "At most this many jobs.",
        },
        {
            "name": "next_cursor",
            "in": "query",
            "required": False,
            "schema": _TEXT,
            "description": "The next_cursor of the previous page (after the build filters, it carries them).",
        },
        *_filter_params(jobs=True),
        *_provider_params(reg, names, "list"),
    ]
    log_params = [
        get_params[0],
        *[
            p
            for p in _common_params(names, ["unified"])
            if p["name"] in ("integrated_account_id", "provider", "remote_query")
        ],
        *_LOG_PARAMS,
        *_provider_params(reg, names, "get"),
    ]
    from unci.records import BUILDS

    builders = sorted(n for n in names if reg.hooks(n).supports("build_builds_request"))
    build_params = [
        {
            "name": "id",
            "in": "path",
            "required": True,
            "schema": _TEXT,
            "description": "The build id, as the provider writes it (GitHub: the run id).",
        },
        *_common_params(builders, list(FORMATS), BUILDS.fields),
        *_provider_params(reg, builders, "build"),
    ]
    builds_params = [
        *_common_params(builders, [f for f in FORMATS if f != "stream"], BUILDS.fields),
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1},
            "description": "At most this many builds.",
        },
        {
            "name": "next_cursor",
            "in": "query",
            "required": False,
            "schema": _TEXT,
            "description": "The next_cursor of the previous page (it carries the filters).",
        },
        *_filter_params(),
        *_provider_params(reg, builders, "builds"),
    ]
    security: list[dict[str, list[str]]] = [{"bearerAuth": []}] if auth else []
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "unci: unified CI/CD jobs and builds API",
            "version": __version__,
            "description": "Truto's GET /unified/ci-cd/jobs[/{id}] and GET /unified/ci-cd/builds[/{id}], "
            "served by unci for the providers installed here: " + ", ".join(names) + ".",
        },
        "paths": {
            "/unified/ci-cd/jobs/{id}": {
                "get": {
                    "operationId": "getJob",
                    "summary": "One job by id",
                    "parameters": get_params,
                    "security": security,
                    "responses": _responses(
                        {
                            "anyOf": [
                                _ref("Job"),
                                _ref("NormalizedJob"),
                                _ref("JobDebug"),
                                _ref("ProviderBody"),
                            ]
                        },
                        "The job: unified (default), normalized, debug, or the provider's body "
                        "(raw, stream).",
                    ),
                }
            },
            "/unified/ci-cd/jobs/{id}/logs": {
                "get": {
                    "operationId": "getJobLog",
                    "summary": "One job's log, streamed as the provider gives it",
                    "parameters": log_params,
                    "security": security,
                    "responses": _log_responses(),
                }
            },
            "/unified/ci-cd/jobs": {
                "get": {
                    "operationId": "listJobs",
                    "summary": "The jobs of one build, or of the builds that match, a page at a time",
                    "description": "With build (GitHub, GitLab, Buildkite...), that build's jobs. "
                    "With the build filters (branch, status, conclusion, since, until) and no "
                    "build, the jobs of the builds that match, newest build first: a page is the "
                    "jobs of one provider page of builds, at most limit, and may hold none yet "
                    "have a next_cursor; with since, the walk stops at the first page of builds "
                    "wholly older. raw is refused there (each build's jobs are a body of its own).",
                    "parameters": list_params,
                    "security": security,
                    "responses": _responses(
                        {"anyOf": [_ref("JobList"), _ref("ProviderBody")]},
                        "One page of jobs (or the provider's page with raw).",
                    ),
                }
            },
            "/unified/ci-cd/builds/{id}": {
                "get": {
                    "operationId": "getBuild",
                    "summary": "One build by id",
                    "parameters": build_params,
                    "security": security,
                    "responses": _responses(
                        {
                            "anyOf": [
                                _ref("Build"),
                                _ref("NormalizedBuild"),
                                _ref("BuildDebug"),
                                _ref("ProviderBody"),
                            ]
                        },
                        "The build: unified (default), normalized, debug, or the provider's body "
                        "(raw, stream).",
                    ),
                }
            },
            "/unified/ci-cd/builds": {
                "get": {
                    "operationId": "listBuilds",
                    "summary": "Builds, newest first, filtered, a page at a time",
                    "description": "A page may hold fewer builds than limit (even none) and still "
                    "have a next_cursor: filters the provider cannot apply are applied to each of "
                    "its pages. With since, listing stops at the first page wholly older.",
                    "parameters": builds_params,
                    "security": security,
                    "responses": _responses(
                        {"anyOf": [_ref("BuildList"), _ref("ProviderBody")]},
                        "One page of builds (or the provider's page with raw).",
                    ),
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness: the process answers",
                    "security": [],
                    "responses": {
                        "200": {"description": "Alive", "content": {JSON: {"schema": _ref("Health")}}}
                    },
                }
            },
        },
        "components": {
            "schemas": {**_components(), **_build_components()},
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "One of the server's API tokens.",
                }
            },
        },
    }
    return doc
