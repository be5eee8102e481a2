// The secret cache against the emulator: the scenario every language runs (as
// core/tests/cache.rs: hits send nothing, 32 concurrent cold reads share a request, a new
// version after the TTL, the last value through an outage, refresh, accepted, a deleted
// secret raised, the listener), and what is the JS driver's own: a reader that stops
// awaiting does not stop the flight, values are decoded once, options, no value shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { AK, SK, PROJECT_ID, loadPackage, loadTesting, emulatorFor } from './helpers.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The requests the emulator got for the cache's two operations. */
async function sent(endpoint) {
  const { operations } = await (await fetch(`${endpoint}/_emulator/counts`)).json();
  return (operations.ShowSecretStage || 0) + (operations.ShowSecretVersion || 0);
}

function faults(endpoint, spec) {
  return fetch(`${endpoint}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ spec }) });
}

async function setUp(t, form = 'esm') {
  const csms = await loadPackage(form);
  const { endpoint } = await emulatorFor(t);
  const client = new csms.CsmsClient({ endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK }, backoffBaseMs: 1, backoffCapMs: 5 });
  return { csms, endpoint, client };
}

for (const form of ['esm', 'cjs']) {
  test(`${form}: the cache scenario`, async (t) => {
    const { csms, endpoint, client } = await setUp(t, form);
    await client.createSecret({ name: 'db', secret_string: 'one' });
    const ttlMs = 600;
    const cache = new csms.SecretCache(client, { ttlMs });
    const changes = [];
    cache.onChange((change) => changes.push(change));

    // 32 concurrent cold reads: one stage request and one value request.
    const reads = await Promise.all(Array.from({ length: 32 }, () => cache.get('db')));
    for (const version of reads) assert.equal(version.secret_string, 'one');
    assert.ok((await sent(endpoint)) <= 2, `${await sent(endpoint)} requests for 32 cold reads`);
    assert.ok(reads.every((v) => v === reads[0]), 'one object per version, shared');
    assert.ok(Object.isFrozen(reads[0]) && Object.isFrozen(reads[0].version_metadata), 'frozen');
    assert.deepEqual(reads[0].version_metadata.version_stages, ['SYSCURRENT']);
    const before = await sent(endpoint);
    for (let i = 0; i < 100; i++) await cache.get('db');
    assert.equal(await cache.getSecretString('db'), 'one');
    assert.equal(await sent(endpoint), before, 'hits send nothing');

    // A new version: served once the TTL is over.
    await client.createSecretVersion({ secret_name: 'db', secret_string: 'two' });
    assert.equal(await cache.getSecretString('db'), 'one', 'within the TTL');
    await sleep(ttlMs);
    assert.equal(await cache.getSecretString('db'), 'two');
    assert.equal(changes.length, 1, 'the listener heard of the move');
    assert.deepEqual({ ...changes[0] }, { secretName: 'db', stage: 'SYSCURRENT', from: 'v1', to: 'v2' });

    // The service down: the last value is served.
    await faults(endpoint, '503=100%');
    await sleep(ttlMs);
    assert.equal(await cache.getSecretString('db'), 'two');
    await faults(endpoint, null);

    // `refresh` makes the next read current, within the TTL.
    await client.createSecretVersion({ secret_name: 'db', secret_string: 'three' });
    await sleep(1100); // past the back-off of the outage
    assert.equal((await cache.refresh('db')).secret_string, 'three');
    assert.equal(await cache.getSecretString('db'), 'three');

    // Both sides of a rotation for a verifier.
    assert.deepEqual((await cache.accepted('db')).map((v) => v.secret_string), ['three', 'two']);
    // A version by its id, and a stage by its name.
    assert.equal(await cache.getSecretString('db', { versionId: 'v1' }), 'one');
    assert.equal(await cache.getSecretString('db', { stage: 'SYSPREVIOUS' }), 'two');

    // A deleted secret: raised after the TTL, never hidden.
    await client.deleteSecret({ secret_name: 'db' });
    await sleep(ttlMs);
    await assert.rejects(cache.get('db'), (e) => e instanceof csms.ApiError && e.status === 404);
  });
}

test('a reader that stops awaiting does not stop the flight', async (t) => {
  const { csms, endpoint, client } = await setUp(t);
  await client.createSecret({ name: 'db', secret_string: 'one' });
  const cache = new csms.SecretCache(client);
  // The first reader sends; it gives up at once (its own timeout), the flight goes on.
  const abandoned = Promise.race([cache.get('db'), Promise.resolve('gave up')]);
  assert.equal(await abandoned, 'gave up');
  const other = cache.get('db');
  assert.equal((await other).secret_string, 'one');
  assert.equal(await sent(endpoint), 2, 'the waiter got the first reader\'s flight');
  assert.equal(await cache.getSecretString('db'), 'one');
  assert.equal(await sent(endpoint), 2);
});

test('a failure reaches every reader of the flight, with its own error', async (t) => {
  const { csms, client } = await setUp(t);
  const cache = new csms.SecretCache(client);
  const reads = await Promise.allSettled([cache.get('missing'), cache.get('missing')]);
  for (const r of reads) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof csms.ApiError && r.reason.status === 404, String(r.reason));
  }
});

test('the service down with nothing cached: the transient error, then a back-off', async (t) => {
  const { csms, endpoint, client } = await setUp(t);
  await client.createSecret({ name: 'db', secret_string: 'one' });
  const cache = new csms.SecretCache(client);
  await faults(endpoint, '503=100%');
  await assert.rejects(cache.get('db'), (e) => e instanceof csms.ApiError && e.status === 503);
  const before = await sent(endpoint);
  // Backing off: answered from memory with the same error, nothing sent.
  await assert.rejects(cache.get('db'), (e) => e instanceof csms.ApiError && e.status === 503 && /CSMS error 503/.test(e.message));
  assert.equal(await sent(endpoint), before);
  await faults(endpoint, null);
});

test('binary values, the listener removed, clear, options', async (t) => {
  const { csms, endpoint, client } = await setUp(t);
  const bytes = Buffer.from([0, 1, 2, 250, 255]);
  await client.createSecret({ name: 'bin', secret_binary: bytes.toString('base64') });
  const cache = new csms.SecretCache(client, { maxEntries: 1, maxStaleMs: null });
  const got = await cache.getSecretBinary('bin');
  assert.ok(got instanceof Uint8Array);
  assert.deepEqual([...got], [...bytes]);
  got[0] = 9; // a copy: the cached value stays
  assert.deepEqual([...(await cache.getSecretBinary('bin'))], [...bytes]);
  assert.equal(await cache.getSecretString('bin'), undefined);

  const heard = [];
  const stop = cache.onChange((c) => heard.push(c));
  stop();
  cache.onChange(() => {
    throw new Error('a listener that fails');
  });
  await client.createSecret({ name: 'other', secret_string: 'x' });
  assert.equal(await cache.getSecretString('other'), 'x'); // evicts `bin` (maxEntries 1)
  const before = await sent(endpoint);
  await cache.getSecretBinary('bin');
  assert.equal(await sent(endpoint), before + 2, 'evicted: read again');
  cache.clear();
  await cache.get('bin');
  assert.equal(await sent(endpoint), before + 4, 'cleared: read again');
  assert.equal(heard.length, 0);

  assert.throws(() => new csms.SecretCache(client, { ttlMs: 0 }), (e) => e instanceof csms.ValidationError && e.field === 'ttlMs');
  assert.throws(() => new csms.SecretCache(client, { ttlMs: 2 * 86400000 }), (e) => e instanceof csms.ValidationError && e.field === 'ttlMs');
  assert.throws(() => new csms.SecretCache(client, { maxEntries: 0 }), (e) => e.field === 'maxEntries');
  assert.throws(() => new csms.SecretCache(client, { maxStaleMs: 'x' }), (e) => e.field === 'maxStaleMs');
  assert.throws(() => new csms.SecretCache(client, { ttl: 5 }), (e) => e.field === 'ttl' && /unknown/.test(e.message));
  assert.throws(() => new csms.SecretCache({}), (e) => e.field === 'client');
  await assert.rejects(cache.get(5), (e) => e.field === 'name');
  await assert.rejects(cache.get('bin', { stage: 'SYSCURRENT', versionId: 'v1' }), (e) => e.field === 'stage');
});

test('nothing secret is shown', async (t) => {
  const { csms, client } = await setUp(t);
  await client.createSecret({ name: 'db', secret_string: 'hunter2-secret' });
  const cache = new csms.SecretCache(client);
  await cache.get('db');
  for (const shown of [inspect(cache, { depth: 10, showHidden: true }), String(cache), JSON.stringify(cache)]) {
    assert.ok(!shown.includes('hunter2'), shown);
  }
});

test('a transport failure served again while backing off is the same error', async (t) => {
  const csms = await loadPackage();
  const transport = async () => {
    throw new csms.TransportError('connection reset by peer', { maybeSent: true });
  };
  const client = new csms.CsmsClient({ endpoint: 'http://127.0.0.1:9', projectId: PROJECT_ID, credentials: { ak: AK, sk: SK }, maxAttempts: 1, transport });
  const cache = new csms.SecretCache(client);
  const first = await cache.get('db').catch((e) => e);
  assert.ok(first instanceof csms.TransportError, String(first));
  // Backing off: the core answers from memory with the error it kept (read back from JSON).
  const again = await cache.get('db').catch((e) => e);
  assert.ok(again instanceof csms.TransportError && again !== first, String(again));
  assert.equal(again.message, first.message);
  assert.equal(again.reason, 'connection reset by peer');
  assert.equal(again.maybeSent, true);
});

test('a trap of the module during a read: the read goes on with a new instance, the cache empty', async (t) => {
  const { csms, endpoint, client } = await setUp(t);
  await client.createSecret({ name: 'db', secret_string: 'one' });
  // A transport that holds the first request until released.
  let release;
  const held = new Promise((resolve) => {
    release = resolve;
  });
  let first = true;
  const transport = async (request, context) => {
    if (first) {
      first = false;
      await held;
    }
    return csms.fetchTransport(request, context);
  };
  const slow = new csms.CsmsClient({ endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK }, transport });
  const cache = new csms.SecretCache(slow);
  const reads = [cache.get('db'), cache.get('db')];
  await sleep(20);
  const { panicForTests } = await loadTesting();
  assert.throws(() => panicForTests('during a read'), (e) => e.kind === 'internal' && /panic in csms-core/.test(e.message));
  release();
  for (const version of await Promise.all(reads)) assert.equal(version.secret_string, 'one');
  assert.equal(await cache.getSecretString('db'), 'one');
});
