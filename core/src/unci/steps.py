"""Steps that cost a request of their own (Jenkins' stages): asked for only on request.

GitHub and Azure DevOps put a job's steps in the job's own answer, so they come with every
job at no cost. Where the provider keeps them behind another endpoint, fetching them doubles the
requests of a call, so the core sends that request only when the caller asks
(``include_steps=True``, ``--steps``, ``include_steps=true``) and only for a job whose own answer
had none. A provider that implements no steps hook leaves ``steps`` absent, never empty.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from unci.call import Answer, Call, RemoteQuery, Target, check_params, decoding, prepare
from unci.job import Job, Step
from unci.plugins import PluginRegistry, registry
from unci.provider import check_id


def check_asked(provider: str, include_steps: object) -> None:
    """``include_steps`` is ``True`` or ``False``: ``"no"`` is true to Python and would fetch
    the steps it meant to leave out."""
    if not isinstance(include_steps, bool):
        from unci.errors import UsageError

        raise UsageError(
            f"{provider}: include_steps is True or False, got {include_steps!r}", provider=provider
        )


def wanted(target: Target, job: Job, reg: PluginRegistry | None = None) -> bool:
    """Does ``job`` need a request of its own for its steps? Only when its answer held none
    and the provider has an endpoint for them."""
    if job.steps is not msgspec.UNSET:  # the job's own answer held them
        return False
    reg = reg or registry()
    return reg.hooks(target.provider).supports("build_steps_request")


def prepare_steps(
    target: Target,
    job_id: str,
    params: Mapping[str, str] | None = None,
    remote_query: RemoteQuery = (),
    reg: PluginRegistry | None = None,
) -> Call:
    """The call for a job's steps; ``params`` are checked as a ``get`` call's (a list's params
    name the same build, so the jobs of a page can have their steps fetched with them)."""
    reg = reg or registry()
    provider = target.provider
    job_id = check_id("job id", job_id, provider=provider)
    checked = check_params(target, params or {}, "get", reg)
    request = reg.hooks(provider).build_steps_request(job_id, checked)
    call = prepare(target, request, remote_query=remote_query, job_id=job_id, params=checked, reg=reg)
    call.kind = "steps of job"
    return call


def decode_steps(call: Call, answer: Answer, reg: PluginRegistry | None = None) -> list[Step]:
    reg = reg or registry()
    with decoding(call.provider, "the steps JSON"):
        return reg.hooks(call.provider).map_steps(answer.body, call.job_id or "", call.params)
