// Compiled with usage.ts (tsconfig.json): a misspelt option is a compile error, for the
// client's options and for a call's. Each line below must fail to compile, and does only for
// the misspelling (the same line spelt right is in usage.ts or at the end of this file).
import { CsmsClient, SecretCache, type CallOptions, type CsmsClientOptions } from 'csms-sdk';

const base = { endpoint: 'http://127.0.0.1:8089', projectId: 'p', credentials: { ak: 'AK', sk: 'SK' } };

// @ts-expect-error `maxAttempt` is not an option (maxAttempts)
void new CsmsClient({ ...base, maxAttempt: 3 });
// @ts-expect-error `backoffCapMS` is not an option (backoffCapMs)
const misspelt: CsmsClientOptions = { ...base, backoffCapMS: 1000 };
// @ts-expect-error `retryBaseMs` is the old name of backoffBaseMs
void new CsmsClient({ ...base, retryBaseMs: 5 });
// @ts-expect-error `onAttempt` is the old name of debugHook
void new CsmsClient({ ...base, onAttempt: () => {} });

const client = new CsmsClient({ ...base, maxAttempts: 3, backoffBaseMs: 5, backoffCapMs: 1000, debugHook: () => {} });
async function calls(): Promise<void> {
  // @ts-expect-error `deadline` is not a setting of a call (deadlineMs)
  await client.showSecret({ secret_name: 'db' }, { deadline: 500 });
  // @ts-expect-error `timeOutMs` is not a setting of a call (timeoutMs)
  const settings: CallOptions = { timeOutMs: 100 };
  // @ts-expect-error `maxAttempt` is not a setting of a call (maxAttempts)
  await client.send('ShowSecret', { secret_name: 'db' }, { maxAttempt: 1 });
  // @ts-expect-error `ttlMS` is not a cache option (ttlMs)
  void new SecretCache(client, { ttlMS: 1000 });
  // Spelt right.
  await client.showSecret({ secret_name: 'db' }, { deadlineMs: 500, timeoutMs: 100, maxAttempts: 1 });
  void new SecretCache(client, { ttlMs: 1000, maxEntries: 10, maxStaleMs: null });
  void [misspelt, settings];
}
void calls;
