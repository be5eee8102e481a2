from typing import Any

from . import Request, TransportError

__all__ = [
    "StdlibTransport",
    "ThreadedTransport",
    "default_async_transport",
    "httpx_async_transport",
    "httpx_transport",
    "now",
    "requests_transport",
]

_Result = tuple[int, Any, bytes]

CONNECT_TIMEOUT: float
"""Default seconds allowed to connect (10)."""
TIMEOUT: float
"""Default seconds allowed for a whole request (60)."""
UNSENDABLE: str
"""The `not_retried` of a request an HTTP stack refused before sending anything (never retried)."""
MAX_RESPONSE_BYTES: int
#: The instance metadata service's timeouts (to connect, and for each read), in seconds.
METADATA_TIMEOUT: float
"""Default limit on a response's body, in bytes (16 MiB, the core's)."""

def now() -> float:
    """The time, in Unix seconds: the package's only clock."""

class AttemptRecord:
    """One attempt of a call, as a client's `debug_hook` receives it."""

    operation: str
    attempt: int
    method: str
    url: str
    status: int | None
    """None when no response came back."""
    error: str | None
    """The transport failure's message; None when a response came back."""
    request_id: str
    duration: float
    """Seconds."""
    def __init__(self, attempts: Any, fields: tuple[Any, ...], duration: float) -> None: ...
    def canonical_request(self) -> str | None:
        """The canonical request the attempt signed, tokens as *** (None for an IAM token)."""

def send(
    attempts: Any, transport: Any, hook: Any = None, credentials: Any = None, again: Any = None, *,
    timeout: float | None = None, pass_timeout: bool = False, bounded: bool = False,
) -> dict[str, Any]:
    """The retry loop of a sync transport over the core's attempts of one call; `timeout` is each
    attempt's (cut to the call's deadline), given to the transport with `pass_timeout`."""

async def send_async(
    attempts: Any, transport: Any, timeout: float | None = None, hook: Any = None, credentials: Any = None,
    again: Any = None, *, pass_timeout: bool = False, bounded: bool = False,
) -> dict[str, Any]:
    """The retry loop of an async transport (asyncio.sleep between attempts); `timeout` is each
    attempt's deadline (None: no limit), cut to the call's deadline."""

def unpack(result: Any) -> tuple[int, Any, Any]:
    """(status, headers, body) from what a transport returned."""

def failure(error: BaseException) -> TransportError:
    """The TransportError for an exception a transport raised."""

class StdlibTransport:
    """http.client with keep-alive connections per host, a connect timeout and a whole-request
    deadline (seconds; None: no limit), thread-safe."""

    def __init__(
        self,
        connect_timeout: float | None = 10.0,
        timeout: float | None = 60.0,
        max_idle_per_host: int = 8,
        max_response_bytes: int = ...,
    ) -> None: ...
    def __call__(self, request: Request, *, timeout: float | None = ...) -> _Result:
        """Sends `request`; `timeout`, when given, instead of the transport's own."""
    def close(self) -> None: ...
    async def aclose(self) -> None: ...

class _RequestsTransport:
    session: Any
    def __init__(
        self, session: Any, connect_timeout: float | None, timeout: float | None, max_response_bytes: int
    ) -> None: ...
    def __call__(self, request: Request) -> _Result: ...
    def close(self) -> None: ...
    async def aclose(self) -> None: ...

class _HttpxTransport:
    client: Any
    def __init__(
        self, client: Any, connect_timeout: float | None, timeout: float | None, max_response_bytes: int
    ) -> None: ...
    def __call__(self, request: Request) -> _Result: ...
    def close(self) -> None: ...
    async def aclose(self) -> None: ...

class _HttpxAsyncTransport:
    client: Any
    def __init__(
        self, client: Any, connect_timeout: float | None, timeout: float | None, max_response_bytes: int
    ) -> None: ...
    async def __call__(self, request: Request, *, timeout: float | None = ...) -> _Result: ...
    async def aclose(self) -> None: ...

class ThreadedTransport:
    """An async transport running a sync one (StdlibTransport by default) with asyncio.to_thread."""

    transport: Any
    def __init__(
        self,
        transport: Any = None,
        connect_timeout: float | None = 10.0,
        timeout: float | None = 60.0,
        max_response_bytes: int = ...,
    ) -> None: ...
    async def __call__(self, request: Request, **options: Any) -> _Result:
        """Sends `request` with the sync transport in a thread, giving it `options`."""
    async def aclose(self) -> None: ...

def requests_transport(
    session: Any = None, connect_timeout: float | None = 10.0, timeout: float | None = 60.0, max_response_bytes: int = ...
) -> _RequestsTransport:
    """A transport sending through requests (`session`, or a new Session closed with the client)."""

def httpx_transport(
    client: Any = None, connect_timeout: float | None = 10.0, timeout: float | None = 60.0, max_response_bytes: int = ...
) -> _HttpxTransport:
    """A transport sending through an httpx.Client."""

def httpx_async_transport(
    client: Any = None, connect_timeout: float | None = 10.0, timeout: float | None = 60.0, max_response_bytes: int = ...
) -> _HttpxAsyncTransport:
    """An async transport sending through an httpx.AsyncClient."""

def default_async_transport(
    connect_timeout: float | None = 10.0, timeout: float | None = 60.0, max_response_bytes: int = ...
) -> _HttpxAsyncTransport | ThreadedTransport:
    """httpx_async_transport() when httpx is installed, else ThreadedTransport()."""
