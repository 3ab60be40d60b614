"""The README read top to bottom: every ``unci`` command in its console blocks, run in order as a
new user would, in one fresh configuration (accounts added early are there later), with the
network replaced by the cassettes. Install commands are checked by tests/test_install_by_name.py.
"""

from __future__ import annotations

import re
import shlex

import vcr

from helpers import ROOT, run_cli

#: First words of commands this test does not run, and why.
NOT_RUN = {
    "pip": "installs: tests/test_install_by_name.py builds and installs the distributions",
    "for": "the build loop of the install route: tests/test_install_by_name.py",
    "python3": "the quick start (tests/test_docs.py) and the build loop",
    "curl": "an HTTP client against `unci serve`: tests/server/",
}


def readme_commands() -> list[str]:
    """Every command of every ```console block, continuation lines joined, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    text = text.split("## Install", 1)[1]  # the quick start has its own test
    commands = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip():
                commands.append(line.strip())
    return commands


def _cassette(args: list[str], env: dict[str, str]) -> str | None:
    """The recorded exchange a `unci jobs` or `unci builds` command needs: its provider's get or
    list cassette (jobs found through builds: the discovery cassette)."""
    if args[:1] not in (["jobs"], ["builds"]):
        return None
    provider = None
    for flag in ("-P", "--provider"):
        if flag in args:
            provider = args[args.index(flag) + 1]
    if provider is None:
        from unci import accounts, defaults

        name = args[args.index("--account") + 1] if "--account" in args else defaults.get_default()
        assert name, f"{args}: no provider, no account and no default account"
        provider = accounts.find(name).provider
    if args[0] == "builds":
        return f"{provider}/cassettes/{'get_build' if args[1] == 'get' else 'list_builds'}.yaml"
    if "--since" in args or "--branch" in args:
        return f"{provider}/cassettes/discover_jobs.yaml"
    return f"{provider}/cassettes/{'get_job' if args[1] == 'get' else 'list_jobs'}.yaml"


def test_every_readme_command_works_in_order(tmp_path, monkeypatch) -> None:
    env = {"UNCI_CONFIG": str(tmp_path / "accounts.toml"), "COLUMNS": None}
    monkeypatch.setenv("UNCI_CONFIG", env["UNCI_CONFIG"])  # for _cassette's own look-ups
    player = vcr.VCR(record_mode="none", cassette_library_dir=str(ROOT / "plugins"))
    ran = []
    for command in readme_commands():
        words = shlex.split(command, comments=True)
        if words[0] in NOT_RUN:
            continue
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = "readme-walkthrough-value" if "$" in value or value == "..." else value
            continue
        assert words[0] == "unci", f"README command not covered by this test: {command}"
        args = words[1:]
        if args[:1] == ["serve"]:
            args.append("--help")  # a server runs until stopped; its options must parse
        cassette = _cassette(args, env)
        if cassette:
            with player.use_cassette(cassette, allow_playback_repeats=True):
                result = run_cli(*args, env=env)
        else:
            result = run_cli(*args, env=env)
        assert result.exit_code == 0, f"README: `{command}` failed:\n{result.output}"
        # Each prints what it did: data on stdout, or a confirmation on stderr (accounts add).
        assert result.stdout or result.stderr, command
        ran.append(args[0])
    assert {"providers", "jobs", "builds", "accounts", "serve"} <= set(ran)
