// Renames the functions of a module (its name section) so that wasm-opt's
// --reorder-functions-by-name puts them in groups: by crate, then by module within the crate,
// each group where its first function was and each function in its order within the group.
// Code of one crate or module looks alike (the P-256 and SM2 copies of the same curve
// arithmetic, serde_json's reader), so gzip finds more of it within its 32 KiB window: the
// module comes out ~800 bytes smaller gzipped than in the linker's order. Nothing but the
// order changes; build.sh strips the names afterwards.
//
//   node group-functions.mjs in.wasm out.wasm
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
const bytes = readFileSync(input);

function uleb(buf, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, at];
  }
}

function encodeUleb(value) {
  const out = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return Buffer.from(out);
}

// The sections, and the function names of the name section.
const sections = [];
let names = null;
let nameSection = -1;
for (let at = 8; at < bytes.length; ) {
  const id = bytes[at];
  const [size, start] = uleb(bytes, at + 1);
  const body = bytes.subarray(start, start + size);
  if (id === 0) {
    const [len, from] = uleb(body, 0);
    if (body.subarray(from, from + len).toString() === 'name') {
      nameSection = sections.length;
      for (let sub = from + len; sub < body.length; ) {
        const kind = body[sub];
        const [subSize, subStart] = uleb(body, sub + 1);
        if (kind === 1) {
          names = [];
          let [count, p] = uleb(body, subStart);
          for (; count > 0; count--) {
            let index;
            let nameLen;
            [index, p] = uleb(body, p);
            [nameLen, p] = uleb(body, p);
            names.push([index, body.subarray(p, p + nameLen).toString()]);
            p += nameLen;
          }
        }
        sub = subStart + subSize;
      }
    }
  }
  sections.push([id, body]);
  at = start + size;
}
if (!names) {
  console.error('group-functions: no function names; the order is left as it is');
  writeFileSync(output, bytes);
  process.exit(0);
}

// `<csms_core::signer::Signer as core[1a2b]::fmt::Debug>::fmt::h0123` -> crate `csms_core`,
// module `csms_core::signer`.
const path = (name) => name.replace(/^[<&]+/, '').replace(/\[[0-9a-f]+\]/g, '').split('::');
const firstOf = new Map();
const keyed = names.map(([index, name]) => {
  const parts = path(name);
  const crate = parts[0];
  const module = parts.slice(0, 2).join('::');
  if (!firstOf.has(crate)) firstOf.set(crate, index);
  if (!firstOf.has('\0' + module)) firstOf.set('\0' + module, index);
  return [firstOf.get(crate), firstOf.get('\0' + module), index];
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
