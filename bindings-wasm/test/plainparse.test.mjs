// parseResponse and a call's result without the module (js/shapes.js): a body the core would
// return unchanged is JSON.parse's; every other body goes to the module. Checked against the
// module itself: a body with one unknown member more is the module's to decode (the member
// dropped), and must give the same result as the plain body read without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, loadPackage } from './helpers.mjs';

const spec = JSON.parse(readFileSync(join(ROOT, 'spec', 'csms.json'), 'utf8'));
const options = { endpoint: 'https://kms.cn-north-4.myhuaweicloud.com', projectId: 'pid', credentials: { ak: 'AK', sk: 'SK' } };

/** A value of the spec type `type`, every field of every model filled in (two levels deep). */
function sample(type, depth = 0) {
  if (type.startsWith('list<')) return [sample(type.slice(5, -1), depth + 1), sample(type.slice(5, -1), depth + 1)];
  switch (type) {
    case 'string':
      return 'text é ✓ "quoted" \\ 😀';
    case 'date':
      return '2026-11-22T08:09:10Z';
    case 'integer':
      return 1581507580000;
    case 'number':
      return 2.5;
    case 'boolean':
      return true;
    case 'object':
      return { any: [1, null, { deep: 'x' }], n: -3.25 };
    default: {
      const out = {};
      if (depth < 3) for (const f of spec.models[type].fields) out[f.name] = sample(f.type, depth + 1);
      return out;
    }
  }
}

for (const kind of ['esm', 'cjs']) {
  const csms = await loadPackage(kind);
  const client = new csms.CsmsClient(options);
  const parse = (op, body, status = 200) => client.parseResponse(op, { status, headers: { 'x-request-id': 'r' }, body });

  test(`${kind}: every operation's full body reads as the module reads it`, () => {
    for (const op of spec.operations) {
      const body = {};
      for (const f of op.output) body[f.name] = sample(f.type);
      const plain = parse(op.name, JSON.stringify(body));
      assert.deepEqual(plain, body, op.name);
      const viaModule = parse(op.name, JSON.stringify({ ...body, not_a_field: 1 }));
      assert.deepEqual(viaModule, plain, op.name);
    }
  });

  test(`${kind}: null fields are left out on both paths`, () => {
    const body = { version: { version_metadata: { id: 'v1', expire_time: null, version_stages: ['A'] }, secret_string: null } };
    const expected = { version: { version_metadata: { id: 'v1', version_stages: ['A'] } } };
    assert.deepEqual(parse('ShowSecretVersion', JSON.stringify(body)), expected);
    assert.deepEqual(parse('ShowSecretVersion', JSON.stringify({ ...body, x: 1 })), expected);
    assert.deepEqual(Object.keys(parse('ShowSecretVersion', JSON.stringify(body)).version.version_metadata), ['id', 'version_stages']);
  });

  test(`${kind}: the plain path is taken (the body's member order kept; the module sorts them)`, () => {
    const body = '{"version":{"version_metadata":{"id":"v1"},"secret_string":"s"}}';
    assert.deepEqual(Object.keys(parse('ShowSecretVersion', body).version), ['version_metadata', 'secret_string']);
    const viaModule = '{"version":{"version_metadata":{"id":"v1"},"secret_string":"s","x":1}}';
    assert.deepEqual(Object.keys(parse('ShowSecretVersion', viaModule).version), ['secret_string', 'version_metadata']);
  });

  test(`${kind}: bodies the core changes or refuses are the module's`, () => {
    const meta = { id: 'v1', create_time: 5, version_stages: ['SYSCURRENT'] };
    // Coerced: a string in an integer field, a number in a string field; nulls left out.
    assert.deepEqual(parse('ShowSecretVersion', JSON.stringify({ version: { version_metadata: { ...meta, create_time: '7', id: 3 }, secret_string: null } })), {
      version: { version_metadata: { ...meta, create_time: 7, id: '3' } },
    });
    // A fraction in an integer field is left out; a list item null left out.
    assert.deepEqual(parse('ShowSecretVersion', JSON.stringify({ version: { version_metadata: { ...meta, create_time: 1.5, version_stages: ['A', null] } } })), {
      version: { version_metadata: { id: 'v1', version_stages: ['A'] } },
    });
    // Beyond a double's exact integers, and -0.
    assert.deepEqual(parse('ShowSecretVersion', '{"version":{"version_metadata":{"create_time":-0}}}'), { version: { version_metadata: { create_time: 0 } } });
    assert.ok(Object.is(parse('ShowSecretVersion', '{"version":{"version_metadata":{"create_time":-0}}}').version.version_metadata.create_time, 0));
    // The old shape of RotateSecret, unwrapped by the core.
    assert.deepEqual(parse('RotateSecret', '{"rotate":{"version_id":"v2","secret_name":"db"}}'), { version_id: 'v2', secret_name: 'db' });
    // An empty body is {}.
    assert.deepEqual(parse('ShowSecretVersion', '  '), {});
    // Refused by the core: not JSON, not an object, an escaped lone surrogate, nesting past
    // its JSON reader's limit in an `object` field.
    for (const body of ['{', '[1]', '"x"', '{"version":{"secret_string":"\\ud800"}}']) {
      assert.throws(() => parse('ShowSecretVersion', body), csms.DecodeError, body);
    }
    const deep = (n) => `{"data":${'['.repeat(n)}${']'.repeat(n)}}`;
    assert.deepEqual(parse('CheckSecrets', deep(3)), { data: [[[]]] });
    assert.throws(() => parse('CheckSecrets', deep(200)), csms.DecodeError);
    // Not 2xx: the API error, whatever the body.
    assert.throws(() => parse('ShowSecretVersion', '{"version":{}}', 404), csms.ApiError);
  });

  test(`${kind}: a call's result takes the same two paths`, async () => {
    let body;
    const c = new csms.CsmsClient({ ...options, transport: async () => ({ status: 200, headers: {}, body }) });
    body = JSON.stringify({ version: { version_metadata: { id: 'v1', create_time: 5 }, secret_string: 's' } });
    assert.deepEqual(await c.showSecretVersion({ secret_name: 'db', version_id: 'v1' }), JSON.parse(body));
    body = JSON.stringify({ version: { version_metadata: { id: 'v1', create_time: '5', extra: 1 }, secret_string: 's' } });
    assert.deepEqual(await c.showSecretVersion({ secret_name: 'db', version_id: 'v1' }), {
      version: { version_metadata: { id: 'v1', create_time: 5 }, secret_string: 's' },
    });
    body = '[]';
    await assert.rejects(c.showSecretVersion({ secret_name: 'db', version_id: 'v1' }), csms.DecodeError);
  });
}

