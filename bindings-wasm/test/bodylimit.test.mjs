// The limit on the response body of the default transport (`maxResponseBytes`, 16 MiB by
// default, the core's): against servers on 127.0.0.1 that send an endless body (with and
// without chunked encoding), a huge Content-Length, or a byte too many, the call ends at once
// with a TransportError (maybeSent, not timedOut, not retried), and the connection is closed;
// a body at the limit is read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadPackage } from './helpers.mjs';

const { CsmsClient, TransportError, ValidationError, fetchTransport } = await loadPackage('esm');
const LIMIT = 100000;
const MIB = 1024 * 1024;

/** A ListSecrets result of exactly `size` bytes (JSON padded with spaces). */
function page(size) {
  const json = '{"secrets": [], "page_info": {"current_count": 0}}';
  return json + ' '.repeat(size - json.length);
}

/**
 * A server answering every request with `kind`: 'endless' (no Content-Length, a body until
 * the connection closes), 'chunked' (a chunked body that never ends), 'lying' (a
 * Content-Length of 1 TB, 10 bytes, then nothing) or a number (a body that long). Resolves
 * with its endpoint, `connections()` and `closed` (resolved when the client closed one).
 */
async function server(kind) {
  let connections = 0;
  let onClosed;
  const closed = new Promise((resolve) => (onClosed = resolve));
  const block = Buffer.alloc(65536, 'x');
  const srv = net.createServer((socket) => {
    connections++;
    socket.on('error', () => {});
    socket.on('close', onClosed);
    let head = '';
    socket.on('data', (data) => {
      if (head.includes('\r\n\r\n')) return;
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const pump = (frame) => {
        const more = () => {
          while (!socket.destroyed && socket.write(frame));
        };
        socket.on('drain', more);
        more();
      };
      if (kind === 'endless') {
        socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
        pump(block);
      } else if (kind === 'chunked') {
        socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
        pump(Buffer.concat([Buffer.from(`${block.length.toString(16)}\r\n`), block, Buffer.from('\r\n')]));
      } else if (kind === 'lying') {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n0123456789');
      } else {
        const body = page(kind);
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      }
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${srv.address().port}`,
    connections: () => connections,
    closed,
    close: () => {
      srv.close();
      srv.unref();
    },
  };
}

function client(endpoint, options = {}) {
  return new CsmsClient({ endpoint, projectId: 'p', credentials: { ak: 'AK', sk: 'SK' }, backoffBaseMs: 5, timeoutMs: 20000, ...options });
}

async function assertRefused(kind, options, limit = LIMIT) {
  const srv = await server(kind);
  try {
    const started = Date.now();
    // ListSecrets is idempotent: its failures are normally retried.
    const error = await client(srv.endpoint, options).listSecrets({}).then(
      () => assert.fail('expected a TransportError'),
      (e) => e,
    );
    assert.ok(error instanceof TransportError, String(error));
    assert.equal(error.maybeSent, true);
    assert.equal(error.timedOut, false);
    assert.equal(error.notRetried, 'a response over the limit would be over it again');
    assert.match(error.message, new RegExp(`the response body exceeded ${limit} bytes`));
    assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
    assert.equal(srv.connections(), 1, 'not retried');
    await Promise.race([srv.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the connection stayed open')), 5000))]);
  } finally {
    srv.close();
  }
}

for (const kind of ['endless', 'chunked', 'lying', LIMIT + 1]) {
  test(`a ${kind} body ends the call at maxResponseBytes, not retried, connection closed`, async () => {
    await assertRefused(kind, { maxResponseBytes: LIMIT });
  });
}

test('an endless body ends at 16 MiB by default', async () => {
  await assertRefused('endless', {}, 16 * MIB);
});

test('custom transports get the limit in their context, and fetchTransport honours it', async () => {
  let seen;
  const srv = await server('chunked');
  try {
    const error = await client(srv.endpoint, {
      maxResponseBytes: 1234,
      transport: (request, context) => {
        seen = context.maxResponseBytes;
        return fetchTransport(request, context);
      },
    })
      .listSecrets({})
      .catch((e) => e);
    assert.equal(seen, 1234);
    assert.ok(error instanceof TransportError && error.notRetried, String(error));
    // Called without a context: the core's 16 MiB.
    const direct = await fetchTransport({ method: 'GET', url: `${srv.endpoint}/`, headers: {} }).catch((e) => e);
    assert.match(direct.message, /exceeded 16777216 bytes/);
  } finally {
    srv.close();
  }
});

test('a body at the limit is read', async () => {
  const srv = await server(LIMIT);
  try {
    assert.deepEqual((await client(srv.endpoint, { maxResponseBytes: LIMIT }).listSecrets({})).secrets, []);
  } finally {
    srv.close();
  }
});

test('maxResponseBytes must be a whole number above 0', () => {
  for (const bad of [0, -1, 1.5, '1024', true, 2 ** 64]) {
    assert.throws(
      () => client('http://127.0.0.1:1', { maxResponseBytes: bad }),
      (e) => e instanceof ValidationError && e.field === 'maxResponseBytes' && /above 0/.test(e.reason),
      String(bad),
    );
  }
});

test('a transport error whose notRetried is set is not retried', async () => {
  let attempts = 0;
  const transport = async () => {
    attempts++;
    throw new TransportError('too much', { maybeSent: true, notRetried: 'it would be too much again' });
  };
  const error = await client('http://127.0.0.1:1', { transport }).listSecrets({}).catch((e) => e);
  assert.equal(attempts, 1);
  assert.equal(error.notRetried, 'it would be too much again');
});

test('a client nobody holds stays alive until its call ends (its native client is not freed)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  // Answers after 300 ms, while the client is collected and its finalizers run.
  const srv = net.createServer((socket) => {
    socket.once('data', () => setTimeout(() => socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${page(100)}`), 300));
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    const call = client(`http://127.0.0.1:${srv.address().port}`).listSecrets({});
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual((await call).secrets, []);
  } finally {
    srv.close();
  }
});
