// Two builds of the package side by side in one process, for an A/B of a change on a shared
// machine: buildRequest('UpdateSecret') and a whole updateSecret call with a canned answer
// (as in bench.mjs), beside the official signer and the official client's call, in rounds
// interleaved, each the best of the rounds, timed in CPU time of the process
// (process.cpuUsage: user + system, every thread) rather than by the wall clock, which
// other builds on the machine make unusable. Run it with the builds in both orders (the
// second one loaded tends to measure a little faster).
//
//   node bindings-wasm/bench-ab.mjs <package dir A> <package dir B>   # e.g. a copy of pkg/ before a change, and pkg/
//
// Needs the official core (cd bindings-wasm/test && npm install).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AK, AKSKSigner, ENDPOINT, PROJECT, RESPONSE, RESPONSE_HEADERS, SK, credential, input, officialCaller, officialRequest } from './bench-common.mjs';

const [A, B] = process.argv.slice(2).map((dir) => resolve(dir));
if (!A || !B) throw new Error('usage: node bindings-wasm/bench-ab.mjs <package dir A> <package dir B>');

async function ours(dir) {
  const csms = await import(join(dir, 'esm', 'index.js'));
  const client = new csms.CsmsClient({ endpoint: ENDPOINT, projectId: PROJECT, credentials: { ak: AK, sk: SK } });
  const caller = new csms.CsmsClient({
    endpoint: ENDPOINT,
    projectId: PROJECT,
    credentials: { ak: AK, sk: SK },
    transport: async () => ({ status: 200, headers: RESPONSE_HEADERS, body: RESPONSE }),
  });
  return {
    // At the current time, as bench.mjs times it.
    build: () => client.buildRequest('UpdateSecret', input),
    call: () => caller.updateSecret(input),
    gzipped: gzipSync(readFileSync(wasmOf(dir)), { level: 9 }).length,
  };
}
/** The module of a package build: esm/csms_bg.wasm, or csms_bg.wasm in builds before the one tree. */
function wasmOf(dir) {
  const inTree = join(dir, 'esm', 'csms_bg.wasm');
  return existsSync(inTree) ? inTree : join(dir, 'csms_bg.wasm');
}
const a = await ours(A);
const b = await ours(B);
const fixed = officialRequest();
const officialSign = () => AKSKSigner.sign({ ...fixed, headers: { ...fixed.headers } }, credential);
const officialCall = officialCaller();

const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const builds = { A: a.build, B: b.build, official: officialSign };
const calls = { A: a.call, B: b.call, official: officialCall };
const best = { build: {}, call: {} };
for (const fn of Object.values(builds)) for (let i = 0; i < 3000; i++) fn();
for (const fn of Object.values(calls)) for (let i = 0; i < 1000; i++) await fn();
for (let round = 0; round < 30; round++) {
  for (const [name, fn] of Object.entries(builds)) {
    const t = cpuUs();
    for (let i = 0; i < 3000; i++) fn();
    best.build[name] = Math.min(best.build[name] ?? Infinity, (cpuUs() - t) / 3000);
  }
  for (const [name, fn] of Object.entries(calls)) {
    const t = cpuUs();
    for (let i = 0; i < 1000; i++) await fn();
    best.call[name] = Math.min(best.call[name] ?? Infinity, (cpuUs() - t) / 1000);
  }
}
const f = (x) => x.toFixed(2);
for (const [what, times] of Object.entries(best)) {
  const peer = what === 'build' ? 'official sign' : 'official call';
  console.log(
    `${what}: A ${f(times.A)} µs, B ${f(times.B)} µs (B/A ${f(times.B / times.A)}); ${peer} ${f(times.official)} µs: ` +
      `A ${f(times.official / times.A)}×, B ${f(times.official / times.B)}×`,
  );
}
console.log(`.wasm gzipped: A ${a.gzipped} bytes, B ${b.gzipped} bytes (${b.gzipped - a.gzipped >= 0 ? '+' : ''}${b.gzipped - a.gzipped})`);
