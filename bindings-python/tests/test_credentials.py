"""Credential providers against the emulator binary: from_env, the environment, the profile
file, temporary keys from the emulator's metadata endpoints refreshed ahead of expiry, one
fetch for concurrent callers, an application's function (and one that fails), the default
chain's error, and a refetch-and-retry after an expired-token 401. Every metadata provider
here points at the emulator (conftest sets CSMS_TEST_NO_METADATA=1 for this process, so one
that did not would fail at once)."""

import asyncio
import json
import os
import pickle
import threading
import time
import types
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

import csms
from conftest import start_emulator


def operations(server):
    """How many requests each operation received (`/_emulator/counts`)."""
    return server.get("/_emulator/counts")["operations"]


def count(server, name):
    return operations(server).get(name, 0)


def set_clock_offset(server, offset_ms):
    request = urllib.request.Request(server.endpoint + "/_emulator/clock", method="POST",
                                     data=json.dumps({"offset_ms": offset_ms}).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def env_of(server, **more):
    """The official variables for `server`'s key."""
    env = {"CSMS_ENDPOINT": server.endpoint, "HUAWEICLOUD_SDK_AK": server.ak, "HUAWEICLOUD_SDK_SK": server.sk,
           "HUAWEICLOUD_SDK_PROJECT_ID": server.project_id}
    env.update(more)
    return {k: v for k, v in env.items() if v is not None}


def client_with(server, provider, cls=csms.Client):
    return cls(endpoint=server.endpoint, project_id=server.project_id, credentials=provider)


@pytest.fixture
def metadata_server():
    """An emulator serving temporary keys that live 4 seconds."""
    server = start_emulator("--metadata", "--temp-credential-ttl", "4")
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------------------------------
# from_env and the environment


def test_from_env_reads_a_mapping(emulator):
    client = csms.Client.from_env(env=env_of(emulator))
    assert client.endpoint == emulator.endpoint
    assert client.list_secrets().secrets is not None
    assert isinstance(client.credentials, csms.CredentialProvider)


def test_from_env_reads_the_process_environment(emulator, monkeypatch):
    for name, value in env_of(emulator).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", "/nonexistent/csms-test/credentials")
    client = csms.Client.from_env()
    assert client.list_secrets().secrets is not None
    # Read at each fetch, not when the provider is made.
    provider = csms.EnvCredentials()
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "CHANGED-SK")
    with pytest.raises(csms.ApiError) as caught:
        client_with(emulator, provider).list_secrets()
    assert caught.value.status == 401


def test_from_env_fails_at_once_on_a_missing_endpoint_or_project(emulator):
    with pytest.raises(csms.ValidationError) as caught:
        csms.Client.from_env(env=env_of(emulator, CSMS_ENDPOINT=None))
    assert caught.value.field == "CSMS_ENDPOINT"
    with pytest.raises(csms.ValidationError) as caught:
        csms.Client.from_env(env=env_of(emulator, HUAWEICLOUD_SDK_PROJECT_ID=None,
                                        HUAWEICLOUD_SDK_CREDENTIALS_FILE="/nonexistent/c"))
    assert caught.value.field == "HUAWEICLOUD_SDK_PROJECT_ID"
    # The region's endpoint, from HUAWEICLOUD_SDK_REGION_CSMS_<REGION>.
    env = env_of(emulator, CSMS_ENDPOINT=None, HUAWEICLOUD_SDK_REGION_CSMS_AP_SOUTHEAST_1=emulator.endpoint)
    assert csms.Client.from_env("ap-southeast-1", env=env).endpoint == emulator.endpoint


def test_a_missing_sk_is_a_validation_error_naming_it(emulator):
    env = env_of(emulator, HUAWEICLOUD_SDK_SK=None)
    before = count(emulator, "ListSecrets")
    with pytest.raises(csms.ValidationError) as caught:
        csms.Client.from_env(env=env, credentials=csms.EnvCredentials(env=env))
    assert caught.value.field == "HUAWEICLOUD_SDK_SK"
    with pytest.raises(csms.ValidationError) as caught:
        client_with(emulator, csms.EnvCredentials(env=env)).list_secrets()
    assert caught.value.field == "HUAWEICLOUD_SDK_SK"
    assert count(emulator, "ListSecrets") == before


def test_async_from_env(emulator):
    async def run():
        client = await csms.AsyncClient.from_env(env=env_of(emulator))
        async with client:
            return await client.list_secrets()

    assert asyncio.run(run()).secrets is not None
    with pytest.raises(csms.ValidationError) as caught:
        asyncio.run(csms.AsyncClient.from_env(env=env_of(emulator, HUAWEICLOUD_SDK_SK=None),
                                              credentials=csms.EnvCredentials(env=env_of(emulator,
                                                                                         HUAWEICLOUD_SDK_SK=None))))
    assert caught.value.field == "HUAWEICLOUD_SDK_SK"


