"""What a person reads in a table cell: lists and mappings in words, never Python's repr."""

from __future__ import annotations

import subprocess
import sys

from helpers import ROOT, run_cli
from unci.table import cell, table


def test_lists_and_mappings_read_as_words() -> None:
    steps = [{"number": 1, "name": "Set up job"}, {"number": 2, "name": "Run tests"}]
    rows = [
        {"id": "1", "labels": ["linux", "x64"], "steps": steps, "params": {"owner": "o", "repo": "r"}},
        {"id": "2", "labels": [], "steps": steps[:1], "params": {}},
    ]
    text = table(rows)
    assert "[" not in text and "{" not in text and "'" not in text, text
    first, second = text.splitlines()[1:]
    assert first.split("  ")[0] == "1"
    assert "linux, x64" in first and "2 steps" in first and "owner=o, repo=r" in first
    assert "1 step" in second and "1 steps" not in second
    assert cell([], "labels") == "-" and cell({}, "params") == "-"
    assert cell(["a\nb"]) == "a b"  # a cell stays on its line


def test_accounts_list_shows_params_as_pairs() -> None:
    args = ["-P", "github", "--token-env", "X", "-p", "owner=o", "-p", "repo_id=r"]
    added = run_cli("accounts", "add", "w", *args)
    assert added.exit_code == 0, added.output
    listed = run_cli("accounts", "list")
    assert listed.exit_code == 0, listed.output
    assert "owner=o, repo_id=r" in listed.stdout


def test_demo_table_counts_each_jobs_steps() -> None:
    done = subprocess.run([sys.executable, "demo.py"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    table_part = done.stdout.split("as one normalized table", 1)[1]
    github = next(line for line in table_part.splitlines() if line.startswith("github"))
    assert github.rstrip().endswith("10 steps"), github
    assert "[" not in table_part and "{'" not in table_part
