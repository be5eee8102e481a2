// CommonJS TypeScript (module nodenext): compiled to .cjs by types.test.mjs and run with
// node. The default import goes through TypeScript's `__importDefault`, which needs the
// CommonJS build to mark itself `__esModule`; `require(...).CsmsClient` must keep working.
import CsmsClient from 'csms-sdk';
import { CsmsClient as Named, ValidationError } from 'csms-sdk';
import * as namespace from 'csms-sdk';
import csms = require('csms-sdk');

const client = new CsmsClient({ endpoint: 'http://127.0.0.1:1', projectId: 'p', credentials: { ak: 'a', sk: 's' } });
const request = client.buildRequest('ListSecrets', {}, '20240806T000000Z');
if (request.headers['X-Sdk-Date'] !== '20240806T000000Z') throw new Error(`unexpected request ${JSON.stringify(request)}`);
if (CsmsClient !== Named || namespace.CsmsClient !== Named || csms.CsmsClient !== Named || csms.default !== Named) {
  throw new Error('the default import, the named import and require(...).CsmsClient differ');
}
try {
  new csms.CsmsClient({ endpoint: 'http://127.0.0.1:1', projectId: '', credentials: { ak: 'a', sk: 's' } });
  throw new Error('an empty projectId was accepted');
} catch (e) {
  if (!(e instanceof ValidationError)) throw e;
}
console.log('default import ok');
