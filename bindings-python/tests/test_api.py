"""The Python API itself: options, the low-level calls, results, errors, panics, the
generated methods and stubs, what `import csms` costs."""

import ast
import asyncio
import datetime
import inspect
import json
import pickle
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import csms
from csms import _models, _native

PROJECT = "0123456789abcdef0123456789abcdef"
AT = "20240806T000000Z"


@pytest.fixture
def client():
    return csms.Client(region="cn-north-4", project_id=PROJECT, ak="AK", sk="SK")


def canned(status=200, headers=None, body=b"{}"):
    seen = []

    def transport(request):
        seen.append(request)
        return (status, headers or {"X-Request-Id": "req-1"}, body)

    transport.seen = seen
    return transport


# --- options ---------------------------------------------------------------------------------


def test_defaults(client):
    assert client.endpoint == "https://kms.cn-north-4.myhuaweicloud.com"
    assert client.user_agent == csms.USER_AGENT == f"csms-sdk-python/{csms.__version__}"
    assert repr(client) == "Client(endpoint='https://kms.cn-north-4.myhuaweicloud.com')"


@pytest.mark.parametrize(
    "options, field",
    [
        ({"project_id": PROJECT, "ak": "AK", "sk": "SK"}, "region"),
        ({"region": "cn north", "project_id": PROJECT, "ak": "AK", "sk": "SK"}, "region"),
        ({"endpoint": "ftp://x", "project_id": PROJECT, "ak": "AK", "sk": "SK"}, "endpoint"),
        ({"region": "cn-north-4", "ak": "AK", "sk": "SK"}, "project_id"),
        ({"region": "cn-north-4", "project_id": "a/b", "ak": "AK", "sk": "SK"}, "project_id"),
        ({"region": "cn-north-4", "project_id": PROJECT}, "ak"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK"}, "sk"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "", "sk": "SK"}, "ak"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "SK", "auth_token": "T"}, "auth_token"),
        ({"region": "cn-north-4", "project_id": PROJECT, "auth_token": ""}, "auth_token"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "SK", "algorithm": "MD5"}, "algorithm"),
        ({"region": 4, "project_id": PROJECT, "ak": "AK", "sk": "SK"}, "region"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": b"SK"}, "sk"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "SK", "timeout": 0}, "timeout"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "SK", "timeout": (1, 2, 3)}, "timeout"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "SK", "transport": 5}, "transport"),
        # Values the native side refuses while reading the options: the keyword still.
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "\ud800"}, "sk"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "\ud800", "sk": "SK"}, "ak"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "SK", "security_token": "\udfff"},
         "security_token"),
        ({"region": "cn-north-4", "project_id": PROJECT, "auth_token": "\ud800"}, "auth_token"),
        ({"region": "cn-north-4", "project_id": "\ud800", "ak": "AK", "sk": "SK"}, "project_id"),
        ({"region": "\ud800", "project_id": PROJECT, "ak": "AK", "sk": "SK"}, "region"),
        ({"endpoint": "\ud800", "project_id": PROJECT, "ak": "AK", "sk": "SK"}, "endpoint"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "SK", "user_agent": "\ud800"},
         "user_agent"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "SK", "algorithm": "\ud800"},
         "algorithm"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "SK", "algorithm": "V11-HMAC-SHA256",
          "derived_service": "\ud800"}, "derived_service"),
        ({"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "SK", "algorithm": "V11-HMAC-SHA256",
          "derived_service": ""}, "derived_service"),
    ],
)
def test_bad_options_name_the_option(options, field):
    with pytest.raises(csms.ValidationError) as e:
        csms.Client(**options)
    assert e.value.field == field
    assert f"`{field}`" in str(e.value)


def test_token_and_temporary_keys():
    token = csms.Client(region="cn-north-4", project_id=PROJECT, auth_token="tok")
    r = token.build_request("ShowSecret", {"secret_name": "s"}, at=AT)
    assert r.headers["X-Auth-Token"] == "tok" and "Authorization" not in r.headers
    assert "tok" not in repr(r)
    temporary = csms.Client(region="cn-north-4", project_id=PROJECT, ak="AK", sk="SK", security_token="st")
    r = temporary.build_request("ShowSecret", {"secret_name": "s"}, at=AT)
    assert r.headers["X-Security-Token"] == "st"
    assert "x-security-token" in r.headers["Authorization"]


