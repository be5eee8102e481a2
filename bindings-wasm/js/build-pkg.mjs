// Assembles the npm package in bindings-wasm/pkg/ from the wasm-bindgen output (--target web)
// and the hand-written entry points in js/:
//
//   node js/build-pkg.mjs <bindgen-out-dir> <optimised .wasm> <version>
//
// pkg/esm/*.js       the ES modules: index.js, one file bundled by esbuild from js/index.js
//                    (the client), errors.js, instance.js (the wasm instance, renewed after
//                    a trap; `init`), defaults.js (every option's default), transport.js
//                    (fetch, timeouts, the retry loop), credentials.js (providers), cache.js
//                    (the secret cache), rotation.js (rotate), shapes.js and the wasm-bindgen
//                    glue; testing.js (for the package's tests only, outside `exports`) and
//                    shared.js, what it shares with index.js; and edge.js, the entry of the edge
//                    runtimes (package.json `exports`: workerd, edge-light), which imports the
//                    module as a WebAssembly.Module and re-exports index.js
// pkg/esm/csms_bg.wasm the module, once (also `csms-sdk/csms_bg.wasm`)
// pkg/*.d.ts         types (index.d.ts, index.d.cts for require, operations.d.ts generated)
// pkg/LICENSE, README.md
// CommonJS `require` loads the same ES modules (require of an ES module: Node ^20.19, >= 22.12).
// The shipped JavaScript is minified by esbuild (whitespace and syntax, names kept); edge.js
// has only its comments stripped (js/ has them, and the .d.ts keeps every doc
// comment).

import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
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

/** Writes esm/<name>.js (comments stripped, see stripComments). */
function emit(name, esmSource) {
  writeFileSync(join(pkg, 'esm', `${name}.js`), stripComments(esmSource, name));
}

/**
 * `source` without its comments: each comment becomes nothing but the line breaks it held,
 * and lines end without the spaces it leaves, so that names and line numbers (stack traces)
 * stay those of js/. A small lexer: strings, template literals (with `${}` nested), regular
 * expression literals (told from a division by the token before) and comments; `name` is for
 * its errors. Every file written is checked with `node --check` below.
 */
