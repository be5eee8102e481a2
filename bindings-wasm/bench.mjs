// Benchmark of the csms-sdk package beside the official Node core
// (@huaweicloud/huaweicloud-sdk-core, its AKSKSigner), in one run. Prints a Markdown table.
//
//   cargo build -p csms-emulator && bindings-wasm/build.sh && (cd bindings-wasm/test && npm install) && node bindings-wasm/bench.mjs
//
// - sign: SDK-HMAC-SHA256 over the same UpdateSecret request (csms-sdk: `signRequest`, the
//   signer alone; official: `AKSKSigner.sign` as its HcClient calls it, without an
//   `X-Sdk-Date` header: it stamps the current time itself. Given an `X-Sdk-Date` to parse,
//   it takes about 6 µs more, in moment.js).
// - node:crypto alone: two SHA-256 and one HMAC-SHA256 through node:crypto, the least any
//   signer hashing with Node's OpenSSL does per signature (a floor for the 10× target).
// - build+sign: from the operation's input to the signed request (csms-sdk:
//   `client.buildRequest('UpdateSecret', input)`: validation, URL, JSON body, headers,
//   signature; official: the request object its CSMS client makes (URL, headers, body)
//   + `AKSKSigner.sign`). Both sign at the current time, reading the clock (buildRequest
//   without `at`, as the official signer without an `X-Sdk-Date`); given the time as an
//   `X-Sdk-Date` string, buildRequest parses it, ~0.2 µs more here.
// - per call: a whole `updateSecret` call whose transport answers at once with a canned 200
//   (csms-sdk: `await client.updateSecret(input)` with a custom `transport`; official: its
//   `HcClient.sendRequest` with the options its generated CSMS client passes for UpdateSecret
//   and an HTTP client stub that serialises the body and parses the answer as axios would).
//   The CSMS module of the official Node SDK is not on the npm registry; its core is.
// - parse: `client.parseResponse('ShowSecretVersion', response)` of a 200 answer beside
//   `JSON.parse` of the same body (the least any client does with it).
// - import: a fresh `node` process importing the package (median of runs; node's own
//   start-up subtracted by timing inside the process). Node 20 keeps no compile cache
//   between processes: every run is cold. "import + first call" adds the first
//   `buildRequest` (what a lazy set-up defers to it).
// - targets (issue 20): the last line, each met or not met.
// - side by side: what is compared (csms-sdk and the official core's sign, build+sign and
//   call; parse and JSON.parse) is timed in rounds that take turns, the best round of each.
// - size: the files the package publishes, raw and gzipped; the .wasm alone.
// - cache: against the emulator (target/debug/csms-emulator, started here), reading one
//   secret's current value: a `SecretCache` hit (`await cache.get(name)`, and
//   `await cache.getSecretString(name)`) beside a plain `await client.showSecretVersion(...)`
//   per read (a request over loopback each time).
import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  AK, AKSKSigner, AT, ENDPOINT, PROJECT, RESPONSE, RESPONSE_HEADERS, SK, credential, input, officialCaller, officialPath, officialRequest,
} from './bench-common.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const PKG = join(HERE, 'pkg');
const csms = await import(join(PKG, 'esm', 'index.js'));
const officialVersion = JSON.parse(readFileSync(join(officialPath, 'package.json'), 'utf8')).version;
const ourVersion = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')).version;

/** µs per call of an async function: the best of 5 rounds of `n` sequential calls. */
async function perAsyncCall(fn, n = 5000, warmUp = 1000) {
  return (await sideBySideAsync({ fn }, n, warmUp)).fn;
}

/** µs per call: the best of 5 rounds of `n` calls, after a warm-up. */
function perCall(fn, n = 20000) {
  return sideBySide({ fn: [fn, n] }).fn;
}

