// Assembles the npm package in bindings-wasm/pkg/ from the wasm-bindgen output (--target web)
// and the hand-written entry points in js/:
//
//   node js/build-pkg.mjs <bindgen-out-dir> <optimised .wasm> <version>
//
// pkg/esm/*.js     ES modules: index.js (the client), errors.js, instance.js (the wasm
//                  instance, renewed after a trap), defaults.js (every option's default), transport.js (fetch, timeouts, the retry
//                  loop), credentials.js (providers), cache.js (the secret cache), rotation.js (rotate), testing.js (for the
//                  package's tests only, outside `exports`), the wasm-bindgen glue, and the .wasm as base64 (found without any
//                  loader or bundler configuration)
// pkg/cjs/*.cjs    the same as CommonJS (derived from the ES modules by `toCommonJs` below)
// pkg/csms_bg.wasm the module
// pkg/*.d.ts       types (index.d.ts, index.d.cts for require, operations.d.ts generated)

import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const [bindgenDir, wasmPath, version] = process.argv.slice(2);
if (!bindgenDir || !wasmPath || !version) {
  console.error('usage: node js/build-pkg.mjs <bindgen-out-dir> <wasm> <version>');
  process.exit(2);
}
const pkg = join(root, 'pkg');
rmSync(pkg, { recursive: true, force: true });
mkdirSync(join(pkg, 'esm'), { recursive: true });
mkdirSync(join(pkg, 'cjs'), { recursive: true });

/** Rewrites the small ES-module subset used here (static imports and exports) as CommonJS. */
function toCommonJs(source) {
  const exported = [];
  let out = source
    .replace(/^import \* as (\w+) from '\.\/([\w.-]+)\.js';$/gm, (_, ns, file) => `const ${ns} = require('./${file}.cjs');`)
    .replace(/^import \{([^}]*)\} from '\.\/([\w.-]+)\.js';$/gm, (_, names, file) => {
      const list = names
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
        .map((n) => n.replace(/^(\w+) as (\w+)$/, '$1: $2'));
      return `const { ${list.join(', ')} } = require('./${file}.cjs');`;
    })
    .replace(/^export (async function\*?|function\*?|class|const|let) (\w+)/gm, (_, kw, name) => {
      exported.push([name, name]);
      return `${kw} ${name}`;
    })
    .replace(/^export \{([^}]*)\};?$/gm, (_, names) => {
      for (const n of names.split(',').map((s) => s.trim()).filter(Boolean)) {
        const m = n.match(/^(\w+)(?: as (\w+))?$/);
        exported.push([m[2] || m[1], m[1]]);
      }
      return '';
    })
    .replace(/^export default (\w+);?$/gm, (_, name) => {
      exported.push(['default', name]);
      return '';
    })
    .replace(/import\.meta\.url/g, "require('url').pathToFileURL(__filename)");
  if (/^\s*(import|export)\s/m.test(out)) {
    const line = out.split('\n').find((l) => /^\s*(import|export)\s/.test(l));
    throw new Error(`toCommonJs: cannot convert: ${line}`);
  }
  // `__esModule` marks the exports as those of an ES module, as TypeScript and Babel emit
  // them: their CommonJS output of `import CsmsClient from 'csms-sdk'` reads
  // `exports.default` only from a module so marked (else it takes the whole exports object).
  out = `'use strict';\nObject.defineProperty(exports, '__esModule', { value: true });\n${out}\n`;
  out += exported.map(([as, name]) => `exports.${as} = ${name};`).join('\n') + '\n';
  return out;
}

function emit(name, esmSource) {
  writeFileSync(join(pkg, 'esm', `${name}.js`), esmSource);
  writeFileSync(join(pkg, 'cjs', `${name}.cjs`), toCommonJs(esmSource));
}

// The wasm-bindgen glue: only initSync is used, never the fetch-based default init.
// Its async default init would look for the .wasm with `new URL('…_bg.wasm', import.meta.url)`,
// which bundlers try to resolve as an asset: that path is cut out, the module is embedded.
const glue = readFileSync(join(bindgenDir, 'csms_wasm.js'), 'utf8').replace(
  /new URL\('[\w.-]+\.wasm', import\.meta\.url\)/g,
  "(() => { throw new Error('csms-sdk embeds its WebAssembly module: it is initialised on first use'); })()",
);
if (glue.includes('import.meta')) throw new Error('the wasm-bindgen glue still refers to import.meta');
// After a trap the instance is replaced (js/instance.js): `__resetInstance` lets initSync
// instantiate again, and wasm-bindgen's finalizers are turned off, since they would free an
// old instance's pointers in the new one (instance.js frees objects of the live instance).
const guard = "(typeof FinalizationRegistry === 'undefined')";
const registries = glue.split('new FinalizationRegistry(').length - 1;
if (registries === 0 || glue.split(guard).length - 1 !== registries) {
  throw new Error('the wasm-bindgen glue: every FinalizationRegistry should be behind the expected guard');
}
const noFinalizers = glue.replaceAll(guard, '(true /* csms: objects are freed by js/instance.js */)');
emit('csms_wasm', `${noFinalizers}
/** Lets initSync instantiate the module again (after a trap; see js/instance.js). */
export function __resetInstance() {
  wasm = undefined;
}
`);
for (const module of ['errors', 'instance', 'transport', 'credentials', 'cache', 'rotation', 'testing']) emit(module, readFileSync(join(here, `${module}.js`), 'utf8'));

