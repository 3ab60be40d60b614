"""Finding and loading providers, one at a time, so one broken plugin breaks nothing else.

Entry points in the group ``unci`` are read from metadata once per process without importing
anything; a provider's module is imported only when that provider is asked for (or, for
``unci providers``, all of them in one go), in a thread with a time limit each, so an import that
hangs or calls ``sys.exit`` is a :class:`PluginLoadError`, not a frozen or vanished process. Two
distributions claiming one name are an error, never a silent shadow. ``UNCI_PLUGINS``
(comma-separated names; empty means none) limits what is visible at all.

Extensions (entry-point group ``unci.extensions``, named for the provider they extend or ``*``)
are plugins that wrap a provider's hooks; they are loaded with the provider they extend.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from typing import TYPE_CHECKING, Any

from unci.entrypoints import EntryPoint, scan
from unci.errors import DuplicateProvider, PluginError, PluginLoadError, UnknownProvider

if TYPE_CHECKING:
    import pluggy

    from unci.hooks import Hooks
    from unci.provider import ProviderInfo

# pluggy, msgspec and the contract (unci.contract, unci.hooks) are imported where a provider is
# loaded or called, not here: `unci providers` answered from its cache (unci.describecache) needs
# the entry points only, and pluggy only ever runs when an extension wraps a provider.

GROUP = "unci"
EXTENSIONS = "unci.extensions"
#: Seconds a provider's import may take before it is given up on (``UNCI_PLUGIN_TIMEOUT``).
IMPORT_TIMEOUT = 10.0


class Candidate:
    """An entry point that names a provider, before anything is imported."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.entry_points: list[EntryPoint] = []

    @property
    def distributions(self) -> list[str]:
        return [ep.distribution for ep in self.entry_points]


def _manager() -> pluggy.PluginManager:
    """A plugin manager with unci's hookspecs that takes a :class:`Provider`'s methods named
    like hooks as its implementations, so a provider author writes plain methods and never a
    ``@hookimpl`` marker."""
    import pluggy

    from unci import hookspecs
    from unci.contract import Provider

    class Manager(pluggy.PluginManager):
        def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
            if isinstance(plugin, Provider) and name in hookspecs.HOOKS:
                return {}
            return super().parse_hookimpl_opts(plugin, name)

    pm = Manager("unci")
    pm.add_hookspecs(hookspecs)
    return pm