def test_algorithms():
    for algorithm in ("SDK-HMAC-SHA256", "SDK-HMAC-SM3", "V11-HMAC-SHA256", "SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3"):
        c = csms.Client(region="cn-north-4", project_id=PROJECT, ak="AK", sk="SK", algorithm=algorithm)
        r = c.build_request("RotateSecret", {"secret_name": "s"}, at=AT)
        assert r.headers["Authorization"].startswith(algorithm + " ")
        csms.verify_signature(r, ak="AK", sk="SK")
    with pytest.raises(csms.ValidationError) as e:
        csms.verify_signature(r, ak="AK", sk="other")
    assert e.value.field == "Authorization"


# --- low level -------------------------------------------------------------------------------


def test_build_request(client):
    r = client.build_request("UpdateSecret", {"secret_name": "test", "description": "new"}, at=AT)
    assert isinstance(r, csms.Request)
    assert (r.method, r.url) == ("PUT", f"https://kms.cn-north-4.myhuaweicloud.com/v1/{PROJECT}/secrets/test")
    assert r.body == b'{"description":"new"}'
    assert r.headers["X-Sdk-Date"] == AT
    assert r.headers["Content-Type"] == "application/json;charset=utf-8"
    assert r.headers["User-Agent"] == csms.USER_AGENT
    assert r.operation == "UpdateSecret" and r.idempotent
    assert "Signature=" not in repr(r) and "'Authorization': '***'" in repr(r)
    # Same input, same time: same request.
    assert client.build_request("UpdateSecret", {"secret_name": "test", "description": "new"}, at=AT) == r


@pytest.mark.parametrize(
    "at, expected",
    [
        ("20240806T101010Z", "20240806T101010Z"),
        (1722939010, "20240806T101010Z"),
        (1722939010.999, "20240806T101010Z"),
        (datetime.datetime(2024, 8, 6, 10, 10, 10), "20240806T101010Z"),
        (datetime.datetime(2024, 8, 6, 10, 10, 10, 999999, tzinfo=datetime.timezone.utc), "20240806T101010Z"),
        (datetime.datetime(2024, 8, 6, 12, 10, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
         "20240806T101010Z"),
    ],
)
def test_at(client, at, expected):
    assert client.build_request("ShowSecret", {"secret_name": "s"}, at=at).headers["X-Sdk-Date"] == expected
    assert csms.sdk_date(at) == expected


def test_at_defaults_to_now(client):
    now = datetime.datetime.now(datetime.timezone.utc)
    got = client.build_request("ShowSecret", {"secret_name": "s"}).headers["X-Sdk-Date"]
    parsed = datetime.datetime.strptime(got, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    assert abs((parsed - now).total_seconds()) < 5


def test_the_only_clock_is_that_of_the_transports_module(client, monkeypatch):
    monkeypatch.setattr(csms.transports, "now", lambda: 1722939010.5)
    assert client.build_request("ShowSecret", {"secret_name": "s"}).headers["X-Sdk-Date"] == "20240806T101010Z"
    assert csms.sdk_date() == "20240806T101010Z"
    request = csms.Request("GET", "https://kms.cn-north-4.myhuaweicloud.com/v1/p/secrets")
    assert csms.Signer("AK", "SK").sign(request).headers["X-Sdk-Date"] == "20240806T101010Z"


@pytest.mark.parametrize("at", [
    "2024-08-06T10:10:10Z", "20240230T000000Z", float("nan"), 1e300, datetime.date(2024, 1, 1), True, "\ud800",
    # Outside the years 1 to 9999 (an X-Sdk-Date has four digits for the year; it used to wrap).
    datetime.datetime.max, datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc),
    datetime.datetime.min.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
    datetime.datetime.max.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=-1))),
    253402300800, 253402300800.0, -62135596801, 1e14, 10 ** 20,
])
def test_bad_at(client, at):
    with pytest.raises(csms.ValidationError) as e:
        client.build_request("ShowSecret", {"secret_name": "s"}, at=at)
    assert e.value.field == "at"
    assert e.value.reason.startswith("is out of range") or not (type(at) in (int, float) or isinstance(at, datetime.datetime))
    with pytest.raises(csms.ValidationError) as e:
        csms.sdk_date(at)
    assert e.value.field == "at"


