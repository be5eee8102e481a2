// Credential providers against the emulator: fromEnv, the environment, the profile file,
// temporary keys from the emulator's metadata endpoints refreshed ahead of expiry, single
// flight, the application's function, the default chain's error, and a refetch after an
// expired-token 401. Every metadata provider here points at the emulator (loopback); the
// suite runs with CSMS_TEST_NO_METADATA=1 (run-tests sets it), so a forgotten override fails
// at once instead of reaching the real address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { AK, SK, PROJECT_ID, TOKEN, loadPackage, loadOtherCopy, emulatorFor } from './helpers.mjs';

if (process.env.CSMS_TEST_NO_METADATA !== '1') {
  throw new Error('run with CSMS_TEST_NO_METADATA=1 (bindings-wasm/run-tests sets it): a test could reach 169.254.169.254');
}

const csms = await loadPackage('esm');
const {
  CsmsClient,
  CsmsError,
  CredentialsError,
  ValidationError,
  EnvCredentials,
  ProfileCredentials,
  MetadataCredentials,
  FunctionCredentials,
  defaultCredentials,
} = csms;


/** How many requests each operation got (`/_emulator/counts`). */
async function operations(endpoint) {
  const counts = await (await fetch(`${endpoint}/_emulator/counts`)).json();
  return counts.operations;
}

const client = (endpoint, credentials, options = {}) => new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials, ...options });
const rejection = (promise) => promise.then(() => assert.fail('expected an error'), (e) => e);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('fromEnv reads the official variables from an env object', async (t) => {
  const { endpoint } = await emulatorFor(t);
  const env = { CSMS_ENDPOINT: endpoint, HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK, HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID };
  const csmsClient = await CsmsClient.fromEnv({ env, maxAttempts: 1 });
  assert.equal(csmsClient.endpoint, endpoint);
  assert.ok(Array.isArray((await csmsClient.listSecrets({})).secrets));

  // A missing variable fails in fromEnv, named.
  const { HUAWEICLOUD_SDK_PROJECT_ID: _, ...noProject } = env;
  let error = await rejection(CsmsClient.fromEnv({ env: noProject }));
  assert.ok(error instanceof ValidationError, String(error));
  assert.equal(error.field, 'HUAWEICLOUD_SDK_PROJECT_ID');
  error = await rejection(CsmsClient.fromEnv({ env: { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK } }));
  assert.equal(error.field, 'CSMS_ENDPOINT');
  // The official per-region variable, for a region given here.
  const regional = { HUAWEICLOUD_SDK_REGION_CSMS_CN_NORTH_4: endpoint, HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK, HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID };
  assert.equal((await CsmsClient.fromEnv({ env: regional, region: 'cn-north-4' })).endpoint, endpoint);
  // What the environment gives cannot also be given.
  error = await rejection(CsmsClient.fromEnv({ env, endpoint }));
  assert.ok(error instanceof ValidationError && error.field === 'endpoint', String(error));
});

