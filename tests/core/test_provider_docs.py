"""The provider author's guide cannot drift from the code: every hook and every argument is
documented in hookspecs.py, the guide's hook reference is generated from it, and every check of
the conformance kit is described there (datasette's habit of failing undocumented hooks)."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import pytest

from unci import hookspecs
from unci.testing import STANDARD_CHECKS

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "writing-a-provider.md"


def hookdocs():
    spec = importlib.util.spec_from_file_location("hookdocs", ROOT / "scripts" / "hookdocs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", [n for n, _, _ in hookdocs().hooks()])
def test_every_hook_documents_every_argument_and_its_return(name: str) -> None:
    spec = getattr(hookspecs, name)
    _, params, returns = hookdocs().parse(spec.__doc__ or "")
    assert set(params) == set(inspect.signature(spec).parameters), name
    assert all(text.strip() for text in params.values()) and returns.strip(), name


def test_the_guide_hook_reference_is_generated_from_hookspecs() -> None:
    docs = hookdocs()
    text = GUIDE.read_text(encoding="utf-8")
    assert docs.replace_section(text, docs.render()) == text, (
        "docs/writing-a-provider.md is out of date: run python scripts/hookdocs.py --write"
    )
    for name, _, _ in docs.hooks():
        assert f"### `{name}(" in text


def test_the_guide_describes_every_check_of_the_kit() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    missing = [
        check
        for check in (*STANDARD_CHECKS, "test_no_overrides_DO_NOT_OVERRIDE")
        if f"| `{check}` |" not in text
    ]
    assert not missing
