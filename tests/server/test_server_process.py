"""A real `unci serve` process on 127.0.0.1, called the way Truto's docs call Truto.

The curl, Python requests and JavaScript fetch examples from Truto's reference page for
``GET /unified/ci-cd/jobs/{id}`` are run as written, with only the host changed (and the
placeholders filled in). The account carries the per-provider params, so the examples need
nothing else. One server process serves the whole module.
"""

from __future__ import annotations

import ast
import json
import os
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from serverkit import API_TOKEN, GH_SECRET, JOB, JOB_PATH

from helpers import ctrl_c_reaches_child
from localserver import Reply, serving

TRUTO = "https://api.truto.one"
JOB_ID = "399444496"

CURL_EXAMPLE = """\
curl -X GET 'https://api.truto.one/unified/ci-cd/jobs/{id}?integrated_account_id=<integrated_account_id>' \\
  -H 'Authorization: Bearer <your_api_token>' \\
  -H 'Content-Type: application/json'
"""

REQUESTS_EXAMPLE = """\
import requests

url = "https://api.truto.one/unified/ci-cd/jobs/{id}"
headers = {
    "Authorization": "Bearer <your_api_token>",
    "Content-Type": "application/json",
}
params = {
    "integrated_account_id": "<integrated_account_id>",
}

response = requests.get(url, headers=headers, params=params)
print(response.json())
"""

FETCH_EXAMPLE = """\
const integratedAccountId = '<integrated_account_id>';
fetch(`https://api.truto.one/unified/ci-cd/jobs/{id}?integrated_account_id=${integratedAccountId}`, {
  method: 'GET',
  headers: {
    'Authorization': 'Bearer <your_api_token>',
    'Content-Type': 'application/json',
  },
})
  .then((response) => response.json())
  .then((data) => console.log(data));
"""


@dataclass
class Served:
    url: str
    account_id: str
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)

    def fill(self, example: str) -> str:
        """Only the host changes; the placeholders get this server's values."""
        return (
            example.replace(TRUTO, self.url)
            .replace("{id}", JOB_ID)
            .replace("<integrated_account_id>", self.account_id)
            .replace("<your_api_token>", API_TOKEN)
        )


def _read(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))


def _drain(lines: queue.Queue, log: list[str]) -> None:
    while True:
        log.append(lines.get())


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    from unci import accounts

    home = tmp_path_factory.mktemp("serve")
    config = home / "accounts.toml"
    with serving() as upstream:
        upstream.route(JOB_PATH, Reply(body=JOB))
        upstream.route(
            "/repos/octo-org/octo-repo/actions/jobs/5",
            Reply(401, json.dumps({"message": f"Bad credentials {GH_SECRET}"}).encode()),
        )
        account = accounts.Account(
            name="work-github",
            provider="github",
            token_env="GH_WORK_TOKEN",
            base_url=upstream.url,
            params={"owner": "octo-org", "repo_id": "octo-repo"},
        )
        accounts.save({account.name: account}, config)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "UNCI_CONFIG": str(config),
            "UNCI_SERVER_TOKENS": API_TOKEN,
            "GH_WORK_TOKEN": GH_SECRET,
            "PYTHONUNBUFFERED": "1",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "unci", "serve", "--port", "0", "--retries", "0"],
            preexec_fn=ctrl_c_reaches_child,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_read, args=(process.stderr, lines), daemon=True).start()
        log: list[str] = []
        url = None
        deadline = time.monotonic() + 15
        while url is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                if process.poll() is not None:
                    break
                continue
            log.append(line)
            if "Uvicorn running on http://" in line:
                url = line.split("Uvicorn running on ")[1].split()[0]
        if url is None:
            process.kill()
            pytest.fail("unci serve did not start:\n" + "\n".join(log))
        served = Served(url, account.id, process, log)
        threading.Thread(target=_drain, args=(lines, log), daemon=True).start()
        try:
            yield served
        finally:
            process.send_signal(signal.SIGINT)
            try:
                code = process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
            assert code == 0, "\n".join(log)


