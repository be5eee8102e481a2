// The same declarations through `require` (index.d.cts).
import csms = require('csms-sdk');
const client = new csms.CsmsClient({ endpoint: 'http://127.0.0.1:1', projectId: 'p', credentials: { ak: 'a', sk: 's' } });
const request: csms.HttpRequest = client.buildRequest('ListSecrets', {});
void request;
