"""Finding and loading provider plugins, one at a time, so one broken plugin breaks nothing else.

Entry points in the group ``unci`` are read from metadata once per process without importing
anything; a provider's module is imported only when that provider is asked for. Two
distributions claiming one name are an error, never a silent shadow. ``UNCI_PLUGINS``
(comma-separated names; empty means none) limits what is visible at all.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

import pluggy

from unci import hookspecs
from unci.entrypoints import EntryPoint, entry_points
from unci.errors import DuplicateProvider, PluginError, PluginLoadError, UnknownProvider
from unci.provider import ProviderInfo

GROUP = "unci"
REQUIRED_HOOKS = ("describe_provider", "required_params", "build_request", "map_job")


class Candidate:
    """An entry point that names a provider, before anything is imported."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.entry_points: list[EntryPoint] = []

    @property
    def distributions(self) -> list[str]:
        return [ep.distribution for ep in self.entry_points]


class PluginRegistry:
    """The process's plugin manager plus the entry-point catalogue it loads from."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("unci")
        self.pm.add_hookspecs(hookspecs)
        self._candidates: dict[str, Candidate] | None = None
        self._loaded: dict[str, Any] = {}
        self._failed: dict[str, PluginError] = {}
        self._lock = threading.RLock()  # get_jobs' threads may ask for a provider at once

    # -- discovery ---------------------------------------------------------------------------

    def candidates(self) -> dict[str, Candidate]:
        """Provider name -> entry points claiming it, from metadata only (cached)."""
        if self._candidates is None:
            found: dict[str, Candidate] = {}
            for ep in entry_points(GROUP):
                found.setdefault(ep.name, Candidate(ep.name)).entry_points.append(ep)
            allowed = os.environ.get("UNCI_PLUGINS")
            if allowed is not None:
                names = {n.strip() for n in allowed.split(",") if n.strip()}
                found = {k: v for k, v in found.items() if k in names}
            self._candidates = dict(sorted(found.items()))
        return self._candidates

    def names(self) -> list[str]:
        return list(self.candidates()) + sorted(
            n for n in self._loaded if n not in self.candidates()
        )

    # -- loading -----------------------------------------------------------------------------

    def load(self, name: str) -> Any:
        """Import and register the plugin for ``name``; raise a clear error when it cannot be."""
        if name in self._loaded:
            return self._loaded[name]
        with self._lock:
            return self._load(name)

    def _load(self, name: str) -> Any:
        if name in self._loaded:
            return self._loaded[name]
        if name in self._failed:
            raise self._failed[name]
        candidate = self.candidates().get(name)
        if candidate is None:
            installed = ", ".join(self.names()) or "none"
            hint = (
                f"install it with: pip install unci-{name}"
                if name.replace("-", "").isalnum()
                else "check the spelling"
            )
            raise UnknownProvider(
                f"unknown provider {name!r}; installed providers: {installed}. "
                f"If it exists as a plugin, {hint}",
                provider=name,
            )
        if len(candidate.entry_points) > 1:
            dists = candidate.distributions
            err: PluginError = DuplicateProvider(
                f"provider {name!r} is claimed by more than one distribution ({', '.join(dists)}); "
                "uninstall all but one of them",
                provider=name,
                distributions=dists,
            )
            self._failed[name] = err
            raise err
        ep = candidate.entry_points[0]
        try:
            module = ep.load()
            self.pm.register(module, name=name)
            info = self.pm.hook.describe_provider(provider=name)
            if not isinstance(info, ProviderInfo):
                raise TypeError(f"describe_provider(provider={name!r}) returned {info!r}")
            missing = [h for h in REQUIRED_HOOKS if not _implements(self.pm, module, h)]
            if missing:
                raise TypeError(f"it does not implement the required hook(s) {', '.join(missing)}")
        except Exception as exc:  # noqa: BLE001 - a plugin may fail in any way; report, isolate
            if self.pm.has_plugin(name):
                self.pm.unregister(name=name)
            err = PluginLoadError(
                f"provider {name!r} ({ep.distribution}) failed to load: "
                f"{type(exc).__name__}: {exc}. Reinstall or upgrade it, or hide it with "
                f"UNCI_PLUGINS",
                provider=name,
                distribution=ep.distribution,
            )
            self._failed[name] = err
            raise err from None
        self._loaded[name] = module
        return module

    def register(self, module: Any, name: str) -> None:
        """Register a plugin object directly (tests, embedding); it wins over entry points."""
        self.pm.register(module, name=name)
        self._loaded[name] = module
        self._failed.pop(name, None)

    def unregister(self, name: str) -> None:
        if self.pm.has_plugin(name):
            self.pm.unregister(name=name)
        self._loaded.pop(name, None)

    def load_all(self) -> tuple[dict[str, Any], dict[str, PluginError]]:
        """Load every visible provider; return what loaded and what failed, by name."""
        for name in self.candidates():
            with contextlib.suppress(PluginError):
                self.load(name)
        return dict(self._loaded), dict(self._failed)

    def info(self, name: str) -> ProviderInfo:
        self.load(name)
        info = self.pm.hook.describe_provider(provider=name)
        assert isinstance(info, ProviderInfo)
        return info

    def distribution(self, name: str) -> str | None:
        candidate = self.candidates().get(name)
        if candidate is None or not candidate.entry_points:
            return None
        return candidate.distributions[0]

    @property
    def hook(self) -> Any:
        return self.pm.hook


def _implements(pm: pluggy.PluginManager, module: Any, hook_name: str) -> bool:
    caller = getattr(pm.hook, hook_name)
    return any(impl.plugin is module for impl in caller.get_hookimpls())


_registry: PluginRegistry | None = None


def registry() -> PluginRegistry:
    """The process-wide registry, created on first use."""
    global _registry
    if _registry is None:
        _registry = PluginRegistry()
    return _registry


def reset() -> None:
    """Forget every loaded plugin and the entry-point scan (tests, long-lived hosts)."""
    global _registry
    _registry = None
