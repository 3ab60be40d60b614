"""``unci sync`` of a Jenkins job, unchanged code: a build is its own job (one request each),
build numbers are the ids, and a build still building is fetched again until it has a result.
The builds are DevLake's recorded Jenkins build (the list_jobs cassette), renumbered."""

from __future__ import annotations

import json
import re
from pathlib import Path

from synchelp import duckdb_rows, run_sync, summary

from helpers import cassette_body
from localserver import LocalServer, Reply, serving

BUILD = json.loads(cassette_body("jenkins", "list_jobs"))["allBuilds"][0]
NEWEST_MS = 1650024049161


def _history(building: bool) -> list[dict]:
    return [
        {
            **BUILD,
            "number": n,
            "fullDisplayName": f"app #{n}",
            "timestamp": NEWEST_MS - (3 - n) * 3_600_000,
            "building": building and n == 3,
            "result": None if building and n == 3 else "SUCCESS",
        }
        for n in (3, 2, 1)
    ]


def _serve(server: LocalServer, builds: list[dict]) -> None:
    def answer(path: str) -> Reply:
        found = re.search(
            r"\{(\d+),(\d+)\}", path.replace("%7B", "{").replace("%7D", "}").replace("%2C", ",")
        )
        start, end = (int(found.group(1)), int(found.group(2))) if found else (0, len(builds))
        return Reply(
            body=json.dumps(
                {"_class": "hudson.model.FreeStyleProject", "allBuilds": builds[start:end]}
            ).encode()
        )

    server.handle("/job/app/api/json", answer)
    for b in builds:
        server.route(f"/job/app/{b['number']}/api/json", Reply(body=json.dumps(b).encode()))


def test_a_jenkins_job_syncs_and_its_running_build_is_fetched_until_done(tmp_path: Path) -> None:
    with serving() as server:
        _serve(server, _history(building=True))
        env = {
            "UNCI_JENKINS_BASE_URL": server.url,
            "UNCI_JENKINS_USERNAME": "ci",
            "UNCI_JENKINS_TOKEN": "t-not-secret",
        }
        args = ("-P", "jenkins", "-p", "job=app", "--json")
        first = summary(run_sync(*args, env=env, cwd=tmp_path))
        assert (first["builds"], first["jobs"], first["failed"]) == (3, 3, 0)
        server.requests.clear()
        _serve(server, _history(building=False))
        done = summary(run_sync(*args, env=env, cwd=tmp_path))
        assert (done["builds"], done["jobs"]) == (1, 1)  # only the build that was still running
        assert [s.path.split("?")[0] for s in server.requests] == ["/job/app/api/json", "/job/app/3/api/json"]
    rows = duckdb_rows(tmp_path / "unci.duckdb")
    assert len(rows["builds"]) == 3 and len(rows["jobs"]) == 3
    import duckdb

    with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
        assert con.execute("SELECT id, status, conclusion FROM ci.jobs ORDER BY id").fetchall() == [
            ("1", "completed", "passed"),
            ("2", "completed", "passed"),
            ("3", "completed", "passed"),
        ]
        assert con.execute("SELECT DISTINCT scope FROM ci.builds").fetchall() == [("jenkins:job=app",)]
