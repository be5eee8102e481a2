// Dev script: searches the CRATES order of group-functions.mjs again for the current module
// (first-improvement greedy: move one of the largest crate groups to another place, keep the
// move if the final module is smaller gzipped at level 9, until no move helps or time is up).
// Each candidate runs group-functions.mjs (order in CSMS_CRATES) and build.sh's second
// wasm-opt command. Run build.sh first (it keeps the named module); prints the list to
// paste into CRATES (wasm-module.mjs).
//
//   node bindings-wasm/js/search-crate-order.mjs [--minutes 10] [--groups 25] [--jobs 2]
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CRATES, pathOf, readModule, uleb } from './wasm-module.mjs';

const run = promisify(execFile);
const HERE = dirname(dirname(fileURLToPath(import.meta.url)));
const NAMED = join(HERE, '../target/wasm/bindgen/csms_wasm_named.wasm');
const WASM_OPT = join(HERE, '.tools/node_modules/.bin/wasm-opt');
const GROUP = join(HERE, 'js/group-functions.mjs');
const opt = (name, dflt) => {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const deadline = Date.now() + opt('minutes', 10) * 60_000;
const GROUPS = opt('groups', 25);
const JOBS = opt('jobs', 2);
const FLAGS = ['--reorder-functions-by-name', '-Oz', '--low-memory-unused', '--strip-debug', '--strip-producers',
  '--strip-target-features', '--enable-bulk-memory', '--enable-sign-ext', '--enable-mutable-globals',
  '--enable-nontrapping-float-to-int', '--enable-reference-types', '--enable-multivalue'];

// The module's crates (as group-functions.mjs names them) with their code sizes.
const { sections, names } = readModule(readFileSync(NAMED));
let imported = 0;
const bodySize = [];
for (const [id, body] of sections) {
  if (id === 2) { // imports: count the functions
    let [count, p] = uleb(body, 0);
    for (; count > 0; count--) {
      for (let s = 0; s < 2; s++) { const [len, q] = uleb(body, p); p = q + len; }
      const kind = body[p++];
      if (kind === 0) { imported++; [, p] = uleb(body, p); }
      else if (kind === 1) { p++; const flags = body[p++]; [, p] = uleb(body, p); if (flags & 1) [, p] = uleb(body, p); }
      else if (kind === 2) { const flags = body[p++]; [, p] = uleb(body, p); if (flags & 1) [, p] = uleb(body, p); }
      else if (kind === 3) p += 2;
      else throw new Error('import kind ' + kind);
    }
  } else if (id === 10) {
    let [count, p] = uleb(body, 0);
    for (; count > 0; count--) { const [len, q] = uleb(body, p); bodySize.push(len); p = q + len; }
  }
}
const size = new Map();
for (const [index, name] of names) {
  const c = pathOf(name)[0];
  size.set(c, (size.get(c) ?? 0) + (bodySize[index - imported] ?? 0));
}

// The start: CRATES as group-functions.mjs uses it, then the other crates in the module's order.
let order = CRATES.filter((c) => size.has(c));
for (const c of size.keys()) if (!order.includes(c)) order.push(c);
const big = [...size.keys()].sort((a, b) => size.get(b) - size.get(a)).slice(0, GROUPS);

const dir = mkdtempSync(join(tmpdir(), 'crate-order-'));
let slot = 0;
async function measure(candidate) {
  const n = slot++;
  const grouped = join(dir, `g${n}.wasm`), out = join(dir, `o${n}.wasm`);
  await run('node', [GROUP, NAMED, grouped], { env: { ...process.env, CSMS_CRATES: JSON.stringify(candidate) } });
  await run(WASM_OPT, [...FLAGS, grouped, '-o', out]);
  const b = readFileSync(out);
  rmSync(grouped); rmSync(out);
  return gzipSync(b, { level: 9 }).length;
}
const moved = (o, crate, to) => {
  const rest = o.filter((c) => c !== crate);
  rest.splice(to, 0, crate);
  return rest;
};

let best = await measure(order);
console.error(`start: ${best} bytes (level 9); ${big.length} groups, ${order.length} crates`);
let improved = true;
search: while (improved) {
  improved = false;
  for (const crate of big) {
    const from = order.indexOf(crate);
    // Places before each of the large groups, and the end, nearest first.
    const places = [...new Set([...big.map((c) => moved(order, crate, 0).indexOf(c)), order.length - 1])]
      .filter((p) => p !== from && p >= 0).sort((a, b) => Math.abs(a - from) - Math.abs(b - from));
    for (let i = 0; i < places.length; i += JOBS) {
      if (Date.now() > deadline) break search;
      const tries = places.slice(i, i + JOBS).map((p) => moved(order, crate, p));
      const sizes = await Promise.all(tries.map(measure));
      const k = sizes.indexOf(Math.min(...sizes));
      if (sizes[k] < best) {
        best = sizes[k];
        order = tries[k];
        improved = true;
        console.error(`${crate} -> ${order.indexOf(crate)}: ${best}`);
        break;
      }
    }
  }
}
rmSync(dir, { recursive: true });
console.error(`best: ${best} bytes (level 9)${Date.now() > deadline ? ' (time is up)' : ''}`);
// The list to paste into CRATES.
console.log(JSON.stringify(order));
