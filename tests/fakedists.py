"""Installing small plugin distributions for real: a ``.dist-info`` with ``entry_points.txt`` and
a module, in a folder put on ``sys.path`` (what pip leaves in site-packages, minus pip)."""

from __future__ import annotations

from pathlib import Path


def install(
    site: Path, dist: str, version: str, entry_points: dict[str, str], modules: dict[str, str]
) -> None:
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = ["[unci]"] + [f"{name} = {target}" for name, target in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for module, source in modules.items():
        (site / f"{module}.py").write_text(source)


GOOD = """
from unci.plugin import Job, Provider, ProviderInfo, segment


class Fake(Provider):
    info = ProviderInfo(name="{name}", title="Fake {name}", base_url="http://127.0.0.1:9",
                        fields=("id", "name"))

    def build_request(self, job_id, params):
        return self.request("/jobs/" + segment(job_id))

    def map_job(self, payload, job_id, params):
        return Job(id="1")


provider = Fake()
"""
