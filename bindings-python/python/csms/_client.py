"""The clients. The low-level calls (`build_request`, `parse_response`) do no I/O; the
operation methods (generated, in `_models.Operations`) build, send through a transport and
parse. Everything about the protocol is the Rust core's business (`csms._native`)."""

from . import _native
from ._errors import CsmsError, TransportError, ValidationError
from ._native import Request, Signer, sdk_date
from ._model import Model, _wrap
from ._models import RESULTS, Operations

_TEXT_OPTIONS = ("region", "endpoint", "project_id", "ak", "sk", "security_token", "auth_token", "algorithm",
                 "user_agent", "derived_service")


class Response:
    """What a transport received (a transport may also return a plain `(status, headers, body)`)."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self):
        return f"Response(status={self.status!r}, body=<{len(self.body)} bytes>)"


def operation_names():
    """The official names of every operation (`UpdateSecret`, ...), sorted."""
    return list(RESULTS)


def _timeouts(timeout):
    """(connect, read) seconds from a number or a pair; None means no limit."""
    pair = timeout if isinstance(timeout, (tuple, list)) else (timeout, timeout)
    if len(pair) != 2:
        raise ValidationError("timeout", "must be a number of seconds or a (connect, read) pair")
    for value in pair:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
            raise ValidationError("timeout", f"must be positive numbers of seconds, not {value!r}")
    return (pair[0], pair[1])


def _unpack(result):
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


def _transport_failure(error):
    return TransportError(f"{type(error).__name__}: {error}", maybe_sent=True)


class _Base(Operations):
    def __init__(
        self,
        region=None,
        endpoint=None,
        project_id=None,
        ak=None,
        sk=None,
        security_token=None,
        auth_token=None,
        algorithm="SDK-HMAC-SHA256",
        transport=None,
        user_agent=None,
        timeout=(10, 60),
        derived_service=None,
    ):
        given = {
            "region": region,
            "endpoint": endpoint,
            "project_id": project_id,
            "ak": ak,
            "sk": sk,
            "security_token": security_token,
            "auth_token": auth_token,
            "algorithm": algorithm,
            "user_agent": user_agent,
            "derived_service": derived_service,
        }
        for name in _TEXT_OPTIONS:
            value = given[name]
            if value is not None and not isinstance(value, str):
                raise ValidationError(name, f"must be a str, not {type(value).__name__}")
        credentials = {k: given[k] for k in ("ak", "sk", "security_token", "auth_token") if given[k] is not None}
        options = {k: given[k] for k in ("region", "endpoint", "project_id", "algorithm", "user_agent",
                                         "derived_service") if given[k] is not None}
        options["credentials"] = credentials
        try:
            self._native = _native.Client(options)
        except ValidationError as e:
            # The core names credentials `credentials.ak`; here they are the `ak` argument.
            field = e.field
            if field.startswith("credentials."):
                field = field[len("credentials."):]
            elif field == "credentials":
                field = "ak"
            raise ValidationError(field, e.reason) from None
        self._timeout = _timeouts(timeout)
        if transport is not None and not callable(transport):
            raise ValidationError("transport", f"must be a callable taking a Request, not {type(transport).__name__}")
        self._transport = transport
        self._own_transport = transport is None

    @property
    def endpoint(self):
        """The endpoint requests go to (`https://host[:port]`)."""
        return self._native.endpoint

    @property
    def user_agent(self):
        """The `User-Agent` header sent."""
        return self._native.user_agent

    def __repr__(self):
        return f"{type(self).__name__}(endpoint={self.endpoint!r})"

    def build_request(self, operation, input=None, at=None):
        """Validates `input` (a dict of members under their wire names: path, query and body
        members together) and builds the signed request of `operation` (its official name,
        `UpdateSecret`) for the time `at` (an X-Sdk-Date string, a datetime, Unix seconds;
        None: now). No I/O. Raises ValidationError naming the member at fault."""
        return self._native.build_request(operation, input, at)

    def parse_response(self, operation, status, headers, body):
        """The result of `operation` from the response's status, headers (a dict, pairs, or a
        headers object) and body (bytes or str). No I/O. Raises ApiError for an error status and
        DecodeError for a body that is not the operation's result."""
        data = self._native.parse(operation, status, headers, body)
        return _wrap(RESULTS.get(operation, Model), data)

    def _pages(self, operation, input, members):
        if members:
            merged = dict(input) if input else {}
            merged.update(members)
            input = merged
        return _native.Paginator(operation, input)


