"""Reading the ``unci`` entry points from installed distributions' metadata, quickly.

``importlib.metadata`` does the same, but importing it (email, zipfile, csv...) costs about
20 ms, a fifth of ``unci providers``' whole run; this reads only the files that matter:
``*.dist-info/entry_points.txt`` (and ``*.egg-info``) in each directory on ``sys.path``, in
``sys.path`` order, the first distribution of a name winning, as ``importlib.metadata`` does.
Zipped eggs on ``sys.path`` are not read.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Iterator
from typing import Any

_SUFFIXES = (".dist-info", ".egg-info")
_NORMALIZE = re.compile(r"[-_.]+")


class EntryPoint:
    """One ``name = module[:attr]`` line of a distribution's entry points."""

    __slots__ = ("dist_name", "dist_path", "dist_version", "name", "value")

    def __init__(self, name: str, value: str, dist_name: str, dist_version: str, dist_path: str) -> None:
        self.name = name
        self.value = value
        self.dist_name = dist_name
        self.dist_version = dist_version
        self.dist_path = dist_path

    def load(self) -> Any:
        module_name, _, attrs = self.value.partition(":")
        obj: Any = importlib.import_module(module_name.strip())
        for attr in filter(None, attrs.strip().split(".")):
            obj = getattr(obj, attr)
        return obj

    @property
    def distribution(self) -> str:
        return f"{self.dist_name} {self.dist_version}"

    def __repr__(self) -> str:
        return f"EntryPoint({self.name!r}, {self.value!r}, {self.distribution!r})"


def _section(text: str, group: str) -> Iterator[tuple[str, str]]:
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            inside = line[1:-1].strip() == group
            continue
        if inside and "=" in line:
            name, _, value = line.partition("=")
            yield name.strip(), value.strip()


def _name_version(path: str, folder: str) -> tuple[str, str]:
    """Name and version from the metadata headers (the folder name is normalized, lossy)."""
    name = version = ""
    for meta in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(path, meta), encoding="utf-8", errors="replace") as f:
                for line in f:
                    if not line.strip():
                        break
                    if line.startswith("Name:") and not name:
                        name = line[5:].strip()
                    elif line.startswith("Version:") and not version:
                        version = line[8:].strip()
        except OSError:
            continue
        break
    if not name:
        stem = folder.rsplit(".", 1)[0]
        name, _, version = stem.partition("-")
    return name, version


def entry_points(group: str) -> list[EntryPoint]:
    """Every entry point in ``group`` from the distributions visible on ``sys.path``."""
    return scan((group,))[group]


def scan(groups: tuple[str, ...]) -> dict[str, list[EntryPoint]]:
    """Every entry point in each of ``groups``, from one pass over ``sys.path``: the pass (a
    directory listing and a file read per distribution) is most of the cost, not the groups."""
    found: dict[str, list[EntryPoint]] = {group: [] for group in groups}
    headers = [f"[{group}]" for group in groups]
    seen: set[str] = set()
    for entry in sys.path:
        try:
            folders = sorted(e.name for e in os.scandir(entry or ".") if e.name.endswith(_SUFFIXES))
        except OSError:
            continue
        for folder in folders:
            key = _NORMALIZE.sub("-", folder.rsplit(".", 1)[0].split("-")[0]).lower()
            if key in seen:  # an earlier sys.path entry's copy of this distribution wins
                continue
            seen.add(key)
            path = os.path.join(entry or ".", folder)
            try:
                with open(os.path.join(path, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            compact = text.replace(" ", "")
            if not any(header in compact for header in headers):
                continue
            name, version = _name_version(path, folder)
            for group, header in zip(groups, headers, strict=True):
                if header in compact:
                    found[group].extend(
                        EntryPoint(n, v, name, version, path) for n, v in _section(text, group)
                    )
    return found
