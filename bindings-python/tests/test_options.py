"""Per-call options (`client.with_options(...)`) and the cancellation of an async call."""

import asyncio
import time

import pytest
from test_retries import silent_server

import csms


def _client(cls, port, **options):
    return cls(endpoint=f"http://127.0.0.1:{port}", project_id="p", ak="AK", sk="SK", backoff_base=0, **options)


def test_with_options_sets_a_per_call_timeout_and_leaves_the_client_unchanged():
    accepted = []
    port, close = silent_server(accepted=accepted)
    try:
        client = _client(csms.Client, port, timeout=30, max_attempts=1)
        fast = client.with_options(timeout=0.3)
        assert type(fast) is csms.Client and fast._native is client._native
        started = time.monotonic()
        with pytest.raises(csms.TransportError) as e:
            fast.list_secrets()
        assert 0.3 <= time.monotonic() - started < 1.5
        assert e.value.timed_out is True and "within 0.3 s" in e.value.reason
        assert client._timeout == 30 and client._policy.max_attempts == 1
        # The view sent through the client's own transport: made once, shared.
        assert client._transport is not None and fast._transport is None
        fast.close()  # a view owns nothing
        assert client._transport is not None
    finally:
        close()


def test_async_with_options_sets_a_per_call_timeout():
    port, close = silent_server()

    async def call(transport):
        async with _client(csms.AsyncClient, port, timeout=30, max_attempts=1, transport=transport) as client:
            fast = client.with_options(timeout=0.3)
            started = time.monotonic()
            with pytest.raises(csms.TransportError) as e:
                await fast.list_secrets()
            assert client._timeout == 30
            return time.monotonic() - started, e.value

    try:
        for transport in (None, csms.transports.ThreadedTransport(timeout=2)):  # its own is longer
            elapsed, error = asyncio.run(call(transport))
            assert 0.3 <= elapsed < 1.5, (transport, elapsed)
            assert error.timed_out is True and "within 0.3 s" in error.reason
    finally:
        close()


def test_a_longer_per_call_timeout_reaches_the_default_transport():
    # The default transports were made with the client's 0.2 s: the view's 1 s is theirs for its calls.
    port, close = silent_server()

    async def call():
        async with _client(csms.AsyncClient, port, timeout=0.2, max_attempts=1) as client:
            started = time.monotonic()
            with pytest.raises(csms.TransportError) as e:
                await client.with_options(timeout=1).list_secrets()
            return time.monotonic() - started, e.value

    try:
        client = _client(csms.Client, port, timeout=0.2, max_attempts=1)
        started = time.monotonic()
        with pytest.raises(csms.TransportError) as e:
            client.with_options(timeout=1).list_secrets()
        assert 1 <= time.monotonic() - started < 2 and "within 1 s" in e.value.reason
        elapsed, error = asyncio.run(call())
        assert 1 <= elapsed < 2 and error.timed_out is True, (elapsed, error)
    finally:
        close()


def test_with_options_max_attempts_sends_once_against_a_fault(module_emulator):
    server = module_emulator
    client = csms.Client(**server.client_options(backoff_base=0, max_attempts=3))
    server.set_faults("503=100%")
    try:
        before = server.requests()
        with pytest.raises(csms.ApiError) as e:
            client.with_options(max_attempts=1).list_secrets()
        assert e.value.status == 503
        assert server.requests() - before == 1
        before = server.requests()
        with pytest.raises(csms.ApiError):
            client.list_secrets()
        assert server.requests() - before == 3, "the client itself still makes three attempts"

        async def once():
            async with csms.AsyncClient(**server.client_options(backoff_base=0)) as aclient:
                with pytest.raises(csms.ApiError):
                    await aclient.with_options(max_attempts=1).list_secrets()

        before = server.requests()
        asyncio.run(once())
        assert server.requests() - before == 1
    finally:
        server.set_faults(None)
    assert client.with_options(timeout=5).list_secrets().secrets is not None


@pytest.mark.parametrize("cls", [csms.Client, csms.AsyncClient])
@pytest.mark.parametrize("option, value", [("timeout", 0), ("timeout", float("inf")), ("timeout", "1"),
                                           ("max_attempts", 0), ("max_attempts", True), ("max_attempts", 1.0)])
