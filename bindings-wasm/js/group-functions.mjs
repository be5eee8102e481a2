// Renames the functions of a module (its name section) so that wasm-opt's
// --reorder-functions-by-name puts them in groups: by crate (the first part of the name),
// then by module within the crate, each function in its order within its group. Code of one
// crate or module looks alike (the P-256 and SM2 copies of the same curve arithmetic,
// serde_json's reader), so gzip finds more of it within its 32 KiB window. The crates come
// in the order of CRATES, then the rest where their first function was: CRATES is what a
// greedy search found for the module of version 0.1.0 (move each group to the place where
// the gzipped code is smallest, until no move helps). Grouped in the linker's order the
// module is ~700 bytes smaller gzipped, in this order ~1,700 (the same code either way); if
// the module changes much, the search may find a better order. build.sh strips the names
// afterwards. search-crate-order.mjs re-runs that search; the list is CRATES in wasm-module.mjs.
//
//   node group-functions.mjs in.wasm out.wasm
import { readFileSync, writeFileSync } from 'node:fs';
import { CRATES as BUILT_IN, encodeUleb, pathOf, readModule } from './wasm-module.mjs';

const [input, output] = process.argv.slice(2);
const bytes = readFileSync(input);
const { sections, nameSection, names } = readModule(bytes);
if (!names) {
  console.error('group-functions: no function names; the order is left as it is');
  writeFileSync(output, bytes);
  process.exit(0);
}

// CSMS_CRATES (a JSON array) replaces the list; search-crate-order.mjs uses it.
const CRATES = process.env.CSMS_CRATES ? JSON.parse(process.env.CSMS_CRATES) : BUILT_IN;

const firstOf = new Map();
const keyed = names.map(([index, name]) => {
  const parts = pathOf(name);
  const crate = parts[0];
  const module = parts.slice(0, 2).join('::');
  if (!firstOf.has(crate)) firstOf.set(crate, index);
  if (!firstOf.has('\0' + module)) firstOf.set('\0' + module, index);
  const listed = CRATES.indexOf(crate);
  return [listed >= 0 ? listed : CRATES.length + firstOf.get(crate), firstOf.get('\0' + module), index];
});
keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);

// New names that sort in that order, as the whole name section.
const width = String(keyed.length).length;
const entries = [encodeUleb(keyed.length)];
for (const [rank, [, , index]] of keyed.entries()) {
  const name = Buffer.from('f' + String(rank).padStart(width, '0'));
  entries.push(encodeUleb(index), encodeUleb(name.length), name);
}
const functionNames = Buffer.concat(entries);
const label = Buffer.from('name');
sections[nameSection][1] = Buffer.concat([
  encodeUleb(label.length), label, Buffer.from([1]), encodeUleb(functionNames.length), functionNames,
]);

const out = [bytes.subarray(0, 8)];
for (const [id, body] of sections) out.push(Buffer.from([id]), encodeUleb(body.length), body);
writeFileSync(output, Buffer.concat(out));