def test_the_curl_example(served) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    command = shlex.split(served.fill(CURL_EXAMPLE).replace("\\\n", " "))
    result = subprocess.run([*command, "-sS"], capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["id"] == JOB_ID and job["conclusion"] == "passed"
    assert job["remote_data"] == json.loads(JOB)


def test_the_python_requests_example(served) -> None:
    result = subprocess.run(
        [sys.executable, "-c", served.fill(REQUESTS_EXAMPLE)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    job = ast.literal_eval(result.stdout)  # print() of the dict
    assert job["id"] == JOB_ID and job["status"] == "completed" and job["build"] == "29679449"


def test_the_javascript_fetch_example(served) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    result = subprocess.run(
        ["node", "-e", served.fill(FETCH_EXAMPLE)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert f"id: '{JOB_ID}'" in result.stdout and "conclusion: 'passed'" in result.stdout


def test_a_wrong_token_is_refused_over_the_wire(served) -> None:
    import requests

    response = requests.get(
        f"{served.url}/unified/ci-cd/jobs/{JOB_ID}",
        params={"integrated_account_id": served.account_id},
        headers={"Authorization": "Bearer not-the-right-token-at-all"},
        timeout=30,
    )
    assert response.status_code == 401 and response.json()["error"] == "Unauthorized"


def test_logs_show_requests_but_no_credentials(served) -> None:
    import requests

    response = requests.get(
        f"{served.url}/unified/ci-cd/jobs/5",
        params={"integrated_account_id": "work-github", "remote_query[access_token]": "leaky-value"},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 401 and response.json()["truto_is_remote_error"] is True
    assert GH_SECRET not in response.text
    deadline = time.monotonic() + 5
    while not any("/unified/ci-cd/jobs/5" in line for line in served.log):
        assert time.monotonic() < deadline, "no access log line"
        time.sleep(0.02)
    text = "\n".join(served.log)
    assert '"GET /unified/ci-cd/jobs/5?integrated_account_id=work-github' in text
    assert API_TOKEN not in text and GH_SECRET not in text and "leaky-value" not in text


def test_health_over_the_wire(served) -> None:
    import requests

    assert requests.get(f"{served.url}/healthz", timeout=30).json()["status"] == "ok"


SDK_SCRIPT = """
import asyncio, json, sys
from truto_python_sdk import TrutoApi

async def main(base_url, token, account, job_id):
    truto = TrutoApi(token=token, base_url=base_url)   # Truto's own SDK; only base_url changes
    job = await truto.unified_api.get("ci-cd", "jobs", job_id, {"integrated_account_id": account})
    row = await truto.unified_api.get("ci-cd", "jobs", job_id, {
        "integrated_account_id": account, "truto_response_format": "normalized",
        "truto_exclude_fields": ["commit", "branch"]})
    try:
        await truto.unified_api.get("ci-cd", "jobs", job_id, {"integrated_account_id": "nope"})
        missing = None
    except Exception as exc:
        missing = getattr(exc, "status", repr(exc))
    print(json.dumps({"job": job, "row": row, "missing": missing}))

asyncio.run(main(*sys.argv[1:]))
"""


def _python_312_or_newer() -> str | None:
    """On PATH, or installed by pyenv without being selected (its shims then refuse to run)."""
    from pathlib import Path

    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(n) for n in ("python3.14", "python3.13", "python3.12")]
    candidates += [str(p) for p in sorted(pyenv.glob("3.1[2-9]*/bin/python3"), reverse=True)]
    for found in candidates:
        if (
            found
            and subprocess.run(
                [found, "-c", "import sys; assert sys.version_info >= (3, 12)"],
                capture_output=True,
                check=False,
            ).returncode
            == 0
        ):
            return found
    return None


@pytest.fixture(scope="module")
def truto_sdk(tmp_path_factory) -> str:
    """The python of a venv holding Truto's Python SDK (it needs Python 3.12 or newer)."""
    interpreter = _python_312_or_newer()
    if interpreter is None:
        pytest.skip("Truto's Python SDK needs Python 3.12+, and none is on this machine")
    venv = tmp_path_factory.mktemp("truto-sdk") / "venv"
    subprocess.run([interpreter, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = str(venv / "bin" / "python")
    done = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "truto-python-sdk"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return python


@pytest.mark.slow
def test_truto_python_sdk_works_with_only_the_base_url_changed(served: Served, truto_sdk: str) -> None:
    done = subprocess.run(
        [truto_sdk, "-c", SDK_SCRIPT, served.url, API_TOKEN, served.account_id, JOB_ID],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["job"]["id"] == JOB_ID and seen["job"]["conclusion"] == "passed"
    assert seen["job"]["remote_data"]["id"] == int(JOB_ID)
    assert seen["row"]["provider"] == "github" and "commit" not in seen["row"]
    assert "branch" not in seen["row"] and seen["row"]["status"] == "completed"
    assert seen["missing"] == 404