class PluginRegistry:
    """The providers of this process and the extensions that wrap them."""

    def __init__(self) -> None:
        self._candidates: dict[str, Candidate] | None = None
        self._extension_points: list[EntryPoint] = []
        self._registered = False
        self._hidden: set[str] = set()
        #: Names ``UNCI_PLUGINS`` gives that no installed provider has (a typo, or not installed).
        self._unmatched: list[str] = []
        self._loaded: dict[str, Any] = {}
        self._failed: dict[str, PluginError] = {}
        self._extensions: dict[str, list[tuple[str, Any]]] = {}
        self._hooks: dict[str, Hooks] = {}
        #: Imports done ahead by :meth:`load_all`, taken by :meth:`_load`.
        self._imported: dict[str, tuple[Any, Exception | None]] = {}
        self._lock = threading.RLock()  # get_jobs' threads may ask for a provider at once

    # -- discovery ---------------------------------------------------------------------------

    def candidates(self) -> dict[str, Candidate]:
        """Provider name -> entry points claiming it, from metadata only (cached)."""
        if self._candidates is None:
            found: dict[str, Candidate] = {}
            groups = scan((GROUP, EXTENSIONS))  # one pass over sys.path for both
            self._extension_points = groups[EXTENSIONS]
            for ep in groups[GROUP]:
                found.setdefault(ep.name, Candidate(ep.name)).entry_points.append(ep)
            allowed = os.environ.get("UNCI_PLUGINS")
            if allowed is not None:
                names = {n.strip() for n in allowed.split(",") if n.strip()}
                self._hidden = {k for k in found if k not in names}
                self._unmatched = sorted(names - set(found))
                found = {k: v for k, v in found.items() if k in names}
            self._candidates = dict(sorted(found.items()))
        return self._candidates

    def unmatched(self) -> str | None:
        """The names ``UNCI_PLUGINS`` gives that no installed provider has, with a did-you-mean:
        ``unci providers`` says so rather than list nothing and say nothing is installed."""
        self.candidates()
        if not self._unmatched:
            return None
        from unci.suggest import with_guesses

        installed = sorted({*self._hidden, *self.candidates()})
        said = with_guesses(self._unmatched, installed, fold_case=True)
        return f"UNCI_PLUGINS names {said}, which no installed provider is"

    def hidden(self) -> list[str]:
        """The installed providers ``UNCI_PLUGINS`` leaves out."""
        self.candidates()
        return sorted(self._hidden)

    def extension_points(self, name: str) -> list[EntryPoint]:
        """The ``unci.extensions`` entry points that wrap provider ``name`` (from metadata)."""
        self.candidates()
        return [ep for ep in self._extension_points if ep.name in (name, "*")]

    def registered(self) -> bool:
        """Whether this process registered a provider or extension of its own (tests,
        embedding): then what entry points describe is not all there is."""
        return self._registered

    def names(self) -> list[str]:
        return list(self.candidates()) + sorted(n for n in self._loaded if n not in self.candidates())

    # -- loading -----------------------------------------------------------------------------

    def load(self, name: str) -> Any:
        """The provider object for ``name``, imported on first use; a clear error when it
        cannot be had."""
        found = self._loaded.get(name)
        if found is not None:
            return found
        with self._lock:
            return self._load(name)

    def _load(self, name: str) -> Any:
        if name in self._loaded:
            return self._loaded[name]
        if name in self._failed:
            raise self._failed[name]
        candidate = self.candidates().get(name)
        if candidate is None:
            canonical = self._canonical(name)
            if canonical is not None:
                return self._load(canonical)
            raise self._unknown(name)
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
            ahead = self._imported.pop(name, None)
            value, error = ahead if ahead is not None else _import_all([ep])[0]
            if error is not None:
                raise error
            provider = _as_provider(value, name)
        except PluginError as exc:
            self._failed[name] = exc
            raise
        except Exception as exc:  # noqa: BLE001 - a plugin may fail in any way; report, isolate
            err = PluginLoadError(
                f"provider {name!r} ({ep.distribution}) failed to load: "
                f"{type(exc).__name__}: {exc}. Reinstall or upgrade it, or hide it with "
                f"UNCI_PLUGINS",
                provider=name,
                distribution=ep.distribution,
            )
            self._failed[name] = err
            raise err from None
        self._loaded[name] = provider
        return provider

    def _canonical(self, name: str) -> str | None:
        """The installed provider that ``name`` means when only its case differs."""
        lowered = name.lower()
        return next((n for n in self.candidates() if n.lower() == lowered and n != name), None)

    def _unknown(self, name: str) -> UnknownProvider:
        installed = self.names()
        if name in self._hidden:
            return UnknownProvider(
                f"provider {name!r} is installed but hidden by UNCI_PLUGINS="
                f"{os.environ.get('UNCI_PLUGINS', '')!r}; add it there or unset UNCI_PLUGINS",
                provider=name,
            )
        import difflib  # only for this message: not on every command's start-up path

        close = difflib.get_close_matches(name.lower(), installed, n=1, cutoff=0.6)
        guess = f"Did you mean {close[0]!r}? " if close else ""
        return UnknownProvider(
            f"unknown provider {name!r}; installed providers: {', '.join(installed) or 'none'}",
            hint=f"{guess}`unci providers` lists them with their install commands",
            py_hint=f"{guess}Each provider is a package of its own: pip install unci-NAME (unci-github...)",
            http_hint=f"{guess}The server has these providers installed",
            provider=name,
        )

    def register(self, plugin: Any, name: str) -> None:
        """Register a provider object (tests, embedding; it wins over entry points), or any other
        plugin as an extension that may wrap every provider's hooks."""
        from unci.contract import Provider

        with self._lock:
            self._registered = True
            if isinstance(plugin, Provider) or (isinstance(plugin, type) and issubclass(plugin, Provider)):
                self._loaded[name] = _as_provider(plugin, name)
                self._failed.pop(name, None)
            else:
                if name in self.candidates() or name in self._loaded:
                    # pluggy would refuse the name once the provider's hooks are built, with
                    # its own "Plugin name already registered".
                    raise PluginError(
                        f"{name!r} is a provider's name; register the extension under a name of "
                        "its own (it wraps every provider's hooks, and their provider= argument "
                        "says whose call it is)",
                        provider=name,
                    )
                self._extensions.setdefault("*", []).append((name, plugin))
            self._hooks.clear()

    def unregister(self, name: str) -> None:
        with self._lock:
            self._loaded.pop(name, None)
            for found in self._extensions.values():
                found[:] = [(n, p) for n, p in found if n != name]
            self._hooks.clear()

    def load_all(self, names: list[str] | None = None) -> tuple[dict[str, Any], dict[str, PluginError]]:
        """Load every visible provider (or those of ``names``); return what loaded and what
        failed, by name.

        The imports run first, all in one thread (:func:`_import_all`), then each is checked."""
        with self._lock:
            wanted = list(self.candidates()) if names is None else names
            todo = [
                (name, c.entry_points[0])
                for name, c in self.candidates().items()
                if name in wanted
                and len(c.entry_points) == 1
                and name not in self._loaded
                and name not in self._failed
            ]
            if len(todo) > 1:
                imported = _import_all([ep for _, ep in todo])
                self._imported.update(zip([name for name, _ in todo], imported, strict=True))
            for name in wanted:
                with contextlib.suppress(PluginError):
                    self.load(name)
        return dict(self._loaded), dict(self._failed)

    # -- calling -----------------------------------------------------------------------------

    def hooks(self, name: str) -> Hooks:
        """The hooks of provider ``name`` (loaded on first use), wrapped by its extensions."""
        found = self._hooks.get(name)
        if found is not None:
            return found
        asked = name
        provider = self.load(name)
        with self._lock:
            name = provider.info.name  # "GitHub" is github: one Hooks for both spellings
            cached = self._hooks.get(name)
            if cached is not None:
                self._hooks[asked] = cached
                return cached
            extensions = [
                *self._extensions.get("*", []),
                *self._extensions.get(name, []),
                *self._entry_point_extensions(name),
            ]
            pm = None
            if extensions:
                pm = _manager()
                pm.register(provider, name=name)
                for ext_name, ext in extensions:
                    pm.register(ext, name=ext_name)
            from unci.hooks import Hooks

            hooks = Hooks(name, provider, pm, self.distribution(name))
            self._hooks[name] = self._hooks[asked] = hooks
            return hooks

    def _entry_point_extensions(self, name: str) -> list[tuple[str, Any]]:
        found = []
        for ep in self.extension_points(name):
            try:
                found.append((f"{ep.distribution}:{ep.name}", _import(ep)))
            except Exception as exc:  # noqa: BLE001 - a broken extension must not hide the provider
                raise PluginLoadError(
                    f"extension {ep.value!r} ({ep.distribution}) of provider {name!r} failed to "
                    f"load: {type(exc).__name__}: {exc}. Uninstall or upgrade it",
                    provider=name,
                    distribution=ep.distribution,
                ) from None
        return found

    def info(self, name: str) -> ProviderInfo:
        return self.hooks(name).describe_provider()

    def distribution(self, name: str) -> str | None:
        candidate = self.candidates().get(name)
        if candidate is None or not candidate.entry_points:
            return None
        return candidate.distributions[0]


