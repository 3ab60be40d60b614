"""The kinds of unified record unci prints and serves (jobs, builds) and what differs between them.

Formats, field selection, table columns and the OpenAPI schemas are written once and take a
:class:`Kind`; a new resource is a new ``Kind`` here, not a copy of the job code path.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Final

from unci.build import BUILD_FIELDS, Build
from unci.job import FIELDS, Job


@dataclass(frozen=True, eq=False)
class Kind:
    """One kind of record: its name, its fields in output order, and where a provider says
    which of them it fills.

    There is one of each (:data:`JOBS`, :data:`BUILDS`), so a kind is equal only to itself:
    every rendering looks its fields up by kind, and a field-by-field hash was a tenth of
    rendering a job."""

    #: ``job``, ``build``: what one record is called in messages.
    noun: str
    #: ``jobs``, ``builds``: the CLI group and the server's path segment.
    plural: str
    #: Every unified field, in output order (``remote_data`` included, ``provider`` not).
    fields: tuple[str, ...]
    #: The :class:`~unci.provider.ProviderInfo` attribute naming the fields a provider fills.
    info_fields: str
    #: Which default table columns a narrow terminal loses first.
    drop_order: tuple[str, ...]

    @property
    def normalized(self) -> tuple[str, ...]:
        """The fields of a normalized row, in order: ``provider`` and every field but
        ``remote_data``."""
        return ("provider", *(f for f in self.fields if f != "remote_data"))

    def supported(self, info: Any) -> tuple[str, ...]:
        """The fields the provider described by ``info`` fills."""
        found: tuple[str, ...] = getattr(info, self.info_fields)
        return found


JOBS: Final = Kind(
    noun="job",
    plural="jobs",
    fields=FIELDS,
    info_fields="fields",
    drop_order=(
        "steps",
        "failure_reason",
        "url",
        "updated_at",
        "created_at",
        "attempts",
        "commit",
        "build",
        "branch",
        "provider",
        "started_at",
        "name",
    ),
)

BUILDS: Final = Kind(
    noun="build",
    plural="builds",
    fields=BUILD_FIELDS,
    info_fields="build_fields",
    drop_order=(
        "url",
        "triggered_by_type",
        "workflow",
        "repo",
        "updated_at",
        "created_at",
        "attempts",
        "triggered_by",
        "trigger",
        "commit",
        "number",
        "provider",
        "completed_at",
        "name",
        "started_at",
    ),
)

#: Every field of either kind, in order: what a field may name where records of both kinds
#: are rendered alike (``unci.render``).
ANY_FIELDS: Final = tuple(dict.fromkeys((*JOBS.fields, *BUILDS.fields)))


def kind_of(record: Job | Build) -> Kind:
    """The kind a record is, from its type."""
    return BUILDS if isinstance(record, Build) else JOBS


def wrong_field(record: Job | Build) -> tuple[str, object, str] | None:
    """The first field of ``record`` (or of one of its steps) whose value is not of its
    declared type, its value and the type wanted; ``None`` when every one is. Only asked once
    rendering a record has failed: a plugin's ``Job(started_at="2025-01-01")`` or
    ``steps=[{...}]``, which the record's constructor does not check."""
    from unci.job import Step

    found = _wrong(record)
    if found is not None:
        return found
    steps = getattr(record, "steps", None)
    for i, step in enumerate(steps if isinstance(steps, list) else ()):
        if not isinstance(step, Step):
            return f"steps[{i}]", step, "Step"
        inner = _wrong(step)
        if inner is not None:
            return (f"steps[{i}].{inner[0]}", *inner[1:])
    return None


def _wrong(record: Any) -> tuple[str, object, str] | None:
    for name, hint in _hints(type(record)).items():
        value = getattr(record, name)
        if not _fits(value, hint):
            return name, value, _named(hint)
    return None


def _hints(cls: type) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


_HINTS: dict[type, dict[str, Any]] = {}


def _fits(value: object, hint: Any) -> bool:
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    args = typing.get_args(hint)
    if args and typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in args)
    origin = typing.get_origin(hint)
    if origin is not None:  # list[Step]: the items are looked at one by one
        return isinstance(value, origin)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _named(hint: Any) -> str:
    args = typing.get_args(hint)
    if args and typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_named(a) for a in args)
    if hint is type(None):
        return "None"
    origin = typing.get_origin(hint)
    if origin is not None:
        return f"{origin.__name__}[{', '.join(_named(a) for a in args)}]"
    return getattr(hint, "__name__", str(hint))
