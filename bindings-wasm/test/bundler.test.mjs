// A bundler takes the package without any configuration: esbuild bundles it for the
// browser (ESM) and for Node (CommonJS, through `require`), and the bundles work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { HERE, PKG_DIR } from './helpers.mjs';

const skip = !existsSync(join(HERE, 'node_modules', 'esbuild')) && 'npm install in bindings-wasm/test first';

test('esbuild bundles the package for the browser and for Node', { skip }, async () => {
  const { build } = await import('esbuild');
  const dir = join(HERE, '.bundle');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(PKG_DIR, join(dir, 'node_modules', 'csms-sdk'), 'dir');
  writeFileSync(join(dir, 'app.mjs'), `import { CsmsClient } from 'csms-sdk';
export const request = new CsmsClient({ endpoint: 'https://kms.cn-north-4.myhuaweicloud.com', projectId: 'p', credentials: { ak: 'AK', sk: 'SK' } })
  .buildRequest('UpdateSecret', { secret_name: 'a', description: 'b' }, '20240806T000000Z');\n`);
  writeFileSync(join(dir, 'app.cjs'), `const { CsmsClient } = require('csms-sdk');
exports.request = new CsmsClient({ endpoint: 'https://kms.cn-north-4.myhuaweicloud.com', projectId: 'p', credentials: { ak: 'AK', sk: 'SK' } })
  .buildRequest('UpdateSecret', { secret_name: 'a', description: 'b' }, '20240806T000000Z');\n`);
  await build({ entryPoints: [join(dir, 'app.mjs')], bundle: true, platform: 'browser', format: 'esm', outfile: join(dir, 'out-browser.mjs'), logLevel: 'error' });
  await build({ entryPoints: [join(dir, 'app.cjs')], bundle: true, platform: 'node', format: 'cjs', outfile: join(dir, 'out-node.cjs'), logLevel: 'error' });
  const browser = await import(pathToFileURL(join(dir, 'out-browser.mjs')).href);
  const node = createRequire(import.meta.url)(join(dir, 'out-node.cjs'));
  assert.equal(browser.request.url, 'https://kms.cn-north-4.myhuaweicloud.com/v1/p/secrets/a');
  assert.deepEqual(node.request, browser.request);
  rmSync(dir, { recursive: true, force: true });
});
