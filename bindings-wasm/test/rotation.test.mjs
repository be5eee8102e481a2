// `rotate` against the emulator, the main scenarios of core/tests/rotation.rs: a clean run
// (sync and async callbacks), a failing apply then a resumed run, a refused test leaves
// SYSCURRENT, alternating users, a generator, two rotations at once, a secret CSMS rotates
// itself (RotateSecret and its task), and the errors (RotationError, no value in them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AK, SK, PROJECT_ID, loadPackage, emulatorFor } from './helpers.mjs';

const FIRST = JSON.stringify({ username: 'app', password: 'p0' });

async function setUp(t, form = 'esm') {
  const csms = await loadPackage(form);
  const { endpoint } = await emulatorFor(t);
  const client = new csms.CsmsClient({ endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK }, backoffBaseMs: 1, backoffCapMs: 5 });
  return { csms, endpoint, client };
}

/** A database: each user's password, and every value it was told to accept. */
function database(users = { app: 'p0', app_clone: 'c0' }) {
  const db = {
    passwords: { ...users },
    applied: [],
    failApply: false,
    refuse: false,
    accepts(value) {
      const { username, password } = JSON.parse(value);
      return db.passwords[username] === password;
    },
    apply(newValue) {
      if (db.failApply) {
        db.failApply = false;
        throw new Error('the database is unreachable');
      }
      const { username, password } = JSON.parse(newValue);
      db.passwords[username] = password;
      db.applied.push(newValue);
    },
    test: (newValue) => !db.refuse && db.accepts(newValue),
  };
  return db;
}

