"""Transports: how a signed `csms.Request` reaches the service.

A transport is any callable taking a `Request` and returning `(status, headers, body)` (or an
object with `status`/`status_code`, `headers` and `body`/`content`); an async transport is
the same as a coroutine function. Failures are raised as `csms.TransportError`, whose
`maybe_sent` is False only when the request certainly did not reach the server.

- `StdlibTransport` (the default of `csms.Client`): the standard library's http.client,
  keep-alive connections per host, (connect, read) timeouts, thread-safe.
- `requests_transport(session=None)`, `httpx_transport(client=None)`: through requests or
  httpx, when installed.
- `httpx_async_transport(client=None)` (the default of `csms.AsyncClient` when httpx is
  installed) and `ThreadedTransport(sync_transport)` (a sync transport in a thread, with
  asyncio.to_thread; the default otherwise).

Nothing here is imported by `import csms`: this module (and http.client, requests, httpx)
loads on the first request.
"""

import threading

from ._client import _timeouts
from ._errors import TransportError

__all__ = [
    "StdlibTransport",
    "ThreadedTransport",
    "default_async_transport",
    "httpx_async_transport",
    "httpx_transport",
    "requests_transport",
]


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

    `timeout` is (connect, read) seconds, or one number for both. A request that fails on a
    kept connection which the server had already closed is sent again once on a new
    connection, when that cannot apply it twice (the failure came while sending, or the
    operation is idempotent).
    """

    def __init__(self, timeout=(10, 60), max_idle_per_host=8):
        self._connect_timeout, self._read_timeout = _timeouts(timeout)
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

    def __call__(self, request):
        import http.client

        scheme, netloc, target = _split(request.url)
        key = (scheme, netloc)
        body = request.body or None
        for attempt in (0, 1):
            conn, reused = self._checkout(key)
            if conn.sock is None:
                try:
                    conn.connect()
                except OSError as e:
                    conn.close()
                    raise TransportError(f"cannot connect to {netloc}: {e}", maybe_sent=False) from e
                conn.sock.settimeout(self._read_timeout)
            try:
                conn.request(request.method, target, body=body, headers=request.headers)
            except OSError as e:
                conn.close()
                if reused and attempt == 0 and isinstance(e, (BrokenPipeError, ConnectionResetError)):
                    continue  # a stale kept connection: the server never got the whole request
                raise TransportError(f"sending to {netloc} failed: {e}", maybe_sent=True) from e
            try:
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError) as e:
                conn.close()
                if reused and attempt == 0 and request.idempotent:
                    continue  # a stale kept connection, and resending cannot apply the change twice
                raise TransportError(f"{netloc} closed the connection without answering", maybe_sent=True) from e
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                raise TransportError(f"no response from {netloc}: {type(e).__name__}: {e}", maybe_sent=True) from e
            if response.will_close:
                conn.close()
            else:
                self._checkin(key, conn)
            return (response.status, response.getheaders(), data)
        raise AssertionError("unreachable")

    def close(self):
        """Closes every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    async def aclose(self):
        self.close()


def _readable(sock):
    """Whether an idle socket has something to read (which for an idle HTTP connection means
    the server closed it)."""
    import select

    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class _RequestsTransport:
    def __init__(self, session, timeout):
        import requests

        self._requests = requests
        self._own = session is None
        self.session = session if session is not None else requests.Session()
        self._timeout = _timeouts(timeout)

    def __call__(self, request):
        exceptions = self._requests.exceptions
        try:
            r = self.session.request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body or None,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except exceptions.ConnectTimeout as e:
            raise TransportError(f"cannot connect: {e}", maybe_sent=False) from e
        except exceptions.ConnectionError as e:
            raise TransportError(f"{type(e).__name__}: {e}", maybe_sent=not _refused(e)) from e
        except exceptions.RequestException as e:
            raise TransportError(f"{type(e).__name__}: {e}", maybe_sent=True) from e
        return (r.status_code, r.headers, r.content)

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
    seen = set()
    e = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, NewConnectionError):
            return True
        reason = getattr(e, "reason", None)
        inner = e.args[0] if getattr(e, "args", None) and isinstance(e.args[0], BaseException) else None
        e = reason if isinstance(reason, BaseException) else (inner or e.__cause__ or e.__context__)
    return False


def requests_transport(session=None, timeout=(10, 60)):
    """A transport sending through requests (`session`, or a new Session closed with the client)."""
    return _RequestsTransport(session, timeout)


def _httpx_timeout(httpx, timeout):
    connect, read = _timeouts(timeout)
    return httpx.Timeout(read, connect=connect)


def _httpx_error(httpx, e):
    if isinstance(e, (httpx.ConnectError, httpx.ConnectTimeout)):
        return TransportError(f"cannot connect: {e}", maybe_sent=False)
    return TransportError(f"{type(e).__name__}: {e}", maybe_sent=True)


class _HttpxTransport:
    def __init__(self, client, timeout):
        import httpx

        self._httpx = httpx
        self._own = client is None
        self.client = client if client is not None else httpx.Client(timeout=_httpx_timeout(httpx, timeout))

    def __call__(self, request):
        httpx = self._httpx
        try:
            r = self.client.request(request.method, request.url, headers=request.headers, content=request.body)
        except httpx.TransportError as e:
            raise _httpx_error(httpx, e) from e
        return (r.status_code, r.headers.multi_items(), r.content)

    def close(self):
        if self._own:
            self.client.close()

    async def aclose(self):
        self.close()


def httpx_transport(client=None, timeout=(10, 60)):
    """A transport sending through an httpx.Client (`client`, or a new one closed with the csms client)."""
    return _HttpxTransport(client, timeout)


class _HttpxAsyncTransport:
    def __init__(self, client, timeout):
        import httpx

        self._httpx = httpx
        self._own = client is None
        self._timeout = timeout
        self.client = client  # made on first use, inside the event loop

    async def __call__(self, request):
        httpx = self._httpx
        if self.client is None:
            self.client = httpx.AsyncClient(timeout=_httpx_timeout(httpx, self._timeout))
        try:
            r = await self.client.request(request.method, request.url, headers=request.headers, content=request.body)
        except httpx.TransportError as e:
            raise _httpx_error(httpx, e) from e
        return (r.status_code, r.headers.multi_items(), r.content)

    async def aclose(self):
        if self._own and self.client is not None:
            client, self.client = self.client, None
            await client.aclose()


def httpx_async_transport(client=None, timeout=(10, 60)):
    """An async transport sending through an httpx.AsyncClient (`client`, or a new one closed
    with the csms client)."""
    return _HttpxAsyncTransport(client, timeout)


class ThreadedTransport:
    """An async transport running a sync transport (the standard-library one by default) in a
    worker thread with asyncio.to_thread."""

    def __init__(self, transport=None, timeout=(10, 60)):
        self._own = transport is None
        self.transport = transport if transport is not None else StdlibTransport(timeout=timeout)

    async def __call__(self, request):
        import asyncio

        return await asyncio.to_thread(self.transport, request)

    async def aclose(self):
        if self._own:
            self.transport.close()


def default_async_transport(timeout=(10, 60)):
    """httpx_async_transport() when httpx is installed, else ThreadedTransport()."""
    import importlib.util

    if importlib.util.find_spec("httpx") is not None:
        return httpx_async_transport(timeout=timeout)
    return ThreadedTransport(timeout=timeout)