def _import_limit() -> float:
    try:
        return float(os.environ.get("UNCI_PLUGIN_TIMEOUT", IMPORT_TIMEOUT))
    except ValueError:
        return IMPORT_TIMEOUT


class _Importer:
    """Entry points loaded one after another in one daemon thread, each result (or exception,
    ``SystemExit`` included) kept under the lock, so the watcher knows which one is in progress."""

    def __init__(self, eps: list[EntryPoint]) -> None:
        self.eps = eps
        self.done: dict[int, tuple[Any, BaseException | None]] = {}
        self.changed = threading.Condition()

    def run(self) -> None:
        for index, ep in enumerate(self.eps):
            try:
                result: tuple[Any, BaseException | None] = (ep.load(), None)
            except BaseException as exc:  # noqa: BLE001 - SystemExit at import is a broken plugin
                result = (None, exc)
            with self.changed:
                self.done[index] = result
                self.changed.notify_all()


def _import_all(eps: list[EntryPoint]) -> list[tuple[Any, Exception | None]]:
    """``ep.load()`` of each entry point in turn, in one thread with a time limit each:
    (value, None) or (None, the error to report). No plugin import can end or freeze the
    process; one that hangs is named, and those after it are imported by a fresh thread.

    One thread for all (not one per import): on a loaded machine each thread's start-up and
    hand-over cost milliseconds, which nine providers made a third of ``unci providers``.
    """
    limit = _import_limit()
    results: list[tuple[Any, Exception | None]] = []
    while len(results) < len(eps):
        importer = _Importer(eps[len(results) :])
        name = f"unci-import-{importer.eps[0].name}"
        threading.Thread(target=importer.run, name=name, daemon=True).start()
        for index in range(len(importer.eps)):
            # Each import gets the whole limit from the moment the previous one was seen done.
            with importer.changed:
                finished = importer.changed.wait_for(
                    functools.partial(importer.done.__contains__, index), limit
                )
            if not finished:
                results.append(
                    (None, TimeoutError(f"its import did not finish in {limit:g} s (UNCI_PLUGIN_TIMEOUT)"))
                )
                break  # that thread is stuck in this import: the rest go to a new one
            value, error = importer.done[index]
            if isinstance(error, KeyboardInterrupt):
                raise error
            if isinstance(error, SystemExit):
                results.append((None, RuntimeError(f"its import called sys.exit({error.code!r})")))
            elif error is not None and not isinstance(error, Exception):
                raise error
            else:
                results.append((value, error))
    return results


def _import(ep: EntryPoint) -> Any:
    """One entry point through :func:`_import_all`; its error raised."""
    value, error = _import_all([ep])[0]
    if error is not None:
        raise error
    return value


def _as_provider(value: Any, name: str) -> Any:
    """The provider object an entry point exposes: a :class:`Provider` instance (or a subclass,
    instantiated here)."""
    from unci.contract import Provider
    from unci.provider import ProviderInfo

    if isinstance(value, type) and issubclass(value, Provider):
        value = value()
    if isinstance(value, Provider):
        info = getattr(value, "info", None)
        if not isinstance(info, ProviderInfo):
            raise TypeError(f"{type(value).__name__}.info is {info!r}, not a unci.ProviderInfo")
        if value.job_path is None and type(value).build_request is Provider.build_request:
            raise TypeError(f"{type(value).__name__} does not implement build_request (nor set job_path)")
        if type(value).map_job is Provider.map_job:
            raise TypeError(f"{type(value).__name__} does not implement map_job")
        return value
    raise TypeError(f"the entry point gives {type(value).__name__} {value!r}, not a unci.Provider")


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
