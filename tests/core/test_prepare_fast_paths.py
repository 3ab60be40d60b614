"""Preparing a request takes shortcuts for the usual case (a header value of plain printable
ASCII, a path param without a ``/``); each must refuse and encode exactly what the full checks
did. The full checks are written out here as they were, and compared on any input."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unci.call import _check_headers
from unci.errors import InvalidParam, PluginError, UnciError
from unci.hooks import Hooks
from unci.plugin import Param, Provider, ProviderInfo
from unci.provider import MAX_VALUE_LENGTH, Credentials, Request, check_value, segment, segments

_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


def refused_before(headers: Mapping[str, str]) -> str | None:
    """The header the checks refused before the shortcut: the first value not ASCII, with a
    space or tab at either end, or a control character other than the tab."""
    for name, value in headers.items():
        if not value.isascii() or value != value.strip(" \t") or _CONTROL.search(value):
            return name
    return None


_HEADER_CHARS = st.sampled_from([" ", "\t", "\x00", "\x1f", "\x7f", "\x80", "\r", "\n", "é", "a", "~", "/"])
_VALUES = st.text(_HEADER_CHARS | st.characters(), max_size=12)


@settings(max_examples=1000, deadline=None)
@given(headers=st.dictionaries(st.sampled_from(["Accept", "Authorization", "X-Api"]), _VALUES, max_size=3))
def test_header_values_are_refused_exactly_as_before(headers: dict[str, str]) -> None:
    want = refused_before(headers)
    if want is None:
        _check_headers("p", headers)
        return
    with pytest.raises(InvalidParam) as caught:
        _check_headers("p", headers)
    assert f"request's {want} header" in caught.value.message


@pytest.mark.parametrize("value", ["x ", " x", "x\t", "\tx", "a\x7fb", "a\x00", "café", "a\nb", " ", "\t"])
def test_a_value_http_cannot_carry_is_refused(value: str) -> None:
    with pytest.raises(InvalidParam, match="Accept header"):
        _check_headers("p", {"User-Agent": "unci", "Accept": value})


@pytest.mark.parametrize("value", ["", "x", "a\tb", "Bearer ghp_x", "a b", "~!*"])
def test_a_value_http_carries_is_sent(value: str) -> None:
    _check_headers("p", {"Accept": value})


class Templated(Provider):
    info = ProviderInfo(name="templated", title="Templated", base_url="https://ci.example.com")
    params = {
        "get": [Param(name="slug", description="a path", kind="path"), Param(name="build", description="b")],
        "list": [Param(name="q", description="a query", kind="query")],
    }


def path_before(provider: Provider, template: str, params: Mapping[str, str], **values: str) -> str:
    """:meth:`Provider.path` as it was: the kinds of every param built first."""
    kinds = {p.name: p.kind for ps in provider.params.values() for p in ps}
    merged = {**params, **values}

    class Encoded:
        def __getitem__(self, name: str) -> str:
            value = merged[name]
            return segments(value) if kinds.get(name) == "path" else segment(value)

    return template.format_map(Encoded())


def outcome(build: object) -> tuple[str, str]:
    try:
        return "ok", build()  # type: ignore[operator]
    except InvalidParam as exc:
        return "refused", exc.message


_PART = st.sampled_from(["/", ".", "..", "a", "b c", "%", "?", "é", ""]) | st.text(max_size=3)
_PARAM_VALUES = st.lists(_PART, max_size=4).map("".join)


@settings(max_examples=500, deadline=None)
@given(slug=_PARAM_VALUES, build=_PARAM_VALUES, q=_PARAM_VALUES, job_id=_PARAM_VALUES)
def test_a_path_is_filled_exactly_as_before(slug: str, build: str, q: str, job_id: str) -> None:
    provider = Templated()
    params = {"slug": slug, "build": build, "q": q}
    template = "/p/{slug}/b/{build}/j/{job_id}/q/{q}"
    want = outcome(lambda: path_before(provider, template, params, job_id=job_id))
    assert outcome(lambda: provider.path(template, params, job_id=job_id)) == want


def test_a_kind_changed_on_the_provider_is_followed() -> None:
    """The kinds are read from the params as they are when the path is built, never kept."""

    class Changing(Templated):
        params: Mapping[str, Sequence[Param]] = {"get": [Param(name="slug", description="s", kind="path")]}

    provider = Changing()
    assert provider.path("/{slug}", {"slug": "team/app"}) == "/team/app"
    Changing.params = {"get": [Param(name="slug", description="s")]}
    assert provider.path("/{slug}", {"slug": "team/app"}) == "/team%2Fapp"
    provider.params = {"get": [Param(name="slug", description="s", kind="path")]}
    assert provider.path("/{slug}", {"slug": "team/app"}) == "/team/app"
    assert Changing().path("/{slug}", {"slug": "team/app"}) == "/team%2Fapp"


def check_value_before(what: str, value: str, *, provider: str, kind: str = "segment") -> str:
    """:func:`unci.provider.check_value` as it was: the value split into parts for every kind."""
    if not value.strip():
        raise InvalidParam(f"{provider}: {what} is empty; give a value.", provider=provider)
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidParam(
            f"{provider}: {what} is {len(value)} characters long; at most {MAX_VALUE_LENGTH} are accepted.",
            provider=provider,
        )
    if not value.isprintable() and any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidParam(f"{provider}: {what} contains a control character; remove it.", provider=provider)
    parts = value.split("/") if kind == "path" else [value]
    if any(part in ("", ".", "..") for part in parts) and kind != "query":
        raise InvalidParam(
            f"{provider}: {what} {value!r} has an empty or dot ('.', '..') path part, which would "
            "address another endpoint; give the real value.",
            provider=provider,
        )
    return value


def refusal(check: object, value: str, kind: str) -> str | None:
    try:
        check("job id", value, provider="p", kind=kind)  # type: ignore[operator]
    except InvalidParam as exc:
        return exc.message
    return None


@settings(max_examples=1000, deadline=None)
@given(value=_PARAM_VALUES, kind=st.sampled_from(["segment", "path", "query", "other"]))
def test_a_value_is_refused_exactly_as_before(value: str, kind: str) -> None:
    assert refusal(check_value, value, kind) == refusal(check_value_before, value, kind)


class Odd(Templated):
    """A provider whose authenticate and build_request misbehave as ``said`` asks."""

    said: object = None

    def authenticate(self, credentials: Credentials) -> dict[str, str]:
        if isinstance(self.said, Exception):
            raise self.said
        return self.said  # type: ignore[return-value]

    def build_request(self, job_id: str, params: Mapping[str, str]) -> Request:
        if isinstance(self.said, Exception):
            raise self.said
        return self.said  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("said", "message"),
    [
        (KeyError("token"), "failed in {hook}: KeyError: 'token'"),
        ("Bearer x", "{hook} returned str, not {kind}"),
        (InvalidParam("templated: no such job"), "templated: no such job"),
    ],
)
@pytest.mark.parametrize(("hook", "kind"), [("authenticate", "dict"), ("build_request", "Request")])
def test_a_hook_called_directly_fails_as_through_the_generic_call(
    said: object, message: str, hook: str, kind: str
) -> None:
    provider = Odd()
    provider.said = said
    hooks = Hooks("templated", provider, None, "unci-templated 1.0")
    credentials = Credentials(token="t")
    if hook == "authenticate":
        direct = failure(lambda: hooks.authenticate(credentials))
        generic = failure(lambda: hooks._call(hook, dict, {"credentials": credentials}, optional=True))
    else:
        direct = failure(lambda: hooks.build_request("1", {}))
        generic = failure(lambda: hooks._call(hook, Request, {"job_id": "1", "params": {}}))
    assert direct == generic
    assert direct is not None and message.format(hook=hook, kind=kind) in direct[1]
    if not isinstance(said, UnciError):
        assert direct[0] is PluginError
        assert direct[1].startswith("provider 'templated' (unci-templated 1.0) is broken: ")


def failure(call: object) -> tuple[type, str] | None:
    try:
        call()  # type: ignore[operator]
    except UnciError as exc:
        return type(exc), exc.message
    return None


def test_an_authenticate_that_sends_nothing_adds_no_header() -> None:
    provider = Odd()
    hooks = Hooks("templated", provider, None)
    for nothing in (None, {}):
        provider.said = nothing
        assert hooks.authenticate(Credentials()) == {}
    provider.said = {"X-Key": "k"}
    assert hooks.authenticate(Credentials()) == {"X-Key": "k"}
    provider.said = Request(path="/x")
    assert hooks.build_request("1", {}).path == "/x"
