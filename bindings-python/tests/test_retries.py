"""Retries, timeouts and clock skew through the package's one retry loop (csms.transports),
against emulator processes that inject faults (emulator/README.md, "Fault injection").

- 1,000 mixed calls with the default transport through ~20% faults (and 200 with the async
  client): idempotent calls fail only when every attempt failed (~0.2³ = 0.8% of them), no
  RotateSecret or CreateSecretVersion is applied twice for one call (the emulator counts), and
  every failure carries its last status and request id, or maybe_sent and not_retried.
- One fault kind at 100%: the number of attempts is exact, withheld retries are said.
- A server clock 30 minutes behind: one corrected retry, and the offset is kept.
- Timeouts: a server that never answers, one that answers too slowly, one that cannot be
  connected to, refused connections; `timed_out` says which failures were timeouts, with every
  transport of the package. An httpx pool timeout was never sent: even a rotation is resent.
"""

import asyncio
import socket
import threading
import time
from collections import Counter

import pytest
from conftest import start_emulator

import csms
from csms import transports

SECRETS = ("db", "app1", "app2")
FAULTS = "503=8%,429=4%,retry-after=0,close-before=4%,close-after=4%"
FAST = {"backoff_base": 0.005, "backoff_cap": 0.05}


@pytest.fixture
def data_file(tmp_path):
    """An emulator state file holding the secrets of these tests (made without faults)."""
    path = tmp_path / "state.json"
    server = start_emulator("--data", str(path))
    try:
        client = csms.Client(**server.client_options())
        client.create_secret(name="db", secret_type="RDS-FG", secret_string='{"username":"app","password":"initial"}')
        for name in ("app1", "app2"):
            client.create_secret(name=name, secret_string="v0")
        client.close()
    finally:
        server.stop()
    return path


def faulty(data_file, faults):
    """An emulator over the state of `data_file`, injecting `faults`."""
    return start_emulator("--data", str(data_file), "--faults", faults)


