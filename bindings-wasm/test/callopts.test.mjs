// Per-call settings, the second argument of every operation method
// (`client.showSecret(input, { signal, timeoutMs, maxAttempts, deadlineMs })`): against the
// emulator and a server that never answers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { AK, SK, PROJECT_ID, loadPackage, silentServer as silent, startEmulator } from './helpers.mjs';

const { ApiError, CsmsClient, FunctionCredentials, TransportError, ValidationError } = await loadPackage('esm');
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

test('deadlineMs bounds the whole call: attempts cut to what is left, no attempt after it', async () => {
  const { server, endpoint } = await silentServer();
  const records = [];
  // Each attempt may take 60 s (the default); the deadline cuts the first one.
  const client = new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials, maxAttempts: 3, backoffBaseMs: 0, debugHook: (r) => records.push(r) });
  let started = Date.now();
  await assert.rejects(client.showSecret({ secret_name: 'db' }, { deadlineMs: 400 }), (e) => {
    assert.ok(e instanceof TransportError, e.stack);
    assert.equal(e.timedOut, true);
    assert.match(e.message, /deadline of 400 ms/);
    assert.match(e.notRetried, /deadline/);
    return true;
  });
  let elapsed = Date.now() - started;
  assert.ok(elapsed >= 390 && elapsed < 1400, `${elapsed} ms for a deadline of 400 ms`);
  await sleep(200);
  assert.equal(server.requests, 1, 'no attempt after the deadline');
  assert.deepEqual(records.map((r) => [r.attempt, r.status, /deadline/.test(r.error)]), [[1, undefined, true]], 'debugHook saw the attempt');

  // Attempts of 150 ms, 3 of them allowed, within 400 ms: the third is cut to what is left.
  started = Date.now();
  await assert.rejects(client.showSecret({ secret_name: 'db' }, { deadlineMs: 400, timeoutMs: 150 }), (e) => e instanceof TransportError && e.timedOut);
  elapsed = Date.now() - started;
  assert.ok(elapsed >= 390 && elapsed < 1400, `${elapsed} ms for a deadline of 400 ms`);
  await sleep(200);
  assert.equal(server.requests, 4, 'three attempts, none after the deadline');
});

test('deadlineMs: a backoff or Retry-After wait that would pass it is not made', async () => {
  let sent = 0;
  const throttled = async () => (sent++, { status: 429, headers: { 'Retry-After': '5' }, body: '{"error_code":"CSMS.0429","error_msg":"slow down"}' });
  const client = new CsmsClient({ endpoint: 'http://127.0.0.1:9', projectId: PROJECT_ID, credentials, transport: throttled });
  const started = Date.now();
  await assert.rejects(client.showSecret({ secret_name: 'db' }, { deadlineMs: 1000 }), (e) => {
    assert.ok(e instanceof ApiError, e.stack);
    assert.equal(e.retryAfterMs, 5000);
    assert.match(e.notRetried, /deadline of 1000 ms would pass/);
    return true;
  });
  assert.ok(Date.now() - started < 500, 'ended at once, without waiting');
  assert.equal(sent, 1);
  // Without a deadline the same call waits as asked (here cut short by an abort).
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  await assert.rejects(client.showSecret({ secret_name: 'db' }, { signal: controller.signal }), isAbortError);
  assert.equal(sent, 2);
});

test('deadlineMs bounds a wait for credentials too', async () => {
  let sent = 0;
  const client = new CsmsClient({
    endpoint: 'http://127.0.0.1:9', projectId: PROJECT_ID,
    credentials: FunctionCredentials(() => new Promise(() => {})), // never gives any
    transport: async () => (sent++, { status: 200, body: '{}' }),
  });
  const started = Date.now();
  await assert.rejects(client.showSecret({ secret_name: 'db' }, { deadlineMs: 300 }), (e) => e instanceof TransportError && e.timedOut && /deadline/.test(e.message));
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 290 && elapsed < 1300, `${elapsed} ms for a deadline of 300 ms`);
  assert.equal(sent, 0);
});

test('debugHook is told of an attempt the call signal ended', async () => {
  const { server, endpoint } = await silentServer();
  const records = [];
  const client = new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials, debugHook: (r) => records.push(r) });
  await assert.rejects(client.showSecret({ secret_name: 'db' }, { signal: AbortSignal.timeout(200) }), (e) => e.name === 'AbortError' || e.name === 'TimeoutError');
  assert.equal(server.requests, 1);
  assert.equal(records.length, 1);
  assert.equal(records[0].attempt, 1);
  assert.equal(records[0].status, undefined);
  assert.match(records[0].error, /aborted/);
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

test('an attempt answered at once starts no timer; one still waiting gets its timeout, cleared with the answer', async () => {
  const timeoutMs = 4321; // the timers of the attempts, told apart from any other
  const started = [];
  const cleared = [];
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  globalThis.setTimeout = (fn, ms, ...args) => {
    const timer = set(fn, ms, ...args);
    if (ms === timeoutMs) started.push(timer);
    return timer;
  };
  globalThis.clearTimeout = (timer) => {
    if (started.includes(timer)) cleared.push(timer);
    return clear(timer);
  };
  try {
    const answer = { status: 200, headers: {}, body: '{"secrets":[]}' };
    let later = false;
    const client = new CsmsClient({
      endpoint: 'http://127.0.0.1:9', projectId: PROJECT_ID, credentials, timeoutMs,
      transport: async () => {
        if (later) await new Promise((resolve) => setImmediate(resolve));
        return answer;
      },
    });
    assert.deepEqual(await client.listSecrets({}), { secrets: [] });
    assert.equal(started.length, 0, 'no timer for an answer already there');
    later = true;
    assert.deepEqual(await client.listSecrets({}), { secrets: [] });
    assert.equal(started.length, 1, 'a timer for an answer not there yet');
    assert.deepEqual(cleared, started, 'and it is cleared');
  } finally {
    globalThis.setTimeout = set;
    globalThis.clearTimeout = clear;
  }
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
