"""The secret cache: `SecretCache` (threads) and `AsyncSecretCache` (asyncio).

Every rule (TTL with jitter, single flight, stale values through an outage, back-off, 404
and 403 never hidden, eviction) is the Rust core's `CacheState` (`csms._native.CacheState`);
this module only sends a flight's requests through the client's normal call path (retries,
credentials, transport), waits for flights of other readers, and calls the listeners. The
clock is `time.monotonic()`.
"""

import os
import threading
from time import monotonic

from . import _native
from ._client import AsyncClient, Client
from ._drive import _adrive, _drive
from ._errors import CsmsError, ValidationError
from ._model import _wrap
from ._models import Version

#: What `_native.CacheState.get` returns for a read that waits for another reader's flight.
_WAIT = 0

#: The stages `accepted` reads: SYSCURRENT, SYSPREVIOUS, SYSPENDING.
_ACCEPTED = tuple(_native.accepted_stages())
_CURRENT = _ACCEPTED[0]


def _version(result):
    """The object readers get for a cached version: the `csms.Version` of its
    `ShowSecretVersion` result (made once per version, kept by the native state)."""
    return _wrap(Version, result.get("version") or {})


def _accepting():
    """`accepted` as steps: yields each stage to read, is sent its version (or the CsmsError the
    read raised); returns the versions, each once, stages found absent (404) left out."""
    versions = []
    for stage in _ACCEPTED:
        version = yield stage
        if isinstance(version, CsmsError):
            if stage != _CURRENT and _native.cache_is_absent(version):
                continue
            raise version
        if all(version is not seen for seen in versions):
            versions.append(version)
    return versions


def _flying(state, flight):
    """A flight as steps: yields each `(operation, input)` to call, is sent its result dict (or
    the CsmsError it raised); returns the flight's outcome (a version) or raises its error (the
    call's own exception when the outcome is the call's failure)."""
    while True:
        result = yield flight.call()
        try:
            outcome = state.receive(flight, result, monotonic())
        except CsmsError:
            if isinstance(result, CsmsError):
                raise result from None  # the call's own exception, traceback and all
            raise
        if outcome is not None:
            return outcome


class SecretChange:
    """A stage of a cached secret moved to another version (what `on_change` listeners get).

    ``secret_name``, ``stage`` (``SYSCURRENT``, ...), ``from_version`` and ``to_version``
    (version ids; None: no version carried the stage)."""

    __slots__ = ("secret_name", "stage", "from_version", "to_version")

    def __init__(self, secret_name, stage, from_version, to_version):
        self.secret_name = secret_name
        self.stage = stage
        self.from_version = from_version
        self.to_version = to_version

    def __repr__(self):
        return (f"SecretChange(secret_name={self.secret_name!r}, stage={self.stage!r}, "
                f"from_version={self.from_version!r}, to_version={self.to_version!r})")

    def __eq__(self, other):
        if type(other) is not SecretChange:
            return NotImplemented
        return (self.secret_name, self.stage, self.from_version, self.to_version) == (
            other.secret_name, other.stage, other.from_version, other.to_version)

    __hash__ = None


