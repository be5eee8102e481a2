// client.paginate: the pages of a List operation as an async iterator (the core's
// Paginator), `.items()` of their items, per-call settings as a third argument; against the
// emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AK, SK, PROJECT_ID, emulatorFor, loadPackage } from './helpers.mjs';

const { CsmsClient, ValidationError, fetchTransport } = await loadPackage('esm');

/** How many ListSecrets requests the emulator got. */
async function lists(endpoint) {
  const { operations } = await (await fetch(`${endpoint}/_emulator/counts`)).json();
  return operations.ListSecrets || 0;
}

test('5 secrets in pages of 2: 3 pages, 5 items', async (t) => {
  const { endpoint } = await emulatorFor(t);
  const client = new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK } });
  const names = ['s1', 's2', 's3', 's4', 's5'];
  for (const name of names) await client.createSecret({ name, secret_string: 'v' });

  const pages = client.paginate('ListSecrets', { limit: '2' });
  const sizes = [];
  for await (const page of pages) sizes.push(page.secrets.length);
  assert.deepEqual(sizes, [2, 2, 1]);
  assert.equal(await lists(endpoint), 3);

  // Each iteration starts again from the first page; items() walks the same pages.
  const seen = [];
  for await (const secret of pages.items()) seen.push(secret.name);
  assert.deepEqual(seen.sort(), names);
  assert.equal(await lists(endpoint), 6);

  // The method's name works too, and a loop left early stops asking.
  for await (const page of client.paginate('listSecrets', { limit: '2' }, { timeoutMs: 5000, maxAttempts: 1 })) {
    assert.equal(page.secrets.length, 2);
    break;
  }
  assert.equal(await lists(endpoint), 7);
});

test('per-call settings reach every page; bad ones, and operations that do not page, are refused at once', async (t) => {
  const { endpoint } = await emulatorFor(t);
  const client = new CsmsClient({ endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK } });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(async () => {
    for await (const _ of client.paginate('ListSecrets', { limit: '2' }, { signal: controller.signal })) void _;
  }, (e) => e.name === 'AbortError');
  assert.equal(await lists(endpoint), 0, 'an aborted signal sends nothing');

  const refused = (fn, field, reason) =>
    assert.throws(fn, (e) => e instanceof ValidationError && e.field === field && reason.test(e.reason));
  refused(() => client.paginate('ShowSecret', { secret_name: 'x' }), 'operation', /does not page/);
  refused(() => client.paginate('ListSecrets', {}, { maxAttempts: 0 }), 'maxAttempts', /from 1 to 100/);
  refused(() => client.paginate('ListSecrets', 'limit=2'), 'input', /object/);

  // Every page's call gets them: a transport sees each page's timeout.
  for (const name of ['a', 'b', 'c']) await client.createSecret({ name, secret_string: 'v' });
  const timeouts = [];
  const seeing = new CsmsClient({
    endpoint, projectId: PROJECT_ID, credentials: { ak: AK, sk: SK },
    transport: (request, context) => {
      timeouts.push(context.timeoutMs);
      return fetchTransport(request, context);
    },
  });
  let items = 0;
  for await (const _ of seeing.paginate('ListSecrets', { limit: '2' }, { timeoutMs: 4321 }).items()) items++;
  assert.equal(items, 3);
  assert.deepEqual(timeouts, [4321, 4321]);
});
