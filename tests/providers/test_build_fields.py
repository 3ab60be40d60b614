"""The build field matrix claims no more and no less than the recorded build payloads fill."""

from __future__ import annotations

import pytest
import yaml

import unci
from helpers import ROOT
from unci.build import BUILD_FIELDS
from unci.plugins import registry

#: The recorded build answers of each provider: (cassette, is it a list).
RECORDED = {
    "github": [("get_build", False), ("list_builds", True)],
    "gitlab": [("get_build", False), ("get_build_named", False), ("list_builds", True)],
    "buildkite": [("get_build", False), ("list_builds", True)],
    "bitbucket": [("get_build", False), ("get_build_full", False), ("list_builds", True)],
    "azure-devops": [("get_build", False), ("list_builds", True)],
}


def _builds(provider: str) -> list[unci.Build]:
    hooks = registry().load(provider)
    found: list[unci.Build] = []
    for name, listing in RECORDED[provider]:
        data = yaml.safe_load((ROOT / "plugins" / provider / "cassettes" / f"{name}.yaml").read_text())
        for hit in data["interactions"]:
            body = hit["response"]["body"]["string"].encode()
            if listing:
                found += hooks.map_build_page(body, {}, {}, unci.Request(path="/")).builds
            else:
                found.append(hooks.map_build(body, "", {}))
    return found


@pytest.mark.parametrize("provider", sorted(RECORDED))
def test_declared_build_fields_are_the_filled_ones(provider: str) -> None:
    filled = {
        f for b in _builds(provider) for f in BUILD_FIELDS if f != "remote_data" and getattr(b, f) is not None
    }
    assert filled == set(registry().info(provider).build_fields)
