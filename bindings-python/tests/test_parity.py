"""The Python surface against the one list of every binding: tests/parity/python.json, spelt for
Python by `python3 -m tools.parity` from tests/parity/surface.json. Names, defaults (the
signatures' own, which the clients use), the per-call options, the cache's options, and every
error class with its kind and fields: a drift in either fails here."""

import inspect
import json

import pytest
from conftest import ROOT

import csms

PARITY = json.loads((ROOT / "tests" / "parity" / "python.json").read_text())
CLIENTS = [csms.Client, csms.AsyncClient]
CACHES = [csms.SecretCache, csms.AsyncSecretCache]


def _options(callable_):
    """The keyword-only parameters of `callable_` ({name: Parameter}); fails on any other but
    the leading `client` of a cache."""
    params = dict(inspect.signature(callable_).parameters)
    params.pop("client", None)
    assert all(p.kind is p.KEYWORD_ONLY for p in params.values()), params
    return params


@pytest.mark.parametrize("cls", CLIENTS)
def test_client_options_have_the_listed_names_and_defaults(cls):
    params = _options(cls)
    for option in PARITY["client_options"]:
        assert option["name"] in params, option
        default = params[option["name"]].default
        assert default == option["default"] and type(default) is type(option["default"]), (option, default)
    # Beside `credentials`, the key itself (ak/sk/security_token or auth_token): nothing else.
    extra = set(params) - {o["name"] for o in PARITY["client_options"]}
    assert extra == {"ak", "sk", "security_token", "auth_token"}


@pytest.mark.parametrize("cls", CLIENTS)
def test_with_options_takes_the_listed_call_options(cls):
    client = cls(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK")
    assert set(_options(client.with_options)) == {o["name"] for o in PARITY["call_options"]}


@pytest.mark.parametrize("cls", CACHES)
def test_cache_options_have_the_listed_names_and_defaults(cls):
    params = _options(cls)
    assert list(inspect.signature(cls).parameters)[0] == "client"
    assert set(params) == {o["name"] for o in PARITY["cache_options"]}
    for option in PARITY["cache_options"]:
        default = params[option["name"]].default
        assert default == option["default"] and type(default) is type(option["default"]), (option, default)


def _sample(field):
    """A value for an error's field, of its type."""
    return {"status": 404, "maybe_sent": True, "timed_out": True, "retry_after": 1.5}.get(field, f"<{field}>")


@pytest.mark.parametrize("entry", PARITY["errors"], ids=lambda e: e["class"])
def test_each_error_class_has_its_kind_and_fields(entry):
    cls = getattr(csms, entry["class"])
    assert issubclass(cls, csms.CsmsError) and cls.kind == entry["kind"]
    fields = [f for f in entry["fields"] if f != "kind"]
    accepted = inspect.signature(cls).parameters
    assert set(fields) <= set(accepted), set(fields) - set(accepted)
    error = cls(**{f: _sample(f) for f in fields})
    assert error.kind == entry["kind"]
    for field in fields:
        assert getattr(error, field) == _sample(field), field
    assert str(error) == "<message>"


def test_every_error_class_is_listed():
    classes = {value for value in vars(csms).values() if isinstance(value, type) and issubclass(value, csms.CsmsError)}
    assert classes == {getattr(csms, e["class"]) for e in PARITY["errors"]}
    assert sorted(e["kind"] for e in PARITY["errors"]) == sorted({c.kind for c in classes})


#: A wrong value of each option, and of each cache option (every listed one must have one).
BAD_CLIENT_OPTIONS = {
    "region": 5, "endpoint": 5, "project_id": 5, "credentials": "AK", "algorithm": "MD5", "transport": 5,
    "user_agent": 5, "derived_service": 5, "max_attempts": 0, "backoff_base": -1.0, "backoff_cap": 1e9,
    "max_retry_after": -1.0, "max_clock_offset": -1.0, "connect_timeout": 0, "timeout": 0, "max_response_bytes": 0,
    "debug_hook": 5,
}
BAD_CACHE_OPTIONS = {"ttl": -1.0, "max_entries": -1, "max_stale": -1.0}


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize("name", [o["name"] for o in PARITY["client_options"]])
def test_a_bad_client_option_value_is_a_validation_error_naming_it(cls, name):
    options = {"endpoint": "http://127.0.0.1:1", "project_id": "p", "ak": "AK", "sk": "SK"}
    if name == "credentials":
        del options["ak"], options["sk"]
    options[name] = BAD_CLIENT_OPTIONS[name]
    with pytest.raises(csms.ValidationError) as e:
        cls(**options)
    assert e.value.field == name, e.value


@pytest.mark.parametrize("cls", CLIENTS)
def test_a_bad_option_name_or_a_positional_option_is_a_type_error(cls):
    with pytest.raises(TypeError, match="timeout_ms"):
        cls(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK", timeout_ms=5)
    with pytest.raises(TypeError):
        cls("cn-north-4")
    client = cls(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK")
    with pytest.raises(TypeError, match="deadline_ms"):
        client.with_options(deadline_ms=5)
    with pytest.raises(TypeError):
        client.with_options(5)


@pytest.mark.parametrize("cls, client_cls", list(zip(CACHES, CLIENTS)))
def test_a_bad_cache_option_is_a_type_error_or_a_validation_error_naming_it(cls, client_cls):
    client = client_cls(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK")
    with pytest.raises(TypeError, match="ttl_ms"):
        cls(client, ttl_ms=5)
    with pytest.raises(TypeError):
        cls(client, 5)
    for option in PARITY["cache_options"]:
        with pytest.raises(csms.ValidationError) as e:
            cls(client, **{option["name"]: BAD_CACHE_OPTIONS[option["name"]]})
        assert e.value.field == option["name"]
