"""Transports: how a signed `csms.Request` reaches the service, and the retry loop around them.

A transport is any callable taking a `Request` and returning `(status, headers, body)` (or an
object with `status`/`status_code`, `headers` and `body`/`content`); an async transport is
the same as a coroutine function. Failures are raised as `csms.TransportError`, whose
`maybe_sent` is False only when the request certainly did not reach the server and whose
`timed_out` (keyword-only, default False) says that a timeout ended the attempt; any other
exception a transport raises is turned into one (`maybe_sent` False for a refused connection
or a name that did not resolve, `timed_out` True for a TimeoutError or socket.timeout).

- `StdlibTransport` (the default of `csms.Client`): the standard library's http.client,
  keep-alive connections per host, a connect timeout and a whole-request deadline, thread-safe.

Every transport here reads at most `max_response_bytes` of a response's body (the core's
`MAX_RESPONSE_BYTES`, 16 MiB, by default; a client's default transport takes the client's):
a larger `Content-Length` is refused before reading, and reading stops as soon as the body
passes the limit. The connection is closed and the attempt fails with the core's
TransportError for it: may have been sent, not timed out, and not retried (`not_retried`
says why: the same request would most likely get the same answer).
- `requests_transport(session=None)`, `httpx_transport(client=None)`: through requests or
  httpx, when installed.
- `httpx_async_transport(client=None)` (the default of `csms.AsyncClient` when httpx is
  installed) and `ThreadedTransport(sync_transport)` (a sync transport in a thread, with
  asyncio.to_thread; the default otherwise).

Every transport, yours included, is driven by the one retry loop here (`send` and
`send_async`): each attempt is signed anew, and the core decides (`csms._native.Attempts`)
whether to retry, after how long, and what the clock offset is. This module is the only
place the package reads the clock (`now`, `time.monotonic` for deadlines) and draws random
numbers (the backoff's jitter).

Nothing here is imported by `import csms`: this module (and http.client, requests, httpx)
loads on the first request.
"""

import io
import random
import sys
import threading
import time

from . import _native
from ._client import _UNSET, _byte_limit, _seconds
from ._errors import ApiError, CredentialsError, CsmsError, TransportError

__all__ = [
    "StdlibTransport",
    "ThreadedTransport",
    "default_async_transport",
    "httpx_async_transport",
    "httpx_transport",
    "now",
    "requests_transport",
]

#: Defaults of every transport here (the core's CONNECT_TIMEOUT and REQUEST_TIMEOUT), seconds.
CONNECT_TIMEOUT = 10.0
TIMEOUT = 60.0
#: The default limit on a response's body, in bytes (the core's: 16 MiB).
MAX_RESPONSE_BYTES = _native.MAX_RESPONSE_BYTES


def _announced(length, limit):
    """Raises the too-large error when a response's Content-Length (an int, a header's text or
    None) is above `limit`."""
    try:
        too_large = length is not None and int(length) > limit
    except ValueError:  # not a number: the HTTP stack judges it
        too_large = False
    if too_large:
        raise _native.response_too_large(limit)


def _read_limited(chunks, limit):
    """The bytes of `chunks` (an iterable of bytes) joined, or the too-large error as soon as
    they pass `limit`."""
    body = bytearray()
    for chunk in chunks:
        if len(body) + len(chunk) > limit:
            raise _native.response_too_large(limit)
        body += chunk
    return bytes(body)


async def _aread_limited(chunks, limit):
    """`_read_limited` of an async iterable."""
    body = bytearray()
    async for chunk in chunks:
        if len(body) + len(chunk) > limit:
            raise _native.response_too_large(limit)
        body += chunk
    return bytes(body)


#: The time, in Unix seconds: the package's only clock (signing times, the retry loop). The
#: C function itself, as the signer calls it on every signature made without a time.
now = time.time


# ------------------------------------------------------------------------------------------
# The retry loop


class AttemptRecord:
    """One attempt of a call, as a client's `debug_hook` receives it: `operation`, `attempt`
    (1 for the first), `method`, `url`, `status` (None when no response came), `error` (the
    transport failure's message, None with a response), `request_id` (empty without one) and
    `duration` (seconds). `canonical_request()` gives the canonical request the attempt
    signed, tokens shown as ***, computed when called (None for an IAM token). Nothing in it
    is secret."""

    __slots__ = ("operation", "attempt", "method", "url", "status", "error", "request_id", "duration",
                 "_attempts")

    def __init__(self, attempts, fields, duration):
        (self.operation, self.attempt, self.method, self.url, self.status, self.error,
         self.request_id) = fields
        self.duration = duration
        self._attempts = attempts

    def canonical_request(self):
        return self._attempts.canonical_request()

    def __repr__(self):
        outcome = self.status if self.error is None else repr(self.error)
        return (f"AttemptRecord({self.operation} #{self.attempt} {self.method} {self.url} -> {outcome}, "
                f"request id {self.request_id!r}, {self.duration:.3f} s)")


