"""The Starlette app: Truto's job and build endpoints over the core's one code path.

A handler parses the query (:mod:`unci.server.query`), resolves the integrated account, calls
:class:`unci.client.AsyncClient` (``fetch``, ``list_jobs``, ``fetch_build``, ``list_builds`` or a
stream) and renders with :func:`unci.commands.render_json` / :func:`unci.commands.render_page`,
exactly as ``unci jobs get/list`` and ``unci builds get/list`` do. Every :class:`UnciError`
becomes Truto's envelope with its ``status_code``. The app holds no state but a connection
pool, so any number of processes can serve behind one load balancer.
"""

from __future__ import annotations

import logging
import math
import time
import traceback
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypedDict

import anyio
import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from unci import __version__
from unci.bodies import error_envelope
from unci.builds import BuildList, FetchedBuild
from unci.call import Answer, Call, Target
from unci.client import OFF_LOOP_BYTES, AsyncClient, Fetched
from unci.commands import encode_output, render_json, render_page
from unci.errors import ConfigError, NetworkError, RateLimited, RemoteError, UnciError, UsageError
from unci.job import Job
from unci.listing import JobPage
from unci.ratelimit import normalize as normalize_ratelimit
from unci.redact import scrub_bytes
from unci.retry import RetryPolicy
from unci.server.accesslog import AccessLog, access_line, logs_requests, through_logging
from unci.server.auth import GENERATE_HINT, TokenChecker
from unci.server.client import ServerClient
from unci.server.pools import DEFAULT_PER_ORIGIN, DEFAULT_WAIT, OriginPools, PoolLimits, ProviderBusy
from unci.server.query import TrutoQuery, parse, parsed
from unci.server.targets import resolve

log = logging.getLogger("unci.server")
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


@dataclass
class ServerConfig:
    """What ``unci serve`` decided: tokens, whether to check them, and the client's patience."""

    tokens: list[str] = field(default_factory=list, repr=False)
    auth: bool = True
    timeout: float | None = None
    retries: int = 3
    max_wait: float = 60.0
    #: Seconds one provider call may take as a whole, every attempt and wait included.
    deadline: float | None = None
    #: Connections per provider origin, and how long a call waits for one (then a 503).
    pool_size: int = DEFAULT_PER_ORIGIN
    pool_wait: float = DEFAULT_WAIT
    #: Where access lines go (``unci serve``: a :class:`LineWriter` on stderr); default logging.
    access_log: Callable[[str], None] | None = field(default=None, repr=False)
    #: Tests and benchmarks can put an httpx transport under the provider calls.
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)
    #: Web origins whose pages may call the server from a browser (``--cors-origin``).
    cors_origins: tuple[str, ...] = ()


class Unauthorized(UnciError):
    status_code = 401
    error = "Unauthorized"


class AccountNotFound(UsageError):
    status_code = 404
    error = "Not Found"


# --- responses -----------------------------------------------------------------------------


class Rendered(Response):
    """A 200 answer of JSON already rendered, with its rate-limit headers: the same status,
    headers (in the same order) and body as ``Response(body, media_type=JSON, headers=headers)``.

    Starlette's constructor handles what never arises for a record the server rendered (text or
    a memoryview to convert, a charset to add, headers that already give the length or type);
    skipping those cases was a fifth of building and sending the answer. A header named as one
    of those still goes through Starlette's own rules.
    """

    media_type = JSON

    def __init__(self, body: bytes, headers: Mapping[str, str]) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        for name, _ in raw:
            if name == b"content-length" or name == b"content-type":
                self.init_headers(headers)
                return
        raw.append((b"content-length", str(len(body)).encode("latin-1")))
        raw.append((b"content-type", _JSON_TYPE))
        self.raw_headers = raw


_JSON_TYPE = JSON.encode("latin-1")


