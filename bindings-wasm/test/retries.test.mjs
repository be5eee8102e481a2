// The retry loop (js/transport.js around the core's attempts) against the emulator's fault
// injection, through the default fetch transport and custom ones:
// - 1,000 mixed calls through ~20% faults: idempotent calls fail only when every attempt
//   failed; no RotateSecret or CreateSecretVersion is applied twice; every failure says
//   what is needed to act on it;
// - a client clock 30 minutes off, corrected after one refusal and for later calls;
// - timeouts (whole request, connect) and refused connections, with what maybeSent and
//   timedOut say;
// - a withheld retry (notRetried) applied at most once on the emulator's side;
// - custom transports that throw.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AK, SK, PROJECT_ID, ROOT, loadPackage, silentServer as silent, startEmulator } from './helpers.mjs';

const csms = await loadPackage('esm');
const { CsmsClient, ApiError, TransportError, fetchTransport } = csms;
const credentials = { ak: AK, sk: SK };
/** Short backoff, so that a thousand calls take seconds. */
const FAST = { maxAttempts: 3, backoffBaseMs: 5, backoffCapMs: 50 };

/** Whether an operation is idempotent, from the spec the core is generated from. */
const IDEMPOTENT = new Map(
  JSON.parse(readFileSync(join(ROOT, 'spec', 'csms.json'), 'utf8')).operations.map((op) => [op.name, op.idempotent]),
);

const cleanup = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** An emulator (stopped after the tests) with `args` on its command line. */
async function emulator(args = []) {
  const emu = await startEmulator(args);
  cleanup.push(emu.stop);
  emu.admin = async (what) => (await fetch(`${emu.endpoint}/_emulator/${what}`)).json();
  return emu;
}

/**
 * An emulator holding the secrets `db` (RDS-FG: rotates), `app1` and `app2` (COMMON: a
 * rotation is refused with 400), injecting `faults`. The secrets are made on a first
 * emulator without faults and kept in a data file the second one loads.
 */
