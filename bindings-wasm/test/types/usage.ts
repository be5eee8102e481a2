// Compiled with `tsc --noEmit` by types.test.mjs: the package's declarations must type
// this usage, and reject the lines marked @ts-expect-error.
import {
  ApiError,
  CsmsClient,
  TransportError,
  fetchTransport,
  signRequest,
  CsmsError,
  DecodeError,
  ValidationError,
  type CallOptions,
  type ErrorKind,
  type Secret,
  type HttpRequest,
  type ShowSecretVersionOutput,
  type Transport,
  type UpdateSecretInput,
} from 'csms-sdk';

const transport: Transport = async (request: HttpRequest) => ({ status: 200, headers: {}, body: '{}' });
const client = new CsmsClient({ region: 'cn-north-4', projectId: 'p', credentials: { ak: 'AK', sk: 'SK' }, transport });
const token = new CsmsClient({ endpoint: 'http://127.0.0.1:8089', projectId: 'p', credentials: { authToken: 't' }, algorithm: 'SDK-HMAC-SM3' });

async function main(): Promise<void> {
  const input: UpdateSecretInput = { secret_name: 'db', description: 'new' };
  const updated = await client.updateSecret(input);
  const name: string | undefined = updated.secret?.name;
  const latest: ShowSecretVersionOutput = await client.showSecretVersion({ secret_name: 'db', version_id: 'latest' });
  const value: string | undefined = latest.version?.secret_string;
  const stages: string[] | undefined = latest.version?.version_metadata?.version_stages;
  const request: HttpRequest = client.buildRequest('UpdateSecret', input, new Date());
  const again = client.buildRequest('updateSecret', input, '20240806T000000Z');
  const parsed = client.parseResponse('ShowSecretVersion', { status: 200, headers: new Headers(), body: '{}' });
  const v2: string | undefined = parsed.version?.secret_string;
  await client.send('ListSecrets', { limit: '10' });
  await client.batchCreateOrDeleteTags({ secret_id: 'id', action: 'create', tags: [{ key: 'k', value: 'v' }] });
  // A text member holding a number takes a number, as the official SDK sends it; the path
  // member resource_instances takes its one value.
  await client.listResourceInstances({ action: 'filter', limit: 10, offset: '0', resource_instances: 'resource_instances' });
  // @ts-expect-error resource_instances has one value
  await client.listResourceInstances({ action: 'count', resource_instances: 'secrets' });
  // @ts-expect-error a required member is missing
  await client.updateSecret({ description: 'x' });
  // @ts-expect-error an unknown member
  await client.updateSecret({ secret_name: 'db', colour: 'blue' });
  // @ts-expect-error not one of the enum values
  await client.batchCreateOrDeleteTags({ secret_id: 'id', action: 'remove', tags: [] });
  // @ts-expect-error no such operation
  client.buildRequest('NoSuchOperation', {});
  // Per-call settings, on every operation method and on send.
  const settings: CallOptions = { signal: AbortSignal.timeout(5000), timeoutMs: 2000, maxAttempts: 1 };
  await client.showSecret({ secret_name: 'db' }, settings);
  await client.listSecrets(undefined, { signal: new AbortController().signal });
  await client.send('showSecret', { secret_name: 'db' }, { timeoutMs: 100 });
  // @ts-expect-error timeoutMs is a number
  await client.showSecret({ secret_name: 'db' }, { timeoutMs: '100' });
  // @ts-expect-error not a setting of a call
  await client.showSecret({ secret_name: 'db' }, { backoffBaseMs: 5 });
  // Pages of a List operation, and their items.
  for await (const page of client.paginate('ListSecrets', { limit: '2' }, { timeoutMs: 100 })) {
    const first: Secret | undefined = page.secrets?.[0];
    void first;
  }
  for await (const version of client.paginate('listSecretVersions', { secret_name: 'db' }).items()) {
    const id: string | undefined = version.id;
    void id;
  }
  // @ts-expect-error ShowSecret does not page
  client.paginate('ShowSecret', { secret_name: 'db' });
  for await (const secret of client.paginate('ListSecrets').items()) {
    const named: string | undefined = secret.name;
    // @ts-expect-error an item is a Secret (not `never`, which would take this)
    const wrong: number = secret;
    void named, wrong;
  }
  // @ts-expect-error the signal is an AbortSignal
  await client.send('ShowSecret', { secret_name: 'db' }, { signal: true });
  try {
    await token.listSecrets();
  } catch (e) {
    if (e instanceof ApiError) {
      const parts: [number, string, string, string, 'api'] = [e.status, e.errorCode, e.errorMsg, e.requestId, e.kind];
      void parts;
    } else if (e instanceof ValidationError) {
      const field: string = e.field;
      void field;
    } else if (e instanceof CsmsError) {
      const kind: ErrorKind = e.kind;
      void kind;
    }
  }
  void [name, value, stages, request, again, v2];
}
void main;

