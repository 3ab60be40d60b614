"""Shared fixtures: cassettes replay only, a real HTTP server on 127.0.0.1, clean plugin state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from helpers import SECRET_HEADERS
from localserver import LocalServer
from unci import plugins

# Property tests check behaviour, never time: on a shared, loaded machine hypothesis's default
# 200 ms deadline per example failed a test that is correct.
settings.register_profile("unci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("unci")

ROOT = Path(__file__).resolve().parent
CASSETTES = ROOT / "plugins"


_CREDENTIAL_SUFFIXES = (
    "_TOKEN",
    "_PASSWORD",
    "_USERNAME",
    "_USER",
    "_USER_ID",
    "_PAT",
    "_API_KEY",
    "_APP_PASSWORD",
    "_API_TOKEN",
    "ACCESSTOKEN",
    "_BASE_URL",
)


@pytest.fixture(scope="session")
def vcr_config() -> dict:
    return {
        "record_mode": "none",
        "filter_headers": SECRET_HEADERS,
        "filter_query_parameters": ["circle-token", "private_token", "access_token", "token"],
        "allow_playback_repeats": True,
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="session")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


@pytest.fixture(autouse=True)
def _fresh_plugins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test discovers plugins afresh, sees no credentials from the developer's shell and
    has an accounts file and a cache (`unci providers`) of its own."""
    import os

    for name in list(os.environ):
        if name.startswith("UNCI_") or name.endswith(_CREDENTIAL_SUFFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UNCI_CONFIG", str(tmp_path / "config" / "accounts.toml"))
    monkeypatch.setenv("UNCI_CACHE_DIR", str(tmp_path / "cache"))
    plugins.reset()
    yield
    plugins.reset()


@pytest.fixture(autouse=True, scope="session")
def _one_tls_context() -> Iterator[None]:
    """Every CLI run builds an httpx client, and building its TLS context costs ~25 ms (never
    used: tests talk to 127.0.0.1 or cassettes). Built once per session, behaviour unchanged."""
    import functools

    import httpx._transports.default as transports

    original = transports.create_ssl_context
    transports.create_ssl_context = functools.lru_cache(maxsize=None)(original)
    yield
    transports.create_ssl_context = original


@pytest.fixture
def server() -> Iterator[LocalServer]:
    from localserver import serving

    with serving() as srv:
        yield srv