@pytest.mark.parametrize("at, expected", [
    (253402300799, "99991231T235959Z"), (253402300799.9, "99991231T235959Z"),
    (datetime.datetime(9999, 12, 31, 23, 59, 59), "99991231T235959Z"),
    (-62135596800, "00010101T000000Z"), (datetime.datetime.min, "00010101T000000Z"),
])
def test_the_ends_of_at(at, expected):
    assert csms.sdk_date(at) == expected


@pytest.mark.parametrize(
    "operation, input, field",
    [
        ("UpdateSecret", {"secret_name": "test", "rotation_period": "5h"}, "rotation_period"),
        ("UpdateSecret", {"description": "x"}, "secret_name"),
        ("UpdateSecret", {"secret_name": "t", "colour": "red"}, "colour"),
        ("CreateSecret", {"name": "n"}, "secret_string"),
        ("BatchCreateOrDeleteTags", {"secret_id": "i", "action": "create", "tags": [{"key": True}]}, "tags[0].key"),
        ("UpdateSecret", {"secret_name": "t", "description": float("nan")}, "description"),
        ("UpdateSecret", {"secret_name": "t", "description": object()}, "description"),
        ("UpdateSecret", {"secret_name": "t", "description": "\ud800"}, "description"),
        # A lone surrogate in a key too (it was a UnicodeEncodeError), or in the operation.
        ("CheckSecrets", {"type": "x", "data": {"\ud800": 1}}, "data"),
        ("CheckSecrets", {"type": "x", "data": {"a": [{"\udfff": 1}]}}, "data.a[0]"),
        ("UpdateSecret", {"\ud800": "x"}, "input"),
        ("Update\ud800", {}, "operation"),
        ("UpdateSecret", {"secret_name": "t", "auto_rotation": 2 ** 70}, "auto_rotation"),
        ("UpdateSecret", {1: "x"}, "input"),
        ("UpdateSecret", ["secret_name"], "input"),
        ("UpdateSecrets", {}, "operation"),
    ],
)
def test_refused_inputs_name_the_member(client, operation, input, field):
    with pytest.raises(csms.ValidationError) as e:
        client.build_request(operation, input, at=AT)
    assert e.value.field == field, str(e.value)


def test_lone_surrogates_are_validation_errors_naming_the_field(client):
    with pytest.raises(csms.ValidationError) as e:
        csms.Client(region="cn-north-4", project_id=PROJECT, ak="AK", sk="SK",
                    transport=canned()).check_secrets(type="x", data={"\ud800": 1})
    assert e.value.field == "data" and "surrogate" in e.value.reason
    for make, field in [
        (lambda: csms.Request("GET", "https://x/\ud800"), "url"),
        (lambda: csms.Request("G\ud800", "https://x/"), "method"),
        (lambda: csms.Request("GET", "https://x/", {"X-\ud800": "v"}), "headers"),
        (lambda: csms.Request("GET", "https://x/", body="\ud800"), "body"),
        (lambda: csms.Signer("\ud800", "SK"), "ak"),
        (lambda: client.parse_response("ShowSecret", 200, {"X-A": "\ud800"}, b"{}"), "headers"),
        (lambda: client.parse_response("ShowSecret", 200, {}, "\ud800"), "body"),
    ]:
        with pytest.raises(csms.ValidationError) as e:
            make()
        assert e.value.field == field


def test_unknown_operation_suggests(client):
    with pytest.raises(csms.ValidationError) as e:
        client.build_request("RotateSecrets", {}, at=AT)
    assert "RotateSecret" in str(e.value)


def test_deep_input_is_refused(client):
    deep = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(csms.ValidationError):
        client.build_request("CheckSecrets", {"type": "t", "data": {"x": deep}}, at=AT)


def test_models_as_inputs(client):
    tags = [csms.TagItem(key="env", value="prod"), {"key": "team", "value": "core"}]
    r = client.build_request("BatchCreateOrDeleteTags", {"secret_id": "id", "action": "create", "tags": tags}, at=AT)
    assert json.loads(r.body) == {"tags": [{"key": "env", "value": "prod"}, {"key": "team", "value": "core"}],
                                  "action": "create"}
    with pytest.raises(TypeError):
        csms.TagItem(colour="red")


