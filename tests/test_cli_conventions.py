"""The conventions users bring from gh, glab and llm: what the CLI prints, as a user sees it."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
import vcr

from helpers import ROOT, cassette_body, run_cli
from localserver import Reply

PLAYER = vcr.VCR(record_mode="none", cassette_library_dir=str(ROOT / "plugins"))
GH = ["-P", "github", "-p", "owner=octo-org", "-p", "repo_id=octo-repo"]
GET = ["jobs", "get", "399444496", *GH]


def replay(cassette: str, *args: str, env: dict[str, str] | None = None):
    with PLAYER.use_cassette(cassette, allow_playback_repeats=True):
        return run_cli(*args, env=env)


def unci(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    """The real ``unci`` in a subprocess."""
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(
        [sys.executable, "-m", "unci", *args],
        stderr=subprocess.PIPE,
        env={**ENV, **(env or {})},
        timeout=60,
        **kw,
    )


#: The test's environment without a terminal width of its own.
ENV = {k: v for k, v in os.environ.items() if k != "COLUMNS"}


def _github_jobs(server, pages: int, per_page: int, delay_last: float = 0.0) -> str:
    """A build whose jobs come in ``pages`` pages of ``per_page``; ids 1000, 1001, 2000..."""
    job = json.loads(cassette_body("github", "get_job"))
    base = "/repos/o/r/actions/runs/9/jobs"
    for page in range(1, pages + 1):
        jobs = [{**job, "id": page * 1000 + i} for i in range(per_page)]
        headers = {"Content-Type": "application/json"}
        if page < pages:
            headers["Link"] = (
                f'<{server.url}{base}?filter=all&per_page={per_page}&page={page + 1}>; rel="next"'
            )
        query = f"?filter=all&per_page={per_page}" + (f"&page={page}" if page > 1 else "")
        server.route(
            base + query,
            Reply(
                body=json.dumps({"total_count": 0, "jobs": jobs}).encode(),
                headers=headers,
                delay=delay_last if page == pages else 0.0,
            ),
        )
    return base


LIST = ["jobs", "list", "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "-p", "build=9"]


# --- usage errors: one line, JSON too ------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["jobs", "get", "1", "-P", "github", "--bogus"],
        ["jobs", "get"],
        ["jobs", "get", "1", "--format", "nope"],
        ["jobs", "list", "--limit", "0"],
        ["jobs", "nosuch"],
        ["--nope"],
    ],
)
def test_usage_errors_are_one_line(args: list[str]) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("unci: error: ") and len(result.stderr.splitlines()) == 1
    assert "Usage:" not in result.stderr and result.stdout == ""
    as_json = run_cli(*args, "--error-format", "json")
    envelope = json.loads(as_json.stderr)
    assert as_json.exit_code == 2 and envelope["statusCode"] == 400
    assert envelope["error"] == "Bad Request" and envelope["message"]


def test_usage_error_in_a_real_process_names_the_help() -> None:
    done = unci("jobs", "get", "1", "--error-format=json", "--colour", "red")
    assert done.returncode == 2 and done.stdout == b""
    message = json.loads(done.stderr)["message"]
    assert "--colour" in message and "unci jobs get --help" in message


# --- options that would do nothing ---------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--format", "raw", "--output", "table"], "--format raw --output table does nothing"),
        (["--format", "raw", "-o", "csv"], "--format raw --output csv does nothing"),
        (["--ignore-remote-data", "--format", "raw"], "--ignore-remote-data --format raw does nothing"),
        (["--exclude-field", "id", "--format", "raw"], "--exclude-field --format raw does nothing"),
        (["--fields", "id", "--format", "stream"], "--fields --format stream does nothing"),
        (["--format", "debug", "--output", "table"], "--format debug --output table does nothing"),
        (["--format", "normalized", "--ignore-remote-data"], "normalized rows never carry"),
        (["--json", "--output", "table"], "--json and --output table"),
        (["--fields", "colour"], "unknown field(s) for --fields: colour"),
    ],
)
def test_useless_combinations_say_why(extra: list[str], says: str, server) -> None:
    result = run_cli(*GET, "--base-url", server.url, *extra)
    assert result.exit_code == 2 and says in result.stderr
    assert len(result.stderr.splitlines()) == 1 and server.requests == []  # before any request


# --- --json, --fields, csv -----------------------------------------------------------------


def test_json_is_the_same_spelling_everywhere() -> None:
    default = replay("github/cassettes/get_job.yaml", *GET)
    assert replay("github/cassettes/get_job.yaml", *GET, "--json").stdout == default.stdout
    assert replay("github/cassettes/get_job.yaml", *GET, "--output", "json").stdout == default.stdout
    assert json.loads(run_cli("providers", "--json").stdout)[0]["name"]


def test_fields_pick_and_order_what_is_printed() -> None:
    job = json.loads(
        replay(
            "github/cassettes/get_job.yaml", *GET, "--fields", "status,id", "--fields", "started_at"
        ).stdout
    )
    assert list(job) == ["status", "id", "started_at"]
    assert job == {"status": "completed", "id": "399444496", "started_at": "2020-01-20T17:42:40Z"}
    row = json.loads(
        replay(
            "github/cassettes/get_job.yaml", *GET, "--format", "normalized", "--fields", "provider,conclusion"
        ).stdout
    )
    assert row == {"provider": "github", "conclusion": "passed"}


def test_csv_output() -> None:
    result = replay("github/cassettes/get_job.yaml", *GET, "--output", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:3] == ["provider", "id", "name"] and rows[1][:3] == ["github", "399444496", "build"]
    assert rows[1][rows[0].index("attempts")] == ""  # null is an empty cell
    chosen = replay("github/cassettes/get_job.yaml", *GET, "-o", "csv", "--fields", "id,commit")
    assert chosen.stdout == "id,commit\n399444496,f83a356604ae3c5d03e1b46ef4d1ca77d64a90b0\n"


# --- --limit is a total, --page-size the request size -------------------------------------


def test_limit_is_the_total_over_pages(server) -> None:
    base = _github_jobs(server, 2, 3)
    result = run_cli(*LIST, "--base-url", server.url, "--limit", "4", "--page-size", "3")
    assert result.exit_code == 0, result.output
    page = json.loads(result.stdout)
    assert [j["id"] for j in page["result"]] == ["1000", "1001", "1002", "2000"]
    assert [r.path for r in server.requests] == [
        f"{base}?filter=all&per_page=3",
        f"{base}?filter=all&per_page=3&page=2",
    ]
    rest = run_cli(*LIST, "--base-url", server.url, "--cursor", page["next_cursor"])
    assert [j["id"] for j in json.loads(rest.stdout)["result"]] == ["2001", "2002"]


def test_limit_sets_the_page_size_when_none_is_given(server) -> None:
    base = _github_jobs(server, 2, 5)
    result = run_cli(*LIST, "--base-url", server.url, "--limit", "5")
    assert len(json.loads(result.stdout)["result"]) == 5
    assert [r.path for r in server.requests] == [f"{base}?filter=all&per_page=5"]  # one request


def test_all_stops_at_the_limit(server) -> None:
    _github_jobs(server, 3, 2)
    result = run_cli(*LIST, "--base-url", server.url, "--all", "--page-size", "2", "--limit", "3")
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["1000", "1001", "2000"]


# --- tables: streamed, fitted to the terminal ----------------------------------------------


def test_table_rows_arrive_while_later_pages_are_still_coming(server) -> None:
    """Page 2 takes a minute to come; page 1's rows are on screen before it does."""
    _github_jobs(server, 2, 2, delay_last=60)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "unci",
            *LIST,
            "--base-url",
            server.url,
            "--all",
            "--page-size",
            "2",
            "--output",
            "table",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    try:
        lines = [proc.stdout.readline().decode()]
        while len([line for line in lines if not line.startswith(" ")]) < 3:
            lines.append(proc.stdout.readline().decode())  # a job's steps are indented rows
        assert lines[0].split()[:2] == ["PROVIDER", "ID"]
        assert [line.split()[1] for line in lines[1:] if not line.startswith(" ")] == ["1000", "1001"]
        assert proc.poll() is None  # still waiting for page 2
    finally:
        proc.kill()
        proc.wait()


