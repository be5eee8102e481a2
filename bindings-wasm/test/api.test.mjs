// The package's API without a server: options, buildRequest/parseResponse, errors, panics,
// ESM and CommonJS giving the same results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PKG_DIR, loadOtherCopy, loadPackage, loadTesting } from './helpers.mjs';

const esm = await loadPackage('esm');
const cjs = await loadPackage('cjs');
/** The test-only helpers next to each form (outside the public surface). */
const testing = new Map([[esm, await loadTesting('esm')], [cjs, await loadTesting('cjs')]]);
const options = { endpoint: 'https://kms.cn-north-4.myhuaweicloud.com', projectId: 'pid', credentials: { ak: 'AK', sk: 'SK' } };

test('package.json: exports, sideEffects, no dependencies', () => {
  const pkg = JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8'));
  // Only the edge entry has an effect (it gives the module to init()).
  assert.deepEqual(pkg.sideEffects, ['./esm/edge.js']);
  assert.equal(pkg.dependencies, undefined);
  // One tree: `require` loads the ES modules too (with the CommonJS types). The edge
  // runtimes first (workerd with nodejs_compat may match `node` too), with their own entry.
  assert.deepEqual(Object.entries(pkg.exports['.']), [
    ['workerd', { types: './index.d.ts', default: './esm/edge.js' }],
    ['edge-light', { types: './index.d.ts', default: './esm/edge.js' }],
    ['require', { types: './index.d.cts', default: './esm/index.js' }],
    ['default', { types: './index.d.ts', default: './esm/index.js' }],
  ]);
  assert.deepEqual(Object.keys(pkg.exports).sort(), ['.', './csms_bg.wasm', './package.json'], 'testing.js is not exported');
  // No package `imports`: index.js finds the module without a specifier to resolve.
  assert.equal(pkg.imports, undefined);
  // The module once, no base64 copy; no docs/ and no second tree.
  const shipped = readdirSync(PKG_DIR).sort();
  assert.deepEqual(shipped, ['LICENSE', 'README.md', 'esm', 'index.d.cts', 'index.d.ts', 'operations.d.ts', 'package.json']);
  assert.deepEqual(readdirSync(join(PKG_DIR, 'esm')).filter((f) => !f.endsWith('.js')), ['csms_bg.wasm']);
  assert.deepEqual(pkg.files.sort(), ['LICENSE', 'README.md', 'esm/', 'index.d.cts', 'index.d.ts', 'operations.d.ts']);
});

test('the shipped JavaScript keeps the names of its classes and functions (minified locals only)', () => {
  // A stack frame or a console.log names the package's own code: terser shortens local
  // names only (build-pkg.mjs); a mangled top-level would make `SecretCache.name` a letter.
  for (const form of [esm, cjs]) {
    for (const name of ['CsmsError', 'ValidationError', 'ApiError', 'DecodeError', 'TransportError', 'CredentialsError',
      'RotationError', 'SecretCache', 'CredentialProvider', 'EnvCredentials', 'defaultCredentials', 'rotate', 'operationNames', 'init']) {
      assert.equal(form[name].name, name);
    }
  }
  const thrown = (() => { try { new esm.CsmsClient(options).buildRequest('ShowSecret', {}); } catch (e) { return e; } })();
  assert.ok(thrown instanceof esm.ValidationError);
  assert.match(thrown.stack, /at \S*buildRequest /);
});

