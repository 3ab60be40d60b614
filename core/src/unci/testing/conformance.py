"""The standard checks every unci provider plugin should pass, as one pytest base class.

A provider author subclasses :class:`ProviderConformance`, names the provider (its entry-point
name), gives parameters that address a job and some real response bodies (sample files or vcrpy
cassettes), and pytest runs every ``test_*`` check below against the plugin *as installed*: it is
found through its entry point, exactly as users' unci will find it.

A check that does not apply is skipped only with a written reason, in ``skips``
(``{"test_name": "why"}``) or by overriding it under ``@pytest.mark.skip(reason=...)``;
``test_no_overrides_DO_NOT_OVERRIDE`` fails on any other override (langchain-tests' rule).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest

from unci import formats
from unci.bodies import error_envelope
from unci.call import Answer, Target, debug_envelope, decode_job, prepare, prepare_get
from unci.call import raise_for_status as _raise_for_status
from unci.contract import Provider
from unci.errors import MissingParams, PluginError, RemoteError, UnciError
from unci.job import FIELDS, Job
from unci.listing import read_page
from unci.plugins import PluginRegistry
from unci.provider import Credentials, Param, ProviderInfo, Request
from unci.testing._checks import (
    _builder,
    _fail,
    _filled,
    _full_url,
    _has_reasoned_mark,
    _implemented,
    _job_problems,
    _normalize,
    _prepare_list,
    _record_text,
    _request,
    _same_url,
    _secret_forms,
    _short,
    _steering,
)
from unci.testing.samples import (
    Cassette,
    Sample,
    _load_cassette,
    _Recorded,
)

#: Values that try to steer a request elsewhere: other endpoints, other queries, fragments,
#: characters a URL cannot carry raw. Each must be refused or percent-encoded.
HOSTILE_VALUES: tuple[str, ...] = (
    "../../user",
    "..%2F..%2Fadmin",
    "%2e%2e",
    "1?admin=true",
    "1#fragment",
    "1&page=2",
    "a/b",
    "1;jsessionid=x",
    "a b",
    "{id}",
    "ü-∂",
    "\\..\\x",
    "1:2@evil.example",
)

#: Hooks an implementation of a real provider is expected to have beyond the four required.
EXPECTED_HOOKS = ("authenticate", "error_message")
LISTING_HOOKS = ("build_list_request", "map_job_page")
#: A provider name no plugin answers for: every hook must return None for it.
GUARD = "test_no_overrides_DO_NOT_OVERRIDE"


class ProviderConformance:
    """Subclass me (``class TestMine(ProviderConformance)``) and set the class attributes.

    :cvar provider: the provider name, i.e. the entry-point name in the group ``unci``.
    :cvar params: parameters that address ``job_id`` (every required one must be given).
    :cvar job_id: the id of the job the samples and cassettes are about.
    :cvar list_params: parameters for listing (default: ``params``), when the plugin lists.
    :cvar samples: response bodies: :class:`Sample` objects or paths of files holding one.
    :cvar cassettes: vcrpy cassettes of getting one job: :class:`Cassette` objects or paths.
    :cvar list_cassettes: vcrpy cassettes of listing a build's jobs (their jobs count as samples).
    :cvar credentials: credentials the checks use; all three are set by default so that every
        authentication scheme has what it needs. They are made up: nothing is sent anywhere.
    :cvar distribution: the distribution that must provide the entry point (optional).
    :cvar skips: ``{"test_check_name": "why it does not apply"}``.

    Relative paths are taken from the directory of the module that defines the subclass.
    """

    provider: ClassVar[str] = ""
    params: ClassVar[Mapping[str, str]] = {}
    job_id: ClassVar[str] = "1"
    list_params: ClassVar[Mapping[str, str] | None] = None
    samples: ClassVar[Sequence[Sample | str | os.PathLike[str]]] = ()
    cassettes: ClassVar[Sequence[Cassette | str | os.PathLike[str]]] = ()
    list_cassettes: ClassVar[Sequence[Cassette | str | os.PathLike[str]]] = ()
    credentials: ClassVar[Mapping[str, str]] = {
        "token": "unci-conformance-T0KEN-4f1c9e",
        "username": "unci-conformance-user",
        "password": "unci-conformance-PASSW0RD-b27d",
    }
    distribution: ClassVar[str | None] = None
    skips: ClassVar[Mapping[str, str]] = {}

    # -- plumbing ----------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _unci_conformance_setup(self, request: pytest.FixtureRequest) -> None:
        """Honour ``skips`` (a written reason is the only way out) and insist on a provider."""
        name = getattr(request.node, "originalname", None) or request.node.name
        if name == GUARD:
            return
        reason = self.skips.get(name)
        if isinstance(reason, str) and reason.strip():
            pytest.skip(reason)
        if not self.provider:
            pytest.fail(
                f'{type(self).__name__}: set `provider = "<entry-point name>"` on the '
                "class; it is the name your plugin registers in the entry-point group "
                "'unci'",
                pytrace=False,
            )

    def registry(self) -> PluginRegistry:
        """A registry of our own, fresh from the installed entry points, with the plugin loaded."""
        reg = PluginRegistry()
        reg.load(self.provider)
        return reg

    def _info(self, reg: PluginRegistry) -> ProviderInfo:
        return reg.info(self.provider)

    def _target(
        self, reg: PluginRegistry, credentials: Credentials | None = None, base_url: str | None = None
    ) -> Target:
        info = self._info(reg)
        # A provider that is self-hosted only has no default root: a stand-in one, for the
        # checks that never reach a server.
        root = (base_url or info.base_url or "https://ci.example.com").rstrip("/")
        return Target(self.provider, info, root, credentials or Credentials(), {})

    def _path(self, value: str | os.PathLike[str]) -> Path:
        path = Path(value)
        if path.is_absolute():
            return path
        module = sys.modules.get(type(self).__module__)
        where = Path(getattr(module, "__file__", None) or ".").resolve().parent
        return where / path

    def all_samples(self) -> list[Sample]:
        """The samples given, then the 2xx bodies of the cassettes, each with its job id/params."""
        found: list[Sample] = []
        for item in self.samples:
            # A path is a file to read; anything else is taken as a Sample (not isinstance: a
            # test runner that re-imports this package would make that check fail).
            found.append(Sample.file(self._path(item)) if isinstance(item, (str, os.PathLike)) else item)
        for recorded in self._recorded():
            cassette = recorded.cassette
            for n, hit in enumerate(recorded.interactions):
                if 200 <= hit.status < 300 and hit.body.strip():
                    found.append(
                        Sample(
                            hit.body,
                            name=f"{Path(cassette.path).name}#{n}",
                            job_id=cassette.job_id,
                            params=cassette.params,
                        )
                    )
        return found

    def _recorded(self, listing: bool = False) -> list[_Recorded]:
        """The cassettes (or, with ``listing``, the list cassettes), read."""
        return [
            _load_cassette(Cassette(c) if isinstance(c, (str, os.PathLike)) else c, self._path)
            for c in (self.list_cassettes if listing else self.cassettes)
        ]

    def _job_id(self, sample: Sample | Cassette) -> str:
        return sample.job_id if sample.job_id is not None else self.job_id

    def _params(self, sample: Sample | Cassette) -> dict[str, str]:
        return dict(sample.params if sample.params is not None else self.params)

    def _list_params(self, cassette: Cassette) -> dict[str, str]:
        if cassette.params is not None:
            return dict(cassette.params)
        return dict(self.list_params if self.list_params is not None else self.params)

    def _module(self, reg: PluginRegistry) -> Any:
        return reg.load(self.provider)

    # -- discovery ---------------------------------------------------------------------------

    def test_entry_point_loads(self) -> None:
        """The plugin is found through exactly one entry point in group ``unci`` and imports."""
        reg = PluginRegistry()
        candidate = reg.candidates().get(self.provider)
        if candidate is None:
            hidden = os.environ.get("UNCI_PLUGINS")
            why = f" (UNCI_PLUGINS={hidden!r} hides it)" if hidden is not None else ""
            pytest.fail(
                f"no entry point named {self.provider!r} in the group 'unci'{why}. Declare "
                f'[project.entry-points.unci] {self.provider} = "<your_module>" in pyproject.toml '
                "and install the distribution (pip install -e .)",
                pytrace=False,
            )
        if len(candidate.entry_points) != 1:
            _fail(
                f"{self.provider!r} is claimed by several distributions: "
                f"{', '.join(candidate.distributions)}; only one may provide it"
            )
        dist = candidate.entry_points[0].dist_name
        if self.distribution is not None and _normalize(dist) != _normalize(self.distribution):
            _fail(f"{self.provider!r} comes from the distribution {dist!r}, not {self.distribution!r}")
        try:
            reg.load(self.provider)
        except UnciError as exc:  # PluginLoadError: the import failed, or a required hook lacks
            _fail(str(exc))

    def test_describe_provider_is_complete(self) -> None:
        """``describe_provider`` names the provider and gives what users and the core need."""
        info = self._info(self.registry())
        problems = []
        if info.name != self.provider:
            problems.append(f"name is {info.name!r}, not the entry-point name {self.provider!r}")
        if not info.title.strip():
            problems.append("title is empty; give the name people know the CI system by")
        if not info.base_url and not info.self_hosted:
            problems.append(
                "base_url is empty (self-hosted only) and self_hosted does not say what a root "
                "looks like; give it, e.g. self_hosted='https://HOST/api'"
            )
        roots = [("base_url", info.base_url)] if info.base_url else []
        for label, url in [*roots, *info.base_urls.items()]:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                problems.append(f"{label} {url!r} is not an absolute http(s) URL")
        unknown = [f for f in info.fields if f not in FIELDS]
        if unknown:
            problems.append(f"fields names unknown unified fields {unknown}; valid: {list(FIELDS)}")
        if "id" not in info.fields:
            problems.append("fields must include 'id'")
        for name in (*info.token_env, *info.username_env, *info.password_env):
            if not name or not name.replace("_", "").isalnum() or name.upper() != name:
                problems.append(f"{name!r} does not look like an environment variable name")
        if info.docs_url and urlsplit(info.docs_url).scheme not in ("http", "https"):
            problems.append(f"docs_url {info.docs_url!r} is not an http(s) URL")
        if problems:
            _fail(f"describe_provider({self.provider!r}): " + "; ".join(problems))

    # -- the hooks ---------------------------------------------------------------------------

    def test_required_hooks_are_implemented(self) -> None:
        """The entry point gives a ``unci.Provider`` with the two hooks only it can write
        (``build_request``, ``map_job``); listing hooks come in pairs."""
        reg = self.registry()
        provider = self._module(reg)
        if not isinstance(provider, Provider):
            _fail(
                f"{self.provider}: the entry point gives {_short(provider)}; point it at a "
                "unci.Provider subclass or instance (see docs/writing-a-provider.md)"
            )
        have = _implemented(reg, self.provider)
        for pair in (
            LISTING_HOOKS,
            ("build_builds_request", "map_build_page"),
            ("build_build_request", "map_build"),
            ("build_steps_request", "map_steps"),
            ("build_log_parts_request", "map_log_parts"),
        ):
            done = [h for h in pair if h in have]
            if len(done) == 1:
                other = next(h for h in pair if h not in have)
                _fail(f"{self.provider}: {done[0]} is implemented without {other}; they work as a pair")

    # -- parameters --------------------------------------------------------------------------

    def _declared(self, reg: PluginRegistry, operation: str) -> list[Param]:
        try:
            return reg.hooks(self.provider).required_params(operation)
        except UnciError as exc:
            _fail(
                f"{self.provider}: required_params(operation={operation!r}): {exc}; return a "
                "list of unci.Param (empty when the job id is all the provider needs)"
            )

    def _operations(self, reg: PluginRegistry) -> list[tuple[str, Mapping[str, str]]]:
        ops: list[tuple[str, Mapping[str, str]]] = [("get", self.params)]
        if "build_list_request" in _implemented(reg, self.provider):
            ops.append(("list", self.list_params if self.list_params is not None else self.params))
        return ops

    def test_required_params_are_declared(self) -> None:
        """Each ``Param`` is well formed, and the test class supplies every required one."""
        reg = self.registry()
        problems = []
        for operation, given in self._operations(reg):
            declared = self._declared(reg, operation)
            names = [p.name for p in declared]
            if len(set(names)) != len(names):
                problems.append(f"{operation}: a parameter is declared twice in {names}")
            for p in declared:  # each a unci.Param: the core refuses anything else
                if not p.name or not p.name.replace("_", "").replace("-", "").isalnum():
                    problems.append(f"{operation}: parameter name {p.name!r} is not a plain word")
                if not p.description.strip():
                    problems.append(
                        f"{operation}: parameter {p.name!r} has no description; "
                        "users see it when they leave it out"
                    )
                if p.kind not in ("segment", "path", "query"):
                    problems.append(
                        f"{operation}: parameter {p.name!r} has kind {p.kind!r}; use "
                        "'segment', 'path' or 'query'"
                    )
                if p.required and not given.get(p.name):
                    which = "params" if operation == "get" else "list_params"
                    problems.append(
                        f"{operation}: the test class gives no value for the required "
                        f"parameter {p.name!r}; add it to `{which}`"
                    )
        if problems:
            _fail(f"{self.provider}: " + "; ".join(problems))

    def _required(self, reg: PluginRegistry, operation: str, given: Mapping[str, str]) -> dict[str, str]:
        """The class's values for the declared required params; a clear failure if one lacks."""
        declared = [p for p in self._declared(reg, operation) if p.required]
        missing = [p.name for p in declared if not given.get(p.name)]
        if missing:
            which = "params" if operation == "get" else "list_params"
            _fail(
                f"{type(self).__name__}: give a value for the required parameter(s) "
                f"{', '.join(missing)} in `{which}` ({operation})"
            )
        return {p.name: given[p.name] for p in declared}

    def test_required_params_are_enforced(self) -> None:
        """Leaving out any required parameter is refused before a request is built, naming it;
        building needs no parameter beyond the required ones declared."""
        reg = self.registry()
        target = self._target(reg)
        for operation, given in self._operations(reg):
            build = _builder(operation, self.job_id)
            required = self._required(reg, operation, given)
            for name in required:
                outcome = _request(build, target, {k: v for k, v in required.items() if k != name}, reg)
                if not isinstance(outcome, MissingParams) or name not in outcome.missing:
                    _fail(
                        f"{self.provider}: {operation} without the required {name!r} gave "
                        f"{_short(outcome)}, not a MissingParams error naming it"
                    )
            outcome = _request(build, target, required, reg)
            if isinstance(outcome, PluginError) and isinstance(outcome.__cause__, KeyError):
                outcome = outcome.__cause__
            if isinstance(outcome, KeyError):
                hook = "build_request" if operation == "get" else "build_list_request"
                _fail(
                    f"{self.provider}: {hook} read the parameter {outcome} that "
                    f"required_params(operation={operation!r}) does not declare as required; "
                    "declare it (or read an optional one with params.get)"
                )
            if isinstance(outcome, BaseException):
                _fail(
                    f"{self.provider}: {operation} with just the required parameters "
                    f"{required} failed: {type(outcome).__name__}: {outcome}"
                )

    def test_build_request_encodes_hostile_ids_and_params(self) -> None:
        """An id or parameter like ``../../user`` or ``1?admin=true`` is refused or
        percent-encoded: it never adds a path segment, a query or a fragment."""
        reg = self.registry()
        target = self._target(reg)
        problems: list[str] = []
        for operation, given in self._operations(reg):
            declared = {p.name: p for p in self._declared(reg, operation)}
            self._required(reg, operation, given)
            params = dict(given)
            benign = _request(_builder(operation, self.job_id), target, params, reg)
            if not isinstance(benign, Request):
                _fail(
                    f"{self.provider}: {operation} with the class's own params failed: "
                    f"{type(benign).__name__}: {benign}"
                )
            cases: list[tuple[str, str, str, dict[str, str]]] = []
            if operation == "get":
                cases += [("job id", "segment", h, params) for h in HOSTILE_VALUES]
            for name, p in declared.items():
                if name in params:
                    cases += [(f"parameter {name!r}", p.kind, h, {**params, name: h}) for h in HOSTILE_VALUES]
            for what, kind, hostile, values in cases:
                job_id = hostile if what == "job id" else self.job_id
                outcome = _request(_builder(operation, job_id), target, values, reg)
                if isinstance(outcome, UnciError):
                    continue  # refused: as good as encoded
                if isinstance(outcome, BaseException):
                    problems.append(
                        f"{operation}: {what} = {hostile!r} raised "
                        f"{type(outcome).__name__}: {outcome} (refuse bad values with "
                        "unci.InvalidParam)"
                    )
                    continue
                problems += [
                    f"{operation}: {what} = {hostile!r}: {p}"
                    for p in _steering(benign, outcome, hostile, kind, target.base_url)
                ]
        if problems:
            _fail(
                f"{self.provider}: values from users must pass through unci.segment()/segments() "
                "(or be refused with unci.InvalidParam):\n  " + "\n  ".join(problems)
            )

    # -- mapping -----------------------------------------------------------------------------

    def _mapped(self, reg: PluginRegistry) -> list[tuple[str, bytes, Job | str]]:
        """(label, body, Job or what went wrong) for every sample and every listed job."""
        samples = self.all_samples()
        if not samples and not self.list_cassettes:
            _fail(
                f"{type(self).__name__}: give `samples` (response bodies) or `cassettes`; the "
                "mapping checks need at least one real response of the provider"
            )
        out: list[tuple[str, bytes, Job | str]] = []
        for sample in samples:
            try:
                job = reg.hooks(self.provider).map_job(
                    sample.payload, self._job_id(sample), self._params(sample)
                )
            except Exception as exc:  # noqa: BLE001 - reported per sample
                out.append((sample.name, sample.payload, f"map_job raised {type(exc).__name__}: {exc}"))
                continue
            out.append(
                (
                    sample.name,
                    sample.payload,
                    job if isinstance(job, Job) else f"map_job returned {_short(job)}, not a unci.Job",
                )
            )
        for recorded in self._recorded(listing=True):
            label = Path(recorded.cassette.path).name
            for n, hit in enumerate(recorded.interactions):
                if not 200 <= hit.status < 300:
                    continue
                try:
                    call = _prepare_list(
                        self._target(reg, base_url=recorded.cassette.base_url),
                        self._list_params(recorded.cassette),
                        reg,
                        limit=recorded.cassette.limit,
                    )
                    page = read_page(call, Answer(hit.status, hit.headers, hit.body), reg)
                except Exception as exc:  # noqa: BLE001 - reported per page
                    out.append(
                        (f"{label}#{n}", hit.body, f"reading the page raised {type(exc).__name__}: {exc}")
                    )
                    continue
                out += [(f"{label}#{n}[{i}]", hit.body, job) for i, job in enumerate(page.jobs)]
        return out

    def test_samples_map_to_valid_jobs(self) -> None:
        """Each sample becomes a Job: string id, status and conclusion from the vocabulary or
        the provider's own word, timezone-aware UTC timestamps, ``remote_data`` kept."""
        reg = self.registry()
        info = self._info(reg)
        problems = []
        for label, payload, job in self._mapped(reg):
            found = [job] if isinstance(job, str) else _job_problems(job, payload, info)
            problems += [f"{label}: {p}" for p in found]
        if problems:
            _fail(f"{self.provider}:\n  " + "\n  ".join(problems))

    def test_filled_fields_are_declared(self) -> None:
        """A field ``map_job`` fills is in ``ProviderInfo.fields``, or unified output drops it."""
        reg = self.registry()
        declared = set(self._info(reg).fields) | {"id", "remote_data"}
        undeclared: dict[str, list[str]] = {}
        for label, _, job in self._mapped(reg):
            if isinstance(job, Job):
                for name in _filled(job) - declared:
                    undeclared.setdefault(name, []).append(label)
        if undeclared:
            _fail(
                f"{self.provider}: map_job fills {sorted(undeclared)} (in "
                f"{sorted({s for v in undeclared.values() for s in v})}) but describe_provider's "
                "fields do not list them, so the unified format leaves them out; add them to fields"
            )

    def test_declared_fields_are_filled_by_a_sample(self) -> None:
        """Each field in ``ProviderInfo.fields`` is filled by at least one sample: the field
        matrix claims no support the samples do not show."""
        reg = self.registry()
        declared = set(self._info(reg).fields) - {"id", "remote_data"}
        filled: set[str] = set()
        for _, _, job in self._mapped(reg):
            if isinstance(job, Job):
                filled |= _filled(job)
        if "build_steps_request" in _implemented(reg, self.provider):
            filled.add("steps")  # by map_steps, on request (``include_steps``), not by map_job
        never = sorted(declared - filled)
        if never:
            _fail(
                f"{self.provider}: describe_provider declares {never} but no sample fills them; add "
                "a sample where the provider sends them, or drop them from fields"
            )

    def test_garbage_bodies_never_become_jobs(self) -> None:
        """A body that is not the provider's job (HTML, ``{}``, ``null``...) is an error, never a
        Job with an empty or made-up id."""
        reg = self.registry()
        target = self._target(reg)
        call = prepare_get(target, self.job_id, self.params, reg=reg)
        problems = []
        for body in _GARBAGE:
            try:
                job = decode_job(call, Answer(200, {}, body), reg)
            except UnciError:
                continue
            if not isinstance(job.id, str) or not job.id.strip() or job.id in ("None", "null"):
                problems.append(f"{body[:40]!r} became a Job with id {job.id!r}")
        if problems:
            _fail(
                f"{self.provider}: map_job must raise (a msgspec error, or unci.DecodeError) when the "
                "body is not a job: " + "; ".join(problems)
            )

    # -- against recordings ------------------------------------------------------------------

    def test_cassettes_replay_through_the_pipeline(self) -> None:
        """Each cassette's first request is exactly what unci builds for its job id and params
        (list cassettes: for the list params and limit), and its answer goes through the
        pipeline: a valid Job (or page of Jobs), or the error matching its HTTP status."""
        recordings = [(False, r) for r in self._recorded()] + [
            (True, r) for r in self._recorded(listing=True)
        ]
        if not recordings:
            _fail(
                f"{type(self).__name__}: give `cassettes` (vcrpy YAML) recorded from the "
                "provider, or skip this check with the reason you have none"
            )
        reg = self.registry()
        info = self._info(reg)
        problems = []
        for listing, recorded in recordings:
            cassette = recorded.cassette
            label = Path(cassette.path).name
            if not recorded.interactions:
                problems.append(f"{label}: no interactions")
                continue
            first = recorded.interactions[0]
            target = self._target(reg, base_url=cassette.base_url)
            try:
                if listing:
                    call = _prepare_list(target, self._list_params(cassette), reg, limit=cassette.limit)
                else:
                    call = prepare_get(target, self._job_id(cassette), self._params(cassette), reg=reg)
            except Exception as exc:  # noqa: BLE001 - reported per cassette
                problems.append(f"{label}: building the request raised {type(exc).__name__}: {exc}")
                continue
            built = _full_url(call)
            if call.method.upper() != first.method.upper() or not _same_url(built, first.uri):
                problems.append(
                    f"{label}: unci builds {call.method} {built}, the cassette recorded "
                    f"{first.method} {first.uri} (give the Cassette the job_id/params/limit it "
                    "was recorded for, and base_url when it was made against another API root)"
                )
                continue
            answer = Answer(first.status, first.headers, first.body)
            try:
                _raise_for_status(call, answer, reg)
                jobs = read_page(call, answer, reg).jobs if listing else [decode_job(call, answer, reg)]
            except RemoteError as exc:
                if exc.remote_status != first.status or not exc.message:
                    problems.append(f"{label}: HTTP {first.status} became {exc!r}")
                continue
            except UnciError as exc:
                problems.append(f"{label}: HTTP {first.status} failed with {type(exc).__name__}: {exc}")
                continue
            for job in jobs:
                problems += [f"{label}: {p}" for p in _job_problems(job, first.body, info)]
        if problems:
            _fail(f"{self.provider}:\n  " + "\n  ".join(problems))

    def test_list_pages_follow_to_the_end(self) -> None:
        """Listing walks every page of each list cassette through the core's own cursor logic:
        each next page unci asks for is one the provider recorded, none repeats, and the walk
        ends where the recording does (the absent-``next_page_token`` kind of bug).

        Skipped, saying so, for a provider that implements no listing hooks."""
        reg = self.registry()
        if LISTING_HOOKS[0] not in _implemented(reg, self.provider):
            pytest.skip(f"{self.provider} implements no listing hooks")
        recordings = self._recorded(listing=True)
        if not recordings:
            _fail(
                f"{type(self).__name__}: give `list_cassettes` recorded over a whole listing "
                "(every page), or skip this check with the reason you have none"
            )
        problems = []
        for recorded in recordings:
            label = Path(recorded.cassette.path).name
            by_url = {(i.method.upper(), i.uri): i for i in recorded.interactions}
            target = self._target(reg, base_url=recorded.cassette.base_url)
            params = self._list_params(recorded.cassette)
            try:
                call = _prepare_list(target, params, reg, limit=recorded.cassette.limit)
            except Exception as exc:  # noqa: BLE001 - reported per cassette
                problems.append(f"{label}: building the first page raised {exc!r}")
                continue
            seen: list[str] = []
            while True:
                url = _full_url(call)
                hit = next(
                    (i for (m, u), i in by_url.items() if m == call.method.upper() and _same_url(url, u)),
                    None,
                )
                if hit is None:
                    problems.append(
                        f"{label}: after {len(seen)} page(s) unci asks for "
                        f"{call.method} {url}, which the cassette does not hold; "
                        "record the whole listing, or fix the next page"
                    )
                    break
                if url in seen:
                    problems.append(
                        f"{label}: page {len(seen) + 1} is page "
                        f"{seen.index(url) + 1} again: the listing would never end"
                    )
                    break
                seen.append(url)
                if not 200 <= hit.status < 300:
                    break  # an error page ends a listing; the replay check judges its error
                try:
                    page = read_page(call, Answer(hit.status, hit.headers, hit.body), reg)
                    if page.next is None:
                        break
                    call = prepare(target, page.next, params=params, reg=reg)
                except UnciError as exc:
                    problems.append(f"{label}: page {len(seen)}: {type(exc).__name__}: {exc}")
                    break
        if problems:
            _fail(f"{self.provider}:\n  " + "\n  ".join(problems))

    # -- credentials -------------------------------------------------------------------------

    def test_authenticate_returns_headers(self) -> None:
        """With credentials, ``authenticate`` gives the headers carrying them; with none, a dict."""
        reg = self.registry()
        creds = Credentials(**self.credentials)
        headers = reg.hooks(self.provider).authenticate(creds)
        if not isinstance(headers, dict) or not headers:
            _fail(
                f"{self.provider}: authenticate returned {_short(headers)} for {creds!r}; "
                "return the headers that carry them (e.g. {'Authorization': 'Bearer ...'})"
            )
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
            _fail(f"{self.provider}: authenticate must return str header names and values")
        # Without credentials a provider returns {} or the headers it needs anyway; anything
        # but a dict is a PluginError from the core, which fails this check with its message.
        reg.hooks(self.provider).authenticate(Credentials())

    def test_no_credential_reaches_the_request_log_or_output(
        self, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        """No credential, raw or encoded, reaches the URL, the debug envelope, the rendered job,
        an error message, a log record or stdout/stderr."""
        caplog.set_level(logging.DEBUG)
        reg = self.registry()
        info = self._info(reg)
        creds = Credentials(**self.credentials)
        forms = _secret_forms(creds)
        if not forms:
            _fail(f"{type(self).__name__}: set `credentials` with a token or a password")
        target = self._target(reg, credentials=creds)
        samples = self.all_samples()
        sample = samples[0] if samples else Sample(b"{}")
        call = prepare_get(target, self._job_id(sample), self._params(sample), reg=reg)
        places: dict[str, str] = {
            "the URL": _full_url(call),
            "the logged request (debug requestUrl/requestOptions)": call.redacted_url()
            + repr(call.redacted_options()),
        }
        answer = Answer(200, {"content-type": "application/json"}, sample.payload)
        with contextlib.suppress(UnciError):
            job = decode_job(call, answer, reg)
            places["the unified output"] = formats.encode(formats.unified(job, info.fields)).decode()
            places["the normalized output"] = formats.encode(formats.normalized(job, self.provider)).decode()
            places["the debug envelope"] = formats.encode(debug_envelope(call, answer)).decode()
        for status in (401, 403, 404, 500):
            body = b'{"message": "no access"}'
            try:
                _raise_for_status(call, Answer(status, {"content-type": "application/json"}, body), reg)
            except UnciError as exc:
                places[f"the HTTP {status} error"] = str(exc) + repr(error_envelope(exc))
        captured = capsys.readouterr()
        places["stdout/stderr"] = captured.out + captured.err
        places["log records"] = "\n".join(_record_text(r) for r in caplog.records)
        leaks = [
            f"{where} holds {label}"
            for where, text in places.items()
            for label, secret in forms.items()
            if secret in text
        ]
        if leaks:
            _fail(f"{self.provider}: a credential leaked: " + "; ".join(leaks))

    # -- the rule ----------------------------------------------------------------------------

    def test_no_overrides_DO_NOT_OVERRIDE(self) -> None:
        """A standard check is skipped only with a written reason: overriding one needs
        ``@pytest.mark.skip(reason=...)`` (or ``xfail(reason=...)``); ``skips`` needs reasons."""
        cls = type(self)
        problems = []
        for name in STANDARD_CHECKS:
            mine = getattr(cls, name, None)
            base = getattr(ProviderConformance, name)
            if mine is None:
                problems.append(f"{name} was deleted")
            elif mine is not base and not _has_reasoned_mark(mine):
                problems.append(f"{name} is overridden without @pytest.mark.skip(reason=...)")
        if getattr(cls, GUARD) is not getattr(ProviderConformance, GUARD):
            problems.append(f"{GUARD} itself was overridden")
        for name, reason in self.skips.items():
            if name not in STANDARD_CHECKS:
                problems.append(
                    f"skips names {name!r}, which is not a standard check ({', '.join(STANDARD_CHECKS)})"
                )
            elif not isinstance(reason, str) or not reason.strip():
                problems.append(f"skips[{name!r}] gives no reason; write why the check does not apply")
        if problems:
            _fail(f"{cls.__name__}: " + "; ".join(problems))


#: The standard checks, in the order they are defined (the guard excluded).
STANDARD_CHECKS: tuple[str, ...] = tuple(
    n for n in vars(ProviderConformance) if n.startswith("test_") and n != GUARD
)

_GARBAGE = (
    b"",
    b"null",
    b"[]",
    b"{}",
    b'{"id": null}',
    b"not json",
    b"<html><head><title>Sign in</title></head></html>",
)


# --- helpers ---------------------------------------------------------------------------------