// Retries and timeouts; a transport using its context; notRetried on both error kinds.
const withContext: Transport = async (request, { signal, connectTimeoutMs, timeoutMs }) => {
  void [signal.aborted, connectTimeoutMs + timeoutMs];
  return fetchTransport(request, { signal });
};
const tuned = new CsmsClient({
  endpoint: 'http://127.0.0.1:8089', projectId: 'p', credentials: { ak: 'AK', sk: 'SK' }, transport: withContext,
  maxAttempts: 5, backoffBaseMs: 50, backoffCapMs: 2000, connectTimeoutMs: 3000, timeoutMs: 10000,
});
// @ts-expect-error maxAttempts is a number
void new CsmsClient({ endpoint: 'http://127.0.0.1:8089', projectId: 'p', credentials: { authToken: 't' }, maxAttempts: '3' });
async function rotate(): Promise<void> {
  try {
    await tuned.rotateSecret({ secret_name: 'db' });
  } catch (e) {
    if (e instanceof TransportError) {
      const why: string | undefined = e.notRetried;
      const sent: boolean = e.maybeSent;
      void [why, sent];
    } else if (e instanceof ApiError) {
      const why: string | undefined = e.notRetried;
      void why;
    }
  }
}
void rotate;

// Errors made by hand (a transport may throw a ValidationError; tests mock ApiErrors): each
// class's own constructor, as in js/errors.js.
const invalid = new ValidationError('invalid `secret_name`: is required', { field: 'secret_name', reason: 'is required' });
const notFound = new ApiError('not found', { status: 404, errorCode: 'CSMS.0106', errorMsg: 'no such secret', requestId: 'r', notRetried: undefined });
const undecodable = new DecodeError('not JSON', { status: 200, requestId: 'r', reason: 'expected value' });
const refused = new TransportError('connection refused', { maybeSent: false, cause: new Error('ECONNREFUSED') });
const bug = new CsmsError('a panic in csms-core', 'internal', { cause: 'boom', reason: 'a panic' });
void [invalid, notFound, undecodable, refused, bug, new ValidationError('x'), new ApiError('x'), new DecodeError('x')];
// @ts-expect-error the second argument of ValidationError is its options, not a code
void new ValidationError('bad', 'validation');
// @ts-expect-error ApiError has no `code` option (errorCode)
void new ApiError('not found', { code: 'CSMS.0106' });
// @ts-expect-error a DecodeError's status is a number
void new DecodeError('not JSON', { status: '200' });
// @ts-expect-error ValidationError takes no cause
void new ValidationError('bad', { field: 'f', cause: new Error() });

// Every `at` takes the same: a Date, milliseconds or an X-Sdk-Date string, optional.
const spec = { credentials: { ak: 'AK', sk: 'SK' }, algorithm: 'SDK-HMAC-SHA256', request: { method: 'GET', url: 'https://kms.cn-north-4.myhuaweicloud.com/v1/p/secrets' } };
void [signRequest(spec), signRequest({ ...spec, at: new Date() }), signRequest({ ...spec, at: Date.now() }), signRequest({ ...spec, at: '20240806T101010Z' })];
void [client.buildRequest('ListSecrets', {}, Date.now()), client.buildRequest('ListSecrets', {})];

