"""The limit on the response body every transport of the package reads (`max_response_bytes`,
16 MiB by default): against a server on 127.0.0.1 that sends an endless body (with and without
chunked encoding), one that announces a huge Content-Length, and one a byte over the limit, each
transport ends the call at once with the core's TransportError (may have been sent, not timed
out, not retried), closes the connection, and keeps its memory bounded; a body at the limit is
read."""

import asyncio
import socket
import threading
import time
import tracemalloc

import pytest

import csms
from csms import transports

MIB = 1024 * 1024
LIMIT = 100_000
FAST = {"backoff_base": 0.005, "backoff_cap": 0.05}


def page(size):
    """A ListSecrets result of exactly `size` bytes (JSON padded with spaces)."""
    body = b'{"secrets": [], "page_info": {"current_count": 0}}'
    return body + b" " * (size - len(body))


class Server:
    """A server on 127.0.0.1 answering every request with `kind`: `endless` (no Content-Length,
    a body until the connection closes), `chunked` (a chunked body that never ends), `lying` (a
    Content-Length of 1 TB, then 10 bytes and nothing), or an int (a body of that many bytes).
    `connections` counts the connections; `closed` is set when the client closed one."""

    def __init__(self, kind):
        self.kind = kind
        self.connections = 0
        self.closed = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.endpoint = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.conns.append(conn)
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            block = b"x" * 65536
            if self.kind == "endless":
                conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
                while True:
                    conn.sendall(block)
            elif self.kind == "chunked":
                conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                while True:
                    conn.sendall(b"%x\r\n%s\r\n" % (len(block), block))
            elif self.kind == "short":  # 18 bytes of the 100 announced, then the end of the stream
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nnot the whole body")
                conn.shutdown(socket.SHUT_WR)
            elif self.kind == "lying":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n0123456789")
            else:
                body = page(self.kind)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            while conn.recv(65536):  # until the client closes it
                pass
            self.closed.set()
        except OSError:
            self.closed.set()

    def close(self):
        self.sock.close()
        for conn in self.conns:
            conn.close()


@pytest.fixture(params=["endless", "chunked", "lying", LIMIT + 1])
def huge(request):
    server = Server(request.param)
    yield server
    server.close()


SYNC = {
    "stdlib": transports.StdlibTransport,
    "requests": transports.requests_transport,
    "httpx": transports.httpx_transport,
}
ASYNC = {
    "httpx": transports.httpx_async_transport,
    "threaded": transports.ThreadedTransport,
}


def made(table, name, **options):
    if name in ("requests", "httpx"):
        pytest.importorskip(name)
    return table[name](timeout=10, **options)


def call(server, transport, asynchronous=False, **options):
    """The outcome of a ListSecrets call (idempotent: failures are normally retried) through
    `transport` to `server`, the seconds it took, and the peak of Python's allocations."""
    options = {"endpoint": server.endpoint, "project_id": "p", "ak": "AK", "sk": "SK", "transport": transport,
               **FAST, **options}

    async def run_async():
        async with csms.AsyncClient(**options) as client:
            try:
                return await client.list_secrets()
            finally:
                await transport.aclose()

    def run():
        with csms.Client(**options) as client:
            try:
                return client.list_secrets()
            finally:
                transport.close()

    tracemalloc.start()
    started = time.monotonic()
    try:
        outcome = asyncio.run(run_async()) if asynchronous else run()
    except csms.TransportError as e:
        outcome = e
    finally:
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return outcome, elapsed, peak


def check_refused(server, outcome, elapsed, peak, limit=LIMIT):
    assert isinstance(outcome, csms.TransportError), outcome
    assert outcome.reason == f"the response body exceeded {limit} bytes"
    assert (outcome.maybe_sent, outcome.timed_out) == (True, False)
    assert outcome.not_retried == "a response over the limit would be over it again"
    assert elapsed < 5, elapsed
    assert peak < limit + 4 * MIB, peak
    assert server.connections == 1, "not retried"
    assert server.closed.wait(5), "the connection is closed"


