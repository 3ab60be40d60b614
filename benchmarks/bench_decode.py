"""Decode + map of a real GitHub job payload, unci (msgspec) against two baselines, in one run.

Baselines do the same work: parse the whole body, read the fields the mapping reads, translate
status and conclusion, parse the timestamps to UTC datetimes, and keep the remote data.
  json:     json.loads + dict access + datetime.fromisoformat
  pydantic: a pydantic v2 model of the same fields, model_validate_json
Figures are ratios against the json baseline (this machine is noisy; ratios in one process are
not). Run: python benchmarks/bench_decode.py
"""

from __future__ import annotations

import json
import sys
import timeit
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import unci_github  # noqa: E402

from helpers import cassette_body  # noqa: E402

PAYLOAD = cassette_body("github", "get_job")


def by_json(payload: bytes) -> dict:
    d = json.loads(payload)

    def ts(v: str | None) -> datetime | None:
        if v is None:
            return None
        return datetime.fromisoformat(v.replace("Z", "+00:00")).astimezone(timezone.utc)

    created, started = ts(d.get("created_at")), ts(d.get("started_at"))
    completed = ts(d.get("completed_at"))
    status = d.get("status")
    conclusion = d.get("conclusion")
    return {
        "id": str(d["id"]),
        "name": d.get("name"),
        "build": str(d.get("run_id")),
        "status": unci_github.STATUS.get(status.lower(), status) if status else None,
        "conclusion": unci_github.CONCLUSION.get(conclusion.lower(), conclusion) if conclusion else None,
        "commit": d.get("head_sha"),
        "branch": d.get("head_branch"),
        "attempts": d.get("run_attempt"),
        "created_at": created,
        "started_at": started,
        "completed_at": completed,
        "updated_at": max([t for t in (created, started, completed) if t], default=None),
        "remote_data": d,
    }


def make_pydantic():
    try:
        import pydantic
    except ImportError:
        return None

    class GhJob(pydantic.BaseModel):
        id: int
        name: str | None = None
        run_id: int | None = None
        head_sha: str | None = None
        head_branch: str | None = None
        run_attempt: int | None = None
        status: str | None = None
        conclusion: str | None = None
        created_at: datetime | None = None
        started_at: datetime | None = None
        completed_at: datetime | None = None

    def by_pydantic(payload: bytes) -> dict:
        g = GhJob.model_validate_json(payload)
        ts = [t.astimezone(timezone.utc) if t else None for t in (g.created_at, g.started_at, g.completed_at)]
        return {
            "id": str(g.id),
            "name": g.name,
            "build": str(g.run_id),
            "status": unci_github.STATUS.get((g.status or "").lower(), g.status),
            "conclusion": unci_github.CONCLUSION.get((g.conclusion or "").lower(), g.conclusion),
            "commit": g.head_sha,
            "branch": g.head_branch,
            "attempts": g.run_attempt,
            "created_at": ts[0],
            "started_at": ts[1],
            "completed_at": ts[2],
            "updated_at": max([t for t in ts if t], default=None),
            "remote_data": json.loads(payload),  # pydantic keeps only declared fields
        }

    return by_pydantic


def best(fn, number: int = 20000, repeat: int = 7) -> float:
    return min(timeit.repeat(lambda: fn(PAYLOAD), number=number, repeat=repeat)) / number


def main() -> None:
    unci_map = lambda p: unci_github._to_job(p)  # noqa: E731 - the plugin's map_job body
    assert unci_map(PAYLOAD).conclusion == by_json(PAYLOAD)["conclusion"] == "passed"
    results = {"unci (msgspec)": best(unci_map), "json.loads + dict": best(by_json)}
    by_pydantic = make_pydantic()
    if by_pydantic:
        results["pydantic v2"] = best(by_pydantic)
    base = results["json.loads + dict"]
    print(f"decode+map of the GitHub job example ({len(PAYLOAD)} bytes), best of 7 x 20000 calls")
    for name, secs in results.items():
        print(f"  {name:<20} {secs * 1e6:8.2f} us/call   {base / secs:5.1f}x the json baseline's speed")


if __name__ == "__main__":
    main()
