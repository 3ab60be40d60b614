"""Every recorded job and build renders to exactly the bytes it rendered to when this was written.

The rendering is tuned for speed (``unci.formats``); this pins its output byte for byte (as
SHA-256 digests), not only its meaning: every 2xx body of every provider's cassettes and
samples (the conformance classes' gets, the jobs of their list pages, the recorded builds),
in ``unified`` (with and without ``remote_data``, with fields excluded) and ``normalized``,
through the same ``render_json`` the CLI and the server run, with a token to scrub, and
through ``render`` and ``encode_output`` (plain data, then JSON), which must give the same
bytes. A change that means to change the output regenerates the file:
``cd tests && python test_rendered_bytes.py --write``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from providers import test_build_fields as build_fields
from providers import test_conformance as conformance

from unci.builds import FetchedBuild
from unci.call import Answer, Target, decode_job, prepare_get
from unci.client import Fetched
from unci.commands import encode_output, render, render_json
from unci.listing import read_page
from unci.plugins import registry
from unci.provider import Credentials
from unci.testing import ProviderConformance

EXPECTED = Path(__file__).resolve().parent / "rendered_bytes.json"
TOKEN = "unci-golden-T0KEN-0123456789abcdef"
CREDENTIALS = Credentials(token=TOKEN, username="unci-golden-user")
#: (format, ignore_remote_data, exclude) for every record.
RENDERINGS = [
    ("unified", False, ()),
    ("unified", True, ()),
    ("unified", False, ("steps", "name", "created_at")),
    ("normalized", False, ()),
]


def _classes() -> list[type[ProviderConformance]]:
    found = [
        c
        for c in vars(conformance).values()
        if isinstance(c, type) and issubclass(c, ProviderConformance) and c is not ProviderConformance
    ]
    return sorted(found, key=lambda c: c.provider)


def _records() -> Iterator[tuple[str, Fetched | FetchedBuild]]:
    """(label, fetched) for every recorded job and build."""
    for cls in _classes():
        case = cls()
        reg = case.registry()
        info = reg.info(case.provider)
        target = Target(
            case.provider, info, info.base_url, Credentials(token=TOKEN, username="unci-golden-user"), {}
        )
        for sample in case.all_samples():
            call = prepare_get(target, case._job_id(sample), case._params(sample), reg=reg)
            answer = Answer(200, {"content-type": "application/json"}, sample.payload)
            yield f"{case.provider}/{sample.name}", Fetched(call, answer, decode_job(call, answer, reg))
        for recorded in case._recorded(listing=True):
            call = prepare_get(target, case.job_id, case.params, reg=reg)
            for n, hit in enumerate(recorded.interactions):
                if not 200 <= hit.status < 300:
                    continue
                answer = Answer(hit.status, hit.headers, hit.body)
                page = read_page(call, answer, reg)
                for i, job in enumerate(page.jobs):
                    yield (
                        f"{case.provider}/{Path(recorded.cassette.path).name}#{n}[{i}]",
                        Fetched(call, answer, job),
                    )
    for provider in sorted(build_fields.RECORDED):
        info = registry().info(provider)
        target = Target(
            provider, info, info.base_url, Credentials(token=TOKEN, username="unci-golden-user"), {}
        )
        for cls in _classes():
            if cls.provider == provider:
                call = prepare_get(target, cls.job_id, dict(cls.params), reg=registry())
        for n, build in enumerate(build_fields._builds(provider)):
            answer = Answer(200, {}, b"")
            yield f"{provider}/build#{n}", FetchedBuild(call, answer, build)


def rendered() -> dict[str, str]:
    out: dict[str, str] = {}
    for label, fetched in _records():
        for fmt, ignore, exclude in RENDERINGS:
            secrets = fetched.call.secrets
            value = render(fetched, fmt, ignore_remote_data=ignore, exclude=exclude)
            data = encode_output(value, secrets)
            dropped = (["remote_data"] if ignore else []) + list(exclude)
            key = f"{label} {fmt}" + (f" -{','.join(dropped)}" if dropped else "")
            for pretty in (False, True):
                written = render_json(
                    fetched, fmt, ignore_remote_data=ignore, exclude=exclude, secrets=secrets, pretty=pretty
                )
                assert written == encode_output(value, secrets, pretty=pretty), (key, pretty)
            out[key] = data.decode()
    return out


def digests(found: dict[str, str]) -> dict[str, str]:
    """The renderings by SHA-256 (the file would be most of a megabyte of bodies otherwise)."""
    return {key: hashlib.sha256(text.encode()).hexdigest() for key, text in found.items()}


def test_every_recorded_record_renders_to_the_same_bytes() -> None:
    expected = json.loads(EXPECTED.read_text())
    got = rendered()
    assert sorted(got) == sorted(expected), "the recorded records changed: regenerate with --write"
    changed = [key for key, digest in digests(got).items() if digest != expected[key]]
    assert not changed, f"{len(changed)} renderings changed, first: {changed[0]}, now:\n{got[changed[0]]}"


def test_timestamps_of_every_shape_render_the_one_way() -> None:
    """What the recordings do not hold: every kind of timestamp a provider may hand over
    (naive, UTC, another offset, a fraction with and without trailing zeros, the edge years)
    renders as :func:`unci.job.rfc3339` writes it, at the job's level and in its steps."""
    from datetime import datetime, timedelta, timezone

    from unci.job import Job, Step, rfc3339

    zones = [None, timezone.utc, timezone(timedelta(0)), timezone(timedelta(hours=-8)),
             timezone(timedelta(hours=5, minutes=30, seconds=7))]  # fmt: skip
    micros = [0, 1, 10, 120000, 123456, 999990]
    values = [datetime(2020, 1, 20, 17, 42, 40, us, tzinfo=tz) for tz in zones for us in micros]
    values += [datetime(1, 1, 1, 12, tzinfo=timezone.utc), datetime(9999, 12, 31, 23, 59, 59)]
    fetched = next(f for label, f in _records() if label.startswith("github/") and isinstance(f, Fetched))
    for value in values:
        job = Job(id="1", created_at=value, steps=[Step(number=1, started_at=value, completed_at=None)])
        one = Fetched(fetched.call, fetched.answer, job)
        written = render_json(one)
        assert written == encode_output(render(one), []), value
        out = json.loads(written)
        assert out["created_at"] == rfc3339(value), value
        assert out["steps"][0]["started_at"] == rfc3339(value), value


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    EXPECTED.write_text(json.dumps(digests(rendered()), indent=1, sort_keys=True) + "\n")
