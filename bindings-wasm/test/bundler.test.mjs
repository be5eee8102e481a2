// A bundler takes the package: esbuild bundles it for the browser (ESM: csms_bg.wasm fetched
// by `init()` from `new URL('./csms_bg.wasm', import.meta.url)`) and for Node (CommonJS,
// through `require`: csms_bg.wasm read beside the bundle), and the bundles work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { HERE, PKG_DIR } from './helpers.mjs';

const skip = !existsSync(join(HERE, 'node_modules', 'esbuild')) && 'npm install in bindings-wasm/test first';
const ENDPOINT = 'https://kms.cn-north-4.myhuaweicloud.com';
const build = (input) => `new CsmsClient({ endpoint: '${ENDPOINT}', projectId: 'p', credentials: { ak: 'AK', sk: 'SK' } })
  .buildRequest('UpdateSecret', { secret_name: 'a', description: 'b' }, '20240806T000000Z')`;

test('esbuild bundles the package for the browser and for Node', { skip }, async () => {
  const { build: esbuild } = await import('esbuild');
  const dir = join(HERE, '.bundle');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(PKG_DIR, join(dir, 'node_modules', 'csms-sdk'), 'dir');
  // The browser app: a synchronous use before the module is there throws the error naming
  // init(); `await init()` fetches csms_bg.wasm from beside the bundle (copied there, as a
  // bundler's asset handling or the application's build would).
  writeFileSync(join(dir, 'app.mjs'), `import { CsmsClient, init } from 'csms-sdk';
export let beforeInit;
try { ${build('')}; } catch (e) { beforeInit = e; }
await init();
export const request = ${build('')};\n`);
  writeFileSync(join(dir, 'app.cjs'), `const { CsmsClient } = require('csms-sdk');
exports.request = ${build('')};\n`);
  await esbuild({ entryPoints: [join(dir, 'app.mjs')], bundle: true, platform: 'browser', format: 'esm', outfile: join(dir, 'out', 'browser.mjs'), logLevel: 'error' });
  await esbuild({ entryPoints: [join(dir, 'app.cjs')], bundle: true, platform: 'node', format: 'cjs', outfile: join(dir, 'node-out', 'node.cjs'), logLevel: 'error' });
  const browserBundle = readFileSync(join(dir, 'out', 'browser.mjs'), 'utf8');
  assert.doesNotMatch(browserBundle, /\bimport\b[^;]*["'](node:)?fs["']|require\(["'](node:)?fs["']\)/, 'the browser bundle imports no fs');
  assert.match(browserBundle, /new URL\("\.\/csms_bg\.wasm", import\.meta\.url\)/, 'the form bundlers emit as an asset');
  assert.ok(browserBundle.length < 150_000, `the browser bundle is ${browserBundle.length} bytes: no module inside`);
  copyFileSync(join(PKG_DIR, 'esm', 'csms_bg.wasm'), join(dir, 'out', 'csms_bg.wasm'));

  // Node has no fetch of file: URLs: this one serves them, as a browser serves the page's files.
  // And a browser has no process.getBuiltinModule (with it, the package reads the file itself).
  const realFetch = globalThis.fetch;
  const { getBuiltinModule } = process;
  process.getBuiltinModule = undefined;
  const fetched = [];
  globalThis.fetch = async (url) => {
    fetched.push(String(url));
    const bytes = readFileSync(fileURLToPath(url));
    return new Response(bytes, { headers: { 'content-type': 'application/wasm' } });
  };
  let browser;
  try {
    browser = await import(pathToFileURL(join(dir, 'out', 'browser.mjs')).href);
  } finally {
    globalThis.fetch = realFetch;
    process.getBuiltinModule = getBuiltinModule;
  }
  assert.deepEqual(fetched, [pathToFileURL(join(dir, 'out', 'csms_bg.wasm')).href]);
  assert.equal(browser.beforeInit.name, 'CsmsError');
  assert.equal(browser.beforeInit.kind, 'internal');
  assert.match(browser.beforeInit.message, /not loaded yet.*`await init\(\)`/);
  assert.equal(browser.request.url, `${ENDPOINT}/v1/p/secrets/a`);

  // The Node bundle reads csms_bg.wasm beside itself; without it, the error says what to do.
  const require = createRequire(import.meta.url);
  const bundle = join(dir, 'node-out', 'node.cjs');
  assert.throws(() => require(bundle), /cannot read its WebAssembly module .*node-out.csms_bg\.wasm.*copied beside it, or .*init\(bytes\)/s);
  delete require.cache[bundle];
  copyFileSync(join(PKG_DIR, 'esm', 'csms_bg.wasm'), join(dir, 'node-out', 'csms_bg.wasm'));
  const node = require(bundle);
  assert.deepEqual(node.request, browser.request);
  rmSync(dir, { recursive: true, force: true });
});
