"""Runs steps written once as a generator, with sync or async I/O: the secret cache's flights
and `accepted`, and rotations, share their logic between the sync and async APIs this way."""

from ._errors import CsmsError


def _drive(steps, do):
    """Runs `steps`, a generator that yields what needs I/O and is sent each one's outcome:
    `do(need)` gives it (a `CsmsError` that `do` raises is sent as the outcome). Returns what
    the generator returns. (`_adrive` is the same for a coroutine `do`.)"""
    outcome = None
    while True:
        try:
            need = steps.send(outcome)
        except StopIteration as done:
            return done.value
        try:
            outcome = do(need)
        except CsmsError as e:
            outcome = e


async def _adrive(steps, do):
    """`_drive` for a coroutine function `do`."""
    outcome = None
    while True:
        try:
            need = steps.send(outcome)
        except StopIteration as done:
            return done.value
        try:
            outcome = await do(need)
        except CsmsError as e:
            outcome = e
