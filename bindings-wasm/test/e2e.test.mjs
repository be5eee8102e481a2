// End to end against the emulator, with the default fetch transport and with a custom
// transport (node:http), through the ESM and the CommonJS builds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { AK, SK, PROJECT_ID, TOKEN, loadPackage, startEmulator } from './helpers.mjs';
import { rotationFlow, differences } from './flow.mjs';

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  if (emulator) await emulator.stop();
});

/** A transport over node:http, recording what it sent. */
function httpTransport(seen) {
  return (request) =>
    new Promise((resolve, reject) => {
      seen.push(request);
      const req = http.request(request.url, { method: request.method, headers: request.headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (request.body !== null) req.write(request.body);
      req.end();
    });
}

for (const form of ['esm', 'cjs']) {
  test(`${form}: rotation flow with the default fetch transport`, async () => {
    const csms = await loadPackage(form);
    const log = await rotationFlow(csms, (o) => new csms.CsmsClient(o), {
      ak: AK, sk: SK, projectId: PROJECT_ID, endpoint: emulator.endpoint,
    });
    assert.deepEqual(differences(log), [], JSON.stringify(log));
  });

  test(`${form}: rotation flow with a custom transport`, async () => {
    const csms = await loadPackage(form);
    const seen = [];
    const log = await rotationFlow(csms, (o) => new csms.CsmsClient(o), {
      ak: AK, sk: SK, projectId: PROJECT_ID, endpoint: emulator.endpoint, transport: httpTransport(seen),
    });
    assert.deepEqual(differences(log), [], JSON.stringify(log));
    assert.ok(seen.length >= 7, `the custom transport sent ${seen.length} requests`);
    assert.ok(seen.every((r) => r.headers.Authorization.startsWith('SDK-HMAC-SHA256 ')));
  });
}

test('every algorithm and a token are accepted by the emulator', async () => {
  const csms = await loadPackage('esm');
  for (const algorithm of ['SDK-HMAC-SHA256', 'SDK-HMAC-SM3', 'SDK-ECDSA-P256-SHA256', 'SDK-SM2-SM3']) {
    const client = new csms.CsmsClient({ endpoint: emulator.endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK }, algorithm });
    const result = await client.listSecrets({ limit: 5 });
    assert.ok(Array.isArray(result.secrets), algorithm);
  }
  const v11 = new csms.CsmsClient({
    endpoint: emulator.endpoint, region: 'cn-north-4', projectId: PROJECT_ID, credentials: { ak: AK, sk: SK }, algorithm: 'V11-HMAC-SHA256',
  });
  assert.ok(Array.isArray((await v11.listSecrets({})).secrets));
  const token = new csms.CsmsClient({ endpoint: emulator.endpoint, projectId: PROJECT_ID, credentials: { authToken: TOKEN } });
  assert.ok(Array.isArray((await token.listSecrets()).secrets));
  const badToken = new csms.CsmsClient({ endpoint: emulator.endpoint, projectId: PROJECT_ID, credentials: { authToken: 'nope' } });
  await assert.rejects(badToken.listSecrets(), (e) => e instanceof csms.ApiError && e.status === 401);
});

test('userAgent is signed and sent when given (Node)', async () => {
  const csms = await loadPackage('esm');
  const seen = [];
  const client = new csms.CsmsClient({
    endpoint: emulator.endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK }, userAgent: 'my-app/1.0', transport: httpTransport(seen),
  });
  await client.listSecrets();
  assert.match(seen[0].headers['User-Agent'], /^csms-sdk-js\/\d+\.\d+\.\d+.*; my-app\/1\.0$/);
  assert.match(seen[0].headers.Authorization, /SignedHeaders=[^,]*user-agent/);
  const plain = new csms.CsmsClient({ endpoint: emulator.endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK } });
  assert.equal(plain.buildRequest('ListSecrets', {}).headers['User-Agent'], undefined);
});

test('a transport failure is a TransportError', async () => {
  const csms = await loadPackage('esm');
  const client = new csms.CsmsClient({ endpoint: 'http://127.0.0.1:1', projectId: PROJECT_ID, credentials: { ak: AK, sk: SK } });
  await assert.rejects(client.listSecrets(), (e) => e instanceof csms.TransportError && e.kind === 'transport' && e instanceof Error);
  const custom = new csms.CsmsClient({
    endpoint: emulator.endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK },
    transport: async () => {
      throw 'a string';
    },
  });
  await assert.rejects(custom.listSecrets(), (e) => e instanceof csms.TransportError && /a string/.test(e.message));
});
