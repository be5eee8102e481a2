// Per-call settings, the second argument of every operation method
// (`client.showSecret(input, { signal, timeoutMs, maxAttempts })`): against the emulator and a
// server that never answers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { AK, SK, PROJECT_ID, loadPackage, silentServer as silent, startEmulator } from './helpers.mjs';

const { CsmsClient, TransportError, ValidationError } = await loadPackage('esm');
const credentials = { ak: AK, sk: SK };

const cleanup = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server that never answers (test/helpers.mjs), closed after the tests. */
const silentServer = () => silent((stop) => cleanup.push(stop));

/** How many requests the emulator got, all operations together. */
async function requests(endpoint) {
  const { operations } = await (await fetch(`${endpoint}/_emulator/counts`)).json();
  return Object.values(operations).reduce((a, b) => a + b, 0);
}

const isAbortError = (e) => {
  assert.equal(e.name, 'AbortError', e && e.stack);
  if (typeof DOMException === 'function') assert.ok(e instanceof DOMException, 'a DOMException, as fetch rejects with');
  assert.match(e.message, /aborted/);
  return true;
};

test('a per-call timeoutMs replaces the client-wide one: TransportError timedOut, in time', async () => {
  const { server, endpoint } = await silentServer();
  const client = new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials, maxAttempts: 1 }); // 60 s by default
  const started = Date.now();
  await assert.rejects(client.showSecret({ secret_name: 'db' }, { timeoutMs: 200 }), (e) => {
    assert.ok(e instanceof TransportError, e.stack);
    assert.equal(e.timedOut, true);
    assert.equal(e.maybeSent, true);
    assert.match(e.message, /no complete response in 200 ms/);
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 1500, `${elapsed} ms for one attempt of 200 ms`);
  assert.equal(server.requests, 1);
});

test('a per-call maxAttempts replaces the client-wide one', async () => {
  const { server, endpoint } = await silentServer();
  const client = new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials, maxAttempts: 1, backoffBaseMs: 0, timeoutMs: 100 });
  await assert.rejects(client.showSecret({ secret_name: 'db' }, { maxAttempts: 3 }), (e) => e instanceof TransportError && e.timedOut);
  assert.equal(server.requests, 3);
  await assert.rejects(client.send('ShowSecret', { secret_name: 'db' }, { maxAttempts: 2 }), TransportError);
  assert.equal(server.requests, 5, 'send takes them too');
});

test('an abort ends the call within the attempt, with an AbortError, not retried', async () => {
  const { server, endpoint } = await silentServer();
  const client = new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials, maxAttempts: 3, backoffBaseMs: 0 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  const started = Date.now();
  await assert.rejects(client.showSecret({ secret_name: 'db' }, { signal: controller.signal }), isAbortError);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1200, `${elapsed} ms: within 1 s of the abort`);
  await sleep(300);
  assert.equal(server.requests, 1, 'not retried');
});

test('an abort during the backoff ends the call at once; its reason is the cause', async () => {
  const { server, endpoint } = await silentServer();
  const client = new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials, maxAttempts: 3, backoffBaseMs: 30000, backoffCapMs: 30000, timeoutMs: 50 });
  const controller = new AbortController();
  const call = client.listSecrets({}, { signal: controller.signal });
  await sleep(300); // the first attempt timed out; waiting up to 30 s before the second
  const started = Date.now();
  controller.abort(new Error('shutting down'));
  await assert.rejects(call, (e) => isAbortError(e) && e.cause.message === 'shutting down');
  assert.ok(Date.now() - started < 1000);
  assert.equal(server.requests, 1);
});

test('the call signal aborts a custom transport signal', async () => {
  let context;
  const client = new CsmsClient({
    endpoint: 'http://127.0.0.1:9', projectId: PROJECT_ID, credentials,
    transport: (request, ctx) => {
      context = ctx;
      return new Promise(() => {}); // never settles, ignores the signal
    },
  });
  const controller = new AbortController();
  const call = client.listSecrets({}, { signal: controller.signal, timeoutMs: 5000 });
  await sleep(50);
  assert.equal(context.timeoutMs, 5000, 'the per-call timeout reaches the transport');
  controller.abort();
  await assert.rejects(call, isAbortError);
  assert.equal(context.signal.aborted, true);
});

test('against the emulator: calls with settings work; an aborted signal sends nothing', async () => {
  const emu = await startEmulator();
  cleanup.push(emu.stop);
  const client = new CsmsClient({ endpoint: emu.endpoint, projectId: PROJECT_ID, credentials });
  await client.createSecret({ name: 's1', secret_string: 'v' }, { timeoutMs: 5000, maxAttempts: 1, signal: new AbortController().signal });
  const { secret } = await client.showSecret({ secret_name: 's1' }, { timeoutMs: 5000 });
  assert.equal(secret.name, 's1');
  const before = await requests(emu.endpoint);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(client.showSecret({ secret_name: 's1' }, { signal: controller.signal }), isAbortError);
  await assert.rejects(client.send('ShowSecret', { secret_name: 's1' }, { signal: AbortSignal.abort() }), isAbortError);
  assert.equal(await requests(emu.endpoint), before, 'nothing sent');
});

test('bad settings are ValidationErrors naming them; nothing is sent', async () => {
  let sent = 0;
  const client = new CsmsClient({ endpoint: 'http://127.0.0.1:9', projectId: PROJECT_ID, credentials, transport: async () => { sent++; return { status: 200, body: '{}' }; } });
  const cases = [
    [{ maxAttempts: 0 }, 'maxAttempts', /from 1 to 100/],
    [{ maxAttempts: 101 }, 'maxAttempts', /from 1 to 100/],
    [{ maxAttempts: 1.5 }, 'maxAttempts', /whole number/],
    [{ deadlineMs: 0 }, 'deadlineMs', /whole number of ms from 1/],
    [{ timeoutMs: 0 }, 'timeoutMs', /whole number of ms from 1/],
    [{ timeoutMs: 1.5 }, 'timeoutMs', /whole number/],
    [{ signal: {} }, 'signal', /AbortSignal/],
    [{ backoffBaseMs: 5 }, 'backoffBaseMs', /unknown option of a call/],
    ['fast', 'options', /must be an object/],
  ];
  for (const [options, field, reason] of cases) {
    await assert.rejects(client.showSecret({ secret_name: 'x' }, options), (e) => {
      assert.ok(e instanceof ValidationError, e.stack);
      assert.equal(e.field, field);
      assert.match(e.reason, reason);
      return true;
    });
  }
  assert.equal(sent, 0);
});
