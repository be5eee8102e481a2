"""Rotation against the emulator (the main scenarios of core/tests/rotation.rs): a clean run, a
failing apply then a resumed run, a crash between steps then a second run, a refused test,
alternating users, two rotations at once, a secret CSMS rotates itself, and the async driver
with async callbacks."""

import asyncio
import json
import threading
import uuid

import pytest

import csms

FIRST = json.dumps({"username": "app", "password": "p0"})


@pytest.fixture()
def server(module_emulator):
    return module_emulator


@pytest.fixture()
def client(server):
    with csms.Client(**server.client_options()) as c:
        yield c


class Database:
    """A database: each user's password, and every value it was told to accept."""

    def __init__(self, **users):
        self.passwords = dict(users)
        self.applied = []
        self.fail_apply = False
        self.lock = threading.Lock()

    def apply(self, new_value, previous_value):
        assert isinstance(new_value, str) and isinstance(previous_value, str)
        if self.fail_apply:
            self.fail_apply = False
            raise ConnectionError("the database is unreachable")
        value = json.loads(new_value)
        with self.lock:
            self.passwords[value["username"]] = value["password"]
            self.applied.append(new_value)

    def accepts(self, new_value):
        value = json.loads(new_value)
        return self.passwords.get(value["username"]) == value["password"]


def new_secret(client, value=FIRST, **extra):
    name = f"rot-{uuid.uuid4().hex[:12]}"
    client.create_secret(name=name, secret_string=value, **extra)
    return name


def stage(client, name, stage_name):
    try:
        return client.show_secret_stage(secret_name=name, stage_name=stage_name).stage.version_id
    except csms.ApiError as e:
        if e.status == 404:
            return None
        raise


def value(client, name, version_id):
    return client.show_secret_version(secret_name=name, version_id=version_id).version.secret_string


def check_rotated(client, name, db, user="app"):
    """One new version current, the target on its value, the old one previous, no pending, no
    version made twice."""
    current = stage(client, name, "SYSCURRENT")
    assert current != "v1"
    assert stage(client, name, "SYSPREVIOUS") == "v1"
    assert stage(client, name, "SYSPENDING") is None
    assert len(client.list_secret_versions(secret_name=name).version_metadatas) == 2
    new = value(client, name, current)
    assert db.accepts(new)
    assert json.loads(new)["username"] == user


def test_a_clean_run(client):
    name = new_secret(client)
    db = Database(app="p0")
    result = csms.rotate(client, name, db.apply, test=db.accepts)
    assert isinstance(result, csms.RotationResult)
    assert result.steps == ["probe", "create", "apply", "test", "finish"]
    assert (result.version_id, result.previous_version_id, result.resumed) == ("v2", "v1", False)
    assert "p0" not in repr(result)
    check_rotated(client, name, db)


def test_a_failing_apply_stops_and_the_next_run_resumes(client):
    name = new_secret(client)
    db = Database(app="p0")
    db.fail_apply = True
    with pytest.raises(csms.RotationError) as raised:
        csms.rotate(client, name, db.apply, test=db.accepts)
    error = raised.value
    assert error.step == "apply" and error.kind == "rotation"
    assert isinstance(error.__cause__, ConnectionError)
    assert "the database is unreachable" in error.reason
    assert "password" not in str(error)
    assert stage(client, name, "SYSCURRENT") == "v1", "unchanged"
    assert stage(client, name, "SYSPENDING") == "v2", "left for the next run"
    result = csms.rotate(client, name, db.apply, test=db.accepts)
    assert result.resumed and result.version_id == "v2"
    check_rotated(client, name, db)


def test_a_crash_between_steps_then_a_second_run_converges(client):
    """The process dies after the target took the new value and before SYSCURRENT moved: a
    second run applies that same value again and finishes."""
    name = new_secret(client)
    db = Database(app="p0")

    def apply_then_crash(new_value, previous_value):
        db.apply(new_value, previous_value)
        raise SystemExit  # the process dies after changing the target

    with pytest.raises(SystemExit):
        csms.rotate(client, name, apply_then_crash)
    assert stage(client, name, "SYSCURRENT") == "v1"
    result = csms.rotate(client, name, db.apply)
    assert result.resumed
    check_rotated(client, name, db)
    assert len(set(db.applied)) == 1, "the same value applied both times"


class FailingAt:
    """A transport that fails the `at`-th request (counting from 1): before sending it, or after
    the server applied it (the answer lost), as a crash or an outage between two calls would."""

    def __init__(self, at, after_sending):
        self.at, self.after_sending, self.count = at, after_sending, 0
        self.stdlib = csms.transports.StdlibTransport()

    def __call__(self, request):
        self.count += 1
        if self.count == self.at and not self.after_sending:
            raise csms.TransportError("down", maybe_sent=False)
        response = self.stdlib(request)
        if self.count == self.at:
            raise csms.TransportError("the answer was lost", maybe_sent=True)
        return response


