// Assembles the npm package in bindings-wasm/pkg/ from the wasm-bindgen output (--target web)
// and the hand-written entry points in js/:
//
//   node js/build-pkg.mjs <bindgen-out-dir> <optimised .wasm> <version>
//
// pkg/esm/*.js     ES modules: index.js (the client), errors.js, instance.js (the wasm
//                  instance, renewed after a trap), defaults.js (every option's default), transport.js (fetch, timeouts, the retry
//                  loop), credentials.js (providers), cache.js (the secret cache), rotation.js (rotate), testing.js (for the
//                  package's tests only, outside `exports`), the wasm-bindgen glue, csms_wasm_module.js
//                  (which module: the one given to `init`, else the embedded copy) and csms_wasm_bytes.js,
//                  the .wasm as base64 (found without any loader or bundler configuration)
// pkg/cjs/*.cjs    the same as CommonJS (derived from the ES modules by `toCommonJs` below),
//                  except the base64, which cjs/csms_wasm_bytes.cjs requires from esm/ (require of an
//                  ES module: Node >= 20.19): one copy of it in the package
// pkg/edge/*.js    the ES modules for runtimes that forbid compiling WebAssembly from bytes
//                  (workerd: Cloudflare Workers; edge-light: Vercel Edge): the same files, whose
//                  csms_wasm_module.js imports csms_bg.wasm statically (a WebAssembly.Module)
// pkg/csms_bg.wasm the module (for the edge runtimes, and for hosts that load it themselves: `init`)
// pkg/*.d.ts       types (index.d.ts, index.d.cts for require, operations.d.ts generated)
// pkg/LICENSE      the project's licence

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

/** The ES modules shared by esm/ and edge/ (all but the base64 and the test helpers). */
const edgeModules = [];
function emit(name, esmSource) {
  writeFileSync(join(pkg, 'esm', `${name}.js`), esmSource);
  writeFileSync(join(pkg, 'cjs', `${name}.cjs`), toCommonJs(esmSource));
  if (name !== 'testing') edgeModules.push([name, esmSource]);
}

