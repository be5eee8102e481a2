// The cross-language parity list (tests/parity/surface.json, spelt for JS by
// `python3 -m tools.parity` into tests/parity/js.json) against the package's real surface:
// the option interfaces of its declarations (read with the TypeScript compiler API), the
// exported `defaults` the client reads, and the error classes (constructed). A name, default,
// kind or field that drifts from the list fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { HERE, PKG_DIR, ROOT, loadPackage } from './helpers.mjs';

const parity = JSON.parse(readFileSync(join(ROOT, 'tests', 'parity', 'js.json'), 'utf8'));
const skip = !existsSync(join(HERE, 'node_modules', 'typescript')) && 'npm install in bindings-wasm/test first';

/**
 * The declarations of the built package: each interface's and class's own members, and each
 * class's base class, by name.
 */
function declarations() {
  const ts = createRequire(import.meta.url)('typescript');
  const path = join(PKG_DIR, 'index.d.ts');
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const interfaces = new Map();
  const classes = new Map();
  const nameOf = (member) => member.name && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name)) ? member.name.text : undefined;
  for (const statement of source.statements) {
    if (ts.isInterfaceDeclaration(statement)) {
      const members = interfaces.get(statement.name.text) || new Set();
      for (const member of statement.members) if (ts.isPropertySignature(member)) members.add(nameOf(member));
      interfaces.set(statement.name.text, members);
    } else if (ts.isClassDeclaration(statement) && statement.name) {
      const members = new Set();
      for (const member of statement.members) if (ts.isPropertyDeclaration(member)) members.add(nameOf(member));
      const base = (statement.heritageClauses || []).flatMap((h) => h.types.map((t) => t.expression.getText(source)))[0];
      classes.set(statement.name.text, { members, base });
    }
  }
  return { interfaces, classes };
}

/** A class's members, its bases' included (`message` from Error). */
function classMembers(classes, name) {
  const out = new Set();
  for (let c = classes.get(name); c; c = classes.get(c.base)) {
    for (const m of c.members) out.add(m);
    if (c.base === 'Error') out.add('message');
  }
  return out;
}

test('every option of the parity list is declared, under its name, and nothing else', { skip }, () => {
  const { interfaces } = declarations();
  for (const [group, declared, extra] of [
    ['client_options', 'CsmsClientOptions', []],
    ['call_options', 'CallOptions', ['signal']], // cancellation, JavaScript's way
    ['cache_options', 'SecretCacheOptions', []],
  ]) {
    const members = interfaces.get(declared);
    assert.ok(members, `${declared} is declared`);
    const names = parity[group].map((o) => o.name);
    for (const o of parity[group]) {
      assert.ok(members.has(o.name), `${declared} has ${o.name} (${o.canonical})`);
      if (o.duration) assert.match(o.name, /Ms$/, `${o.name} is in ms`);
    }
    assert.deepEqual([...members].filter((m) => !names.includes(m) && !extra.includes(m)), [], `${declared} has only the list's options`);
  }
});

test('every default is the exported `defaults`, which is frozen', async () => {
  for (const kind of ['esm', 'cjs']) {
    const { defaults } = await loadPackage(kind);
    assert.ok(Object.isFrozen(defaults) && Object.isFrozen(defaults.cache), 'frozen');
    const check = (entries, given) => {
      const expected = Object.fromEntries(entries.filter((o) => o.default !== null && o.default !== undefined).map((o) => [o.name, o.default]));
      const { cache, ...actual } = given;
      void cache;
      assert.deepEqual(actual, expected, kind);
    };
    check(parity.client_options, defaults);
    check(parity.cache_options, defaults.cache);
  }
});

test('the client takes every client and call option of the list', async () => {
  const { CsmsClient, defaults } = await loadPackage('esm');
  const values = { region: 'cn-north-4', endpoint: 'http://127.0.0.1:9', projectId: 'p', credentials: { ak: 'AK', sk: 'SK' }, transport: async () => ({ status: 200, body: '{"secrets":[]}' }),
    userAgent: 'app/1', derivedService: 'csms', debugHook: () => {} };
  const options = {};
  for (const o of parity.client_options) options[o.name] = o.name in values ? values[o.name] : defaults[o.name];
  assert.deepEqual(Object.keys(options).filter((k) => options[k] === undefined), [], 'a value for every option');
  delete options.endpoint; // region or endpoint
  const client = new CsmsClient(options);
  const call = Object.fromEntries(parity.call_options.map((o) => [o.name, o.name === 'maxAttempts' ? 1 : 1000]));
  assert.deepEqual((await client.listSecrets({}, call)).secrets, []);
});

test('every error class of the list exists, with its kind and every field', { skip }, async () => {
  const { classes } = declarations();
  for (const kind of ['esm', 'cjs']) {
    const csms = await loadPackage(kind);
    for (const { kind: errorKind, class: name, fields } of parity.errors) {
      const Class = csms[name];
      assert.equal(typeof Class, 'function', `${name} is exported`);
      const error = name === 'CsmsError' ? new Class('m') : new Class('m', {});
      assert.ok(error instanceof csms.CsmsError && error instanceof Error, name);
      assert.equal(error.kind, errorKind, `${name}'s kind`);
      for (const field of fields) assert.ok(field in error, `${name} has ${field}`);
      const declared = classMembers(classes, name);
      for (const field of fields) assert.ok(declared.has(field), `${name} declares ${field}`);
    }
  }
});
