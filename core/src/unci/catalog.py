"""What ``unci providers`` shows: every visible provider, loaded one by one, broken ones too."""

from __future__ import annotations

from typing import Any

from unci.errors import PluginError
from unci.plugins import PluginRegistry, registry


def describe(name: str, reg: PluginRegistry | None = None) -> dict[str, Any]:
    from unci.provider import env_name

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


def describe_all(reg: PluginRegistry | None = None, *, cached: bool = False) -> list[dict[str, Any]]:
    """A row per visible provider. ``cached``: reuse the rows :mod:`unci.describecache` kept of
    providers none of whose files changed since, importing only the others (never when this
    process registered providers or extensions of its own)."""
    reg = reg or registry()
    rows: dict[str, dict[str, Any]] = {}
    cache = None
    if cached and not reg.registered():
        from unci.describecache import DescribeCache

        cache = DescribeCache.open()
        for name, candidate in reg.candidates().items():
            row = cache.get(name, candidate.entry_points, reg.extension_points(name))
            if row is not None:
                rows[name] = row
    todo = [name for name in reg.names() if name not in rows]
    if todo:
        reg.load_all(todo)  # every import in one go (one thread), then the rows from what is loaded
    for name in todo:
        rows[name] = describe(name, reg)
        if cache is not None:
            cache.put(name, rows[name])
    if cache is not None:
        cache.save()
    return [rows[name] for name in reg.names()]
