"""The clients. The low-level calls (`build_request`, `parse_response`) do no I/O; the
operation methods (generated, in `_models.Operations`) start a call and run it through the
retry loop of `csms.transports` with a transport. Everything about the protocol (requests,
signatures, retry decisions, responses) is the Rust core's business (`csms._native`)."""

from . import _native
from ._credentials import CredentialProvider, default_credentials
from ._errors import ValidationError
from ._native import Request, Signer, sdk_date
from ._model import Model, _wrap
from ._models import ITEMS, RESULTS, Operations

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


class _PageSeries:
    """What Pages and AsyncPages share: the iterator of page results, and the result member
    holding a page's items."""

    __slots__ = ("_pages", "_member")

    def __init__(self, pages, member):
        self._pages = pages
        self._member = member


class Pages(_PageSeries):
    """The pages of a List operation (what `Client.paginate` returns): iterating gives each
    page's typed result, fetched as it is reached; `items()` gives the items of every page in
    turn (`secrets` of ListSecrets, ...). Either consumes the pages: iterate once."""

    __slots__ = ()

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._pages)

    def items(self):
        """Yields each item of each page (a page without any gives none)."""
        for page in self._pages:
            yield from getattr(page, self._member) or ()


class AsyncPages(_PageSeries):
    """`Pages` of an AsyncClient: `async for page in ...`, `async for item in ....items()`."""

    __slots__ = ()

    def __aiter__(self):
        return self

    async def __anext__(self):
        return await self._pages.__anext__()

    async def items(self):
        """Yields each item of each page (a page without any gives none)."""
        async for page in self._pages:
            for item in getattr(page, self._member) or ():
                yield item


def operation_names():
    """The official names of every operation (`UpdateSecret`, ...), sorted."""
    return list(RESULTS)


def _transports():
    """The `csms.transports` module, imported on first use (it holds the package's clock, the
    retry loop and the transports, and loads http.client)."""
    from . import transports

    return transports


#: The longest timeout, in seconds (a day); None is no limit.
_MAX_TIMEOUT = 86400

#: The largest `max_clock_offset`, in seconds: 10,000 years (any offset that can be signed).
_MAX_CLOCK_OFFSET = 10000 * 366 * 86400


def _seconds(name, value):
    """A timeout option: seconds, more than 0 and at most a day (so not NaN or infinity), or None
    for no limit."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                              or not 0 < value <= _MAX_TIMEOUT):
        raise ValidationError(
            name, f"must be a number of seconds above 0 and at most {_MAX_TIMEOUT}, or None for no limit, not {value!r}")
    return value


#: An option `with_options` was not given (None is a value: no limit).
_UNSET = object()


def _byte_limit(value):
    """A `max_response_bytes` given to a transport: an int above 0 (a client's is checked by the
    core)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError("max_response_bytes", f"must be a whole number above 0, not {value!r}")
    return value


def _option_field(field):
    """The keyword argument of a client option the native side names as a member of the options
    it was given (`options.credentials.sk`, `credentials.ak`, `credentials`: `sk`, `ak`, `ak`)."""
    for prefix in ("options.", "credentials."):
        if field.startswith(prefix):
            field = field[len(prefix):]
    return {"credentials": "ak", "options": "ak", "service": "derived_service"}.get(field, field)


def _is_async(transport):
    """Whether a transport is recognisably async: a coroutine function, or an object whose
    `__call__` is one."""
    import inspect

    return inspect.iscoroutinefunction(transport) or inspect.iscoroutinefunction(
        getattr(type(transport), "__call__", None))


