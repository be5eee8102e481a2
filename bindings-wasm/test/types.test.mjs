// Type-checks test/types/*.ts against the built package's declarations with `tsc --noEmit`
// (typescript is a devDependency of this test package only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { HERE, PKG_DIR } from './helpers.mjs';

test('tsc --noEmit accepts the declared usage', { skip: !existsSync(join(HERE, 'node_modules', 'typescript')) && 'npm install in bindings-wasm/test first' }, () => {
  const modules = join(HERE, 'types', 'node_modules');
  rmSync(modules, { recursive: true, force: true });
  mkdirSync(modules, { recursive: true });
  symlinkSync(PKG_DIR, join(modules, 'csms-sdk'), 'dir');
  const tsc = join(HERE, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(HERE, 'types', 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});