def test_table_fits_the_terminal_width() -> None:
    wide = replay("github/cassettes/get_job.yaml", *GET, "--output", "table", env={"COLUMNS": None})
    assert len(wide.stdout.splitlines()[0]) > 100  # a pipe gets every column, whole
    narrow = replay("github/cassettes/get_job.yaml", *GET, "--output", "table", env={"COLUMNS": "60"})
    lines = narrow.stdout.splitlines()
    assert all(len(line) <= 60 for line in lines) and lines[1].split()[0] == "399444496"
    assert "leaving out" in narrow.stderr and "--fields picks the columns" in narrow.stderr
    chosen = replay(
        "github/cassettes/get_job.yaml",
        *GET,
        "-o",
        "table",
        "--fields",
        "id,commit,name",
        env={"COLUMNS": "30"},
    )
    head, row = chosen.stdout.splitlines()
    assert head.split() == ["ID", "COMMIT", "NAME"] and "…" in row and len(row) <= 30


# --- jobs get with many ids ----------------------------------------------------------------


def _gh_job_routes(server, ok: list[int], failing: dict[int, int], slow: int | None = None) -> None:
    job = json.loads(cassette_body("github", "get_job"))
    for job_id in ok:
        server.route(
            f"/repos/o/r/actions/jobs/{job_id}",
            Reply(body=json.dumps({**job, "id": job_id}).encode(), delay=0.5 if job_id == slow else 0.0),
        )
    for job_id, status in failing.items():
        server.route(
            f"/repos/o/r/actions/jobs/{job_id}",
            Reply(
                status, b'{"message": "Not Found"}' if status == 404 else b'{"message": "Bad credentials"}'
            ),
        )


