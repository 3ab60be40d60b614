"""Installable by name: all ten distributions build (wheel and sdist), and in a fresh virtual
environment ``pip install --find-links dist unci-github`` installs by name, as the README says
to until they are on PyPI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

pytestmark = pytest.mark.slow

PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())
BIN = "Scripts" if os.name == "nt" else "bin"


def _env(**extra: str) -> dict[str, str]:
    drop = ("PYTHONPATH", "PIP_USER", "VIRTUAL_ENV", "PYTHONHOME", "UNCI_PLUGINS", "PIP_FIND_LINKS")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def _run(*cmd: str | Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(c) for c in cmd],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(**env),
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


def test_ten_distributions_build_and_install_by_name(tmp_path: Path) -> None:
    assert len(PLUGINS) == 9
    dist = tmp_path / "dist"
    for folder in [ROOT / "core", *(ROOT / "plugins" / p for p in PLUGINS)]:
        # --no-isolation: the build backend comes from this environment (requirements/test.txt),
        # so the test needs no index; users run the README's `python -m build` as it is.
        _run(
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--sdist",
            "--wheel",
            "--outdir",
            dist,
            folder,
            cwd=tmp_path,
        )
    names = {"unci", *(f"unci_{p.replace('-', '_')}" for p in PLUGINS)}
    assert {p.name for p in dist.glob("*.whl")} == {f"{n}-0.1.0-py3-none-any.whl" for n in names}
    assert {p.name for p in dist.glob("*.tar.gz")} == {f"{n}-0.1.0.tar.gz" for n in names}

    _run(sys.executable, "-m", "venv", "venv", cwd=tmp_path)
    pip, unci = tmp_path / "venv" / BIN / "pip", tmp_path / "venv" / BIN / "unci"
    # The README's command, as printed (run from the folder holding dist/).
    _run(pip, "install", "--quiet", "--find-links", "dist", "unci-github", cwd=tmp_path)
    shown = _run(unci, "providers", cwd=tmp_path).stdout
    assert shown.startswith("github  (unci-github 0.1.0)  GitHub Actions") and "travis" not in shown

    # The plugin READMEs' `pip install unci-<name>`, as printed, once PIP_FIND_LINKS names dist/.
    _run(pip, "install", "--quiet", "unci-travis", cwd=tmp_path, PIP_FIND_LINKS=str(dist))
    names_shown = [
        line.split()[0]
        for line in _run(unci, "providers", cwd=tmp_path).stdout.splitlines()
        if line and not line.startswith(" ")
    ]
    assert names_shown == ["github", "travis"]

    # A source distribution builds and installs on its own too.
    _run(
        pip,
        "install",
        "--quiet",
        "--no-binary",
        "unci-buddy",
        "--find-links",
        "dist",
        "unci-buddy",
        cwd=tmp_path,
    )
    assert "buddy  (unci-buddy 0.1.0)" in _run(unci, "providers", cwd=tmp_path).stdout
