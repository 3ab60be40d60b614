"""Generated docs stay in sync with the code; every hook is documented and tested."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from helpers import ROOT
from unci import hookspecs


def _gen():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_docs"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["formats.md", "providers.md", "cli.md"])
def test_generated_docs_are_current(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    expected = _gen().GENERATED[name]()
    committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert committed == expected, f"docs/{name} is stale: run python scripts/gen_docs.py"


def test_field_matrix_matches_plugin_declarations() -> None:
    from unci.plugins import registry

    text = (ROOT / "docs" / "providers.md").read_text(encoding="utf-8")
    text = text.split("## Field support", 1)[1].split("\n## ", 1)[0]
    header = next(line for line in text.splitlines() if line.startswith("| provider |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith(("| provider", "|---")):
            cells = [c.strip() for c in line.strip("|").split("|")]
            name, marks = cells[0], cells[1:]
            declared = set(registry().info(name).fields)
            assert {c for c, m in zip(columns, marks, strict=True) if m == "✓"} == declared - {"remote_data"}


HOOKS = sorted(
    name
    for name in dir(hookspecs)
    if not name.startswith("_")
    and callable(getattr(hookspecs, name))
    and hasattr(getattr(hookspecs, name), "unci_spec")
)


def test_there_are_hooks() -> None:
    assert {"describe_provider", "required_params", "build_request", "map_job"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_argument_by_argument(hook: str) -> None:
    import inspect

    func = getattr(hookspecs, hook)
    doc = inspect.getdoc(func) or ""
    for arg in inspect.signature(func).parameters:
        assert f":param {arg}:" in doc, f"{hook}: argument {arg} is undocumented in the hookspec"
    guide = ROOT / "docs" / "writing-a-provider.md"
    if guide.exists():
        assert f"{hook}(" in guide.read_text(encoding="utf-8"), f"{hook} missing from the guide"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook: str) -> None:
    """As datasette does: a ``test_hook_<name>`` function for every hook."""
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py"))
    assert f"def test_hook_{hook}(" in tests, f"no test_hook_{hook} test"


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [
        line.strip()
        for line in text.split("## Quick start", 1)[1].split("##", 1)[0].splitlines()
        if line.strip().startswith("python3 -m venv")
    ]


def test_readme_quick_start_has_two_commands_and_ci_runs_the_test_one() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    assert "demo.py" in commands[0] and "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_exit_codes_in_readme_match_the_code() -> None:
    from unci.errors import EXIT_CODES

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for family, code in EXIT_CODES.items():
        assert f"| {code} |" in text, f"exit code {code} ({family}) is not documented"


def test_docs_exist() -> None:
    for name in ("formats.md", "providers.md", "cli.md"):
        assert (ROOT / "docs" / name).is_file()
    assert Path(ROOT / "README.md").is_file()


def test_site_builds_in_strict_mode(tmp_path: Path) -> None:
    """mkdocs --strict: every page in the nav exists, no broken link, no orphan page."""
    import subprocess

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--quiet",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "providers" / "index.html").is_file()


def test_nothing_in_the_repository_points_at_documents_outside_it() -> None:
    """The mapping contract lives in docs/mapping.md; no file names a file the clone lacks."""
    import re
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    outside = re.compile(
        "|".join((r"\.\./" + "shared", "shared/" + "reference", r"\b(?:DESIGN|MAPPING|NOTES)\." + "md"))
    )
    found = [
        name
        for name in tracked
        if name.endswith((".py", ".md", ".toml", ".yaml", ".yml", ".txt", ".cfg"))
        and outside.search((ROOT / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == [] and (ROOT / "docs" / "mapping.md").is_file()


def test_the_provider_in_writing_a_provider_runs_as_written() -> None:
    """The guide's first example used a STATUS it never defined: NameError on the first job."""
    import re

    text = (ROOT / "docs" / "writing-a-provider.md").read_text(encoding="utf-8")
    first = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    ns: dict = {}
    exec(first, ns)  # the doc's own code, run as a reader would
    job = ns["provider"].map_job(b'{"id": 5, "name": "x", "state": "success"}', "5", {})
    assert (job.id, job.name, job.status) == ("5", "x", "completed")