GH_O = ["-P", "github", "-p", "owner=o", "-p", "repo_id=r"]


def test_many_ids_in_order_with_per_id_errors(server) -> None:
    _gh_job_routes(server, ok=[1, 3, 4], failing={2: 404}, slow=1)
    result = run_cli(
        "jobs", "get", "1", "2", "3", "4", *GH_O, "--base-url", server.url, "--fields", "id,status"
    )
    assert result.exit_code == 5  # the one failure's code
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["1", "3", "4"]
    (line,) = result.stderr.splitlines()
    assert line.startswith("unci: error: 2: github:")


def test_many_ids_exit_with_the_highest_code(server) -> None:
    _gh_job_routes(server, ok=[1], failing={2: 404, 3: 401})
    result = run_cli("jobs", "get", "3", "1", "2", *GH_O, "--base-url", server.url, "--error-format", "json")
    assert result.exit_code == 5  # 404 (5) beats 401 (4)
    errors = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(e["id"], e["statusCode"]) for e in errors] == [("3", 401), ("2", 404)]
    table = run_cli("jobs", "get", "1", "2", *GH_O, "--base-url", server.url, "-o", "table")
    assert table.stdout.splitlines()[1].split()[1] == "1" and table.exit_code == 5


# --- the default account -------------------------------------------------------------------