def test_parse_response(client):
    body = b'{"secret": {"name": "test", "state": "ENABLED", "unknown": 1}}'
    result = client.parse_response("UpdateSecret", 200, {"X-Request-Id": "r"}, body)
    assert isinstance(result, csms.UpdateSecretResponse)
    assert isinstance(result.secret, csms.Secret)
    assert result.secret.name == "test" and result.secret.description is None
    assert result.to_dict() == {"secret": {"name": "test", "state": "ENABLED"}}
    with pytest.raises(AttributeError):
        result.secret.colour
    with pytest.raises(AttributeError):
        result.secret = None
    # Headers as pairs or any object with items(); body as text.
    assert client.parse_response("UpdateSecret", 200, [("X-Request-Id", "r")], body.decode()) == result
    # The legacy shape of RotateSecret.
    old = client.parse_response("RotateSecret", 200, {}, '{"rotate": {"version_id": "v2", "secret_name": "db"}}')
    assert old.version_id == "v2"
    # Empty bodies (204) are empty results.
    assert client.parse_response("DeleteSecret", 204, {}, b"") == csms.DeleteSecretResponse()


def test_api_errors(client):
    with pytest.raises(csms.ApiError) as e:
        client.parse_response("ShowSecret", 404, {"x-request-id": "abc"},
                              '{"error": {"error_code": "CSMS.0106", "error_msg": "no such secret"}}')
    err = e.value
    assert (err.status, err.error_code, err.error_msg, err.request_id) == (404, "CSMS.0106", "no such secret", "abc")
    assert str(err) == "CSMS error 404 CSMS.0106: no such secret (request id abc)"
    assert err.kind == "api"
    assert isinstance(err, csms.CsmsError) and isinstance(err, Exception)


def test_decode_errors(client):
    with pytest.raises(csms.DecodeError) as e:
        client.parse_response("ShowSecret", 200, {"X-Request-Id": "r9"}, "not json")
    assert e.value.status == 200 and e.value.request_id == "r9" and "not JSON" in str(e.value)
    with pytest.raises(csms.DecodeError):
        client.parse_response("ShowSecret", 200, {}, '["secret"]')
    # A field of an unexpected type is coerced where the core does, else left out; the rest stays.
    r = client.parse_response("ShowSecret", 200, {}, '{"secret": {"name": "db", "create_time": "yesterday"}}')
    assert r.secret.name == "db" and r.secret.create_time is None
    v = client.parse_response("ShowSecretVersion", 200, {},
                              '{"version": {"secret_string": "s3cr3t", "version_metadata": {"create_time": "17"}}}')
    assert v.version.secret_string == "s3cr3t" and v.version.version_metadata.create_time == 17
    with pytest.raises(csms.ValidationError) as bad:
        client.parse_response("ShowSecret", 99999, {}, "{}")
    assert bad.value.field == "status"


def test_errors_pickle_and_print():
    errors = [
        csms.ValidationError("f", "is bad"),
        csms.ApiError(404, "CSMS.0106", "missing", "rid"),
        csms.DecodeError("not json", 200, "rid"),
        csms.TransportError("refused", maybe_sent=False),
        csms.CsmsError("internal"),
        csms.CredentialsError("vault", "sealed"),
        csms.RotationError("test", "refused"),
    ]
    for err in errors:
        again = pickle.loads(pickle.dumps(err))
        assert type(again) is type(err) and str(again) == str(err) and again.__dict__ == err.__dict__
        assert str(err)
    assert str(errors[3]) == "transport failure: refused"
    assert str(errors[5]) == "no credentials from the vault provider: sealed" and errors[5].kind == "credentials"
    assert str(errors[6]) == "the rotation stopped at its test step: refused" and errors[6].kind == "rotation"
    assert str(csms.TransportError("timed out")) == \
        "transport failure: timed out (the request may have reached the server)"


def test_panics_become_csms_errors():
    with pytest.raises(csms.CsmsError) as e:
        _native._panic_for_tests("deliberate")
    assert type(e.value) is csms.CsmsError
    assert "deliberate" in str(e.value)
    assert not isinstance(e.value, (csms.ValidationError, csms.ApiError))


# --- results ---------------------------------------------------------------------------------


SECRET_BODIES = {
    "ShowSecretVersion": ('{"version": {"secret_string": "s3cr3t-value", "secret_binary": "c2VjcmV0",'
                          ' "version_metadata": {"id": "v2", "version_stages": ["SYSCURRENT"]}}}', "s3cr3t-value"),
    "GenerateRandomPassword": ('{"password": "p4ssw0rd-value"}', "p4ssw0rd-value"),
    "DownloadSecretBlob": ('{"secret_blob": "b10b-value"}', "b10b-value"),
}


