"""The server sends a call's URL without httpx parsing it when it is already what httpx would
send; for every other URL it asks httpx. Either way the URL is the one httpx writes."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from unci.call import Call, Target
from unci.lean import request_url
from unci.plugins import registry
from unci.provider import Credentials
from unci.server.client import ServerClient
from unci.server.pools import OriginPools

URLS = [
    "http://127.0.0.1:5000/repos/octo-org/octo-repo/actions/jobs/399444496",
    "https://api.github.com/repos/o/r/actions/jobs/1",
    "https://api.github.com/repos/o/r/actions/jobs/",
    "https://api.github.com/x/a%2Fb%3F",
    "https://api.github.com/x/a%2fb",
    "https://api.github.com/x/a%zz",
    "https://api.github.com/x/a%",
    "https://api.github.com/x/it's:@(1)+!$&*,;=~",
    "https://api.github.com/x/a b",
    "https://api.github.com/x/caf\u00e9",
    "https://api.github.com/x/a{b}",
    "https://api.github.com/x/a`b",
    "https://api.github.com/x/a|b^c[d]",
    "https://api.github.com/x/..",
    "https://api.github.com/x/.",
    "https://api.github.com/x/../y",
    "https://api.github.com/./x/y",
    "https://API.GitHub.com/x/y",
    "HTTPS://api.github.com/x/y",
    "https://api.github.com:443/x/y",
    "http://example.com:80/x/y",
    "http://example.com:8080/x/y",
    "http://[::1]:8080/x/y",
    "https://b\u00fccher.example/x/y",
    "https://api.github.com/x y/z",
    "https://api.github.com/x%20y/z",
    "https://api.github.com",
    "https://api.github.com/x?a=1/y",
    "https://api.github.com/x#frag/y",
]


def _call(url: str, query: list[tuple[str, str]]) -> Call:
    target = Target("github", registry().info("github"), "https://api.github.com", Credentials(), {})
    return Call(target, "GET", url, query, {}, ())


@pytest.mark.parametrize("query", [[], [("per_page", "100"), ("q", "a b/c")]])
@pytest.mark.parametrize("url", URLS)
def test_the_url_sent_is_the_one_httpx_writes(url: str, query: list[tuple[str, str]]) -> None:
    async def check() -> None:
        async with ServerClient(transport=OriginPools()) as client:
            try:
                expected = request_url(client._http, url, tuple(query))
            except httpx.InvalidURL:
                with pytest.raises(httpx.InvalidURL):
                    client._wire_url(_call(url, query))
                return
            sent, origin = client._wire_url(_call(url, query))
            assert sent == str(expected)
            assert (origin.raw_scheme, origin.raw_host, origin.port) == (
                expected.raw_scheme,
                expected.raw_host,
                expected.port,
            )
            assert origin.netloc == expected.netloc

    asyncio.run(check())