test('the shipped JavaScript: one bundled entry, no comments, the edge entry with the lines of js/', () => {
  const files = readdirSync(join(PKG_DIR, 'esm')).filter((f) => f.endsWith('.js')).sort();
  assert.deepEqual(files, ['edge.js', 'index.js', 'shared.js', 'testing.js']);
  const hints = new Set();
  for (const file of readdirSync(join(PKG_DIR, '..', 'js')).filter((f) => f.endsWith('.js'))) {
    for (const hint of readFileSync(join(PKG_DIR, '..', 'js', file), 'utf8').match(/\/\* (webpackIgnore|@vite-ignore)[^*]*\*\//g) || []) hints.add(hint);
  }
  assert.ok(hints.size > 0, 'js/ has bundler hints');
  const shipped = files.map((file) => readFileSync(join(PKG_DIR, 'esm', file), 'utf8'));
  for (const [i, text] of shipped.entries()) {
    // but esbuild's markers of where each part of a bundle comes from (`// esm/cache.js`)
    assert.doesNotMatch(text, /^\s*(\/\/(?! esm\/[a-z_]+\.js$)|\/\*(?! (webpackIgnore|@vite-ignore)))/m, files[i]);
  }
  // but for those that tell bundlers something
  for (const hint of hints) assert.ok(shipped.some((text) => text.includes(hint)), hint);
  // The edge entry is not bundled: each line is where it is in js/.
  const lines = readFileSync(join(PKG_DIR, '..', 'js', 'edge.js'), 'utf8').split('\n').length;
  assert.equal(readFileSync(join(PKG_DIR, 'esm', 'edge.js'), 'utf8').split('\n').length, lines);
});

test('require gives the same module instance as import (one copy of the package)', () => {
  assert.equal(cjs.CsmsClient, esm.CsmsClient);
  assert.equal(cjs.init, esm.init);
});

test('no test-only export in the public surface', () => {
  for (const csms of [esm, cjs]) {
    // (`__esModule`: Node's require of an ES module marks the namespace so, for transpiled code.)
    const hidden = Object.keys(csms).filter((name) => name !== '__esModule' && (name.startsWith('_') || /test/i.test(name)));
    assert.deepEqual(hidden, []);
  }
});

test('buildRequest: UpdateSecret, at as a string, a Date and milliseconds', () => {
  const client = new esm.CsmsClient(options);
  const r = client.buildRequest('UpdateSecret', { secret_name: 'test', description: 'new' }, '20240806T000000Z');
  assert.equal(r.method, 'PUT');
  assert.equal(r.url, 'https://kms.cn-north-4.myhuaweicloud.com/v1/pid/secrets/test');
  assert.equal(r.body, '{"description":"new"}');
  assert.equal(r.headers['X-Sdk-Date'], '20240806T000000Z');
  assert.equal(r.headers['X-Project-Id'], 'pid');
  assert.match(r.headers.Authorization, /^SDK-HMAC-SHA256 Access=AK, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$/);
  const d = new Date(Date.UTC(2024, 7, 6, 0, 0, 0));
  assert.deepEqual(client.buildRequest('updateSecret', { secret_name: 'test', description: 'new' }, d), r);
  assert.deepEqual(client.buildRequest('UpdateSecret', { secret_name: 'test', description: 'new' }, d.getTime()), r);
  const now = client.buildRequest('ListSecrets', {});
  assert.equal(now.body, null);
  assert.ok(Math.abs(Date.now() - Date.parse(now.headers['X-Sdk-Date'].replace(/^(....)(..)(..)T(..)(..)(..)Z$/, '$1-$2-$3T$4:$5:$6Z'))) < 5000);
});

test('ESM and CommonJS agree', () => {
  const a = new esm.CsmsClient(options).buildRequest('ShowSecretVersion', { secret_name: 'a/b', version_id: 'latest' }, '20240806T000000Z');
  const b = new cjs.CsmsClient(options).buildRequest('ShowSecretVersion', { secret_name: 'a/b', version_id: 'latest' }, '20240806T000000Z');
  assert.deepEqual(a, b);
  assert.equal(a.url, 'https://kms.cn-north-4.myhuaweicloud.com/v1/pid/secrets/a%2Fb/versions/latest');
  assert.deepEqual(esm.operationNames(), cjs.operationNames());
  assert.equal(typeof cjs.default, 'function');
});

test('every operation has a camelCase method', () => {
  const client = new esm.CsmsClient(options);
  const names = esm.operationNames();
  assert.ok(names.length >= 40);
  for (const name of names) assert.equal(typeof client[name[0].toLowerCase() + name.slice(1)], 'function', name);
});

test('operations cross to the module by number: each builds its own request; an unknown name gets the close ones', async () => {
  const client = new esm.CsmsClient(options);
  const at = '20261122T080910Z';
  // The first, a middle and the last of the module's order, by either spelling.
  for (const [operation, input, method, path] of [
    ['BatchCreateOrDeleteTags', { secret_id: 's', action: 'create', tags: [{ key: 'k', value: 'v' }] }, 'POST', '/v1/pid/csms/s/tags/action'],
    ['updateSecret', { secret_name: 'db', description: 'd' }, 'PUT', '/v1/pid/secrets/db'],
    ['uploadSecretBlob', { secret_blob: 'b' }, 'POST', '/v1/pid/secrets/restore'],
  ]) {
    const request = client.buildRequest(operation, input, at);
    assert.equal(request.method, method, operation);
    assert.equal(new URL(request.url).pathname, path, operation);
  }
  const unknown = (e) => e instanceof esm.ValidationError && e.field === 'operation' && /UpdateSecret\b/.test(e.message);
  assert.throws(() => client.buildRequest('UpdateSecrets', {}, at), unknown);
  const calling = new esm.CsmsClient({ ...options, transport: async () => assert.fail('nothing is sent') });
  await assert.rejects(calling.send('UpdateSecrets', { secret_name: 'db' }), unknown);
});

test('validation errors name the field', () => {
  const client = new esm.CsmsClient(options);
  assert.throws(
    () => client.buildRequest('UpdateSecret', { secret_name: 'test', rotation_period: '5h' }),
    (e) => e instanceof esm.ValidationError && e instanceof esm.CsmsError && e instanceof Error &&
      e.name === 'ValidationError' && e.kind === 'validation' && e.field === 'rotation_period',
  );
  assert.throws(() => client.buildRequest('NoSuchOperation', {}), (e) => e instanceof esm.CsmsError && e instanceof Error);
  assert.throws(() => new esm.CsmsClient({ ...options, projectId: undefined }), (e) => e.field === 'projectId');
  assert.throws(() => new esm.CsmsClient({ ...options, credentials: { ak: 'AK' } }), (e) => e.field === 'credentials.sk');
  assert.throws(() => new esm.CsmsClient({ ...options, credentials: { ak: 'AK', sk: 'SK', bogus: 1 } }), (e) => e.field === 'credentials.bogus');
  assert.throws(() => new esm.CsmsClient({ ...options, colour: 'blue' }), (e) => e.field === 'colour');
  assert.throws(() => new esm.CsmsClient({ ...options, algorithm: 'MD5' }), (e) => e.field === 'algorithm');
  assert.throws(() => new esm.CsmsClient({ ...options, endpoint: undefined, region: 'Bad Region' }), (e) => e.field === 'region');
  assert.throws(() => new esm.CsmsClient({ ...options, transport: 42 }), (e) => e.field === 'transport');
  assert.throws(() => client.buildRequest('ListSecrets', {}, 'yesterday'), (e) => e.field === 'at');
  assert.throws(() => client.buildRequest('UpdateSecret', 'not an object'), (e) => e.kind === 'validation');
});

test('region gives the public endpoint', () => {
  const client = new esm.CsmsClient({ region: 'cn-north-4', projectId: 'pid', credentials: { ak: 'AK', sk: 'SK' } });
  assert.equal(client.endpoint, 'https://kms.cn-north-4.myhuaweicloud.com');
});

test('parseResponse: results, API and decode errors, header forms', () => {
  const client = new esm.CsmsClient(options);
  const ok = client.parseResponse('UpdateSecret', { status: 200, headers: {}, body: '{"secret": {"name": "test", "state": "ENABLED"}}' });
  assert.equal(ok.secret.state, 'ENABLED');
  const bytes = new TextEncoder().encode('{"secret": {"name": "test"}}');
  assert.equal(client.parseResponse('UpdateSecret', { status: 200, body: bytes }).secret.name, 'test');
  const body = '{"error_code": "CSMS.0401", "error_msg": "no such secret"}';
  for (const headers of [{ 'X-Request-Id': 'rid-1' }, new Headers({ 'x-request-id': 'rid-1' }), [['X-Request-Id', 'rid-1']], new Map([['x-request-id', 'rid-1']])]) {
    assert.throws(
      () => client.parseResponse('ShowSecret', { status: 404, headers, body }),
      (e) => e instanceof esm.ApiError && e.kind === 'api' && e.status === 404 && e.errorCode === 'CSMS.0401' &&
        e.errorMsg === 'no such secret' && e.requestId === 'rid-1' && /CSMS\.0401/.test(e.message),
    );
  }
  assert.throws(
    () => client.parseResponse('ShowSecret', { status: 200, headers: {}, body: 'not json' }),
    (e) => e instanceof esm.DecodeError && e.kind === 'decode' && e.status === 200,
  );
});

test('a Rust panic becomes an Error; the next call gets a fresh instance, and clients keep working', async () => {
  for (const csms of [esm, cjs]) {
    const listed = async () => ({ status: 200, headers: {}, body: '{"secrets":[],"page_info":{"secret_count":0}}' });
    const client = new csms.CsmsClient({ ...options, transport: listed });
    const before = client.buildRequest('ListSecrets', {}, '20240806T000000Z');
    // panicForTests (test-only, outside the package's exports) panics inside the module.
    const { panicForTests, panicsKeepMessages } = testing.get(csms);
    // The release module (panic = immediate-abort) traps without the panic's message: the
    // error names the trap; a stable-Rust build (panic = abort) keeps the message.
    const keeps = panicsKeepMessages();
    const said = (e, message) => (keeps ? e.message.includes(message) : e.message === 'a panic in csms-core (WebAssembly trap: unreachable)');
    for (const message of ['first boom', 'second boom']) {
      assert.throws(
        () => panicForTests(message),
        (e) => e instanceof csms.CsmsError && e instanceof Error && e.name === 'CsmsError' && e.kind === 'internal' &&
          /panic in csms-core/.test(e.message) && e.reason === e.message && said(e, message) && e.cause instanceof WebAssembly.RuntimeError,
      );
      // The client made before the panic re-creates its native object on the new instance.
      assert.deepEqual(client.buildRequest('ListSecrets', {}, '20240806T000000Z'), before);
      assert.deepEqual((await client.listSecrets({})).secrets, []);
    }
    // A panic during a call (here inside its transport) ends that call; the next one works.
    let panicNext = true;
    const panicky = new csms.CsmsClient({
      ...options,
      transport: async () => {
        if (panicNext) {
          panicNext = false;
          panicForTests('inside a call');
        }
        return listed();
      },
    });
    await assert.rejects(panicky.listSecrets({}), (e) => e.kind === 'internal' && /panic in csms-core/.test(e.message) && said(e, 'inside a call'));
    assert.deepEqual((await panicky.listSecrets({})).secrets, []);
  }
});

test('signRequest signs a bare request', () => {
  const r = esm.signRequest({
    credentials: { ak: 'AK', sk: 'SK' }, algorithm: 'SDK-HMAC-SHA256', at: '20240806T101010Z',
    request: { method: 'GET', url: 'https://kms.cn-north-4.myhuaweicloud.com/v1/p/secrets', headers: {}, body: '' },
  });
  assert.match(r.headers.Authorization, /^SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=/);
});

test('SHA-256 and HMAC-SHA256 of the module agree with node:crypto at every length over three blocks', () => {
  // The signature worked out here with node:crypto, for bodies of 0 to 200 bytes and paths
  // that move the canonical request across block boundaries, with keys shorter and longer
  // than a block (the module's SHA-256 is a block function of its own).
  const sha256 = (text) => createHash('sha256').update(text).digest('hex');
  const at = '20240806T101010Z';
  const host = 'kms.cn-north-4.myhuaweicloud.com';
  for (let n = 0; n <= 200; n++) {
    const body = 'é'.repeat(n % 7) + 'x'.repeat(n - (n % 7));
    const path = `/v1/p/secrets/${'a'.repeat(1 + (n % 67))}`;
    const sk = n % 2 ? 'SK' : 'k'.repeat(60 + (n % 11));
    const r = esm.signRequest({
      credentials: { ak: 'AK', sk }, algorithm: 'SDK-HMAC-SHA256', at,
      request: { method: 'PUT', url: `https://${host}${path}`, headers: { 'Content-Type': 'application/json' }, body },
    });
    const canonical = ['PUT', `${path}/`, '', 'content-type:application/json', `host:${host}`, `x-sdk-date:${at}`, '',
      'content-type;host;x-sdk-date', n === 0 ? sha256('') : sha256(body)].join('\n');
    const signature = createHmac('sha256', sk).update(`SDK-HMAC-SHA256\n${at}\n${sha256(canonical)}`).digest('hex');
    assert.equal(r.headers.Authorization.split('Signature=')[1], signature, `body of ${Buffer.byteLength(body)} bytes, path ${path}`);
  }
});

test('errors are recognised across two copies of the package (instanceof), by the client too', async () => {
  const other = await loadOtherCopy();
  assert.notEqual(other.TransportError, esm.TransportError);
  for (const [a, b] of [[esm, other], [other, esm]]) {
    const refused = new a.TransportError('refused', { maybeSent: false });
    assert.ok(refused instanceof b.TransportError && refused instanceof b.CsmsError && refused instanceof Error);
    for (const other of ['ValidationError', 'ApiError', 'DecodeError']) assert.ok(!(refused instanceof b[other]), other);
    const invalid = new a.ValidationError('bad', { field: 'f' });
    assert.ok(invalid instanceof b.ValidationError && invalid instanceof b.CsmsError && !(invalid instanceof b.TransportError));
    assert.ok(new a.CsmsError('x') instanceof b.CsmsError);
    assert.ok(!(new a.CsmsError('x', 'transport') instanceof b.TransportError));
    // A user's subclass is one of the package's classes in both copies, not the other way round.
    class Refused extends a.TransportError {}
    assert.ok(new Refused('r') instanceof b.TransportError && new Refused('r') instanceof Refused);
    assert.ok(!(refused instanceof Refused));
    for (const value of [new Error('x'), {}, null, undefined, 'TransportError', { code: 'transport' }]) {
      assert.ok(!(value instanceof b.CsmsError) && !(value instanceof b.TransportError), String(value));
    }
  }
  // A transport using the other copy's TransportError: a request that never left is resent,
  // even for a non-idempotent operation; another error of the package ends the call.
  for (const [client, otherCopy] of [[esm, other], [other, esm]]) {
    let calls = 0;
    const refusing = new client.CsmsClient({
      ...options, backoffBaseMs: 1,
      transport: async () => {
        calls++;
        throw new otherCopy.TransportError('connection refused', { maybeSent: false });
      },
    });
    await assert.rejects(refusing.rotateSecret({ secret_name: 'x' }), (e) => e instanceof client.TransportError && e.maybeSent === false && e.notRetried === undefined);
    assert.equal(calls, 3);
    const validating = new client.CsmsClient({ ...options, transport: async () => { throw new other.ValidationError('bad', { field: 'f' }); } });
    await assert.rejects(validating.listSecrets({}), (e) => e instanceof other.ValidationError && e.field === 'f');
  }
});

test('non-finite numbers and lone surrogates name their member instead of turning into null or a bad escape', async () => {
  const client = new esm.CsmsClient({ ...options, transport: async () => assert.fail('nothing should be sent') });
  const finite = /^invalid `([^`]+)`: must be a finite number$/;
  const lone = /^invalid `([^`]+)`: is not valid Unicode text \(a lone surrogate\)$/;
  const cases = [
    ['CreateSecretVersion', { secret_name: 'a', secret_string: 'x', expire_time: NaN }, 'expire_time', finite],
    ['CreateSecretVersion', { secret_name: 'a', secret_string: 'x', expire_time: Infinity }, 'expire_time', finite],
    ['ListUsers', { offset: -Infinity, limit: 10 }, 'offset', finite],
    ['CreateSecret', { name: 'a', secret_string: 'x', tags: [{ key: 'k', value: 'v' }, { key: 'k2', value: NaN }] }, 'tags[1].value', finite],
    ['CreateSecret', { name: 'a', secret_string: 'x', tags: [{ key: 'k', value: 'v\ud800' }] }, 'tags[0].value', lone],
    ['UpdateSecret', { secret_name: 'a', description: '\udc00 low' }, 'description', lone],
    ['CreateSecretVersion', { secret_name: 'a', secret_string: 'high at the end \udbff' }, 'secret_string', lone],
  ];
  for (const [operation, input, field, message] of cases) {
    const check = (e) => e instanceof esm.ValidationError && e.field === field && message.test(e.message) && e.message.includes(field);
    assert.throws(() => client.buildRequest(operation, input, '20240806T000000Z'), check, `${operation} ${field}`);
    await assert.rejects(client.send(operation, input), check, `${operation} ${field} (send)`);
  }
  assert.throws(() => client.buildRequest('ListSecrets', NaN), (e) => e.field === 'input' && finite.test(e.message));
  // Text that merely looks like the cases (the word null, a backslash, a surrogate pair) passes.
  const description = 'null, \\ud800 and a pair 😀';
  const request = client.buildRequest('UpdateSecret', { secret_name: 'a', description, kms_key_id: null }, '20240806T000000Z');
  assert.equal(JSON.parse(request.body).description, description);
});

test('an input of strings only crosses as NUL-separated text and builds what its JSON text builds', () => {
  const client = new esm.CsmsClient(options);
  const at = '20240806T000000Z';
  // `kms_key_id: null` sends the same input through JSON text (a member not a string).
  const same = (operation, input) =>
    assert.deepEqual(client.buildRequest(operation, input, at), client.buildRequest(operation, { ...input, kms_key_id: null }, at), JSON.stringify(input));
  same('UpdateSecret', { secret_name: 'db/x', description: 'é😀 "quoted" \\ \n\t, with a NUL \0 in it' });
  same('UpdateSecret', { secret_name: 'a', description: '' });
  // Prototype-less objects are plain; class instances cross as JSON text (own members).
  const bare = Object.assign(Object.create(null), { secret_name: 'a', description: 'b' });
  assert.deepEqual(client.buildRequest('UpdateSecret', bare, at), client.buildRequest('UpdateSecret', { secret_name: 'a', description: 'b' }, at));
  class Input { constructor() { this.secret_name = 'a'; this.description = 'b'; } }
  assert.deepEqual(client.buildRequest('UpdateSecret', new Input(), at), client.buildRequest('UpdateSecret', { secret_name: 'a', description: 'b' }, at));
  // A getter that throws is JSON.stringify's error, as before.
  const throwing = { secret_name: 'a', get description() { throw new Error('no'); } };
  assert.throws(() => client.buildRequest('UpdateSecret', throwing, at),
    (e) => e instanceof esm.ValidationError && e.field === 'input' && e.message === 'invalid `input`: not representable as JSON (no)');
  // A name holding a NUL is an unknown member, named as it is.
  assert.throws(() => client.buildRequest('UpdateSecret', { secret_name: 'a', 'descrip\0tion': 'b' }, at),
    (e) => e instanceof esm.ValidationError && e.field === 'descrip\0tion' && e.message.includes('has no member'));
  // Missing and wrong members are refused alike either way.
  for (const input of [{}, { description: 'b' }, { secret_name: '' }]) {
    const field = (f) => { try { f(); } catch (e) { return `${e.name} ${e.field} ${e.message}`; } return 'built'; };
    assert.equal(field(() => client.buildRequest('UpdateSecret', input, at)), field(() => client.buildRequest('UpdateSecret', { ...input, kms_key_id: null }, at)));
    assert.notEqual(field(() => client.buildRequest('UpdateSecret', input, at)), 'built');
  }
});

test('a transport returning a bad response is a transport failure (maybeSent); a body that is not text or bytes is refused naming response.body', async () => {
  const ok = '{"secrets":[],"page_info":{"secret_count":0}}';
  const bodyHint = /`response\.body`.*responseType: 'text'/;
  const cases = [
    ['{}', {}, /`response\.status`/],
    ['no status', { headers: {}, body: ok }, /`response\.status`/],
    ['status 0', { status: 0, body: ok }, /`response\.status`/],
    ['status 99', { status: 99, body: ok }, /`response\.status`/],
    ['status 600', { status: 600, body: ok }, /`response\.status`/],
    ['status 70000', { status: 70000, body: ok }, /`response\.status`/],
    ['status text', { status: 'OK', body: ok }, /`response\.status`/],
    ['an already parsed body (axios)', { status: 200, body: { secrets: [] } }, bodyHint],
    ['a Blob', { status: 200, body: new Blob([ok]) }, bodyHint],
    ['a fetch Response', new Response(ok, { status: 200 }), bodyHint],
    ['a number', { status: 200, body: 5 }, bodyHint],
  ];
  for (const [label, response, message] of cases) {
    let calls = 0;
    const client = new esm.CsmsClient({ ...options, backoffBaseMs: 1, transport: async () => (calls++, response) });
    await assert.rejects(client.listSecrets({}), (e) => {
      assert.ok(e instanceof esm.TransportError && e.maybeSent === true, `${label}: ${e.stack}`);
      assert.match(e.message, message, label);
      assert.ok(e.cause instanceof esm.ValidationError, label);
      return true;
    });
    assert.equal(calls, 3, `${label}: retried as a transport failure`);
    calls = 0;
    await assert.rejects(client.rotateSecret({ secret_name: 'x' }), (e) => e instanceof esm.TransportError && /not idempotent/.test(e.notRetried), label);
    assert.equal(calls, 1, `${label}: a rotation that may have been applied is not resent`);
  }
  // The low-level parseResponse keeps ValidationError, with the same words for the body.
  const client = new esm.CsmsClient(options);
  assert.throws(() => client.parseResponse('ListSecrets', {}), (e) => e instanceof esm.ValidationError && e.field === 'response.status');
  for (const body of [{ secrets: [] }, new Blob([ok]), new Response(ok).body, 5]) {
    assert.throws(() => client.parseResponse('ListSecrets', { status: 200, body }), (e) => e instanceof esm.ValidationError && e.field === 'response.body' && bodyHint.test(e.message));
  }
  for (const body of [ok, new TextEncoder().encode(ok), new TextEncoder().encode(ok).buffer, Buffer.from(ok)]) {
    assert.deepEqual(client.parseResponse('ListSecrets', { status: 200, body }).secrets, []);
  }
  assert.deepEqual(client.parseResponse('DeleteSecret', { status: 204 }), {});
});

test('`at` is the same everywhere: a Date, milliseconds since the epoch or an X-Sdk-Date string; non-finite refused', () => {
  const ms = Date.UTC(2024, 7, 6, 10, 10, 10);
  const spec = (at) => ({
    credentials: { ak: 'AK', sk: 'SK' }, algorithm: 'SDK-HMAC-SHA256', at,
    request: { method: 'GET', url: 'https://kms.cn-north-4.myhuaweicloud.com/v1/p/secrets', headers: {}, body: '' },
  });
  const sdkDate = (d) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  for (const csms of [esm, cjs]) {
    const client = new csms.CsmsClient(options);
    const signed = csms.signRequest(spec('20240806T101010Z'));
    const built = client.buildRequest('ListSecrets', {}, '20240806T101010Z');
    assert.equal(signed.headers['X-Sdk-Date'], '20240806T101010Z');
    for (const at of [ms, ms + 999, new Date(ms)]) {
      assert.deepEqual(csms.signRequest(spec(at)), signed, `signRequest at ${at}`);
      assert.deepEqual(client.buildRequest('ListSecrets', {}, at), built, `buildRequest at ${at}`);
    }
    // Before the epoch, a second starts at its beginning in both.
    assert.equal(csms.signRequest(spec(-1500)).headers['X-Sdk-Date'], '19691231T235958Z');
    assert.equal(client.buildRequest('ListSecrets', {}, -1500).headers['X-Sdk-Date'], '19691231T235958Z');
    // Now by default, in both.
    for (const date of [csms.signRequest(spec(undefined)).headers['X-Sdk-Date'], client.buildRequest('ListSecrets', {}).headers['X-Sdk-Date']]) {
      assert.ok([sdkDate(new Date()), sdkDate(new Date(Date.now() - 1000))].includes(date), date);
    }
    for (const [at, shown] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'], [new Date('nope'), 'an invalid Date'], [{}, 'an object'], [1000n, 'a bigint'], [true, 'a boolean']]) {
      const check = (e) => e instanceof csms.ValidationError && e.field === 'at' &&
        e.message === `invalid \`at\`: must be a Date, milliseconds since the epoch or an X-Sdk-Date string (YYYYMMDDTHHMMSSZ), not ${shown}`;
      assert.throws(() => csms.signRequest(spec(at)), check, `signRequest ${shown}`);
      assert.throws(() => client.buildRequest('ListSecrets', {}, at), check, `buildRequest ${shown}`);
    }
  }
});

test('option errors name the JavaScript options (projectId, credentials.authToken), not the wire names', () => {
  const cases = [
    [{ projectId: undefined }, 'projectId', 'is required'],
    [{ projectId: 'a/b' }, 'projectId', 'must not be `.` or `..` or hold `/`, `?` or `#` (it is part of the path)'],
    [{ projectId: 5 }, 'projectId', 'must be a string'],
    [{ projectId: NaN }, 'projectId', 'must be a finite number'],
    [{ credentials: { sk: 's' } }, 'credentials.ak', 'is required (or give authToken)'],
    [{ credentials: { authToken: '' } }, 'credentials.authToken', 'is empty'],
    [{ credentials: { authToken: 5 } }, 'credentials.authToken', 'must be a string'],
    [{ credentials: { ak: 'a', sk: 's', authToken: 't' } }, 'credentials.authToken', 'give either ak and sk, or authToken, not both'],
    [{ credentials: { ak: 'a', sk: 's', securityToken: 5 } }, 'credentials.securityToken', 'must be a string'],
    [{ credentials: { ak: 'a', sk: 'x\ud800' } }, 'credentials.sk', 'is not valid Unicode text (a lone surrogate)'],
    [{ userAgent: 5 }, 'userAgent', 'must be a string'],
    [{ derivedService: 5 }, 'derivedService', 'must be a string'],
  ];
  for (const csms of [esm, cjs]) {
    for (const [change, field, reason] of cases) {
      assert.throws(() => new csms.CsmsClient({ ...options, ...change }), (e) => {
        assert.ok(e instanceof csms.ValidationError, e.stack);
        assert.deepEqual([e.field, e.reason, e.message], [field, reason, `invalid \`${field}\`: ${reason}`]);
        return true;
      });
    }
  }
});

test('init: a Response (compiled streaming), nothing (then at once), a wrong source, a source after use', async () => {
  // A fresh copy, whose module nothing has loaded yet.
  const fresh = await loadOtherCopy();
  await assert.rejects(fresh.init(42), (e) => e instanceof TypeError && /init\(\) takes a WebAssembly\.Module/.test(e.message));
  const bytes = readFileSync(join(PKG_DIR, 'esm', 'csms_bg.wasm'));
  const loading = fresh.init(new Response(bytes, { headers: { 'content-type': 'application/wasm' } }));
  assert.ok(loading instanceof Promise);
  // While it loads, another source is refused; then it is the module in use.
  assert.throws(() => fresh.init(bytes), /init\(\) must come before the first use/);
  await loading;
  await fresh.init(); // nothing more to do
  const request = new fresh.CsmsClient(options).buildRequest('ListSecrets', {}, '20240806T000000Z');
  assert.deepEqual(request, new esm.CsmsClient(options).buildRequest('ListSecrets', {}, '20240806T000000Z'));
  assert.throws(() => fresh.init(new WebAssembly.Module(bytes)), /init\(\) must come before the first use/);
  // A failed load (HTTP 404) rejects with a CsmsError and may be tried again.
  const other = await loadOtherCopy();
  await assert.rejects(other.init(new Response('no', { status: 404 })), (e) => e instanceof other.CsmsError && /HTTP 404/.test(e.message));
  await assert.rejects(other.init(new Response('<!doctype html>', { headers: { 'content-type': 'text/html' } })), /is an HTML page, not its WebAssembly module/);
  other.init(bytes); // bytes: ready at once, without awaiting
  assert.equal(new other.CsmsClient(options).buildRequest('ListSecrets', {}, '20240806T000000Z').url, request.url);
});

test('the module is read with process.getBuiltinModule, else Deno.readFileSync, else init() is needed', () => {
  // Each in a fresh process: the runtime is what `globalThis` has when the package first needs its module.
  const run = (setup) => {
    const code = `${setup}
const csms = await import(${JSON.stringify(join(PKG_DIR, 'esm', 'index.js'))});
let out;
try {
  out = new csms.CsmsClient({ endpoint: 'https://kms.example', projectId: 'p', credentials: { ak: 'a', sk: 's' } })
    .buildRequest('ListSecrets', {}, '20240806T000000Z').url;
} catch (e) { out = e.name + ': ' + e.message; }
console.log(JSON.stringify({ out, read: globalThis.read || [] }));`;
    return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }));
  };
  const wasm = pathToFileURL(join(PKG_DIR, 'esm', 'csms_bg.wasm')).href;
  // Node: fs from getBuiltinModule (watched here), the file beside the package's code.
  const node = run(`const real = process.getBuiltinModule; globalThis.read = [];
process.getBuiltinModule = (id) => { globalThis.read.push(id); return real(id); };`);
  assert.deepEqual(node, { out: 'https://kms.example/v1/p/secrets', read: ['node:fs'] });
  // Deno before 2.1: no getBuiltinModule, its own readFileSync.
  const deno = run(`import { readFileSync } from 'node:fs'; globalThis.read = []; process.getBuiltinModule = undefined;
globalThis.Deno = { readFileSync: (path) => { globalThis.read.push(String(path)); return readFileSync(path); } };`);
  assert.deepEqual(deno, { out: 'https://kms.example/v1/p/secrets', read: [wasm] });
  // Neither (a browser): a synchronous use before init() says so.
  const browser = run('process.getBuiltinModule = undefined;');
  assert.match(browser.out, /^CsmsError: .*not loaded yet.*`await init\(\)`/);
});
