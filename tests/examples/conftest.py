"""A fresh virtual environment with unci and the example provider installed from local paths.

Building it (pip resolving unci's dependencies from the package index, then building two wheels)
takes seconds, so it starts in the background as soon as collection knows a test here will run,
and overlaps the rest of the suite; the ``example_venv`` fixture waits for it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "unci-provider-example"


class VenvBuild:
    """Create a venv and ``pip install ./core[testing] <example>`` into it, in a thread."""

    def __init__(self) -> None:
        self.where = Path(tempfile.mkdtemp(prefix="unci-example-venv-"))
        self.python = self.where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        self.error: str | None = None
        #: What `unci providers` printed at each stage: the core alone, then with GitHub.
        self.stages: dict[str, subprocess.CompletedProcess[str]] = {}
        self._thread = threading.Thread(target=self._build, name="example-venv", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PIP_USER", "VIRTUAL_ENV", "PYTHONHOME", "UNCI_PLUGINS")
        }
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, cwd=ROOT)
        if check and done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def _stage(self, name: str) -> None:
        unci = str(self.python.with_name("unci.exe" if os.name == "nt" else "unci"))
        self.stages[name] = self._run(unci, "providers", check=False)
        self.stages[name + " --json"] = self._run(unci, "providers", "--json", check=False)

    def _build(self) -> None:
        # In three steps, as a user would: the core alone, then one provider, then an outside
        # distribution's provider; `unci providers` is recorded after the first two.
        steps = ((f"{ROOT / 'core'}[testing]",), (str(ROOT / "plugins" / "github"),), (str(EXAMPLE),))
        try:
            for number, packages in enumerate(steps):
                self._install(packages, first=number == 0)
                if number == 0:
                    self._stage("core")
                elif number == 1:
                    self._stage("core+github")
        except Exception as exc:  # noqa: BLE001 - reported by the fixture, in the test
            self.error = str(exc)

    def _install(self, packages: tuple[str, ...], first: bool) -> None:
        """Non-editable, from the local paths; the dependencies come from the package index
        (through the installer's cache). Fastest first: this interpreter's pip installs into a
        venv without a pip of its own (ensurepip costs seconds; pip >= 22.3 has --python);
        else uv; else a venv with its own pip."""
        if _pip_version() >= (22, 3):
            if first:
                self._run(sys.executable, "-m", "venv", "--without-pip", str(self.where))
            self._run(
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(self.python),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *packages,
            )
        elif shutil.which("uv"):
            if first:
                self._run("uv", "venv", "--quiet", str(self.where))
            self._run("uv", "pip", "install", "--quiet", "--python", str(self.python), *packages)
        else:
            if first:
                self._run(sys.executable, "-m", "venv", str(self.where))
            self._run(
                str(self.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *packages
            )

    def wait(self) -> Path:
        self._thread.join()
        if self.error:
            pytest.fail(f"building the example's virtual environment failed: {self.error}", pytrace=False)
        return self.python

    def remove(self) -> None:
        self._thread.join()
        shutil.rmtree(self.where, ignore_errors=True)


def _pip_version() -> tuple[int, ...]:
    """This interpreter's pip version, (0,) when it has none (a venv made by uv, say)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return tuple(int(p) for p in version("pip").split(".")[:2] if p.isdigit())
    except PackageNotFoundError:
        return (0,)


_build: VenvBuild | None = None


def pytest_collection_finish(session: pytest.Session) -> None:
    global _build
    here = str(Path(__file__).parent)
    if any(str(item.path).startswith(here) for item in session.items) and _build is None:
        _build = VenvBuild()
        _build.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A build no test waited for (``-x`` stopped the run first) is finished and removed."""
    global _build
    if _build is not None:
        _build.remove()
        _build = None


@pytest.fixture(scope="session")
def example_venv() -> Iterator[Path]:
    """The python of a venv holding unci (non-editable) and unci-woodpecker, nothing else."""
    global _build
    if _build is None:  # collected some other way: build now
        _build = VenvBuild()
        _build.start()
    try:
        yield _build.wait()
    finally:
        _build.remove()
        _build = None


@pytest.fixture(scope="session")
def install_stages(example_venv: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """`unci providers` as printed with the core alone and with the core and GitHub."""
    assert _build is not None
    return _build.stages
