// The JavaScript conformance runner: every vector in tests/vectors/*.json and in
// $CSMS_EXTRA_VECTORS, through the built package (same semantics as
// core/tests/conformance.rs; see tests/vectors/FORMAT.md). One line per failing vector.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, loadPackage } from './helpers.mjs';

const csms = await loadPackage(process.env.CSMS_PACKAGE_FORM || 'esm');

function vectorFiles() {
  const dirs = [join(ROOT, 'tests', 'vectors')];
  if (process.env.CSMS_EXTRA_VECTORS) dirs.push(process.env.CSMS_EXTRA_VECTORS);
  const files = [];
  for (const dir of dirs) {
    files.push(...readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f)));
  }
  return files;
}

const text = (v, key) => (v && typeof v[key] === 'string' ? v[key] : '');
const header = (headers, name) => {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
};
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function deepEqual(a, b) {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return a === b;
}

/** Every key of `expected` is in `actual` with an equal value (objects recursively). */
function isSubset(expected, actual) {
  if (isObject(expected) && isObject(actual)) {
    return Object.entries(expected).every(([k, v]) => k in actual && isSubset(v, actual[k]));
  }
  return deepEqual(expected, actual);
}

function checkHeaders(request, expected) {
  for (const [name, want] of Object.entries(expected || {})) {
    const got = header(request.headers, name);
    if (got === undefined) throw new Error(`header ${name} missing`);
    const media = (s) => s.split(';')[0].trim().toLowerCase();
    const same = name.toLowerCase() === 'content-type' ? media(got) === media(want) : got === want;
    if (!same) throw new Error(`header ${name}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
}

function checkError(err, expected) {
  if (!(err instanceof csms.CsmsError)) throw new Error(`not a CsmsError: ${err && err.stack}`);
  if (!(err instanceof Error)) throw new Error('not an Error');
  if (err.kind !== expected.kind) throw new Error(`got ${err.kind} error (${err.message}), want ${expected.kind}`);
  let actual;
  switch (err.kind) {
    case 'validation':
      if (!(err instanceof csms.ValidationError)) throw new Error('not a ValidationError');
      actual = { kind: 'validation', field: err.field };
      break;
    case 'api':
      if (!(err instanceof csms.ApiError)) throw new Error('not an ApiError');
      actual = { kind: 'api', status: err.status, error_code: err.errorCode, error_msg: err.errorMsg, request_id: err.requestId };
      break;
    case 'decode':
      if (!(err instanceof csms.DecodeError)) throw new Error('not a DecodeError');
      actual = { kind: 'decode' };
      break;
    default:
      actual = { kind: err.kind };
  }
  if (!isSubset(expected, actual)) throw new Error(`error ${JSON.stringify(actual)} does not match ${JSON.stringify(expected)}`);
}

function runSign(v) {
  const r = v.request || {};
  const spec = { credentials: v.credentials, algorithm: text(v, 'algorithm'), at: text(v, 'at'), request: r };
  if (v.derived) spec.derived = v.derived;
  const request = csms.signRequest(spec);
  const got = header(request.headers, 'Authorization') || '';
  const want = text(v.expect, 'authorization');
  if (want && got !== want) throw new Error(`authorization: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  checkHeaders(request, (v.expect || {}).headers);
}

/** Client options (camelCase) from a vector's wire-style config. */
function clientOptions(config) {
  const names = { project_id: 'projectId', derived_service: 'derivedService', user_agent: 'userAgent' };
  const credNames = { security_token: 'securityToken', auth_token: 'authToken' };
  const options = {};
  for (const [k, val] of Object.entries(config || {})) {
    if (k === 'credentials' && isObject(val)) {
      options.credentials = Object.fromEntries(Object.entries(val).map(([ck, cv]) => [credNames[ck] || ck, cv]));
    } else {
      options[names[k] || k] = val;
    }
  }
  options.transport = async () => {
    throw new Error('the conformance runner sends nothing');
  };
  return options;
}

/**
 * The signature check of the Rust runner (`csms_core::verify`), done by signing again:
 * the Authorization must be well-formed, name the algorithm and the AK, list exactly the
 * headers the request carries (all present), and equal the signature the signer computes
 * over those signed headers for the request's X-Sdk-Date (every algorithm is
 * deterministic: HMACs, and ECDSA/SM2 with RFC 6979 nonces).
 */
function verifySignature(request, config) {
  const authorization = header(request.headers, 'Authorization');
  if (!authorization) throw new Error('no Authorization header');
  const m = authorization.match(/^(\S+) Access=([^,\s]+), SignedHeaders=([a-z0-9;_.-]+), Signature=([0-9a-f]+)$/);
  if (!m) throw new Error(`malformed Authorization: ${authorization}`);
  const [, algorithm, access, signedHeaders] = m;
  const wantAlgorithm = (config.algorithm || 'SDK-HMAC-SHA256').toUpperCase();
  if (algorithm !== wantAlgorithm) throw new Error(`algorithm ${algorithm}, want ${wantAlgorithm}`);
  if (access !== config.credentials.ak) throw new Error(`Access=${access}, want ${config.credentials.ak}`);
  const signed = signedHeaders.split(';');
  const sorted = [...signed].sort();
  if (signed.join(';') !== sorted.join(';')) throw new Error(`SignedHeaders not sorted: ${signedHeaders}`);
  for (const required of ['host', 'x-sdk-date']) {
    if (!signed.includes(required)) throw new Error(`SignedHeaders lacks ${required}`);
  }
  const sent = Object.keys(request.headers).map((k) => k.toLowerCase()).filter((k) => k !== 'authorization');
  for (const name of signed) if (!sent.includes(name)) throw new Error(`signed header ${name} is not sent`);
  const at = header(request.headers, 'X-Sdk-Date');
  const headers = {};
  for (const [k, val] of Object.entries(request.headers)) if (signed.includes(k.toLowerCase())) headers[k] = val;
  const spec = {
    credentials: config.credentials,
    algorithm,
    at,
    request: { method: request.method, url: request.url, headers, body: request.body ?? '' },
  };
  if (algorithm === 'V11-HMAC-SHA256') spec.derived = { region_id: config.region, service: config.derived_service || 'csms' };
  const again = header(csms.signRequest(spec).headers, 'Authorization');
  if (again !== authorization) throw new Error(`signature does not verify: signing again gives ${again}`);
}

function runBuild(v) {
  const expect = v.expect || {};
  let request;
  try {
    const client = new csms.CsmsClient(clientOptions(v.config));
    request = client.buildRequest(text(v, 'operation'), v.input, text(v, 'at'));
  } catch (e) {
    if (expect.error) return checkError(e, expect.error);
    throw new Error(`refused: ${e.message}`);
  }
  if (expect.error) throw new Error(`built ${request.method} ${request.url} instead of refusing`);
  if (request.method !== text(expect, 'method')) throw new Error(`method: got ${request.method}, want ${text(expect, 'method')}`);
  if (request.url !== text(expect, 'url')) throw new Error(`url: got ${request.url}, want ${text(expect, 'url')}`);
  checkHeaders(request, expect.headers);
  let body = null;
  if (request.body !== null && request.body !== '') {
    try {
      body = JSON.parse(request.body);
    } catch (e) {
      throw new Error(`body is not JSON: ${e.message}`);
    }
  }
  const want = expect.body_json === undefined ? null : expect.body_json;
  if (!deepEqual(body, want)) throw new Error(`body: got ${JSON.stringify(body)}, want ${JSON.stringify(want)}`);
  const credentials = (v.config || {}).credentials;
  if (isObject(credentials) && 'sk' in credentials) verifySignature(request, v.config);
}

let parser;
function runParse(v) {
  parser =
    parser ||
    new csms.CsmsClient({ endpoint: 'https://kms.cn-north-4.myhuaweicloud.com', projectId: 'p', credentials: { ak: 'AK', sk: 'SK' } });
  const r = v.response || {};
  const expect = v.expect || {};
  let value;
  try {
    value = parser.parseResponse(text(v, 'operation'), { status: r.status || 0, headers: r.headers || {}, body: text(r, 'body') });
  } catch (e) {
    if (expect.error) return checkError(e, expect.error);
    throw new Error(`failed: ${e.message}`);
  }
  if (expect.error) throw new Error(`parsed as ${JSON.stringify(value)} instead of failing`);
  if (!isSubset(expect.ok, value)) throw new Error(`result ${JSON.stringify(value)} does not contain ${JSON.stringify(expect.ok)}`);
}

let passed = 0;
let failed = 0;
for (const file of vectorFiles()) {
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(doc.vectors)) throw new Error(`${file}: no \`vectors\` list`);
  const base = file.split('/').pop();
  for (const v of doc.vectors) {
    test(`${base}: ${v.id}`, () => {
      try {
        switch (v.kind) {
          case 'sign':
            runSign(v);
            break;
          case 'build':
            runBuild(v);
            break;
          case 'parse':
            runParse(v);
            break;
          default:
            throw new Error(`unknown kind ${JSON.stringify(v.kind)}`);
        }
        passed++;
      } catch (e) {
        failed++;
        console.log(`FAIL ${v.id} (${base}): ${e.message}`);
        throw e;
      }
    });
  }
}

after(() => {
  console.log(`conformance: ${passed} passed, ${failed} failed`);
  assert.ok(passed > 0, 'no vector found');
});
