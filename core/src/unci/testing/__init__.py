"""The conformance kit for provider authors: subclass one class, get every standard check.

.. code-block:: python

    from unci.testing import ProviderConformance, Sample

    class TestWoodpecker(ProviderConformance):
        provider = "woodpecker"
        params = {"repo_id": "1", "build": "8"}
        job_id = "2"
        cassettes = ["cassettes/get_job.yaml"]

Names here are resolved on first use, like :mod:`unci`'s own: this package is imported by the
``unci`` pytest plugin in every test session of every environment that has unci installed, so
importing it must cost nothing and pull in neither httpx nor the plugin machinery.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_WHERE = {
    "ProviderConformance": "conformance",
    "Sample": "samples",
    "Cassette": "samples",
    "HOSTILE_VALUES": "conformance",
    "STANDARD_CHECKS": "conformance",
}

if TYPE_CHECKING:
    from unci.testing.conformance import HOSTILE_VALUES, STANDARD_CHECKS, ProviderConformance
    from unci.testing.samples import Cassette, Sample


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'unci.testing' has no attribute {name!r}")
    value = getattr(import_module(f"unci.testing.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(_WHERE)


__all__ = ["HOSTILE_VALUES", "STANDARD_CHECKS", "Cassette", "ProviderConformance", "Sample"]
