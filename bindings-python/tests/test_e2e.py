"""End to end against the emulator binary: the rotation flow through the high-level
methods, with the default transport, requests, httpx, and the async client."""

import asyncio
import itertools
import uuid

import pytest

import csms
from conftest import start_emulator
from csms import transports

_names = itertools.count()


def secret_name(tag):
    return f"py-{tag}-{next(_names)}-{uuid.uuid4().hex[:8]}"


def rotation_flow(client, emulator, tag):
    """The flow, synchronously; `client` is a csms.Client against the emulator."""
    name = secret_name(tag)
    created = client.create_secret(name=name, secret_string="first-value", description="made by pytest")
    assert isinstance(created, csms.CreateSecretResponse)
    assert created.secret.name == name
    assert created.secret.state == "ENABLED"
    assert created.secret.secret_type == "COMMON"

    shown = client.show_secret(secret_name=name)
    assert shown.secret.id == created.secret.id
    assert shown.secret.description == "made by pytest"

    updated = client.update_secret(secret_name=name, description="updated by pytest")
    assert updated.secret.description == "updated by pytest"

    version = client.create_secret_version(secret_name=name, secret_string="second-value")
    assert version.version_metadata.id == "v2"

    latest = client.show_secret_version(secret_name=name, version_id="latest")
    assert latest.version.secret_string == "second-value"
    assert "SYSCURRENT" in latest.version.version_metadata.version_stages
    assert "second-value" not in repr(latest)

    versions = client.list_secret_versions(secret_name=name)
    assert len(versions.version_metadatas) == 2
    assert sorted(v.id for v in versions.version_metadatas) == ["v1", "v2"]

    previous = client.show_secret_stage(secret_name=name, stage_name="SYSPREVIOUS")
    assert previous.stage.version_id == "v1"

    with pytest.raises(csms.ApiError) as rotate:
        client.rotate_secret(secret_name=name)
    assert rotate.value.status == 400
    assert rotate.value.request_id

    with pytest.raises(csms.ApiError) as missing:
        client.show_secret(secret_name=name + "-unknown")
    assert missing.value.status == 404
    assert missing.value.error_code == "CSMS.0106"

    assert client.delete_secret(secret_name=name) == csms.DeleteSecretResponse()
    with pytest.raises(csms.ApiError) as deleted:
        client.show_secret(secret_name=name)
    assert deleted.value.status == 404
    assert deleted.value.request_id


def wrong_key(emulator, **extra):
    return emulator.client_options(sk="not-the-secret-key", **extra)


def check_unauthorized(client):
    with pytest.raises(csms.ApiError) as denied:
        client.list_secrets()
    e = denied.value
    assert e.status == 401
    assert e.error_code == "APIGW.0301"
    assert len(e.request_id) == 32
    assert "401" in str(e) and e.request_id in str(e)


def test_rotation_flow_default_transport(emulator):
    with csms.Client(**emulator.client_options()) as client:
        rotation_flow(client, emulator, "std")
        # The connection was kept alive across the calls.
        assert sum(len(c) for c in client._transport._idle.values()) == 1
    check_unauthorized(csms.Client(**wrong_key(emulator)))


def test_rotation_flow_requests(emulator):
    requests = pytest.importorskip("requests")
    with requests.Session() as session:
        client = csms.Client(**emulator.client_options(), transport=transports.requests_transport(session))
        rotation_flow(client, emulator, "requests")
        check_unauthorized(csms.Client(**wrong_key(emulator), transport=transports.requests_transport(session)))


def test_rotation_flow_httpx(emulator):
    httpx = pytest.importorskip("httpx")
    with httpx.Client() as http:
        client = csms.Client(**emulator.client_options(), transport=transports.httpx_transport(http))
        rotation_flow(client, emulator, "httpx")


async def async_rotation_flow(client, tag):
    name = secret_name(tag)
    created = await client.create_secret(name=name, secret_string="first-value")
    assert created.secret.name == name
    assert (await client.show_secret(secret_name=name)).secret.state == "ENABLED"
    updated = await client.update_secret(secret_name=name, description="async")
    assert updated.secret.description == "async"
    assert (await client.create_secret_version(secret_name=name, secret_string="second")).version_metadata.id == "v2"
    latest = await client.show_secret_version(secret_name=name, version_id="latest")
    assert latest.version.secret_string == "second"
    assert "SYSCURRENT" in latest.version.version_metadata.version_stages
    assert len((await client.list_secret_versions(secret_name=name)).version_metadatas) == 2
    assert (await client.show_secret_stage(secret_name=name, stage_name="SYSPREVIOUS")).stage.version_id == "v1"
    with pytest.raises(csms.ApiError) as rotate:
        await client.rotate_secret(secret_name=name)
    assert rotate.value.status == 400
    with pytest.raises(csms.ApiError) as missing:
        await client.show_secret(secret_name=name + "-unknown")
    assert missing.value.status == 404
    # Concurrent calls share the transport.
    shown = await asyncio.gather(*(client.show_secret(secret_name=name) for _ in range(8)))
    assert all(s == shown[0] for s in shown)
    await client.delete_secret(secret_name=name)
    with pytest.raises(csms.ApiError) as deleted:
        await client.show_secret(secret_name=name)
    assert deleted.value.status == 404


