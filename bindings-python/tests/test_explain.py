"""A refused signature explains itself, and the debug hook sees every attempt (against the
emulator binary)."""

import asyncio
import pickle

import pytest

import csms
from conftest import start_emulator

TOKEN = "PYTEST-TOKEN-abcdef"


def test_a_wrong_sk_shows_what_was_signed_and_no_secret(emulator):
    client = csms.Client(**emulator.client_options(sk="WRONG-SK-0123456789", security_token=TOKEN))
    with pytest.raises(csms.ApiError) as caught:
        client.show_secret(secret_name="db")
    error = caught.value
    assert (error.status, error.error_code) == (401, "APIGW.0301")
    assert error.canonical_request.startswith("GET\n/v1/"), error.canonical_request
    assert "\nx-security-token:***\n" in error.canonical_request
    assert error.string_to_sign.startswith("SDK-HMAC-SHA256\n")
    # The emulator's 401 quotes what it computed: the same strings (Rust's Debug quoting).
    assert error.canonical_request.replace("\n", "\\n") in error.error_msg
    assert error.string_to_sign.replace("\n", "\\n") in error.error_msg
    message = str(error)
    assert message.index("clock is more than 15 minutes off") < message.index("a wrong SK for this AK") \
        < message.index("a proxy changed the host, path or a signed header"), message
    for text in (error.canonical_request, error.string_to_sign, message, repr(error)):
        assert "WRONG-SK" not in text and TOKEN not in text, text
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.canonical_request, copy.string_to_sign) == (error.canonical_request, error.string_to_sign)


def test_other_errors_carry_no_signature(emulator):
    with pytest.raises(csms.ApiError) as caught:
        csms.Client(**emulator.client_options()).show_secret(secret_name="missing-secret")
    assert caught.value.status == 404
    assert caught.value.canonical_request is None and caught.value.string_to_sign is None


def test_the_debug_hook_gets_one_record_per_attempt():
    server = start_emulator("--faults", "seed=3,503=100%")
    try:
        records = []
        client = csms.Client(**server.client_options(security_token=TOKEN), debug_hook=records.append)
        with pytest.raises(csms.ApiError) as caught:
            client.show_secret(secret_name="db")
        assert caught.value.status == 503
        assert [r.attempt for r in records] == [1, 2, 3]
        for r in records:
            assert (r.operation, r.method, r.status, r.error) == ("ShowSecret", "GET", 503, None)
            assert r.url.endswith("/secrets/db") and r.request_id and 0 <= r.duration < 10
            canonical = r.canonical_request()
            assert canonical.startswith("GET\n") and "x-security-token:***" in canonical
            assert TOKEN not in repr(r) and TOKEN not in canonical
    finally:
        server.stop()


def test_the_debug_hook_sees_transport_failures():
    server = start_emulator("--faults", "seed=3,close-before=100%")
    try:
        records = []
        client = csms.Client(**server.client_options(), debug_hook=records.append)
        with pytest.raises(csms.TransportError):
            client.show_secret(secret_name="db")
        assert [r.attempt for r in records] == [1, 2, 3]
        assert all(r.status is None and r.error and r.request_id == "" for r in records), records
    finally:
        server.stop()


def test_a_hook_that_raises_does_not_break_the_call(emulator):
    calls = []

    def hook(record):
        calls.append(record)
        raise RuntimeError("the hook fails")

    client = csms.Client(**emulator.client_options(), debug_hook=hook)
    client.create_secret(name="hooked-py", secret_string="v")
    assert client.show_secret(secret_name="hooked-py").secret.name == "hooked-py"
    assert len(calls) == 2

    async def run():
        async with csms.AsyncClient(**emulator.client_options(), debug_hook=hook) as aclient:
            return await aclient.show_secret(secret_name="hooked-py")

    assert asyncio.run(run()).secret.name == "hooked-py"
    assert len(calls) == 3


def test_a_debug_hook_must_be_callable(emulator):
    with pytest.raises(csms.ValidationError) as caught:
        csms.Client(**emulator.client_options(), debug_hook="print")
    assert caught.value.field == "debug_hook"