def test_the_profile_file(emulator, tmp_path):
    profile = tmp_path / "credentials"
    profile.write_text(f"[basic]\nak = {emulator.ak}\nsk = {emulator.sk}\nproject_id = {emulator.project_id}\n")
    client = client_with(emulator, csms.ProfileCredentials(profile))
    assert client.list_secrets().secrets is not None
    # from_env: the project id the profile names.
    env = {"CSMS_ENDPOINT": emulator.endpoint, "HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(profile)}
    assert csms.Client.from_env(env=env).list_secrets().secrets is not None


# ------------------------------------------------------------------------------------------
# The instance metadata service


def test_keys_that_live_four_seconds_are_refreshed_ahead_and_no_call_fails(metadata_server):
    client = client_with(metadata_server, csms.MetadataCredentials(endpoint=metadata_server.endpoint))
    started = time.monotonic()
    calls = 0
    while time.monotonic() - started < 13:
        client.list_secrets()  # raises if a call fails
        calls += 1
        time.sleep(0.2)
    fetches = count(metadata_server, "MetadataSecurityKey")
    # Refreshed at half of the 4-second lifetime: about 7 fetches for about 60 calls.
    assert 3 <= fetches <= 14 and calls >= 40, (fetches, calls)
    assert count(metadata_server, "ListSecrets") == calls, "no call was refused and retried"
    assert count(metadata_server, "MetadataToken") == 1, "the session token is kept"


def test_async_keys_that_live_four_seconds_are_refreshed_ahead(metadata_server):
    async def run():
        provider = csms.MetadataCredentials(env={"CSMS_METADATA_ENDPOINT": metadata_server.endpoint})
        async with client_with(metadata_server, provider, csms.AsyncClient) as client:
            started = time.monotonic()
            calls = 0
            while time.monotonic() - started < 7:
                await client.list_secrets()
                calls += 1
                await asyncio.sleep(0.2)
            return calls

    calls = asyncio.run(run())
    fetches = count(metadata_server, "MetadataSecurityKey")
    assert 2 <= fetches <= 8 and calls >= 20, (fetches, calls)
    assert count(metadata_server, "ListSecrets") == calls


@pytest.mark.parametrize("cls", [csms.Client, csms.AsyncClient])
def test_an_expired_token_refusal_refetches_once_and_retries(cls):
    server = start_emulator("--metadata", "--temp-credential-ttl", "60")
    try:
        client = client_with(server, csms.MetadataCredentials(endpoint=server.endpoint), cls)

        async def calls():
            for offset_ms in (0, 61_000):
                # The server's clock jumps past the key's expiry; the client still thinks it fresh.
                set_clock_offset(server, offset_ms)
                result = client.list_secrets()
                if cls is csms.AsyncClient:
                    await result

        asyncio.run(calls())
        assert count(server, "MetadataSecurityKey") == 2
        assert count(server, "ListSecrets") == 3, "the refused attempt and its retry"
    finally:
        server.stop()


def test_the_metadata_providers_failure_names_it_and_nothing_is_sent(emulator):
    before = count(emulator, "ListSecrets")
    with pytest.raises(csms.CredentialsError) as caught:
        client_with(emulator, csms.MetadataCredentials(endpoint=emulator.endpoint)).list_secrets()
    assert caught.value.provider == "metadata" and "status 404" in caught.value.reason
    assert count(emulator, "ListSecrets") == before


def test_the_real_metadata_address_is_refused_under_tests():
    assert os.environ.get("CSMS_TEST_NO_METADATA") == "1"
    started = time.monotonic()
    with pytest.raises(csms.CredentialsError) as caught:
        client_with(NOWHERE, csms.MetadataCredentials(env={})).list_secrets()
    assert "refusing to contact http://169.254.169.254" in str(caught.value)
    # Even when the mapping given clears the guard: it is read from the process environment.
    with pytest.raises(csms.CredentialsError) as caught:
        client_with(NOWHERE, csms.MetadataCredentials(env={"CSMS_TEST_NO_METADATA": ""})).list_secrets()
    assert "refusing to contact" in str(caught.value)
    assert time.monotonic() - started < 2, "it failed fast"


#: Where a client would send, if anything were sent (the provider fails first).
NOWHERE = types.SimpleNamespace(endpoint="http://127.0.0.1:9", project_id="p")


# ------------------------------------------------------------------------------------------
# The default chain


def test_the_chains_error_says_why_each_provider_did_not_apply(emulator):
    env = {"CSMS_ENDPOINT": emulator.endpoint,
           "HUAWEICLOUD_SDK_CREDENTIALS_FILE": "/nonexistent/csms-test/credentials",
           "CSMS_METADATA_ENDPOINT": emulator.endpoint}
    # Half an access key in the environment: the missing half named, the chain stops there.
    with pytest.raises(csms.ValidationError) as half:
        csms.Client.from_env(env={**env, "HUAWEICLOUD_SDK_AK": emulator.ak})
    assert half.value.field == "HUAWEICLOUD_SDK_SK"
    with pytest.raises(csms.CredentialsError) as caught:
        csms.Client.from_env(env=env)
    assert caught.value.provider == "default chain"
    message = str(caught.value)
    for part in ("environment: invalid `HUAWEICLOUD_SDK_AK`: is not set",
                 "profile: no credentials from the profile provider: /nonexistent/csms-test/credentials: does not exist",
                 "metadata: no credentials from the metadata provider: the security key request got status 404"):
        assert part in message, message
    # Without CSMS_METADATA_ENDPOINT the chain's metadata member is refused at once.
    del env["CSMS_METADATA_ENDPOINT"]
    with pytest.raises(csms.CredentialsError) as caught:
        csms.Client.from_env(env=env)
    assert "refusing to contact http://169.254.169.254" in str(caught.value)


def test_the_chain_keeps_the_provider_that_worked(metadata_server, tmp_path):
    env = {"HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(tmp_path / "none"),
           "CSMS_METADATA_ENDPOINT": metadata_server.endpoint}
    client = client_with(metadata_server, csms.default_credentials(env=env))
    client.list_secrets()
    assert count(metadata_server, "MetadataSecurityKey") == 1


# ------------------------------------------------------------------------------------------
# An application's function


def test_a_function_provider(emulator):
    calls = []

    def vault():
        calls.append(1)
        return csms.Credentials(ak=emulator.ak, sk=emulator.sk, expires_at=datetime.now(timezone.utc) + timedelta(hours=6))

    provider = csms.FunctionCredentials(vault, name="vault")
    assert provider.name == "vault" and repr(provider) == "FunctionCredentials(name='vault')"
    # One provider for two clients: one fetch.
    client_with(emulator, provider).list_secrets()
    client_with(emulator, provider).list_secrets()
    assert len(calls) == 1

    async def key():
        return csms.Credentials(ak=emulator.ak, sk=emulator.sk, expires_at=time.time() + 3600)

    async def run():
        async with client_with(emulator, csms.FunctionCredentials(key), csms.AsyncClient) as client:
            return await client.list_secrets()

    assert asyncio.run(run()).secrets is not None


def test_credentials_hide_their_secrets():
    key = csms.Credentials(ak="AK", sk="SK-SECRET", security_token="TOKEN-SECRET", expires_at=1_900_000_000,
                           project_id="p")
    assert (key.ak, key.expires_at, key.project_id) == ("AK", 1_900_000_000, "p")
    assert "SECRET" not in repr(key) and "***" in repr(key)
    assert "TOKEN" not in repr(csms.Credentials(auth_token="TOKEN"))
    assert not hasattr(key, "sk")
    for kwargs, field in (({"ak": "AK"}, "sk"), ({"sk": "SK"}, "ak"), ({"ak": "A", "sk": "S", "auth_token": "T"},
                                                                        "auth_token"),
                          ({"ak": 5, "sk": "S"}, "ak"), ({"auth_token": "T", "expires_at": "soon"}, "expires_at")):
        with pytest.raises(csms.ValidationError) as caught:
            csms.Credentials(**kwargs)
        assert caught.value.field == field


def nonsense_functions():
    def raises():
        raise RuntimeError("vault sealed")

    async def coroutine():
        return None

    return [
        (raises, "the function raised RuntimeError: vault sealed"),
        (lambda: None, "the function returned NoneType, not csms.Credentials"),
        (lambda: {"ak": "AK", "sk": "SK"}, "the function returned dict, not csms.Credentials"),
        (lambda: csms.Credentials(ak="A K\nX", sk="sk-secret-value"), "credentials.ak"),
        (lambda: csms.Credentials(ak="AK", sk=""), "credentials.sk"),
        (lambda: csms.Credentials(ak="AK", sk="S", expires_at=time.time() - 10), "check the clock"),
        (lambda: csms.Credentials(sk="S"), "the function raised ValidationError"),
        (coroutine, "an async function works with csms.AsyncClient"),
    ]


@pytest.mark.parametrize("function,says", nonsense_functions())
def test_a_function_that_fails_or_gives_nonsense_is_named_and_nothing_is_sent(emulator, function, says):
    before = count(emulator, "ListSecrets")
    with pytest.raises(csms.CredentialsError) as caught:
        client_with(emulator, csms.FunctionCredentials(function, name="vault")).list_secrets()
    error = caught.value
    assert error.provider == "vault" and says in error.reason, error.reason
    assert "sk-secret-value" not in str(error)
    if says.startswith("the function raised"):
        assert isinstance(error.__cause__, Exception)
    assert count(emulator, "ListSecrets") == before
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.provider, copy.reason, str(copy)) == (error.provider, error.reason, str(error))


