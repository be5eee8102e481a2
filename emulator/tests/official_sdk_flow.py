"""The rotation flow through the official Python SDK (huaweicloudsdkcsms 3.1.219) against
the emulator. Run by `official_sdk.rs` with the oracle virtualenv's python:

    python official_sdk_flow.py ENDPOINT AK SK PROJECT_ID

Exits non-zero at the first step that does not behave as the service does.
"""

import sys

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcsms.v1 import (
    CreateSecretRequest, CreateSecretRequestBody, CreateSecretVersionRequest, CreateSecretVersionRequestBody,
    CsmsClient, DeleteSecretRequest, ListSecretVersionsRequest, RotateSecretRequest, ShowSecretRequest,
    ShowSecretStageRequest, ShowSecretVersionRequest, UpdateSecretRequest, UpdateSecretRequestBody,
)

endpoint, ak, sk, project_id = sys.argv[1:5]


def client(secret_key):
    config = HttpConfig.get_default_config()
    config.user_agent = "official-sdk-flow"
    return (CsmsClient.new_builder().with_http_config(config)
            .with_credentials(BasicCredentials(ak, secret_key, project_id))
            .with_endpoints([endpoint]).build())


def refused(call, status):
    try:
        call()
    except ClientRequestException as e:
        assert e.status_code == status, f"status {e.status_code}, want {status}: {e}"
        assert e.request_id, "no request id"
        return e
    raise AssertionError(f"succeeded, want {status}")


csms = client(sk)
name = "official-sdk-flow"
created = csms.create_secret(CreateSecretRequest(body=CreateSecretRequestBody(name=name, secret_string="first")))
assert created.secret.name == name, created
print("create: ok")
assert csms.show_secret(ShowSecretRequest(secret_name=name)).secret.state == "ENABLED"
print("show: ok")
updated = csms.update_secret(UpdateSecretRequest(secret_name=name, body=UpdateSecretRequestBody(description="updated")))
assert updated.secret.description == "updated", updated
print("update: ok")
version = csms.create_secret_version(
    CreateSecretVersionRequest(secret_name=name, body=CreateSecretVersionRequestBody(secret_string="second")))
new_id = version.version_metadata.id
print("create version: ok", new_id)
latest = csms.show_secret_version(ShowSecretVersionRequest(secret_name=name, version_id="latest")).version
assert latest.secret_string == "second", latest
assert "SYSCURRENT" in latest.version_metadata.version_stages, latest
print("show latest: ok")
versions = csms.list_secret_versions(ListSecretVersionsRequest(secret_name=name)).version_metadatas
assert len(versions) == 2, versions
print("list versions: ok")
previous = csms.show_secret_stage(ShowSecretStageRequest(secret_name=name, stage_name="SYSPREVIOUS")).stage
assert previous.version_id != new_id, previous
print("show SYSPREVIOUS: ok")
refused(lambda: csms.rotate_secret(RotateSecretRequest(secret_name=name)), 400)
print("rotate COMMON refused: ok")
refused(lambda: client("wrong-" + sk).show_secret(ShowSecretRequest(secret_name=name)), 401)
print("wrong SK refused: ok")
refused(lambda: csms.show_secret(ShowSecretRequest(secret_name="no-such-secret")), 404)
print("unknown secret: ok")
csms.delete_secret(DeleteSecretRequest(secret_name=name))
refused(lambda: csms.show_secret(ShowSecretRequest(secret_name=name)), 404)
print("delete: ok")
print("official SDK flow: 11 passed, 0 failed")