@pytest.mark.parametrize("name", list(SYNC))
def test_each_transport_stops_reading_at_its_limit(name, huge):
    transport = made(SYNC, name, max_response_bytes=LIMIT)
    check_refused(huge, *call(huge, transport))


@pytest.mark.parametrize("name", list(ASYNC))
def test_each_async_transport_stops_reading_at_its_limit(name, huge):
    transport = made(ASYNC, name, max_response_bytes=LIMIT)
    check_refused(huge, *call(huge, transport, asynchronous=True))


@pytest.mark.parametrize("name", list(SYNC) + [f"async-{n}" for n in ASYNC])
def test_a_body_at_the_limit_is_read(name):
    server = Server(LIMIT)
    try:
        asynchronous = name.startswith("async-")
        transport = made(ASYNC if asynchronous else SYNC, name.removeprefix("async-"), max_response_bytes=LIMIT)
        outcome, _, _ = call(server, transport, asynchronous)
        assert outcome.secrets == [], outcome
    finally:
        server.close()


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_the_default_transport_takes_the_clients_limit_16_mib_by_default(asynchronous):
    options = {"endpoint": "http://127.0.0.1:1", "project_id": "p", "ak": "AK", "sk": "SK"}
    kind = csms.AsyncClient if asynchronous else csms.Client
    assert transports.MAX_RESPONSE_BYTES == 16 * MIB
    assert kind(**options).max_response_bytes == 16 * MIB
    assert kind(**options)._default_transport()._max_response_bytes == 16 * MIB
    client = kind(**options, max_response_bytes=LIMIT)
    assert client._default_transport()._max_response_bytes == LIMIT
    server = Server("chunked")
    try:
        options["endpoint"] = server.endpoint
        transport = client._default_transport()
        check_refused(server, *call(server, transport, asynchronous, max_response_bytes=LIMIT))
    finally:
        server.close()


def test_an_endless_body_ends_at_16_mib_by_default():
    server = Server("endless")
    try:
        check_refused(server, *call(server, transports.StdlibTransport(timeout=10)), limit=16 * MIB)
    finally:
        server.close()


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1024"])
def test_a_limit_that_is_not_a_whole_number_above_0_is_refused(bad):
    with pytest.raises(csms.ValidationError) as e:
        csms.Client(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK", max_response_bytes=bad)
    assert e.value.field == "max_response_bytes" and "above 0" in e.value.reason
    for make in [transports.StdlibTransport, transports.ThreadedTransport, transports.requests_transport,
                 transports.httpx_transport, transports.httpx_async_transport]:
        with pytest.raises(csms.ValidationError) as e:
            make(max_response_bytes=bad)
        assert e.value.field == "max_response_bytes" and "above 0" in e.value.reason


def test_a_custom_transport_that_says_why_not_to_retry_is_not_retried():
    attempts = []

    def refuses(request):
        attempts.append(request)
        raise csms.TransportError("too much", maybe_sent=True, not_retried="it would be too much again")

    client = csms.Client(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK", transport=refuses, **FAST)
    with pytest.raises(csms.TransportError) as e:
        client.list_secrets()
    assert e.value.not_retried == "it would be too much again" and len(attempts) == 1


@pytest.mark.parametrize("name", list(SYNC) + [f"async-{n}" for n in ASYNC])
def test_a_body_cut_short_of_its_content_length_is_a_transport_error(name):
    server = Server("short")
    try:
        asynchronous = name.startswith("async-")
        transport = made(ASYNC if asynchronous else SYNC, name.removeprefix("async-"))
        outcome, _, _ = call(server, transport, asynchronous, max_attempts=1)
        assert isinstance(outcome, csms.TransportError) and outcome.maybe_sent, outcome
    finally:
        server.close()