def test_an_async_function_that_fails_is_named(emulator):
    async def sealed():
        raise RuntimeError("vault sealed")

    async def run():
        async with client_with(emulator, csms.FunctionCredentials(sealed, name="vault"), csms.AsyncClient) as client:
            await client.list_secrets()

    with pytest.raises(csms.CredentialsError) as caught:
        asyncio.run(run())
    assert caught.value.provider == "vault" and "vault sealed" in caught.value.reason


def test_concurrent_callers_on_a_cold_provider_wait_for_one_fetch(emulator):
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.8)
        return csms.Credentials(ak=emulator.ak, sk=emulator.sk)

    provider = csms.FunctionCredentials(slow, name="slow")
    client = client_with(emulator, provider)
    errors = []

    def call():
        try:
            client.list_secrets()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(8)]
    started = time.process_time()
    for t in threads:
        t.start()
    time.sleep(0.1)  # the fetch is under way in a thread: async callers wait for it too

    async def run():
        async with client_with(emulator, provider, csms.AsyncClient) as aclient:
            await asyncio.gather(*(aclient.list_secrets() for _ in range(8)))

    asyncio.run(run())
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(calls) == 1
    # Waiting 0.8 s for the fetch: a few hundredths of a second of CPU, not a spin.
    assert time.process_time() - started < 0.3, "the waiters did not spin"


