"""Rotation as one call: `rotate` (a `csms.Client`) and `rotate_async` (a `csms.AsyncClient`).

The steps and every decision (probe, resume, create as SYSPENDING, the race with another
rotation, apply, test, finish, RotateSecret and its task) are the Rust core's `Rotation`
(`csms._native.Rotation`); this module sends its calls through the client's normal call path,
runs the application's callbacks and sleeps.
"""

from time import monotonic

from . import _native
from ._client import AsyncClient, Client
from ._drive import _adrive, _drive
from ._errors import CsmsError, ValidationError


class RotationResult:
    """What a rotation did (no secret in it): ``version_id`` (now ``SYSCURRENT``),
    ``previous_version_id`` (now ``SYSPREVIOUS``, when known), ``resumed`` (this run finished
    a rotation an earlier run had begun) and ``steps`` (the steps this run took, in order:
    ``probe``, ``create``, ``apply``, ``test``, ``finish``, ``rotate``, ``wait``)."""

    __slots__ = ("version_id", "previous_version_id", "resumed", "steps")

    def __init__(self, version_id, previous_version_id, resumed, steps):
        self.version_id = version_id
        self.previous_version_id = previous_version_id
        self.resumed = resumed
        self.steps = list(steps)

    def __repr__(self):
        return (f"RotationResult(version_id={self.version_id!r}, previous_version_id={self.previous_version_id!r}, "
                f"resumed={self.resumed!r}, steps={self.steps!r})")

    def __eq__(self, other):
        if type(other) is not RotationResult:
            return NotImplemented
        return (self.version_id, self.previous_version_id, self.resumed, self.steps) == (
            other.version_id, other.previous_version_id, other.resumed, other.steps)

    __hash__ = None


def _start(client, client_class, secret_name, apply, generate, test, strategy, task_deadline):
    """The native rotation of a call of `rotate` (the arguments checked) and its first step."""
    if not isinstance(client, client_class):
        raise ValidationError("client", f"must be a csms.{client_class.__name__}, not {type(client).__name__}")
    for name, fn in (("apply", apply), ("generate", generate), ("test", test)):
        if not (callable(fn) or (fn is None and name != "apply")):
            raise ValidationError(name, f"must be callable, not {type(fn).__name__}")
    if task_deadline is not None and (isinstance(task_deadline, bool)
                                      or not isinstance(task_deadline, (int, float))):
        raise ValidationError("task_deadline", f"must be seconds, not {type(task_deadline).__name__}")
    rotation = _native.Rotation(secret_name, strategy, generate is not None, test is not None,
                                None if task_deadline is None else float(task_deadline))
    return rotation, rotation.start()


def _rotating(rotation, step):
    """A rotation as steps: yields what needs I/O (`("call", operation, input)`, `("sleep",
    seconds)`, `("apply", new, previous)`, `("test", new)`, `("generate",)`), is sent its outcome
    (the call's result dict or its CsmsError; what a callback returned or raised); returns the
    `RotationResult`, or raises the rotation's error."""
    while True:
        kind = step[0]
        if kind == "done":
            return RotationResult(*step[1:])
        outcome = yield step
        try:
            if kind == "call":
                step = rotation.received(outcome)
            elif kind == "sleep":
                step = rotation.woke(monotonic())
            elif kind == "apply":
                step = rotation.applied(outcome)
            elif kind == "test":
                step = rotation.tested(outcome)
            else:
                step = rotation.generated(outcome)
        except CsmsError as error:
            if not isinstance(outcome, BaseException):
                raise
            if kind != "call":
                raise error from outcome  # the callback's exception as the cause
            if type(error) is type(outcome):
                raise outcome from None  # the failed call's own exception, as the client raised it
            raise error from None  # the rotation's own error after a failed call (a 404 it expects)


def _callback(step, apply, generate, test):
    """The application's callback of a step, and its arguments."""
    kind = step[0]
    if kind == "apply":
        return apply, step[1:]
    if kind == "test":
        return test, step[1:]
    return generate, ()


def rotate(client, secret_name, apply, *, generate=None, test=None, strategy="single-user", task_deadline=None):
    """Rotates the secret `secret_name` with the rotation guide's flow, crash-safe: resumes a
    rotation an earlier run left half way; else makes a new value (`generate()` returning the
    new password, else CSMS's GenerateRandomPassword) and stores it as a version carrying only
    ``SYSPENDING`` before touching the target; calls ``apply(new_value, previous_value)`` (both
    `str`) to make the target accept it, then ``test(new_value)`` (when given: a false result
    stops the rotation), then moves ``SYSCURRENT`` to the new version (the old one becomes
    ``SYSPREVIOUS``) and removes ``SYSPENDING``. `apply` must be idempotent: after a crash the
    next run calls it again with the same value.

    `strategy`: ``single-user`` (one account's password changes) or ``alternating-users``
    (the value is a JSON object with ``username`` and ``password``; the other account gets the
    new password). For the secret types CSMS rotates itself (RDS-FG, GaussDB-FG), runs
    RotateSecret and waits for its task, at most `task_deadline` seconds (None: 10 minutes).

    Returns a `RotationResult`. Raises `RotationError` when a step of its own stops it (a
    callback's exception is its ``__cause__``), or the `CsmsError` of a CSMS call that failed;
    either way ``SYSCURRENT`` is unchanged unless the rotation got that far, and running it
    again finishes it."""
    rotation, step = _start(client, Client, secret_name, apply, generate, test, strategy, task_deadline)

    def do(need):
        if need[0] == "call":
            return client._call(need[1], need[2])._data
        if need[0] == "sleep":
            import time

            return time.sleep(need[1])
        fn, args = _callback(need, apply, generate, test)
        try:
            return fn(*args)
        except Exception as e:  # noqa: BLE001 - handed to the core, which names the step
            return e

    return _drive(_rotating(rotation, step), do)


async def rotate_async(client, secret_name, apply, *, generate=None, test=None, strategy="single-user",
                       task_deadline=None):
    """`rotate` through a `csms.AsyncClient`, as a coroutine. The callbacks may be plain
    functions or coroutine functions (anything returning an awaitable is awaited)."""
    import asyncio
    import inspect

    rotation, step = _start(client, AsyncClient, secret_name, apply, generate, test, strategy, task_deadline)

    async def do(need):
        if need[0] == "call":
            return (await client._call(need[1], need[2]))._data
        if need[0] == "sleep":
            return await asyncio.sleep(need[1])
        fn, args = _callback(need, apply, generate, test)
        try:
            outcome = fn(*args)
            return (await outcome) if inspect.isawaitable(outcome) else outcome
        except Exception as e:  # noqa: BLE001
            return e

    return await _adrive(_rotating(rotation, step), do)