def _json(
    value: Any, status: int = 200, headers: dict[str, str] | None = None, secrets: list[str] | None = None
) -> Response:
    return Response(encode_output(value, secrets or []), status_code=status, media_type=JSON, headers=headers)


def _error_response(exc: UnciError, secrets: list[str]) -> Response:
    data = error_envelope(exc, exc.http_message())  # the server's words, never the CLI's flags
    status = exc.status_code
    headers: dict[str, str] = {}
    if isinstance(exc, RemoteError):
        headers.update(normalize_ratelimit(exc.remote_headers))
        if exc.remote_headers.get("retry-after"):
            headers["retry-after"] = exc.remote_headers["retry-after"]
    if isinstance(exc, RateLimited):
        # A spent quota is a 429 whatever the provider's own status (GitHub says 403), with
        # Retry-After from its reset time when it gave no Retry-After.
        status = data["statusCode"] = 429
        data["error"] = "Too Many Requests"
        if "retry-after" not in headers and exc.reset_after is not None:
            headers["retry-after"] = str(max(1, math.ceil(exc.reset_after)))
    if isinstance(exc, ProviderBusy):
        headers["retry-after"] = "1"
    if isinstance(exc, Unauthorized):
        headers["www-authenticate"] = 'Bearer realm="unci"'
    return _json(data, status, headers, secrets)


async def _off_loop(size: int, work: Callable[..., Response], *args: Any) -> Response:
    """Build a response in a worker thread when it encodes a large body (rendering, JSON,
    scrubbing), so other requests on this event loop are not held up."""
    if size > OFF_LOOP_BYTES:
        return await anyio.to_thread.run_sync(work, *args)
    return work(*args)


#: Where a request's query and account, once known, are kept for its error answer: in its ASGI
#: scope (Starlette's ``request.state`` cost a tenth of resolving the account).
QUERY, TARGET = "unci.query", "unci.target"


def _secrets_for(request: Request) -> list[str]:
    """The credentials a failed request would have used, to scrub them from its error body."""
    query: TrutoQuery | None = request.scope.get(QUERY)
    if query is None:
        return []
    target: Target | None = request.scope.get(TARGET)
    if target is not None:
        return target.secrets
    from unci.call import resolve_target

    try:
        return resolve_target(query.provider, account=query.account).secrets
    except Exception:  # noqa: BLE001 - nothing to scrub when there is nothing to resolve
        return []


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Handler) -> Handler:
    """Turn every failure into Truto's envelope; log the unexpected, credentials scrubbed."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except HTTPException as exc:  # a path no endpoint serves, found inside one (jobs/5/steps)
            return await _http_error(request, exc)
        except UnciError as exc:
            secrets = _secrets_for(request)
            return await _off_loop(len(getattr(exc, "remote_body", b"")), _error_response, exc, secrets)
        except Exception as exc:  # noqa: BLE001 - a request must never take the server down
            secrets = _secrets_for(request)
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            log.error(
                "internal error on %s: %s",
                request.url.path,
                scrub_bytes(text.encode(), secrets).decode(),
                extra={"multiline": True},
            )
            return _json(
                {
                    "statusCode": 500,
                    "error": "Internal Server Error",
                    "message": f"internal error: {type(exc).__name__} (see the server log)",
                },
                500,
            )

    return endpoint


# --- the pieces every job request shares ------------------------------------------------------


def _authorize(request: Request) -> None:
    checker: TokenChecker | None = request.app.state.tokens
    if checker is None:
        return
    problem = checker.problem(_authorization(request.scope))
    if problem:
        raise Unauthorized(problem)


def _authorization(scope: Scope) -> str | None:
    """The first ``Authorization`` header, as ``request.headers.get`` reads it (the ASGI
    server gives names in lower case), without building Starlette's ``Headers``."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            text: str = value.decode("latin-1")
            return text
    return None


def _raw_query(request: Request) -> str:
    """The query string as ``request.url.query`` has it, without building the whole URL."""
    raw: bytes = request.scope.get("query_string", b"")
    return raw.decode("latin-1")


