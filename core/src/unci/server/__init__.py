"""``unci serve``: Truto's ``GET /unified/ci-cd/jobs[/{id}]`` served from your own machine.

Needs the ``server`` extra (``pip install "unci[server]"``: Starlette and uvicorn). Nothing here
is imported by ``import unci`` or by the other CLI commands; the handlers call the same
:class:`unci.client.AsyncClient` and renderers as the CLI and the library, so there is one code
path for all three.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from unci.server.app import ServerConfig, create_app


def __getattr__(name: str) -> Any:
    if name in ("ServerConfig", "create_app"):
        from unci.server import app

        return getattr(app, name)
    raise AttributeError(f"module 'unci.server' has no attribute {name!r}")


__all__ = ["ServerConfig", "create_app"]
