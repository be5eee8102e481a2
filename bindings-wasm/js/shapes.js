// The result of a successful response without a trip through the module, when that changes
// nothing: the body read by the runtime's own JSON.parse is returned as it is when the
// core's decoder (core/src/operations/decode.rs) would give it back unchanged. That is when
// every member is a field of the operation's output model, of the field's type (or `null`,
// which is left out, as the core leaves it out), with no coercion to make. Anything else (an unknown member, a string in an integer
// field, a body the module's JSON reader refuses, an old shape to unwrap) is left to the
// module, which decides: this file only recognises the common case and never decodes.
//
// The output models come from spec/csms.json, the source of the core's table too (written in
// by js/build-pkg.mjs): `{ops: {Name: [fields, unwrap]}, models: {Name: fields}}`, fields as
// `{name: type}` with the spec's type names (`string`, `list<TagItem>`, `Secret`, ...).

const SHAPES = '__OUTPUT_SHAPES__';

let shapes; // the parsed SHAPES, on first use
const checkers = new Map(); // operation name -> its check, or null when it has no fast path

// serde_json refuses deeper nesting than this (its recursion limit); JSON.parse does not.
const MAX_DEPTH = 120;

/** A check of a value of the spec type `text` (true when the decoder keeps it as it is). */
function typeCheck(text, models, made) {
  if (text.startsWith('list<') && text.endsWith('>')) {
    const item = text.slice(5, -1);
    if (item === 'object') return (v, depth) => Array.isArray(v) && v.every((x) => anyValue(x, depth + 1));
    const check = typeCheck(item, models, made);
    return (v, depth) => Array.isArray(v) && v.every((x) => x !== null && check(x, depth + 1));
  }
  switch (text) {
    case 'string':
    case 'date':
      return (v) => typeof v === 'string';
    case 'boolean':
      return (v) => typeof v === 'boolean';
    // A whole number a double holds exactly (-0 is written back as 0).
    case 'integer':
      return (v) => Number.isSafeInteger(v) && !Object.is(v, -0);
    case 'number':
      return (v) => typeof v === 'number' && Number.isFinite(v);
    case 'object':
      return (v, depth) => anyValue(v, depth);
    default:
      return modelCheck(text, models, made);
  }
}

/** A check of an object of the model `name` (made once per model, recursive models too). */
function modelCheck(name, models, made) {
  if (made.has(name)) return made.get(name);
  const fields = new Map();
  const check = (v, depth) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || depth > MAX_DEPTH) return false;
    let nulls;
    for (const key in v) {
      const field = fields.get(key);
      if (field === undefined) return false;
      const value = v[key];
      if (value === null) (nulls = nulls || []).push(key);
      else if (!field(value, depth + 1)) return false;
    }
    // A field that is null is left out, as the core leaves it out (the value is this
    // call's own: JSON.parse made it, and it is dropped when the check fails).
    if (nulls) for (const key of nulls) delete v[key];
    return true;
  };
  made.set(name, check);
  const spec = models[name];
  if (!spec) throw new Error(`shapes.js: no model ${name}`);
  for (const [field, type] of Object.entries(spec)) fields.set(field, typeCheck(type, models, made));
  return check;
}

/** A value of an `object` field, any JSON the module reads as the runtime does. */
function anyValue(v, depth) {
  if (depth > MAX_DEPTH) return false;
  if (typeof v === 'number') return Number.isFinite(v);
  if (v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) return v.every((x) => anyValue(x, depth + 1));
  for (const key in v) if (!anyValue(v[key], depth + 1)) return false;
  return true;
}

function checkerOf(operation) {
  let check = checkers.get(operation);
  if (check !== undefined) return check;
  shapes = shapes || JSON.parse(SHAPES);
  const op = shapes.ops[operation];
  check = null;
  if (op) {
    const [fields, unwrap] = op;
    const models = { ...shapes.models, [` ${operation}`]: fields };
    const model = modelCheck(` ${operation}`, models, new Map());
    // An old shape to unwrap (`{"rotate": {...}}`) is the module's to take apart.
    check = unwrap ? (v) => model(v, 0) && !Object.prototype.hasOwnProperty.call(v, unwrap) : (v) => model(v, 0);
  }
  checkers.set(operation, check);
  return check;
}

/**
 * The result of `operation` from a 2xx response's `body` (text) when the core would return
 * the body as it is, else undefined (the module is to parse it).
 */
export function plainResult(operation, body) {
  const check = checkerOf(operation);
  // The module's JSON reader refuses an escaped lone surrogate (which JSON.parse takes), and
  // a lone surrogate in the text reaches it as U+FFFD: such bodies are the module's.
  if (!check || body.length === 0 || (body.includes('\\u') && /\\u[dD][89a-fA-F]/.test(body)) || !wellFormed(body)) return undefined;
  let value;
  try {
    value = JSON.parse(body);
  } catch (_) {
    return undefined;
  }
  return check(value) ? value : undefined;
}

const wellFormed = typeof String.prototype.isWellFormed === 'function' ? (s) => s.isWellFormed() : (s) => !/[\ud800-\udfff]/.test(s);