def _report(hook, attempts, outcome, started):
    """Gives `hook` the record of the attempt that began at `started` (time.monotonic()). An
    exception of the hook is swallowed: the call goes on."""
    duration = time.monotonic() - started
    try:
        hook(AttemptRecord(attempts, attempts.record(outcome), duration))
    except Exception:  # noqa: BLE001 - the hook's failure is not the call's
        pass


def send(attempts, transport, hook=None, credentials=None, again=None, *, timeout=None, pass_timeout=False,
         bounded=False):
    """Runs the attempts of one call (`csms._native.Attempts`) through a sync `transport`:
    sign, send, ask the core what next, sleep, again. Returns the result dict; raises the
    call's error. `hook`, when given, receives each attempt's `AttemptRecord`.

    `timeout` is each attempt's (seconds; None: no limit), cut to what is left of the call's
    deadline when it has one (`bounded`: the attempts were started with a deadline; the core's
    `Attempts.timeout`); with `pass_timeout` it is given
    to the transport (`transport(request, timeout=...)`, as the default transports take it).
    A deadline that passes ends the call with the core's TransportError (timed out, not
    retried); the retry loop never sleeps past it.

    With a `credentials` provider, each attempt is signed with its credentials (`_lease`:
    used, fetched or waited for); when the call ends with the service's refusal of them as
    expired, they are invalidated and the call is run once more, with the attempts `again()`
    starts (under the same deadline)."""
    call = _Call(timeout, pass_timeout, bounded)
    try:
        return _send(attempts, transport, hook, credentials, call)
    except ApiError:
        if not _expired(attempts, credentials, again):
            raise
    return _send(again(), transport, hook, credentials, call)


class _Call:
    """What the retry loop keeps of one call besides its attempts: each attempt's `timeout`,
    whether the transport takes it (`pass_timeout`), and for a call with a deadline
    (`bounded`) when it began, on the monotonic clock."""

    __slots__ = ("timeout", "pass_timeout", "began")

    def __init__(self, timeout, pass_timeout, bounded):
        self.timeout = timeout
        self.pass_timeout = pass_timeout
        self.began = time.monotonic() if bounded else None

    def attempt_timeout(self, attempts):
        """The next attempt's timeout: the call's, cut to what is left of its deadline (the
        core's; raises its TransportError once the deadline has passed)."""
        if self.began is None:
            return self.timeout
        return attempts.timeout(time.monotonic() - self.began, self.timeout)

    def elapsed(self):
        """Seconds since the call began (0 without a deadline: the core does not need them)."""
        return 0.0 if self.began is None else time.monotonic() - self.began


def _expired(attempts, credentials, again):
    """Whether the call of `attempts` ended with the service's refusal of the provider's
    credentials as expired (the core's `credentials_expired`): then they are invalidated, for
    the call to run once more."""
    if credentials is None or again is None or not attempts.credentials_expired:
        return False
    credentials._native.invalidate(attempts.generation)
    return True


def _send(attempts, transport, hook, credentials, call):
    while True:
        if credentials is None:
            request = attempts.request(now())
        else:
            request = attempts.request(now(), _lease(credentials))
        timeout = call.attempt_timeout(attempts)
        started = time.monotonic()
        try:
            result = transport(request, timeout=timeout) if call.pass_timeout else transport(request)
            awaitable = hasattr(result, "__await__")
            if not awaitable:
                outcome = unpack(result)
        except Exception as e:
            awaitable = False
            outcome = failure(e)
        if awaitable:
            raise _awaitable_returned(result)
        if hook is not None:
            _report(hook, attempts, outcome, started)
        wait = _next(attempts, outcome, call)
        if type(wait) is not float:
            return wait
        time.sleep(wait)


def _awaitable_returned(result):
    """The error of a sync call whose transport returned an awaitable (it is an async one):
    not retried. A coroutine is closed without having run: the request was not sent."""
    import inspect

    if inspect.iscoroutine(result):
        result.close()
        sent = False
    else:
        cancel = getattr(result, "cancel", None)
        if callable(cancel):
            cancel()
        sent = True
    return TransportError(
        f"the transport returned {type(result).__name__}, an awaitable: it is an async transport, which "
        "csms.AsyncClient drives; csms.Client needs one returning (status, headers, body)",
        maybe_sent=sent,
    )