def _query(request: Request, operation: str) -> tuple[TrutoQuery, Target | None]:
    """The request's query (parsed once per query string) and its account, resolved."""
    query = parsed(_raw_query(request), operation=operation)
    return query, _asked(request, query)


def _asked(request: Request, query: TrutoQuery) -> Target | None:
    """The integrated account named, checked against the provider named, and resolved; or
    ``None``: the provider's own environment credentials (the client resolves them)."""
    request.scope[QUERY] = query
    if query.account:
        try:
            account, target = resolve(query.account)
        except UsageError:
            raise AccountNotFound(
                f"integrated account {query.account!r} not found; integrated_account_id is an "
                "account's name or id from `unci accounts list` on the server"
            ) from None
        if query.provider and query.provider != account.provider:
            raise UsageError(
                f"integrated account {account.name!r} is a {account.provider} "
                f"account, not {query.provider}; drop provider="
            )
        request.scope[TARGET] = target
        return target
    if not query.provider:
        raise UsageError(
            "integrated_account_id is required: an account's name or id from `unci accounts list` "
            "on the server (or provider=NAME to use the server's own environment credentials)"
        )
    return None


def _who(target: Target | None) -> dict[str, Any]:
    """Whom the calls ask: the account as resolved, else (no account) the provider's own
    environment credentials, which the client resolves."""
    return {} if target is None else {"target": target}


def _client(request: Request) -> AsyncClient:
    client: AsyncClient = request.app.state.client  # set by the lifespan, before any request
    return client


def _ok(value: Any, answer_headers: dict[str, str], secrets: list[str]) -> Response:
    headers = normalize_ratelimit(answer_headers)
    if isinstance(value, bytes):  # raw: the provider's body and its content type
        media = answer_headers.get("content-type") or JSON
        return Response(scrub_bytes(value, secrets), media_type=media, headers=headers)
    return _json(value, headers=headers, secrets=secrets)


# --- endpoints -----------------------------------------------------------------------------


async def get_job(request: Request) -> Response:
    return await _get(request, "get")


async def get_build(request: Request) -> Response:
    return await _get(request, "build")


async def _get(request: Request, operation: str) -> Response:
    """One job (``get``) or build (``build``) by id, in any of the five formats."""
    _authorize(request)
    record_id = request.path_params["id"]
    if "/" in record_id:
        # No provider's id holds a slash: ``jobs/5/`` or ``jobs/5/steps`` is a path unci does
        # not serve, not a job to ask the provider for (a remote 404, on the account's quota).
        raise HTTPException(404)
    query, target = _query(request, operation)
    kw: dict[str, Any] = {"params": query.params, "remote_query": query.remote_query, **_who(target)}
    client = _client(request)
    build = operation == "build"
    if query.fmt == "stream":
        streaming = client.stream_build if build else client.stream
        return await _stream(streaming(query.provider, record_id, **kw), record_id)
    fetched: Fetched | FetchedBuild
    if build:
        fetched = await client.fetch_build(query.provider, record_id, **kw)
    else:
        fetched = await client.fetch(query.provider, record_id, include_steps=query.include_steps, **kw)

    def answer() -> Response:
        secrets = fetched.call.target.secrets
        if query.fmt == "raw":
            return _ok(fetched.answer.body, fetched.answer.headers, secrets)
        bare, exclude = query.ignore_remote_data, query.exclude
        data = render_json(fetched, query.fmt, ignore_remote_data=bare, exclude=exclude, secrets=secrets)
        return Rendered(data, normalize_ratelimit(fetched.answer.headers))

    return await _off_loop(len(fetched.answer.body), answer)


class BrokeOff(NetworkError):
    """A body that broke off after its status was sent, already logged as one warning line:
    raised to break the connection, which the server then does without a traceback."""


