// Shared by the tests: loading the built package, starting the emulator.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const PKG_DIR = join(HERE, '..', 'pkg');
export const ROOT = join(HERE, '..', '..');

/**
 * The package as ESM (import) or CommonJS (require: the same ES modules, through Node's
 * require of an ES module, as a CommonJS user's `require('csms-sdk')` gets them).
 */
export async function loadPackage(kind = 'esm') {
  if (!existsSync(join(PKG_DIR, 'package.json'))) throw new Error('bindings-wasm/pkg is not built: run bindings-wasm/build.sh');
  if (kind === 'cjs') {
    const { createRequire } = await import('node:module');
    return createRequire(import.meta.url)(PKG_DIR);
  }
  return import(join(PKG_DIR, 'esm', 'index.js'));
}

/**
 * A second copy of the package (as two versions of it in one application would be): pkg/
 * copied under the system's temporary directory and imported from there.
 */
export async function loadOtherCopy() {
  const { cpSync, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'csms-sdk-copy-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  cpSync(PKG_DIR, dir, { recursive: true });
  return import(join(dir, 'esm', 'index.js'));
}

/**
 * The test-only helpers of the package (`panicForTests`), outside its public surface:
 * pkg/esm/testing.js (imported or required), sharing the wasm instance of `loadPackage(kind)`.
 */
export async function loadTesting(kind = 'esm') {
  if (kind === 'cjs') {
    const { createRequire } = await import('node:module');
    return createRequire(import.meta.url)(join(PKG_DIR, 'esm', 'testing.js'));
  }
  return import(join(PKG_DIR, 'esm', 'testing.js'));
}

export const AK = 'TEST-AK-0123456789';
export const SK = 'TEST-SK-abcdefghijklmnopqrstuvwxyz0123';
export const PROJECT_ID = '0123456789abcdef0123456789abcdef';
export const TOKEN = 'test-iam-token-0123456789';

/**
 * Starts target/debug/csms-emulator on a free port, with `args` added to its command line
 * (`--faults SPEC`, `--data FILE`, `--cors ORIGIN`); resolves with {endpoint, stop}.
 */
export async function startEmulator(args = []) {
  const bin = process.env.CSMS_EMULATOR || join(ROOT, 'target', 'debug', 'csms-emulator');
  if (!existsSync(bin)) throw new Error(`${bin} missing: run cargo build -p csms-emulator`);
  const child = spawn(bin, ['--listen', '127.0.0.1:0', '--ak', AK, '--sk', SK, '--project-id', PROJECT_ID, '--token', TOKEN, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const endpoint = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('emulator did not start in 20 s')), 20000);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = line.match(/^listening on (http:\/\/\S+)$/);
      if (m) resolve(m[1]);
      else reject(new Error(`unexpected first line: ${line}`));
    });
  });
  return {
    endpoint,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** `startEmulator(args)` for the test of context `t` (node:test), stopped when it ends. */
export async function emulatorFor(t, args = []) {
  const emu = await startEmulator(args);
  t.after(emu.stop);
  return emu;
}

/**
 * A TCP server on loopback that reads requests and never answers; `server.requests` counts
 * the requests it got. `onStop` is given the function that closes it (a test's cleanup).
 */
export async function silentServer(onStop) {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      server.requests += (chunk.toString('latin1').match(/^(GET|POST|PUT|DELETE) \//gm) || []).length;
    });
    socket.on('error', () => {});
  });
  server.requests = 0;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  onStop(() => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(resolve);
  }));
  return { server, endpoint: `http://127.0.0.1:${server.address().port}` };
}
