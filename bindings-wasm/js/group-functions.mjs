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
// afterwards. search-crate-order.mjs re-runs that search (prints a new CRATES list).
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

// CSMS_CRATES (a JSON array) replaces the list; search-crate-order.mjs uses it.
const CRATES = process.env.CSMS_CRATES ? JSON.parse(process.env.CSMS_CRATES) : [
  "sha2", "sm2", "primeorder", "D as digest", "block_buffer", "crypto_bigint", "p256", "hmac",
  "wasmclient_new multivalue shim", "csms_core", "__multi3", "itoa", "T as alloc", "serde_json",
  "usize as core", "str>", "u32 as core", "char as core", "der", "crypto_common", "dyn core",
  "const_oid", "T as core", "csms_wasm", "core", "u8 as core", "wasm_bindgen",
  "__externref_table_alloc", "Ref(String) -> Externref externref shim", "__externref_table_dealloc",
  "std", "i32 as core", "F as core", "__rustc", "str as core", "i64 as core", "u64>", "char>",
  "u64 as itoa", "rfc6979", "sec1", "wasmattempts_attempt", "memcmp", "generic_array",
  "[Z; N] as zeroize", "transportDefaults multivalue shim", "subtle", "zmij", "alloc",
  "elliptic_curve", "__wbg_wasmclient_free", "__wbg_wasmattempts_free", "A as core", "digest",
  "__wbindgen_free", "[u8]>", "__panicForTests", "__wbindgen_realloc",
  "wasmclient_endpoint multivalue shim", "wasmattempts_receive multivalue shim",
  "wasmattempts_fail multivalue shim", "wasmattempts_request multivalue shim",
  "operationNames multivalue shim", "wasmclient_parse multivalue shim", "__wbindgen_malloc",
  "takePanic multivalue shim", "wasmclient_build externref shim multivalue shim",
  "wasmattempts_new multivalue shim", "signRequest externref shim multivalue shim", "sm3",
  "F64 -> Externref", "Ref(String) -> Externref", "T as wasm_bindgen",
  "wasmattempts_canonicalRequest multivalue shim",
];

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