test('fromEnv reads process.env when no env is given', async (t) => {
  const { endpoint } = await emulatorFor(t);
  const set = { CSMS_ENDPOINT: endpoint, HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK, HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID };
  const saved = Object.fromEntries(Object.keys(set).map((k) => [k, process.env[k]]));
  Object.assign(process.env, set);
  try {
    const csmsClient = await CsmsClient.fromEnv();
    assert.equal(csmsClient.endpoint, endpoint);
    await csmsClient.listSecrets({});
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('a missing HUAWEICLOUD_SDK_SK is a ValidationError naming it, and nothing is sent', async (t) => {
  const { endpoint } = await emulatorFor(t);
  const provider = EnvCredentials({ env: { HUAWEICLOUD_SDK_AK: AK } });
  const error = await rejection(client(endpoint, provider).listSecrets({}));
  assert.ok(error instanceof ValidationError, String(error));
  assert.equal(error.field, 'HUAWEICLOUD_SDK_SK');
  assert.equal((await operations(endpoint)).ListSecrets ?? 0, 0);
  // Through fromEnv, the default chain stops there too: half an access key names the other half.
  const chained = await rejection(CsmsClient.fromEnv({ env: { CSMS_ENDPOINT: endpoint, HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_CREDENTIALS_FILE: '/nonexistent/c', CSMS_METADATA_ENDPOINT: endpoint } }));
  assert.ok(chained instanceof ValidationError, String(chained));
  assert.equal(chained.field, 'HUAWEICLOUD_SDK_SK');
});

test('the default chain says why each provider did not apply', async (t) => {
  const { endpoint } = await emulatorFor(t); // no --metadata: its metadata paths answer 404
  const env = { HUAWEICLOUD_SDK_CREDENTIALS_FILE: '/nonexistent/csms-test/credentials', CSMS_METADATA_ENDPOINT: endpoint };
  const error = await rejection(client(endpoint, defaultCredentials({ env })).listSecrets({}));
  assert.ok(error instanceof CredentialsError && error instanceof CsmsError, String(error));
  assert.equal(error.kind, 'credentials');
  assert.equal(error.provider, 'default chain');
  for (const part of [
    'environment: invalid `HUAWEICLOUD_SDK_AK`: is not set',
    'profile: no credentials from the profile provider: /nonexistent/csms-test/credentials: does not exist',
    'metadata: no credentials from the metadata provider: the security key request got status 404',
  ]) {
    assert.ok(error.message.includes(part) && error.reason.includes(part), `${part} not in ${error.message}`);
  }
  assert.equal((await operations(endpoint)).ListSecrets ?? 0, 0);
});

test('the real metadata address is refused under the tests, at once', async (t) => {
  const started = Date.now();
  // No endpoint anywhere, and an env object without the guard: the process's guard holds.
  const error = await rejection(client('http://127.0.0.1:9', MetadataCredentials({ env: {} })).listSecrets({}));
  assert.ok(error instanceof CredentialsError, String(error));
  assert.equal(error.provider, 'metadata');
  assert.match(error.message, /refusing to contact http:\/\/169\.254\.169\.254/);
  assert.ok(Date.now() - started < 1000);
});

test('the profile file', async (t) => {
  const { endpoint } = await emulatorFor(t);
  const dir = mkdtempSync(join(tmpdir(), 'csms-profile-'));
  try {
    const path = join(dir, 'credentials');
    writeFileSync(path, `[basic]\nak = ${AK}\nsk = ${SK}\nproject_id = ${PROJECT_ID}\n`);
    await client(endpoint, ProfileCredentials({ path })).listSecrets({});
    // fromEnv takes the project id the profile names.
    const fromEnv = await CsmsClient.fromEnv({ env: { CSMS_ENDPOINT: endpoint, HUAWEICLOUD_SDK_CREDENTIALS_FILE: path } });
    await fromEnv.listSecrets({});
    writeFileSync(path, `[basic]\nak = ${AK}\n`);
    const error = await rejection(client(endpoint, ProfileCredentials({ path })).listSecrets({}));
    assert.ok(error instanceof CredentialsError && error.provider === 'profile', String(error));
    assert.match(error.reason, /lacks `ak` or `sk`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('temporary keys that live 4 seconds: refreshed ahead, no call fails, a few fetches', async (t) => {
  const { endpoint } = await emulatorFor(t, ['--metadata', '--temp-credential-ttl', '4']);
  const csmsClient = client(endpoint, MetadataCredentials({ endpoint }));
  const started = Date.now();
  let calls = 0;
  while (Date.now() - started < 13000) {
    await csmsClient.listSecrets({}).catch((e) => assert.fail(`call ${calls} at ${Date.now() - started} ms failed: ${e}`));
    calls += 1;
    await sleep(200);
  }
  const ops = await operations(endpoint);
  const fetches = ops.MetadataSecurityKey;
  // Refreshed at half of the 4-second lifetime: about 7 fetches for about 60 calls.
  assert.ok(fetches >= 3 && fetches <= 14, `${fetches} fetches for ${calls} calls`);
  assert.ok(calls >= 40, `${calls} calls`);
  assert.equal(ops.ListSecrets, calls, 'no call was refused and retried');
  assert.equal(ops.MetadataToken, 1, 'the session token is kept');
});

test('concurrent calls on a cold provider make one fetch; a provider shared by two clients too', async (t) => {
  const { endpoint } = await emulatorFor(t, ['--metadata']);
  const provider = MetadataCredentials({ endpoint });
  const one = client(endpoint, provider);
  const two = client(endpoint, provider);
  await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? one : two).listSecrets({})));
  const ops = await operations(endpoint);
  assert.equal(ops.MetadataSecurityKey, 1);
  assert.equal(ops.ListSecrets, 16);

  let called = 0;
  const slow = FunctionCredentials(async () => {
    called += 1;
    await sleep(300);
    return { ak: AK, sk: SK };
  });
  const three = client(endpoint, slow);
  await Promise.all(Array.from({ length: 8 }, () => three.listSecrets({})));
  assert.equal(called, 1);
});

test('a function provider: keys with an expiry, or a token', async (t) => {
  const { endpoint } = await emulatorFor(t);
  let calls = 0;
  const vault = FunctionCredentials(
    () => {
      calls += 1;
      return { ak: AK, sk: SK, expiresAt: new Date(Date.now() + 3600 * 1000), projectId: PROJECT_ID };
    },
    { name: 'vault' },
  );
  const csmsClient = client(endpoint, vault);
  await csmsClient.listSecrets({});
  await csmsClient.listSecrets({});
  assert.equal(calls, 1, 'fetched once while fresh');
  // Milliseconds, and an IAM token.
  await client(endpoint, FunctionCredentials(async () => ({ authToken: TOKEN, expiresAt: Date.now() + 3600 * 1000 }))).listSecrets({});
  // No secret in sight.
  for (const shown of [inspect(vault, { showHidden: true, depth: 5 }), String(vault), JSON.stringify(vault)]) {
    assert.ok(!shown.includes(SK), shown);
  }
});

test('a function that throws or returns nonsense: a CredentialsError naming it, nothing sent', async (t) => {
  const { endpoint } = await emulatorFor(t);
  const secret = 'sk-secret-value-0123';
  const cases = [
    [() => {
      throw new Error('vault sealed');
    }, 'the function failed: vault sealed'],
    [async () => Promise.reject(new TypeError('no network')), 'no network'],
    [() => 42, 'not an object'],
    [() => undefined, 'not an object'],
    [() => ({ ak: 5, sk: secret }), 'invalid `ak`: must be a string'],
    [() => ({ ak: AK }), 'credentials.sk'],
    [() => ({ ak: 'A K\n', sk: secret }), 'credentials.ak'],
    [() => ({ ak: AK, sk: secret, authToken: TOKEN }), 'not both'],
    [() => ({ ak: AK, sk: secret, expiresAt: 'tomorrow' }), 'expiresAt'],
    [() => ({ ak: AK, sk: secret, expiresAt: new Date(NaN) }), 'expiresAt'],
    [() => ({ ak: AK, sk: secret, expiresAt: Date.now() - 1000 }), 'check the clock'],
    [() => ({ ak: AK, sk: secret, extra: 1 }), 'invalid `extra`'],
    [() => ({ ak: AK, sk: 10n }), 'not JSON'],
  ];
  for (const [fn, says] of cases) {
    const error = await rejection(client(endpoint, FunctionCredentials(fn, { name: 'vault' })).listSecrets({}));
    assert.ok(error instanceof CredentialsError, `${says}: ${error}`);
    assert.equal(error.provider, 'vault');
    assert.ok(error.message.includes(says), `${says} not in ${error.message}`);
    assert.ok(!error.message.includes(secret), error.message);
  }
  // The default name.
  const unnamed = await rejection(client(endpoint, FunctionCredentials(() => null)).listSecrets({}));
  assert.equal(unnamed.provider, 'function');
  assert.deepEqual(await operations(endpoint), {}, 'nothing was sent');
});

test('an expired-token 401: the credentials are fetched again and the call retried once', async (t) => {
  const { endpoint } = await emulatorFor(t, ['--metadata', '--temp-credential-ttl', '60']);
  const csmsClient = client(endpoint, MetadataCredentials({ endpoint }));
  await csmsClient.listSecrets({});
  // The server's clock jumps past the key's expiry; the client still thinks it fresh.
  const set = await fetch(`${endpoint}/_emulator/clock`, { method: 'POST', body: JSON.stringify({ offset_ms: 61000 }) });
  assert.equal(set.status, 200);
  await csmsClient.listSecrets({});
  const ops = await operations(endpoint);
  assert.equal(ops.MetadataSecurityKey, 2);
  assert.equal(ops.ListSecrets, 3, 'the refused attempt and its retry');
});

test("debugHook's canonical request is the one the provider's credentials signed", async (t) => {
  const { endpoint } = await emulatorFor(t, ['--metadata']);
  const canonical = [];
  const csmsClient = client(endpoint, MetadataCredentials({ endpoint }), { debugHook: (r) => canonical.push(r.canonicalRequest()) });
  await csmsClient.listSecrets({});
  assert.equal(canonical.length, 1);
  // A temporary key: its security token signed, shown masked.
  assert.ok(canonical[0].includes('\nx-security-token:***\n'), canonical[0]);
});

test('the options: a provider or a key, not both; buildRequest needs fixed credentials', async (t) => {
  const provider = EnvCredentials({ env: {} });
  const base = { endpoint: 'http://127.0.0.1:9', projectId: PROJECT_ID };
  assert.throws(() => new CsmsClient({ ...base, ak: AK, sk: SK, credentials: provider }), ValidationError);
  const withProvider = new CsmsClient({ ...base, credentials: provider });
  assert.throws(() => withProvider.buildRequest('ListSecrets', {}), (e) => e instanceof ValidationError && e.field === 'credentials');
  assert.throws(() => EnvCredentials({ env: 'HOME=/' }), (e) => e instanceof ValidationError && e.field === 'env');
  assert.throws(() => FunctionCredentials('not a function'), ValidationError);
  assert.throws(() => MetadataCredentials({ endpoint: 7 }), (e) => e instanceof ValidationError && e.field === 'endpoint');
  // A provider of another copy of the package (another version of it) is not one of this copy's.
  const other = await loadOtherCopy();
  assert.throws(() => new CsmsClient({ ...base, credentials: other.EnvCredentials() }), ValidationError);
  // Its errors are recognised across copies, as the others.
  assert.ok(new other.CredentialsError('x', { provider: 'p' }) instanceof CredentialsError);
});
