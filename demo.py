"""The offline quick start: fetch one real job from each provider through the whole pipeline.

Plugin discovery, hooks, httpx, msgspec decoding, mapping and output all run for real; only
the network is replaced, by vcrpy replaying the cassettes in cassettes/ (built from
real recorded responses and the providers' published examples; cassettes/README.md says
which). No token, no internet.
"""

from __future__ import annotations

import sys
from pathlib import Path

import vcr

import unci
from unci.cli import cli
from unci.formats import normalized
from unci.table import table

HERE = Path(__file__).resolve().parent

# provider, cassette, arguments of `unci jobs get`
DEMOS = [
    (
        "github",
        "github/cassettes/get_job.yaml",
        ["399444496", "-P", "github", "-p", "owner=octo-org", "-p", "repo_id=octo-repo"],
    ),
    (
        "circleci",
        "circleci/cassettes/get_job.yaml",
        ["155", "-P", "circleci", "-p", "project_slug=gh/LF-Engineering/da-ds"],
    ),
    ("travis", "travis/cassettes/get_job.yaml", ["351778875", "-P", "travis"]),
    (
        "bitbucket",
        "bitbucket/cassettes/get_job.yaml",
        [
            "{9b079475-6fed-40bb-b591-711351c12f71}",
            "-P",
            "bitbucket",
            "-p",
            "workspace_id=likyh",
            "-p",
            "repo=likyhphp",
            "-p",
            "build={2d91d69f-d84b-423d-ae4d-c1d3f2c27166}",
        ],
    ),
    (
        "buddy",
        "buddy/cassettes/get_job.yaml",
        ["1", "-P", "buddy", "-p", "workspace=buddy", "-p", "project=company-website", "-p", "workflow=2"],
    ),
]


def run(args: list[str]) -> int:
    try:
        cli.main(args=args, prog_name="unci", standalone_mode=False)
    except SystemExit as exc:  # click's ctx.exit on errors
        return int(exc.code or 0)
    return 0


def main() -> int:
    player = vcr.VCR(record_mode="none", cassette_library_dir=str(HERE / "plugins"))
    from unci.plugins import registry

    installed = set(registry().names())
    failures = 0
    shown = []
    for provider, cassette, args in DEMOS:
        if provider not in installed:
            print(f"--- {provider}: not installed (pip install ./plugins/{provider})\n")
            continue
        print(f"--- $ unci jobs get {' '.join(args)} --ignore-remote-data", flush=True)
        with player.use_cassette(cassette):
            code = run(["jobs", "get", *args, "--ignore-remote-data"])
        failures += code != 0
        shown.append((cassette, args))
        print(flush=True)
    print("--- the same jobs through the Python API, as one normalized table", flush=True)
    rows = []
    for cassette, args in shown:
        job_id, _, provider, *rest = args
        params = dict(p.split("=", 1) for p in rest[1::2])
        with player.use_cassette(cassette), unci.Client() as client:
            fetched = client.fetch(provider, job_id, params=params)
        rows.append(normalized(fetched.job, provider, exclude=("created_at", "updated_at")))
    print(table(rows), end="")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
