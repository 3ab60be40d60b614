"""What ``unci providers`` shows: every visible provider, loaded one by one, broken ones too."""

from __future__ import annotations

from typing import Any

from unci.errors import PluginError
from unci.plugins import PluginRegistry, registry
from unci.provider import env_name


def describe(name: str, reg: PluginRegistry | None = None) -> dict[str, Any]:
    reg = reg or registry()
    row: dict[str, Any] = {"name": name, "distribution": reg.distribution(name) or "registered"}
    try:
        info = reg.info(name)
    except PluginError as exc:
        row["error"] = exc.message
        return row
    params = reg.hooks(name).required_params("get")
    list_params = reg.hooks(name).required_params("list")
    row.update(
        title=info.title,
        params=[{"name": p.name, "description": p.description, "required": p.required} for p in params],
        list_params=[
            {"name": p.name, "description": p.description, "required": p.required} for p in list_params
        ],
        fields=list(info.fields),
        base_url=info.base_url,
        base_urls=dict(info.base_urls),
        self_hosted=info.self_hosted,
        token_env=[env_name(name, "TOKEN"), *info.token_env],
        auth=info.auth,
        docs_url=info.docs_url,
        error=None,
    )
    return row


def describe_all(reg: PluginRegistry | None = None) -> list[dict[str, Any]]:
    reg = reg or registry()
    reg.load_all()  # every import in one go (one thread), then the rows from what is loaded
    return [describe(name, reg) for name in reg.names()]