/**
 * µs per call of each of `fns` ({name: [fn, n]}), after a warm-up: the best of 5 rounds of `n`
 * calls, the rounds of the functions taking turns, so that a slower spell of a shared machine
 * falls on both sides of a comparison rather than on one.
 */
function sideBySide(fns) {
  const best = {};
  for (const [name, [fn]] of Object.entries(fns)) {
    for (let i = 0; i < 2000; i++) fn();
    best[name] = Infinity;
  }
  for (let round = 0; round < 5; round++) {
    for (const [name, [fn, n]] of Object.entries(fns)) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn();
      best[name] = Math.min(best[name], Number(process.hrtime.bigint() - t) / 1e3 / n);
    }
  }
  return best;
}

/** sideBySide for async functions ({name: fn}): the best of 5 rounds of `n` sequential calls each. */
async function sideBySideAsync(fns, n = 5000, warmUp = 1000) {
  const best = {};
  for (const [name, fn] of Object.entries(fns)) {
    for (let i = 0; i < warmUp; i++) await fn();
    best[name] = Infinity;
  }
  for (let round = 0; round < 5; round++) {
    for (const [name, fn] of Object.entries(fns)) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await fn();
      best[name] = Math.min(best[name], Number(process.hrtime.bigint() - t) / 1e3 / n);
    }
  }
  return best;
}

// --- cache ---------------------------------------------------------------------------------
const { startEmulator, AK: EMU_AK, SK: EMU_SK, PROJECT_ID: EMU_PROJECT } = await import(join(HERE, 'test', 'helpers.mjs'));
const emulator = await startEmulator();
let cacheHit;
let cacheString;
let plainRead;
try {
  const local = new csms.CsmsClient({ endpoint: emulator.endpoint, projectId: EMU_PROJECT, credentials: { ak: EMU_AK, sk: EMU_SK } });
  await local.createSecret({ name: 'bench', secret_string: 'a value of some thirty characters' });
  const cache = new csms.SecretCache(local);
  cacheHit = await perAsyncCall(() => cache.get('bench'), 100000);
  cacheString = await perAsyncCall(() => cache.getSecretString('bench'), 100000);
  plainRead = await perAsyncCall(() => local.showSecretVersion({ secret_name: 'bench', version_id: 'v1' }), 300, 100);
} finally {
  await emulator.stop();
}

// --- sign ----------------------------------------------------------------------------------
const client = new csms.CsmsClient({ endpoint: ENDPOINT, projectId: PROJECT, credentials: { ak: AK, sk: SK } });
const built = client.buildRequest('UpdateSecret', input, AT);
const unsigned = { ...built.headers };
for (const h of ['Authorization', 'Host', 'X-Sdk-Date']) delete unsigned[h];
const signSpec = {
  credentials: { ak: AK, sk: SK },
  algorithm: 'SDK-HMAC-SHA256',
  at: AT,
  request: { method: built.method, url: built.url, headers: unsigned, body: built.body },
};
const fixed = officialRequest();

// The floor of any signer in Node that hashes with node:crypto: the three hash calls of one
// signature (the body's SHA-256, the canonical request's SHA-256, the HMAC of the string to
// sign) over this request's texts, and nothing else.
const signedNames = Object.keys(built.headers).filter((h) => h !== 'Authorization').map((h) => h.toLowerCase()).sort();
const lowerHeaders = Object.fromEntries(Object.entries(built.headers).map(([k, v]) => [k.toLowerCase(), v]));
const hashBody = built.body;
const canonical = [
  built.method, `${new URL(built.url).pathname}/`, '',
  ...signedNames.map((h) => `${h}:${lowerHeaders[h]}`), '',
  signedNames.join(';'), '0'.repeat(64),
].join('\n');
const stringToSign = `SDK-HMAC-SHA256\n${AT}\n${'0'.repeat(64)}`;
const cryptoFloor = perCall(() => {
  createHash('sha256').update(hashBody).digest('hex');
  createHash('sha256').update(canonical).digest('hex');
  return createHmac('sha256', SK).update(stringToSign).digest('hex');
});