def test_async_rotation_flow_default_transport(emulator):
    async def main():
        async with csms.AsyncClient(**emulator.client_options()) as client:
            await async_rotation_flow(client, "async")
            kind = type(client._transport).__name__
        async with csms.AsyncClient(**wrong_key(emulator)) as bad:
            with pytest.raises(csms.ApiError) as denied:
                await bad.list_secrets()
            assert denied.value.status == 401 and denied.value.request_id
        return kind

    kind = asyncio.run(main())
    # httpx is installed in the test venv, so the default is httpx.AsyncClient.
    assert kind == "_HttpxAsyncTransport"


def test_async_rotation_flow_threaded_stdlib(emulator):
    async def main():
        async with csms.AsyncClient(**emulator.client_options(), transport=transports.ThreadedTransport()) as client:
            await async_rotation_flow(client, "thread")

    asyncio.run(main())


def test_default_async_transport_without_httpx(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "httpx" else real(name, *a))
    assert isinstance(transports.default_async_transport(), transports.ThreadedTransport)


def test_paginate(emulator):
    client = csms.Client(**emulator.client_options(project_id=emulator.project_id))
    prefix = secret_name("page")
    names = [f"{prefix}-{i}" for i in range(5)]
    for n in names:
        client.create_secret(name=n, secret_string="x")
    try:
        seen = []
        pages = 0
        for page in client.paginate("ListSecrets", limit="2"):
            assert isinstance(page, csms.ListSecretsResponse)
            pages += 1
            seen.extend(s.name for s in page.secrets)
        assert [n for n in seen if n.startswith(prefix)] == names
        assert pages >= 3

        async def collect():
            async with csms.AsyncClient(**emulator.client_options()) as aclient:
                return [s.name async for page in aclient.paginate("ListSecrets", {"limit": "2"}) for s in page.secrets]

        assert asyncio.run(collect()) == seen
        # Versions page with an integer limit.
        client.create_secret_version(secret_name=names[0], secret_string="y")
        ids = [v.id for p in client.paginate("ListSecretVersions", secret_name=names[0], limit=1)
               for v in p.version_metadatas]
        assert ids == ["v1", "v2"]
    finally:
        for n in names:
            client.delete_secret(secret_name=n)


def test_paginate_items_yields_every_item_of_every_page():
    server = start_emulator()  # of its own: exactly these five secrets
    try:
        sent = []
        client = csms.Client(**server.client_options(debug_hook=sent.append))
        names = [f"item-{i}" for i in range(5)]
        for n in names:
            client.create_secret(name=n, secret_string="x")
        pages = client.paginate("ListSecrets", limit=2)
        assert isinstance(pages, csms.Pages)
        assert [len(page.secrets or []) for page in pages] == [2, 2, 1]
        before = len(sent)
        items = list(client.paginate("ListSecrets", limit=2).items())
        assert len(sent) - before == 3
        assert all(isinstance(s, csms.Secret) for s in items) and sorted(s.name for s in items) == names
        pages = client.paginate("ListSecrets", limit=2)
        assert next(pages).secrets is not None  # still an iterator of pages

        async def collect():
            async with csms.AsyncClient(**server.client_options(debug_hook=sent.append)) as aclient:
                pages = aclient.paginate("ListSecrets", limit=2)
                assert isinstance(pages, csms.AsyncPages)
                sizes = [len(page.secrets or []) async for page in pages]
                before = len(sent)
                items = [s.name async for s in aclient.paginate("ListSecrets", limit=2).items()]
                return sizes, items, len(sent) - before

        assert asyncio.run(collect()) == ([2, 2, 1], [s.name for s in items], 3)
        versions = client.paginate("ListSecretVersions", secret_name="item-0", limit=1).items()
        assert [v.id for v in versions] == ["v1"]
    finally:
        server.stop()


def test_paginate_refuses_operations_that_do_not_page(emulator):
    client = csms.Client(**emulator.client_options())
    with pytest.raises(csms.ValidationError) as e:
        client.paginate("ShowSecret", secret_name="x")
    assert e.value.field == "operation"


def test_token_and_user_agent_reach_the_server(emulator):
    seen = []

    def spy(request):
        seen.append(request)
        return transports.StdlibTransport()(request)

    client = csms.Client(**emulator.client_options(), transport=spy, user_agent="my-app/2")
    client.list_secrets(limit=1)
    assert seen[0].headers["User-Agent"] == f"{csms.USER_AGENT}; my-app/2"
    assert seen[0].idempotent is True and seen[0].operation == "ListSecrets"


def test_stale_keep_alive_connection_is_replaced(emulator):
    transport = transports.StdlibTransport()
    client = csms.Client(**emulator.client_options(), transport=transport)
    client.list_secrets()
    # Close the kept connection behind the transport's back, as a server's idle timeout does.
    for conns in transport._idle.values():
        for conn in conns:
            conn.sock.close()
    client.list_secrets()
    transport.close()


def test_connection_refused_is_a_transport_error_not_sent():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = csms.Client(endpoint=f"http://127.0.0.1:{port}", project_id="p", ak="AK", sk="SK", timeout=2)
    with pytest.raises(csms.TransportError) as e:
        client.list_secrets()
    assert e.value.maybe_sent is False and e.value.timed_out is False
    assert "connect" in str(e.value)


def test_read_timeout_is_a_transport_error_maybe_sent():
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    client = csms.Client(endpoint=f"http://127.0.0.1:{server.getsockname()[1]}", project_id="p", ak="AK", sk="SK",
                         connect_timeout=2, timeout=0.3)
    try:
        with pytest.raises(csms.TransportError) as e:
            client.list_secrets()
        assert e.value.maybe_sent is True and e.value.timed_out is True
    finally:
        server.close()
        for conn, _ in accepted:
            conn.close()
