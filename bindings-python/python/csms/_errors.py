"""The exceptions of the package. The native module raises these very classes."""


class CsmsError(Exception):
    """Base class of every error raised by csms; raised as such, an internal failure (kind
    ``internal``: a panic inside the native core, reported instead of crossing into Python).

    Every error has ``kind`` (``validation``, ``api``, ``decode``, ``transport``,
    ``credentials``, ``rotation``, ``internal``) and ``message`` (the core's text, also
    ``str(error)``). An internal one has ``reason``: what failed.
    """

    kind = "internal"

    def __init__(self, reason="", message=None):
        self.reason = reason
        Exception.__init__(self, reason if message is None else message)

    @property
    def message(self):
        """The error's text (``str(error)``)."""
        return str(self)

    def __str__(self):
        return str(self.args[0]) if self.args else ""

    def __reduce__(self):
        return (type(self), (self.reason, str(self)))


class ValidationError(CsmsError):
    """The input (or a client option) was refused before anything was sent.

    ``field`` is the member at fault as a path of wire names (``rotation_period``,
    ``tags[0].key``) or the client option as its keyword argument (``sk``); ``reason`` says why.
    """

    kind = "validation"

    def __init__(self, field, reason, message=None):
        self.field = field
        self.reason = reason
        Exception.__init__(self, message or f"invalid `{field}`: {reason}")

    def __reduce__(self):
        return (type(self), (self.field, self.reason, str(self)))


class ApiError(CsmsError):
    """The service answered with an error status.

    ``status`` (HTTP status), ``error_code`` (``CSMS.0106``, ``APIGW.0301``, or the status as
    text), ``error_msg`` and ``request_id`` (``X-Request-Id``, empty if absent) of the last
    response. ``not_retried`` says why a status that is normally retried (429, 503, ...) was
    not (``"RotateSecret is not idempotent and the server may have applied it"``, or a
    ``Retry-After`` longer than the client's ``max_retry_after``); None otherwise.
    ``retry_after`` is the response's ``Retry-After`` in seconds (a float), None without one.
    When the service refused the signature (401 ``APIGW.0301``), ``canonical_request`` and
    ``string_to_sign`` are what the client signed for the last attempt (the security token
    shown as ``***``, never the SK), to compare with the server's, and the message lists the
    likely causes; both are None otherwise.
    """

    kind = "api"

    def __init__(self, status, error_code, error_msg, request_id="", message=None, not_retried=None,
                 retry_after=None, *, canonical_request=None, string_to_sign=None):
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.not_retried = not_retried
        self.retry_after = retry_after
        self.canonical_request = canonical_request
        self.string_to_sign = string_to_sign
        if message is None:
            message = f"CSMS error {status} {error_code}: {error_msg}"
            if request_id:
                message += f" (request id {request_id})"
            if not_retried:
                message += f"; not retried: {not_retried}"
        Exception.__init__(self, message)

    def __reduce__(self):
        # The keyword-only fields are restored as state (BaseException.__setstate__).
        state = {"canonical_request": self.canonical_request, "string_to_sign": self.string_to_sign}
        return (type(self), (self.status, self.error_code, self.error_msg, self.request_id, str(self),
                             self.not_retried, self.retry_after), state)


class DecodeError(CsmsError):
    """A 2xx response whose body is not what the operation returns."""

    kind = "decode"

    def __init__(self, reason, status=0, request_id="", message=None):
        self.reason = reason
        self.status = status
        self.request_id = request_id
        if message is None:
            rid = f", request id {request_id}" if request_id else ""
            message = f"undecodable response (status {status}{rid}): {reason}"
        Exception.__init__(self, message)

    def __reduce__(self):
        return (type(self), (self.reason, self.status, self.request_id, str(self)))


class TransportError(CsmsError):
    """The request could not be sent, or no response came back.

    ``maybe_sent`` is False only when the request certainly did not reach the server
    (connection refused, name not resolved); a timeout or a reset after sending leaves it True.
    ``timed_out`` is True when a timeout ended the attempt: the connect timeout (then
    ``maybe_sent`` is False) or the request's own (a transport's, or the per-attempt deadline
    of ``AsyncClient``). A transport of yours says so with ``TransportError(..., timed_out=True)``.
    ``not_retried`` says why the failure was not retried when it normally would be
    (``"RotateSecret is not idempotent and the request may have reached the server"``); None
    otherwise. A transport sets it itself, with ``maybe_sent=False``, for a request its HTTP
    stack refused before sending anything (a header value it does not accept): resending the
    same request cannot help, and the call ends at once.
    """

    kind = "transport"

    def __init__(self, reason, maybe_sent=True, message=None, not_retried=None, *, timed_out=False):
        self.reason = reason
        self.maybe_sent = bool(maybe_sent)
        self.timed_out = bool(timed_out)
        self.not_retried = not_retried
        if message is None:
            message = f"transport failure: {reason}"
            if self.maybe_sent:
                message += " (the request may have reached the server)"
            if not_retried:
                message += f"; not retried: {not_retried}"
        Exception.__init__(self, message)

    def __reduce__(self):
        # timed_out is keyword-only: restored as state (BaseException.__setstate__).
        state = {"timed_out": self.timed_out}
        return (type(self), (self.reason, self.maybe_sent, str(self), self.not_retried), state)


class CredentialsError(CsmsError):
    """A credential provider failed or gave something unusable; nothing was sent.

    ``provider`` names it: ``environment``, ``profile``, ``metadata``, ``default chain`` (whose
    ``reason`` lists why each of its providers did not apply), or the name given to a
    ``FunctionCredentials``. ``reason`` says what went wrong; it never quotes a secret. (A
    variable the environment provider needs and lacks is a ValidationError naming it.)
    """

    kind = "credentials"

    def __init__(self, provider, reason, message=None):
        self.provider = provider
        self.reason = reason
        Exception.__init__(self, message or f"no credentials from the {provider} provider: {reason}")

    def __reduce__(self):
        return (type(self), (self.provider, self.reason, str(self)))


class RotationError(CsmsError):
    """A rotation (``csms.rotate``) stopped at a step of its own: the application's
    ``apply``, ``test`` or ``generate`` failed (its exception is the ``__cause__``), the test
    refused the new value, another rotation of the secret was in progress, or a ``RotateSecret``
    task failed or did not finish in time. (A CSMS call that fails during a rotation raises its
    own ``ApiError`` or ``TransportError``.)

    ``step`` is ``probe``, ``create``, ``apply``, ``test``, ``finish`` or ``wait``; ``reason``
    says what went wrong and what state the secret is left in (``SYSCURRENT`` is unchanged and
    the next run resumes). Neither quotes a secret value (the message of an exception your
    callback raised is in ``reason``: keep values out of it).
    """

    kind = "rotation"

    def __init__(self, step, reason, message=None):
        self.step = step
        self.reason = reason
        Exception.__init__(self, message or f"the rotation stopped at its {step} step: {reason}")

    def __reduce__(self):
        return (type(self), (self.step, self.reason, str(self)))
