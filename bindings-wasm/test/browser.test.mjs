// The package in a real browser: Debian's chromium, headless, driven by playwright-core,
// loads pkg/esm (and csms_bg.wasm, through init()) from a page served on localhost and runs the rotation flow against the
// emulator (cross-origin: the emulator, started with `--cors` and the page's origin,
// answers the CORS preflights).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { AK, SK, PROJECT_ID, HERE, PKG_DIR, startEmulator } from './helpers.mjs';
import { differences } from './flow.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && !process.env.CI
  ? `${CHROMIUM} missing (apt-get install -y chromium)`
  : !existsSync(join(HERE, 'node_modules', 'playwright-core')) && 'npm install in bindings-wasm/test first';

// The package as a page loads it without a bundler: its ES modules as they are, no import
// map; csms_bg.wasm fetched by `init()` (streaming: served as application/wasm). Before
// `init()`, a synchronous use throws the error that names it.
const PAGE = `<!doctype html><meta charset="utf-8"><title>csms-sdk</title>
<script type="module">
  import * as csms from '/pkg/esm/index.js';
  import { rotationFlow } from '/test/flow.mjs';
  try {
    new csms.CsmsClient({ endpoint: 'https://kms.example', projectId: 'p', credentials: { ak: 'a', sk: 's' } });
    window.beforeInit = 'no error';
  } catch (e) {
    window.beforeInit = e.name + ' ' + e.kind + ': ' + e.message;
  }
  await csms.init();
  await csms.init(); // again: nothing more to do
  window.runFlow = (cfg) => rotationFlow(csms, (o) => new csms.CsmsClient(o), cfg);
  window.csmsReady = true;
</script>`;

/** A tiny static server: / is the page, /pkg/* and /test/* are files. */
function staticServer() {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(PAGE);
    }
    const roots = { '/pkg/': PKG_DIR, '/test/': HERE };
    const prefix = Object.keys(roots).find((p) => path.startsWith(p));
    const file = prefix && normalize(join(roots[prefix], path.slice(prefix.length)));
    if (!file || !file.startsWith(roots[prefix]) || !existsSync(file)) {
      res.writeHead(404);
      return res.end('not found');
    }
    const type = file.endsWith('.js') || file.endsWith('.mjs') ? 'text/javascript' : file.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let emulator;
let server;
let browser;
before(async () => {
  if (skip) return;
  server = await staticServer();
  // The page's origin may call the emulator (CORS is off unless asked for).
  emulator = await startEmulator(['--cors', `http://localhost:${server.address().port}`]);
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  if (browser) await browser.close();
  if (server) server.close();
  if (emulator) await emulator.stop();
});

test('the rotation flow runs in chromium with the default fetch transport', { skip, timeout: 60000 }, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  // "localhost" page, 127.0.0.1 emulator: a cross-origin request, as in real use.
  await page.goto(`http://localhost:${server.address().port}/`);
  await page.waitForFunction(() => window.csmsReady === true, null, { timeout: 20000 });
  const beforeInit = await page.evaluate(() => window.beforeInit);
  assert.match(beforeInit, /^CsmsError internal: csms-sdk: the WebAssembly module is not loaded yet: .*`await init\(\)`/);
  const log = await page.evaluate(
    (cfg) => window.runFlow(cfg),
    { ak: AK, sk: SK, projectId: PROJECT_ID, endpoint: emulator.endpoint },
  );
  assert.deepEqual(differences(log), [], JSON.stringify(log));
  // Failed requests of the flow (400, 401) are logged by the browser; nothing else may fail.
  const unexpected = errors.filter((e) => !/status of 40[01]/.test(e));
  assert.deepEqual(unexpected, []);
});
