// What bench.mjs and bench-ab.mjs share: the UpdateSecret request they time, its canned
// answer, and the official core's signer and client driven as its generated CSMS client
// drives them (see bench.mjs for what each measure is).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const requireTest = createRequire(join(HERE, 'test', 'package.json'));
const official = requireTest('@huaweicloud/huaweicloud-sdk-core');
export const officialPath = dirname(requireTest.resolve('@huaweicloud/huaweicloud-sdk-core/package.json'));
const { AKSKSigner } = requireTest(join(officialPath, 'auth', 'AKSKSigner.js'));
const { HcClient } = requireTest(join(officialPath, 'HcClient.js'));
export { AKSKSigner };

export const AK = 'BENCHAK0123456789ABC';
export const SK = 'benchsk0123456789abcdefghijklmnopqrstuvw';
export const PROJECT = '0123456789abcdef0123456789abcdef';
export const ENDPOINT = 'https://kms.cn-north-4.myhuaweicloud.com';
export const AT = '20261122T080910Z';
export const input = { secret_name: 'db-password', description: 'rotated by the benchmark', rotation_period: '30d' };

/** The canned 200 answer of UpdateSecret, and its headers. */
export const RESPONSE = JSON.stringify({
  secret: {
    id: 'bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e', name: input.secret_name, state: 'ENABLED',
    kms_key_id: 'b168fe00ff56492495a7d22974df2d0b', description: input.description,
    create_time: 1581507580000, update_time: 1581507580000, secret_type: 'COMMON',
    auto_rotation: false, rotation_period: input.rotation_period, enterprise_project_id: '0',
  },
});
export const RESPONSE_HEADERS = { 'content-type': 'application/json;charset=UTF-8', 'x-request-id': 'bench' };

/** The official signer's credential, and the request object its CSMS client makes. */
export const credential = { getAk: () => AK, getSk: () => SK };
export const officialRequest = () => ({
  endpoint: `${ENDPOINT}/v1/${PROJECT}/secrets/${input.secret_name}`,
  method: 'PUT',
  headers: { 'Content-Type': 'application/json;charset=UTF-8', 'X-Project-Id': PROJECT },
  queryParams: {},
  data: { description: input.description, rotation_period: input.rotation_period },
});

/**
 * One whole official call of UpdateSecret: `HcClient.sendRequest` with the options its
 * generated CSMS client passes, through an HTTP client stub that serialises the body and
 * parses the canned answer, as axios would.
 */
export function officialCaller() {
  const http = {
    async sendRequest(request) {
      JSON.stringify(request.data);
      return { statusCode: 200, headers: RESPONSE_HEADERS, data: JSON.parse(RESPONSE) };
    },
  };
  const hcClient = new HcClient(http)
    .withCredential(new official.BasicCredentials().withAk(AK).withSk(SK).withProjectId(PROJECT))
    .withEndpoints([ENDPOINT]);
  return () =>
    hcClient.sendRequest({
      method: 'PUT',
      url: '/v1/{project_id}/secrets/{secret_name}',
      contentType: 'application/json;charset=UTF-8',
      queryParams: {},
      pathParams: { secret_name: input.secret_name },
      headers: {},
      data: { description: input.description, rotation_period: input.rotation_period },
      responseHeaders: [''],
    });
}