def test_a_failed_fetch_reaches_every_waiter(emulator):
    def sealed():
        time.sleep(0.3)
        raise RuntimeError("vault sealed")

    client = client_with(emulator, csms.FunctionCredentials(sealed, name="vault"))
    failures = []

    def call():
        try:
            client.list_secrets()
        except csms.CredentialsError as e:
            failures.append(e.reason)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(failures) == 4 and all("vault sealed" in r for r in failures), failures


# ------------------------------------------------------------------------------------------
# Options


def test_credentials_and_keys_together_are_refused(emulator):
    with pytest.raises(csms.ValidationError) as caught:
        csms.Client(endpoint=emulator.endpoint, project_id="p", ak="AK", sk="SK", credentials=csms.EnvCredentials())
    assert caught.value.field == "credentials"
    with pytest.raises(csms.ValidationError) as caught:
        csms.AsyncClient(endpoint=emulator.endpoint, project_id="p", credentials={"ak": "AK"})
    assert caught.value.field == "credentials"
    with pytest.raises(csms.ValidationError) as caught:
        csms.FunctionCredentials("not callable")
    assert caught.value.field == "function"


def test_build_request_signs_with_the_providers_credentials(emulator):
    provider = csms.FunctionCredentials(lambda: csms.Credentials(ak=emulator.ak, sk=emulator.sk,
                                                                 security_token="TEMP-TOKEN"))
    request = client_with(emulator, provider).build_request("ListSecrets")
    assert f"Access={emulator.ak}," in request.headers["Authorization"]
    assert request.headers["X-Security-Token"] == "TEMP-TOKEN"
    csms.verify_signature(request, ak=emulator.ak, sk=emulator.sk, security_token="TEMP-TOKEN")


def test_a_cancelled_fetch_wakes_its_waiters_and_the_next_call_fetches_again(emulator):
    calls = []

    async def vault():
        calls.append(1)
        if len(calls) == 1:
            await asyncio.sleep(30)
        return csms.Credentials(ak=emulator.ak, sk=emulator.sk)

    async def run():
        async with client_with(emulator, csms.FunctionCredentials(vault, name="vault"), csms.AsyncClient) as client:
            fetching = asyncio.ensure_future(client.list_secrets())
            await asyncio.sleep(0.1)
            waiting = asyncio.ensure_future(client.list_secrets())
            await asyncio.sleep(0.1)
            fetching.cancel()
            with pytest.raises(csms.CredentialsError) as caught:
                await asyncio.wait_for(waiting, 5)
            assert caught.value.provider == "vault" and "cancelled" in caught.value.reason
            await client.list_secrets()

    asyncio.run(run())
    assert len(calls) == 2