async def send_async(attempts, transport, timeout=None, hook=None, credentials=None, again=None, *,
                     pass_timeout=False, bounded=False):
    """`send` for an async transport (a plain callable works too), waiting with asyncio.sleep.
    `timeout` (seconds; None: no limit), cut to what is left of the call's deadline, bounds
    each attempt whatever the transport: an attempt still running then is cancelled and fails
    as a TransportError that timed out and may have been sent (retried as the core decides,
    never past the deadline). `hook`, `credentials`, `again`, `pass_timeout` and `bounded` as
    for `send`;
    a fetch of the provider's does not block the event loop (`_alease`). A cancelled task
    ends at once with CancelledError: nothing is retried after it."""
    call = _Call(timeout, pass_timeout, bounded)
    try:
        return await _send_async(attempts, transport, hook, credentials, call)
    except ApiError:
        if not _expired(attempts, credentials, again):
            raise
    return await _send_async(again(), transport, hook, credentials, call)


async def _send_async(attempts, transport, hook, credentials, call):
    import asyncio

    while True:
        if credentials is None:
            request = attempts.request(now())
        else:
            request = attempts.request(now(), await _alease(credentials))
        timeout = call.attempt_timeout(attempts)
        started = time.monotonic()
        try:
            result = transport(request, timeout=timeout) if call.pass_timeout else transport(request)
            if hasattr(result, "__await__"):
                result = await _within(result, timeout, request)
            outcome = unpack(result)
        except Exception as e:
            outcome = failure(e)
        if hook is not None:
            _report(hook, attempts, outcome, started)
        wait = _next(attempts, outcome, call)
        if type(wait) is not float:
            return wait
        await asyncio.sleep(wait)


async def _within(awaitable, timeout, request):
    """What `awaitable` (an attempt) gives, or a TransportError once `timeout` seconds passed."""
    if timeout is None:
        return await awaitable
    import asyncio

    started = time.monotonic()
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError as e:
        if time.monotonic() - started < timeout:
            raise  # the transport's own
        host = request.url.partition("://")[2].partition("/")[0]
        raise TransportError(f"no response from {host} within {timeout:g} s", maybe_sent=True, timed_out=True) from e


def _next(attempts, outcome, call):
    """The core's answer to an attempt's outcome: seconds to wait, or the result; raises the
    call's error, chained to the transport's own exception."""
    try:
        return attempts.receive(outcome, now(), random.random(), call.elapsed())
    except CsmsError as error:
        if isinstance(outcome, BaseException) and error is not outcome:
            raise error from (outcome.__cause__ or outcome)
        raise


def unpack(result):
    """(status, headers, body) from what a transport returned."""
    if type(result) is tuple:
        if len(result) == 3:
            return result
    else:
        status = getattr(result, "status", None)
        if status is None:
            status = getattr(result, "status_code", None)
        body = getattr(result, "body", None)
        if body is None:
            body = getattr(result, "content", None)
        headers = getattr(result, "headers", None)
        if status is not None and body is not None:
            return (status, headers, body)
    raise TransportError(
        f"the transport returned {type(result).__name__}, not (status, headers, body) or an object with "
        "status, headers and body",
        maybe_sent=True,
    )


def failure(error):
    """The TransportError for an exception a transport raised. `maybe_sent` is False only for a
    refused connection or a name that did not resolve, `timed_out` True for a timeout
    (`_is_timeout`); other csms errors are raised as they are."""
    if isinstance(error, TransportError):
        return error
    if isinstance(error, CsmsError):
        raise error
    import socket

    never_left = isinstance(error, (ConnectionRefusedError, socket.gaierror))
    transport_error = TransportError(
        f"{type(error).__name__}: {error}", maybe_sent=not never_left, timed_out=_is_timeout(error)
    )
    transport_error.__cause__ = error
    return transport_error


#: The `not_retried` of a request an HTTP stack refused before sending anything: resending the
#: same request cannot help, so the core ends the call at once.
UNSENDABLE = "the HTTP stack refused the request before sending it; resending it cannot help"


def _unsendable(stack, error):
    """The TransportError of a request `stack` refused before sending anything (a header name or
    value, a method or a URL it does not accept). Never sent, never retried; the exception's own
    text is left out, since it may quote a header's value, which may be a credential."""
    return TransportError(
        f"{stack} refused the request ({type(error).__name__}): a header, the method or the URL it does not accept",
        maybe_sent=False,
        not_retried=UNSENDABLE,
    )


def _is_timeout(error):
    """Whether `error` is a timeout of the standard library: TimeoutError (which socket.timeout
    is from Python 3.10, and asyncio.TimeoutError from 3.11), or socket.timeout and
    asyncio.TimeoutError, distinct classes before."""
    import socket

    if isinstance(error, (TimeoutError, socket.timeout)):
        return True
    # Without asyncio loaded, nothing can have raised its TimeoutError: not imported for this.
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and isinstance(error, asyncio.TimeoutError)


