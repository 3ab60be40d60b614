"""Caller input and provider headers an attacker chooses, through the ASGI app: a 400 that says
what was wrong, or the answer; never a 500."""

from __future__ import annotations

import pytest
from serverkit import JOB, JOB_PATH

from localserver import Reply

GET = "/unified/ci-cd/jobs/399444496"
LIST = "/unified/ci-cd/jobs"


@pytest.mark.parametrize("value", ["²", "١٢", "1" * 5000, "nan", "1e3", "-1", "0", " "])
def test_limit_that_is_not_a_whole_number_is_a_400(api, gh, server, value: str) -> None:
    response = api.get(LIST, params={"integrated_account_id": "gh", "build": "29679449", "limit": value})
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith("limit must be a whole number")
    assert server.requests == []


def test_exclude_fields_index_must_be_ascii(api, gh, server) -> None:
    response = api.get(f"{GET}?integrated_account_id=gh&truto_exclude_fields[²]=id")
    assert response.status_code == 400, response.text
    assert "truto_exclude_fields is an array" in response.json()["message"]


@pytest.mark.parametrize("value", ["nan", "inf", "1e400"])
@pytest.mark.parametrize("fmt", ["debug", "unified"])
def test_a_hostile_reset_header_on_a_200_is_still_a_200(api, gh, server, value, fmt) -> None:
    server.route(
        JOB_PATH, Reply(body=JOB, headers={"Content-Type": "application/json", "x-ratelimit-reset": value})
    )
    response = api.get(GET, params={"integrated_account_id": "gh", "truto_response_format": fmt})
    assert response.status_code == 200, response.text
    assert "ratelimit-reset" not in response.headers


@pytest.mark.parametrize("fmt", ["stream", "raw", "unified"])
def test_an_upstream_redirect_is_a_502_envelope_not_a_200(api, gh, server, fmt) -> None:
    server.route(
        JOB_PATH, Reply(302, b"<html>login</html>", {"Location": "/login", "Content-Type": "text/html"})
    )
    response = api.get(GET, params={"integrated_account_id": "gh", "truto_response_format": fmt})
    assert response.status_code == 502, response.text
    body = response.json()
    assert body["remote_status"] == 302 and "redirected to" in body["message"]