class _Base(Operations):
    """What the sync and async clients share: options, the native client, requests and
    responses without I/O, the start of each call. The subclasses send."""

    def __init__(
        self,
        *,
        region=None,
        endpoint=None,
        project_id=None,
        credentials=None,
        algorithm="SDK-HMAC-SHA256",
        transport=None,
        user_agent=None,
        derived_service=None,
        max_attempts=3,
        backoff_base=0.1,
        backoff_cap=20.0,
        max_retry_after=60.0,
        max_clock_offset=86400.0,
        connect_timeout=10.0,
        timeout=60.0,
        max_response_bytes=_native.MAX_RESPONSE_BYTES,
        debug_hook=None,
        ak=None,
        sk=None,
        security_token=None,
        auth_token=None,
    ):
        """Every option is keyword-only; durations are float seconds. A bad value raises
        ValidationError naming the option; an unknown name is a TypeError.

        - `region` (its public endpoint) or `endpoint` (`https://host[:port]`; an emulator's
          `http://127.0.0.1:PORT`), and `project_id`.
        - `credentials`: a provider (`csms.EnvCredentials()`, `csms.default_credentials()`,
          ...) whose credentials sign each request; or instead the key itself, `ak` + `sk`
          (+ `security_token` for a temporary key), or an IAM token `auth_token`.
        - `algorithm`: `SDK-HMAC-SHA256`, `SDK-HMAC-SM3`, `V11-HMAC-SHA256` (with `region`;
          `derived_service` is its service name, `csms` by default), `SDK-ECDSA-P256-SHA256`,
          `SDK-SM2-SM3`.
        - `transport`: a callable taking a `Request` (an async one for AsyncClient); None: the
          default transport, made by the client and closed with it.
        - `user_agent`: appended to `csms-sdk-python/<version>`.
        - `max_attempts` (1 to 100; 1: no retry), with a backoff doubling from `backoff_base`
          up to `backoff_cap` (full jitter); a `Retry-After` is honoured up to
          `max_retry_after`, a longer one ends the call (`ApiError.retry_after`). Each at most
          a day.
        - `max_clock_offset`: the largest clock offset learnt from a server refusing a
          signature for its time (0: never learnt).
        - `connect_timeout` and `timeout` (each attempt, the whole request; None: no limit; at
          most a day): the default transport's; AsyncClient bounds each attempt of any async
          transport by `timeout`.
        - `max_response_bytes`: the longest response body the default transports read (a
          longer one is a TransportError, not retried).
        - `debug_hook`: called after each attempt with its `csms.transports.AttemptRecord`
          (never a secret in it); an exception it raises is ignored.

        Per call: `with_options(timeout=, max_attempts=, deadline=)`."""
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
        keys = {k: given[k] for k in ("ak", "sk", "security_token", "auth_token") if given[k] is not None}
        if credentials is not None:
            if not isinstance(credentials, CredentialProvider):
                raise ValidationError("credentials", "must be a credentials provider (csms.EnvCredentials(), "
                                      f"csms.default_credentials(), ...), not {type(credentials).__name__}")
            if keys:
                raise ValidationError("credentials", f"give either credentials or {' and '.join(keys)}, not both")
            # Never used: the provider's credentials sign every request.
            keys = {"ak": "provider", "sk": "provider"}
        self._credentials = credentials
        options = {k: given[k] for k in ("region", "endpoint", "project_id", "algorithm", "user_agent",
                                         "derived_service") if given[k] is not None}
        options["credentials"] = keys
        if isinstance(max_clock_offset, bool) or not isinstance(max_clock_offset, (int, float)) \
                or not 0 <= max_clock_offset <= _MAX_CLOCK_OFFSET:
            raise ValidationError("max_clock_offset",
                                  f"must be seconds from 0 to {_MAX_CLOCK_OFFSET}, not {max_clock_offset!r}")
        options["max_clock_offset_ms"] = round(max_clock_offset * 1000)
        if max_response_bytes is not None:
            options["max_response_bytes"] = max_response_bytes  # checked by the core
        try:
            self._native = _native.Client(options)
        except ValidationError as e:
            raise ValidationError(_option_field(e.field), e.reason) from None
        # Checked by the core (RetryPolicy::validate), the one bound of every binding.
        self._policy = _native.RetryPolicy(max_attempts, backoff_base, backoff_cap, max_retry_after)
        self._connect_timeout = _seconds("connect_timeout", connect_timeout)
        self._timeout = _seconds("timeout", timeout)
        if debug_hook is not None and not callable(debug_hook):
            raise ValidationError("debug_hook", f"must be a callable taking an AttemptRecord, not {type(debug_hook).__name__}")
        self._debug_hook = debug_hook
        if transport is not None and not callable(transport):
            raise ValidationError("transport", f"must be a callable taking a Request, not {type(transport).__name__}")
        if transport is not None:
            self._check_transport(transport)
        self._transport = transport
        # The client closes the transport it makes (`_made_transport`), and one that a factory of
        # csms.transports made along with its session (requests_transport(), httpx_transport(),
        # httpx_async_transport() without a session or client of yours).
        self._made_transport = transport is None
        self._own_transport = transport is None or getattr(transport, "_closed_with_client", False) is True
        # The client whose transport this one sends with: itself, or for a view of
        # `with_options` the client it was made from. `_deadline`: a view's, for each call.
        self._owner = self
        self._deadline = None

    def with_options(self, *, timeout=_UNSET, max_attempts=_UNSET, deadline=_UNSET):
        """A view of this client whose calls use the options given here instead of its own,
        each checked as by the constructor (ValidationError naming it):

        - `timeout`: seconds for each attempt (None: no limit).
        - `max_attempts`: attempts in all (1 to 100).
        - `deadline`: seconds for the whole call, attempts, backoff and `Retry-After` waits
          included (None: none). Each attempt's timeout is cut to what is left; once it has
          passed the call ends with a TransportError whose `timed_out` is True, and no retry
          is made that would wait past it.

        Cheap: the view shares the native client, the transport, the credentials, the learnt
        clock offset and every other option; this client is unchanged. With a sync transport
        of yours, `Client` cannot cut an attempt short (the transport's own timeout applies;
        the deadline still bounds the retries and waits); `AsyncClient` bounds each attempt
        whatever the transport. Cancelling an AsyncClient call's task ends it at once with
        CancelledError and retries nothing. A view owns nothing: its `close()` / `aclose()`
        does nothing."""
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        if timeout is not _UNSET:
            view._timeout = _seconds("timeout", timeout)
        if max_attempts is not _UNSET:
            view._policy = self._policy.with_max_attempts(max_attempts)
        if deadline is not _UNSET:
            view._deadline = _seconds("deadline", deadline)
        return view

    @property
    def endpoint(self):
        """The endpoint requests go to (`https://host[:port]`)."""
        return self._native.endpoint

    @property
    def max_response_bytes(self):
        """The longest response body the default transport reads (bytes; 16 MiB by default)."""
        return self._native.max_response_bytes

    @property
    def user_agent(self):
        """The `User-Agent` header sent."""
        return self._native.user_agent

    @property
    def clock_offset(self):
        """Seconds the server's clock is ahead of this machine's (negative: behind), learnt from a
        response that refused a signature for its time; 0 until then. Calls sign with it."""
        return self._native.clock_offset

    @property
    def credentials(self):
        """The credentials provider the client signs with (None: its own `ak`/`sk` or `auth_token`)."""
        return self._credentials

    def __repr__(self):
        return f"{type(self).__name__}(endpoint={self.endpoint!r})"

    def build_request(self, operation, input=None, at=None):
        """Validates `input` (a dict of members under their wire names: path, query and body
        members together) and builds the signed request of `operation` (its official name,
        `UpdateSecret`) for the time `at` (an X-Sdk-Date string, a datetime, Unix seconds;
        None: now). No I/O, but for a client with a credentials provider, whose credentials are
        fetched first (blocking) when it has none that work. Raises ValidationError naming the
        member at fault."""
        if self._credentials is None:
            return self._native.build_request(operation, input, at)
        return self._native.build_request(operation, input, at, _transports()._lease(self._credentials))

    def parse_response(self, operation, status, headers, body):
        """The result of `operation` from the response's status, headers (a dict, pairs, or a
        headers object) and body (bytes or str). No I/O. Raises ApiError for an error status and
        DecodeError for a body that is not the operation's result."""
        data = self._native.parse(operation, status, headers, body)
        return _wrap(RESULTS.get(operation, Model), data)

    def paginate(self, operation, input=None, **members):
        """Yields the typed result of each page of a List operation (`ListSecrets`,
        `ListSecretVersions`, ...), starting from `input` and `members`, until the last page
        (an async iterator for AsyncClient): a `Pages` (`AsyncPages`), whose `items()` yields
        the items of every page instead."""
        if members:
            merged = dict(input) if input else {}
            merged.update(members)
            input = merged
        return self._page_series(self._iterate(operation, _native.Paginator(operation, input)), ITEMS.get(operation))

    def _check_transport(self, transport):
        """Refuses a transport this client cannot drive (the sync client: an async one)."""

    def _start(self, operation, input):
        """The attempts of a call (validated and built; signed for each attempt; bounded by the
        view's deadline), the transport to send them with, whether it takes each attempt's
        `timeout=` (the default transports do), and with a credentials provider what starts
        the attempts again (for the run after the service refused its credentials as expired)."""
        attempts = self._native.start(operation, input, self._policy, self._deadline)
        owner = self._owner
        transport = owner._transport
        if transport is None:
            transport = owner._transport = owner._default_transport()
        again = None
        if self._credentials is not None:
            def again():
                return self._native.start(operation, input, self._policy, self._deadline)
        return attempts, transport, owner._made_transport, again

    @staticmethod
    def _env_options(region, env, options):
        """The provider and options of a client configured from the environment (`from_env`),
        the project id aside: `credentials` (else the default chain over `env`), and the
        endpoint (else `CSMS_ENDPOINT`, `HUAWEICLOUD_SDK_REGION_CSMS_<REGION>`, or the region's,
        `region` else `HUAWEICLOUD_SDK_REGION`)."""
        provider = options.pop("credentials", None)
        if provider is None:
            provider = default_credentials(env)
        if options.get("endpoint") is None:
            options["endpoint"], region = _native.resolve_endpoint(region, env)
        options["region"] = region
        options["credentials"] = provider
        return provider

    @staticmethod
    def _env_project(env, options, lease):
        """The project id of `from_env`: the option, else `HUAWEICLOUD_SDK_PROJECT_ID`, else the
        one the first credentials came with (a profile's `project_id`)."""
        if options.get("project_id") is None:
            options["project_id"] = _native.project_id(env, lease)
        return options