class _QuietBrokeOff(logging.Filter):
    """uvicorn logs every exception out of the app as an error with its traceback: an
    alert-worthy line for a provider that closed its end mid-body, a documented event."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], BrokeOff))


async def _stream(chunks: AsyncGenerator[bytes, None], record_id: str) -> Response:
    """The provider's body chunk by chunk; the first chunk is awaited before answering, so an
    error status from the provider is still a proper envelope and not a broken 200."""
    try:
        first = await chunks.__anext__()
    except StopAsyncIteration:
        return Response(b"", media_type=JSON)
    except BaseException:
        await chunks.aclose()
        raise

    async def body() -> AsyncIterator[bytes]:
        try:
            yield first
            async for chunk in chunks:
                yield chunk
        except UnciError as exc:
            # The status is sent; breaking the connection is how the caller learns the body is
            # incomplete (a clean end would pass a truncated body off as whole).
            log.warning("stream of %r broke off: %s", record_id, exc.http_message())
            raise BrokeOff(exc.message, provider=exc.provider) from None
        finally:
            await chunks.aclose()

    return StreamingResponse(body(), media_type=JSON)


#: The log endpoint's own query parameters; every other name is read as for one job.
LOG_OPTIONS = ("follow", "tail", "failed_only", "color")


def _log_options(raw_query: str) -> tuple[dict[str, str], str]:
    from urllib.parse import parse_qsl, urlencode

    options: dict[str, str] = {}
    rest = []
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        if key in LOG_OPTIONS:
            if key in options:
                raise UsageError(f"query parameter {key!r} is given more than once; give it once")
            options[key] = value
        else:
            rest.append((key, value))
    return options, urlencode(rest)


async def job_log(request: Request) -> Response:
    """The job's log as ``text/plain``, streamed; the first chunk is awaited before answering,
    so "no log yet" (409) or a wrong id (404) is still Truto's envelope."""
    from unci import numbers
    from unci.server.query import bool_value

    _authorize(request)
    if "/" in request.path_params["id"]:
        raise HTTPException(404)  # as for one job: no provider's id holds a slash
    options, rest = _log_options(_raw_query(request))
    query = parse(rest, operation="get")
    if query.fmt != "unified" or query.exclude or query.ignore_remote_data:
        raise UsageError(
            "the log endpoint answers the provider's text; truto_response_format, "
            "truto_exclude_fields and truto_ignore_remote_data do not apply to it"
        )
    target = _asked(request, query)
    job_id = request.path_params["id"]
    chunks = _client(request).iter_log(
        query.provider,
        job_id,
        params=query.params,
        remote_query=query.remote_query,
        **_who(target),
        follow=bool_value("follow", options.get("follow", "false")),
        failed=bool_value("failed_only", options.get("failed_only", "false")),
        color=bool_value("color", options.get("color", "true")),
        tail=numbers.whole(options["tail"], "tail", minimum=0) if options.get("tail") else None,
    )
    try:
        first = await chunks.__anext__()
    except StopAsyncIteration:
        return Response(b"", media_type=TEXT)
    except BaseException:
        await chunks.aclose()
        raise

    async def body() -> AsyncIterator[bytes]:
        try:
            yield first
            async for chunk in chunks:
                yield chunk
        except UnciError as exc:
            log.warning("log of job %r broke off: %s", job_id, exc.http_message())
            raise BrokeOff(exc.message, provider=exc.provider) from None
        finally:
            await chunks.aclose()

    return StreamingResponse(body(), media_type=TEXT)


async def list_jobs(request: Request) -> Response:
    return await _list(request, "list")


async def list_builds(request: Request) -> Response:
    return await _list(request, "builds")


