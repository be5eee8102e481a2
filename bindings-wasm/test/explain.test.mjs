// A refused signature explains itself (ApiError.canonicalRequest / stringToSign, the likely
// causes in the message), and the `debugHook` hook sees every attempt, against the emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AK, PROJECT_ID, loadPackage, emulatorFor } from './helpers.mjs';

const { CsmsClient, ApiError, TransportError, ValidationError } = await loadPackage('esm');
const SECURITY_TOKEN = 'JS-SECURITY-TOKEN-0123';
const WRONG_SK = 'WRONG-SK-0123456789abcdef';

const FAST = { maxAttempts: 3, backoffBaseMs: 1, backoffCapMs: 5 };

test('a wrong SK shows what was signed and no secret', async (t) => {
  const { endpoint } = await emulatorFor(t);
  const client = new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: WRONG_SK, securityToken: SECURITY_TOKEN } });
  const error = await client.showSecret({ secret_name: 'db' }).then(
    () => assert.fail('expected a 401'),
    (e) => e,
  );
  assert.ok(error instanceof ApiError, String(error));
  assert.equal(error.status, 401);
  assert.equal(error.errorCode, 'APIGW.0301');
  assert.match(error.canonicalRequest, /^GET\n\/v1\//);
  assert.ok(error.canonicalRequest.includes('\nx-security-token:***\n'), error.canonicalRequest);
  assert.match(error.stringToSign, /^SDK-HMAC-SHA256\n/);
  // The emulator's 401 quotes what it computed (Rust's Debug quoting): the same strings.
  assert.ok(error.errorMsg.includes(error.canonicalRequest.replaceAll('\n', '\\n')), error.errorMsg);
  assert.ok(error.errorMsg.includes(error.stringToSign.replaceAll('\n', '\\n')), error.errorMsg);
  const m = error.message;
  assert.ok(m.indexOf("clock is more than 15 minutes off") < m.indexOf('a wrong SK for this AK'), m);
  assert.ok(m.indexOf('a wrong SK for this AK') < m.indexOf('a proxy changed the host, path or a signed header'), m);
  for (const text of [error.canonicalRequest, error.stringToSign, m, JSON.stringify(error)]) {
    assert.ok(!text.includes(WRONG_SK) && !text.includes(SECURITY_TOKEN), text);
  }
  // Other errors carry nothing.
  const good = new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: (await import('./helpers.mjs')).SK } });
  const missing = await good.showSecret({ secret_name: 'missing' }).catch((e) => e);
  assert.equal(missing.status, 404);
  assert.equal(missing.canonicalRequest, undefined);
});

test('debugHook gets one record per attempt, with retries and transport failures', async (t) => {
  const { endpoint } = await emulatorFor(t, ['--faults', 'seed=5,503=100%']);
  const records = [];
  const { SK } = await import('./helpers.mjs');
  const client = new CsmsClient({
    endpoint,
    projectId: PROJECT_ID,
    credentials: { ak: AK, sk: SK, securityToken: SECURITY_TOKEN },
    ...FAST,
    debugHook: (r) => records.push({ ...r, canonical: r.canonicalRequest() }),
  });
  const error = await client.showSecret({ secret_name: 'db' }).catch((e) => e);
  assert.equal(error.status, 503);
  assert.deepEqual(records.map((r) => r.attempt), [1, 2, 3]);
  for (const r of records) {
    assert.equal(r.operation, 'ShowSecret');
    assert.equal(r.method, 'GET');
    assert.equal(r.status, 503);
    assert.equal(r.error, undefined);
    assert.ok(r.url.endsWith('/secrets/db'), r.url);
    assert.ok(r.requestId.length > 0);
    assert.ok(r.durationMs >= 0 && r.durationMs < 10000);
    assert.match(r.canonical, /^GET\n/);
    assert.ok(r.canonical.includes('x-security-token:***') && !r.canonical.includes(SECURITY_TOKEN));
  }

  const closed = await emulatorFor(t, ['--faults', 'seed=5,close-before=100%']);
  const failures = [];
  const failing = new CsmsClient({ endpoint: closed.endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK }, ...FAST, debugHook: (r) => failures.push(r) });
  assert.ok((await failing.showSecret({ secret_name: 'db' }).catch((e) => e)) instanceof TransportError);
  assert.deepEqual(failures.map((r) => r.attempt), [1, 2, 3]);
  assert.ok(failures.every((r) => r.status === undefined && typeof r.error === 'string' && r.requestId === ''));
});

test('a hook that throws or rejects does not break the call', async (t) => {
  const { endpoint } = await emulatorFor(t);
  const { SK } = await import('./helpers.mjs');
  let calls = 0;
  for (const debugHook of [
    () => {
      calls += 1;
      throw new Error('the hook fails');
    },
    async () => {
      calls += 1;
      throw new Error('the hook rejects');
    },
  ]) {
    const client = new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK }, debugHook });
    const name = `hooked-${calls}`;
    await client.createSecret({ name, secret_string: 'v' });
    assert.equal((await client.showSecret({ secret_name: name })).secret.name, name);
  }
  assert.equal(calls, 4);
  assert.throws(() => new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK }, debugHook: 'log' }), ValidationError);
});