def call_for(n):
    """The n-th call of the mix: (operation name, secret, keyword arguments)."""
    h = (n * 0x9E3779B97F4A7C15 % (1 << 64)) >> 40
    secret = SECRETS[h % 3]
    kind = (h // 3) % 8
    if kind == 0:
        return "ShowSecret", secret, {"secret_name": secret}
    if kind == 1:
        return "ShowSecretVersion", secret, {"secret_name": secret, "version_id": "latest"}
    if kind == 2:
        return "ListSecretVersions", secret, {"secret_name": secret, "limit": 10}
    if kind == 3:
        return "UpdateSecret", secret, {"secret_name": secret, "description": f"call {n}"}
    if kind == 4:
        return "CreateSecretVersion", secret, {"secret_name": secret, "secret_string": f"value {n}"}
    if kind in (5, 6):  # the RDS-FG secret rotates; the COMMON ones are refused with a 400
        return "RotateSecret", "db", {"secret_name": "db"}
    return "RotateSecret", secret, {"secret_name": secret}


IDEMPOTENT = {name: idempotent for name, _, _, idempotent, _, _ in csms._native.operations()}


def method(client, operation):
    return getattr(client, csms._models.METHODS[operation])


def check_mixed_run(server, results):
    """The assertions of issue 8 over `results`: [(operation, secret, result or error)]."""
    calls, succeeded, maybe_sent, failures = Counter(), Counter(), Counter(), Counter()
    for op, secret, outcome in results:
        calls[op, secret] += 1
        if not isinstance(outcome, csms.CsmsError):
            succeeded[op, secret] += 1
            continue
        if isinstance(outcome, csms.ApiError):
            assert outcome.request_id, f"{op} on {secret}: an API error without a request id: {outcome}"
            if outcome.status in (429, 503):
                assert outcome.error_code == f"CSMS.0{outcome.status}", outcome
                if not IDEMPOTENT[op]:
                    assert f"{op} is not idempotent" in outcome.not_retried, outcome
                    assert "not retried" in str(outcome)
            else:
                # RotateSecret of a COMMON secret: refused, never retried.
                assert (outcome.status, op) == (400, "RotateSecret") and secret != "db", outcome
                assert outcome.not_retried is None
        elif isinstance(outcome, csms.TransportError):
            # Every injected close comes after the whole request was written.
            assert outcome.maybe_sent is True, outcome
            assert outcome.timed_out is False, outcome
            maybe_sent[op, secret] += 1
            if not IDEMPOTENT[op]:
                assert f"{op} is not idempotent" in outcome.not_retried, outcome
        else:
            raise AssertionError(f"{op} on {secret}: unexpected {outcome!r}")
        failures[op, secret] += 1

    idempotent_calls = sum(n for (op, _), n in calls.items() if IDEMPOTENT[op])
    idempotent_failures = sum(n for (op, _), n in failures.items() if IDEMPOTENT[op])
    # Only a run of three faults makes an idempotent call fail (~0.8%); allow up to 3%.
    assert idempotent_calls > len(results) * 0.4, calls
    assert idempotent_failures * 100 <= idempotent_calls * 3, (idempotent_failures, idempotent_calls, failures)

    # Non-idempotent calls: at most once each. Applied at least by every success, at most by
    # the successes plus the calls that may have reached the server.
    for secret in SECRETS:
        applied = server.applied(secret)
        for op in ("RotateSecret", "CreateSecretVersion"):
            assert succeeded[op, secret] <= applied[op] <= succeeded[op, secret] + maybe_sent[op, secret], (
                op, secret, applied, succeeded, maybe_sent)
    assert server.applied("app1")["RotateSecret"] == 0

    stats = server.get("/_emulator/faults")
    faults = stats["unavailable"] + stats["throttled"] + stats["closed_before"] + stats["closed_after"]
    assert stats["requests"] >= len(results) + 2 * idempotent_failures, stats
    assert 0.15 * stats["requests"] <= faults <= 0.25 * stats["requests"], stats
    return stats, idempotent_failures, idempotent_calls


def test_a_thousand_calls_through_twenty_percent_faults(data_file):
    server = faulty(data_file, f"seed=20261123,{FAULTS}")
    try:
        client = csms.Client(**server.client_options(), **FAST)  # the default transport
        results = []
        for n in range(1000):
            op, secret, kwargs = call_for(n)
            try:
                results.append((op, secret, method(client, op)(**kwargs)))
            except csms.CsmsError as e:
                results.append((op, secret, e))
        client.close()
        stats, failed, idempotent = check_mixed_run(server, results)
        print(f"1000 calls, {stats['requests']} requests, {failed} of {idempotent} idempotent calls failed: {stats}")
    finally:
        server.stop()


def test_async_calls_through_twenty_percent_faults(data_file):
    server = faulty(data_file, f"seed=7,{FAULTS}")

    async def run():
        async with csms.AsyncClient(**server.client_options(), **FAST) as client:  # httpx

            async def worker(first):
                out = []
                for n in range(first, first + 50):
                    op, secret, kwargs = call_for(n)
                    try:
                        out.append((op, secret, await method(client, op)(**kwargs)))
                    except csms.CsmsError as e:
                        out.append((op, secret, e))
                return out

            parts = await asyncio.gather(*(worker(w * 50) for w in range(4)))
            return [r for part in parts for r in part]

    try:
        results = asyncio.run(run())
        assert len(results) == 200
        check_mixed_run(server, results)
    finally:
        server.stop()


@pytest.mark.parametrize("faults", ["503=100%", "429=100%,retry-after=0", "close-before=100%", "close-after=100%"])
def test_idempotent_calls_fail_only_after_every_attempt(data_file, faults):
    server = faulty(data_file, faults)
    try:
        client = csms.Client(**server.client_options(), max_attempts=4, **FAST)
        with pytest.raises(csms.CsmsError) as e:
            client.show_secret_version(secret_name="db", version_id="latest")
        assert server.requests() == 4
        error = e.value
        if faults.startswith("close"):
            assert isinstance(error, csms.TransportError) and error.maybe_sent is True, error
            assert error.timed_out is False, error
        else:
            assert isinstance(error, csms.ApiError) and faults.startswith(str(error.status)), error
            assert error.request_id
        assert error.not_retried is None
    finally:
        server.stop()


@pytest.mark.parametrize("faults, applied", [("503=100%", 0), ("close-before=100%", 0), ("close-after=100%", 1)])
def test_a_withheld_retry_is_said_and_the_call_applied_at_most_once(data_file, faults, applied):
    server = faulty(data_file, faults)
    try:
        client = csms.Client(**server.client_options(), **FAST)
        for op, secret, call in [("RotateSecret", "db", lambda: client.rotate_secret(secret_name="db")),
                                 ("CreateSecretVersion", "app1",
                                  lambda: client.create_secret_version(secret_name="app1", secret_string="x"))]:
            before = server.requests()
            with pytest.raises(csms.CsmsError) as e:
                call()
            assert server.requests() == before + 1, "one attempt only"
            assert server.applied(secret)[op] == applied
            error = e.value
            assert error.not_retried.startswith(f"{op} is not idempotent"), error
            assert f"not retried: {op} is not idempotent" in str(error)
            if isinstance(error, csms.ApiError):
                assert (error.status, error.request_id != "") == (503, True)
                assert "may have applied it" in error.not_retried
            else:
                assert isinstance(error, csms.TransportError) and error.maybe_sent is True
                assert "may have reached the server" in error.not_retried
    finally:
        server.stop()


def api_error_of(server, call, **options):
    """The ApiError a client of `server` (with `options`) raises in `call(client)`."""
    client = csms.Client(**server.client_options(), **FAST, **options)
    with pytest.raises(csms.ApiError) as e:
        call(client)
    return e.value


def test_a_429_is_retried_even_for_a_rotation(data_file):
    server = faulty(data_file, "429=100%,retry-after=0")
    try:
        error = api_error_of(server, lambda client: client.rotate_secret(secret_name="db"))
        assert server.requests() == 3, "throttling refuses a request before it is applied: every attempt"
        assert server.applied("db")["RotateSecret"] == 0
        assert (error.status, error.not_retried, error.retry_after) == (429, None, 0.0)
    finally:
        server.stop()


def test_a_retry_after_beyond_max_retry_after_ends_the_call_and_is_reported(data_file, monkeypatch):
    server = faulty(data_file, "429=100%,retry-after=120")
    show = lambda client: client.show_secret(secret_name="db")  # noqa: E731
    try:
        error = api_error_of(server, show)
        assert server.requests() == 1, "not retried earlier than asked"
        assert error.retry_after == 120.0
        assert "120 s (Retry-After)" in error.not_retried and "max_retry_after" in error.not_retried
        assert error.request_id
        # Up to max_retry_after, the wait is what the server asked.
        waits = []
        monkeypatch.setattr(transports.time, "sleep", waits.append)
        error = api_error_of(server, show, max_retry_after=300)
        monkeypatch.undo()
        assert waits == [120.0, 120.0] and error.not_retried is None
    finally:
        server.stop()


@pytest.mark.parametrize("name", ["stdlib", "requests", "httpx"])
def test_a_request_the_http_stack_refuses_is_never_sent_nor_retried(name):
    inner = transport_named(SYNC_TRANSPORTS, name)
    attempts = []

    class WithABadHeader:
        def __call__(self, request):
            attempts.append(request)
            request.headers["X-Bad"] = "a\r\nX-Injected: 1"
            return inner(request)

        def close(self):
            inner.close()

    with_a_bad_header = WithABadHeader()

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        error, _ = call_sync(port, with_a_bad_header, max_attempts=3)
        # http.client connects before it checks the headers: a connection, but not a byte.
        listener.settimeout(0.2)
        while True:
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                break
            with conn:
                conn.settimeout(0.2)
                try:
                    assert conn.recv(1) == b"", "a request was sent"
                except socket.timeout:
                    pass
    assert len(attempts) == 1, "never retried"
    assert error.maybe_sent is False and error.not_retried == transports.UNSENDABLE, error
    assert "X-Injected" not in str(error)


def test_a_transport_failure_with_not_retried_ends_the_call():
    attempts = []

    def refusing(request):
        attempts.append(request)
        raise csms.TransportError("bad header", maybe_sent=False, not_retried="cannot be sent as it is")

    client = csms.Client(region="cn-north-4", project_id="p", ak="AK", sk="SK", transport=refusing, **FAST)
    with pytest.raises(csms.TransportError) as e:
        client.show_secret(secret_name="db")
    assert len(attempts) == 1
    assert (e.value.maybe_sent, e.value.not_retried) == (False, "cannot be sent as it is")


def test_paginate_stops_on_a_marker_seen_before():
    pages = {None: "a", "a": "b", "b": "a"}
    sent = []

    def cycling(request):
        from urllib.parse import parse_qs, urlsplit

        marker = parse_qs(urlsplit(request.url).query).get("marker", [None])[0]
        sent.append(marker)
        body = '{"secrets": [{"name": "s"}], "page_info": {"next_marker": "%s"}}' % pages[marker]
        return (200, {}, body.encode())

    client = csms.Client(region="cn-north-4", project_id="p", ak="AK", sk="SK", transport=cycling)
    assert len(list(client.paginate("ListSecrets", limit="1"))) == 3
    assert sent == [None, "a", "b"]


def test_a_server_clock_beyond_max_clock_offset_is_not_followed(monkeypatch):
    monkeypatch.setattr(transports, "now", lambda: 1795435200.0)  # 2026-11-23 12:00:00 UTC
    server_date = ["Fri, 23 Nov 2046 12:00:00 GMT"]  # 20 years ahead
    seen = []

    def server(request):
        seen.append(request.headers["X-Sdk-Date"])
        if server_date[0] is None:
            return (200, {}, b'{"secret": {"name": "db"}}')
        return (401, {"Date": server_date[0]}, b'{"error_code":"APIGW.0301","error_msg":"signature expired"}')

    client = csms.Client(region="cn-north-4", project_id="p", ak="AK", sk="SK", transport=server, **FAST)
    with pytest.raises(csms.ApiError) as e:
        client.show_secret(secret_name="db")
    assert len(seen) == 1 and client.clock_offset == 0
    assert "max_clock_offset" in e.value.not_retried
    server_date[0] = None
    client.show_secret(secret_name="db")
    # A wider bound follows it.
    server_date[0] = "Fri, 23 Nov 2046 12:00:00 GMT"
    seen.clear()
    wide = csms.Client(region="cn-north-4", project_id="p", ak="AK", sk="SK", transport=server, **FAST,
                       max_clock_offset=30 * 366 * 86400)
    with pytest.raises(csms.ApiError):
        wide.show_secret(secret_name="db")
    assert seen[1] == "20461123T120000Z" and wide.clock_offset > 0
    with pytest.raises(csms.ValidationError) as e:
        csms.Client(region="cn-north-4", project_id="p", ak="AK", sk="SK", max_clock_offset=-1)
    assert e.value.field == "max_clock_offset"


# The emulator counts requests only while it injects something: a 1-in-a-million rate (that
# this seed never draws) turns the counting on.
CLOCK_BEHIND = "seed=1,503=0.0001%,clock-offset=-1800"


def test_a_server_clock_half_an_hour_behind_costs_one_retry_once(data_file):
    server = faulty(data_file, CLOCK_BEHIND)
    try:
        client = csms.Client(**server.client_options(), **FAST)
        assert client.clock_offset == 0
        # A refused signature is safe to resend, even for a rotation: applied once.
        client.rotate_secret(secret_name="db")
        assert server.requests() == 2, "the refused attempt and the corrected one"
        assert -1810 <= client.clock_offset <= -1790
        client.rotate_secret(secret_name="db")
        assert server.requests() == 3, "the next call is signed with the offset at once"
        assert server.applied("db")["RotateSecret"] == 2
        assert server.get("/_emulator/faults")["unavailable"] == 0
    finally:
        server.stop()


def test_a_clock_that_is_off_with_retries_turned_off_fails_with_the_refusal(data_file):
    server = faulty(data_file, CLOCK_BEHIND)
    try:
        client = csms.Client(**server.client_options(), max_attempts=1)
        with pytest.raises(csms.ApiError) as e:
            client.show_secret(secret_name="db")
        assert e.value.status == 401 and e.value.request_id
        assert server.requests() == 1
    finally:
        server.stop()


# ------------------------------------------------------------------------------------------
# Timeouts and transport failures


def silent_server(drip=None, answer=b"", hang_up=False, accepted=None):
    """A listening socket that accepts connections and never answers (or, with `drip`, answers
    a valid response one byte every `drip` seconds; with `answer`, sends it at once and then
    nothing, or with `hang_up` closes the connection). The connections it accepts are appended
    to `accepted` (a list) when given. Returns (port, close)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = [] if accepted is None else accepted
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)
            if answer:
                conn.sendall(answer)
            if hang_up:
                conn.close()
            if drip:
                body = b'{"secrets": [], "page_info": {"current_count": 0}}'
                head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                for byte in head + body:
                    if stop.wait(drip):
                        return
                    try:
                        conn.send(bytes([byte]))
                    except OSError:
                        break

    threading.Thread(target=serve, daemon=True).start()

    def close():
        stop.set()
        server.close()
        for conn in accepted:
            conn.close()

    return server.getsockname()[1], close


def test_the_default_timeouts_are_those_of_the_core():
    client = csms.Client(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK")
    transport = client._default_transport()
    assert (transport._connect_timeout, transport._timeout) == (10.0, 60.0)
    assert (transports.CONNECT_TIMEOUT, transports.TIMEOUT) == (10.0, 60.0)


def test_a_server_that_never_answers_times_out_maybe_sent():
    port, close = silent_server()
    try:
        client = csms.Client(endpoint=f"http://127.0.0.1:{port}", project_id="p", ak="AK", sk="SK",
                             timeout=0.3, max_attempts=2, **FAST)
        started = time.monotonic()
        with pytest.raises(csms.TransportError) as e:
            client.rotate_secret(secret_name="db")
        elapsed = time.monotonic() - started
        assert e.value.maybe_sent is True and e.value.timed_out is True
        assert "within 0.3 s" in e.value.reason
        assert e.value.not_retried.startswith("RotateSecret is not idempotent")
        assert 0.3 <= elapsed < 1.5, elapsed  # one attempt: a rotation is not resent
        started = time.monotonic()
        with pytest.raises(csms.TransportError) as e:
            client.list_secrets()
        assert 0.6 <= time.monotonic() - started < 2.5, "two attempts of 0.3 s"
        assert e.value.not_retried is None and e.value.timed_out is True
    finally:
        close()


def test_the_timeout_bounds_the_whole_request_not_each_read():
    port, close = silent_server(drip=0.05)  # ~100 bytes: 5 s in all, each byte well within 0.5 s
    try:
        client = csms.Client(endpoint=f"http://127.0.0.1:{port}", project_id="p", ak="AK", sk="SK",
                             timeout=0.5, max_attempts=1)
        started = time.monotonic()
        with pytest.raises(csms.TransportError) as e:
            client.list_secrets()
        assert 0.5 <= time.monotonic() - started < 1.5
        assert e.value.maybe_sent is True and e.value.timed_out is True
    finally:
        close()


def test_the_async_timeout_bounds_the_whole_request_whatever_the_transport():
    port, close = silent_server(drip=0.05)  # ~100 bytes: 5 s in all, each byte well within 0.5 s

    async def never_answers(request):
        await asyncio.sleep(3600)

    async def call(transport):
        async with csms.AsyncClient(endpoint=f"http://127.0.0.1:{port}", project_id="p", ak="AK", sk="SK",
                                    timeout=0.5, max_attempts=1, transport=transport) as client:
            started = time.monotonic()
            with pytest.raises(csms.TransportError) as e:
                await client.list_secrets()
            return time.monotonic() - started, e.value

    try:
        # The default (httpx, whose own timeouts bound each read), httpx's and the threaded
        # standard library with timeouts of their own far longer, and a transport of yours.
        for transport in (None, transports.httpx_async_transport(timeout=30),
                          transports.ThreadedTransport(timeout=2), never_answers):
            elapsed, error = asyncio.run(call(transport))
            assert 0.5 <= elapsed < 1.5, (transport, elapsed)
            assert error.maybe_sent is True and "within 0.5 s" in error.reason, error
            assert error.timed_out is True, (transport, error)
    finally:
        close()


# The transports of the package, made with the given timeouts (seconds).
SYNC_TRANSPORTS = {
    "stdlib": lambda connect_timeout, timeout: transports.StdlibTransport(connect_timeout=connect_timeout,
                                                                          timeout=timeout),
    "requests": lambda connect_timeout, timeout: transports.requests_transport(connect_timeout=connect_timeout,
                                                                               timeout=timeout),
    "httpx": lambda connect_timeout, timeout: transports.httpx_transport(connect_timeout=connect_timeout,
                                                                         timeout=timeout),
}
ASYNC_TRANSPORTS = {
    "httpx": lambda connect_timeout, timeout: transports.httpx_async_transport(connect_timeout=connect_timeout,
                                                                               timeout=timeout),
    "threaded": lambda connect_timeout, timeout: transports.ThreadedTransport(connect_timeout=connect_timeout,
                                                                              timeout=timeout),
}


def transport_named(table, name, connect_timeout=5.0, timeout=5.0):
    if name in ("requests", "httpx"):
        pytest.importorskip(name)
    return table[name](connect_timeout, timeout)


def full_backlog():
    """A listening socket whose backlog is full, so that connecting to it times out (the kernel
    drops the connection requests). Returns (port, close); skips the test on a system that
    accepts connections beyond the backlog."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    held = []

    def close():
        for conn in held:
            conn.close()
        server.close()

    for _ in range(8):
        probe = socket.socket()
        probe.settimeout(0.2)
        try:
            probe.connect(("127.0.0.1", port))
        except (socket.timeout, TimeoutError):
            probe.close()
            return port, close
        held.append(probe)  # it fills the backlog
    close()
    pytest.skip("this system accepts connections beyond a listening socket's backlog")


def call_sync(port, transport, **options):
    """The error of a ListSecrets call through `transport` to 127.0.0.1:`port`, and the seconds
    it took."""
    client = csms.Client(endpoint=f"http://127.0.0.1:{port}", project_id="p", ak="AK", sk="SK",
                         transport=transport, **FAST, **options)
    started = time.monotonic()
    try:
        with pytest.raises(csms.TransportError) as e:
            client.list_secrets()
        return e.value, time.monotonic() - started
    finally:
        client.close()
        transport.close()


def call_async(port, transport, **options):
    """`call_sync` through an AsyncClient."""

    async def call():
        async with csms.AsyncClient(endpoint=f"http://127.0.0.1:{port}", project_id="p", ak="AK", sk="SK",
                                    transport=transport, **FAST, **options) as client:
            started = time.monotonic()
            with pytest.raises(csms.TransportError) as e:
                await client.list_secrets()
            await transport.aclose()
            return e.value, time.monotonic() - started

    return asyncio.run(call())


# A response whose head comes and whose body never does.
HEAD_ONLY = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"


@pytest.mark.parametrize("answer", [b"", HEAD_ONLY], ids=["no-head", "no-body"])
@pytest.mark.parametrize("name", list(SYNC_TRANSPORTS))
def test_each_transport_reports_its_own_timeout_as_timed_out(name, answer):
    port, close = silent_server(answer=answer)
    try:
        transport = transport_named(SYNC_TRANSPORTS, name, timeout=0.3)
        error, elapsed = call_sync(port, transport, max_attempts=1)
        assert (error.timed_out, error.maybe_sent) == (True, True), error
        assert elapsed < 2, elapsed
    finally:
        close()


@pytest.mark.parametrize("answer", [b"", HEAD_ONLY], ids=["no-head", "no-body"])
@pytest.mark.parametrize("name", list(ASYNC_TRANSPORTS))
def test_each_async_transport_reports_its_own_timeout_as_timed_out(name, answer):
    port, close = silent_server(answer=answer)
    try:
        # The transport's timeout, not the AsyncClient's deadline (far later), ends the attempt.
        transport = transport_named(ASYNC_TRANSPORTS, name, timeout=0.3)
        error, elapsed = call_async(port, transport, max_attempts=1, timeout=30)
        assert (error.timed_out, error.maybe_sent) == (True, True), error
        assert "within 30" not in error.reason, error
        assert elapsed < 2, elapsed
    finally:
        close()


@pytest.mark.parametrize("name", list(SYNC_TRANSPORTS) + [f"async-{n}" for n in ASYNC_TRANSPORTS])
def test_a_connect_timeout_is_timed_out_and_never_sent(name):
    port, close = full_backlog()
    try:
        if name.startswith("async-"):
            transport = transport_named(ASYNC_TRANSPORTS, name[6:], connect_timeout=0.2)
            error, elapsed = call_async(port, transport, max_attempts=2)
        else:
            transport = transport_named(SYNC_TRANSPORTS, name, connect_timeout=0.2)
            error, elapsed = call_sync(port, transport, max_attempts=2)
        assert (error.timed_out, error.maybe_sent) == (True, False), error
        assert 0.4 <= elapsed < 3, elapsed  # two attempts of 0.2 s
    finally:
        close()


@pytest.mark.parametrize("name", list(SYNC_TRANSPORTS) + [f"async-{n}" for n in ASYNC_TRANSPORTS])
def test_refused_and_closed_connections_are_not_timed_out(name):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused_port = s.getsockname()[1]
    # A server that closes the connection in the middle of the response.
    port, close = silent_server(answer=HEAD_ONLY + b"not the whole body", hang_up=True)
    try:
        for target, sent in ((refused_port, False), (port, True)):
            if name.startswith("async-"):
                transport = transport_named(ASYNC_TRANSPORTS, name[6:])
                error, _ = call_async(target, transport, max_attempts=1)
            else:
                transport = transport_named(SYNC_TRANSPORTS, name)
                error, _ = call_sync(target, transport, max_attempts=1)
            assert (error.timed_out, error.maybe_sent) == (False, sent), (target, error)
    finally:
        close()


def test_a_refused_connection_is_retried_even_for_a_rotation():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sent = []
    stdlib = transports.StdlibTransport()

    def spy(request):
        sent.append(request.headers["X-Sdk-Date"])
        return stdlib(request)

    client = csms.Client(endpoint=f"http://127.0.0.1:{port}", project_id="p", ak="AK", sk="SK", transport=spy,
                         **FAST)
    with pytest.raises(csms.TransportError) as e:
        client.rotate_secret(secret_name="db")
    assert e.value.maybe_sent is False and e.value.not_retried is None and e.value.timed_out is False
    assert len(sent) == 3, "refused connections never reached the server: every attempt is made"


def wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_an_httpx_pool_timeout_was_never_sent_and_is_retried_even_for_a_rotation(asynchronous):
    # An httpx client whose pool holds one connection, taken by a request to a server that
    # never answers: the rotation's every attempt waits for the pool, times out (PoolTimeout)
    # without having been written anywhere, and is resent.
    httpx = pytest.importorskip("httpx")
    accepted = []
    port, close = silent_server(accepted=accepted)
    url = f"http://127.0.0.1:{port}"
    options = {"endpoint": url, "project_id": "p", "ak": "AK", "sk": "SK", **FAST}
    limits = httpx.Limits(max_connections=1)
    timeout = httpx.Timeout(10.0, pool=0.2)
    attempts = []

    def counted(transport):
        if asynchronous:
            async def spy(request):
                attempts.append(request)
                return await transport(request)
        else:
            def spy(request):
                attempts.append(request)
                return transport(request)
        return spy

    def check(error, elapsed):
        assert isinstance(error.__cause__, httpx.PoolTimeout), repr(error.__cause__)
        assert (error.maybe_sent, error.timed_out) == (False, True), error
        assert error.not_retried is None, error
        assert "pool" in error.reason, error
        assert len(attempts) == 3, "never sent: every attempt is made, even for a rotation"
        assert 0.6 <= elapsed < 3, elapsed  # three waits of 0.2 s
        assert len(accepted) == 1, "only the request holding the connection reached the server"

    try:
        if asynchronous:
            async def run():
                async with httpx.AsyncClient(limits=limits, timeout=timeout) as http:
                    holder = asyncio.create_task(http.get(url))
                    while not accepted:
                        await asyncio.sleep(0.01)
                    async with csms.AsyncClient(**options, timeout=5,
                                                transport=counted(transports.httpx_async_transport(http))) as client:
                        started = time.monotonic()
                        with pytest.raises(csms.TransportError) as e:
                            await client.rotate_secret(secret_name="db")
                        elapsed = time.monotonic() - started
                    holder.cancel()
                    await asyncio.gather(holder, return_exceptions=True)
                    return e.value, elapsed

            check(*asyncio.run(run()))
        else:
            with httpx.Client(limits=limits, timeout=timeout) as http:
                def hold():
                    try:
                        http.get(url)
                    except httpx.HTTPError:
                        pass  # the server closed, at the end of the test

                holder = threading.Thread(target=hold, daemon=True)
                holder.start()
                wait_for(lambda: accepted)
                client = csms.Client(**options, transport=counted(transports.httpx_transport(http)))
                started = time.monotonic()
                with pytest.raises(csms.TransportError) as e:
                    client.rotate_secret(secret_name="db")
                check(e.value, time.monotonic() - started)
                close()
                holder.join(5)
    finally:
        close()


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_an_httpx_connect_error_after_a_redirect_may_have_been_sent(asynchronous):
    # A client of yours following redirects: the first hop reached a server, which redirected
    # it to a refused port. The ConnectError is the second hop's: not "never sent".
    httpx = pytest.importorskip("httpx")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused_port = s.getsockname()[1]
    redirect = (f"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{refused_port}/\r\n"
                "Content-Length: 0\r\n\r\n").encode()
    port, close = silent_server(answer=redirect)
    try:
        if asynchronous:
            async def run():
                async with httpx.AsyncClient(follow_redirects=True) as http, \
                        csms.AsyncClient(endpoint=f"http://127.0.0.1:{port}", project_id="p", ak="AK", sk="SK",
                                         max_attempts=1, transport=transports.httpx_async_transport(http)) as client:
                    with pytest.raises(csms.TransportError) as e:
                        await client.list_secrets()
                    return e.value

            error = asyncio.run(run())
        else:
            with httpx.Client(follow_redirects=True) as http:
                error, _ = call_sync(port, transports.httpx_transport(http), max_attempts=1)
        assert isinstance(error.__cause__, httpx.ConnectError), repr(error.__cause__)
        assert (error.maybe_sent, error.timed_out) == (True, False), error
    finally:
        close()


@pytest.mark.parametrize("raised, maybe_sent, timed_out", [
    (ConnectionRefusedError(111, "refused"), False, False),
    (socket.gaierror(-2, "Name or service not known"), False, False),
    (ConnectionResetError(104, "reset"), True, False),
    (TimeoutError("timed out"), True, True),
    (socket.timeout("timed out"), True, True),
    (asyncio.TimeoutError(), True, True),
    (ValueError("a bug in the transport"), True, False),
])
def test_what_a_custom_transport_raises_becomes_a_transport_error(raised, maybe_sent, timed_out):
    attempts = []

    def broken(request):
        attempts.append(request)
        raise raised

    client = csms.Client(region="cn-north-4", project_id="p", ak="AK", sk="SK", transport=broken, **FAST)
    with pytest.raises(csms.TransportError) as e:
        client.create_secret_version(secret_name="db", secret_string="x")
    assert e.value.maybe_sent is maybe_sent
    assert e.value.timed_out is timed_out
    assert e.value.__cause__ is raised
    # Resent only when it cannot have arrived; each attempt signed anew.
    assert len(attempts) == (1 if maybe_sent else 3)
    assert (e.value.not_retried is not None) is maybe_sent
    assert all(r is not attempts[0] for r in attempts[1:])


@pytest.mark.parametrize("maybe_sent", [False, True])
@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_custom_transport_can_raise_a_timeout(maybe_sent, asynchronous):
    attempts = []

    def timing_out(request):
        attempts.append(request)
        raise csms.TransportError("no answer in 5 s", maybe_sent=maybe_sent, timed_out=True)

    async def timing_out_async(request):
        timing_out(request)

    options = {"region": "cn-north-4", "project_id": "p", "ak": "AK", "sk": "SK", **FAST}
    with pytest.raises(csms.TransportError) as e:
        if asynchronous:
            async def call():
                async with csms.AsyncClient(**options, transport=timing_out_async) as client:
                    await client.create_secret_version(secret_name="db", secret_string="x")

            asyncio.run(call())
        else:
            csms.Client(**options, transport=timing_out).create_secret_version(secret_name="db", secret_string="x")
    # The error the core made of it keeps both flags, and the core decided on maybe_sent.
    assert (e.value.timed_out, e.value.maybe_sent) == (True, maybe_sent)
    assert len(attempts) == (1 if maybe_sent else 3)
    assert e.value.reason == "no answer in 5 s"


def test_custom_transports_get_the_same_loop_and_clock_correction(monkeypatch):
    monkeypatch.setattr(transports, "now", lambda: 1795433400.0)  # 2026-11-23 11:30:00 UTC
    refused = (401, {"Date": "Mon, 23 Nov 2026 12:00:00 GMT", "X-Request-Id": "r1"},
               b'{"error_code":"APIGW.0301","error_msg":"signature expired"}')
    answers = [(503, {"X-Request-Id": "r0"}, b""), refused, (200, {}, b'{"secret": {"name": "db"}}')]
    seen = []

    def canned(request):
        seen.append(request.headers["X-Sdk-Date"])
        return answers[len(seen) - 1]

    client = csms.Client(region="cn-north-4", project_id="p", ak="AK", sk="SK", transport=canned, **FAST)
    assert client.show_secret(secret_name="db").secret.name == "db"
    assert seen == ["20261123T113000Z", "20261123T113000Z", "20261123T120000Z"]
    assert client.clock_offset == 1800
    seen.clear()
    answers[0] = answers[2]
    client.show_secret(secret_name="db")
    assert seen == ["20261123T120000Z"], "the offset is kept for later calls"


def test_retry_options_are_checked():
    base = {"region": "cn-north-4", "project_id": "p", "ak": "AK", "sk": "SK"}
    for option, value in [("max_attempts", 0), ("max_attempts", 1.5), ("max_attempts", True),
                          ("backoff_base", -1), ("backoff_cap", "1"), ("max_retry_after", -1),
                          ("max_retry_after", float("nan")), ("max_clock_offset", "1"), ("max_clock_offset", True), ("connect_timeout", 0), ("timeout", (1, 2)),
                          ("timeout", float("inf")), ("connect_timeout", float("inf")), ("timeout", 1e300),
                          ("connect_timeout", 10 ** 400), ("timeout", float("nan")), ("timeout", 86400.5)]:
        with pytest.raises(csms.ValidationError) as e:
            csms.Client(**base, **{option: value})
        assert e.value.field == option
        with pytest.raises(csms.ValidationError) as e:
            csms.AsyncClient(**base, **{option: value})
        assert e.value.field == option
        if option.endswith("timeout"):
            for make in (transports.StdlibTransport, transports.requests_transport, transports.httpx_transport,
                         transports.httpx_async_transport, transports.ThreadedTransport):
                with pytest.raises(csms.ValidationError) as e:
                    make(**{option: value})
                assert e.value.field == option
    csms.Client(**base, timeout=None, connect_timeout=None, max_attempts=1)
    csms.Client(**base, timeout=86400, connect_timeout=0.001)


def test_errors_keep_not_retried_and_timed_out_through_pickle():
    import pickle

    api = csms.ApiError(503, "CSMS.0503", "busy", "r1", not_retried="RotateSecret is not idempotent and ...",
                        retry_after=90.0)
    transport = csms.TransportError("reset", True, not_retried="why")
    timeout = csms.TransportError("slow", False, None, "why", timed_out=True)
    for error in (api, transport, timeout):
        copy = pickle.loads(pickle.dumps(error))
        assert (copy.not_retried, str(copy)) == (error.not_retried, str(error))
        assert copy.__dict__ == error.__dict__
    assert (timeout.timed_out, timeout.maybe_sent) == (True, False)
    assert pickle.loads(pickle.dumps(api)).retry_after == 90.0
    assert csms.ApiError(500, "x", "y").not_retried is None
    assert csms.ApiError(500, "x", "y").retry_after is None
    assert csms.TransportError("x").not_retried is None
    # Without timed_out (it is keyword-only): False, as in every call written before it.
    assert csms.TransportError("x").timed_out is False
    assert csms.TransportError("x", True, "message", "why").timed_out is False
    with pytest.raises(TypeError):
        csms.TransportError("x", True, "message", "why", True)