function stripComments(source, name) {
  let out = '';
  let i = 0;
  let last = ''; // the last significant token's text (regex or division after it)
  const braces = []; // per open `{`: whether it opened a template's `${`
  const regexAfter = /^(?:|[(,=:[!&|?{};+\-*%<>~^]|return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await|instanceof|=>)$/;
  const fail = (what) => {
    throw new Error(`build-pkg: stripComments(${name}): ${what} at offset ${i}`);
  };
  /** Copies a template literal's text from `i` (after its backquote or `}`) to its end or `${`. */
  const template = () => {
    for (;;) {
      if (i >= source.length) fail('unterminated template');
      const c = source[i];
      if (c === '\\') {
        out += source.slice(i, i + 2);
        i += 2;
      } else if (c === '`') {
        out += c;
        i++;
        last = '`';
        return;
      } else if (c === '$' && source[i + 1] === '{') {
        out += '${';
        i += 2;
        braces.push(true);
        last = '{';
        return;
      } else {
        out += c;
        i++;
      }
    }
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated comment');
      // Comments that tell bundlers something stay (`/* webpackIgnore: true */`, ...).
      if (/^\/\*[\s#@]*(webpack|vite-ignore|__PURE__|license)/.test(source.slice(i, end))) out += source.slice(i, end + 2);
      else out += source.slice(i, end).replace(/[^\n]/g, '');
      i = end + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (source[j] !== c) {
        if (j >= source.length || source[j] === '\n') fail('unterminated string');
        j += source[j] === '\\' ? 2 : 1;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
      last = 'string';
    } else if (c === '`') {
      out += c;
      i++;
      template();
    } else if (c === '/' && regexAfter.test(last)) {
      let j = i + 1;
      let inClass = false;
      while (inClass || source[j] !== '/') {
        if (j >= source.length || source[j] === '\n') fail('unterminated regular expression');
        if (source[j] === '\\') j++;
        else if (source[j] === '[') inClass = true;
        else if (source[j] === ']') inClass = false;
        j++;
      }
      j++;
      while (/[a-z]/.test(source[j] || '')) j++;
      out += source.slice(i, j);
      i = j;
      last = 'regex';
    } else if (/[\w$]/.test(c)) {
      let j = i;
      while (j < source.length && /[\w$]/.test(source[j])) j++;
      last = source.slice(i, j);
      out += last;
      i = j;
    } else if (/\s/.test(c)) {
      out += c;
      i++;
    } else {
      if (c === '{') braces.push(false);
      if (c === '}' && braces.pop()) {
        out += c;
        i++;
        template();
        continue;
      }
      last = c === '=' && next === '>' ? '=>' : c;
      out += last;
      i += last.length;
    }
  }
  return out.replace(/[ \t]+$/gm, '');
}

// The wasm-bindgen glue: only initSync is used, never the fetch-based default init.
// Its async default init would look for the .wasm with `new URL('…_bg.wasm', import.meta.url)`,
// under wasm-bindgen's name for it: that path is cut out (js/instance.js has the URL).
const glue = readFileSync(join(bindgenDir, 'csms_wasm.js'), 'utf8').replace(
  /new URL\('[\w.-]+\.wasm', import\.meta\.url\)/g,
  "(() => { throw new Error('csms-sdk loads its WebAssembly module itself (js/instance.js)'); })()",
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
for (const module of ['errors', 'transport', 'credentials', 'cache', 'rotation', 'testing', 'instance', 'edge']) {
  emit(module, readFileSync(join(here, `${module}.js`), 'utf8'));
}

// The output models of spec/csms.json (the source of the core's table) for shapes.js.
const spec = JSON.parse(readFileSync(join(dirname(root), 'spec', 'csms.json'), 'utf8'));
const fieldTypes = (fields) => Object.fromEntries(fields.map((f) => [f.name, f.type]));
const shapes = {
  ops: Object.fromEntries(spec.operations.map((op) => [op.name, op.unwrap ? [fieldTypes(op.output), op.unwrap] : [fieldTypes(op.output)]])),
  models: Object.fromEntries(Object.entries(spec.models).map(([name, model]) => [name, fieldTypes(model.fields)])),
};
emit('shapes', readFileSync(join(here, 'shapes.js'), 'utf8').replace("'__OUTPUT_SHAPES__'", JSON.stringify(JSON.stringify(shapes))));

// The module, once: beside the code that reads, imports or fetches it (`./csms_bg.wasm`).
const bytes = readFileSync(wasmPath);
copyFileSync(wasmPath, join(pkg, 'esm', 'csms_bg.wasm'));

// Types. The .d.cts re-exports the .d.ts (two lines): `require` of the package is Node's
// require of an ES module, which gives the namespace (marked `__esModule`, since it has a
// default export), and TypeScript (>= 5.8, module nodenext) types a CommonJS file's import of
// an ES module's declarations the same way; its `export default` is `exports.default` of what
// `require` returns, so that TypeScript's CommonJS output of a default import finds it.
// (TypeScript before 5.8, or module node16, refused the earlier full copy too: it imports
// ./operations.js, an ES module's declarations.) A copy cost ~9.9 KB gzipped in the tarball.
const dts =
  readFileSync(join(here, 'index.d.ts'), 'utf8') +
  `
/**
 * Loads the package's WebAssembly module (\`csms-sdk/csms_bg.wasm\`); resolves when it is ready.
 *
 * - Node, Deno, Bun, workerd and edge-light have it without this (read from the file, or
 *   imported): every function works right after import.
 * - Browsers and bundlers: \`await init()\` before constructing a client or calling a
 *   synchronous function (\`signRequest\`, ...): it fetches csms_bg.wasm from beside the
 *   package's code (bundlers emit it as an asset). Before that, those throw a \`CsmsError\`
 *   (kind \`internal\`) naming \`await init()\`; async functions (\`fromEnv\`, credential
 *   providers) load the module themselves.
 * - Hosts that load modules themselves give \`source\`: a compiled \`WebAssembly.Module\` or
 *   the file's bytes (both ready at once, without awaiting), a \`Response\` or a Promise of
 *   one, or the URL to fetch (a \`URL\` or a string). A source given after the module is in
 *   use throws.
 *
 * \`source\` is typed \`object | string\` (a \`WebAssembly.Module\`, an \`ArrayBuffer\` or a view,
 * a \`Response\`, a \`URL\`) so that these types need neither the DOM nor Node's declarations;
 * anything else rejects with a \`TypeError\`.
 */
export declare function init(source?: object | string): Promise<void>;
`;
writeFileSync(join(pkg, 'index.d.ts'), dts);
writeFileSync(join(pkg, 'index.d.cts'), "export * from './index.js';\nexport { default } from './index.js';\n");
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
      main: './esm/index.js',
      module: './esm/index.js',
      types: './index.d.ts',
      ...(process.env.CSMS_REPOSITORY
        ? { repository: { type: 'git', url: `git+${process.env.CSMS_REPOSITORY}` }, homepage: process.env.CSMS_REPOSITORY }
        : {}),
      // One tree of ES modules for every runtime; `require` loads it too (require of an ES
      // module), with the types of index.d.cts. The edge runtimes first (they also match
      // `browser`, and workerd with nodejs_compat `node`): their entry, edge.js, imports the
      // module as a WebAssembly.Module; everywhere else index.js reads it (Node, Deno, Bun)
      // or fetches it (browsers, bundlers: init()).
      exports: {
        '.': {
          workerd: { types: './index.d.ts', default: './esm/edge.js' },
          'edge-light': { types: './index.d.ts', default: './esm/edge.js' },
          require: { types: './index.d.cts', default: './esm/index.js' },
          default: { types: './index.d.ts', default: './esm/index.js' },
        },
        './csms_bg.wasm': './esm/csms_bg.wasm',
        './package.json': './package.json',
      },
      files: ['esm/', 'index.d.ts', 'index.d.cts', 'operations.d.ts', 'README.md', 'LICENSE'],
      // edge.js gives the module to init() when it is imported: a bundler must keep that call.
      sideEffects: ['./esm/edge.js'],
      // 20.19 and 22.12: require() of an ES module, without a flag or warning.
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
emit('index', `${indexSource}\nimport { init } from './instance.js';\nexport { init };\n`);
emit('defaults', defaultsSource);
copyFileSync(join(root, '..', 'LICENSE'), join(pkg, 'LICENSE'));

// One file to import: index.js and testing.js bundled by esbuild (CSMS_ESBUILD, which build.sh
// installs), what they share in one chunk (testing.js must reach the same instance); edge.js
// stays a file of its own, importing index.js. Node imports one module instead of ten: ~9 ms
// instead of ~14 (bench.mjs, "import").
// Whitespace and syntax minified by esbuild (2.7 KB less gzipped in the tarball than not
// minified); then terser (CSMS_TERSER) shortens local names only, keeping every function's and
// class's name (`--keep-fnames --keep-classnames`: a stack trace still names the package's own
// functions), 2.4 KB less. esbuild's own --minify-identifiers renames functions too (frames
// would read `at Xe`), and its --keep-names gives the names back through a `name` set on every
// function made, closures of the hot path included, which made a call ~16% slower.
const esbuild = process.env.CSMS_ESBUILD;
if (!esbuild) throw new Error('build-pkg: CSMS_ESBUILD (the esbuild binary) is not set: run build.sh');
const terser = process.env.CSMS_TERSER;
if (!terser) throw new Error('build-pkg: CSMS_TERSER (the terser script) is not set: run build.sh');
const bundled = join(pkg, 'bundled');
execFileSync(esbuild, [
  join(pkg, 'esm', 'index.js'), join(pkg, 'esm', 'testing.js'),
  '--bundle', '--splitting', '--format=esm', '--platform=neutral',
  '--legal-comments=none', '--chunk-names=shared', '--minify-whitespace', '--minify-syntax', `--outdir=${bundled}`, '--log-level=warning',
], { stdio: 'inherit', cwd: pkg }); // (cwd: its markers of each part's file read `// esm/x.js` from anywhere)
for (const file of readdirSync(join(pkg, 'esm'))) {
  if (file.endsWith('.js') && file !== 'edge.js') rmSync(join(pkg, 'esm', file));
}
for (const file of readdirSync(bundled)) {
  const path = join(bundled, file);
  execFileSync(terser, [path, '--mangle', '--keep-fnames', '--keep-classnames', '--output', path], { stdio: 'inherit' });
}
// Minifying drops the comments that tell bundlers to leave a dynamic import alone
// (`import(/* webpackIgnore: true */ 'node:fs/promises')`): each goes back before its import.
const hinted = new Map();
for (const file of readdirSync(here).filter((f) => f.endsWith('.js'))) {
  for (const [, hints, specifier] of readFileSync(join(here, file), 'utf8').matchAll(/import\(((?:\/\*[^*]*\*\/\s*)+)'([^']+)'\)/g)) {
    hinted.set(specifier, hints.trim().replace(/\s+/g, ' '));
  }
}
for (const file of readdirSync(bundled)) {
  let text = readFileSync(join(bundled, file), 'utf8');
  for (const [specifier, hints] of hinted) text = text.replaceAll(`import(${JSON.stringify(specifier)})`, `import(${hints} ${JSON.stringify(specifier)})`);
  writeFileSync(join(pkg, 'esm', file), text);
}
for (const [specifier, hints] of hinted) {
  const shipped = readdirSync(join(pkg, 'esm')).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(pkg, 'esm', f), 'utf8'));
  if (!shipped.some((text) => text.includes(`import(${hints} ${JSON.stringify(specifier)})`))) {
    throw new Error(`build-pkg: the bundle lost the hints of import('${specifier}')`);
  }
}
rmSync(bundled, { recursive: true });

// Every shipped file still parses (stripComments kept the code).
for (const file of readdirSync(join(pkg, 'esm'))) {
  if (file.endsWith('.js')) execFileSync(process.execPath, ['--check', join(pkg, 'esm', file)], { stdio: 'inherit' });
}
// The README up to its section for the repository's developers (building, testing, the
// benchmark: commands run in a checkout, not in an installed package), which becomes one line
// naming where it is; the docs/ pages it names stay in the repository (not needed at run time).
const DEVELOPERS = '\n## Building, testing, benchmark\n';
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const cut = readme.indexOf(DEVELOPERS);
if (cut < 0) throw new Error(`build-pkg: README.md has no "${DEVELOPERS.trim()}" section to leave out`);
writeFileSync(join(pkg, 'README.md'), `${readme.slice(0, cut)}${DEVELOPERS}
Building, tests and benchmark figures: \`bindings-wasm/README.md\` in the project's repository.
`);
console.log(`pkg: ${pkg} (wasm ${bytes.length} bytes)`);
