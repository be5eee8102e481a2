// Type-checks test/types/*.ts against the built package's declarations with `tsc --noEmit`
// (typescript is a devDependency of this test package only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { HERE, PKG_DIR } from './helpers.mjs';

const skip = !existsSync(join(HERE, 'node_modules', 'typescript')) && 'npm install in bindings-wasm/test first';
const TYPES = join(HERE, 'types');

/** test/types/node_modules/csms-sdk -> the built package. */
function linkPackage() {
  const modules = join(TYPES, 'node_modules');
  rmSync(modules, { recursive: true, force: true });
  mkdirSync(modules, { recursive: true });
  symlinkSync(PKG_DIR, join(modules, 'csms-sdk'), 'dir');
}

function tsc(project) {
  try {
    execFileSync(process.execPath, [join(HERE, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(TYPES, project)], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    assert.fail(`tsc -p ${project} failed:\n${e.stdout}${e.stderr}`);
  }
}

test('tsc --noEmit accepts the declared usage', { skip }, () => {
  linkPackage();
  tsc('tsconfig.json');
});

test('CommonJS TypeScript: a default import compiles and runs', { skip }, () => {
  linkPackage();
  const out = join(TYPES, '.out');
  rmSync(out, { recursive: true, force: true });
  tsc('tsconfig.run-cjs.json');
  let stdout;
  try {
    stdout = execFileSync(process.execPath, [join(out, 'default-import.cjs')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    assert.fail(`the compiled .cts failed:\n${e.stdout}${e.stderr}`);
  }
  assert.match(stdout, /default import ok/);
  rmSync(out, { recursive: true, force: true });
});