# ------------------------------------------------------------------------------------------
# Credential providers: the waiting and the I/O around the core's CredentialState and Fetch


#: The instance metadata service's timeouts (the core's `metadata::TIMEOUT`): to connect, and
#: for each read of the answer, in seconds.
METADATA_TIMEOUT = 3.0

#: The longest answer of the metadata service read (its answers are a few hundred bytes).
_METADATA_LIMIT = 64 * 1024


def _lease(provider):
    """The credentials to sign with (a `_native.Lease`): the provider's current ones, fetched
    first when due, by this caller or by another one it waits for (on the provider's condition,
    without spinning). Raises the provider's error."""
    native = provider._native
    while True:
        acquired = native.acquire(now())
        kind = type(acquired)
        if kind is _native.Lease:
            return acquired
        if kind is _native.Fetch:
            return _fetch(provider, acquired)
        with provider._ready:
            while native.in_flight(acquired):
                provider._ready.wait()
        native.waited(acquired)


async def _alease(provider):
    """`_lease` for a coroutine: the fetch's requests run in a thread, and a caller waiting for
    another's fetch (in this event loop, another one or a thread) awaits a future it sets."""
    native = provider._native
    while True:
        acquired = native.acquire(now())
        kind = type(acquired)
        if kind is _native.Lease:
            return acquired
        if kind is _native.Fetch:
            return await _afetch(provider, acquired)
        waiter = None
        with provider._ready:
            if native.in_flight(acquired):
                import asyncio

                loop = asyncio.get_running_loop()
                waiter = loop.create_future()
                provider._waiters.append((loop, waiter))
        if waiter is not None:
            await waiter
        native.waited(acquired)


def _fetch(provider, fetch):
    """Runs a fetch to its end: the `_native.Lease` it gives, or the provider's error (chained
    to the exception of the application's function when it raised one)."""
    cause = None
    try:
        while True:
            need = _step(fetch, cause)
            if type(need) is tuple:
                _received(fetch, _metadata_request(*need))
            elif need == "host":
                try:
                    value = provider._function()
                    if hasattr(value, "__await__"):
                        value = _async_function(provider, value)
                except Exception as e:
                    value = e
                cause = _called(fetch, value)
            else:
                return need
    finally:
        _ended(provider, fetch)


async def _afetch(provider, fetch):
    """`_fetch` in a coroutine: metadata requests in a thread (asyncio.to_thread), an async
    function awaited."""
    import asyncio

    cause = None
    try:
        while True:
            need = _step(fetch, cause)
            if type(need) is tuple:
                _received(fetch, await asyncio.to_thread(_metadata_request, *need))
            elif need == "host":
                try:
                    value = provider._function()
                    if hasattr(value, "__await__"):
                        value = await value
                except Exception as e:
                    value = e
                cause = _called(fetch, value)
            else:
                return need
    finally:
        _ended(provider, fetch)


def _called(fetch, value):
    """Hands what the application's function gave (or raised) to the fetch; returns the
    exception it raised, if any, for the provider's error to be chained to."""
    fetch.called(value)
    return value if isinstance(value, BaseException) else None


def _ended(provider, fetch):
    """Ends a fetch that did not get to its end (interrupted; nothing when it did), and wakes
    the callers waiting for it."""
    fetch.cancel(now())
    provider._notify()


def _step(fetch, cause):
    """The fetch's next need; its error chained to `cause`."""
    try:
        return fetch.step(now())
    except CredentialsError as error:
        if cause is None:
            raise
        raise error from cause


def _async_function(provider, awaitable):
    """The error of a sync call whose function returned an awaitable (closed unrun)."""
    close = getattr(awaitable, "close", None)
    if callable(close):
        close()
    return CredentialsError(provider.name, f"it returned {type(awaitable).__name__}, an awaitable: an async "
                                           "function works with csms.AsyncClient, csms.Client needs a plain one")


def _received(fetch, outcome):
    """Hands a metadata answer to the fetch, then wipes its body (it holds a secret key)."""
    try:
        fetch.received(outcome)
    finally:
        if type(outcome) is tuple:
            body = outcome[2]
            body[:] = bytes(len(body))


def _metadata_request(method, url, headers):
    """Sends one request to the instance metadata service with http.client (which uses no
    proxy and follows no redirect), `METADATA_TIMEOUT` to connect and for each read. Returns
    `(status, headers, body)` (the body a bytearray, wiped once read) or the TransportError."""
    import http.client

    try:
        scheme, netloc, target = _split(url)
        kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        conn = kind(netloc, timeout=METADATA_TIMEOUT)
        try:
            conn.request(method, target, headers=dict(headers))
            response = conn.getresponse()
            body = bytearray(_METADATA_LIMIT + 1)
            size = 0
            while size <= _METADATA_LIMIT:
                read = response.readinto(memoryview(body)[size:])
                if not read:
                    break
                size += read
            del body[size:]
            return (response.status, [], body)
        finally:
            conn.close()
    except TransportError as e:
        return e
    except Exception as e:  # noqa: BLE001 - every failure is the fetch's outcome
        return failure(e)