/** `source` with `from` replaced by `to`, which must occur exactly once. */
function replaceOnce(source, from, to, what) {
  if (source.split(from).length !== 2) throw new Error(`build-pkg: expected ${what} once: ${from}`);
  return source.replace(from, () => to);
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
// instance.js compiles the module it gets from csms_wasm_module.js (below), instead of the
// embedded bytes directly: the module given to `init`, or the edge runtimes' imported one.
const instanceJs = replaceOnce(
  replaceOnce(readFileSync(join(here, 'instance.js'), 'utf8'), "import { wasmBytes } from './csms_wasm_bytes.js';",
    "import { wasmModule } from './csms_wasm_module.js';", 'the import of the embedded bytes in instance.js'),
  'new WebAssembly.Module(wasmBytes())', 'wasmModule()', 'the compilation of the embedded bytes in instance.js');
for (const module of ['errors', 'transport', 'credentials', 'cache', 'rotation', 'testing']) emit(module, readFileSync(join(here, `${module}.js`), 'utf8'));
emit('instance', instanceJs);

/** csms_wasm_module.js: `init` and the module instance.js compiles (`fallback` when not given). */
const wasmModuleSource = (header, fallback) => `${header}
let given; // the module given to init()
let used = false; // whether the instance asked for the module already

/**
 * Gives the package its WebAssembly module (csms_bg.wasm), for hosts that load modules
 * themselves: a WebAssembly.Module, or the bytes of csms_bg.wasm. Before any other use only.
 */
export function init(module) {
  if (used) throw new Error('csms-sdk: init() must come before the first use of the package');
  if (module instanceof WebAssembly.Module) given = module;
  else if (module instanceof ArrayBuffer || ArrayBuffer.isView(module)) given = new WebAssembly.Module(module);
  else throw new TypeError('csms-sdk: init() takes a WebAssembly.Module or the bytes of csms_bg.wasm');
}

/** The module to instantiate: the one given to init(), else ${fallback}. */
export function wasmModule() {
  used = true;
  return given || ${fallback === 'the embedded copy' ? 'new WebAssembly.Module(wasmBytes())' : 'imported'};
}
`;
emit('csms_wasm_module', wasmModuleSource("import { wasmBytes } from './csms_wasm_bytes.js';", 'the embedded copy'));

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

// CommonJS requires the same embedded copy from esm/ (a file read with fs next to __dirname
// would be lost by bundlers; a second copy would double the package).
writeFileSync(
  join(pkg, 'cjs', 'csms_wasm_bytes.cjs'),
  "'use strict';\n// The embedded module, shared with the ES modules (require of an ES module: Node >= 20.19).\nmodule.exports = require('../esm/csms_wasm_bytes.js');\n",
);


// Types. The .d.cts is the same text: its `export default` is `exports.default` of the
// CommonJS build, which is marked `__esModule` (see toCommonJs), so that TypeScript's
// CommonJS output of a default import finds it.
const dts =
  readFileSync(join(here, 'index.d.ts'), 'utf8') +
  `
/**
 * Gives the package its WebAssembly module (\`csms-sdk/csms_bg.wasm\`), for hosts that load
 * modules themselves: a compiled \`WebAssembly.Module\`, or the file's bytes. Call it before any
 * other use of the package; without it the package uses its embedded copy (on workerd and
 * edge-light, the statically imported csms_bg.wasm).
 *
 * Typed \`object\` (a \`WebAssembly.Module\`, an \`ArrayBuffer\` or a view of one) so that these
 * types need neither the DOM nor Node's declarations; anything else throws a \`TypeError\`.
 */
export declare function init(module: object): void;
`;
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
      ...(process.env.CSMS_REPOSITORY
        ? { repository: { type: 'git', url: `git+${process.env.CSMS_REPOSITORY}` }, homepage: process.env.CSMS_REPOSITORY }
        : {}),
      // The edge runtimes first (they also match `browser`/`import`); Deno, browsers and
      // bundlers take the ES modules with the embedded module; Node `import` or `require`.
      exports: {
        '.': {
          workerd: { types: './index.d.ts', default: './edge/index.js' },
          'edge-light': { types: './index.d.ts', default: './edge/index.js' },
          deno: { types: './index.d.ts', default: './esm/index.js' },
          browser: { types: './index.d.ts', default: './esm/index.js' },
          import: { types: './index.d.ts', default: './esm/index.js' },
          require: { types: './index.d.cts', default: './cjs/index.cjs' },
        },
        './csms_bg.wasm': './csms_bg.wasm',
        './package.json': './package.json',
      },
      files: ['esm/', 'cjs/', 'edge/', 'index.d.ts', 'index.d.cts', 'operations.d.ts', 'csms_bg.wasm', 'README.md', 'docs/', 'LICENSE'],
      sideEffects: false,
      // 20.19: require() of an ES module (cjs/csms_wasm_bytes.cjs), without a flag or warning.
      engines: { node: '^20.19.0 || >=22.12.0' },
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
emit('index', `${indexSource}\nimport { init } from './csms_wasm_module.js';\nexport { init };\n`);
emit('defaults', defaultsSource);
copyFileSync(join(root, '..', 'LICENSE'), join(pkg, 'LICENSE'));

// edge/: the ES modules that lead to the module (csms_wasm_module.js, instance.js and what
// imports it), the module being csms_bg.wasm imported statically (workerd and edge-light give
// a WebAssembly.Module for it, and forbid compiling one from bytes); the others are esm/'s.
const shared = ['csms_wasm', 'errors', 'transport'];
mkdirSync(join(pkg, 'edge'), { recursive: true });
for (const [name, source] of edgeModules) {
  if (shared.includes(name)) {
    if (/^import .* from '\.\/(?!errors\.js)/m.test(source)) throw new Error(`build-pkg: esm/${name}.js, shared by edge/, imports more than errors.js`);
    continue;
  }
  const edge = (
    name === 'csms_wasm_module'
      ? wasmModuleSource(
          "// workerd and edge-light import a .wasm file as a WebAssembly.Module.\nimport imported from '../csms_bg.wasm';",
          'csms_bg.wasm, imported',
        )
      : source
  ).replace(new RegExp(`from '\\./(${shared.join('|')})\\.js';$`, 'gm'), "from '../esm/$1.js';");
  if (edge.includes('csms_wasm_bytes')) throw new Error(`build-pkg: edge/${name}.js refers to the embedded bytes`);
  writeFileSync(join(pkg, 'edge', `${name}.js`), edge);
}
try {
  copyFileSync(join(root, 'README.md'), join(pkg, 'README.md'));
  // The pages the README links to.
  mkdirSync(join(pkg, 'docs'));
  for (const page of readdirSync(join(root, 'docs'))) if (page.endsWith('.md')) copyFileSync(join(root, 'docs', page), join(pkg, 'docs', page));
} catch (_) {
  // README not written yet
}
console.log(`pkg: ${pkg} (wasm ${bytes.length} bytes)`);