@pytest.mark.parametrize("operation", sorted(SECRET_BODIES))
def test_secret_values_are_hidden_from_repr(client, operation):
    body, secret = SECRET_BODIES[operation]
    result = client.parse_response(operation, 200, {}, body)
    assert secret not in repr(result) and secret not in str(result)
    assert "'***'" in repr(result)
    assert secret in json.dumps(result.to_dict())
    if operation == "ShowSecretVersion":
        assert result.version.secret_string == secret
        assert "c2VjcmV0" not in repr(result.version)
        assert "SYSCURRENT" in repr(result)


def test_results_compare_copy_and_pickle(client):
    body = '{"secrets": [{"name": "a"}, {"name": "b"}], "page_info": {"next_marker": "b"}}'
    one = client.parse_response("ListSecrets", 200, {}, body)
    two = client.parse_response("ListSecrets", 200, {}, body)
    assert one == two and one is not two
    assert one != client.parse_response("ListSecrets", 200, {}, '{"secrets": []}')
    assert [s.name for s in one.secrets] == ["a", "b"]
    assert one.page_info.next_marker == "b"
    d = one.to_dict()
    d["secrets"][0]["name"] = "changed"
    assert one.secrets[0].name == "a"
    assert pickle.loads(pickle.dumps(one)) == one
    assert csms.ListSecretsResponse.from_dict(one.to_dict()) == one
    assert "secrets" in dir(one)
    with pytest.raises(TypeError):
        hash(one)


# --- high level ------------------------------------------------------------------------------


def test_methods_send_through_the_transport(client):
    transport = canned(body=b'{"secret": {"name": "n", "description": "d"}}')
    c = csms.Client(region="cn-north-4", project_id=PROJECT, ak="AK", sk="SK", transport=transport)
    result = c.update_secret(secret_name="n", description="d", kms_key_id=None)
    assert result.secret.description == "d"
    sent = transport.seen[0]
    assert sent.method == "PUT" and sent.body == b'{"description":"d"}'
    with pytest.raises(TypeError):
        c.update_secret(secret_name="n", colour="red")
    with pytest.raises(TypeError, match="secret_name"):
        c.update_secret(description="d")  # a required member left out
    with pytest.raises(csms.ValidationError) as e:
        c.update_secret(secret_name=None, description="d")
    assert e.value.field == "secret_name"


