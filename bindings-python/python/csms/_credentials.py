"""Credential providers: where a client's credentials come from when they are not given as
`ak`/`sk` (`csms.Client(..., credentials=provider)`, `csms.Client.from_env()`).

A provider holds its own refresh state in the native layer (the core's `CredentialState` and
the memory of its source: the default chain's provider that worked, the metadata session
token): the core decides when to fetch (ahead of expiry), lets one fetch run at a time and
makes the other callers wait for it (or sign with the current credentials while they still
work). The waiting and the I/O that must be Python's (the metadata requests, the
application's function) are in `csms.transports` (`_lease`, `_alease`). Nothing is read
when a provider is made: the environment, the file or the service is read at each fetch.
"""

import os
import threading

from . import _native
from ._errors import ValidationError


class CredentialProvider:
    """A source of credentials for a client (`credentials=`): `EnvCredentials()`,
    `ProfileCredentials()`, `MetadataCredentials()`, `FunctionCredentials(function)` or
    `default_credentials()`. It fetches when the credentials it gave are due for refresh (40
    minutes before they expire; at half their lifetime for short-lived ones), one fetch at a
    time, and once more after the service refuses them as expired. Thread-safe: one provider
    may serve several clients, sync and async, and fetches once for them all."""

    __slots__ = ("_native", "_function", "_ready", "_waiters")

    def _setup(self, kind, argument, env, function=None):
        self._native = _native.Provider(kind, argument, env)
        self._function = function
        #: Signalled (under its lock) when a fetch ends: sync callers waiting for it wake up.
        self._ready = threading.Condition(threading.Lock())
        #: (event loop, future) of each async caller waiting for a fetch.
        self._waiters = []

    @property
    def name(self):
        """The provider's name in errors (`CredentialsError.provider`)."""
        return self._native.name

    def __repr__(self):
        return f"{type(self).__name__}()"

    def _notify(self):
        """A fetch ended (its result is in the native state): wakes every caller waiting for it."""
        with self._ready:
            self._ready.notify_all()
            waiters, self._waiters = self._waiters, []
        for loop, waiter in waiters:
            try:
                loop.call_soon_threadsafe(_wake, waiter)
            except RuntimeError:  # its event loop is closed: nobody waits there any more
                pass


def _wake(waiter):
    if not waiter.done():
        waiter.set_result(None)


class EnvCredentials(CredentialProvider):
    """The environment variables of the official SDKs, read at each fetch:
    `HUAWEICLOUD_SDK_AK` and `HUAWEICLOUD_SDK_SK` (required: a missing one is a ValidationError
    naming it), `HUAWEICLOUD_SDK_SECURITY_TOKEN` (a temporary key's) and
    `HUAWEICLOUD_SDK_PROJECT_ID`. `env`: a mapping read instead of the process environment
    (copied now)."""

    __slots__ = ()

    def __init__(self, env=None):
        self._setup("environment", None, env)


class ProfileCredentials(CredentialProvider):
    """The official SDKs' profile file, `[basic]` section (`ak`, `sk`, `security_token`,
    `project_id`), read (never written) at each fetch: `path`, else
    `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`. `env`: a mapping read
    instead of the process environment (copied now)."""

    __slots__ = ()

    def __init__(self, path=None, env=None):
        self._setup("profile", None if path is None else _path(path), env)


class MetadataCredentials(CredentialProvider):
    """Temporary keys from the instance metadata service of a cloud server (ECS with an
    agency): a session token (`PUT /meta-data/latest/api/token`, kept and renewed when
    refused), then the key (`GET /openstack/latest/securitykey`), with 3-second timeouts, no
    proxy and no redirect. `endpoint`: the service's address, else `CSMS_METADATA_ENDPOINT`,
    else `http://169.254.169.254` (refused when `CSMS_TEST_NO_METADATA` is set, as test suites
    do). `env`: a mapping read instead of the process environment (copied now)."""

    __slots__ = ()

    def __init__(self, endpoint=None, env=None):
        self._setup("metadata", endpoint, env)


class FunctionCredentials(CredentialProvider):
    """Credentials from your own function (keys from a vault, say): called with no argument,
    it returns a `csms.Credentials` (with `expires_at` when they expire; it is called again
    before then). `name` names it in errors: an exception it raises, or a return value that is
    not a `csms.Credentials`, is a CredentialsError naming it, and nothing is sent. A coroutine
    function works with AsyncClient (awaited); Client needs a plain one."""

    __slots__ = ()

    def __init__(self, function, name="function"):
        if not callable(function):
            raise ValidationError("function", f"must be a callable returning csms.Credentials, not {type(function).__name__}")
        self._setup("function", name, None, function)

    def __repr__(self):
        return f"FunctionCredentials(name={self.name!r})"


class _DefaultChain(CredentialProvider):
    """The default chain (`default_credentials()`)."""

    __slots__ = ()

    def __init__(self, env=None):
        self._setup("chain", None, env)

    def __repr__(self):
        return "default_credentials()"


def default_credentials(env=None):
    """The default chain of the official SDKs: the environment (`EnvCredentials`), the profile
    file (`ProfileCredentials`), the instance metadata service (`MetadataCredentials`), in that
    order. The first that gives credentials is kept for every later fetch; when none does, the
    CredentialsError (provider `default chain`) lists why each did not. `env`: a mapping read
    instead of the process environment (copied now)."""
    return _DefaultChain(env)


def _path(path):
    """A path given as str or os.PathLike, as text."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise ValidationError("path", f"must be a str or os.PathLike, not {type(path).__name__}") from None
    if not isinstance(path, str):
        raise ValidationError("path", "must be text, not bytes")
    return path
