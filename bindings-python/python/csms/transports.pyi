from typing import Any

from . import Request, Timeout

__all__ = [
    "StdlibTransport",
    "ThreadedTransport",
    "default_async_transport",
    "httpx_async_transport",
    "httpx_transport",
    "requests_transport",
]

_Result = tuple[int, Any, bytes]

class StdlibTransport:
    """http.client with keep-alive connections per host, (connect, read) timeouts, thread-safe."""

    def __init__(self, timeout: Timeout = (10, 60), max_idle_per_host: int = 8) -> None: ...
    def __call__(self, request: Request) -> _Result: ...
    def close(self) -> None: ...
    async def aclose(self) -> None: ...

class _RequestsTransport:
    session: Any
    def __call__(self, request: Request) -> _Result: ...
    def close(self) -> None: ...
    async def aclose(self) -> None: ...

class _HttpxTransport:
    client: Any
    def __call__(self, request: Request) -> _Result: ...
    def close(self) -> None: ...
    async def aclose(self) -> None: ...

class _HttpxAsyncTransport:
    client: Any
    async def __call__(self, request: Request) -> _Result: ...
    async def aclose(self) -> None: ...

class ThreadedTransport:
    """An async transport running a sync one (StdlibTransport by default) with asyncio.to_thread."""

    transport: Any
    def __init__(self, transport: Any = None, timeout: Timeout = (10, 60)) -> None: ...
    async def __call__(self, request: Request) -> _Result: ...
    async def aclose(self) -> None: ...

def requests_transport(session: Any = None, timeout: Timeout = (10, 60)) -> _RequestsTransport:
    """A transport sending through requests (`session`, or a new Session closed with the client)."""

def httpx_transport(client: Any = None, timeout: Timeout = (10, 60)) -> _HttpxTransport:
    """A transport sending through an httpx.Client."""

def httpx_async_transport(client: Any = None, timeout: Timeout = (10, 60)) -> _HttpxAsyncTransport:
    """An async transport sending through an httpx.AsyncClient."""

def default_async_transport(timeout: Timeout = (10, 60)) -> _HttpxAsyncTransport | ThreadedTransport:
    """httpx_async_transport() when httpx is installed, else ThreadedTransport()."""
