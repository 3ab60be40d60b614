"""GET /unified/ci-cd/jobs/{id}/logs: the log streamed as text, errors as Truto's envelope.

The upstream is a real HTTP server on 127.0.0.1 standing in for GitHub's API root; the log's
storage host is a second one, reached by another name, that must never see the credential.
"""

from __future__ import annotations

import json

from serverkit import GH_SECRET, JOB, JOB_PATH

from localserver import Reply, serving

LOGS = "/unified/ci-cd/jobs/399444496/logs"
LOG_PATH = JOB_PATH + "/logs"
TEXT = {"Content-Type": "text/plain"}


def test_the_log_is_streamed_from_storage_without_the_credential(api, gh, server) -> None:
    with serving() as storage:
        body = b"".join(b"2026-12-01T00:00:00Z line %d\n" % i for i in range(20_000))
        storage.route("/blob", Reply(200, body, TEXT))
        where = storage.url.replace("127.0.0.1", "localhost")
        server.route(LOG_PATH, Reply(302, b"", {"Location": f"{where}/blob?sig=x%2By"}))
        response = api.get(LOGS, params={"integrated_account_id": "gh"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert response.content == body
        [seen] = storage.requests
        assert seen.path == "/blob?sig=x%2By"
        assert GH_SECRET not in json.dumps(seen.headers)
        assert "authorization" not in {k.lower() for k in seen.headers}


def test_tail_and_color_options(api, gh, server) -> None:
    server.route(LOG_PATH, Reply(200, b"a\n\x1b[31mb\x1b[0m\nc\n", TEXT))
    response = api.get(LOGS, params={"integrated_account_id": "gh", "tail": "2", "color": "false"})
    assert response.status_code == 200 and response.content == b"b\nc\n"
    kept = api.get(LOGS, params={"integrated_account_id": "gh"})
    assert kept.content == b"a\n\x1b[31mb\x1b[0m\nc\n"


def test_no_log_yet_is_a_409_envelope(api, gh, server) -> None:
    running = json.loads(JOB)
    running.update(status="in_progress", conclusion=None)
    server.route(LOG_PATH, Reply(404, b'{"message":"Not Found"}'))
    server.route(JOB_PATH, Reply(200, json.dumps(running).encode()))
    response = api.get(LOGS, params={"integrated_account_id": "gh"})
    assert response.status_code == 409
    data = response.json()
    assert data["statusCode"] == 409 and "no log for it yet" in data["message"]
    assert "--follow" not in data["message"] and "follow=true" in data["message"]


def test_a_wrong_id_is_a_404_envelope(api, gh, server) -> None:
    server.route("/repos/octo-org/octo-repo/actions/jobs/5/logs", Reply(404, b'{"message":"Not Found"}'))
    server.route("/repos/octo-org/octo-repo/actions/jobs/5", Reply(404, b'{"message":"Not Found"}'))
    response = api.get("/unified/ci-cd/jobs/5/logs", params={"integrated_account_id": "gh"})
    assert response.status_code == 404
    assert "was not found" in response.json()["message"]


def test_failed_only_where_the_log_is_one_piece_is_a_400(api, gh) -> None:
    response = api.get(LOGS, params={"integrated_account_id": "gh", "failed_only": "true"})
    assert response.status_code == 400
    assert "not a log per step" in response.json()["message"]


def test_bad_log_options_are_a_400(api, gh) -> None:
    for params, words in (
        ({"tail": "x"}, "tail"),
        ({"follow": "maybe"}, "follow must be true or false"),
        ({"truto_response_format": "raw"}, "do not apply"),
    ):
        response = api.get(LOGS, params={"integrated_account_id": "gh", **params})
        assert response.status_code == 400, params
        assert words in response.json()["message"]


def test_follow_waits_for_the_job_then_streams_its_log(api, gh, server) -> None:
    running = json.loads(JOB)
    running.update(status="in_progress", conclusion=None)
    server.route(JOB_PATH, Reply(200, json.dumps(running).encode()), Reply(200, JOB))
    server.route(LOG_PATH, Reply(200, b"all done\n", TEXT))
    response = api.get(LOGS, params={"integrated_account_id": "gh", "follow": "true"})
    assert response.status_code == 200 and response.content == b"all done\n"
    assert [r.path for r in server.requests].count(JOB_PATH) == 2


def test_a_log_that_echoes_the_credential_reaches_the_client_scrubbed(api, gh, server) -> None:
    import base64

    basic = base64.b64encode(f":{GH_SECRET}".encode()).decode()
    body = b"".join(b"line %d\n" % i for i in range(10))
    body += f"echo {GH_SECRET}\nAuthorization: Basic {basic}\n".encode()
    # A few bytes a read from the provider: the secret is cut wherever the reads fall.
    server.route(LOG_PATH, Reply(200, body, TEXT, drip=0.0005))
    response = api.get(LOGS, params={"integrated_account_id": "gh"})
    assert response.status_code == 200
    scrubbed = body.replace(GH_SECRET.encode(), b"[REDACTED]").replace(basic.encode(), b"[REDACTED]")
    assert response.content == scrubbed
    assert GH_SECRET.encode() not in response.content and basic.encode() not in response.content