def _number(name, value, optional=False):
    """A seconds option: an int or float (None too when `optional`); ranges are the core's."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        allowed = "a number of seconds, or None for no limit" if optional else "a number of seconds"
        raise ValidationError(name, f"must be {allowed}, not {type(value).__name__}")
    return float(value)


class _Closed:
    """The state of a closed cache: every read raises."""

    def _closed(self, *args):
        raise CsmsError("the secret cache is closed")

    get = refresh = _closed

    def clear(self):
        pass

    def __len__(self):
        return 0


class _CacheBase:
    """What both caches share: the options, the native state, the listeners."""

    _client_class = None

    def __init__(self, client, *, ttl=300.0, max_entries=1024, max_stale=86400.0):
        if not isinstance(client, self._client_class):
            raise ValidationError(
                "client", f"must be a csms.{self._client_class.__name__} for csms.{type(self).__name__}, not "
                f"{type(client).__name__}")
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 0:
            raise ValidationError("max_entries", f"must be a whole number of 1 or more, not {max_entries!r}")
        self._client = client
        self._ttl = _number("ttl", ttl)
        self._max_stale = _number("max_stale", max_stale, optional=True)
        seed = int.from_bytes(os.urandom(8), "little")
        self._state = _native.CacheState(self._ttl, max_entries, self._max_stale, seed, _version)
        self._listeners = []
        self._started()

    def _started(self):
        """The state of the sync or async cache, made at the end of `__init__` (the one place
        its options and their defaults are)."""

    @property
    def client(self):
        """The client the cache reads through."""
        return self._client

    def on_change(self, fn):
        """Calls `fn(change)` (a `csms.SecretChange`) whenever a stage of a cached secret is
        seen on another version, in the reader that fetched it, after the read's outcome is
        known. What `fn` raises is ignored. Returns `fn` (usable as a decorator)."""
        if not callable(fn):
            raise ValidationError("fn", f"must be callable, not {type(fn).__name__}")
        self._listeners.append(fn)
        return fn

    def clear(self):
        """Forgets every cached value (flights in progress still end normally)."""
        self._state.clear()

    def _close_state(self):
        state, self._state = self._state, _Closed()
        state.clear()
        self._listeners = []

    def _tell(self, state):
        """Calls the listeners with the changes the state saw; returns what they returned."""
        changes = state.take_changes()
        returned = []
        if not changes:
            return returned
        listeners = list(self._listeners)
        for change in changes:
            change = SecretChange(*change)
            for listener in listeners:
                try:
                    returned.append(listener(change))
                except Exception:  # noqa: BLE001 - a listener's failure is its own
                    pass
        return returned

    @staticmethod
    def _binary(version):
        value = version.secret_binary
        if value is None:
            return None
        import base64

        return base64.b64decode(value)

    def __len__(self):
        return len(self._state)

    def __repr__(self):
        return f"{type(self).__name__}(entries={len(self._state)}, ttl={self._ttl!r}, max_stale={self._max_stale!r})"


class SecretCache(_CacheBase):
    """A cache of secret values in front of a `csms.Client`, usable from many threads.

    Reads follow a stage (``SYSCURRENT`` by default) through a pointer refreshed every
    ``ttl`` seconds (each expiry drawn in [ttl/2, ttl)): one ``ShowSecretStage``, and a
    ``ShowSecretVersion`` only for a version not cached yet. Concurrent reads of a cold or
    expired entry make one request, the others wait for it. A transient failure (transport,
    5xx, 429) serves the last value for up to ``max_stale`` seconds past its expiry (None: no
    limit) and backs off; a 404 or 403 is raised, never hidden. At most ``max_entries``
    secrets, least recently used evicted first. The rules are the Rust core's, the same in
    every language.

    ``get`` returns the version as a `csms.Version` (``secret_string``, ``secret_binary``,
    ``version_metadata``): the same object for every read of that version, read-only.
    """

    _client_class = Client

    def _started(self):
        self._done = threading.Condition()

    def get(self, name, stage=None, version_id=None):
        """The version of the secret `name` carrying `stage` (None: ``SYSCURRENT``), or the
        version `version_id` (cached until evicted: versions do not change), as a
        `csms.Version`. Raises the error of the service (`ApiError` 404 for a deleted secret
        or an absent stage, ...) when no value may stand in for it."""
        hit = self._state.get(name, stage, version_id, monotonic())
        if type(hit) is not tuple:
            return hit
        return self._miss(name, stage, version_id, hit)

    def get_secret_string(self, name, stage=None, version_id=None):
        """The text value of `get(...)` (None when the secret holds binary data)."""
        return self.get(name, stage, version_id).secret_string

    def get_secret_binary(self, name, stage=None, version_id=None):
        """The binary value of `get(...)` as bytes (None when the secret holds text)."""
        return self._binary(self.get(name, stage, version_id))

    def refresh(self, name):
        """Asks the service now (unless it was asked less than a second ago: many callers at
        once make one request) and returns the current version: for the moment the
        application learns that the value it has stopped working."""
        self._state.refresh(name, monotonic())
        return self.get(name)

    def accepted(self, name):
        """The versions a verifier accepts during a rotation: ``SYSCURRENT``'s, then
        ``SYSPREVIOUS``'s and ``SYSPENDING``'s when they exist, each version once."""
        return _drive(_accepting(), lambda stage: self.get(name, stage))

    def close(self):
        """Forgets every cached value and the listeners; reads then raise `CsmsError`. The
        client is yours to close."""
        self._close_state()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _miss(self, name, stage, version_id, lookup):
        state = self._state
        while True:
            if lookup[0] != _WAIT:
                return self._fly(state, lookup[1])
            flight_id = lookup[1]
            with self._done:
                while state.is_flying(flight_id):
                    self._done.wait()
            outcome = state.outcome(flight_id)
            if outcome is not None:
                return outcome
            # Abandoned by its sender: read again (this reader may send).
            lookup = state.get(name, stage, version_id, monotonic())
            if type(lookup) is not tuple:
                return lookup

    def _fly(self, state, flight):
        """Sends the flight's requests through the client and hands their outcomes to the
        state; wakes the waiters and tells the listeners when it ends. A failure that is not a
        CSMS error (or an interrupt) abandons the flight: a waiter sends it again."""
        try:
            return _drive(_flying(state, flight), lambda call: self._client._call(*call)._data)
        finally:
            state.abandon(flight)  # nothing when it ended
            with self._done:
                self._done.notify_all()
            self._tell(state)


class AsyncSecretCache(_CacheBase):
    """`SecretCache` for asyncio, in front of a `csms.AsyncClient`: `get`, `get_secret_string`,
    `get_secret_binary`, `refresh`, `accepted` and `close` are coroutines (`clear` and
    `on_change` are not: they do no I/O).

    A flight runs as its own task: a reader that is cancelled (or times out) while it waits,
    the one that started the flight included, does not cancel it for the others. A listener
    may be a coroutine function: it then runs as a task of its own. Use a cache from one event
    loop.
    """

    _client_class = AsyncClient

    def _started(self):
        self._tasks = {}
        self._listening = set()

    async def get(self, name, stage=None, version_id=None):
        """`SecretCache.get`, as a coroutine."""
        hit = self._state.get(name, stage, version_id, monotonic())
        if type(hit) is not tuple:
            return hit
        return await self._miss(name, stage, version_id, hit)

    async def get_secret_string(self, name, stage=None, version_id=None):
        """The text value of `get(...)` (None when the secret holds binary data)."""
        return (await self.get(name, stage, version_id)).secret_string

    async def get_secret_binary(self, name, stage=None, version_id=None):
        """The binary value of `get(...)` as bytes (None when the secret holds text)."""
        return self._binary(await self.get(name, stage, version_id))

    async def refresh(self, name):
        """`SecretCache.refresh`, as a coroutine."""
        self._state.refresh(name, monotonic())
        return await self.get(name)

    async def accepted(self, name):
        """`SecretCache.accepted`, as a coroutine."""
        return await _adrive(_accepting(), lambda stage: self.get(name, stage))

    async def close(self):
        """Cancels the flights in progress, forgets every cached value and the listeners;
        reads then raise `CsmsError`. The client is yours to close."""
        import asyncio

        self._close_state()
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    async def _miss(self, name, stage, version_id, lookup):
        import asyncio

        state = self._state
        while True:
            if lookup[0] != _WAIT:
                flight = lookup[1]
                task = asyncio.ensure_future(self._fly(state, flight))
                self._tasks[flight.id] = task
                task.add_done_callback(lambda t, i=flight.id: self._landed(i, t))
                return await asyncio.shield(task)
            flight_id = lookup[1]
            task = self._tasks.get(flight_id)
            if task is not None:
                await asyncio.wait((task,))
            elif state.is_flying(flight_id):
                await asyncio.sleep(0.001)  # another loop's flight (a cache is for one loop)
            outcome = state.outcome(flight_id)
            if outcome is not None:
                return outcome
            lookup = state.get(name, stage, version_id, monotonic())
            if type(lookup) is not tuple:
                return lookup

    async def _send(self, call):
        return (await self._client._call(*call))._data

    def _landed(self, flight_id, task):
        self._tasks.pop(flight_id, None)
        if not task.cancelled():
            task.exception()  # retrieved: a sender that was cancelled never reads it

    async def _fly(self, state, flight):
        try:
            return await _adrive(_flying(state, flight), self._send)
        finally:
            state.abandon(flight)
            self._listen(self._tell(state))

    def _listen(self, returned):
        """Runs the coroutines async listeners returned as tasks of their own."""
        import asyncio
        import inspect

        for value in returned:
            if inspect.isawaitable(value):
                task = asyncio.ensure_future(value)
                self._listening.add(task)
                task.add_done_callback(self._heard)

    def _heard(self, task):
        self._listening.discard(task)
        if not task.cancelled():
            task.exception()