# ------------------------------------------------------------------------------------------
# The standard library


def _split(url):
    """(scheme, netloc, target) of an absolute URL as the core builds them."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("http", "https"):
        raise TransportError(f"cannot send to {url!r}: not an http(s) URL", maybe_sent=False)
    slash = rest.find("/")
    if slash < 0:
        return scheme, rest, "/"
    return scheme, rest[:slash], rest[slash:]


class StdlibTransport:
    """Sends requests with http.client, keeping idle connections per host for reuse.

    `connect_timeout` bounds the connection's establishment and `timeout` the whole request,
    from the first byte sent to the last byte of the response (seconds; None: no limit);
    `max_response_bytes` the response's body.
    """

    def __init__(self, connect_timeout=CONNECT_TIMEOUT, timeout=TIMEOUT, max_idle_per_host=8,
                 max_response_bytes=MAX_RESPONSE_BYTES):
        self._connect_timeout = _seconds("connect_timeout", connect_timeout)
        self._timeout = _seconds("timeout", timeout)
        self._max_response_bytes = _byte_limit(max_response_bytes)
        self._max_idle = max_idle_per_host
        self._idle = {}
        self._lock = threading.Lock()
        self._ssl_context = None

    def _new_connection(self, scheme, netloc):
        import http.client

        if scheme == "https":
            if self._ssl_context is None:
                import ssl

                self._ssl_context = ssl.create_default_context()
            return http.client.HTTPSConnection(netloc, timeout=self._connect_timeout, context=self._ssl_context)
        return http.client.HTTPConnection(netloc, timeout=self._connect_timeout)

    def _checkout(self, key):
        """An idle connection to `key` that is still open (and True), or a new one (and False)."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                conn = idle.pop() if idle else None
            if conn is None:
                return self._new_connection(*key), False
            sock = conn.sock
            if sock is not None and not _readable(sock):
                return conn, True
            # The server closed it (or sent something unasked): drop it.
            conn.close()

    def _checkin(self, key, conn):
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._max_idle:
                idle.append(conn)
                return
        conn.close()

    def __call__(self, request, *, timeout=_UNSET):
        """Sends `request`; `timeout`, when given, instead of the transport's own (seconds for
        the whole request; None: no limit)."""
        import http.client

        if timeout is _UNSET:
            timeout = self._timeout
        scheme, netloc, target = _split(request.url)
        key = (scheme, netloc)
        conn, reused = self._checkout(key)
        if conn.sock is None:
            try:
                conn.connect()
            except OSError as e:
                conn.close()
                raise TransportError(
                    f"cannot connect to {netloc}: {e}", maybe_sent=False, timed_out=_is_timeout(e)
                ) from e
        deadline = _Deadline(timeout, conn.sock)
        conn.response_class = deadline.response
        try:
            deadline.arm()
            conn.request(request.method, target, body=request.body or None, headers=request.headers)
        except (ValueError, TypeError) as e:
            # http.client checks the method, target and headers before it writes a byte.
            conn.close()
            raise _unsendable("http.client", e) from e
        except OSError as e:
            conn.close()
            # Writing to a kept connection the server had already closed fails before the
            # server read a byte of this request.
            stale = reused and isinstance(e, (BrokenPipeError, ConnectionResetError))
            raise TransportError(
                f"sending to {netloc} failed: {e}", maybe_sent=not stale, timed_out=_is_timeout(e)
            ) from e
        limit = self._max_response_bytes
        try:
            response = conn.getresponse()
            _announced(response.length, limit)
            if response.length is not None:
                data = response.read()  # at most the limit; IncompleteRead when cut short
            else:
                # Chunked or up to the end of the connection: read(n) reads until n bytes or
                # the end of the body, and one more than the limit tells a body over it.
                data = response.read(limit + 1)
                if len(data) > limit:
                    raise _native.response_too_large(limit)
        except TransportError:
            response.close()  # the socket, when the connection gave it to the response (will_close)
            conn.close()
            raise
        except (http.client.RemoteDisconnected, ConnectionResetError) as e:
            conn.close()
            raise TransportError(f"{netloc} closed the connection without answering", maybe_sent=True) from e
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            if deadline.passed():
                raise TransportError(
                    f"no response from {netloc} within {timeout:g} s", maybe_sent=True, timed_out=True
                ) from e
            raise TransportError(
                f"no response from {netloc}: {type(e).__name__}: {e}", maybe_sent=True, timed_out=_is_timeout(e)
            ) from e
        if response.will_close:
            conn.close()
        else:
            self._checkin(key, conn)
        return (response.status, response.getheaders(), data)

    def close(self):
        """Closes every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    async def aclose(self):
        self.close()


class _Deadline(io.RawIOBase):
    """The whole-request deadline of one request on `sock`: every blocking step (sending, and
    each read of the response) may wait only for the time left. The response is read through
    it: it stands in for the socket of http.client's HTTPResponse (see `response`)."""

    def __init__(self, seconds, sock):
        self._at = None if seconds is None else time.monotonic() + seconds
        self._sock = sock
        self._holds_socket = False

    def arm(self):
        """Sets the socket's timeout to the time left; raises TimeoutError when none is."""
        if self._at is None:
            self._sock.settimeout(None)
            return
        left = self._at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request timed out")
        self._sock.settimeout(left)

    def passed(self):
        return self._at is not None and time.monotonic() >= self._at

    def response(self, sock, method=None):
        """The connection's `response_class`: an HTTPResponse reading through this deadline."""
        import http.client

        return http.client.HTTPResponse(self, method=method)

    def makefile(self, mode):
        # As socket.makefile does, the socket stays open until this reader is closed too:
        # http.client closes the connection's socket as soon as a response that ends with the
        # connection has come (`will_close`), and reads its body through this reader.
        self._sock._io_refs += 1
        self._holds_socket = True
        return io.BufferedReader(self)

    def close(self):
        if not self.closed and self._holds_socket:
            self._holds_socket = False
            self._sock._decref_socketios()
        super().close()

    def readable(self):
        return True

    def readinto(self, buffer):
        self.arm()
        return self._sock.recv_into(buffer)