def test_transport_results_and_failures():
    class Reply:
        status_code = 200
        headers = {"X-Request-Id": "x"}
        content = b'{"version_id": "v9"}'

    def raising(request):
        raise ConnectionError("boom")

    base = {"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "SK"}
    assert csms.Client(**base, transport=lambda r: Reply()).rotate_secret(secret_name="s").version_id == "v9"
    assert csms.Client(**base, transport=lambda r: csms.Response(200, [], b"{}")).show_secrets_config() == \
        csms.ShowSecretsConfigResponse()
    with pytest.raises(csms.TransportError) as e:
        csms.Client(**base, transport=raising).rotate_secret(secret_name="s")
    assert "boom" in str(e.value) and isinstance(e.value.__cause__, ConnectionError)
    with pytest.raises(csms.TransportError):
        csms.Client(**base, transport=lambda r: "garbage").rotate_secret(secret_name="s")
    with pytest.raises(csms.ApiError) as api:
        csms.Client(**base, transport=canned(500, {}, b"oops")).rotate_secret(secret_name="s")
    assert (api.value.status, api.value.error_code, api.value.error_msg) == (500, "500", "oops")


def test_a_sync_client_refuses_an_async_transport():
    base = {"region": "cn-north-4", "project_id": PROJECT, "ak": "AK", "sk": "SK"}

    async def coroutine_function(request):
        return (200, {}, b"{}")

    class AsyncCallable:
        async def __call__(self, request):
            return (200, {}, b"{}")

    for transport in (coroutine_function, AsyncCallable(), csms.transports.httpx_async_transport(),
                      csms.transports.ThreadedTransport()):
        with pytest.raises(csms.ValidationError) as e:
            csms.Client(**base, transport=transport)
        assert e.value.field == "transport" and "AsyncClient" in e.value.reason
        csms.AsyncClient(**base, transport=transport)  # where it belongs

    # Not recognisable up front: a plain function returning a coroutine. The coroutine is
    # closed without having run (so nothing was sent, and no "never awaited" warning), and the
    # call fails at once, without retries.
    returned = []

    def hides_a_coroutine(request):
        returned.append(coroutine_function(request))
        return returned[-1]

    with pytest.raises(csms.TransportError) as e:
        csms.Client(**base, transport=hides_a_coroutine).show_secret(secret_name="s")
    assert e.value.maybe_sent is False and "AsyncClient" in e.value.reason
    assert len(returned) == 1 and inspect.getcoroutinestate(returned[0]) == inspect.CORO_CLOSED


def test_a_session_a_transport_factory_made_is_closed_with_the_client():
    requests = pytest.importorskip("requests")
    httpx = pytest.importorskip("httpx")
    from csms import transports

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}"
    base = {"endpoint": refused, "project_id": PROJECT, "ak": "AK", "sk": "SK", "max_attempts": 1}

    def closes(session):
        closed = []
        session.close = lambda: closed.append(True)
        return closed

    made = transports.requests_transport()
    closed = closes(made.session)
    with csms.Client(**base, transport=made):
        pass
    assert closed
    given = requests.Session()
    closed = closes(given)
    with csms.Client(**base, transport=transports.requests_transport(session=given)):
        pass
    assert not closed, "a session of yours is yours to close"

    made = transports.httpx_transport()
    with csms.Client(**base, transport=made):
        pass
    assert made.client.is_closed
    given = httpx.Client()
    with csms.Client(**base, transport=transports.httpx_transport(client=given)):
        pass
    assert not given.is_closed
    given.close()

    async def use(transport):
        async with csms.AsyncClient(**base, transport=transport) as client:
            with pytest.raises(csms.TransportError):
                await client.list_secrets()  # makes httpx_async_transport's client
            return transport.client

    assert asyncio.run(use(transports.httpx_async_transport())).is_closed

    async def given_client():
        given = httpx.AsyncClient()
        assert await use(transports.httpx_async_transport(client=given)) is given
        assert not given.is_closed
        await given.aclose()

    asyncio.run(given_client())
    # StdlibTransport and ThreadedTransport of yours stay yours.
    stdlib = transports.StdlibTransport()
    closed = closes(stdlib)
    csms.Client(**base, transport=stdlib).close()
    assert not closed


def test_async_client_with_a_custom_transport():
    seen = []

    async def transport(request):
        seen.append(request)
        return (200, {}, b'{"version_id": "v3", "secret_name": "s"}')

    async def main():
        async with csms.AsyncClient(region="cn-north-4", project_id=PROJECT, ak="AK", sk="SK",
                                    transport=transport) as c:
            call = c.rotate_secret(secret_name="s")
            assert inspect.isawaitable(call)
            return await call

    assert asyncio.run(main()).version_id == "v3"
    assert seen[0].url.endswith("/secrets/s/rotate")


def test_signer():
    request = csms.Request("GET", "https://kms.cn-north-4.myhuaweicloud.com/v1/p/secrets", {}, b"")
    signed = csms.Signer("AK", "SK").sign(request, at="20240806T101010Z")
    assert signed.headers["Authorization"].startswith(
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=")
    assert request.headers == {}
    csms.verify_signature(signed, ak="AK", sk="SK")
    with pytest.raises(csms.ValidationError) as e:
        csms.Signer("AK", "SK", algorithm="V11-HMAC-SHA256")
    assert e.value.field == "region"


# --- the generated code matches the core and the stubs ---------------------------------------


PARSER = csms.Client(region="cn-north-4", project_id=PROJECT, ak="AK", sk="SK")
EXAMPLES = {"ShowSecret": {"secret_name": "s"}, "RotateSecret": {"secret_name": "s"},
            "CreateSecretVersion": {"secret_name": "s", "secret_string": "v"}, "DeleteSecret": {"secret_name": "s"}}


def test_generated_operations_match_the_native_table():
    native = {name: (idempotent, [m[0] for m in members])
              for name, _, _, idempotent, _, members in _native.operations()}
    assert csms.operation_names() == sorted(native) and len(native) == 45
    for name, (idempotent, members) in native.items():
        method = getattr(csms.Client, _models.METHODS[name])
        params = [p for p in inspect.signature(method).parameters if p != "self"]
        assert sorted(params) == sorted(members), name
        request = PARSER.build_request(name, EXAMPLES.get(name, {}), at=AT) if name in EXAMPLES else None
        assert request is None or request.idempotent == idempotent, name
        assert getattr(csms.AsyncClient, _models.METHODS[name]) is method


def test_stubs_declare_every_method_and_class():
    stub = Path(csms.__file__).with_name("__init__.pyi")
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    for name in _models.__all__:
        assert name in classes, name
        fields = {n.target.id for n in classes[name].body if isinstance(n, ast.AnnAssign)}
        assert fields == set(getattr(csms, name)._fields), name
    for cls, coroutine in (("Client", False), ("AsyncClient", True)):
        methods = {n.name: n for n in classes[cls].body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for op, method in _models.METHODS.items():
            node = methods[method]
            assert isinstance(node, ast.AsyncFunctionDef) == coroutine
            stub_params = sorted(a.arg for a in node.args.kwonlyargs)
            runtime = sorted(p for p in inspect.signature(getattr(csms.Client, method)).parameters if p != "self")
            assert stub_params == runtime, op
            assert ast.unparse(node.returns) == f"{op}Response"
        for name in ("build_request", "parse_response", "paginate", "__init__"):
            assert name in methods
    for name in csms.__all__:
        assert name in classes or any(
            isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.AnnAssign, ast.Assign)) and
            (getattr(n, "name", None) == name or name in [getattr(t, "id", None) for t in getattr(n, "targets", [])] or
             getattr(getattr(n, "target", None), "id", None) == name)
            for n in tree.body), name


