"""Installing small plugin distributions for real: a ``.dist-info`` with ``entry_points.txt`` and
a module, in a folder put on ``sys.path`` (what pip leaves in site-packages, minus pip)."""

from __future__ import annotations

from pathlib import Path


def install(site: Path, dist: str, version: str, entry_points: dict[str, str],
            modules: dict[str, str]) -> None:
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = ["[unci]"] + [f"{name} = {target}" for name, target in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for module, source in modules.items():
        (site / f"{module}.py").write_text(source)


GOOD = '''
import unci
from unci import hookimpl

INFO = unci.ProviderInfo(name="{name}", title="Fake {name}", base_url="http://127.0.0.1:9",
                         fields=("id", "name"))

@hookimpl
def describe_provider(provider):
    return INFO if provider == "{name}" else None

@hookimpl
def required_params(provider, operation):
    return [] if provider == "{name}" else None

@hookimpl
def build_request(provider, job_id, params):
    return unci.Request(path="/jobs/" + unci.segment(job_id)) if provider == "{name}" else None

@hookimpl
def map_job(provider, payload):
    return unci.Job(id="1") if provider == "{name}" else None
'''