def _readable(sock):
    """Whether an idle socket has something to read (which for an idle HTTP connection means
    the server closed it)."""
    import select

    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


# ------------------------------------------------------------------------------------------
# requests and httpx


class _RequestsTransport:
    def __init__(self, session, connect_timeout, timeout, max_response_bytes):
        import requests

        self._requests = requests
        self._own = session is None
        # A session made here belongs to the csms client this transport is given to: closed with it.
        self._closed_with_client = self._own
        self.session = session if session is not None else requests.Session()
        # requests bounds the connection and each read of the response.
        self._timeout = (_seconds("connect_timeout", connect_timeout), _seconds("timeout", timeout))
        self._max_response_bytes = _byte_limit(max_response_bytes)

    def __call__(self, request):
        exceptions = self._requests.exceptions
        # No case like httpx's PoolTimeout (`_never_left`): requests gives urllib3 no pool
        # timeout, so with a blocking pool (HTTPAdapter(pool_block=True)) a request waits for a
        # free connection however long it takes. urllib3's EmptyPoolError comes only from an
        # adapter of yours passing one, and is not certainly unsent then: urllib3's own retries
        # (the adapter's max_retries) wait for the pool again after an attempt that was sent.
        # It stays a failure that may have been sent (`failure`).
        try:
            r = self.session.request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body or None,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
            )
            # Streamed, and closed unless read whole: closing a partly read response closes its
            # connection instead of returning it to the pool.
            try:
                _announced(r.headers.get("Content-Length"), self._max_response_bytes)
                content = _read_limited(r.iter_content(64 * 1024), self._max_response_bytes)
            except BaseException:
                r.close()
                raise
        except (exceptions.InvalidHeader, exceptions.InvalidURL, exceptions.MissingSchema,
                exceptions.InvalidSchema) as e:
            # Raised while requests prepares the request, before it connects.
            raise _unsendable("requests", e) from e
        except exceptions.ConnectTimeout as e:
            raise TransportError(f"cannot connect: {e}", maybe_sent=False, timed_out=True) from e
        except exceptions.ConnectionError as e:
            raise TransportError(
                f"{type(e).__name__}: {e}", maybe_sent=not _refused(e), timed_out=_read_timed_out(e)
            ) from e
        except exceptions.RequestException as e:
            # ReadTimeout, the other Timeout, is a timeout after sending.
            timed_out = isinstance(e, exceptions.Timeout)
            raise TransportError(f"{type(e).__name__}: {e}", maybe_sent=True, timed_out=timed_out) from e
        return (r.status_code, r.headers, content)

    def close(self):
        if self._own:
            self.session.close()

    async def aclose(self):
        self.close()


def _refused(error):
    """Whether a requests ConnectionError happened before anything was sent."""
    try:
        from urllib3.exceptions import NewConnectionError
    except ImportError:  # pragma: no cover
        return False
    return _caused_by(error, NewConnectionError)