class Client(_Base):
    """A CSMS client: one method per operation (`client.update_secret(secret_name=...,
    description=...)`), each building the signed request, sending it through `transport` and
    returning the typed result.

    `transport` is any callable taking a `Request` and returning `(status, headers, body)` (or
    an object with those attributes); by default the standard library's http.client, with
    keep-alive connections per host and `timeout` = (connect, read) seconds. See
    `csms.transports` for requests and httpx.
    """

    def _call(self, operation, input):
        request = self._native.build_request(operation, input)
        transport = self._transport
        if transport is None:
            transport = self._default_transport()
        try:
            result = transport(request)
        except CsmsError:
            raise
        except Exception as e:
            raise _transport_failure(e) from e
        status, headers, body = _unpack(result)
        return _wrap(RESULTS[operation], self._native.parse(operation, status, headers, body))

    def _default_transport(self):
        from .transports import StdlibTransport

        self._transport = StdlibTransport(timeout=self._timeout)
        return self._transport

    def paginate(self, operation, input=None, **members):
        """Yields the typed result of each page of a List operation (`ListSecrets`,
        `ListSecretVersions`, ...), starting from `input` and `members`, until the last page."""
        return self._iterate(operation, self._pages(operation, input, members))

    def _iterate(self, operation, pages):
        while True:
            page_input = pages.next_input()
            if page_input is None:
                return
            result = self._call(operation, page_input)
            pages.advance(result._data)
            yield result

    def close(self):
        """Closes the connections of the default transport (a transport you gave is yours to close)."""
        if self._own_transport and self._transport is not None:
            transport, self._transport = self._transport, None
            transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class AsyncClient(_Base):
    """The asynchronous CSMS client: the same methods as `Client`, as coroutines
    (`await client.update_secret(...)`).

    `transport` is an async callable taking a `Request` and returning `(status, headers, body)`
    (or an object with those attributes); a plain callable works too, but blocks the event loop
    while it runs. By default: httpx.AsyncClient when httpx is
    installed, otherwise the standard-library transport run in a thread (asyncio.to_thread).
    """

    async def _call(self, operation, input):
        request = self._native.build_request(operation, input)
        transport = self._transport
        if transport is None:
            transport = self._default_transport()
        try:
            result = transport(request)
            if hasattr(result, "__await__"):
                result = await result
        except CsmsError:
            raise
        except Exception as e:
            raise _transport_failure(e) from e
        status, headers, body = _unpack(result)
        return _wrap(RESULTS[operation], self._native.parse(operation, status, headers, body))

    def _default_transport(self):
        from .transports import default_async_transport

        self._transport = default_async_transport(timeout=self._timeout)
        return self._transport

    def paginate(self, operation, input=None, **members):
        """An async iterator over the typed result of each page of a List operation."""
        return self._iterate(operation, self._pages(operation, input, members))

    async def _iterate(self, operation, pages):
        while True:
            page_input = pages.next_input()
            if page_input is None:
                return
            result = await self._call(operation, page_input)
            pages.advance(result._data)
            yield result

    async def aclose(self):
        """Closes the default transport's connections (a transport you gave is yours to close)."""
        if self._own_transport and self._transport is not None:
            transport, self._transport = self._transport, None
            await transport.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()


def verify_signature(request, *, ak, sk, security_token=None):
    """Checks the request's signature with the key `ak`/`sk`, as the service does (not its age).
    Raises ValidationError (field `Authorization`) when it does not verify."""
    reason = _native.verify(request, ak, sk, security_token)
    if reason is not None:
        raise ValidationError("Authorization", reason)