// Credential providers.
import {
  CredentialsError,
  EnvCredentials,
  ProfileCredentials,
  MetadataCredentials,
  FunctionCredentials,
  defaultCredentials,
  type CredentialProvider,
} from 'csms-sdk';

async function providers(): Promise<void> {
  const fromEnv: CsmsClient = await CsmsClient.fromEnv({ region: 'cn-north-4', env: { CSMS_ENDPOINT: 'http://127.0.0.1:8089' }, maxAttempts: 2 });
  const vault: CredentialProvider = FunctionCredentials(async () => ({ ak: 'AK', sk: 'SK', expiresAt: new Date() }), { name: 'vault' });
  const iam = FunctionCredentials(() => ({ authToken: 't', expiresAt: Date.now() + 60_000, projectId: 'p' }));
  for (const credentials of [vault, iam, EnvCredentials(), ProfileCredentials({ path: '/etc/c' }), MetadataCredentials({ endpoint: 'http://127.0.0.1:8089' }), defaultCredentials({ env: {} })]) {
    new CsmsClient({ region: 'cn-north-4', projectId: 'p', credentials });
  }
  try {
    await fromEnv.listSecrets({});
  } catch (e) {
    if (e instanceof CredentialsError) {
      const provider: string = e.provider;
      const reason: string = e.reason;
      const kind: 'credentials' = e.kind;
    }
  }
  // @ts-expect-error: fromEnv takes the endpoint from the environment
  await CsmsClient.fromEnv({ endpoint: 'http://127.0.0.1:8089' });
  // @ts-expect-error: a function provider returns credentials
  FunctionCredentials(() => ({ ak: 'AK' }));
}
void providers;

import { SecretCache, rotate as rotateSecret, RotationError, type StageChange, type RotationResult } from 'csms-sdk';

async function caching(client: CsmsClient): Promise<void> {
  const cache = new SecretCache(client, { ttlMs: 60_000, maxEntries: 16, maxStaleMs: null });
  const version = await cache.get('db', { stage: 'SYSCURRENT' });
  const text: string | undefined = version.secret_string ?? (await cache.getSecretString('db', { versionId: 'v1' }));
  const bytes: Uint8Array | undefined = await cache.getSecretBinary('db');
  const both: string[] = (await cache.accepted('db')).map((v) => v.version_metadata?.id ?? '');
  const stop: () => void = cache.onChange((change: StageChange) => {
    const to: string | null = change.to;
  });
  stop();
  await cache.refresh('db');
  cache.clear();
  void [text, bytes, both];
  // @ts-expect-error: a stage or a version id, not both
  await cache.get('db', { stage: 'SYSCURRENT', versionId: 'v1' });
  // @ts-expect-error: ttlMs is a number of milliseconds
  new SecretCache(client, { ttlMs: '5m' });
}
void caching;

async function rotating(client: CsmsClient): Promise<void> {
  try {
    const result: RotationResult = await rotateSecret(client, 'db', {
      apply: async (newValue: string, previousValue: string) => void [newValue, previousValue],
      generate: () => 'pw',
      test: async (newValue) => newValue.length > 0,
      strategy: 'alternating-users',
    });
    const previous: string | null = result.previousVersionId;
    const steps: string[] = result.steps;
    void [previous, steps, result.versionId, result.resumed];
  } catch (e) {
    if (e instanceof RotationError) {
      const step: string = e.step;
      const kind: 'rotation' = e.kind;
      void [step, kind, e.reason];
    }
  }
  // @ts-expect-error: apply is required
  await rotateSecret(client, 'db', {});
  // @ts-expect-error: no such strategy
  await rotateSecret(client, 'db', { apply: () => {}, strategy: 'dual' });
}
void rotating;