async def _list(request: Request, operation: str) -> Response:
    """One page of jobs (``list``) or builds (``builds``, filtered), as ``unci jobs list`` and
    ``unci builds list`` print it."""
    _authorize(request)
    query, target = _query(request, operation)
    client = _client(request)
    page: JobPage | BuildList
    try:
        if operation == "builds":
            page = await client.list_builds(query.provider, **_page_kw(query, target), **_filter_kw(query))
        elif _discovers(query, target):
            page = await _discovered(client, query, target)
        else:
            page = await client.list_jobs(
                query.provider, **_page_kw(query, target), include_steps=query.include_steps
            )
    except UnciError:
        raise
    except Exception as exc:
        if query.cursor is None:
            raise
        # The same call without the cursor works: what the cursor held (a path or header no
        # HTTP client will send) is the caller's input, so this is a 400, not a 500.
        log.warning("a next_cursor could not be followed: %s: %s", type(exc).__name__, exc)
        raise UsageError(
            "next_cursor is not one this server handed out (corrupted or "
            "truncated); start again without next_cursor"
        ) from None
    call, answer = page.calls[-1]

    def rendered() -> Response:
        value = render_page(
            page, query.fmt, ignore_remote_data=query.ignore_remote_data, exclude=query.exclude
        )
        return _ok(value, answer.headers, call.target.secrets)

    return await _off_loop(len(answer.body), rendered)


def _page_kw(query: TrutoQuery, target: Target | None) -> dict[str, Any]:
    """What every list call takes from the query: the provider's params, the page (``limit``,
    ``next_cursor``), the remote query and whom to ask."""
    return {
        "params": query.params,
        "limit": query.limit,
        "cursor": query.cursor,
        "remote_query": query.remote_query,
        **_who(target),
    }


class _Filters(TypedDict):
    """The build filters as the clients' calls take them (unset ones ``None``)."""

    branch: str | None
    status: str | None
    conclusion: str | None
    since: str | None
    until: str | None


def _filter_kw(query: TrutoQuery) -> _Filters:
    """The query's build filters (:data:`unci.server.query.FILTERS`), for a clients' call."""
    got = query.filters.get
    return _Filters(
        branch=got("branch"),
        status=got("status"),
        conclusion=got("conclusion"),
        since=got("since"),
        until=got("until"),
    )


def _discovers(query: TrutoQuery, target: Target | None) -> bool:
    """Is this jobs list one of the jobs of the builds that match (filters or such a cursor,
    and no build), as ``unci jobs list`` decides it?"""
    if not query.filters and not query.cursor:
        return False
    from unci.builds import discovers

    if target is None:
        from unci.call import resolve_target

        target = resolve_target(query.provider)
    return discovers(target, query.params, query.filters, query.cursor)


async def _discovered(client: AsyncClient, query: TrutoQuery, target: Target | None) -> JobPage:
    """One page of the jobs of the builds that match: the jobs of one provider page of builds,
    newest first, at most ``limit``; its cursor resumes the walk right after the last job (in
    the middle of a build when the limit fell there) and carries the filters."""
    if query.fmt == "raw":
        raise UsageError(
            "truto_response_format=raw answers one provider body, and the jobs of the builds "
            "that match come from one job list per build; use unified, normalized or debug"
        )
    jobs: list[Job] = []
    calls: list[tuple[Call, Answer]] = []
    cursor: str | None = None
    async for page in client.iter_build_job_pages(
        query.provider,
        **_page_kw(query, target),
        **_filter_kw(query),
        page_size=query.limit,
        build_pages=1,
        include_steps=query.include_steps,
    ):
        jobs.extend(page.result)
        calls.extend(page.calls)
        cursor = page.next_cursor
    return JobPage(jobs, cursor, calls)


async def health(request: Request) -> Response:
    return _json({"status": "ok", "version": __version__})


