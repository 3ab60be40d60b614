"""``unci sync`` into DuckDB files against a GitHub-shaped upstream process: what lands in the
tables, what a second sync asks for, re-runs, unfinished builds, failures and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from synchelp import duckdb_rows, run_sync, summary, upstream

REPO = ("-P", "github", "-p", "owner=ci", "-p", "repo_id=api")


@pytest.fixture
def history():
    # 12 runs an hour apart, 3 jobs each, the newest 2 still running.
    with upstream(
        "--builds", "12", "--jobs-per-build", "3", "--unfinished", "2", "--fail-repo", "gone"
    ) as up:
        yield up


def test_first_sync_writes_every_build_job_and_step(history, tmp_path: Path) -> None:
    result = run_sync(*REPO, env=history.env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    line = result.stdout.strip()
    assert line.startswith("synced 1 repository into duckdb unci.duckdb (dataset ci): 12 builds, 36 jobs")
    rows = duckdb_rows(tmp_path / "unci.duckdb")
    assert len(rows["builds"]) == 12 and len(rows["jobs"]) == 36
    assert len(rows["steps"]) == 36 * 10  # the recorded job has ten steps
    import duckdb

    with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
        running = con.execute("SELECT count(*) FROM ci.builds WHERE status = 'in_progress'").fetchone()
        repo = con.execute("SELECT DISTINCT repo, provider, account, scope FROM ci.builds").fetchall()
        job = con.execute(
            "SELECT build, attempt, remote_data->>'$.name' FROM ci.jobs ORDER BY id LIMIT 1"
        ).fetchone()
    assert running == (2,)
    assert repo == [("ci/api", "github", "", "github:owner=ci&repo_id=api")]
    assert job is not None and job[1] == 1 and job[2] == "job 0"


def test_a_jobs_steps_are_the_steps_tables_rows_and_not_a_second_copy_in_the_jobs_row(
    history, tmp_path: Path
) -> None:
    assert run_sync(*REPO, env=history.env(), cwd=tmp_path).returncode == 0
    import duckdb

    with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
        columns = {c for (c,) in con.execute("SELECT column_name FROM (DESCRIBE ci.jobs)").fetchall()}
        listed = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'ci'")
        tables = {t for (t,) in listed.fetchall()}
        joined = con.execute(
            "SELECT count(*), count(DISTINCT j.id) FROM ci.jobs j JOIN ci.steps s"
            " ON (s.provider, s.account, s.scope, s.job, s.attempt)"
            " = (j.provider, j.account, j.scope, j.id, j.attempt)"
        ).fetchone()
        job, raw = con.execute("SELECT id, remote_data FROM ci.jobs ORDER BY id LIMIT 1").fetchone()
        named = con.execute("SELECT name FROM ci.steps WHERE job = ? ORDER BY position", [job])
        names = [n for (n,) in named.fetchall()]
    assert "steps" not in columns and {"remote_data", "conclusion", "failure_reason"} <= columns
    assert tables == {"builds", "jobs", "steps", "_dlt_loads", "_dlt_pipeline_state", "_dlt_version"}
    assert joined == (360, 36)
    # One job's rows of steps, in order, are the steps the provider gave for it.
    assert len(names) == 10 and names == [step["name"] for step in json.loads(raw)["steps"]]


def test_second_sync_with_nothing_new_asks_once_plus_once_per_unfinished_build(
    history, tmp_path: Path
) -> None:
    assert run_sync(*REPO, env=history.env(), cwd=tmp_path).returncode == 0
    first = duckdb_rows(tmp_path / "unci.duckdb")
    history.control("forget")
    again = summary(run_sync(*REPO, "--json", env=history.env(), cwd=tmp_path))
    asked = history.requests()
    # One list of runs, and the job lists of the two running builds, asked conditionally.
    assert len(asked) == 3 and again["requests"] == 3
    assert asked[0]["path"].split("?")[0] == "/repos/ci/api/actions/runs"
    conditional = [r for r in asked if "/jobs" in r["path"]]
    assert len(conditional) == 2 and all(r["if_none_match"] and r["status"] == 304 for r in conditional)
    assert again["unchanged"] == 2 and again["jobs"] == 0
    assert duckdb_rows(tmp_path / "unci.duckdb") == first


def test_unfinished_builds_are_fetched_until_they_finish(history, tmp_path: Path) -> None:
    assert run_sync(*REPO, env=history.env(), cwd=tmp_path).returncode == 0
    history.control("finish")
    done = summary(run_sync(*REPO, "--json", env=history.env(), cwd=tmp_path))
    assert done["builds"] == 2 and done["jobs"] == 6
    import duckdb

    with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ci.builds WHERE status <> 'completed'").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM ci.jobs WHERE completed_at IS NULL").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM ci.jobs").fetchone() == (36,)
    history.control("forget")
    quiet = summary(run_sync(*REPO, "--json", env=history.env(), cwd=tmp_path))
    # Nothing pending: the one list is asked for with the ETag it had, and is unchanged.
    assert quiet["requests"] == 1 and quiet["builds"] == 0 and quiet["unchanged"] == 1
    (asked,) = history.requests()
    assert asked["if_none_match"] and asked["status"] == 304
    history.control("add")
    newer = summary(run_sync(*REPO, "--json", env=history.env(), cwd=tmp_path))
    assert newer["builds"] == 1 and newer["jobs"] == 3
    with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ci.builds").fetchone() == (13,)


def test_a_rerun_inside_the_lookback_adds_its_attempt_once(history, tmp_path: Path) -> None:
    assert run_sync(*REPO, env=history.env(), cwd=tmp_path).returncode == 0
    history.control("rerun?id=700010")  # two hours older than the newest run
    history.control("add")
    for _ in range(2):  # the second run adds nothing twice
        result = run_sync(*REPO, env=history.env(), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    import duckdb

    with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
        attempts = con.execute(
            "SELECT attempt FROM ci.builds WHERE id = '700010' ORDER BY attempt"
        ).fetchall()
        jobs = con.execute(
            "SELECT attempt, count(*) FROM ci.jobs WHERE build = '700010' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        total = con.execute("SELECT count(*), count(DISTINCT (id, attempt)) FROM ci.builds").fetchone()
    assert attempts == [(1,), (2,)]
    assert jobs == [(1, 3), (2, 3)]
    assert total == (14, 14)  # 12 runs, the new one, the second attempt


def test_a_rerun_outside_the_lookback_is_not_looked_for(history, tmp_path: Path) -> None:
    assert run_sync(*REPO, "--lookback", "1h", env=history.env(), cwd=tmp_path).returncode == 0
    history.control("rerun?id=700003")  # nine hours before the newest
    result = summary(run_sync(*REPO, "--lookback", "1h", "--json", env=history.env(), cwd=tmp_path))
    assert result["builds"] == 0 or all(r["error"] is None for r in result["repositories"])
    refreshed = summary(run_sync(*REPO, "--full-refresh", "--json", env=history.env(), cwd=tmp_path))
    assert refreshed["builds"] == 12 and refreshed["full_refresh"] is True
    import duckdb

    with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
        assert con.execute("SELECT max(attempt) FROM ci.builds WHERE id = '700003'").fetchone() == (2,)


def test_since_bounds_the_first_sync(history, tmp_path: Path) -> None:
    result = summary(
        run_sync(*REPO, "--since", "2026-11-30T07:30:00Z", "--json", env=history.env(), cwd=tmp_path)
    )
    assert result["builds"] == 5  # created at 12:00, 11:00 ... 08:00


def test_one_failing_repository_fails_alone(history, tmp_path: Path) -> None:
    args = ("-P", "github", "-p", "owner=ci", "-p", "repo_id=api", "-p", "repo_id=gone", "-p", "repo_id=web")
    result = run_sync(*args, env=history.env(), cwd=tmp_path)
    assert result.returncode == 5  # not found
    lines = result.stderr.strip().splitlines()
    assert (
        len(lines) == 1
        and lines[0].startswith("unci: error: github: ci/gone: ")
        and "github: ci/gone: github:" not in lines[0]
    )
    assert "404" in lines[0] or "not found" in lines[0].lower()
    assert "2 builds" not in result.stdout and result.stdout.strip().endswith("1 failed")
    assert result.stdout.startswith("synced 2 of 3 repositories into duckdb unci.duckdb (dataset ci): ")
    import duckdb

    with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
        assert con.execute("SELECT repo, count(*) FROM ci.builds GROUP BY 1 ORDER BY 1").fetchall() == [
            ("ci/api", 12),
            ("ci/web", 12),
        ]


def test_account_and_plan_file(history, tmp_path: Path) -> None:
    env = {**history.env(), "WORK_GH_TOKEN": "test-token-not-a-secret"}
    add = subprocess.run(
        [
            sys.executable,
            "-m",
            "unci",
            "accounts",
            "add",
            "work-gh",
            "-P",
            "github",
            "--token-env",
            "WORK_GH_TOKEN",
            "--base-url",
            history.url,
            "-p",
            "owner=ci",
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert add.returncode == 0, add.stderr
    (tmp_path / "sync.toml").write_text(
        'lookback = "2h"\n\n[[sync]]\naccount = "work-gh"\nrepo_id = ["api", "web"]\n'
    )
    by_file = summary(
        run_sync("--config", "sync.toml", "--duckdb", "ci-history.duckdb", "--json", env=env, cwd=tmp_path)
    )
    assert [r["scope"] for r in by_file["repositories"]] == [
        "work-gh:owner=ci&repo_id=api",
        "work-gh:owner=ci&repo_id=web",
    ]
    assert by_file["builds"] == 24
    by_options = summary(
        run_sync(
            "--account",
            "work-gh",
            "-p",
            "repo_id=api",
            "--duckdb",
            "ci-history.duckdb",
            "--lookback",
            "2h",
            "--json",
            env=env,
            cwd=tmp_path,
        )
    )
    # The state of the plan's sync is the state of this one: one list, two running builds.
    assert by_options["requests"] == 3
    rows = duckdb_rows(tmp_path / "ci-history.duckdb")
    assert {r for r in rows["builds"]} and all("work-gh" in r for r in rows["builds"])


def test_token_and_base_url_options_stand_for_the_variables(history, tmp_path: Path) -> None:
    # The variables point elsewhere: only the options can make this sync work.
    wrong = {"UNCI_GITHUB_BASE_URL": "http://127.0.0.1:9", "GITHUB_TOKEN": "wrong-token-not-a-secret"}
    token = "opt-token-0123456789abcdef"
    (tmp_path / "token").write_text(token + "\n")
    result = run_sync(
        *REPO, "--base-url", history.url, "--token-file", "token", "--json", env=wrong, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    done = summary(result)
    assert done["builds"] == 12 and done["jobs"] == 36
    # Named as a sync with the variables names it: the same state, the same rows.
    assert [r["scope"] for r in done["repositories"]] == ["github:owner=ci&repo_id=api"]
    asked = history.requests()
    assert asked and all(r["authorization"] == f"Bearer {token}" for r in asked)
    assert token not in result.stdout + result.stderr
    assert token.encode() not in (tmp_path / "unci.duckdb").read_bytes()
    first = duckdb_rows(tmp_path / "unci.duckdb")
    history.control("forget")
    again = summary(run_sync(*REPO, "--json", env=history.env(), cwd=tmp_path))
    assert again["requests"] == 3  # one list, and the two running builds' jobs
    assert duckdb_rows(tmp_path / "unci.duckdb") == first
    assert all(r["authorization"] == "Bearer test-token-not-a-secret" for r in history.requests())


def test_the_default_account_is_synced_when_none_is_named(history, tmp_path: Path) -> None:
    env = {"WORK_GH_TOKEN": "test-token-not-a-secret"}

    def unci(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "unci", *args], env={**os.environ, **env}, capture_output=True, text=True
        )

    for name in ("work-gh", "home-gh"):
        add = unci(
            "accounts", "add", name, "-P", "github", "--token-env", "WORK_GH_TOKEN", "--base-url", history.url
        )
        assert add.returncode == 0, add.stderr
    assert unci("accounts", "default", "work-gh").returncode == 0
    by_default = summary(run_sync("-p", "owner=ci", "-p", "repo_id=api", "--json", env=env, cwd=tmp_path))
    assert [r["scope"] for r in by_default["repositories"]] == ["work-gh:owner=ci&repo_id=api"]
    assert by_default["builds"] == 12
    by_variable = summary(
        run_sync(
            "-p",
            "owner=ci",
            "-p",
            "repo_id=api",
            "--json",
            env={**env, "UNCI_ACCOUNT": "home-gh"},
            cwd=tmp_path,
        )
    )
    assert [r["scope"] for r in by_variable["repositories"]] == ["home-gh:owner=ci&repo_id=api"]
    # Naming the provider still syncs with its variables, as before: the same scope as ever.
    by_provider = summary(run_sync(*REPO, "--json", env=history.env(), cwd=tmp_path))
    assert [r["scope"] for r in by_provider["repositories"]] == ["github:owner=ci&repo_id=api"]


def test_credentials_with_a_plan_file_are_refused(history, tmp_path: Path) -> None:
    (tmp_path / "sync.toml").write_text('[[sync]]\nprovider = "github"\nowner = "ci"\nrepo_id = "api"\n')
    result = run_sync("--config", "sync.toml", "--base-url", history.url, env=history.env(), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--base-url applies to --account/-P, not to a --config plan" in lines[0]
    assert history.requests() == []


def test_a_file_that_is_no_duckdb_database_is_exit_14_and_left_as_it_was(history, tmp_path: Path) -> None:
    (tmp_path / "notes.duckdb").write_text("my notes\n")
    result = run_sync(*REPO, "--duckdb", "notes.duckdb", env=history.env(), cwd=tmp_path)
    assert result.returncode == 14, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not a valid DuckDB database file" in lines[0], lines
    assert "check that the file is a DuckDB database (or give a new file name)" in lines[0]
    assert (tmp_path / "notes.duckdb").read_text() == "my notes\n"


def test_a_load_duckdb_has_no_memory_for_says_so_and_a_rerun_with_more_repairs_it(
    history, tmp_path: Path
) -> None:
    """DuckDB out of memory was worded as a file that might not be a DuckDB database."""
    tight = {**history.env(), "DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG": '{"memory_limit": "1MB"}'}
    result = run_sync(*REPO, env=tight, cwd=tmp_path)
    assert result.returncode == 14, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "the destination failed: Out of Memory Error" in lines[0], lines
    assert "give DuckDB more memory, e.g. DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG=" in lines[0]
    assert "is a DuckDB database" not in lines[0]
    again = run_sync(*REPO, env=history.env(), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    rows = duckdb_rows(tmp_path / "unci.duckdb")
    assert len(rows["builds"]) == 12 and len(rows["jobs"]) == 36 and len(rows["steps"]) == 360


def test_a_load_that_does_not_fit_the_cap_raises_it_and_writes_everything_once(
    history, tmp_path: Path
) -> None:
    """Rows wider than the 128 MB cap holds (a build that embeds its jobs) failed the sync; the
    cap now rises a step and the load finishes. The step is forced here by a sync whose cap
    starts at 1 MB, which no load fits in."""
    script = (
        "import sys, unci.syncduckdb as d; d.MEMORY_LIMIT = '1MB'; from unci.cli import main; "
        "main(['sync', *sys.argv[1:]])"
    )
    args = [*REPO, "--json"]
    env = {**os.environ, **history.env()}
    command = [sys.executable, "-c", script, *args]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    note = "note: duckdb unci.duckdb: a load did not fit in DuckDB's memory cap of "
    assert done.stderr.startswith(note) and "; it was raised to 488.2 MiB" in done.stderr, done.stderr
    said = summary(done)
    assert said["builds"] == 12 and said["jobs"] == 36 and len(said["notes"]) == 1
    rows = duckdb_rows(tmp_path / "unci.duckdb")
    assert len(rows["builds"]) == 12 and len(rows["jobs"]) == 36 and len(rows["steps"]) == 360
    # The state was loaded with the rows: the next sync asks only what a second sync asks.
    again = run_sync(*REPO, "--json", env=history.env(), cwd=tmp_path)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert summary(again)["notes"] == [] and len(duckdb_rows(tmp_path / "unci.duckdb")["jobs"]) == 36
    assert summary(again)["unchanged"] >= 1


def test_jobs_of_a_hundred_steps_are_synced_past_the_first_cap(tmp_path: Path) -> None:
    """2,500 jobs of 100 steps each (about 20 KB a row) did not fit in the 128 MB the sync
    caps DuckDB at, and the sync failed with exit 14; the cap now rises a step and says so."""
    with upstream("--builds", "50", "--jobs-per-build", "50", "--steps", "100") as wide:
        result = run_sync(*REPO, env=wide.env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(
        "note: duckdb unci.duckdb: a load did not fit in DuckDB's memory cap of 122.0 MiB; "
        "it was raised to 488.2 MiB"
    ), result.stderr
    assert "2500 jobs, 250000 steps written" in result.stdout
    import duckdb

    with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
        counted = [con.execute(f"SELECT count(*) FROM ci.{t}").fetchone() for t in ("jobs", "steps")]
        widest = con.execute("SELECT max(json_array_length(remote_data->'$.steps')) FROM ci.jobs").fetchone()
    assert counted == [(2500,), (250000,)] and widest == (100,)


def test_a_plan_key_its_provider_does_not_take_is_refused_before_anything(history, tmp_path: Path) -> None:
    (tmp_path / "sync.toml").write_text(
        '[[sync]]\nprovider = "github"\nowner = "ci"\nrepo_id = "api"\n\n'
        '[[sync]]\nprovider = "github"\nowner = "ci"\nrepo = "web"\n'
    )
    result = run_sync("--config", "sync.toml", env=history.env(), cwd=tmp_path)
    assert result.returncode == 10, result.stderr
    assert result.stderr.strip() == (
        "unci: error: sync plan sync.toml, [[sync]] #2: unknown key(s) 'repo' (did you mean "
        "'repo_id'?); besides account and provider, a [[sync]] table holds github's parameters: "
        "owner, repo_id, build"
    )
    assert not (tmp_path / "unci.duckdb").exists()
    assert history.requests() == []


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ('since = "last tuesday"', "sync.toml: since 'last tuesday' is not a time: give a duration"),
        ('lookback = "forever"', "sync.toml: lookback 'forever' is not a duration"),
    ],
)
def test_a_bad_time_in_a_plan_file_names_its_key(history, tmp_path: Path, key: str, says: str) -> None:
    """The plan's keys, not the options, are named; a bad plan is a configuration error (10)."""
    (tmp_path / "sync.toml").write_text(
        f'{key}\n[[sync]]\nprovider = "github"\nowner = "ci"\nrepo_id = "api"\n'
    )
    result = run_sync("--config", "sync.toml", env=history.env(), cwd=tmp_path)
    assert result.returncode == 10, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "--" not in lines[0], lines
    assert not (tmp_path / "unci.duckdb").exists()
    assert history.requests() == []


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("--destination", "nosuchdb"), 2, "unknown destination 'nosuchdb'"),
        (("--since", "yesterday-ish"), 2, "--since 'yesterday-ish' is not a time"),
        (("--since", ""), 2, "--since is empty; give a duration back from now"),
        (("--lookback", "soon"), 2, "--lookback 'soon' is not a duration"),
        (("--duckdb", "missing/dir/x.duckdb"), 14, "the folder missing/dir does not exist"),
        (("--duckdb", "ro/x.duckdb"), 14, "the folder ro is not writable"),
        (("--duckdb", "/proc/unci-sync-test.duckdb"), 14, 'Cannot open file "/proc/unci-sync-test.duckdb"'),
        (("--dataset", "unci"), 2, "have the same name"),
        (("--dataset", "bad name!"), 2, "--dataset 'bad name!' is not a name the destination keeps as it is"),
        (("--dataset", "CI"), 2, "(it would become 'ci'); use lower-case letters, digits and _"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(history, tmp_path: Path, args, code, says) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if os.geteuid() == 0 and "ro/x.duckdb" in args:
        pytest.skip("root writes into read-only folders")
    result = run_sync(*REPO, *args, env=history.env(), cwd=tmp_path)
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines
    assert not (tmp_path / "unci.duckdb").exists()
    assert history.requests() == []


def test_unreachable_postgres_is_exit_14_and_names_no_password(history, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    env = {
        **history.env(),
        "DESTINATION__POSTGRES__CREDENTIALS": f"postgresql://unci:hunter2pw@127.0.0.1:{port}/unci",
    }
    result = run_sync(*REPO, "--destination", "postgres", env=env, cwd=tmp_path)
    assert result.returncode == 14, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("unci: error: postgres: the destination failed: ")
    assert "hunter2pw" not in result.stderr + result.stdout
    assert history.requests() == []  # nothing fetched for a database that cannot take it


def test_postgres_without_credentials_says_where_they_go(history, tmp_path: Path) -> None:
    result = run_sync(*REPO, "--destination", "postgres", env=history.env(), cwd=tmp_path)
    assert result.returncode == 10, result.stderr
    assert (
        "DESTINATION__POSTGRES__CREDENTIALS" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    )


@pytest.mark.parametrize(
    ("destination", "env", "says", "not_said"),
    [
        # A PostgreSQL DSN was the example for every destination.
        ("bigquery", {}, "set DESTINATION__BIGQUERY__CREDENTIALS or put them", "postgresql://"),
        # The filesystem needs a bucket, not credentials.
        ("filesystem", {}, "set DESTINATION__FILESYSTEM__BUCKET_URL (e.g. file:///", "CREDENTIALS"),
        # A malformed DSN is configuration (10), not an unreachable database (14).
        (
            "postgres",
            {"DESTINATION__POSTGRES__CREDENTIALS": "postgresql://u:hunter2@127.0.0.1:notaport/ci"},
            "cannot be read as a connection string; write them as postgresql://user:password@host",
            "hunter2",
        ),
    ],
)
def test_destination_settings_missing_or_malformed_are_exit_10_naming_what(
    history, tmp_path: Path, destination: str, env: dict[str, str], says: str, not_said: str
) -> None:
    result = run_sync(*REPO, "--destination", destination, env={**history.env(), **env}, cwd=tmp_path)
    assert result.returncode == 10, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("note: ")]
    assert len(lines) == 1 and says in lines[0] and not_said not in lines[0], lines


def test_a_sync_looks_up_no_host_but_the_provider_and_the_destination(
    history, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dlt's own anonymous telemetry (on by default in dlt) is never sent by unci sync."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os, socket\n"
        "_lookup = socket.getaddrinfo\n"
        "def getaddrinfo(host, *args, **kw):\n"
        "    with open(os.environ['LOOKUPS'], 'a') as f:\n"
        "        f.write(f'{host}\\n')\n"
        "    return _lookup(host, *args, **kw)\n"
        "socket.getaddrinfo = getaddrinfo\n"
    )
    lookups = tmp_path / "lookups.txt"
    env = {**history.env(), "PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")])}
    env["LOOKUPS"] = str(lookups)
    monkeypatch.delenv("RUNTIME__DLTHUB_TELEMETRY", raising=False)
    result = run_sync(*REPO, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert set(lookups.read_text().split()) == {"127.0.0.1"}


def test_the_core_and_help_do_not_import_dlt() -> None:
    code = (
        "import sys, unci, unci.cli\n"
        "from click.testing import CliRunner\n"
        "r = CliRunner().invoke(unci.cli.cli, ['--help'])\n"
        "assert 'sync' in r.output, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dlt', 'duckdb', 'pyarrow')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_terminal_sees_progress_per_repository(history, tmp_path: Path) -> None:
    """On a terminal (a real pseudo-terminal), one line per repository, rewritten in place."""
    import pty

    from synchelp import sync_cmd

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        sync_cmd(*REPO, "-p", "repo_id=web"),
        cwd=tmp_path,
        env={**os.environ, **history.env()},
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=120)
    os.close(leader)
    assert proc.returncode == 0
    text = seen.decode()
    assert "ci/api: 12 builds, 36 jobs" in text and "ci/web: 12 builds, 36 jobs" in text
    assert "\x1b[2K" in text  # lines cleared and rewritten, not appended
    assert out.startswith("synced 2 repositories")


def test_a_token_the_provider_echoes_never_reaches_the_database(tmp_path: Path) -> None:
    """A run titled with the token (a workflow that names itself after a secret) put the token
    into builds, jobs, steps and remote_data; every other output of unci redacts it."""
    token = "ghp_SyncEchoSecret0123456789abcdef"
    with upstream("--builds", "3", "--jobs-per-build", "2", "--echo-repo", "leaky") as up:
        env = {"UNCI_GITHUB_BASE_URL": up.url, "GITHUB_TOKEN": token}
        result = run_sync("-P", "github", "-p", "owner=ci", "-p", "repo_id=leaky", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = (tmp_path / "unci.duckdb").read_bytes()
    assert token.encode() not in data
    import base64

    assert base64.b64encode(f":{token}".encode()) not in data
    rows = duckdb_rows(tmp_path / "unci.duckdb")
    names = {
        r for table in rows.values() for row in table for r in row if isinstance(r, str) and "[REDACTED]" in r
    }
    assert {"wf [REDACTED]", "job [REDACTED]", "step [REDACTED]"} <= names
    assert any("deploy [REDACTED]" in r and "display_title" in r for r in names)  # remote_data


def test_since_is_remembered_by_later_syncs(history, tmp_path: Path) -> None:
    """A later sync without --since went before it through the look-back window."""
    first = summary(
        run_sync(*REPO, "--since", "2026-11-30T07:30:00Z", "--json", env=history.env(), cwd=tmp_path)
    )
    assert first["builds"] == 5
    history.control("finish")  # the two running builds change: something to sync again
    again = run_sync(*REPO, "--lookback", "30d", "--json", env=history.env(), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    import duckdb

    with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
        oldest = con.execute("SELECT min(created_at) FROM ci.builds").fetchone()[0]
        assert con.execute("SELECT count(*) FROM ci.builds").fetchone() == (5,)
    assert oldest.isoformat() >= "2026-11-30T07:30:00"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--dataset", ""), "--dataset is empty"),
        (("--pipeline-name", "a/b"), "--pipeline-name 'a/b' is not a name dlt takes"),
        (("--pipeline-name", ""), "--pipeline-name '' is not a name dlt takes"),
    ],
)
def test_names_dlt_would_fail_on_are_usage_errors(history, tmp_path: Path, args, says) -> None:
    """They were ``unci: internal error`` (exit 1) from inside dlt, or taken silently."""
    result = run_sync(*REPO, *args, env=history.env(), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines
    assert history.requests() == []


def test_ctrl_c_during_a_sync_is_exit_130(tmp_path: Path) -> None:
    """dlt catches the signal itself and failed the step with it: exit 14, "the destination
    failed: KeyboardInterrupt", which sends a user off to check a healthy database."""
    import signal
    import time

    from synchelp import sync_cmd

    from helpers import ctrl_c_reaches_child

    with upstream("--builds", "400", "--jobs-per-build", "5", "--latency", "0.05") as up:
        env = {**os.environ, "UNCI_GITHUB_BASE_URL": up.url, "GITHUB_TOKEN": "t0ken-for-tests"}
        proc = subprocess.Popen(
            sync_cmd(*REPO),
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=ctrl_c_reaches_child,
        )
        deadline = time.monotonic() + 60
        while len(up.requests()) < 20 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)  # well into the fetch: dlt's extraction is running
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "destination failed" not in err and "Traceback" not in err


def test_a_second_sync_into_the_same_file_is_refused_before_fetching(tmp_path: Path) -> None:
    """Both fetched the whole history, and the first lost its fetch at the load, to DuckDB's
    own lock, reported as a failed destination."""
    import time

    from synchelp import sync_cmd

    with upstream("--builds", "200", "--jobs-per-build", "3", "--latency", "0.05") as up:
        env = {**os.environ, "UNCI_GITHUB_BASE_URL": up.url, "GITHUB_TOKEN": "first-token-0123"}
        first = subprocess.Popen(
            sync_cmd(*REPO), env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while not up.requests() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = run_sync(*REPO, env={**up.env(), "GITHUB_TOKEN": "second-token-0123"}, cwd=tmp_path)
        _out, err = first.communicate(timeout=120)
        tokens = {r["authorization"] for r in up.requests()}
    assert second.returncode == 14, second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "another unci sync is writing this file" in lines[0], lines
    assert tokens == {"Bearer first-token-0123"}  # the second fetched nothing
    assert first.returncode == 0, err


def test_json_says_a_failed_destination_too(history, tmp_path: Path) -> None:
    """A script reading the --json summary got empty input when the destination failed."""
    (tmp_path / "unci.duckdb").write_bytes(b"not a database at all" * 100)
    result = run_sync(*REPO, "--json", env=history.env(), cwd=tmp_path)
    assert result.returncode == 14, result.stderr
    said = summary(result)
    assert said["synced"] is False and said["exit_code"] == 14 and said["destination"] == "duckdb"
    assert "the destination failed" in said["error"]


def test_json_names_no_account_as_empty_as_the_tables_do(history, tmp_path: Path) -> None:
    said = summary(run_sync(*REPO, "--json", env=history.env(), cwd=tmp_path))
    assert [r["account"] for r in said["repositories"]] == [""]


def test_a_large_load_is_written_in_small_row_groups_into_the_file(tmp_path: Path) -> None:
    """DuckDB holds an insert's rows until a row group is full: the sync writes row groups of
    2,048 rows (a memory bound; docs/performance.md), into the file and nowhere else."""
    import duckdb

    # A file made by DuckDB's defaults before (one earlier table), which the sync must keep.
    with duckdb.connect(str(tmp_path / "unci.duckdb")) as con:
        con.execute("CREATE TABLE main.notes AS SELECT range AS i FROM range(5000)")
    with upstream("--builds", "100", "--jobs-per-build", "25") as up:
        result = run_sync(*REPO, env=up.env(), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "100 builds, 2500 jobs, 25000 steps written" in result.stdout
        again = run_sync(*REPO, env=up.env(), cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert "0 jobs" in again.stdout  # the first sync's state is in the file: nothing new
    with duckdb.connect(str(tmp_path / "unci.duckdb"), read_only=True) as con:
        counts = {
            table: con.execute(f"SELECT count(*) FROM ci.{table}").fetchone() for table in ("jobs", "steps")
        }
        groups = con.execute(
            "SELECT max(count), count(DISTINCT row_group_id) FROM pragma_storage_info('ci.steps')"
        ).fetchone()
        notes = con.execute("SELECT count(*) FROM main.notes").fetchone()
    assert counts == {"jobs": (2500,), "steps": (25000,)}
    assert groups is not None and groups[0] <= 2048 and groups[1] >= 25000 // 2048
    assert notes == (5000,)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["unci.duckdb", "unci.duckdb.lock"]


def test_the_sync_duckdb_hands_its_freed_caches_back_and_a_users_own_settings_win(tmp_path: Path) -> None:
    """DuckDB's allocator keeps what a load frees unless one free exceeds its bulk threshold
    (512 MiB by default, more than a whole sync): the sync's DuckDB hands it back from 1 MB,
    which took 10,000 jobs' peak 15 MiB lower (`python benchmarks/bench_sync.py`). Every
    session dlt clones has it, and a user's own DuckDB settings still override it."""
    import duckdb

    from unci.syncduckdb import _opened

    conn = _opened(tmp_path / "unci.duckdb")
    assert conn is not None
    try:
        clone = conn.duplicate()
        setting = "current_setting('allocator_bulk_deallocation_flush_threshold')"
        assert clone.execute(f"SELECT {setting}").fetchone() == ("976.5 KiB",)  # 1 MB
        clone.execute("SET GLOBAL allocator_bulk_deallocation_flush_threshold = '64MB'")
        assert conn.execute(f"SELECT {setting}").fetchone() == ("61.0 MiB",)
        clone.close()
    finally:
        conn.close()
    with duckdb.connect(":memory:") as plain:  # the setting is the sync's DuckDB's, not DuckDB's
        assert plain.execute(f"SELECT {setting}").fetchone() == ("512.0 MiB",)