async function faultyEmulator(faults) {
  const dir = mkdtempSync(join(tmpdir(), 'csms-js-faults-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data.json');
  const setup = await startEmulator(['--data', data]);
  const client = new CsmsClient({ endpoint: setup.endpoint, projectId: PROJECT_ID, credentials });
  await client.createSecret({ name: 'db', secret_type: 'RDS-FG', secret_string: '{"username":"app","password":"initial"}' });
  for (const name of ['app1', 'app2']) await client.createSecret({ name, secret_string: 'v0' });
  await setup.stop();
  return emulator(['--data', data, '--faults', faults]);
}

/** The applied RotateSecret and CreateSecretVersion calls of `secret`. */
async function applied(emu, secret) {
  const { secrets } = await emu.admin('counts');
  const found = secrets.find((s) => s.secret_name === secret);
  return { RotateSecret: found ? found.rotate_secret : 0, CreateSecretVersion: found ? found.create_secret_version : 0 };
}

/** Call number `n` of the mix: [operation, secret, input]. */
function callFor(n) {
  const h = Math.imul(n + 1, 0x9e3779b1) >>> 8; // a cheap hash: the mix does not follow the order
  const secret = ['db', 'app1', 'app2'][h % 3];
  switch (Math.floor(h / 3) % 8) {
    case 0: return ['ShowSecret', secret, { secret_name: secret }];
    case 1: return ['ShowSecretVersion', secret, { secret_name: secret, version_id: 'latest' }];
    case 2: return ['ListSecretVersions', secret, { secret_name: secret, limit: 10 }];
    case 3: return ['UpdateSecret', secret, { secret_name: secret, description: `call ${n}` }];
    case 4: return ['CreateSecretVersion', secret, { secret_name: secret, secret_string: `value ${n}` }];
    case 5: case 6: return ['RotateSecret', 'db', { secret_name: 'db' }];
    default: return ['RotateSecret', secret, { secret_name: secret }];
  }
}

test('1,000 mixed calls through 20% injected faults, default fetch transport', async () => {
  const started = Date.now();
  const emu = await faultyEmulator('seed=20261123,503=8%,429=4%,retry-after=0,close-before=4%,close-after=4%');
  const client = new CsmsClient({ endpoint: emu.endpoint, projectId: PROJECT_ID, credentials, ...FAST });

  const CALLS = 1000;
  const results = [];
  let issued = 0;
  const worker = async () => {
    while (issued < CALLS) {
      const [op, secret, input] = callFor(issued++);
      try {
        await client.send(op, input);
        results.push({ op, secret, ok: true });
      } catch (error) {
        results.push({ op, secret, error });
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  assert.equal(results.length, CALLS);

  const tallies = new Map(); // "op secret" -> { calls, succeeded, maybeSent, failures: {kind: n} }
  let idempotentCalls = 0;
  let idempotentFailures = 0;
  for (const { op, secret, ok, error } of results) {
    const key = `${op} ${secret}`;
    if (!tallies.has(key)) tallies.set(key, { calls: 0, succeeded: 0, maybeSent: 0, failures: {} });
    const tally = tallies.get(key);
    tally.calls += 1;
    if (IDEMPOTENT.get(op)) idempotentCalls += 1;
    if (ok) {
      tally.succeeded += 1;
      continue;
    }
    if (IDEMPOTENT.get(op)) idempotentFailures += 1;
    let kind;
    if (error instanceof ApiError) {
      assert.match(error.requestId, /\S/, `${key}: an API error without a request id: ${error.message}`);
      // A 429 is retried for every operation; a 503 only for idempotent ones.
      if (!IDEMPOTENT.get(op) && error.status === 503) {
        assert.match(error.notRetried, /not idempotent/, `${key}: ${error.message}`);
      }
      if (error.status === 429) assert.equal(error.notRetried, undefined, `${key}: ${error.message}`);
      if (error.status === 503) assert.equal(error.errorCode, 'CSMS.0503');
      else if (error.status === 429) assert.equal(error.errorCode, 'CSMS.0429');
      // A COMMON secret's rotation is refused, and never retried.
      else if (error.status === 400) assert.ok(op === 'RotateSecret' && secret !== 'db', `${key}: ${error.message}`);
      else assert.fail(`${key}: unexpected status ${error.status}: ${error.message}`);
      if (error.status === 400) assert.equal(error.notRetried, undefined);
      kind = `api ${error.status}`;
    } else if (error instanceof TransportError) {
      // Every injected close comes after the whole request was written.
      assert.equal(error.maybeSent, true, `${key}: ${error.message}`);
      tally.maybeSent += 1;
      if (!IDEMPOTENT.get(op)) assert.match(error.notRetried, /not idempotent/, `${key}: ${error.message}`);
      else assert.equal(error.notRetried, undefined, `${key}: ${error.message}`);
      kind = 'transport';
    } else {
      assert.fail(`${key}: unexpected error ${error && error.stack}`);
    }
    tally.failures[kind] = (tally.failures[kind] || 0) + 1;
  }

  const report = JSON.stringify(Object.fromEntries(tallies), null, 1);
  // Idempotent calls fail only when all 3 attempts drew a fault: 0.2^3 = 0.8% on average.
  assert.ok(idempotentCalls > 400, `${idempotentCalls}`);
  assert.ok(idempotentFailures * 100 <= idempotentCalls * 3, `${idempotentFailures} of ${idempotentCalls} idempotent calls failed: ${report}`);

  // Applied at most once per call: never more than the calls that succeeded or may have arrived.
  for (const secret of ['db', 'app1', 'app2']) {
    const counts = await applied(emu, secret);
    for (const op of ['RotateSecret', 'CreateSecretVersion']) {
      const tally = tallies.get(`${op} ${secret}`) || { succeeded: 0, maybeSent: 0 };
      assert.ok(counts[op] >= tally.succeeded, `${op} ${secret}: applied ${counts[op]} < succeeded ${tally.succeeded}`);
      assert.ok(
        counts[op] <= tally.succeeded + tally.maybeSent,
        `${op} ${secret}: applied ${counts[op]} > succeeded + maybe sent ${JSON.stringify(tally)}`,
      );
    }
  }
  assert.equal((await applied(emu, 'app1')).RotateSecret, 0);

  // Every call once, plus the retries (at least two per failed idempotent call); ~20% faults.
  const stats = await emu.admin('faults');
  const faults = stats.unavailable + stats.throttled + stats.closed_before + stats.closed_after;
  assert.ok(stats.requests >= CALLS + 2 * idempotentFailures, JSON.stringify(stats));
  assert.ok(faults * 100 >= stats.requests * 15 && faults * 100 <= stats.requests * 25, JSON.stringify(stats));
  const seconds = (Date.now() - started) / 1000;
  console.log(`${CALLS} calls, ${stats.requests} requests (${JSON.stringify(stats)}), ` +
    `${idempotentFailures} of ${idempotentCalls} idempotent calls failed, in ${seconds} s\n${report}`);
  assert.ok(seconds < 120, `${seconds} s`);
});

test('a clock 30 minutes ahead is corrected after one refused request, and the offset kept', async () => {
  // The server runs 30 min behind. The emulator counts requests only while it injects
  // faults: a rate of 1 in a million (none drawn for this seed, as the count of 503s checks).
  const emu = await emulator(['--faults', 'seed=1,503=0.0001%,clock-offset=-1800']);
  const client = new CsmsClient({ endpoint: emu.endpoint, projectId: PROJECT_ID, credentials, ...FAST });
  const requests = async () => {
    const stats = await emu.admin('faults');
    assert.equal(stats.unavailable, 0);
    return stats.requests;
  };
  assert.equal(await requests(), 0);
  assert.ok(Array.isArray((await client.listSecrets({})).secrets));
  assert.equal(await requests(), 2, 'one refused request, one corrected retry');
  await client.listSecrets({});
  assert.equal(await requests(), 3, 'the next call is signed with the learnt offset at once');
  // A client that never learnt the offset is refused, with the server's message.
  const naive = new CsmsClient({ endpoint: emu.endpoint, projectId: PROJECT_ID, credentials, maxAttempts: 1 });
  await assert.rejects(naive.listSecrets({}), (e) => e instanceof ApiError && e.status === 401 && /expired/.test(e.errorMsg));
});

/** A server that never answers (test/helpers.mjs), closed after the tests. */
const silentServer = () => silent((stop) => cleanup.push(stop));

test('the whole-request timeout fires: TransportError, maybeSent, retried only when idempotent', async () => {
  const { server, endpoint } = await silentServer();
  const client = new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials, timeoutMs: 300, maxAttempts: 2, backoffBaseMs: 0 });
  let started = Date.now();
  await assert.rejects(client.showSecret({ secret_name: 'db' }), (e) => {
    assert.ok(e instanceof TransportError, e.stack);
    assert.equal(e.maybeSent, true);
    assert.equal(e.timedOut, true);
    assert.equal(e.notRetried, undefined);
    assert.match(e.message, /no complete response in 300 ms/);
    return true;
  });
  let elapsed = Date.now() - started;
  assert.ok(elapsed >= 550 && elapsed < 5000, `${elapsed} ms for two attempts of 300 ms`);
  assert.equal(server.requests, 2);

  started = Date.now();
  await assert.rejects(client.rotateSecret({ secret_name: 'db' }), (e) => {
    assert.ok(e instanceof TransportError && e.maybeSent === true && e.timedOut === true, e.stack);
    assert.match(e.notRetried, /^RotateSecret is not idempotent and the request may have reached the server$/);
    return true;
  });
  elapsed = Date.now() - started;
  assert.ok(elapsed >= 280 && elapsed < 3000, `${elapsed} ms`);
  assert.equal(server.requests, 3, 'the rotation was sent once');
});

test('the timeout bounds custom transports too, and aborts their signal', async () => {
  let context;
  const client = new CsmsClient({
    endpoint: 'http://127.0.0.1:9', projectId: PROJECT_ID, credentials, timeoutMs: 100, maxAttempts: 1,
    transport: (request, ctx) => {
      context = ctx;
      return new Promise(() => {}); // never settles, ignores the signal
    },
  });
  await assert.rejects(client.listSecrets({}), (e) => e instanceof TransportError && e.maybeSent === true && e.timedOut === true);
  assert.equal(context.signal.aborted, true);
  assert.equal(context.timeoutMs, 100);
  assert.equal(context.connectTimeoutMs, 10000, 'the core default');
});

test('a transport may answer or throw at once (not async): the answer is the response, what it throws a TransportError, retried', async () => {
  let sent = 0;
  const client = new CsmsClient({
    endpoint: 'http://127.0.0.1:9', projectId: PROJECT_ID, credentials, ...FAST,
    transport: () => {
      sent += 1;
      if (sent === 1) throw new Error('socket gone');
      return { status: 200, headers: {}, body: '{"secrets":[]}' };
    },
  });
  assert.deepEqual(await client.listSecrets({}), { secrets: [] });
  assert.equal(sent, 2, 'the throw was retried');
  const failing = new CsmsClient({
    endpoint: 'http://127.0.0.1:9', projectId: PROJECT_ID, credentials, maxAttempts: 1,
    transport: () => {
      throw new Error('socket gone');
    },
  });
  await assert.rejects(failing.listSecrets({}), (e) => {
    assert.ok(e instanceof TransportError, e.stack);
    assert.equal(e.maybeSent, true);
    assert.match(e.message, /transport failed: socket gone/);
    assert.equal(e.cause.message, 'socket gone');
    return true;
  });
});

test('a transport may copy its context ({ ...context }): the copy has the signal the timeout aborts', async () => {
  let copy;
  const client = new CsmsClient({
    endpoint: 'http://127.0.0.1:9', projectId: PROJECT_ID, credentials, timeoutMs: 100, maxAttempts: 1,
    transport: (request, ctx) => {
      copy = { ...ctx };
      return new Promise(() => {}); // never settles
    },
  });
  await assert.rejects(client.listSecrets({}), (e) => e instanceof TransportError && e.timedOut === true);
  assert.deepEqual(Object.keys(copy), ['signal', 'connectTimeoutMs', 'timeoutMs', 'maxResponseBytes']);
  assert.ok(copy.signal instanceof AbortSignal);
  assert.equal(copy.signal.aborted, true);
  assert.equal(copy.timeoutMs, 100);
});

test('a refused connection certainly never left: maybeSent false, and even RotateSecret is retried', async () => {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  const client = new CsmsClient({ endpoint: `http://127.0.0.1:${port}`, projectId: PROJECT_ID, credentials, ...FAST });
  let sent = 0;
  const counting = new CsmsClient({
    endpoint: `http://127.0.0.1:${port}`, projectId: PROJECT_ID, credentials, ...FAST,
    transport: (request, ctx) => {
      sent += 1;
      return fetchTransport(request, ctx);
    },
  });
  for (const c of [client, counting]) {
    await assert.rejects(c.rotateSecret({ secret_name: 'db' }), (e) => {
      assert.ok(e instanceof TransportError, e.stack);
      assert.equal(e.maybeSent, false, e.message);
      assert.equal(e.timedOut, false, 'refused, not timed out');
      assert.equal(e.notRetried, undefined);
      assert.ok(e.cause instanceof Error, 'the fetch error is the cause');
      return true;
    });
  }
  assert.equal(sent, 3, 'every attempt was made');
});

test('the connect timeout fires before a connection is made: maybeSent false (Node)', async (t) => {
  // A listener whose accept queue is full: the kernel leaves further connects unanswered.
  const python = spawnSync('python3', ['--version']).status === 0;
  if (!python) return t.skip('python3 missing');
  const child = spawn('python3', ['-c', `
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
fill = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False); c.connect_ex(s.getsockname()); fill.append(c)
print(s.getsockname()[1], flush=True)
sys.stdin.read()
`], { stdio: ['pipe', 'pipe', 'inherit'] });
  cleanup.push(() => child.kill());
  const port = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  const client = new CsmsClient({
    endpoint: `http://127.0.0.1:${port}`, projectId: PROJECT_ID, credentials, connectTimeoutMs: 300, timeoutMs: 20000, maxAttempts: 2, backoffBaseMs: 0,
  });
  const started = Date.now();
  await assert.rejects(client.rotateSecret({ secret_name: 'db' }), (e) => {
    assert.ok(e instanceof TransportError, e.stack);
    assert.equal(e.maybeSent, false, e.message);
    assert.equal(e.timedOut, true, e.message);
    assert.equal(e.notRetried, undefined, 'never sent: retried');
    assert.match(String(e.cause && e.cause.cause && e.cause.cause.code), /UND_ERR_CONNECT_TIMEOUT/);
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 550 && elapsed < 10000, `${elapsed} ms for two connects of 300 ms`);
});

test('a withheld retry says notRetried, and the emulator applied the call at most once', async () => {
  for (const [faults, appliedOnce] of [['close-after=100%', 1], ['503=100%', 0]]) {
    const emu = await faultyEmulator(faults);
    const client = new CsmsClient({ endpoint: emu.endpoint, projectId: PROJECT_ID, credentials, ...FAST });
    await assert.rejects(client.rotateSecret({ secret_name: 'db' }), (e) => {
      assert.match(e.notRetried, /^RotateSecret is not idempotent and the (request|server) may have/, `${faults}: ${e.message}`);
      assert.match(e.message, /not retried: RotateSecret is not idempotent/);
      if (appliedOnce) {
        assert.ok(e instanceof TransportError && e.maybeSent === true, e.stack);
      } else {
        assert.ok(e instanceof ApiError && e.status === 503 && e.errorCode === 'CSMS.0503', e.stack);
        assert.match(e.requestId, /\S/);
      }
      return true;
    });
    await assert.rejects(client.createSecretVersion({ secret_name: 'app1', secret_string: 'x' }), (e) => /not idempotent/.test(e.notRetried));
    assert.equal((await emu.admin('faults')).requests, 2, `${faults}: one attempt each`);
    assert.equal((await applied(emu, 'db')).RotateSecret, appliedOnce, faults);
    assert.equal((await applied(emu, 'app1')).CreateSecretVersion, appliedOnce, faults);
    // An idempotent call is tried three times, and its error is the last attempt's.
    await assert.rejects(client.showSecret({ secret_name: 'db' }), (e) => e.notRetried === undefined && (e.kind === 'transport' || e.status === 503));
    assert.equal((await emu.admin('faults')).requests, 5, faults);
  }
});

test('a custom transport that throws: a transport failure, retried for idempotent calls only', async () => {
  const emu = await emulator();
  let calls = 0;
  const flaky = new CsmsClient({
    endpoint: emu.endpoint, projectId: PROJECT_ID, credentials, ...FAST,
    transport: async (request, ctx) => {
      calls += 1;
      if (calls <= 2) throw new Error(`socket hang up (${calls})`);
      return fetchTransport(request, ctx);
    },
  });
  assert.ok(Array.isArray((await flaky.listSecrets({})).secrets));
  assert.equal(calls, 3);

  calls = 0;
  const boom = new Error('boom');
  const broken = new CsmsClient({
    endpoint: emu.endpoint, projectId: PROJECT_ID, credentials, ...FAST,
    transport: async () => {
      calls += 1;
      throw boom;
    },
  });
  await assert.rejects(broken.rotateSecret({ secret_name: 'db' }), (e) => {
    assert.ok(e instanceof TransportError && e.maybeSent === true && e.timedOut === false, e.stack);
    assert.match(e.notRetried, /RotateSecret is not idempotent/);
    assert.equal(e.cause, boom);
    return true;
  });
  assert.equal(calls, 1, 'a rotation that may have been sent is not resent');
  await assert.rejects(broken.showSecret({ secret_name: 'db' }), (e) => e instanceof TransportError && e.cause === boom && /boom/.test(e.message));
  assert.equal(calls, 4, 'an idempotent call is tried 3 times');

  // A transport that knows the request never left says so with maybeSent: false.
  calls = 0;
  const refused = new CsmsClient({
    endpoint: emu.endpoint, projectId: PROJECT_ID, credentials, ...FAST,
    transport: async () => {
      calls += 1;
      throw new TransportError('connection refused (test)', { maybeSent: false });
    },
  });
  await assert.rejects(refused.rotateSecret({ secret_name: 'db' }), (e) => e instanceof TransportError && e.maybeSent === false && e.notRetried === undefined);
  assert.equal(calls, 3, 'a rotation that never left is retried');

  // A transport with a timeout of its own reports it with timedOut: true.
  const slow = new CsmsClient({
    endpoint: emu.endpoint, projectId: PROJECT_ID, credentials, ...FAST, maxAttempts: 1,
    transport: async () => {
      throw new TransportError('read timed out (test)', { timedOut: true });
    },
  });
  await assert.rejects(slow.showSecret({ secret_name: 'db' }), (e) => e instanceof TransportError && e.timedOut === true && e.maybeSent === true);
});

test('a 429 is retried even for a rotation; a Retry-After beyond maxRetryAfterMs ends the call with it', async () => {
  const emu = await faultyEmulator('429=100%,retry-after=0');
  const client = new CsmsClient({ endpoint: emu.endpoint, projectId: PROJECT_ID, credentials, ...FAST });
  await assert.rejects(client.rotateSecret({ secret_name: 'db' }), (e) => {
    assert.ok(e instanceof ApiError && e.status === 429 && e.notRetried === undefined, e.stack);
    assert.equal(e.retryAfterMs, 0);
    return true;
  });
  assert.equal((await emu.admin('faults')).requests, 3, 'every attempt');
  assert.equal((await applied(emu, 'db')).RotateSecret, 0);

  const patient = await faultyEmulator('429=100%,retry-after=120');
  const impatient = new CsmsClient({ endpoint: patient.endpoint, projectId: PROJECT_ID, credentials, ...FAST });
  await assert.rejects(impatient.showSecret({ secret_name: 'db' }), (e) => {
    assert.ok(e instanceof ApiError && e.status === 429, e.stack);
    assert.equal(e.retryAfterMs, 120000);
    assert.match(e.notRetried, /120 s \(Retry-After\).*max_retry_after/);
    assert.match(e.requestId, /\S/);
    return true;
  });
  assert.equal((await patient.admin('faults')).requests, 1, 'not retried earlier than asked');
  // A longer maxRetryAfterMs waits for it (here: a second).
  const short = await faultyEmulator('429=100%,retry-after=1');
  const waiting = new CsmsClient({ endpoint: short.endpoint, projectId: PROJECT_ID, credentials, ...FAST, maxAttempts: 2, maxRetryAfterMs: 5000 });
  const started = Date.now();
  await assert.rejects(waiting.showSecret({ secret_name: 'db' }), (e) => e.retryAfterMs === 1000 && e.notRetried === undefined);
  assert.ok(Date.now() - started >= 1000, `${Date.now() - started} ms`);
  const hasty = new CsmsClient({ endpoint: short.endpoint, projectId: PROJECT_ID, credentials, ...FAST, maxRetryAfterMs: 500 });
  await assert.rejects(hasty.showSecret({ secret_name: 'db' }), (e) => /Retry-After/.test(e.notRetried));
  assert.equal((await short.admin('faults')).requests, 3);
});

test('a request fetch refuses is never sent nor retried; a transport failure with notRetried ends the call', async () => {
  const server = net.createServer((socket) => {
    server.received = true;
    socket.destroy();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  let calls = 0;
  const client = new CsmsClient({
    endpoint, projectId: PROJECT_ID, credentials, ...FAST,
    transport: (request, ctx) => {
      calls += 1;
      return fetchTransport({ ...request, headers: { ...request.headers, 'X-Bad': 'a\r\nX-Injected: 1' } }, ctx);
    },
  });
  await assert.rejects(client.listSecrets({}), (e) => {
    assert.ok(e instanceof TransportError && e.maybeSent === false, e.stack);
    assert.match(e.notRetried, /refused the request before sending it/);
    assert.doesNotMatch(e.message, /X-Injected/);
    return true;
  });
  assert.equal(calls, 1, 'never retried');
  assert.ok(!server.received, 'nothing was sent');

  calls = 0;
  const custom = new CsmsClient({
    endpoint, projectId: PROJECT_ID, credentials, ...FAST,
    transport: async () => {
      calls += 1;
      throw new TransportError('cannot be sent (test)', { maybeSent: false, notRetried: 'resending cannot help' });
    },
  });
  await assert.rejects(custom.showSecret({ secret_name: 'db' }), (e) => e.notRetried === 'resending cannot help' && e.maybeSent === false);
  assert.equal(calls, 1);
});

test('a server clock beyond maxClockOffsetMs is not followed; the client works again when it is back', async () => {
  const emu = await emulator();
  const client = new CsmsClient({ endpoint: emu.endpoint, projectId: PROJECT_ID, credentials, ...FAST });
  const setOffset = (ms) => fetch(`${emu.endpoint}/_emulator/clock`, { method: 'POST', body: JSON.stringify({ offset_ms: ms }) });
  await setOffset(20 * 365 * 86400000);
  await assert.rejects(client.listSecrets({}), (e) => e instanceof ApiError && e.status === 401 && /max_clock_offset/.test(e.notRetried));
  await setOffset(0);
  assert.ok(Array.isArray((await client.listSecrets({})).secrets));
  // A bound of a day and a half follows a server 25 hours ahead.
  await setOffset(25 * 3600000);
  const lenient = new CsmsClient({ endpoint: emu.endpoint, projectId: PROJECT_ID, credentials, ...FAST, maxClockOffsetMs: 36 * 3600000 });
  assert.ok(Array.isArray((await lenient.listSecrets({})).secrets));
  await assert.rejects(client.listSecrets({}), (e) => /max_clock_offset/.test(e.notRetried));
  await setOffset(0);
  assert.throws(() => new CsmsClient({ endpoint: emu.endpoint, projectId: PROJECT_ID, credentials, maxClockOffsetMs: 1.5 }),
    (e) => e instanceof csms.ValidationError && e.field === 'maxClockOffsetMs');
});

test('retry and timeout options are checked', () => {
  const base = { endpoint: 'http://127.0.0.1:9', projectId: PROJECT_ID, credentials };
  for (const [name, value] of [['maxAttempts', 0], ['maxAttempts', 1.5], ['timeoutMs', -1], ['connectTimeoutMs', '10'], ['backoffBaseMs', NaN], ['backoffCapMs', 2 ** 31], ['maxRetryAfterMs', -1]]) {
    assert.throws(() => new CsmsClient({ ...base, [name]: value }), (e) => e instanceof csms.ValidationError && e.field === name, `${name}=${value}`);
  }
  assert.doesNotThrow(() => new CsmsClient({ ...base, maxAttempts: 1, timeoutMs: 1, connectTimeoutMs: 1, backoffBaseMs: 0, backoffCapMs: 0 }));
  // The bounds are the core's (RetryPolicy::validate), named as the options are.
  const day = 86400000;
  for (const [given, field, reason] of [
    [{ maxAttempts: 101 }, 'maxAttempts', /from 1 to 100/],
    [{ backoffCapMs: day + 1 }, 'backoffCapMs', /at most a day/],
    [{ backoffBaseMs: day + 1, backoffCapMs: day }, 'backoffBaseMs', /at most a day/],
    [{ maxRetryAfterMs: day + 1 }, 'maxRetryAfterMs', /at most a day/],
    [{ backoffCapMs: 50 }, 'backoffCapMs', /below backoffBaseMs \(100 ms\)/],
  ]) {
    assert.throws(() => new CsmsClient({ ...base, ...given }), (e) => e instanceof csms.ValidationError && e.field === field && reason.test(e.reason), JSON.stringify(given));
  }
  assert.doesNotThrow(() => new CsmsClient({ ...base, maxAttempts: 100, backoffBaseMs: day, backoffCapMs: day, maxRetryAfterMs: day }));
  // The names of earlier versions are refused with the new one.
  for (const [old, renamed] of [['retryBaseMs', 'backoffBaseMs'], ['retryCapMs', 'backoffCapMs'], ['onAttempt', 'debugHook']]) {
    assert.throws(() => new CsmsClient({ ...base, [old]: 1 }), (e) => e.field === old && e.reason.includes(`renamed \`${renamed}\``), old);
  }
});
