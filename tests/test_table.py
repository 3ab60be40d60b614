"""What a person reads in a table cell: lists and mappings in words, never Python's repr."""

from __future__ import annotations

import subprocess
import sys

from helpers import ROOT, run_cli
from unci.table import cell, table


def test_lists_and_mappings_read_as_words() -> None:
    rows = [
        {"id": "1", "labels": ["linux", "x64"], "params": {"owner": "o", "repo": "r"}},
        {"id": "2", "labels": [], "params": {}},
    ]
    text = table(rows)
    assert "[" not in text and "{" not in text and "'" not in text, text
    first, second = text.splitlines()[1:]
    assert first.split("  ")[0] == "1"
    assert "linux, x64" in first and "owner=o, repo=r" in first
    assert second.split() == ["2", "-", "-"]
    steps = [{"number": 1, "name": "Set up job"}, {"number": 2, "name": "Run tests"}]
    assert cell(steps, "steps") == "2 steps" and cell(steps[:1], "steps") == "1 step"
    assert cell([], "labels") == "-" and cell({}, "params") == "-"
    assert cell(["a\nb"]) == "a b"  # a cell stays on its line


def test_a_table_shows_steps_as_rows_under_their_job_as_output_table_does() -> None:
    steps = [
        {"number": 1, "name": "Set up job", "status": "completed", "conclusion": "passed"},
        {"number": 2, "name": "Run tests", "status": "completed", "conclusion": "failed"},
    ]
    lines = table([{"id": "7", "status": "completed", "steps": steps}]).splitlines()
    assert lines[0].split() == ["ID", "STATUS"] and lines[1].split() == ["7", "completed"]
    assert [line.split() for line in lines[2:]] == [
        ["1", "Set", "up", "job", "completed", "passed", "-"],
        ["2", "Run", "tests", "completed", "failed", "-"],
    ]
    assert all(line.startswith("    ") for line in lines[2:])


def test_accounts_list_shows_params_as_pairs() -> None:
    args = ["-P", "github", "--token-env", "X", "-p", "owner=o", "-p", "repo_id=r"]
    added = run_cli("accounts", "add", "w", *args)
    assert added.exit_code == 0, added.output
    listed = run_cli("accounts", "list")
    assert listed.exit_code == 0, listed.output
    assert "owner=o, repo_id=r" in listed.stdout


def test_demo_table_shows_each_jobs_steps_under_it() -> None:
    done = subprocess.run([sys.executable, "demo.py"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("as one normalized table", 1)[1].splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("github"))
    steps = lines[at + 1 : at + 11]
    assert all(line.startswith("    ") for line in steps) and "Set up job" in steps[0], steps
    assert lines[at + 11].startswith("circleci")
    assert not any("[" in line or "{'" in line for line in lines)


#: A name anyone who can name a job, a step or a branch can give: a window title, a clear
#: screen, colour, NUL, carriage returns, the 8-bit CSI, a right-to-left override, backspaces.
HOSTILE = "\x1b]0;PWNED\x07\x1b[2J\x1b[31mred\x00\r\rCR\x9b31m\u202eevil\b\bBS"
SHOWN = r"\x1b]0;PWNED\x07\x1b[2J\x1b[31mred\x00\r\rCR\x9b31m\u202eevil\x08\x08BS"


def _hostile_job(server) -> None:
    import json

    from helpers import GITHUB_JOB_PATH, cassette_body
    from localserver import Reply

    job = json.loads(cassette_body("github", "get_job"))
    job["name"] = HOSTILE
    job["head_branch"] = "main\r\nsecond line"
    job["steps"][1]["name"] = "step\x1b]52;c;aGVsbG8=\x07clip\nnewline"
    server.route(GITHUB_JOB_PATH, Reply(body=json.dumps(job).encode()))


def test_a_table_shows_a_names_control_characters_and_never_sends_them(server) -> None:
    """A provider's name set the window title, wrote the clipboard (OSC 52) and rewrote the
    line of whoever ran ``--output table``; cut to fit, an OSC left open swallowed the rest."""
    _hostile_job(server)
    for columns in ("300", "40"):
        result = run_cli(
            "jobs", "get", "1", "-P", "github", "-p", "owner=o", "-p", "repo_id=r",
            "--base-url", server.url, "--output", "table", env={"COLUMNS": columns},
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        text = result.stdout
        assert not any(c in text for c in "\x1b\x07\x00\r\b\x9b\u202e"), repr(text)
        if columns == "300":
            assert SHOWN in text and r"main\r second line" in text
            assert r"step\x1b]52;c;aGVsbG8=\x07clip newline" in text
    assert cell(HOSTILE) == SHOWN


def test_csv_quotes_a_carriage_return_so_a_job_stays_one_row(server) -> None:
    import csv
    import io

    _hostile_job(server)
    result = run_cli(
        "jobs", "get", "1", "-P", "github", "-p", "owner=o", "-p", "repo_id=r",
        "--base-url", server.url, "--output", "csv", "--fields", "id,name,branch",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout_bytes.decode(), newline="")))
    assert rows == [["id", "name", "branch"], ["399444496", HOSTILE, "main\r\nsecond line"]]


def test_wide_characters_take_two_cells_in_the_layout() -> None:
    """Widths counted code points: a column of Japanese names overran the one after it."""
    from unci.output import cells_of

    text = table([{"name": "ビルド", "status": "ok"}, {"name": "build", "status": "ok"}], ["name", "status"])
    lines = text.splitlines()
    assert [cells_of(line.split("  ok")[0]) for line in lines[1:]] == [6, 6]  # both end where STATUS begins
    assert cells_of(lines[0].split("STATUS")[0]) == 8