def test_default_account_lets_account_and_provider_be_left_out(server, tmp_path) -> None:
    _gh_job_routes(server, ok=[7], failing={})
    env = {"UNCI_CONFIG": str(tmp_path / "accounts.toml"), "GH_T": "tok"}
    added = run_cli(
        "accounts",
        "add",
        "work-gh",
        "-P",
        "github",
        "--token-env",
        "GH_T",
        "-p",
        "owner=o",
        "-p",
        "repo_id=r",
        "--base-url",
        server.url,
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert run_cli("jobs", "get", "7", env=env).exit_code == 2  # no provider, no default yet
    assert run_cli("accounts", "default", "nobody", env=env).exit_code == 2
    chosen = run_cli("accounts", "default", "work-gh", env=env)
    # A confirmation is a message, on stderr; stdout holds data only.
    assert chosen.exit_code == 0 and "work-gh" in chosen.stderr and chosen.stdout == ""
    assert "work-gh" in run_cli("accounts", "default", env=env).stdout
    result = run_cli("jobs", "get", "7", env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == "7"
    assert server.requests[-1].headers["Authorization"] == "Bearer tok"
    # another provider named explicitly leaves the default out
    other = run_cli("jobs", "get", "7", "-P", "travis", "--base-url", server.url, env=env)
    assert "account" not in other.stderr
    assert run_cli("accounts", "default", "--clear", env=env).exit_code == 0
    assert run_cli("jobs", "get", "7", env=env).exit_code == 2


def test_unci_account_env_names_the_default(server, tmp_path) -> None:
    _gh_job_routes(server, ok=[8], failing={})
    env = {"UNCI_CONFIG": str(tmp_path / "accounts.toml"), "GH_T": "tok"}
    run_cli(
        "accounts",
        "add",
        "ci",
        "-P",
        "github",
        "--token-env",
        "GH_T",
        "-p",
        "owner=o",
        "-p",
        "repo_id=r",
        "--base-url",
        server.url,
        env=env,
    )
    done = unci("jobs", "get", "8", env={**env, "UNCI_ACCOUNT": "ci"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == "8"


def test_removing_the_default_account_clears_the_default(tmp_path) -> None:
    env = {"UNCI_CONFIG": str(tmp_path / "accounts.toml")}
    assert run_cli("accounts", "add", "w", "-P", "github", env=env).exit_code == 0
    assert run_cli("accounts", "default", "w", env=env).exit_code == 0
    removed = run_cli("accounts", "remove", "w", env=env)
    assert removed.exit_code == 0
    assert removed.stdout == ""
    assert removed.stderr == "removed account 'w'\n'w' was the default account: there is none now\n"
    assert run_cli("accounts", "default", env=env).stdout.startswith("no default account")
    shown = run_cli("accounts", "default", env={**env, "UNCI_ACCOUNT": "zz"})
    assert shown.stdout == "zz (from UNCI_ACCOUNT); no such account exists (see 'unci accounts list')\n"


@pytest.mark.parametrize("value", ["-1", "0", "nan", "abc"])
def test_accounts_test_reads_its_timeout_as_every_command_does(value: str, server) -> None:
    run_cli("accounts", "add", "w", "-P", "github", "--token-env", "T", "--base-url", server.url)
    result = run_cli("accounts", "test", "w", "--timeout", value, env={"T": "tok"})
    assert result.exit_code == 2, result.output
    assert "--timeout must be" in result.stderr and server.requests == []


def test_a_default_account_that_is_gone_says_where_its_name_came_from(tmp_path) -> None:
    """The user typed no name: the line says which setting holds it and how to change that."""
    env = {"UNCI_CONFIG": str(tmp_path / "accounts.toml"), "GH_T": "tok"}
    assert run_cli("accounts", "add", "ci", "-P", "github", "--token-env", "GH_T", env=env).exit_code == 0
    assert run_cli("accounts", "default", "ci", env=env).exit_code == 0
    from_env = run_cli("jobs", "get", "8", env={**env, "UNCI_ACCOUNT": "nope"})
    assert from_env.exit_code == 2
    assert from_env.stderr.strip().endswith(
        "(accounts: ci), which UNCI_ACCOUNT names; unset UNCI_ACCOUNT or set it to one of them"
    )
    # A provider named explicitly leaves a missing default out, as it does another provider's.
    explicit = run_cli(
        "jobs", "get", "8", "-P", "github", "-p", "owner=o", env={**env, "UNCI_ACCOUNT": "nope"}
    )
    assert "missing required parameter(s): repo_id" in explicit.stderr, explicit.stderr
    (tmp_path / "accounts.toml").write_text("")  # the account removed behind the default's back
    stale = run_cli("jobs", "get", "8", "-p", "owner=o", env=env)
    assert stale.exit_code == 2
    assert stale.stderr.strip() == (
        f"unci: error: no account named 'ci' in {tmp_path / 'accounts.toml'} (accounts: none yet), "
        "which is the default account ('unci accounts default'); choose another with: "
        "unci accounts default NAME, or: unci accounts default --clear"
    )


# --- shell completion ----------------------------------------------------------------------


def _complete(words: str, env: dict[str, str] | None = None) -> list[str]:
    parts = words.split(" ")
    done = unci(
        env={
            "_UNCI_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(parts) - 1),
            **(env or {}),
        }
    )
    return [line.split(",", 1)[1] for line in done.stdout.decode().splitlines()]


@pytest.mark.parametrize(
    "env",
    [
        {"_UNCI_COMPLETE": "bash_source"},
        {"_UNCI_COMPLETE": "bash_complete", "COMP_WORDS": "unci jo", "COMP_CWORD": "1"},
    ],
    ids=["script", "answers"],
)
def test_completion_to_a_full_disk_is_exit_12_and_one_line(env: dict[str, str]) -> None:
    """``eval "$(_UNCI_COMPLETE=bash_source unci)"`` on a full disk printed click's traceback."""
    with open("/dev/full", "wb") as full:
        done = unci(env=env, stdout=full)
    assert done.returncode == 12
    assert done.stderr.decode() == (
        "unci: error: cannot write the output: No space left on device; free some space or write elsewhere\n"
    )


def test_completion_of_providers_params_and_accounts(tmp_path) -> None:
    assert "github" in _complete("unci jobs get 1 -P gi")
    assert "owner=" in _complete("unci jobs get 1 -P github -p ow")
    assert "build=" in _complete("unci jobs list -P github -p b")
    env = {"UNCI_CONFIG": str(tmp_path / "accounts.toml"), "T": "x"}
    run_cli("accounts", "add", "work-gh", "-P", "github", "--token-env", "T", env=env)
    assert _complete("unci jobs get 1 --account wo", env) == ["work-gh"]
    assert _complete("unci accounts default w", env) == ["work-gh"]


# --- unci providers, help ------------------------------------------------------------------


def test_providers_show_the_list_only_params() -> None:
    text = run_cli("providers").stdout
    block = text[text.index("github  (") :].split("\n\n")[0]
    assert "get:      owner, repo_id\n" in block and "list:     owner, repo_id, build\n" in block
    row = next(r for r in json.loads(run_cli("providers", "--json").stdout) if r["name"] == "github")
    assert [p["name"] for p in row["list_params"]] == ["owner", "repo_id", "build"]


@pytest.mark.parametrize("group", [[], ["jobs"], ["accounts"]])
def test_help_summaries_are_whole_sentences(group: list[str]) -> None:
    text = run_cli(*group, "--help").stdout
    commands = text[text.index("Commands:") :]
    assert "..." not in commands
    summaries = " ".join(commands.split()[1:])
    assert summaries.count(".") >= 2


def test_each_lazy_groups_line_in_the_help_is_its_own() -> None:
    """``unci --help`` shows the lines kept beside the lazy groups, without importing them;
    each is what the group's own help says first, so the two cannot drift apart."""
    import importlib

    from unci.cli import LAZY_COMMANDS, short_help

    for name, (where, line) in LAZY_COMMANDS.items():
        module, _, attr = where.rpartition(".")
        assert short_help(getattr(importlib.import_module(module), attr)) == line, name


@pytest.mark.parametrize("args", [["--help"], ["providers"]])
def test_help_and_providers_import_none_of_the_command_groups(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from unci.cli import LAZY_COMMANDS, main\n"
        f"try: main({args!r})\n"
        "except SystemExit: pass\n"
        "modules = {where.rpartition('.')[0] for where, _ in LAZY_COMMANDS.values()}\n"
        "print(sorted((modules | {'unci.options', 'unci.logs_cli'}) & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


# --- output that cannot be written ---------------------------------------------------------


def test_full_disk_is_one_clear_line() -> None:
    with open("/dev/full", "wb") as full:
        done = unci("providers", stdout=full)
    assert done.returncode == 12
    assert done.stderr.decode() == (
        "unci: error: cannot write the output: No space left on device; free some space or write elsewhere\n"
    )


def test_full_disk_on_a_job(server) -> None:
    _gh_job_routes(server, ok=[1], failing={})
    with open("/dev/full", "wb") as full:
        done = unci("jobs", "get", "1", *GH_O, "--base-url", server.url, stdout=full)
    assert done.returncode == 12 and b"No space left on device" in done.stderr
    assert b"internal error" not in done.stderr and len(done.stderr.splitlines()) == 1


def test_closed_stdout_is_one_clear_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "unci", "providers"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(1),
        timeout=60,
    )
    assert done.returncode == 12
    assert done.stderr.decode() == "unci: error: cannot write the output: standard output is closed\n"


# --- scripts/gen_docs.py --help ------------------------------------------------------------


def test_gen_docs_help_prints_help_and_writes_nothing() -> None:
    before = {p: p.read_bytes() for p in (ROOT / "docs").glob("*.md")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.startswith("usage: gen_docs.py")
    assert "wrote" not in done.stdout
    assert {p: p.read_bytes() for p in (ROOT / "docs").glob("*.md")} == before


def test_accounts_test_never_prints_a_token_the_provider_echoes_as_the_user(server) -> None:
    """The one success line printed what the provider's "who am I" answered, token and all."""
    import base64

    token = "ghp_ECHOEDsecret0123456789abcdef"
    pair = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    server.route(
        "/user", Reply(body=json.dumps({"login": token, "name": f"Me {pair} \x1b]0;owned\x07"}).encode())
    )
    run_cli("accounts", "add", "w", "-P", "github", "--token-env", "T", "--base-url", server.url)
    result = run_cli("accounts", "test", "w", env={"T": token})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: account 'w' (github, ")
    # The base64 of git's header keeps its "x-access-token:" part; the token's is gone.
    assert result.stdout.rstrip().endswith(
        r"authenticates as [REDACTED] (Me eC1hY2Nlc3MtdG9rZW46[REDACTED]Y= \x1b]0;owned\x07)"
    )
    assert token not in result.output and "\x1b" not in result.output
    assert server.requests[0].headers["Authorization"] == f"Bearer {token}"


def test_token_stdin_at_a_terminal_is_not_echoed(tmp_path) -> None:
    """Typed at a terminal, the token showed as it was typed, into the scrollback."""
    import os
    import pty
    import subprocess
    import sys
    import time

    token = "ghp_TYPEDattheTERMINAL0123456789"
    config = tmp_path / "accounts.toml"
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "unci", "accounts", "add", "typed", "-P", "github", "--token-stdin"],
        stdin=child, stdout=child, stderr=child, env={**os.environ, "UNCI_CONFIG": str(config)},
        start_new_session=True,
    )  # fmt: skip
    os.close(child)
    seen = b""
    deadline = time.monotonic() + 30
    while b"(not shown)" not in seen and time.monotonic() < deadline:
        seen += os.read(main, 4096)
    os.write(main, token.encode() + b"\n")
    while True:
        try:
            data = os.read(main, 4096)
        except OSError:
            break
        if not data:
            break
        seen += data
    os.close(main)
    assert proc.wait(timeout=30) == 0, seen
    assert token.encode() not in seen and b"added account 'typed'" in seen
    assert token in config.read_text()  # stored as typed


def test_token_stdin_with_stdin_closed_is_one_line_and_exit_2() -> None:
    """``<&-`` was an internal error: 'NoneType' object has no attribute 'isatty'."""
    import os
    import subprocess
    import sys

    args = ["jobs", "get", "1", "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "--token-stdin"]
    result = subprocess.run(
        [sys.executable, "-m", "unci", *args],
        preexec_fn=lambda: os.close(0),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "unci: error: --token-stdin: standard input is closed; pipe the token in (or use --token-file)\n"
    )


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_top_level_help_to_a_full_disk_is_exit_12_and_to_a_closed_reader_0(option: str) -> None:
    """``unci --help > /dev/full`` printed a 35-line traceback (exit 1), ``| true`` exit 1."""
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "unci", option], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
        )
    assert result.returncode == 12
    assert result.stderr == (
        "unci: error: cannot write the output: No space left on device; free some space or write elsewhere\n"
    )
    piped = subprocess.Popen(
        [sys.executable, "-m", "unci", option], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert piped.stdout is not None
    piped.stdout.close()  # the reader is gone before anything is written, as `| true`
    assert piped.wait(timeout=60) == 0
    assert piped.stderr is not None and piped.stderr.read() == b""


def test_a_group_alone_prints_its_help_not_one_line_of_it() -> None:
    """``unci jobs`` printed the whole help squashed into one ~1,500-character error line."""
    result = run_cli("jobs")
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: ")  # as the test runner names the program
    assert " jobs [OPTIONS] COMMAND [ARGS]...\n\n  Fetch CI jobs.\n" in result.stderr
    assert "\nCommands:\n" in result.stderr and result.stdout == ""


def test_a_stderr_that_cannot_be_written_costs_neither_the_output_nor_the_exit_code(server) -> None:
    """With ``2>/dev/full`` a narrow table printed nothing (its note failed first), exit 1,
    and a failure exited 1 whatever it was."""
    import os
    import subprocess
    import sys

    from helpers import GITHUB_JOB_PATH, cassette_body

    server.route(GITHUB_JOB_PATH, Reply(body=cassette_body("github", "get_job")))
    gh = ["jobs", "get", "1", "-P", "github", "-p", "owner=o", "-p", "repo_id=r", "--retries", "0"]
    env = {**os.environ, "COLUMNS": "20"}
    with open("/dev/full", "w") as full:
        table = subprocess.run(
            [sys.executable, "-m", "unci", *gh, "--base-url", server.url, "--output", "table"],
            stdout=subprocess.PIPE, stderr=full, env=env, text=True, timeout=60,
        )  # fmt: skip
        refused = subprocess.run(
            [sys.executable, "-m", "unci", *gh, "--base-url", "http://127.0.0.1:1"],
            stdout=subprocess.PIPE, stderr=full, env=env, text=True, timeout=60,
        )  # fmt: skip
    assert table.returncode == 0 and table.stdout.startswith("ID    STATUS  CONCLUSION")
    assert refused.returncode == 8 and refused.stdout == ""
