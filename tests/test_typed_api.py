"""The Python API as a type checker sees it from a user's code: mypy --strict over a script
that calls it as the docs do. The right calls pass (ids as text or whole numbers, the
records' fields, the async twins), and a misspelt keyword or a wrong type is flagged on its
line, before anything runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

USER_CODE = """\
import asyncio
from collections.abc import Iterator
from datetime import datetime

import unci

P = {"owner": "o", "repo_id": "r"}
job: unci.Job = unci.get_job("github", "399444496", params=P, token="t")
by_number: unci.Job = unci.get_job("github", 399444496, params=P)
when: datetime | None = job.started_at
steps: list[unci.Step] = job.steps or []
many: list[unci.Job | unci.UnciError] = unci.get_jobs("github", ["1", 2], params=P, concurrency=4)
page: unci.JobPage = unci.list_jobs("github", params={**P, "build": "1"}, limit=50)
jobs: Iterator[unci.Job] = unci.iter_jobs("github", params=P, since="7d", branch="main", limit=10)
builds: unci.BuildList = unci.list_builds("github", params=P, status="completed", limit=5)
build: unci.Build = unci.get_build("github", 3881497935, params=P)
chunks: Iterator[bytes] = unci.iter_log("gitlab", "42", params={"project": "1"}, tail=100)
for seen in unci.watch_job("github", "1", params=P, interval=5.0):
    print(seen.status, seen.conclusion)
with unci.Client(timeout=10, retry=unci.RetryPolicy(retries=5)) as client:
    fetched = client.fetch("github", "1", params=P, include_steps=True)
    raw: bytes = fetched.answer.body


async def main() -> None:
    one: unci.Job = await unci.aget_job("github", "1", params=P)
    async for b in unci.aiter_builds("github", params=P, limit=3):
        print(b.id, one.id)


asyncio.run(main())
unci.get_job("github", "1", params=P, tokn="t")  # WRONG: misspelt keyword
unci.list_jobs("github", params=P, limit="50")  # WRONG: a limit is a number
"""


def test_mypy_strict_passes_the_documented_calls_and_flags_the_wrong_ones(tmp_path: Path) -> None:
    script = tmp_path / "user_code.py"
    script.write_text(USER_CODE)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "c"),
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    wrong = {n for n, line in enumerate(USER_CODE.splitlines(), start=1) if "# WRONG" in line}
    flagged = {int(m.group(1)) for m in re.finditer(r"user_code\.py:(\d+): error", result.stdout)}
    assert flagged == wrong, result.stdout
    assert 'Unexpected keyword argument "tokn"' in result.stdout