async function stage(client, name, stageName) {
  try {
    return (await client.showSecretStage({ secret_name: name, stage_name: stageName })).stage.version_id;
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

async function value(client, name, versionId) {
  return (await client.showSecretVersion({ secret_name: name, version_id: versionId })).version.secret_string;
}

/** The end state of every rotation: one new version current, the target on it, no pending. */
async function checkRotated(client, name, db, user = 'app') {
  const current = await stage(client, name, 'SYSCURRENT');
  assert.notEqual(current, 'v1');
  assert.equal(await stage(client, name, 'SYSPREVIOUS'), 'v1');
  assert.equal(await stage(client, name, 'SYSPENDING'), null, 'no SYSPENDING left');
  const { version_metadatas } = await client.listSecretVersions({ secret_name: name });
  assert.equal(version_metadatas.length, 2, 'no version created twice');
  const now = await value(client, name, current);
  assert.ok(db.accepts(now), 'the target has the current value');
  assert.equal(JSON.parse(now).username, user);
}

for (const form of ['esm', 'cjs']) {
  test(`${form}: a rotation in one call, sync and async callbacks`, async (t) => {
    const { csms, client } = await setUp(t, form);
    for (const kind of ['sync', 'async']) {
      const name = `clean-${kind}`;
      await client.createSecret({ name, secret_string: FIRST });
      const db = database();
      const hooks =
        kind === 'sync'
          ? { apply: db.apply, test: db.test }
          : { apply: async (n, p) => db.apply(n, p), test: async (n) => db.test(n) };
      const result = await csms.rotate(client, name, hooks);
      assert.deepEqual(result, { versionId: 'v2', previousVersionId: 'v1', resumed: false, steps: ['probe', 'create', 'apply', 'test', 'finish'] });
      await checkRotated(client, name, db);
    }
  });
}

test('a crash around any call, then a second run: one new version, the value the target got', async (t) => {
  const { csms, endpoint, client } = await setUp(t);
  // A client whose transport stops the run at its n-th request: before sending it, or after
  // sending it with the answer lost (as if the process died there).
  const crashing = (at, sendFirst) => {
    let n = 0;
    const transport = async (request, context) => {
      n += 1;
      if (n === at && !sendFirst) throw new csms.TransportError('the process died before sending', { maybeSent: false });
      const response = await csms.fetchTransport(request, context);
      if (n === at) throw new csms.TransportError('the process died before reading the answer', { maybeSent: true });
      return response;
    };
    const counted = new csms.CsmsClient({ endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK }, maxAttempts: 1, transport });
    return { counted, sent: () => n };
  };
  // A clean run, to count its calls.
  await client.createSecret({ name: 'count', secret_string: FIRST });
  const probe = crashing(0, false);
  await csms.rotate(probe.counted, 'count', { apply: database().apply });
  const calls = probe.sent();
  assert.ok(calls >= 7, `${calls} calls`);
  for (let at = 1; at <= calls; at++) {
    for (const sendFirst of [false, true]) {
      const name = `crash-${at}-${sendFirst ? 'after' : 'before'}`;
      await client.createSecret({ name, secret_string: FIRST });
      const db = database();
      const { counted } = crashing(at, sendFirst);
      await assert.rejects(csms.rotate(counted, name, { apply: db.apply, test: db.test }), (e) => e instanceof csms.TransportError);
      const done = (await stage(client, name, 'SYSPENDING')) === null && (await stage(client, name, 'SYSCURRENT')) !== 'v1';
      if (!done) await csms.rotate(client, name, { apply: db.apply, test: db.test });
      await checkRotated(client, name, db);
      assert.equal(new Set(db.applied).size, 1, `${name}: one value applied (maybe twice)`);
    }
  }
});

test('a failing apply stops with a RotationError; the next run resumes', async (t) => {
  const { csms, client } = await setUp(t);
  await client.createSecret({ name: 'failing', secret_string: FIRST });
  const db = database();
  db.failApply = true;
  const error = await csms.rotate(client, 'failing', { apply: db.apply, test: db.test }).then(
    () => assert.fail('the rotation went through'),
    (e) => e,
  );
  assert.ok(error instanceof csms.RotationError && error instanceof csms.CsmsError, String(error));
  assert.equal(error.kind, 'rotation');
  assert.equal(error.step, 'apply');
  assert.match(error.message, /the database is unreachable/);
  assert.equal(error.cause && error.cause.message, 'the database is unreachable');
  assert.ok(!error.message.includes('"password"') && !error.reason.includes('"password"'), 'no value in the error');
  assert.equal(await stage(client, 'failing', 'SYSCURRENT'), 'v1', 'unchanged');
  assert.equal(await stage(client, 'failing', 'SYSPENDING'), 'v2', 'left for the next run');

  const result = await csms.rotate(client, 'failing', { apply: db.apply, test: db.test });
  assert.equal(result.resumed, true);
  assert.equal(result.versionId, 'v2');
  await checkRotated(client, 'failing', db);
});

test('a refused test leaves SYSCURRENT unchanged', async (t) => {
  const { csms, client } = await setUp(t);
  await client.createSecret({ name: 'refused', secret_string: FIRST });
  const db = database();
  db.refuse = true;
  await assert.rejects(
    csms.rotate(client, 'refused', { apply: db.apply, test: db.test }),
    (e) => e instanceof csms.RotationError && e.step === 'test' && /did not accept the new value/.test(e.reason),
  );
  assert.equal(await stage(client, 'refused', 'SYSCURRENT'), 'v1');
});

test('alternating users: the other user gets the new password, the previous one still works', async (t) => {
  const { csms, client } = await setUp(t);
  await client.createSecret({ name: 'dual', secret_string: FIRST });
  const db = database();
  const seen = [];
  const result = await csms.rotate(client, 'dual', {
    apply: (newValue, previousValue) => {
      seen.push(previousValue);
      db.apply(newValue);
    },
    generate: async () => 'generated-by-the-host',
    strategy: 'alternating-users',
  });
  assert.deepEqual(result.steps, ['probe', 'create', 'apply', 'finish']);
  await checkRotated(client, 'dual', db, 'app_clone');
  assert.equal(JSON.parse(await value(client, 'dual', result.versionId)).password, 'generated-by-the-host');
  assert.ok(db.accepts(await value(client, 'dual', 'v1')), 'the previous user still works');
  assert.deepEqual(seen, [FIRST]);
});

test('two rotations at once apply one value', async (t) => {
  const { csms, client } = await setUp(t);
  await client.createSecret({ name: 'race', secret_string: FIRST });
  const db = database();
  const outcomes = await Promise.allSettled([0, 1].map(() => csms.rotate(client, 'race', { apply: async (n) => db.apply(n) })));
  assert.equal(new Set(db.applied).size, 1, JSON.stringify(outcomes));
  assert.ok(outcomes.some((o) => o.status === 'fulfilled'));
  for (const o of outcomes) {
    if (o.status === 'rejected') assert.ok(o.reason instanceof csms.RotationError && o.reason.step === 'create', String(o.reason));
  }
  assert.ok(db.accepts(await value(client, 'race', await stage(client, 'race', 'SYSCURRENT'))));
});

test('a secret CSMS rotates itself: RotateSecret and its task', async (t) => {
  const { csms, client } = await setUp(t);
  await client.createSecret({
    name: 'rds',
    secret_string: FIRST,
    secret_type: 'RDS-FG',
    rotation_config: JSON.stringify({ InstanceId: 'i1', SecretSubType: 'SingleUser' }),
    rotation_func_urn: 'urn:fss:cn-north-4:p:function:default:rotate',
  });
  const applied = [];
  const result = await csms.rotate(client, 'rds', { apply: (n) => applied.push(n) });
  assert.deepEqual(result.steps, ['probe', 'rotate', 'wait']);
  assert.equal(result.previousVersionId, 'v1');
  assert.equal(await stage(client, 'rds', 'SYSCURRENT'), result.versionId);
  assert.deepEqual(applied, [], 'CSMS applied it, not the host');
});

test('options and call errors', async (t) => {
  const { csms, client } = await setUp(t);
  const apply = () => {};
  await assert.rejects(csms.rotate(client, 'x', {}), (e) => e instanceof csms.ValidationError && e.field === 'apply');
  await assert.rejects(csms.rotate(client, 'x', { apply, strategy: 'dual' }), (e) => e instanceof csms.ValidationError && e.field === 'strategy');
  await assert.rejects(csms.rotate(client, 'x', { apply, generate: 'pw' }), (e) => e.field === 'generate');
  await assert.rejects(csms.rotate(client, 'x', { apply, tests: () => true }), (e) => e.field === 'tests');
  await assert.rejects(csms.rotate(client, '', { apply }), (e) => e.field === 'secret_name');
  // A CSMS call that fails is its own error.
  await assert.rejects(csms.rotate(client, 'missing', { apply }), (e) => e instanceof csms.ApiError && e.status === 404);
  // A generator that gives no string stops at `create`.
  await client.createSecret({ name: 'gen', secret_string: 'plain' });
  await assert.rejects(csms.rotate(client, 'gen', { apply, generate: () => 42 }), (e) => e instanceof csms.RotationError && e.step === 'create');
});
