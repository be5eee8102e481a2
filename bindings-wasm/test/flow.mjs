// The rotation flow, shared by the Node end-to-end test and the browser test (it only
// needs the package's exports and a configured client factory).
export async function rotationFlow(csms, makeClient, { ak, sk, projectId, endpoint, transport }) {
  const log = [];
  const client = makeClient({ endpoint, projectId, credentials: { ak, sk }, transport });
  const name = `flow-${Math.random().toString(36).slice(2, 10)}`;

  const created = await client.createSecret({ name, secret_string: 'v1-value', description: 'first' });
  log.push(['created', created.secret && created.secret.name]);

  const updated = await client.updateSecret({ secret_name: name, description: 'second' });
  log.push(['updated', updated.secret && updated.secret.description]);

  const version = await client.createSecretVersion({ secret_name: name, secret_string: 'v2-value' });
  const newId = version.version_metadata && version.version_metadata.id;
  log.push(['version', typeof newId === 'string' && newId.length > 0]);

  const latest = await client.showSecretVersion({ secret_name: name, version_id: 'latest' });
  log.push(['latest', latest.version.secret_string, latest.version.version_metadata.id === newId,
    latest.version.version_metadata.version_stages.includes('SYSCURRENT')]);

  const listed = await client.listSecretVersions({ secret_name: name });
  log.push(['listed', listed.version_metadatas.length, listed.version_metadatas.some((v) => v.id === newId)]);

  try {
    await client.rotateSecret({ secret_name: name });
    log.push(['rotate', 'no error']);
  } catch (e) {
    log.push(['rotate', e instanceof csms.ApiError, e instanceof Error, e.name, e.kind, e.status, typeof e.requestId === 'string' && e.requestId.length > 0, e.errorCode]);
  }

  const wrong = makeClient({ endpoint, projectId, credentials: { ak, sk: sk + 'x' }, transport });
  try {
    await wrong.showSecret({ secret_name: name });
    log.push(['wrong-sk', 'no error']);
  } catch (e) {
    log.push(['wrong-sk', e instanceof csms.ApiError, e.status]);
  }

  let sent = 0;
  const counting = makeClient({
    endpoint, projectId, credentials: { ak, sk },
    transport: async () => {
      sent++;
      throw new Error('must not be called');
    },
  });
  try {
    await counting.updateSecret({ secret_name: name, rotation_period: '5h' });
    log.push(['validation', 'no error']);
  } catch (e) {
    log.push(['validation', e instanceof csms.ValidationError, e.kind, e.field, sent]);
  }
  return log;
}

export const EXPECTED = [
  ['created', null],
  ['updated', 'second'],
  ['version', true],
  ['latest', 'v2-value', true, true],
  ['listed', 2, true],
  ['rotate', true, true, 'ApiError', 'api', 400, true, null],
  ['wrong-sk', true, 401],
  ['validation', true, 'validation', 'rotation_period', 0],
];

/** Checks a log against EXPECTED (`null` entries: any value). Returns a list of differences. */
export function differences(log) {
  const out = [];
  EXPECTED.forEach((want, i) => {
    const got = log[i] || [];
    want.forEach((w, j) => {
      if (w !== null && got[j] !== w) out.push(`${want[0]}[${j}]: got ${JSON.stringify(got[j])}, want ${JSON.stringify(w)}`);
    });
  });
  return out;
}