def test_a_failure_between_any_two_calls_then_a_second_run_converges(server, client):
    """Every call of a clean run failing in turn, before it is sent and after it is applied:
    the run stops with that call's TransportError, and a second run finishes the rotation with
    one new version and one value applied."""
    calls = 9  # ShowSecret, 2 ShowSecretStage, ShowSecretVersion, GenerateRandomPassword,
    #            CreateSecretVersion, ListSecretVersions, UpdateSecretStage, DeleteSecretStage
    for at in range(1, calls + 1):
        for after_sending in (False, True):
            name = new_secret(client)
            db = Database(app="p0")
            failing = FailingAt(at, after_sending)
            with csms.Client(**server.client_options(transport=failing, max_attempts=1)) as flaky:
                with pytest.raises(csms.TransportError):
                    csms.rotate(flaky, name, db.apply, test=db.accepts)
            failing.stdlib.close()
            if stage(client, name, "SYSPENDING") is not None or stage(client, name, "SYSCURRENT") == "v1":
                csms.rotate(client, name, db.apply, test=db.accepts)
            check_rotated(client, name, db)
            assert len(set(db.applied)) == 1, (at, after_sending)


def test_a_refused_test_leaves_syscurrent_unchanged(client):
    name = new_secret(client)
    db = Database(app="p0")
    with pytest.raises(csms.RotationError) as raised:
        csms.rotate(client, name, db.apply, test=lambda new_value: False)
    assert raised.value.step == "test"
    assert "the target did not accept the new value" in raised.value.reason
    assert stage(client, name, "SYSCURRENT") == "v1"


def test_alternating_users_and_a_generator(client):
    name = new_secret(client)
    db = Database(app="p0", app_clone="c0")
    result = csms.rotate(client, name, db.apply, test=db.accepts, generate=lambda: "generated-Pw-1",
                         strategy="alternating-users")
    assert result.version_id == "v2"
    check_rotated(client, name, db, user="app_clone")
    assert json.loads(value(client, name, "v2"))["password"] == "generated-Pw-1"
    assert db.accepts(value(client, name, "v1")), "the previous user still works"
    with pytest.raises(csms.ValidationError) as raised:
        csms.rotate(client, name, db.apply, strategy="both")
    assert raised.value.field == "strategy"


def test_two_rotations_at_once_apply_one_value(server):
    name = new_secret(csms.Client(**server.client_options()))
    db = Database(app="p0")
    outcomes = []
    both_probed = threading.Barrier(2, timeout=10)
    passwords = iter(["racer-Pw-1", "racer-Pw-2"])

    def generate():  # both runs probed the secret before either stores a value
        both_probed.wait()
        return next(passwords)

    def run():
        with csms.Client(**server.client_options()) as c:
            try:
                outcomes.append(csms.rotate(c, name, db.apply, generate=generate))
            except csms.RotationError as e:
                outcomes.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(db.applied)) == 1, outcomes
    won = [o for o in outcomes if isinstance(o, csms.RotationResult)]
    lost = [o for o in outcomes if isinstance(o, csms.RotationError)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    assert lost[0].step == "create" and "another rotation" in lost[0].reason
    assert db.accepts(value(csms.Client(**server.client_options()), name, won[0].version_id))


def test_a_secret_csms_rotates_itself_waits_for_its_task(client):
    name = new_secret(client, secret_type="RDS-FG",
                      rotation_config='{"InstanceId":"i1","SecretSubType":"SingleUser"}',
                      rotation_func_urn="urn:fss:cn-north-4:p:function:default:rotate")
    db = Database()
    result = csms.rotate(client, name, db.apply)
    assert result.steps == ["probe", "rotate", "wait"]
    assert result.previous_version_id == "v1"
    assert stage(client, name, "SYSCURRENT") == result.version_id
    assert db.applied == [], "CSMS applied it, not the host"


def test_rotate_async_with_async_and_sync_callbacks(server):
    async def scenario():
        async with csms.AsyncClient(**server.client_options()) as client:
            name = f"rot-{uuid.uuid4().hex[:12]}"
            await client.create_secret(name=name, secret_string=FIRST)
            db = Database(app="p0")

            async def apply(new_value, previous_value):
                await asyncio.sleep(0)
                db.apply(new_value, previous_value)

            async def failing(new_value, previous_value):
                raise ConnectionError("down")

            with pytest.raises(csms.RotationError) as raised:
                await csms.rotate_async(client, name, failing)
            assert raised.value.step == "apply"
            result = await csms.rotate_async(client, name, apply, test=db.accepts)
            assert result.resumed and result.steps == ["probe", "apply", "test", "finish"]
            return name, db

    name, db = asyncio.run(scenario())
    with csms.Client(**server.client_options()) as client:
        check_rotated(client, name, db)