def _read_timed_out(error):
    """Whether a requests ConnectionError is a read timeout: requests raises its ReadTimeout
    for the response's head, but a ConnectionError wrapping urllib3's ReadTimeoutError for its
    body. (Not urllib3's TimeoutError: a refused connection, NewConnectionError, is one.)"""
    try:
        from urllib3.exceptions import ReadTimeoutError
    except ImportError:  # pragma: no cover
        return False
    return _caused_by(error, ReadTimeoutError)


def _caused_by(error, kind):
    """Whether `error` or what it wraps (urllib3's `reason`, an exception given as first
    argument, the cause or context), however deep, is an instance of `kind`."""
    seen = set()
    e = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, kind):
            return True
        reason = getattr(e, "reason", None)
        inner = e.args[0] if getattr(e, "args", None) and isinstance(e.args[0], BaseException) else None
        e = reason if isinstance(reason, BaseException) else (inner or e.__cause__ or e.__context__)
    return False


def requests_transport(session=None, connect_timeout=CONNECT_TIMEOUT, timeout=TIMEOUT,
                       max_response_bytes=MAX_RESPONSE_BYTES):
    """A transport sending through requests (`session`, or a new Session closed with the csms
    client the transport is given to: give it to one client only), with requests' timeouts:
    `connect_timeout` for the connection, `timeout` for each read, reading at most
    `max_response_bytes` of a response's body. A `session` of yours is yours to close."""
    return _RequestsTransport(session, connect_timeout, timeout, max_response_bytes)


def _httpx_timeout(httpx, connect_timeout, timeout):
    """httpx's timeouts: `connect_timeout` for the connection, `timeout` for each other step
    (waiting for a connection of the pool, writing, each read)."""
    return httpx.Timeout(_seconds("timeout", timeout), connect=_seconds("connect_timeout", connect_timeout))


def _httpx_error(httpx, e, request):
    """The TransportError for an httpx.TransportError `e` raised while sending `request` (the
    httpx.Request built for this attempt): timed out for any httpx.TimeoutException
    (ConnectTimeout, ReadTimeout, WriteTimeout, PoolTimeout); not sent when `request` itself
    failed to get a connection (`_never_left`)."""
    timed_out = isinstance(e, httpx.TimeoutException)
    # h11 refuses a header or target it cannot write (LocalProtocolError) before writing
    # anything, and no connection is made for a scheme httpx does not speak.
    if isinstance(e, (httpx.LocalProtocolError, httpx.UnsupportedProtocol)):
        return _unsendable("httpx", e)
    if _never_left(httpx, e, request):
        if isinstance(e, httpx.PoolTimeout):
            reason = "no connection of the httpx client's pool became free within its pool timeout"
        else:
            reason = f"cannot connect: {e}"
        return TransportError(reason, maybe_sent=False, timed_out=timed_out)
    return TransportError(f"{type(e).__name__}: {e}", maybe_sent=True, timed_out=timed_out)