// The signed request crosses as one text split at NUL (requestOf in js/index.js), or as JSON
// when a part holds a NUL itself.
for (const kind of ['esm', 'cjs']) {
  const csms = await loadPackage(kind);
  const spec = (request) => ({ credentials: { ak: 'AK', sk: 'SK' }, algorithm: 'SDK-HMAC-SHA256', at: '20261122T080910Z', request });

  test(`${kind}: a signed request reads the same whether it crossed split at NUL or as JSON`, () => {
    const plain = csms.signRequest(spec({ method: 'POST', url: 'https://h.example.com/v1/x', headers: { 'X-A': '1' }, body: '{"a":1}' }));
    assert.equal(plain.method, 'POST');
    assert.equal(plain.url, 'https://h.example.com/v1/x');
    assert.equal(plain.body, '{"a":1}');
    assert.deepEqual(Object.keys(plain.headers).sort(), ['Authorization', 'Host', 'X-A', 'X-Sdk-Date']);
    const withNul = csms.signRequest(spec({ method: 'POST', url: 'https://h.example.com/v1/x', headers: { 'X-A': '1' }, body: 'a\0b' }));
    assert.equal(withNul.body, 'a\0b');
    assert.deepEqual(Object.keys(withNul.headers).sort(), Object.keys(plain.headers).sort());
    // A NUL in a header value, and a header named `__proto__` (an own member, not the prototype).
    const nulHeader = csms.signRequest(spec({ method: 'POST', url: 'https://h.example.com/v1/x', headers: { 'X-A': 'a\0b' }, body: '{"a":1}' }));
    assert.equal(nulHeader.headers['X-A'], 'a\0b');
    assert.equal(nulHeader.body, '{"a":1}');
    const proto = csms.signRequest(spec({ method: 'POST', url: 'https://h.example.com/v1/x', headers: { ['__proto__']: 'p', 'X-A': '1' }, body: '{"a":1}' }));
    assert.equal(Object.getOwnPropertyDescriptor(proto.headers, '__proto__').value, 'p');
    assert.equal(Object.getPrototypeOf(proto.headers), Object.prototype);
    assert.equal(proto.headers['X-A'], '1');
    const empty = csms.signRequest(spec({ method: 'GET', url: 'https://h.example.com/v1/x', headers: {} }));
    assert.equal(empty.body, null);
    const client = new csms.CsmsClient(options);
    const built = client.buildRequest('UpdateSecret', { secret_name: 'db', description: 'd' }, '20261122T080910Z');
    assert.deepEqual(JSON.parse(built.body), { description: 'd' });
    assert.equal(built.method, 'PUT');
    assert.equal(Object.getPrototypeOf(built.headers), Object.prototype);
  });
}