def test_the_type_aliases_of_the_stubs_exist_at_run_time():
    import typing

    def transport(request: csms.Request) -> csms.TransportResult:
        return (200, {}, b"{}")

    def by_name(operation: csms.OperationName, at: csms.At, headers: csms.Headers) -> csms.Transport:
        return transport

    assert typing.get_type_hints(transport)["return"] is csms.TransportResult
    assert typing.get_type_hints(by_name)["return"] == csms.Transport
    assert csms.AsyncTransport is not None
    assert typing.get_args(csms.OperationName) == tuple(csms.operation_names())
    assert typing.get_args(csms.PagedOperationName) == (
        "ListResourceInstances", "ListSecretEvents", "ListSecretTask", "ListSecretVersions", "ListSecrets")
    assert {"Transport", "TransportResult", "OperationName"} <= set(csms.__all__) & set(dir(csms))


def test_import_is_light():
    code = ("import sys, csms; heavy = {'asyncio', 'http.client', 'json', 'ssl', 'typing', 'requests', 'httpx',"
            " 'email', 'urllib', 'csms._cache', 'csms._rotation'}; print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_operation_methods_have_real_signatures_and_the_spec_docs():
    """help(csms.Client.show_secret): keyword-only members, the required ones without a default,
    the operation's doc text and each member's from the spec."""
    import json
    import pydoc

    spec = json.loads((Path(__file__).resolve().parents[2] / "spec" / "csms.json").read_text(encoding="utf-8"))
    for op in spec["operations"]:
        method = getattr(csms.Client, _models.METHODS[op["name"]])
        params = dict(inspect.signature(method).parameters)
        params.pop("self")
        assert set(params) == {m["name"] for m in op["input"]}, op["name"]
        for m in op["input"]:
            p = params[m["name"]]
            assert p.kind is inspect.Parameter.KEYWORD_ONLY
            assert (p.default is inspect.Parameter.empty) == bool(m.get("required")), (op["name"], m["name"])
        first = " ".join(op["doc"].split())[:40]
        assert first in " ".join(method.__doc__.split()), op["name"]
    shown = pydoc.render_doc(csms.Client.show_secret, renderer=pydoc.plaintext)
    assert "show_secret(self, *, secret_name)" in shown
    assert "Returns the metadata of one secret" in shown and "secret_name (required, path)" in shown
    assert "(self, *, secret_name, version_id)" in pydoc.render_doc(csms.AsyncClient.show_secret_version,
                                                                   renderer=pydoc.plaintext)
    assert "limit=None" in str(inspect.signature(csms.Client.list_secrets))
    client = csms.Client(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK")
    with pytest.raises(TypeError, match="secret_name"):
        client.show_secret()  # type: ignore[call-arg]
    with pytest.raises(csms.ValidationError) as e:
        client.show_secret(secret_name=None)  # given as None: the core names it
    assert e.value.field == "secret_name"
