"""``unci serve``: run Truto's unified CI/CD jobs API on this machine (the ``server`` extra).

Kept apart from :mod:`unci.cli` so the CLI never imports Starlette or uvicorn unless asked to
serve, and says how to install them when they are missing rather than showing a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import click

from unci.errors import UsageError
from unci.options import seconds_type

INSTALL_HINT = 'pip install "unci[server]"'


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tcp_listener(sock: Any) -> Any:
    """The same listening socket, marked as TCP so that asyncio sets TCP_NODELAY on the
    connections it accepts.

    uvicorn binds the socket itself for ``--workers N`` and leaves its protocol number at 0, so
    asyncio skips TCP_NODELAY and every keep-alive response after the first waits ~40 ms for a
    delayed ACK on Linux (uvicorn issue #3149). A socket that already says TCP is returned as is.
    """
    import socket

    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock


def check_address(host: str, port: int) -> None:
    """Bind ``host:port`` once and let it go, so that an address in use or not this machine's
    is one line and exit 2 before the server says it serves there. (uvicorn would log its
    error among its own lines and exit 3, which is unci's code for a broken plugin.)"""
    import errno
    import socket

    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        why = exc.strerror if isinstance(exc, socket.gaierror) else "not a host name"
        raise UsageError(
            f"--host {host!r} is no address to listen on ({why}); give one of this machine's "
            "addresses, such as 127.0.0.1 or 0.0.0.0"
        ) from None
    family, kind, proto, _, address = found[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(address)
        except OSError as exc:
            hint = {
                errno.EADDRINUSE: "another program listens there; choose another --port (--port 0 "
                "takes a free one)",
                errno.EADDRNOTAVAIL: "this machine has no such address; give one of its addresses, "
                "such as 127.0.0.1 or 0.0.0.0",
                errno.EACCES: "ports below 1024 need privileges; choose a port above 1023",
            }.get(exc.errno or 0, "choose another --host or --port")
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}; {hint}") from None


def _patch_bind_socket() -> None:
    from uvicorn.config import Config

    if getattr(Config.bind_socket, "_unci_tcp", False):
        return
    original = Config.bind_socket

    def bind_socket(self: Any) -> Any:
        return tcp_listener(original(self))

    bind_socket._unci_tcp = True  # type: ignore[attr-defined]
    Config.bind_socket = bind_socket  # type: ignore[method-assign]


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's own logging config plus the ``unci`` logger on the same handler, every
    handler escaping control characters (a caller's input must not forge log lines)."""
    from copy import deepcopy

    from uvicorn.config import LOGGING_CONFIG

    config = deepcopy(LOGGING_CONFIG)
    config["loggers"]["unci"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    config.setdefault("filters", {})["escape"] = {"()": "unci.server.accesslog.EscapeControls"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("escape")
    return config


def _raise_file_limit(wanted: int) -> None:
    """Let the process hold ``wanted`` connections: raise the soft limit on open files toward
    the hard one (often 1024 by default, fewer than the connection limit plus pools)."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _origin(text: str, no_auth: bool) -> str:
    """A web origin as browsers send it (scheme, host, port; no path), or ``*``; never ``*``
    without tokens: any page the user opens could then read their CI data through the server."""
    if text == "*":
        if no_auth:
            raise UsageError(
                "--cors-origin '*' with --no-auth would let any web page you open read your CI "
                "data through this server; name the origin (--cors-origin http://localhost:3000)"
            )
        return text
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises for a port that is no number
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise UsageError(
            "--cors-origin must be an origin as a browser sends it, such as http://localhost:3000 "
            f"(scheme, host and port; no path), or '*'; got {text!r}"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; anything but loopback needs API tokens.",
)
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=8000,
    show_default=True,
    help="Port to bind (0: any free port).",
)
@click.option(
    "--tokens-file",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="UNCI_SERVER_TOKENS_FILE",
    show_envvar=True,
    help="File of API tokens, one a line (mode 0600); adds to UNCI_SERVER_TOKENS.",
)
@click.option("--no-auth", is_flag=True, help="Accept requests without a token; only with a loopback --host.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes (the server keeps no state).",
)
@click.option(
    "--timeout",
    type=seconds_type(positive=True),
    default=None,
    metavar="SECONDS",
    help="Provider connect/read timeout (default 30 s).",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Retries of a provider call on connection errors, 429, 502, 503, 504.",
)
@click.option(
    "--max-wait",
    type=seconds_type(positive=False),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Longest total wait for retries and rate limits per request.",
)
@click.option(
    "--deadline",
    type=seconds_type(positive=True),
    default=None,
    metavar="SECONDS",
    help="Bound on each provider call as a whole, attempts and waits included (default: none).",
)
@click.option(
    "--pool-size",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Connections to each provider origin (host:port) at most.",
)
@click.option(
    "--pool-wait",
    type=seconds_type(positive=False),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a call waits for a free connection to its provider, then 503.",
)
@click.option(
    "--header-timeout",
    type=seconds_type(positive=True),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Close a connection that has not sent a whole request head in this time.",
)
@click.option(
    "--keep-alive",
    type=seconds_type(positive=True),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Close an idle keep-alive connection after this long.",
)
@click.option(
    "--limit-concurrency",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    metavar="N",
    help="Open connections at most; more are answered 503 and closed.",
)
@click.option(
    "--root-path",
    default="",
    metavar="PATH",
    help="The path prefix a reverse proxy serves unci under (e.g. /ci).",
)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    metavar="IPS",
    help="Proxies trusted for X-Forwarded-For/-Proto (default 127.0.0.1).",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="A web origin (http://localhost:3000) whose pages may call the server from a browser; repeatable.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
    help="info logs one line per request.",
)
def serve(
    host: str,
    port: int,
    tokens_file: str | None,
    no_auth: bool,
    workers: int,
    timeout: float | None,
    retries: int,
    max_wait: float,
    deadline: float | None,
    pool_size: int,
    pool_wait: float,
    header_timeout: float,
    keep_alive: float,
    limit_concurrency: int,
    root_path: str,
    forwarded_allow_ips: str | None,
    cors_origins: tuple[str, ...],
    log_level: str,
) -> None:
    """Serve Truto's unified CI/CD API: /unified/ci-cd/jobs and /builds, each by id too.

    \b
    GET /unified/ci-cd/jobs/{id}, /unified/ci-cd/jobs, /unified/ci-cd/builds/{id},
    /unified/ci-cd/builds, and /unified/ci-cd/jobs/{id}/logs (unci's own).

    \b
    Callers send Authorization: Bearer <token>, one of UNCI_SERVER_TOKENS or the
    tokens file, and integrated_account_id=<account name or id> (see `unci accounts`).
    Also: /openapi.json and /healthz. See docs/server.md.
    """
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise UsageError(
            f"`unci serve` needs the server extra, which is not installed ({exc.name} is "
            f"missing); install it with: {INSTALL_HINT}"
        ) from None
    from unci.server.accesslog import LineWriter
    from unci.server.app import ServerConfig, create_app
    from unci.server.auth import GENERATE_HINT, load_tokens

    if no_auth and not is_loopback(host):
        raise UsageError(
            f"--no-auth is only allowed on a loopback address (127.0.0.1, ::1, localhost), not "
            f"{host!r}: anyone who can reach it could use your provider credentials. Configure "
            "API tokens (UNCI_SERVER_TOKENS or --tokens-file) instead"
        )
    origins = tuple(_origin(o, no_auth) for o in cors_origins)
    tokens = [] if no_auth else load_tokens(tokens_file)
    if not no_auth and not tokens:
        raise UsageError(
            "no API token configured: set UNCI_SERVER_TOKENS or give --tokens-file "
            f"({GENERATE_HINT}); for a server on 127.0.0.1 only, --no-auth turns checks off"
        )
    if no_auth and load_tokens(tokens_file):
        click.echo("unci: warning: --no-auth: the configured API tokens are not checked", err=True)
    # Every worker (and this process) reads the same options; tokens are read again from the
    # same environment and file, so none of them is written anywhere.
    os.environ["UNCI_SERVER_OPTIONS"] = json.dumps(
        {
            "auth": not no_auth,
            "tokens_file": tokens_file,
            "timeout": timeout,
            "retries": retries,
            "max_wait": max_wait,
            "deadline": deadline,
            "pool_size": pool_size,
            "pool_wait": pool_wait,
            "header_timeout": header_timeout,
            "limit_concurrency": limit_concurrency,
            "line_writer": True,
            "cors_origins": list(origins),
        }
    )
    config = ServerConfig(
        tokens=tokens,
        auth=not no_auth,
        timeout=timeout,
        retries=retries,
        max_wait=max_wait,
        deadline=deadline,
        pool_size=pool_size,
        pool_wait=pool_wait,
        access_log=LineWriter(),
        cors_origins=origins,
    )
    app = create_app(config)  # fail here, once, before any worker starts
    check_address(host, port)
    auth = "off (--no-auth)" if no_auth else f"{len(tokens)} API token(s)"
    where = f"{host}:{port}" if port else f"{host} (a free port, which uvicorn names below)"
    click.echo(f"unci: serving the unified CI/CD API on {where}; auth: {auth}; Ctrl+C stops", err=True)
    from unci.server.connections import protocol

    _raise_file_limit(limit_concurrency + pool_size * 8 + 64)
    # uvicorn's own limit counts connections and requests; the guarded protocol refuses
    # connections past the limit, so uvicorn's is set one above, for pipelined requests only.
    options: dict[str, Any] = dict(
        host=host,
        port=port,
        log_config=_log_config(log_level),
        log_level=log_level,
        access_log=False,
        server_header=False,
        root_path=root_path,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        http=protocol(),
        timeout_keep_alive=keep_alive,
        limit_concurrency=limit_concurrency + 1,
    )
    if workers == 1:
        uvicorn.run(app, **options)
        return
    _patch_bind_socket()
    uvicorn.run("unci.server.app:create_app_from_env", factory=True, workers=workers, **options)
