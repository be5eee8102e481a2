"""The type aliases of the stubs at run time (`csms.Transport`, `csms.TransportResult`, ...), so
that an annotation such as `-> csms.TransportResult` also works when it is evaluated. Loaded on
the first use of one of them (`csms.__getattr__`): they need `typing`, which `import csms` does
not load. The same definitions as in `__init__.pyi`, written for Python 3.9 (`Union`, no `|`)."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol, Union

from ._models import PAGED, RESULTS
from ._native import Request

__all__ = ["AsyncTransport", "At", "Headers", "OperationName", "PagedOperationName", "Transport", "TransportResult"]


class _StatusAndBody(Protocol):
    """A response object with `status`, `headers` and `body` (`csms.Response`)."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Any: ...
    @property
    def body(self) -> Union[bytes, str]: ...


class _StatusCodeAndContent(Protocol):
    """A response object with `status_code`, `headers` and `content` (requests', httpx's)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Any: ...
    @property
    def content(self) -> Union[bytes, str]: ...


Headers = Union[Mapping[str, str], Sequence[tuple[str, str]]]
TransportResult = Union[tuple[int, Headers, Union[bytes, str]], _StatusAndBody, _StatusCodeAndContent]
Transport = Callable[[Request], TransportResult]
AsyncTransport = Callable[[Request], Awaitable[TransportResult]]
At = Union[str, datetime, int, float]
OperationName = Literal[tuple(RESULTS)]
PagedOperationName = Literal[PAGED]