def test_with_options_checks_as_the_constructor(cls, option, value):
    client = cls(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK")
    with pytest.raises(csms.ValidationError) as e:
        client.with_options(**{option: value})
    assert e.value.field == option
    with pytest.raises(csms.ValidationError) as e:
        cls(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK", **{option: value})
    assert e.value.field == option
    with pytest.raises(TypeError):
        client.with_options(1)  # keyword-only


def test_cancelling_an_async_call_ends_it_at_once_and_it_is_not_retried():
    accepted = []
    port, close = silent_server(accepted=accepted)

    async def main(transport):
        async with _client(csms.AsyncClient, port, timeout=30, max_attempts=3, transport=transport) as client:
            task = asyncio.ensure_future(client.list_secrets())
            await asyncio.sleep(0.2)
            task.cancel()
            started = time.monotonic()
            with pytest.raises(asyncio.CancelledError):
                await task
            return time.monotonic() - started

    try:
        for transport in (None, csms.transports.ThreadedTransport(timeout=1)):
            before = len(accepted)
            elapsed = asyncio.run(main(transport))
            assert elapsed < 0.5, elapsed
            time.sleep(1.5)  # a retry, had there been one, would have connected by now
            assert len(accepted) - before == 1, (transport, "sent once, never retried")
    finally:
        close()


def test_cancelling_an_async_call_while_it_waits_to_retry_ends_it_at_once():
    # The server asks to retry in 5 s: the call waits for it, and is cancelled meanwhile.
    throttled = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n"
    accepted = []
    port, close = silent_server(answer=throttled, hang_up=True, accepted=accepted)

    async def main():
        async with _client(csms.AsyncClient, port, max_attempts=3) as client:
            task = asyncio.ensure_future(client.with_options(deadline=30).list_secrets())
            await asyncio.sleep(0.3)
            assert not task.done() and len(accepted) == 1
            task.cancel()
            started = time.monotonic()
            with pytest.raises(asyncio.CancelledError):
                await task
            return time.monotonic() - started

    try:
        assert asyncio.run(main()) < 0.5
        time.sleep(0.5)
        assert len(accepted) == 1, "nothing retried after the cancellation"
    finally:
        close()


@pytest.mark.parametrize("cls", [csms.Client, csms.AsyncClient])
@pytest.mark.parametrize("option, value, says", [
    ("max_attempts", 101, "from 1 to 100, not 101"),
    ("max_attempts", -1, "from 1 to 100, not -1"),
    ("max_attempts", 2**40, "from 1 to 100"),
    ("backoff_cap", 0.05, "must not be below backoff_base (100 ms)"),
    ("backoff_base", 86401, "at most a day"),
    ("backoff_cap", 86401, "at most a day"),
    ("max_retry_after", 2 * 86400, "at most a day"),
    ("backoff_base", -1, "from 0"),
    ("max_retry_after", float("nan"), "from 0"),
    ("backoff_base", "0.1", "must be a number of seconds, not str"),
    ("max_attempts", 1.0, "must be an int, not float"),
])
def test_retry_options_are_bounded_by_the_core(cls, option, value, says):
    with pytest.raises(csms.ValidationError) as e:
        cls(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK", **{option: value})
    assert e.value.field == option and says in e.value.reason, e.value
    # The bounds themselves are accepted (a day, 100 attempts, a cap equal to the base).
    cls(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK", max_attempts=100, backoff_base=86400,
        backoff_cap=86400, max_retry_after=86400)


def test_a_panic_in_the_core_is_an_internal_csms_error():
    from csms import _native

    with pytest.raises(csms.CsmsError) as e:
        _native._panic_for_tests("deliberate")
    assert type(e.value) is csms.CsmsError and e.value.kind == "internal"
    assert e.value.reason == "deliberate" and e.value.message == str(e.value) and "deliberate" in e.value.message


def _fails_through_a_view(client, **options):
    """Calls `client.with_options(**options).list_secrets()` (in asyncio for an AsyncClient),
    then closes the client: (seconds the call took, the exception it raised)."""
    view = client.with_options(**options)
    started = time.monotonic()
    try:
        if isinstance(client, csms.AsyncClient):
            async def call():
                async with client:
                    await view.list_secrets()

            asyncio.run(call())
        else:
            with client:
                view.list_secrets()
    except Exception as e:  # noqa: BLE001 - returned to be checked
        return time.monotonic() - started, e
    raise AssertionError("the call did not fail")


@pytest.mark.parametrize("cls", [csms.Client, csms.AsyncClient])
def test_a_deadline_bounds_the_whole_call_and_ends_it_timed_out(cls):
    # The server never answers: with a client timeout of 30 s and 3 attempts, a call could take
    # 90 s; its deadline of 0.5 s cuts the first attempt to 0.5 s, and no retry is made after it.
    accepted = []
    port, close = silent_server(accepted=accepted)
    try:
        elapsed, error = _fails_through_a_view(_client(cls, port, timeout=30, max_attempts=3), deadline=0.5)
        assert isinstance(error, csms.TransportError) and error.timed_out is True, error
        assert 0.5 <= elapsed < 1.2, elapsed
        assert "deadline" in error.not_retried, error
        assert len(accepted) == 1
    finally:
        close()


@pytest.mark.parametrize("cls", [csms.Client, csms.AsyncClient])
def test_each_attempt_is_cut_to_what_is_left_of_the_deadline(cls):
    # Attempts of 0.3 s at 0, 0.3 and 0.6 s; the fourth, at 0.9 s, has 0.1 s left; no fifth.
    accepted = []
    port, close = silent_server(accepted=accepted)
    try:
        client = _client(cls, port, timeout=30, max_attempts=10)
        elapsed, error = _fails_through_a_view(client, timeout=0.3, deadline=1.0)
        assert isinstance(error, csms.TransportError) and error.timed_out is True, error
        assert 1.0 <= elapsed < 1.6, elapsed
        assert len(accepted) == 4, len(accepted)
    finally:
        close()


@pytest.mark.parametrize("cls", [csms.Client, csms.AsyncClient])
def test_a_retry_after_past_the_deadline_is_not_waited_for(cls):
    throttled = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 0\r\n\r\n"
    accepted = []
    port, close = silent_server(answer=throttled, hang_up=True, accepted=accepted)
    try:
        client = _client(cls, port, max_attempts=3)
        assert client.with_options(deadline=None)._deadline is None
        elapsed, error = _fails_through_a_view(client, deadline=1)
        assert isinstance(error, csms.ApiError) and error.status == 429 and error.retry_after == 3, error
        assert "deadline" in error.not_retried and elapsed < 0.5, (elapsed, error)
        assert len(accepted) == 1
    finally:
        close()


@pytest.mark.parametrize("cls", [csms.Client, csms.AsyncClient])
@pytest.mark.parametrize("value", [0, -1, float("inf"), float("nan"), "1", True, 86401])
def test_a_bad_deadline_is_a_validation_error_naming_it(cls, value):
    client = cls(endpoint="http://127.0.0.1:1", project_id="p", ak="AK", sk="SK")
    with pytest.raises(csms.ValidationError) as e:
        client.with_options(deadline=value)
    assert e.value.field == "deadline"
