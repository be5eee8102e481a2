"""The secret cache against the emulator: the scenario every language runs (core/tests/cache.rs:
hits send nothing, 32 concurrent cold reads send at most 2 requests, a new version after the TTL,
the last value through an outage, refresh, accepted, a deleted secret raised, the listener),
from threads and from asyncio, and a cancelled reader that does not cancel the others."""

import asyncio
import threading
import time
import uuid

import pytest

import csms

TTL = 0.6


@pytest.fixture()
def server(module_emulator):
    return module_emulator


def sent(server):
    """Requests the emulator received for the cache's two operations."""
    ops = server.get("/_emulator/counts")["operations"]
    return ops.get("ShowSecretStage", 0) + ops.get("ShowSecretVersion", 0)


def name():
    return f"cache-{uuid.uuid4().hex[:12]}"


def test_the_cache_scenario_from_threads(server):
    client = csms.Client(**server.client_options(max_attempts=1))
    secret = name()
    client.create_secret(name=secret, secret_string="one")
    cache = csms.SecretCache(client, ttl=TTL)
    changes = []
    cache.on_change(changes.append)

    # 32 concurrent cold reads: one stage request and one value request.
    before = sent(server)
    barrier = threading.Barrier(32)
    values = []

    def read():
        barrier.wait()
        values.append(cache.get_secret_string(secret))

    threads = [threading.Thread(target=read) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert values == ["one"] * 32
    assert sent(server) - before <= 2, f"{sent(server) - before} requests for 32 cold reads"

    # Hits send nothing, and every read of a version is the same object.
    before = sent(server)
    first = cache.get(secret)
    for _ in range(100):
        assert cache.get(secret) is first
    assert sent(server) == before, "hits send nothing"
    assert isinstance(first, csms.Version)
    assert first.version_metadata.version_stages == ["SYSCURRENT"]
    assert "one" not in repr(first) and "one" not in repr(cache)

    # A new version: served once the TTL is over; the listener hears of the move.
    client.create_secret_version(secret_name=secret, secret_string="two")
    time.sleep(TTL)
    assert cache.get_secret_string(secret) == "two"
    assert len(changes) == 1, changes
    assert (changes[0].secret_name, changes[0].stage, changes[0].from_version) == (secret, "SYSCURRENT", "v1")
    assert changes[0].to_version == "v2"

    # The service down: the last value is served.
    server.set_faults("503=100%")
    try:
        time.sleep(TTL)
        assert cache.get_secret_string(secret) == "two"
    finally:
        server.set_faults(None)

    # `refresh` makes the next read current, within the TTL.
    client.create_secret_version(secret_name=secret, secret_string="three")
    time.sleep(1.1)  # past the back-off of the outage
    assert cache.refresh(secret).secret_string == "three"
    assert cache.get_secret_string(secret) == "three"

    # Both sides of a rotation for a verifier.
    assert [v.secret_string for v in cache.accepted(secret)] == ["three", "two"]

    # A deleted secret: raised after the TTL, never hidden.
    client.delete_secret(secret_name=secret)
    time.sleep(TTL)
    with pytest.raises(csms.ApiError) as raised:
        cache.get(secret)
    assert raised.value.status == 404
    cache.close()
    with pytest.raises(csms.CsmsError, match="closed"):
        cache.get(secret)


def test_the_cache_scenario_from_asyncio(server):
    async def scenario():
        client = csms.AsyncClient(**server.client_options(max_attempts=1))
        secret = name()
        await client.create_secret(name=secret, secret_string="one")
        async with csms.AsyncSecretCache(client, ttl=TTL) as cache:
            changes = []

            async def heard(change):  # an async listener runs as a task of its own
                changes.append(change)

            cache.on_change(heard)
            before = sent(server)
            values = await asyncio.gather(*(cache.get_secret_string(secret) for _ in range(32)))
            assert values == ["one"] * 32
            assert sent(server) - before <= 2
            before = sent(server)
            for _ in range(100):
                await cache.get(secret)
            assert sent(server) == before, "hits send nothing"

            await client.create_secret_version(secret_name=secret, secret_string="two")
            await asyncio.sleep(TTL)
            assert await cache.get_secret_string(secret) == "two"
            await asyncio.sleep(0)
            assert [(c.from_version, c.to_version) for c in changes] == [("v1", "v2")]

            server.set_faults("503=100%")
            try:
                await asyncio.sleep(TTL)
                assert await cache.get_secret_string(secret) == "two"
            finally:
                server.set_faults(None)

            await client.create_secret_version(secret_name=secret, secret_string="three")
            await asyncio.sleep(1.1)
            assert (await cache.refresh(secret)).secret_string == "three"
            assert [v.secret_string for v in await cache.accepted(secret)] == ["three", "two"]

            await client.delete_secret(secret_name=secret)
            await asyncio.sleep(TTL)
            with pytest.raises(csms.ApiError) as raised:
                await cache.get(secret)
            assert raised.value.status == 404
        await client.aclose()

    asyncio.run(scenario())


def test_a_cancelled_reader_does_not_cancel_the_flight(server):
    """The reader that sends the flight is cancelled while its first request is in the
    transport: the request goes on, the waiting reader gets its value, nothing is sent twice."""
    async def scenario():
        stdlib = csms.transports.StdlibTransport()
        gate = asyncio.Event()
        sent_here = []

        async def transport(request):
            sent_here.append(request.operation)
            if len(sent_here) == 1:
                await gate.wait()  # the first request is held until the sender was cancelled
            return await asyncio.to_thread(stdlib, request)

        setup = csms.Client(**server.client_options())
        secret = name()
        setup.create_secret(name=secret, secret_string="one")
        setup.close()
        client = csms.AsyncClient(**server.client_options(transport=transport))
        cache = csms.AsyncSecretCache(client)
        first = asyncio.ensure_future(cache.get_secret_string(secret))   # sends the flight
        while not sent_here:
            await asyncio.sleep(0.001)
        second = asyncio.ensure_future(cache.get_secret_string(secret))  # waits for it
        await asyncio.sleep(0.01)
        first.cancel()
        await asyncio.sleep(0.01)
        gate.set()
        assert await second == "one"
        assert first.cancelled()
        assert sent_here == ["ShowSecretStage", "ShowSecretVersion"], "the flight went on, nothing sent twice"
        await cache.close()
        stdlib.close()

    asyncio.run(scenario())


def test_max_stale_bounds_what_an_outage_serves(server):
    client = csms.Client(**server.client_options(max_attempts=1))
    secret = name()
    client.create_secret(name=secret, secret_string="one")
    bounded = csms.SecretCache(client, ttl=0.3, max_stale=1.0)
    unbounded = csms.SecretCache(client, ttl=0.3, max_stale=None)
    assert bounded.get_secret_string(secret) == unbounded.get_secret_string(secret) == "one"
    server.set_faults("503=100%")
    try:
        time.sleep(0.3)
        assert bounded.get_secret_string(secret) == "one", "within max_stale: the last value"
        time.sleep(1.3)
        with pytest.raises(csms.ApiError) as raised:
            bounded.get_secret_string(secret)
        assert raised.value.status == 503, "past max_stale: the failure"
        assert unbounded.get_secret_string(secret) == "one", "no limit: still the last value"
    finally:
        server.set_faults(None)


class Interrupted(BaseException):
    """What a thread interrupted in the middle of a request raises (as KeyboardInterrupt)."""


def test_an_interrupted_sender_thread_hands_the_flight_to_a_waiter(server):
    """The thread sending the flight dies in its first request (an exception that is not a CSMS
    error): the flight is abandoned, and the thread waiting for it sends it again."""
    stdlib = csms.transports.StdlibTransport()
    waiting = threading.Event()

    def transport(request):
        if threading.current_thread().name == "sender":
            waiting.wait(10)
            time.sleep(0.05)  # the other reader is waiting for this flight by now
            raise Interrupted()
        return stdlib(request)

    setup = csms.Client(**server.client_options())
    secret = name()
    setup.create_secret(name=secret, secret_string="one")
    setup.close()
    cache = csms.SecretCache(csms.Client(**server.client_options(transport=transport)))
    outcomes = {}

    def read():
        try:
            outcomes[threading.current_thread().name] = cache.get_secret_string(secret)
        except Interrupted:
            outcomes[threading.current_thread().name] = "interrupted"

    sender = threading.Thread(target=read, name="sender", daemon=True)
    sender.start()
    time.sleep(0.05)
    waiter = threading.Thread(target=read, name="waiter", daemon=True)
    waiter.start()
    waiting.set()
    sender.join(10)
    waiter.join(10)
    assert outcomes == {"sender": "interrupted", "waiter": "one"}
    stdlib.close()


def test_versions_binary_values_and_absent_stages(server):
    client = csms.Client(**server.client_options())
    secret = name()
    client.create_secret(name=secret, secret_binary="AAEC/w==")
    with csms.SecretCache(client) as cache:
        assert cache.get_secret_binary(secret) == b"\x00\x01\x02\xff"
        assert cache.get_secret_string(secret) is None
        assert cache.get(secret, version_id="v1").version_metadata.id == "v1"
        # No SYSPREVIOUS nor SYSPENDING yet: accepted holds the current version alone.
        assert [v.version_metadata.id for v in cache.accepted(secret)] == ["v1"]
        with pytest.raises(csms.ApiError) as raised:
            cache.get(secret, stage="SYSPENDING")
        assert raised.value.status == 404
        with pytest.raises(csms.ValidationError) as both:
            cache.get(secret, stage="SYSCURRENT", version_id="v1")
        assert both.value.field == "version_id"
        cache.clear()
        assert len(cache) == 0


def test_options_are_checked():
    client = csms.Client(endpoint="http://127.0.0.1:9", project_id="p", ak="a", sk="s")
    for options, field in [({"ttl": 0}, "ttl"), ({"ttl": "5"}, "ttl"), ({"ttl": 86401}, "ttl"),
                           ({"max_entries": 0}, "max_entries"), ({"max_entries": True}, "max_entries"),
                           ({"max_stale": -1}, "max_stale")]:
        with pytest.raises(csms.ValidationError) as raised:
            csms.SecretCache(client, **options)
        assert raised.value.field == field, options
    csms.SecretCache(client, max_stale=None)  # no limit
    with pytest.raises(csms.ValidationError) as raised:
        csms.AsyncSecretCache(client)
    assert raised.value.field == "client"