class Client(_Base):
    """A CSMS client: one method per operation (`client.update_secret(secret_name=...,
    description=...)`), each building the signed request, sending it through `transport` and
    returning the typed result.

    `transport` is any callable taking a `Request` and returning `(status, headers, body)` (or
    an object with those attributes); by default the standard library's http.client, with
    keep-alive connections per host, `connect_timeout` and a `timeout` on the whole request,
    reading at most `max_response_bytes` of a response's body (16 MiB by default; a longer one
    is a TransportError, not retried). See `csms.transports` for requests and httpx. Failed attempts are retried as the core
    decides, at most `max_attempts` in all.
    """

    def _check_transport(self, transport):
        if _is_async(transport):
            raise ValidationError(
                "transport",
                "is async (a coroutine function, or an object whose __call__ is one): give it to csms.AsyncClient, "
                "or give csms.Client a sync transport (returning (status, headers, body): csms.transports."
                "requests_transport(), httpx_transport(), ...)",
            )

    @classmethod
    def from_env(cls, region=None, env=None, **options):
        """A client configured from the environment as the official SDKs are: credentials from
        `default_credentials()` (or the `credentials` option), the endpoint from `CSMS_ENDPOINT`,
        else `HUAWEICLOUD_SDK_REGION_CSMS_<REGION>`, else `region`'s (or
        `HUAWEICLOUD_SDK_REGION`'s) public endpoint, the project id from
        `HUAWEICLOUD_SDK_PROJECT_ID`, else the profile's. The credentials are fetched now, so
        that a missing one fails here (CredentialsError, or ValidationError naming the
        variable); so do a missing endpoint (`CSMS_ENDPOINT`) and project id. `env`: a mapping
        read instead of the process environment. Other options as for `Client(...)`."""
        provider = cls._env_options(region, env, options)
        return cls(**cls._env_project(env, options, _transports()._lease(provider)))

    def _call(self, operation, input):
        attempts, transport, pass_timeout, again = self._start(operation, input)
        return _wrap(RESULTS[operation], _transports().send(attempts, transport, self._debug_hook, self._credentials,
                                                            again, timeout=self._timeout, pass_timeout=pass_timeout,
                                                            bounded=self._deadline is not None))

    def _default_transport(self):
        return _transports().StdlibTransport(
            connect_timeout=self._connect_timeout, timeout=self._timeout, max_response_bytes=self.max_response_bytes)

    _page_series = Pages

    def _iterate(self, operation, pages):
        while True:
            page_input = pages.next_input()
            if page_input is None:
                return
            result = self._call(operation, page_input)
            pages.advance(result._data)
            yield result

    def close(self):
        """Closes the client's transport: the default one, or one made by requests_transport() or
        httpx_transport() without a session of yours. Another transport you gave is yours to close."""
        if self._owner is not self:
            return  # a view of with_options: the client it was made from owns the transport
        transport = self._transport
        if self._own_transport and transport is not None:
            if self._made_transport:
                self._transport = None  # made again if the client is used again
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
    `timeout` bounds each attempt of any async transport (cancelled at the deadline).
    """

    @classmethod
    async def from_env(cls, region=None, env=None, **options):
        """`Client.from_env` for AsyncClient, a coroutine: `client = await
        csms.AsyncClient.from_env()`. The credentials are fetched now (the metadata service's
        requests in a thread), so that a missing one fails here."""
        provider = cls._env_options(region, env, options)
        return cls(**cls._env_project(env, options, await _transports()._alease(provider)))

    async def _call(self, operation, input):
        attempts, transport, pass_timeout, again = self._start(operation, input)
        return _wrap(RESULTS[operation], await _transports().send_async(
            attempts, transport, self._timeout, self._debug_hook, self._credentials, again, pass_timeout=pass_timeout,
            bounded=self._deadline is not None))

    def _default_transport(self):
        return _transports().default_async_transport(
            connect_timeout=self._connect_timeout, timeout=self._timeout, max_response_bytes=self.max_response_bytes)

    _page_series = AsyncPages

    async def _iterate(self, operation, pages):
        while True:
            page_input = pages.next_input()
            if page_input is None:
                return
            result = await self._call(operation, page_input)
            pages.advance(result._data)
            yield result

    async def aclose(self):
        """Closes the client's transport: the default one, or one made by httpx_async_transport(),
        requests_transport() or httpx_transport() without a session or client of yours. Another
        transport you gave is yours to close."""
        if self._owner is not self:
            return  # a view of with_options: the client it was made from owns the transport
        transport = self._transport
        if self._own_transport and transport is not None:
            if self._made_transport:
                self._transport = None  # made again if the client is used again
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