// The output models of spec/csms.json (the source of the core's table) for shapes.js.
const spec = JSON.parse(readFileSync(join(dirname(root), 'spec', 'csms.json'), 'utf8'));
const fieldTypes = (fields) => Object.fromEntries(fields.map((f) => [f.name, f.type]));
const shapes = {
  ops: Object.fromEntries(spec.operations.map((op) => [op.name, op.unwrap ? [fieldTypes(op.output), op.unwrap] : [fieldTypes(op.output)]])),
  models: Object.fromEntries(Object.entries(spec.models).map(([name, model]) => [name, fieldTypes(model.fields)])),
};
emit('shapes', readFileSync(join(here, 'shapes.js'), 'utf8').replace("'__OUTPUT_SHAPES__'", JSON.stringify(JSON.stringify(shapes))));

// The module, embedded as base64 so that no loader or bundler configuration is needed.
const bytes = readFileSync(wasmPath);
copyFileSync(wasmPath, join(pkg, 'csms_bg.wasm'));
const b64 = bytes.toString('base64');
writeFileSync(
  join(pkg, 'esm', 'csms_wasm_bytes.js'),
  `// The csms-core WebAssembly module (${bytes.length} bytes), base64.
const BASE64 = '${b64}';

export function wasmBytes() {
  if (typeof Buffer === 'function' && typeof Buffer.from === 'function') {
    const b = Buffer.from(BASE64, 'base64');
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(BASE64);
  const text = atob(BASE64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
`,
);

// CommonJS gets the same embedded copy: a file read with fs next to __dirname would be
// lost by bundlers.
writeFileSync(join(pkg, 'cjs', 'csms_wasm_bytes.cjs'), toCommonJs(readFileSync(join(pkg, 'esm', 'csms_wasm_bytes.js'), 'utf8')));


// Types. The .d.cts is the same text: its `export default` is `exports.default` of the
// CommonJS build, which is marked `__esModule` (see toCommonJs), so that TypeScript's
// CommonJS output of a default import finds it.
const dts = readFileSync(join(here, 'index.d.ts'), 'utf8');
writeFileSync(join(pkg, 'index.d.ts'), dts);
writeFileSync(join(pkg, 'index.d.cts'), dts);
copyFileSync(join(here, 'operations.d.ts'), join(pkg, 'operations.d.ts'));

writeFileSync(
  join(pkg, 'package.json'),
  JSON.stringify(
    {
      name: 'csms-sdk',
      version,
      description:
        'Huawei Cloud CSMS (secret management) client: request signing, validation and parsing in WebAssembly, for Node, browsers and bundlers.',
      license: 'Apache-2.0',
      type: 'module',
      main: './cjs/index.cjs',
      module: './esm/index.js',
      types: './index.d.ts',
      exports: {
        '.': {
          import: { types: './index.d.ts', default: './esm/index.js' },
          require: { types: './index.d.cts', default: './cjs/index.cjs' },
        },
        './csms_bg.wasm': './csms_bg.wasm',
        './package.json': './package.json',
      },
      files: ['esm/', 'cjs/', 'index.d.ts', 'index.d.cts', 'operations.d.ts', 'csms_bg.wasm', 'README.md', 'docs/'],
      sideEffects: false,
      engines: { node: '>=18' },
      keywords: ['huaweicloud', 'csms', 'dew', 'secrets', 'wasm'],
    },
    null,
    2,
  ) + '\n',
);
// (After package.json: it makes the glue an ES module for Node.)
// What index.js and defaults.js would otherwise ask the module for on import: the operation
// names and the core's defaults, from the module itself.
const glueModule = await import(join(pkg, 'esm', 'csms_wasm.js'));
glueModule.initSync({ module: new WebAssembly.Module(bytes) });
const operationNames = glueModule.operationNames();
const coreDefaults = glueModule.coreDefaults();
if (!/^[A-Za-z,]+$/.test(operationNames)) throw new Error('unexpected operation names');
JSON.parse(coreDefaults);
const indexSource = readFileSync(join(here, 'index.js'), 'utf8')
  .replace("'__VERSION__'", JSON.stringify(version).replace(/"/g, "'"))
  .replace("'__OPERATION_NAMES__'", `'${operationNames}'`);
const defaultsSource = readFileSync(join(here, 'defaults.js'), 'utf8').replace("'__CORE_DEFAULTS__'", JSON.stringify(coreDefaults));
for (const text of [indexSource, defaultsSource]) if (/'__[A-Z_]+__'/.test(text)) throw new Error('a placeholder was not filled in');
emit('index', indexSource);
emit('defaults', defaultsSource);
try {
  copyFileSync(join(root, 'README.md'), join(pkg, 'README.md'));
  // The pages the README links to.
  mkdirSync(join(pkg, 'docs'));
  for (const page of readdirSync(join(root, 'docs'))) if (page.endsWith('.md')) copyFileSync(join(root, 'docs', page), join(pkg, 'docs', page));
} catch (_) {
  // README not written yet
}
console.log(`pkg: ${pkg} (wasm ${bytes.length} bytes)`);
