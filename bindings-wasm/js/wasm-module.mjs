// Reading a WebAssembly module's sections and function names, shared by
// group-functions.mjs (a build step) and search-crate-order.mjs (a dev script).

/** The unsigned LEB128 number at `at` in `buf`, and the position after it. */
export function uleb(buf, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, at];
  }
}

/** `value` as unsigned LEB128. */
export function encodeUleb(value) {
  const out = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return Buffer.from(out);
}

/**
 * The sections of a module as `[id, body]`, the index of its name section among them (-1
 * without one), and its function names as `[index, name]` (null without them).
 */
export function readModule(bytes) {
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
  return { sections, nameSection, names };
}

// `<csms_core::signer::Signer as core[1a2b]::fmt::Debug>::fmt::h0123` -> crate `csms_core`,
// module `csms_core::signer`.
/** The path of a function's name, split at `::` (its crate first). */
export const pathOf = (name) => name.replace(/^[<&]+/, '').replace(/\[[0-9a-f]+\]/g, '').split('::');

/** The order of the crates' groups that group-functions.mjs gives (see its header). */
export const CRATES = [
  "sha2", "sm2", "primeorder", "D as digest", "block_buffer", "crypto_bigint", "p256", "hmac",
  "csms_core", "csms_wasm", "__multi3", "itoa", "T as alloc", "usize as core", "str>",
  "u32 as core", "char as core", "der", "crypto_common", "dyn core", "const_oid", "T as core",
  "serde_json", "u8 as core", "wasm_bindgen", "__externref_table_alloc",
  "Ref(String) -> Externref externref shim", "__externref_table_dealloc", "std", "i32 as core",
  "F as core", "__rustc", "str as core", "i64 as core", "u64>", "char>", "u64 as itoa", "rfc6979",
  "sec1", "wasmattempts_attempt", "memcmp", "generic_array", "[Z; N] as zeroize",
  "coreDefaults multivalue shim", "subtle", "zmij", "core", "alloc", "elliptic_curve",
  "__wbg_wasmclient_free", "__wbg_wasmattempts_free", "A as core", "digest", "__wbindgen_free",
  "[u8]>", "__panicForTests", "__wbindgen_realloc", "wasmclient_endpoint multivalue shim",
  "wasmattempts_receive multivalue shim", "wasmattempts_fail multivalue shim",
  "wasmattempts_request multivalue shim", "operationNames multivalue shim",
  "wasmclient_parse multivalue shim", "__wbindgen_malloc", "takePanic multivalue shim",
  "wasmclient_build externref shim multivalue shim", "wasmattempts_new multivalue shim",
  "signRequest externref shim multivalue shim", "sm3", "F64 -> Externref",
  "Ref(String) -> Externref", "T as wasm_bindgen", "wasmattempts_canonicalRequest multivalue shim",
  "u16 as core", "wasmprovider_new", "wasmfetch_called", "wasmfetch_read", "wasmfetch_failed",
  "wasmfetch_received", "__wbg_wasmfetch_free", "__wbg_wasmprovider_free", "wasmattempts_expire",
  "wasmprovider_projectId externref shim multivalue shim",
  "resolveEndpoint externref shim multivalue shim", "wasmattempts_requestWith multivalue shim",
  "wasmclient_new multivalue shim", "wasmprovider_acquire multivalue shim",
  "wasmprovider_finish multivalue shim", "wasmprovider_waited multivalue shim",
  "wasmfetch_next externref shim multivalue shim", "wasmprovider_fetch", "mut serde_json",
  "hashbrown", "u64 as core", "wasmcache_refresh", "__wbg_wasmcache_free",
  "__wbg_wasmrotation_free", "wasmcache_abandon", "wasmrotation_called multivalue shim",
  "wasmcache_get multivalue shim", "wasmcache_received multivalue shim",
  "wasmcache_new multivalue shim", "wasmrotation_new multivalue shim",
  "wasmcache_request multivalue shim", "wasmrotation_woke multivalue shim",
  "wasmrotation_start multivalue shim", "wasmcache_outcome multivalue shim",
  "wasmcache_value multivalue shim", "wasmcache_settled multivalue shim", "serde_core",
  "Q as hashbrown", "T as serde_json", "wasmcache_clear", "wasmrotation_received multivalue shim",
];
