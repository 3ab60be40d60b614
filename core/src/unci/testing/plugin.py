"""unci's pytest plugin (entry point ``pytest11: unci``), loaded in every pytest session.

pytest imports every ``pytest11`` module at start-up, in every environment where unci is
installed, before coverage starts measuring (datasette's ``_pytest_plugin.py`` makes the same
point). So this module imports nothing of unci's beyond the package itself, and no httpx: the
conformance kit (:mod:`unci.testing.conformance`) and the registry are imported only inside
the fixture or check that needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from unci.plugins import PluginRegistry


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "unci_conformance: a standard check of unci's provider conformance kit "
        "(select them with -m unci_conformance)",
    )


@pytest.hookimpl(tryfirst=True)  # before -m selects on the marker
def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Mark the kit's checks so ``-m unci_conformance`` selects exactly them.

    The kit's class is recognised by name in each test class's MRO, so that a session whose
    tests never subclass it imports nothing.
    """
    for item in items:
        cls = getattr(item, "cls", None)
        kit = _kit_base(cls) if cls is not None else None
        name = str(getattr(item, "originalname", None) or getattr(item, "name", ""))
        if kit is not None and name.startswith("test_") and hasattr(kit, name):
            item.add_marker(pytest.mark.unci_conformance)


def _kit_base(cls: type) -> type | None:
    for base in cls.__mro__:
        if base.__name__ == "ProviderConformance" and base.__module__ == "unci.testing.conformance":
            return base
    return None


@pytest.fixture
def unci_registry() -> PluginRegistry:
    """A fresh plugin registry of its own: entry points rescanned, nothing loaded yet.

    Register inline test plugins on it (``unci_registry.register(MyProvider(), name="x")``) without
    touching the process-wide registry that ``unci.get_job`` and the CLI use.
    """
    from unci.plugins import PluginRegistry

    return PluginRegistry()