def _never_left(httpx, e, request):
    """Whether the httpx error `e` says that nothing of `request` left: connecting failed
    (ConnectError, ConnectTimeout), or no connection became free within the pool timeout
    (PoolTimeout).

    httpcore's pool raises PoolTimeout while the request waits in its queue for a connection,
    none having been given to it. It may wait more than once: a connection given to it that
    cannot take it after all raises ConnectionNotAvailable and the request waits again; that
    connection wrote nothing of it (an HTTP/1.1 one busy or closing, an HTTP/2 one closed or out
    of stream ids), or, for an HTTP/2 stream beyond the last stream id of a GOAWAY, the server
    says it did not process it (RFC 9113, 6.8). The clients the package makes wait `timeout`
    for the pool (`_httpx_timeout`), with httpx's default limits.

    Only when `request` is the one that failed: a client of yours following redirects (or with
    an auth flow that builds a new request) may fail on a later hop, after an earlier one reached
    a server."""
    if not isinstance(e, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return False
    try:
        return e.request is request
    except RuntimeError:  # no request attached: where it failed is unknown
        return False


def _httpx_request(httpx, client, request, timeout=None):
    """The httpx.Request of `request` (httpx encodes the headers and parses the URL here), with
    `timeout` (an httpx.Timeout) when given instead of the client's."""
    options = {} if timeout is None else {"timeout": timeout}
    try:
        return client.build_request(request.method, request.url, headers=request.headers, content=request.body,
                                    **options)
    except (httpx.InvalidURL, ValueError, TypeError) as e:
        raise _unsendable("httpx", e) from e


class _HttpxTransport:
    def __init__(self, client, connect_timeout, timeout, max_response_bytes):
        import httpx

        self._httpx = httpx
        self._max_response_bytes = _byte_limit(max_response_bytes)
        self._own = client is None
        self._closed_with_client = self._own  # as in _RequestsTransport
        timeouts = _httpx_timeout(httpx, connect_timeout, timeout)
        self.client = client if client is not None else httpx.Client(timeout=timeouts)

    def __call__(self, request):
        httpx = self._httpx
        # client.request() is build_request() and send(): built here, to tell this request's
        # own failure from one of a later hop (`_never_left`).
        sent = _httpx_request(httpx, self.client, request)
        limit = self._max_response_bytes
        try:
            r = self.client.send(sent, stream=True)
            # Streamed, and closed either way: closing a partly read response closes its connection.
            try:
                _announced(r.headers.get("Content-Length"), limit)
                content = _read_limited(r.iter_bytes(), limit)
            finally:
                r.close()
        except httpx.TransportError as e:
            raise _httpx_error(httpx, e, sent) from e
        return (r.status_code, r.headers.multi_items(), content)

    def close(self):
        if self._own:
            self.client.close()

    async def aclose(self):
        self.close()


def httpx_transport(client=None, connect_timeout=CONNECT_TIMEOUT, timeout=TIMEOUT,
                    max_response_bytes=MAX_RESPONSE_BYTES):
    """A transport sending through an httpx.Client (`client`, or a new one closed with the csms
    client the transport is given to: give it to one client only), with httpx's timeouts:
    `connect_timeout` for the connection, `timeout` for each step, reading at most
    `max_response_bytes` of a response's body. A `client` of yours is yours to close."""
    return _HttpxTransport(client, connect_timeout, timeout, max_response_bytes)


class _HttpxAsyncTransport:
    def __init__(self, client, connect_timeout, timeout, max_response_bytes):
        import httpx

        self._httpx = httpx
        self._max_response_bytes = _byte_limit(max_response_bytes)
        self._own = client is None
        self._closed_with_client = self._own  # as in _RequestsTransport
        self._timeouts = _httpx_timeout(httpx, connect_timeout, timeout)
        self.client = client  # made on first use, inside the event loop

    async def __call__(self, request, *, timeout=_UNSET):
        """Sends `request`; `timeout`, when given, instead of the transport's own for each step
        but connecting (seconds; None: no limit)."""
        httpx = self._httpx
        if self.client is None:
            self.client = httpx.AsyncClient(timeout=self._timeouts)
        if timeout is _UNSET:
            sent = _httpx_request(httpx, self.client, request)
        else:
            sent = _httpx_request(httpx, self.client, request,
                                  httpx.Timeout(_seconds("timeout", timeout), connect=self._timeouts.connect))
        limit = self._max_response_bytes
        try:
            r = await self.client.send(sent, stream=True)
            try:  # as in _HttpxTransport
                _announced(r.headers.get("Content-Length"), limit)
                content = await _aread_limited(r.aiter_bytes(), limit)
            finally:
                await r.aclose()
        except httpx.TransportError as e:
            raise _httpx_error(httpx, e, sent) from e
        return (r.status_code, r.headers.multi_items(), content)

    async def aclose(self):
        if self._own and self.client is not None:
            client, self.client = self.client, None
            await client.aclose()


def httpx_async_transport(client=None, connect_timeout=CONNECT_TIMEOUT, timeout=TIMEOUT,
                          max_response_bytes=MAX_RESPONSE_BYTES):
    """An async transport sending through an httpx.AsyncClient (`client`, or a new one closed
    with the csms.AsyncClient the transport is given to: give it to one client only), with
    httpx's timeouts and body limit as in `httpx_transport`. A `client` of yours is yours to
    close."""
    return _HttpxAsyncTransport(client, connect_timeout, timeout, max_response_bytes)


class ThreadedTransport:
    """An async transport running a sync transport (the standard-library one by default) in a
    worker thread with asyncio.to_thread."""

    def __init__(self, transport=None, connect_timeout=CONNECT_TIMEOUT, timeout=TIMEOUT,
                 max_response_bytes=MAX_RESPONSE_BYTES):
        self._own = transport is None
        if transport is None:
            transport = StdlibTransport(
                connect_timeout=connect_timeout, timeout=timeout, max_response_bytes=max_response_bytes)
        self.transport = transport

    async def __call__(self, request, **options):
        """Sends `request` with the sync transport in a worker thread; `options` (a per-request
        `timeout`) are given to it."""
        import asyncio

        return await asyncio.to_thread(self.transport, request, **options)

    async def aclose(self):
        if self._own:
            self.transport.close()


def default_async_transport(connect_timeout=CONNECT_TIMEOUT, timeout=TIMEOUT, max_response_bytes=MAX_RESPONSE_BYTES):
    """httpx_async_transport() when httpx is installed, else ThreadedTransport()."""
    import importlib.util

    kind = httpx_async_transport if importlib.util.find_spec("httpx") is not None else ThreadedTransport
    return kind(connect_timeout=connect_timeout, timeout=timeout, max_response_bytes=max_response_bytes)
