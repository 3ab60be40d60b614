"""`unci providers` answers from its cache while nothing a provider came from has changed, and
never hides a change or a broken provider (real processes, real installed distributions)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakedists import GOOD, install

pytestmark = pytest.mark.slow

#: `unci providers` in a fresh process, then the provider modules it imported, on stderr.
LISTS_AND_TELLS = (
    "import json, sys\n"
    "from unci.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "print(json.dumps(sorted(m for m in sys.modules if m.startswith('unci_'))), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    install(site, "unci-fake", "1.0", {"fake": "unci_fake:provider"}, {"unci_fake": GOOD.format(name="fake")})
    return site


def providers(site: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`unci providers ARGS` with ``site`` installed and only fake and github visible."""
    env = {**os.environ, "PYTHONPATH": str(site), "UNCI_PLUGINS": "fake,github"}
    done = subprocess.run(
        [sys.executable, "-c", LISTS_AND_TELLS, "providers", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    imported = json.loads(done.stderr.strip().splitlines()[-1])
    return done, imported


def rows(done: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    return {row["name"]: row for row in json.loads(done.stdout)}


def test_a_second_run_shows_the_same_and_imports_no_provider(site: Path) -> None:
    first, imported = providers(site, "--json")
    assert first.returncode == 0 and {"unci_fake", "unci_github"} <= set(imported)
    second, imported = providers(site, "--json")
    assert second.returncode == 0
    assert second.stdout == first.stdout
    assert imported == []
    text, imported = providers(site)
    assert "fake  (unci-fake 1.0)  Fake fake" in text.stdout and imported == []


def test_an_edited_provider_is_read_again(site: Path) -> None:
    providers(site, "--json")
    module = site / "unci_fake.py"
    module.write_text(module.read_text().replace('title="Fake fake"', 'title="Edited"'))
    done, imported = providers(site, "--json")
    assert rows(done)["fake"]["title"] == "Edited"
    assert imported == ["unci_fake"]  # only the provider that changed


def test_an_upgraded_distribution_is_read_again(site: Path) -> None:
    providers(site, "--json")
    for old in site.glob("unci_fake-1.0.dist-info"):
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    install(site, "unci-fake", "2.0", {"fake": "unci_fake:provider"}, {"unci_fake": GOOD.format(name="fake")})
    done, _ = providers(site, "--json")
    assert rows(done)["fake"]["distribution"] == "unci-fake 2.0"


def test_a_broken_provider_is_imported_and_reported_every_time(site: Path) -> None:
    install(
        site, "unci-broken", "0.1", {"broken": "unci_broken"}, {"unci_broken": "raise ImportError('no')\n"}
    )
    env_names = "fake,github,broken"
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "unci", "providers", "--check"],
            env={**os.environ, "PYTHONPATH": str(site), "UNCI_PLUGINS": env_names},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 3
        assert (
            "broken  (unci-broken 0.1)\n  BROKEN: provider 'broken' (unci-broken 0.1) failed to load"
            in done.stdout
        )


def test_check_imports_afresh_and_finds_what_broke_outside_the_provider(site: Path) -> None:
    """A provider can break with no file of its own changing (a dependency removed): the
    cached listing cannot know, ``--check`` imports and says so."""
    (site / "fakedep.py").write_text("TITLE = 'Fake fake'\n")
    source = GOOD.format(name="fake").replace('title="Fake fake"', "title=fakedep.TITLE")
    (site / "unci_fake.py").write_text("import fakedep\n" + source)
    assert providers(site, "--json")[0].returncode == 0
    (site / "fakedep.py").unlink()
    listed, imported = providers(site, "--json")
    assert rows(listed)["fake"]["error"] is None and imported == []  # from the cache
    checked, _ = providers(site, "--check")
    assert checked.returncode == 3
    assert "BROKEN: provider 'fake' (unci-fake 1.0) failed to load: ModuleNotFoundError" in checked.stdout


def test_an_unreadable_or_unwritable_cache_changes_nothing(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Path(os.environ["UNCI_CACHE_DIR"])
    first, _ = providers(site, "--json")
    (written,) = cache.glob("providers-*.json")
    written.write_text("{not json")
    again, imported = providers(site, "--json")
    assert again.stdout == first.stdout and "unci_fake" in imported
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("UNCI_CACHE_DIR", str(blocked / "cache"))  # under a file: cannot be made
    done, _ = providers(site, "--json")
    assert done.returncode == 0 and done.stdout == first.stdout and done.stderr.count("\n") == 1
