"""Write the hook reference of docs/writing-a-provider.md from unci.hookspecs' docstrings.

The hook contract is documented once, in ``core/src/unci/hookspecs.py``; this renders it as
Markdown between the ``<!-- hooks:start -->`` and ``<!-- hooks:end -->`` markers, so the guide
can never drift from the code (``tests/core/test_provider_docs.py`` fails when it has).

    python scripts/hookdocs.py          # print the section
    python scripts/hookdocs.py --write  # rewrite it in docs/writing-a-provider.md
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "writing-a-provider.md"
START, END = "<!-- hooks:start -->", "<!-- hooks:end -->"

_ROLE = re.compile(r":(?:class|func|meth|mod|attr):`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


def _markdown(text: str) -> str:
    return _LITERAL.sub(r"`\1`", _ROLE.sub(r"`\1`", text))


def parse(doc: str) -> tuple[str, dict[str, str], str]:
    """(description, {argument: meaning}, return) from a reST docstring with :param: fields."""
    description: list[str] = []
    params: dict[str, str] = {}
    returns = ""
    current: str | None = None
    for raw in inspect.cleandoc(doc).splitlines():
        line = raw.strip()
        field = re.match(r":param (\w+):\s*(.*)", line)
        if field:
            current = field.group(1)
            params[current] = field.group(2)
        elif line.startswith(":return:"):
            current = ":return:"
            returns = line[len(":return:") :].strip()
        elif current and line:
            if current == ":return:":
                returns += " " + line
            else:
                params[current] += " " + line
        elif not current:
            description.append(raw)
    text = "\n".join(description).strip()
    text = re.sub(r"\n?Stops at first non-None result\.\n?", "\n", text).strip()
    return _markdown(text), {k: _markdown(v) for k, v in params.items()}, _markdown(returns)


def hooks() -> list[tuple[str, inspect.Signature, str]]:
    """(name, signature, docstring) of every hookspec, in the order of the source."""
    from unci import hookspecs

    specs = [(name, getattr(hookspecs, name)) for name in hookspecs.HOOKS]
    return [(name, inspect.signature(fn), fn.__doc__ or "") for name, fn in specs]


def render() -> str:
    """Each hook as the method a provider writes: without the ``provider`` argument (which only
    extensions wrapping the hook receive) and with the return a provider gives (never None)."""
    out: list[str] = []
    for name, sig, doc in hooks():
        description, params, returns = parse(doc)
        args = ", ".join(a for a in sig.parameters if a != "provider")
        ret = sig.return_annotation if isinstance(sig.return_annotation, str) else ""
        ret = ret.removesuffix(" | None") if name not in ("error_message", "read_identity") else ret
        out.append(f"### `{name}({args})`{' → `' + ret + '`' if ret else ''}\n")
        out.append(description + "\n")
        out.append("| argument | what it is |\n|---|---|")
        for arg, param in sig.parameters.items():
            if arg == "provider":
                continue
            kind = param.annotation if isinstance(param.annotation, str) else ""
            kind = kind.replace("|", "\\|")  # a pipe would end the table cell
            out.append(f"| `{arg}`{f' (`{kind}`)' if kind else ''} | {params.get(arg, '')} |")
        out.append(f"\n**Returns** {returns}\n" if returns else "")
    return "\n".join(out).rstrip() + "\n"


def replace_section(text: str, section: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n\n{section}\n{END}{tail}"


def main(argv: list[str]) -> int:
    section = render()
    if "--write" in argv:
        GUIDE.write_text(replace_section(GUIDE.read_text(encoding="utf-8"), section), encoding="utf-8")
    else:
        sys.stdout.write(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