// --- build + sign --------------------------------------------------------------------------
// Timed side by side with the two signers (signSpec above): the target compares buildRequest
// with the official signer.
const { ourSign, officialSign, ourBuild, officialBuild } = sideBySide({
  ourSign: [() => csms.signRequest(signSpec), 20000],
  officialSign: [() => AKSKSigner.sign({ ...fixed, headers: { ...fixed.headers } }, credential), 5000],
  ourBuild: [() => client.buildRequest('UpdateSecret', input), 20000],
  officialBuild: [() => {
    const r = officialRequest();
    r.data = JSON.parse(JSON.stringify(r.data));
    return AKSKSigner.sign(r, credential);
  }, 5000],
});

// --- per call ------------------------------------------------------------------------------
const ourClient = new csms.CsmsClient({
  endpoint: ENDPOINT,
  projectId: PROJECT,
  credentials: { ak: AK, sk: SK },
  transport: async () => ({ status: 200, headers: RESPONSE_HEADERS, body: RESPONSE }),
});
const { ourCall, officialCall } = await sideBySideAsync({ ourCall: () => ourClient.updateSecret(input), officialCall: officialCaller() });

// --- parse ---------------------------------------------------------------------------------
const VERSION_BODY = JSON.stringify({
  version: {
    version_metadata: {
      id: 'v3', create_time: 1581507580000, kms_key_id: 'b168fe00ff56492495a7d22974df2d0b',
      secret_name: input.secret_name, version_stages: ['SYSCURRENT'], expire_time: null,
    },
    secret_string: 'a value of some thirty characters',
  },
});
const versionResponse = { status: 200, headers: RESPONSE_HEADERS, body: VERSION_BODY };
const { ourParse, jsonParse } = sideBySide({
  ourParse: [() => client.parseResponse('ShowSecretVersion', versionResponse), 50000],
  jsonParse: [() => JSON.parse(VERSION_BODY), 50000],
});

// --- import time ---------------------------------------------------------------------------
function importMs(code, runs = 7) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: join(HERE, 'test'), encoding: 'utf8' });
    times.push(Number(out.trim()));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
const timed = (body) => `const t = performance.now(); ${body}; console.log(performance.now() - t);`;
const ourEsmImport = importMs(timed(`await import(${JSON.stringify(join(PKG, 'esm', 'index.js'))})`));
const ourFirstCall = importMs(
  timed(
    `const m = await import(${JSON.stringify(join(PKG, 'esm', 'index.js'))}); ` +
      `new m.CsmsClient({ endpoint: ${JSON.stringify(ENDPOINT)}, projectId: '${PROJECT}', credentials: { ak: '${AK}', sk: '${SK}' } })` +
      `.buildRequest('UpdateSecret', ${JSON.stringify(input)}, '${AT}')`,
  ),
);
const ourCjsImport = importMs(
  `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); ` +
    timed(`require(${JSON.stringify(PKG)})`),
);
const officialImport = importMs(
  `import { createRequire } from 'node:module'; const require = createRequire(${JSON.stringify(join(HERE, 'test', 'package.json'))}); ` +
    timed(`require('@huaweicloud/huaweicloud-sdk-core')`),
);

// --- size ----------------------------------------------------------------------------------
function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}
const published = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')).files;
const pkgFiles = files(PKG).filter((f) => {
  const rel = relative(PKG, f);
  return rel === 'package.json' || published.some((p) => (p.endsWith('/') ? rel.startsWith(p) : rel === p));
});
const sum = (list, fn) => list.reduce((n, f) => n + fn(readFileSync(f)), 0);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const wasm = readFileSync(join(PKG, 'esm', 'csms_bg.wasm'));
const esmFiles = pkgFiles.filter((f) => f.includes(`${join(PKG, 'esm')}/`) && f.endsWith('.js'));