async def openapi(request: Request) -> Response:
    doc = request.app.state.openapi
    if doc is None:
        from unci.server.openapi import document

        doc = request.app.state.openapi = document(auth=request.app.state.tokens is not None)
    root = request.scope.get("root_path", "")
    if root:
        # Behind a proxy at a prefix (--root-path): a client made from the document calls
        # the public paths, not the app's own.
        doc = {**doc, "servers": [{"url": root}]}
    return _json(doc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    names = {404: "Not Found", 405: "Method Not Allowed"}
    message = {
        404: f"no such endpoint: {request.url.path}; unci serves /unified/ci-cd/jobs, "
        "/unified/ci-cd/jobs/{id}, /unified/ci-cd/jobs/{id}/logs, /unified/ci-cd/builds, "
        "/unified/ci-cd/builds/{id}, /openapi.json and /healthz",
        405: f"{request.method} is not allowed here; the job and build endpoints answer GET",
    }
    status = exc.status_code
    return _json(
        {
            "statusCode": status,
            "error": names.get(status, "Error"),
            "message": message.get(status, str(exc.detail)),
        },
        status,
        headers=dict(exc.headers or {}),
    )


# --- the app -------------------------------------------------------------------------------

JOBS = "/unified/ci-cd/jobs"
BUILDS = "/unified/ci-cd/builds"


class Direct:
    """The four endpoints every caller hits (the job and build lists, one job, one build),
    reached without Starlette's router and the layers around it.

    For those, Starlette matched the path against each route's pattern in turn, wrapped the
    call in two layers of exception handling and a third of error handling, all of which the
    endpoints (:func:`_guarded`) already do themselves; that was about a tenth of the server's
    own work per request. The path is matched here with the same routes' own patterns, in the
    same order (``/jobs/{id}/logs`` before ``/jobs/{id}``), and the endpoint gets the same
    request: everything else (other methods, ``HEAD``, the log, ``/openapi.json``, a path under
    another ``root_path``, any path the patterns do not match) goes through Starlette as before.

    The access line of a request answered here is written here, with the status of the
    response the endpoint returned, rather than by :class:`AccessLog` watching every message
    sent (the same line, through the same ``write``).
    """

    def __init__(self, app: ASGIApp, routes: list[Route], write: Callable[[str], None] | None = None) -> None:
        self.app = app
        self.write = write or through_logging
        by_path = {route.path: route for route in routes}
        #: The lists, by their exact path.
        self.lists = {path: by_path[path].endpoint for path in (JOBS, BUILDS)}
        #: One record: the prefix, a route that comes first and is left to Starlette, the route.
        self.records = [
            (f"{JOBS}/", by_path[f"{JOBS}/{{id:path}}/logs"], by_path[f"{JOBS}/{{id:path}}"]),
            (f"{BUILDS}/", None, by_path[f"{BUILDS}/{{id:path}}"]),
        ]

    def _endpoint(self, scope: Scope) -> Callable[[Request], Awaitable[Response]] | None:
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root:  # Starlette's route path is the path after root_path; unusual cases are its own
            if not path.startswith(root + "/"):
                return None
            path = path[len(root) :]
        found = self.lists.get(path)
        if found is not None:
            scope["path_params"] = {}
            return found
        for prefix, before, route in self.records:
            if path.startswith(prefix):
                if "\n" not in path:
                    # The patterns are the prefix, then the id (``.*``, anything but a line
                    # break), then ``/logs`` for the log, anchored: without a line break the
                    # log's matches exactly when the rest ends with /logs, the record's always,
                    # and the id is the rest. Two regex matches were a third of routing.
                    rest = path[len(prefix) :]
                    if before is not None and rest.endswith("/logs"):
                        return None
                    scope["path_params"] = {"id": rest}
                    return route.endpoint
                if before is not None and before.path_regex.match(path):
                    return None
                match = route.path_regex.match(path)
                if match is None:
                    return None
                scope["path_params"] = match.groupdict()  # the {id:path} convertor keeps text as is
                return route.endpoint
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self._endpoint(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        if not logs_requests():
            response = await endpoint(Request(scope, receive, send))
            await response(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # as AccessLog logs a request that ended before it answered
        try:
            response = await endpoint(Request(scope, receive, send))
            status = response.status_code
            await response(scope, receive, send)
        finally:
            self.write(access_line(scope, status, start))


def _cors(origins: tuple[str, ...]) -> list[Middleware]:
    """Starlette's CORS middleware, outermost, for a dashboard's page on another origin: a
    browser sends ``Authorization`` only after a preflight the server answers, and shows a page
    only the answers (and the rate-limit headers) the server allows it. None without origins:
    no other page can read an answer."""
    if not origins:
        return []
    from starlette.middleware.cors import CORSMiddleware

    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET"],
            allow_headers=["Authorization"],
            expose_headers=["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"],
            max_age=600,
        )
    ]


def create_app(config: ServerConfig | None = None) -> Starlette:
    """The ASGI app. Refuses a config that checks tokens but has none."""
    config = config or ServerConfig()
    if config.auth and not config.tokens:
        raise ConfigError(
            "no API token configured: set UNCI_SERVER_TOKENS or give --tokens-file "
            f"({GENERATE_HINT}); or, on 127.0.0.1 only, pass --no-auth"
        )

    from unci.cursor_key import cursor_key

    cursor_key()  # unusable (unset, unwritable, readable by others): fail at start, not on page 2
    quiet = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietBrokeOff) for f in quiet.filters):
        quiet.addFilter(_QuietBrokeOff())

    def on_wait(message: str) -> None:
        log.warning("%s", message)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        transport = config.transport or OriginPools(PoolLimits(config.pool_size, config.pool_wait))
        async with ServerClient(
            timeout=config.timeout,
            deadline=config.deadline,
            retry=RetryPolicy(retries=config.retries, max_wait=config.max_wait),
            on_wait=on_wait,
            transport=transport,
        ) as client:
            app.state.client = client
            yield

    routes = [
        Route(JOBS, _guarded(list_jobs), methods=["GET"]),
        Route(f"{JOBS}/{{id:path}}/logs", _guarded(job_log), methods=["GET"]),
        Route(f"{JOBS}/{{id:path}}", _guarded(get_job), methods=["GET"]),
        Route(BUILDS, _guarded(list_builds), methods=["GET"]),
        Route(f"{BUILDS}/{{id:path}}", _guarded(get_build), methods=["GET"]),
        Route("/openapi.json", _guarded(openapi), methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            *_cors(config.cors_origins),
            Middleware(Direct, routes=routes, write=config.access_log),
            Middleware(AccessLog, write=config.access_log),
        ],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.tokens = TokenChecker(config.tokens) if config.auth else None
    app.state.openapi = None
    return app


def create_app_from_env() -> Starlette:
    """The app for ``uvicorn --factory`` and for each of ``unci serve --workers N``: options
    from ``UNCI_SERVER_OPTIONS`` (JSON, written by ``unci serve``), tokens from the
    environment and the tokens file, read again in every worker."""
    import json
    import os

    from unci.server.auth import load_tokens

    options = json.loads(os.environ.get("UNCI_SERVER_OPTIONS") or "{}")
    auth = options.get("auth", True)
    tokens = load_tokens(options.get("tokens_file")) if auth else []
    writer = None
    if options.get("line_writer"):
        from unci.server.accesslog import LineWriter

        writer = LineWriter()
    return create_app(
        ServerConfig(
            tokens=tokens,
            auth=auth,
            timeout=options.get("timeout"),
            retries=options.get("retries", 3),
            max_wait=options.get("max_wait", 60.0),
            deadline=options.get("deadline"),
            pool_size=options.get("pool_size", DEFAULT_PER_ORIGIN),
            pool_wait=options.get("pool_wait", DEFAULT_WAIT),
            access_log=writer,
            cors_origins=tuple(options.get("cors_origins", ())),
        )
    )


__all__ = ["ServerConfig", "create_app", "create_app_from_env"]
