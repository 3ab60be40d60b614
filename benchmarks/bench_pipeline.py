"""One real GitHub job through unci's whole pipeline against two baselines, as ratios in one run.

unci: what ``Client.fetch`` and ``unci serve`` run once the body is in: the provider's
``map_job`` through the core (``decode_job``), then the unified JSON with every credential of
the call scrubbed (``render_json``, what ``unci jobs get`` prints and the server answers).

Baselines produce the same unified JSON (the same fields, steps included, statuses translated,
times in UTC, the provider's object as ``remote_data``):
  json:    json.loads + dict access + json.dumps
  msgspec: a minimal msgspec Struct of the same fields, decoded and encoded: the job's twelve
           fields, the steps as a typed list of six fields each (their timestamps parsed to
           datetimes and written back), the body kept as ``remote_data``. No translation, no
           UTC conversion, no ``updated_at``, no scrubbing: the floor for doing this in Python
           with msgspec

Each implementation runs in turn, many rounds, interleaved; the figure is the median of each
round's ratio, so load from other processes hits all of them alike.
Run: python benchmarks/bench_pipeline.py [rounds]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import unci_github  # noqa: E402

from helpers import cassette_body  # noqa: E402
from unci.call import Answer, decode_job, prepare_get, resolve_target  # noqa: E402
from unci.client import Fetched  # noqa: E402
from unci.commands import encode_output, render, render_json  # noqa: E402

PAYLOAD = cassette_body("github", "get_job")
TOKEN = "ghp_" + "b" * 36  # a token-shaped secret, scrubbed from the output like any other
TARGET = resolve_target("github", token=TOKEN, environ={})
PARAMS = {"owner": "octo-org", "repo_id": "octo-repo"}


CALL = prepare_get(TARGET, "399444496", PARAMS)  # the request side, not measured here


def by_unci(payload: bytes) -> bytes:
    """The pipeline as the clients run it once the answer is in."""
    call = CALL
    answer = Answer(200, {"content-type": "application/json"}, payload)
    fetched = Fetched(call, answer, decode_job(call, answer))
    return render_json(fetched, "unified", secrets=fetched.call.target.secrets)


def _ts(value: str | None) -> str | None:
    if value is None:
        return None
    when = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
    return when.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def by_json(payload: bytes) -> bytes:
    d = json.loads(payload)
    status, conclusion = unci_github.STATUS, unci_github.CONCLUSION
    created, started, completed = (
        _ts(d.get("created_at")),
        _ts(d.get("started_at")),
        _ts(d.get("completed_at")),
    )
    steps = [
        {
            "number": s.get("number"),
            "name": s.get("name"),
            "status": status.get(s["status"].lower(), s["status"]) if s.get("status") else None,
            "conclusion": conclusion.get(s["conclusion"].lower(), s["conclusion"])
            if s.get("conclusion")
            else None,
            "started_at": _ts(s.get("started_at")),
            "completed_at": _ts(s.get("completed_at")),
        }
        for s in d.get("steps") or []
    ]
    return json.dumps(
        {
            "id": str(d["id"]),
            "name": d.get("name"),
            "build": str(d.get("run_id")),
            "status": status.get(d["status"].lower(), d["status"]) if d.get("status") else None,
            "conclusion": conclusion.get(d["conclusion"].lower(), d["conclusion"])
            if d.get("conclusion")
            else None,
            "commit": d.get("head_sha"),
            "branch": d.get("head_branch"),
            "attempts": d.get("run_attempt"),
            "created_at": created,
            "started_at": started,
            "completed_at": completed,
            "updated_at": max([t for t in (created, started, completed) if t], default=None),
            "url": d.get("html_url"),
            "steps": steps,
            "remote_data": d,
        },
        separators=(",", ":"),
    ).encode()


class _MStep(msgspec.Struct):
    number: int | None = None
    name: str | None = None
    status: str | None = None
    conclusion: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


class _MJob(msgspec.Struct):
    id: int
    name: str | None = None
    run_id: int | None = None
    status: str | None = None
    conclusion: str | None = None
    head_sha: str | None = None
    head_branch: str | None = None
    run_attempt: int | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    html_url: str | None = None
    steps: list[_MStep] | None = None
    remote_data: msgspec.Raw | None = None


_mdecoder = msgspec.json.Decoder(_MJob)
_mencode = msgspec.json.Encoder().encode


def by_msgspec(payload: bytes) -> bytes:
    job = _mdecoder.decode(payload)
    job.remote_data = msgspec.Raw(payload)
    return _mencode(job)


IMPLEMENTATIONS = {
    "unci pipeline": by_unci,
    "json.loads + dict + json.dumps": by_json,
    "minimal msgspec": by_msgspec,
}


def per_call(fn, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn(PAYLOAD)
    return (time.perf_counter() - start) / number


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 41
    out = json.loads(by_unci(PAYLOAD))
    fetched = Fetched(CALL, Answer(200, {}, PAYLOAD), decode_job(CALL, Answer(200, {}, PAYLOAD)))
    assert by_unci(PAYLOAD) == encode_output(render(fetched), TARGET.secrets), "one encode, the same bytes"
    assert out == json.loads(by_json(PAYLOAD)), "the json baseline must produce the same JSON"
    assert out["steps"][0]["started_at"] == "2020-01-20T17:42:40Z" and out["conclusion"] == "passed"
    assert TOKEN not in by_unci(PAYLOAD.replace(b'"build"', f'"{TOKEN}"'.encode())).decode()
    times: dict[str, list[float]] = {name: [] for name in IMPLEMENTATIONS}
    for _ in range(rounds):
        for name, fn in IMPLEMENTATIONS.items():
            times[name].append(per_call(fn, 500))
    unci = times["unci pipeline"]
    print(f"one GitHub job ({len(PAYLOAD)} bytes, {len(out['steps'])} steps) to unified JSON,")
    print(f"{rounds} interleaved rounds of 500 calls each; medians")
    for name, values in times.items():
        ratio = statistics.median(v / u for v, u in zip(values, unci, strict=True))
        print(
            f"  {name:<32} {statistics.median(values) * 1e6:8.2f} us/call   unci is {ratio:5.2f}x its speed"
        )


if __name__ == "__main__":
    main()