const rows = [
  ['', `csms-sdk ${ourVersion} (wasm)`, `huaweicloud-sdk-core ${officialVersion}`, 'speed-up (official ÷ csms-sdk)'],
  ['sign UpdateSecret (µs)', ourSign.toFixed(2), officialSign.toFixed(2), `${(officialSign / ourSign).toFixed(2)}×`],
  ['node:crypto alone: the 3 hash calls of a signature (µs)', '', cryptoFloor.toFixed(2), `10× would be ${(officialSign / 10).toFixed(2)}`],
  ['build + sign UpdateSecret (µs)', ourBuild.toFixed(2), officialBuild.toFixed(2), `${(officialBuild / ourBuild).toFixed(2)}×`],
  ['UpdateSecret per call, canned answer (µs)', ourCall.toFixed(2), officialCall.toFixed(2), `${(officialCall / ourCall).toFixed(2)}×`],
  ['parseResponse ShowSecretVersion (µs)', ourParse.toFixed(2), `JSON.parse of the body: ${jsonParse.toFixed(2)}`, `+${(ourParse - jsonParse).toFixed(2)} µs`],
  ['read a secret: SecretCache hit, `get` (µs)', cacheHit.toFixed(2), '', ''],
  ['read a secret: SecretCache hit, `getSecretString` (µs)', cacheString.toFixed(2), '', ''],
  ['read a secret: a ShowSecretVersion per read, emulator on loopback (µs)', plainRead.toFixed(0), '', `${(plainRead / cacheHit).toFixed(0)}× the hit`],
  ['import, ESM (ms)', ourEsmImport.toFixed(1), '', ''],
  ['import + first buildRequest, ESM (ms)', ourFirstCall.toFixed(1), '', ''],
  ['import, CommonJS require (ms)', ourCjsImport.toFixed(1), officialImport.toFixed(1), ''],
  ['.wasm raw / gzipped', `${kb(wasm.length)} / ${kb(gzipSync(wasm, { level: 9 }).length)}`, '', ''],
  ['the JavaScript (esm/*.js) raw / gzipped', `${kb(sum(esmFiles, (b) => b.length))} / ${kb(sum(esmFiles, (b) => gzipSync(b, { level: 9 }).length))}`, '', ''],
  ['package files raw / gzipped', `${kb(sum(pkgFiles, (b) => b.length))} / ${kb(sum(pkgFiles, (b) => gzipSync(b, { level: 9 }).length))}`, '', ''],
];
const wasmGz = gzipSync(wasm, { level: 9 }).length;
const line = (cells) => `| ${cells.join(' | ')} |`;
console.log(line(rows[0]));
console.log(line(rows[0].map(() => '---')));
for (const row of rows.slice(1)) console.log(line(row));
console.log(`\nnode ${process.version}, ${process.platform}/${process.arch}; µs: best of 5 rounds; import: median of 7 fresh processes.`);

const verdict = (ok) => (ok ? 'met' : 'NOT MET');
const buildX = officialSign / ourBuild; // the issue: buildRequest against the official signer alone
const callX = officialCall / ourCall;
const parseExtra = ourParse - jsonParse;
console.log(
  `targets: build+sign ${buildX.toFixed(2)}× the official sign (≥ 2×: ${verdict(buildX >= 2)}), ` +
    `per-call ${callX.toFixed(2)}× (≥ 1.5×: ${verdict(callX >= 1.5)}), ` +
    `parse +${parseExtra.toFixed(2)} µs (≤ 2: ${verdict(parseExtra <= 2)}), ` +
    `wasm ${(wasmGz / 1024).toFixed(1)} KB (≤ 100: ${verdict(wasmGz <= 100 * 1024)}), ` +
    `import ${ourEsmImport.toFixed(1)} ms (≤ 15: ${verdict(ourEsmImport <= 15)})`,
);
