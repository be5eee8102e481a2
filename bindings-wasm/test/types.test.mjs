// Type-checks test/types/*.ts against the built package's declarations with `tsc --noEmit`
// (typescript is a devDependency of this test package only), compiles and runs a CommonJS
// TypeScript file, and compiles the code blocks of the README and of docs/*.md with `tsc --strict`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, existsSync, writeFileSync } from 'node:fs';
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

/**
 * The JavaScript and TypeScript code blocks of the README and of docs/*.md (and the module script of its HTML
 * one), each compiled as a TypeScript module with --strict, as a TypeScript user would copy
 * it: the names a block takes from its surroundings (`client`, `projectId`, ...) are
 * declared in types/readme-context.d.ts. A block whose info string says `no-check` is left
 * out. The browser block imports the package by its path in node_modules, read here as
 * `csms-sdk`.
 */
function readmeBlocks(readme) {
  const blocks = [];
  for (const [, lang, info, code] of readme.matchAll(/^```(js|ts|javascript|typescript|html)([^\n]*)\n([\s\S]*?)^```/gm)) {
    if (info.includes('no-check')) continue;
    if (lang !== 'html') {
      blocks.push(code);
      continue;
    }
    for (const [, script] of code.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)) {
      blocks.push(script.replace(/(['"])\.\/node_modules\/csms-sdk\/esm\/index\.js\1/g, "'csms-sdk'"));
    }
  }
  return blocks;
}

test('README and docs code blocks pass tsc --strict', { skip }, () => {
  linkPackage();
  const docs = join(HERE, '..', 'docs');
  const pages = [join(HERE, '..', 'README.md'), ...readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => join(docs, f))];
  const blocks = pages.flatMap((page) => readmeBlocks(readFileSync(page, 'utf8')));
  assert.ok(blocks.length >= 10, `only ${blocks.length} code blocks found in the README and docs`);
  const dir = join(TYPES, '.readme');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  blocks.forEach((code, i) => writeFileSync(join(dir, `block-${i + 1}.ts`), code));
  tsc('tsconfig.readme.json');
  rmSync(dir, { recursive: true, force: true });
});
