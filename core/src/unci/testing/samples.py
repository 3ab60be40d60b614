"""Sample bodies and cassettes a conformance subclass points at, and reading them."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True)
class Sample:
    """A response body the provider really sends for one job, and what addresses that job.

    ``job_id`` and ``params`` default to the test class's; give them when a sample answers for
    another job (a parent's timeline that holds several jobs, say).
    """

    payload: bytes
    name: str = "sample"
    job_id: str | None = None
    params: Mapping[str, str] | None = None

    @classmethod
    def file(cls, path: str | os.PathLike[str], **kw: Any) -> Sample:
        path = Path(path)
        return cls(path.read_bytes(), name=kw.pop("name", path.name), **kw)


@dataclass(frozen=True)
class Cassette:
    """A vcrpy cassette whose first request is the one unci makes for ``job_id`` and ``params``.

    ``base_url`` is the API root the recording was made against (default: the provider's
    hosted one). Its 2xx bodies also serve as samples. For a listing cassette (in
    ``list_cassettes``) ``params`` default to the class's ``list_params`` and ``limit`` is the
    page size that was asked for, if any.
    """

    path: str | os.PathLike[str]
    job_id: str | None = None
    params: Mapping[str, str] | None = None
    base_url: str | None = None
    limit: int | None = None


@dataclass
class _Interaction:
    method: str
    uri: str
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class _Recorded:
    cassette: Cassette
    interactions: list[_Interaction] = field(default_factory=list)


#: Parsed cassettes by (path, mtime, size): every check reads them, PyYAML is slow.
_PARSED: dict[tuple[str, int, int], list[_Interaction]] = {}


def _load_cassette(cassette: Cassette, resolve: Callable[[Any], Path]) -> _Recorded:
    """Read a vcrpy cassette (YAML) without vcrpy: only the fields the checks use."""
    path = resolve(cassette.path)
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        _PARSED[key] = _parse_cassette(path)
    return _Recorded(replace(cassette, path=path), list(_PARSED[key]))


def _parse_cassette(path: Path) -> list[_Interaction]:
    try:
        import yaml
    except ImportError:  # pragma: no cover - the `testing` extra brings it
        pytest.fail("reading cassettes needs PyYAML: pip install 'unci[testing]'", pytrace=False)
    # The pure-Python safe loader, not the C one: pytester restores sys.modules after an inner
    # run, and a yaml re-imported afterwards no longer matches the C extension's node classes
    # ("could not determine a constructor for the tag None"). Cassettes are small.
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader) or {}
    found = []
    for item in data.get("interactions", []):
        req, resp = item.get("request", {}), item.get("response", {})
        body = (resp.get("body") or {}).get("string", b"")
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = {
            str(k).lower(): (v[0] if isinstance(v, list) and v else str(v))
            for k, v in (resp.get("headers") or {}).items()
        }
        found.append(
            _Interaction(
                method=str(req.get("method", "GET")),
                uri=str(req.get("uri", "")),
                status=int((resp.get("status") or {}).get("code", 0)),
                headers=headers,
                body=body,
            )
        )
    return found
